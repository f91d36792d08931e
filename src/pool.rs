//! The timer pool: ODP's `odp_timer_pool_t` with its timer operations.
//!
//! ```text
//!             alloc(queue, ctx)         set_abs / set_rel (event)
//!   TimerPool ----------------> TimerKey ----------------------------> engine
//!      |  ^                       |  cancel -> event back             |
//!      |  +------ free(timer) ----+  (or AlreadyExpired)              |
//!      |                                                              |
//!      +-- expire(): current tick -> engine fires -> event -> TimeoutQueue
//! ```
//!
//! ## Driving expiry
//!
//! Nothing runs in the background: the application calls
//! [`TimerPool::expire`] from its poll loop (DPDK's `rte_timer_manage`).
//! Most calls find nothing due, so the pool publishes the earliest tick
//! that can need work in a lock-free word (`next_due`): `expire` reads the
//! clock, compares, and returns without taking the lock when `now <
//! next_due`. `set` lowers the word under the lock; `expire` raises it to
//! the engine's next deadline (a lower bound, so never too late), or to 0
//! while events wait for room in a full queue so that every pass retries
//! them.
//!
//! ## Concurrency
//!
//! [`TimerPool`] (= `TimerPool<Shared>`) is `Send + Sync`: every operation
//! takes one `parking_lot` mutex around the slot table and engine, except
//! `expire`'s fast path, `current_tick` and `is_fresh`, which are lock-free.
//! [`LocalTimerPool`] (= `TimerPool<Local>`) has the same methods over a
//! `RefCell` and is not `Sync`: one thread at a time, no locks; its own
//! state uses plain `Cell`s, and the only atomics left are those of the
//! lock-free destination queue it pushes expired events to.
//!
//! ## Time
//!
//! Ticks count from the pool's creation at its resolution; see
//! [`ticks`](crate::ticks) for the rounding rules and
//! [`clock`](crate::clock) for the sources and the monotonic clamp.

use std::fmt;

use crate::capability::PoolSlot;
use crate::clock::PoolClock;
use crate::core::{Armed, Core};
use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::params::{Backend, Limits, PoolParams};
use crate::queue::TimeoutQueue;
use crate::sharing::{Local, Shared, Sharing, Word};
use crate::ticks::TickMath;
use crate::timeout::Timeout;

/// A pool usable from one thread at a time, without locks.
pub type LocalTimerPool = TimerPool<Local>;

/// A pool of timers with one resolution, clock and engine.
///
/// `TimerPool` (the default, [`Shared`]) is `Send + Sync`;
/// [`LocalTimerPool`] is its single-threaded twin with the same methods.
///
/// ```
/// use hrwheel::{ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
///
/// let (clock, mock) = ClockSource::mock();
/// let pool = TimerPool::new("doc", PoolParams {
///     resolution_ns: 1_000,      // 1 µs ticks
///     max_timeout_ns: 1_000_000, // up to 1 ms
///     num_timers: 4,
///     clock,
///     ..PoolParams::default()
/// })?;
/// let events = TimeoutPool::new(4)?;
/// let queue = TimeoutQueue::new(4)?;
///
/// let timer = pool.alloc(&queue, 42)?;
/// let armed = pool.set_rel(timer, 10, Some(events.alloc()?))?;
/// assert_eq!(armed.tick, 10);
///
/// mock.increment(9_999u64);           // tick 9: not yet
/// assert_eq!(pool.expire(), 0);
/// mock.increment(1u64);               // tick 10
/// assert_eq!(pool.expire(), 1);
/// let ev = queue.pop().expect("expired");
/// assert_eq!((ev.timer(), ev.tick(), ev.user_ctx()), (Some(timer), 10, 42));
/// assert!(pool.is_fresh(&ev));
/// assert!(pool.free(timer)?.is_none());
/// # Ok::<(), hrwheel::Error>(())
/// ```
pub struct TimerPool<S: Sharing = Shared> {
    name: Box<str>,
    registration: PoolSlot,
    limits: Limits,
    math: TickMath,
    clock: PoolClock<S::Word>,
    /// Earliest tick at which `expire` may have work; read without the lock.
    next_due: S::Word,
    /// Per-slot stamp, a counter bumped whenever the slot's outstanding
    /// events go stale and never reset (see `core`), for `is_fresh`.
    stamps: Box<[S::Word]>,
    core: S::Lock<Core>,
}

