//! Timeouts in [`Duration`]s and in nanoseconds of pool time, rounded so
//! that a timer never fires before the time asked for (issue 10).
//!
//! A relative set in ticks ([`TimerPool::set_rel`]) counts from the *start*
//! of the current tick, as in ODP, so it can fire up to one resolution
//! *before* `ticks * resolution` has passed since the call. The methods here
//! count from the clock reading instead:
//!
//! ```text
//!   ns:      t*r              (t+1)*r   ...   (k-1)*r          k*r
//!             |------tick t------|             |--tick k-1-----|--tick k--
//!                          ^ now_ns                      ^ now_ns + d
//!   set_after(d): tick k = ceil((now_ns + d) / r): first tick starting at or
//!                 after now_ns + d; fires on the first pass at or after k*r
//! ```
//!
//! so the timer fires no earlier than `d` after the reading the set took,
//! and (if `expire` runs at least once per tick) less than one resolution
//! after that.
//!
//! ## Why no `std::time::Instant`
//!
//! A pool's time is its clock source's: the TSC, a mock moved by hand, or
//! an external source such as a NIC's PTP clock. A `std::time::Instant` is
//! the OS monotonic clock, which has no fixed relation to a mock or external
//! clock (and drifts from a TSC's calibration by parts per million), so an
//! absolute `Instant` would silently mean different things per source.
//! Absolute times are therefore nanoseconds since the pool's creation, in
//! the pool's own clock: [`TimerPool::now_ns`] reads it and
//! [`TimerPool::set_at_ns`] sets a timer against it.

use std::time::Duration;

use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::pool::TimerPool;
use crate::shard::Armed;
use crate::sharing::Sharing;
use crate::timeout::Timeout;

/// `d` in whole nanoseconds, `None` above `u64::MAX` ns (about 584 years).
#[inline]
fn duration_ns(d: Duration) -> Option<u64> {
    u64::try_from(d.as_nanos()).ok()
}

