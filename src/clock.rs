//! Clock sources and the per-pool monotonic nanosecond reading.
//!
//! A pool reads nanoseconds from one of three sources:
//!
//! | source                          | reading                              | use                 |
//! |---------------------------------|--------------------------------------|---------------------|
//! | [`ClockSource::tsc`] (default)  | the CPU's TSC via `quanta::Clock`    | production          |
//! | [`ClockSource::mock`]           | `quanta::Mock`, moved by hand        | deterministic tests |
//! | [`ClockSource::external`]       | any [`TimeSource`] (a closure works) | a NIC clock, PTP... |
//!
//! The pool's time origin is its creation: tick 0 is the first reading, so
//! every pool starts at tick 0 whatever the source's epoch.
//!
//! quanta scales the TSC to nanoseconds but does not clamp readings: TSCs of
//! different cores can disagree by a few cycles, so a thread that migrates
//! can read a value below one read earlier on another core. A pool therefore
//! keeps the highest reading it has handed out and never returns less
//! (`fetch_max` on a shared pool, a plain compare on a private one): pool time
//! never steps back, so a timer can never be reported early because the
//! clock went backwards, and a mock clock that is decremented just stands
//! still.

use std::fmt;
use std::sync::Arc;

use crate::sharing::Word;

/// A user-supplied nanosecond clock. Readings should be monotonic; if they
/// are not, the pool clamps them (see the [module docs](self)).
///
/// Any `Fn() -> u64 + Send + Sync` closure is a `TimeSource`.
pub trait TimeSource: Send + Sync {
    /// The current time in nanoseconds since an arbitrary epoch.
    fn now_ns(&self) -> u64;
}

impl<F: Fn() -> u64 + Send + Sync> TimeSource for F {
    fn now_ns(&self) -> u64 {
        self()
    }
}

/// Where a pool reads the time. Cheap to clone.
#[derive(Clone)]
pub enum ClockSource {
    /// A `quanta` clock: the TSC ([`ClockSource::tsc`]) or a mock
    /// ([`ClockSource::mock`]).
    Quanta(quanta::Clock),
    /// A user-supplied source ([`ClockSource::external`]).
    External(Arc<dyn TimeSource>),
}

impl ClockSource {
    /// The CPU's time-stamp counter through `quanta::Clock::new()` (falls
    /// back to the OS monotonic clock where there is no usable TSC).
    pub fn tsc() -> Self {
        ClockSource::Quanta(quanta::Clock::new())
    }

    /// A mock clock starting at 0 ns and the handle that moves it
    /// (`mock.increment(ns)`).
    ///
    /// ```
    /// let (clock, mock) = hrwheel::ClockSource::mock();
    /// mock.increment(1_000u64);
    /// # let _ = clock;
    /// ```
    pub fn mock() -> (Self, Arc<quanta::Mock>) {
        let (clock, mock) = quanta::Clock::mock();
        (ClockSource::Quanta(clock), mock)
    }

    /// A user-supplied source.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// let ns = Arc::new(AtomicU64::new(0));
    /// let ns2 = ns.clone();
    /// let clock = hrwheel::ClockSource::external(move || ns2.load(Ordering::Relaxed));
    /// # let _ = clock;
    /// ```
    pub fn external(source: impl TimeSource + 'static) -> Self {
        ClockSource::External(Arc::new(source))
    }

    /// A raw reading in the source's own units (TSC cycles for quanta's
    /// counter, nanoseconds otherwise); see [`ClockSource::delta_ns`].
    #[inline]
    fn raw(&self) -> u64 {
        match self {
            ClockSource::Quanta(c) => c.raw(),
            ClockSource::External(s) => s.now_ns(),
        }
    }

    /// Nanoseconds from raw reading `start` to `end`, 0 if `end <= start`.
    #[inline]
    fn delta_ns(&self, start: u64, end: u64) -> u64 {
        match self {
            ClockSource::Quanta(c) => c.delta_as_nanos(start, end),
            ClockSource::External(_) => end.saturating_sub(start),
        }
    }
}

impl Default for ClockSource {
    fn default() -> Self {
        ClockSource::tsc()
    }
}

impl From<quanta::Clock> for ClockSource {
    fn from(c: quanta::Clock) -> Self {
        ClockSource::Quanta(c)
    }
}

impl fmt::Debug for ClockSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockSource::Quanta(c) => f.debug_tuple("Quanta").field(c).finish(),
            ClockSource::External(_) => f.write_str("External(..)"),
        }
    }
}

/// A pool's clock: source, origin (raw reading at creation) and the highest
/// nanosecond value handed out so far.
pub(crate) struct PoolClock<W> {
    source: ClockSource,
    origin: u64,
    last_ns: W,
}

impl<W: Word> PoolClock<W> {
    pub(crate) fn new(source: ClockSource) -> Self {
        let origin = source.raw();
        PoolClock {
            source,
            origin,
            last_ns: W::new(0),
        }
    }

    /// Nanoseconds since the pool's creation, never less than a previous
    /// reading.
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        let ns = self.source.delta_ns(self.origin, self.source.raw());
        self.last_ns.fetch_max(ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn mock_readings_never_step_back() {
        let (src, mock) = ClockSource::mock();
        let c = PoolClock::<Cell<u64>>::new(src);
        assert_eq!(c.now_ns(), 0);
        mock.increment(500u64);
        assert_eq!(c.now_ns(), 500);
        mock.decrement(200u64);
        assert_eq!(c.now_ns(), 500, "a clock stepping back is clamped");
        mock.increment(300u64);
        assert_eq!(c.now_ns(), 600);
    }

    #[test]
    fn external_source_is_relative_to_creation_and_clamped() {
        let t = Arc::new(AtomicU64::new(1_000_000));
        let t2 = t.clone();
        let c =
            PoolClock::<AtomicU64>::new(ClockSource::external(move || t2.load(Ordering::Relaxed)));
        assert_eq!(c.now_ns(), 0);
        t.store(1_000_250, Ordering::Relaxed);
        assert_eq!(c.now_ns(), 250);
        t.store(999_000, Ordering::Relaxed); // below the origin
        assert_eq!(c.now_ns(), 250);
        t.store(u64::MAX, Ordering::Relaxed);
        assert_eq!(c.now_ns(), u64::MAX - 1_000_000);
    }

    #[test]
    fn tsc_advances() {
        let c = PoolClock::<AtomicU64>::new(ClockSource::tsc());
        let a = c.now_ns();
        let mut b = c.now_ns();
        // The TSC ticks at GHz rates: a few thousand readings move it.
        for _ in 0..1_000_000 {
            if b > a {
                break;
            }
            b = c.now_ns();
        }
        assert!(b > a);
    }
}