/// A pool's parameters and counters (`odp_timer_pool_info_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    /// The name given at creation.
    pub name: String,
    /// Length of one tick, ns.
    pub resolution_ns: u64,
    /// Shortest relative timeout, ticks.
    pub min_timeout_ticks: u64,
    /// Longest relative timeout, ticks.
    pub max_timeout_ticks: u64,
    /// Timers the pool holds.
    pub num_timers: usize,
    /// Timers allocated now.
    pub cur_timers: usize,
    /// The most timers ever allocated at once.
    pub hwm_timers: usize,
    /// Whether the pool is [`Shared`].
    pub shared: bool,
    /// The engine in use (never `Auto`).
    pub backend: Backend,
    /// Timers that have expired since creation.
    pub expired: u64,
    /// Expired events that found their queue full and were kept for a later
    /// pass, since creation.
    pub deferred: u64,
    /// Events waiting for room in their queue now.
    pub pending: usize,
}

impl TimerPool<Shared> {
    /// Creates a shared pool (`Send + Sync`): validates `params` (see
    /// [`PoolParams::validate`]), reserves one of the
    /// [`MAX_POOLS`](crate::MAX_POOLS) places, and allocates everything the
    /// pool will use.
    pub fn new(name: &str, params: PoolParams) -> Result<Self, Error> {
        Self::create(name, params)
    }
}

impl TimerPool<Local> {
    /// Creates a private pool ([`LocalTimerPool`]: one thread at a time,
    /// no locks); otherwise as [`TimerPool::new`].
    pub fn new_local(name: &str, params: PoolParams) -> Result<Self, Error> {
        Self::create(name, params)
    }
}

impl<S: Sharing> TimerPool<S> {
    /// Creates a pool of either kind; `TimerPool::<S>::create`.
    pub fn create(name: &str, params: PoolParams) -> Result<Self, Error> {
        let limits = params.validate(name)?;
        let math = TickMath::new(limits.resolution_ns).ok_or(Error::ZeroResolution)?;
        let registration = PoolSlot::reserve()?;
        let core = Core::new(registration.id(), &limits);
        let stamps = (0..limits.num_timers).map(|_| S::Word::new(0)).collect();
        Ok(TimerPool {
            name: name.into(),
            registration,
            limits,
            math,
            clock: PoolClock::new(params.clock),
            next_due: S::Word::new(u64::MAX),
            stamps,
            core: S::new_lock(core),
        })
    }

    /// Destroys the pool if no timer is allocated; otherwise gives it back
    /// with [`Error::TimersAllocated`]. (Dropping a pool frees everything
    /// unconditionally: held events return to their `TimeoutPool`.)
    // The pool comes back by value on refusal; destroy is a cold path, so
    // the large `Err` costs nothing that matters.
    #[allow(clippy::result_large_err)]
    pub fn destroy(self) -> Result<(), (Self, Error)> {
        let allocated = S::with(&self.core, |c| c.counters().allocated);
        if allocated > 0 {
            return Err((self, Error::TimersAllocated));
        }
        drop(self);
        Ok(())
    }

