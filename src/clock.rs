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
//! can read a value below one read earlier on another core. Pool time never
//! steps back all the same, without a shared word written on every reading
//! (which, measured, made every set and poll of every thread write one
//! contended cache line): each shard's engine keeps its own current tick,
//! and a set or expiry pass uses `max(reading, that tick)` under the shard's
//! lock. A timer is thus never early because a reading lagged, and a mock
//! clock that is decremented just stands still.
//! [`TimerPool::current_tick`](crate::TimerPool::current_tick), which no
//! shard orders, clamps against a pool-wide word of its own; nothing on the
//! hot path reads it.

use std::fmt;
use std::sync::Arc;

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
#[non_exhaustive]
pub enum ClockSource {
    /// The TSC, through a `quanta::Clock` made (and calibrated, once per
    /// process) when a pool reading it is created: [`ClockSource::tsc`].
    Tsc,
    /// A given `quanta` clock, e.g. a mock ([`ClockSource::mock`]).
    Quanta(quanta::Clock),
    /// A user-supplied source ([`ClockSource::external`]).
    External(Arc<dyn TimeSource>),
}

impl ClockSource {
    /// The CPU's time-stamp counter through `quanta::Clock::new()` (falls
    /// back to the OS monotonic clock where there is no usable TSC). Nothing
    /// is read or calibrated until a pool using it is created.
    ///
    /// ```
    /// let clock = hrwheel::ClockSource::tsc();
    /// # let _ = clock;
    /// ```
    pub fn tsc() -> Self {
        ClockSource::Tsc
    }

    /// The source ready to read (the TSC clock made if need be).
    fn ready(self) -> Self {
        match self {
            ClockSource::Tsc => ClockSource::Quanta(quanta::Clock::new()),
            other => other,
        }
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
            // `PoolClock::new` replaced it; reads as a stopped clock.
            ClockSource::Tsc => 0,
        }
    }

    /// Nanoseconds from raw reading `start` to `end`, 0 if `end <= start`.
    #[inline]
    fn delta_ns(&self, start: u64, end: u64) -> u64 {
        match self {
            ClockSource::Quanta(c) => c.delta_as_nanos(start, end),
            ClockSource::External(_) | ClockSource::Tsc => end.saturating_sub(start),
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
            ClockSource::Tsc => f.write_str("Tsc"),
            ClockSource::Quanta(c) => f.debug_tuple("Quanta").field(c).finish(),
            ClockSource::External(_) => f.write_str("External(..)"),
        }
    }
}

/// A pool's clock: source and origin (raw reading at creation). Readings
/// are not clamped here (see the module docs).
pub(crate) struct PoolClock {
    source: ClockSource,
    origin: u64,
}

impl PoolClock {
    pub(crate) fn new(source: ClockSource) -> Self {
        let source = source.ready();
        let origin = source.raw();
        PoolClock { source, origin }
    }

    /// Nanoseconds since the pool's creation (0 before it).
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        self.source.delta_ns(self.origin, self.source.raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn mock_readings_are_relative_to_creation() {
        let (src, mock) = ClockSource::mock();
        mock.increment(700u64);
        let c = PoolClock::new(src);
        assert_eq!(c.now_ns(), 0);
        mock.increment(500u64);
        assert_eq!(c.now_ns(), 500);
    }

    #[test]
    fn external_source_below_its_origin_reads_zero() {
        let t = Arc::new(AtomicU64::new(1_000_000));
        let t2 = t.clone();
        let c = PoolClock::new(ClockSource::external(move || t2.load(Ordering::Relaxed)));
        assert_eq!(c.now_ns(), 0);
        t.store(1_000_250, Ordering::Relaxed);
        assert_eq!(c.now_ns(), 250);
        t.store(999_000, Ordering::Relaxed); // below the origin
        assert_eq!(c.now_ns(), 0);
        t.store(u64::MAX, Ordering::Relaxed);
        assert_eq!(c.now_ns(), u64::MAX - 1_000_000);
    }

    #[test]
    fn tsc_advances() {
        let c = PoolClock::new(ClockSource::tsc());
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