impl<S: Sharing> TimerPool<S> {
    /// The pool's time: nanoseconds since its creation on its clock source,
    /// never below the start of a tick [`current_tick`](Self::current_tick)
    /// returned. Lock-free and writes nothing, so readings on different
    /// cores are not ordered against each other: a thread that migrates
    /// between cores whose TSCs disagree by a few cycles may read a few ns
    /// less than before (subtract with `saturating_sub`); the pool's
    /// per-shard clamp keeps timers from firing early all the same.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("now", PoolParams::default().clock(clock))?;
    /// mock.increment(1_234u64);
    /// assert_eq!(pool.now_ns(), 1_234);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.reading_ns()
    }

    /// Sets `timer` to expire no earlier than `d` after this call, on the
    /// pool's clock: at tick `ceil((now_ns() + d) / resolution)`, the first
    /// tick starting at or after that instant. Unlike
    /// [`set_rel`](Self::set_rel), which counts whole ticks from the start
    /// of the current tick, this never fires before `d` has passed since the
    /// clock reading the call took; it fires at most one resolution after
    /// that if `expire` runs at least once per tick. If the clock has
    /// stepped back behind the tick the timer's shard has acted on (the
    /// pool's time stands still, see [`clock`](crate::clock)), `d` counts
    /// from the start of that tick instead.
    ///
    /// Limits are checked in ticks from the current tick, as for
    /// [`set_abs`](Self::set_abs): any `d >= min_timeout_ns` passes the
    /// minimum; the maximum is passed by any `d <= (max_timeout_ticks - 1) *
    /// resolution_ns + 1` and, within the last tick below `max_timeout_ns`,
    /// depends on where in the current tick the call falls (the rounding up
    /// may need one tick beyond the maximum: [`Error::TooLate`]). A `d`
    /// above `u64::MAX` ns, or one that takes the pool's time past
    /// `u64::MAX` ns, is [`Error::TooLate`], never a panic; so is one that
    /// ends after the start of the last tick the clock reaches (see
    /// [`set_at_ns`](Self::set_at_ns)). Otherwise as `set_abs`: errors
    /// leave the timer as it was and hand `event` back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("after", PoolParams::default().clock(clock))?; // 1 ms ticks
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    ///
    /// mock.increment(999_999u64); // the last ns of tick 0
    /// let armed = pool.set_after(t, Duration::from_millis(200), Some(events.alloc()?))?;
    /// assert_eq!(armed.tick, 201); // set_rel(200) would say 200: 1 ns short of 200 ms
    /// mock.increment(200_000_000u64); // 200 ms after the set: still tick 200
    /// assert_eq!(pool.expire(), 0);
    /// mock.increment(1u64); // tick 201 starts
    /// assert_eq!(pool.expire(), 1);
    ///
    /// let e = pool.set_after(t, Duration::MAX, q.pop()).unwrap_err();
    /// assert_eq!(e.error, Error::TooLate);
    /// assert!(e.event.is_some(), "the event comes back");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set_after(
        &self,
        timer: TimerKey,
        d: Duration,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        let Some(d) = duration_ns(d) else {
            return Err(SetError::new(Error::TooLate, event));
        };
        let (reading, r) = (self.reading_ns(), self.resolution());
        // From the start of the shard's tick if the clock stepped back
        // behind it (the pool's time stands still then).
        self.set_with(timer, event, None, |now| {
            let from = reading.max(self.tick_to_ns(now));
            from.checked_add(d).map(|at| at.div_ceil(r))
        })
    }

    /// Sets `timer` to expire no earlier than `ns` nanoseconds of pool time
    /// ([`now_ns`](Self::now_ns)): at tick `ceil(ns / resolution)`, the
    /// first tick starting at or after `ns`. A drift-free periodic timer
    /// re-arms at `first + k * period` with it. An `ns` before the current
    /// tick is [`Error::TooEarly`] (its tick is before `now +
    /// min_timeout`); one earlier in the current tick rounds up to the
    /// current tick (if `min_timeout` is 0), due on the next pass. An `ns`
    /// after the start of the last tick the clock reaches
    /// ([`Limits::last_tick`](crate::Limits::last_tick), the tick of
    /// `u64::MAX` ns) rounds up to a tick that never comes:
    /// [`Error::TooLate`]. Otherwise as [`set_abs`](Self::set_abs).
    ///
    /// ```
    /// use hrwheel::{Backend, ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("at", PoolParams::default()
    ///     .resolution_ns(1_000).max_timeout_ns(1_000_000_000)
    ///     .backend(Backend::Hires).clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// let armed = pool.set_at_ns(t, 50_001, Some(events.alloc()?))?;
    /// assert_eq!(armed.tick, 51); // 50 µs + 1 ns rounds up to the 51st µs
    /// mock.increment(50_999u64);
    /// assert_eq!(pool.expire(), 0);
    /// mock.increment(1u64);
    /// assert_eq!(pool.expire(), 1);
    /// let e = pool.set_at_ns(t, 10_000, q.pop()).unwrap_err(); // 10 µs: past
    /// assert_eq!(e.error, Error::TooEarly);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set_at_ns(
        &self,
        timer: TimerKey,
        ns: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        self.set_abs(timer, ns.div_ceil(self.resolution()), event)
    }

    /// Whole ticks covering `d` (rounds up), saturating at `u64::MAX`: the
    /// number of ticks of this pool's resolution that last at least `d`.
    /// (As a [`set_rel`](Self::set_rel) count this can still fire up to one
    /// tick early relative to the call; use [`set_after`](Self::set_after)
    /// for a delay from the call.)
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = hrwheel::LocalTimerPool::new_local("d", hrwheel::PoolParams::default())?; // 1 ms
    /// assert_eq!(pool.duration_to_ticks(Duration::from_millis(3)), 3);
    /// assert_eq!(pool.duration_to_ticks(Duration::from_nanos(3_000_001)), 4);
    /// assert_eq!(pool.duration_to_ticks(Duration::ZERO), 0);
    /// assert_eq!(pool.duration_to_ticks(Duration::MAX), u64::MAX);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn duration_to_ticks(&self, d: Duration) -> u64 {
        let ticks = d.as_nanos().div_ceil(u128::from(self.resolution()));
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// The length of `ticks` ticks as a [`Duration`]: exact, saturating at
    /// [`Duration::MAX`] (reached only beyond `u64::MAX` seconds).
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = hrwheel::LocalTimerPool::new_local("d", hrwheel::PoolParams::default())?; // 1 ms
    /// assert_eq!(pool.ticks_to_duration(5), Duration::from_millis(5));
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn ticks_to_duration(&self, ticks: u64) -> Duration {
        let ns = u128::from(ticks) * u128::from(self.resolution());
        let secs = ns / 1_000_000_000;
        match u64::try_from(secs) {
            Ok(secs) => Duration::new(secs, (ns % 1_000_000_000) as u32),
            Err(_) => Duration::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClockSource, PoolParams};

    #[test]
    fn durations_above_u64_ns_are_too_late_not_a_panic() {
        assert_eq!(duration_ns(Duration::MAX), None);
        assert_eq!(duration_ns(Duration::from_nanos(u64::MAX)), Some(u64::MAX));
        let pool = crate::LocalTimerPool::new_local(
            "big",
            PoolParams::default()
                .resolution_ns(1 << 62)
                .max_timeout_ns(1 << 62)
                .clock(ClockSource::mock().0),
        )
        .unwrap();
        assert_eq!(pool.ticks_to_duration(u64::MAX), Duration::MAX);
        assert_eq!(pool.ticks_to_duration(1), Duration::from_nanos(1 << 62));
    }
}