    /// Parameters and counters.
    pub fn info(&self) -> PoolInfo {
        let c = S::with(&self.core, |c| c.counters());
        PoolInfo {
            name: self.name.to_string(),
            resolution_ns: self.limits.resolution_ns,
            min_timeout_ticks: self.limits.min_ticks,
            max_timeout_ticks: self.limits.max_ticks,
            num_timers: self.limits.num_timers,
            cur_timers: c.allocated,
            hwm_timers: c.hwm,
            shared: S::SHARED,
            backend: self.limits.backend,
            expired: c.expired,
            deferred: c.deferred,
            pending: c.pending,
        }
    }

    /// The pool's current tick (ticks since creation). Lock-free.
    #[inline]
    pub fn current_tick(&self) -> u64 {
        self.math.ns_to_tick(self.clock.now_ns())
    }

    /// The first nanosecond (since the pool's creation) of `tick`,
    /// saturating at `u64::MAX`.
    #[inline]
    pub fn tick_to_ns(&self, tick: u64) -> u64 {
        self.math.tick_to_ns(tick)
    }

    /// The tick containing nanosecond `ns` (rounds down).
    #[inline]
    pub fn ns_to_tick(&self, ns: u64) -> u64 {
        self.math.ns_to_tick(ns)
    }

    /// Allocates a timer that will deliver to `queue`, with `user_ctx`
    /// carried by its events. [`Error::PoolExhausted`] when all
    /// `num_timers` are allocated.
    pub fn alloc(&self, queue: &TimeoutQueue, user_ctx: u64) -> Result<TimerKey, Error> {
        S::with(&self.core, |c| c.alloc(queue, user_ctx))
    }

    /// Frees a timer, cancelling it if set; returns the event it held.
    /// A second `free` of the same handle is [`Error::Freed`].
    pub fn free(&self, timer: TimerKey) -> Result<Option<Timeout>, Error> {
        S::with(&self.core, |c| c.free(timer, &self.stamps))
    }

    /// Sets `timer` to expire at absolute `tick`.
    ///
    /// `event`: a new event, or `None` to reuse the one the timer holds (a
    /// timer holds its event from a set until it expires or is cancelled).
    /// A new event given to a set timer replaces the held one, which comes
    /// back in [`Armed::replaced`]. Errors ([`Error::TooEarly`] if `tick <
    /// now + min_timeout`, [`Error::TooLate`] if `tick > now +
    /// max_timeout`, [`Error::NoEvent`], bad handles) leave the timer as it
    /// was and hand `event` back in the [`SetError`].
    pub fn set_abs(
        &self,
        timer: TimerKey,
        tick: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        self.set_at(timer, tick, self.current_tick(), event)
    }

    /// Sets `timer` to expire `ticks` after the current tick (saturating);
    /// otherwise as [`TimerPool::set_abs`].
    ///
    /// As in ODP, `ticks` count from the *start* of the current tick, not
    /// from the call: the timer never fires before tick `now + ticks`, but
    /// the wall-clock delay from the call can be up to one resolution
    /// shorter than `ticks * resolution` (and, as for every timer, up to
    /// one resolution longer, depending on when `expire` runs). For at
    /// least `d` ns of real delay, set one tick more than `d` rounds up to.
    ///
    /// ```
    /// # use hrwheel::{Backend, ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = TimerPool::new_local("rel", PoolParams {
    ///     resolution_ns: 1_000, min_timeout_ns: 1_000, max_timeout_ns: 1_000_000,
    ///     num_timers: 1, clock, backend: Backend::Wheel,
    /// })?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// mock.increment(999u64); // last ns of tick 0
    /// let armed = pool.set_rel(t, 1, Some(events.alloc()?))?; // 1 tick = 1 µs
    /// assert_eq!(armed.tick, 1);
    /// mock.increment(1u64); // 1 ns later tick 1 starts...
    /// assert_eq!(pool.expire(), 1); // ...and the 1-tick timeout fires
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_rel(
        &self,
        timer: TimerKey,
        ticks: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        let now = self.current_tick();
        self.set_at(timer, now.saturating_add(ticks), now, event)
    }

    /// Both setters: `tick` is absolute, `now` the tick read before locking.
    fn set_at(
        &self,
        timer: TimerKey,
        tick: u64,
        now: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        S::with(&self.core, |c| {
            c.set(
                timer,
                tick,
                now,
                &self.limits,
                event,
                &self.stamps,
                &self.next_due,
            )
        })
    }

    /// Cancels a set timer and returns its event. [`Error::AlreadyExpired`]
    /// if it has expired since it was last set (its event is in its queue,
    /// or will be once the queue has room; that event is now stale), and
    /// [`Error::NotArmed`] if it is not set.
    pub fn cancel(&self, timer: TimerKey) -> Result<Timeout, Error> {
        S::with(&self.core, |c| c.cancel(timer, &self.stamps))
    }

    /// Whether `event` still matches its timer's latest setting: `false`
    /// once the timer was set again, cancelled or freed, for events of
    /// another pool, and for events never set. Lock-free.
    #[inline]
    pub fn is_fresh(&self, event: &Timeout) -> bool {
        let Some(t) = event.timer() else {
            return false;
        };
        t.pool == self.registration.id()
            && self
                .stamps
                .get(t.index as usize)
                .is_some_and(|w| w.load() == event.stamp())
    }

    /// Processes everything due at the current tick: each expired timer's
    /// event goes to its queue (or waits for room there, counted in
    /// [`PoolInfo::deferred`]). Returns the number of events delivered to
    /// queues by this call. Returns at once, without locking, when nothing
    /// is due.
    #[inline]
    pub fn expire(&self) -> usize {
        let now = self.current_tick();
        if now < self.next_due.load() {
            return 0;
        }
        S::with(&self.core, |c| c.expire(now, &self.stamps, &self.next_due))
    }
}

impl<S: Sharing> fmt::Debug for TimerPool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerPool")
            .field("name", &self.name)
            .field("shared", &S::SHARED)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    /// `expire` with nothing due returns without touching the lock: it
    /// completes while another thread holds the pool's mutex. Once a timer
    /// is due, the same call has to wait for the lock.
    #[test]
    fn expire_fast_path_takes_no_lock() {
        use std::sync::mpsc;
        use std::sync::Arc;
        use std::time::Duration;

        let (clock, mock) = crate::ClockSource::mock();
        let pool = Arc::new(
            TimerPool::new(
                "fast",
                PoolParams {
                    resolution_ns: 1_000,
                    clock,
                    ..PoolParams::default()
                },
            )
            .unwrap(),
        );
        let events = crate::TimeoutPool::new(1).unwrap();
        let q = TimeoutQueue::new(1).unwrap();
        let t = pool.alloc(&q, 0).unwrap();
        pool.set_rel(t, 10, Some(events.alloc().unwrap())).unwrap();
        mock.increment(5_000u64); // tick 5: nothing due

        let guard = pool.core.lock();
        let (tx, rx) = mpsc::channel();
        let p2 = pool.clone();
        let h = std::thread::spawn(move || {
            tx.send(p2.expire()).unwrap();
            mock.increment(5_000u64); // tick 10: due
            tx.send(p2.expire()).unwrap();
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(0),
            "no lock taken"
        );
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "a due timer needs the lock"
        );
        drop(guard);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
        h.join().unwrap();
    }

    #[test]
    fn shared_pool_is_send_sync_and_local_is_send() {
        assert_send_sync::<TimerPool>();
        assert_send::<LocalTimerPool>();
        // `LocalTimerPool: !Sync`, checked at compile time: if it were
        // `Sync`, both impls would apply and the path below would be
        // ambiguous.
        trait AmbiguousIfSync<A> {
            fn item() {}
        }
        impl<T: ?Sized> AmbiguousIfSync<()> for T {}
        impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
        <LocalTimerPool as AmbiguousIfSync<_>>::item();
        assert_send_sync::<Timeout>();
        assert_send_sync::<TimeoutQueue>();
    }
}
