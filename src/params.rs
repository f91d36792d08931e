//! Pool parameters and their validation.
//!
//! [`PoolParams`] is what the user asks for; [`PoolParams::validate`] turns
//! it into the pool's fixed limits or a typed [`Error`], before anything is
//! allocated:
//!
//! | check                                   | error                        |
//! |-----------------------------------------|------------------------------|
//! | name longer than `MAX_NAME_LEN`         | [`Error::NameTooLong`]        |
//! | `resolution_ns == 0`                    | [`Error::ZeroResolution`]     |
//! | `min_timeout_ns > max_timeout_ns`       | [`Error::MinAboveMax`]        |
//! | `max_timeout_ns < resolution_ns`        | [`Error::MaxBelowResolution`] |
//! | `max_timeout_ns > MAX_TIMEOUT_NS`       | [`Error::MaxTimeoutTooLong`]  |
//! | `ceil(min/res) > floor(max/res)`        | [`Error::MinAboveMax`]        |
//! | `num_timers == 0`                       | [`Error::ZeroTimers`]         |
//! | `num_timers > MAX_TIMERS`               | [`Error::TooManyTimers`]      |
//! | `num_timers > hrwheel_hires::MAX_TIMERS` on the high-resolution backend | [`Error::TooManyTimers`] |
//! | `shards > MAX_SHARDS`                   | [`Error::TooManyShards`]      |
//!
//! ## `Backend::Auto`
//!
//! Picks [`Backend::Hires`] when `resolution_ns` is below
//! [`AUTO_HIGHRES_BELOW_NS`] (10 µs), [`Backend::Wheel`] otherwise.
//!
//! The wheel (64 slots per level, bitmaps to skip empty slots) costs O(1)
//! per set, reset and cancel, but its expiry work grows as ticks get finer:
//! - a timer descends one level per cascade move, and the level it starts
//!   at is `log64(timeout / resolution)`: a 1 s timeout starts at level 1
//!   (1 move) with 10 ms ticks, level 2 with 10 µs ticks, level 3 with 1 µs,
//!   level 4-5 with 1 ns;
//! - expiry pays per occupied slot reached; with coarse ticks many timers
//!   share a slot and the slot cost is shared (W1: 400,000 timers over
//!   ~200 one-ms slots), with fine ticks nearly every timer has a slot of
//!   its own;
//! - its lazy re-arm (a reset only rewrites the deadline while the timer
//!   stays in the slot it sits in) is what makes churn cheap, and it only
//!   helps when slots are wide compared with how far resets move deadlines.
//!
//! The red-black tree costs O(log n) per operation (about 20 node visits at
//! 10^6 timers) independent of the resolution, knows its exact next
//! deadline, and never moves a timer after insertion.
//!
//! Data-plane timeout pools (retransmission, flow ageing, ARP/ND) use 10 µs
//! to 10 ms ticks and cancel most timers: that is the wheel's profile (W1
//! through the facade, `bench/benches/w1_facade.rs`: the wheel is several times
//! cheaper per operation than the tree at 1 ms ticks). A resolution below
//! 10 µs asks for precision rather than churn, where the wheel would do 3+
//! cascade moves per long timer and lose its slot batching; that is the
//! tree's profile. Linux draws the same line between its timer wheel
//! (jiffy-grained timeouts) and hrtimers. The choice only affects cost:
//! both engines fire a timer on the first expiry pass at or after its tick.

use crate::capability::{MAX_NAME_LEN, MAX_SHARDS, MAX_TIMEOUT_NS, MAX_TIMERS};
use crate::clock::ClockSource;
use crate::error::Error;
use crate::ticks::TickMath;

/// Resolutions below this pick [`Backend::Hires`] under [`Backend::Auto`].
pub const AUTO_HIGHRES_BELOW_NS: u64 = 10_000;

/// The timer engine behind a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Backend {
    /// The hierarchical timing wheel (`hrwheel_wheel`): O(1) set and
    /// cancel, for coarse timeouts that are mostly cancelled.
    Wheel,
    /// The red-black-tree queue (`hrwheel_hires`): O(log n), for fine
    /// resolutions and timers that mostly expire.
    Hires,
    /// [`Backend::Hires`] below [`AUTO_HIGHRES_BELOW_NS`], else
    /// [`Backend::Wheel`].
    #[default]
    Auto,
}

impl Backend {
    /// The engine `self` stands for at `resolution_ns` (never `Auto`).
    ///
    /// ```
    /// use hrwheel::Backend;
    /// assert_eq!(Backend::Auto.resolve(1_000), Backend::Hires);
    /// assert_eq!(Backend::Auto.resolve(1_000_000), Backend::Wheel);
    /// ```
    pub fn resolve(self, resolution_ns: u64) -> Backend {
        match self {
            Backend::Auto if resolution_ns < AUTO_HIGHRES_BELOW_NS => Backend::Hires,
            Backend::Auto => Backend::Wheel,
            b => b,
        }
    }
}

/// Parameters of a timer pool (`odp_timer_pool_param_t`), built from
/// [`PoolParams::default`] with one method per field.
///
/// ```
/// use hrwheel::{Backend, PoolParams};
/// let p = PoolParams::default()
///     .resolution_ns(1_000_000)      // 1 ms ticks
///     .max_timeout_ns(60_000_000_000) // 1 min
///     .num_timers(10_000)
///     .backend(Backend::Wheel);
/// assert!(p.validate("flows").is_ok());
/// assert_eq!(p.num_timers, 10_000);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolParams {
    /// Length of one tick, ns.
    pub resolution_ns: u64,
    /// Shortest relative timeout, ns (rounded up to whole ticks).
    pub min_timeout_ns: u64,
    /// Longest relative timeout, ns (rounded down to whole ticks).
    pub max_timeout_ns: u64,
    /// Timers the pool holds (preallocated, spread over the shards).
    pub num_timers: usize,
    /// Where the pool reads the time.
    pub clock: ClockSource,
    /// The engine.
    pub backend: Backend,
    /// Shards of a shared pool; 0 (the default) means one per available
    /// core. A private pool always has one.
    pub shards: usize,
}

impl Default for PoolParams {
    /// 1 ms resolution, timeouts 0..=10 s, 1,024 timers, TSC clock, `Auto`,
    /// one shard per core. Cheap: the TSC is only calibrated (once per
    /// process) when a pool reading it is created.
    fn default() -> Self {
        PoolParams {
            resolution_ns: 1_000_000,
            min_timeout_ns: 0,
            max_timeout_ns: 10_000_000_000,
            num_timers: 1024,
            clock: ClockSource::default(),
            backend: Backend::Auto,
            shards: 0,
        }
    }
}

impl PoolParams {
    /// Sets [`resolution_ns`](Self::resolution_ns).
    ///
    /// ```
    /// assert_eq!(hrwheel::PoolParams::default().resolution_ns(1_000).resolution_ns, 1_000);
    /// ```
    #[must_use]
    pub fn resolution_ns(mut self, ns: u64) -> Self {
        self.resolution_ns = ns;
        self
    }

    /// Sets [`min_timeout_ns`](Self::min_timeout_ns).
    ///
    /// ```
    /// assert_eq!(hrwheel::PoolParams::default().min_timeout_ns(5).min_timeout_ns, 5);
    /// ```
    #[must_use]
    pub fn min_timeout_ns(mut self, ns: u64) -> Self {
        self.min_timeout_ns = ns;
        self
    }

    /// Sets [`max_timeout_ns`](Self::max_timeout_ns).
    ///
    /// ```
    /// assert_eq!(hrwheel::PoolParams::default().max_timeout_ns(5).max_timeout_ns, 5);
    /// ```
    #[must_use]
    pub fn max_timeout_ns(mut self, ns: u64) -> Self {
        self.max_timeout_ns = ns;
        self
    }

    /// Sets [`num_timers`](Self::num_timers).
    ///
    /// ```
    /// assert_eq!(hrwheel::PoolParams::default().num_timers(5).num_timers, 5);
    /// ```
    #[must_use]
    pub fn num_timers(mut self, n: usize) -> Self {
        self.num_timers = n;
        self
    }

    /// Sets [`clock`](Self::clock).
    ///
    /// ```
    /// let (clock, _mock) = hrwheel::ClockSource::mock();
    /// let p = hrwheel::PoolParams::default().clock(clock);
    /// # let _ = p;
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: ClockSource) -> Self {
        self.clock = clock;
        self
    }

    /// Sets [`backend`](Self::backend).
    ///
    /// ```
    /// use hrwheel::{Backend, PoolParams};
    /// assert_eq!(PoolParams::default().backend(Backend::Hires).backend, Backend::Hires);
    /// ```
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets [`shards`](Self::shards).
    ///
    /// ```
    /// assert_eq!(hrwheel::PoolParams::default().shards(4).shards, 4);
    /// ```
    #[must_use]
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = n;
        self
    }
}

/// Validated, tick-denominated limits of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Length of one tick, ns.
    pub resolution_ns: u64,
    /// Shortest relative timeout, ticks.
    pub min_ticks: u64,
    /// Longest relative timeout, ticks.
    pub max_ticks: u64,
    /// The last tick the pool's clock reaches: the one holding `u64::MAX`
    /// ns of pool time (`u64::MAX / resolution_ns`). A later tick starts
    /// after the end of the clock's range and never comes, so a set for it
    /// is [`Error::TooLate`] and a periodic schedule ends before it.
    pub last_tick: u64,
    /// Timers in the pool.
    pub num_timers: usize,
    /// The engine (never `Auto`).
    pub backend: Backend,
    /// Shards asked for (0: one per core; resolved when the pool is created).
    pub shards: usize,
}

impl PoolParams {
    /// Checks every parameter (see the [module docs](self)) and returns the
    /// pool's limits in ticks.
    ///
    /// ```
    /// use hrwheel::{Error, PoolParams};
    /// assert_eq!(PoolParams::default().resolution_ns(0).validate("x"), Err(Error::ZeroResolution));
    /// ```
    pub fn validate(&self, name: &str) -> Result<Limits, Error> {
        if name.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong);
        }
        let math = TickMath::new(self.resolution_ns).ok_or(Error::ZeroResolution)?;
        if self.min_timeout_ns > self.max_timeout_ns {
            return Err(Error::MinAboveMax);
        }
        if self.max_timeout_ns < self.resolution_ns {
            return Err(Error::MaxBelowResolution);
        }
        if self.max_timeout_ns > MAX_TIMEOUT_NS {
            return Err(Error::MaxTimeoutTooLong);
        }
        let min_ticks = math.ns_to_ticks_ceil(self.min_timeout_ns);
        let max_ticks = math.ns_to_tick(self.max_timeout_ns);
        if min_ticks > max_ticks {
            return Err(Error::MinAboveMax);
        }
        if self.num_timers == 0 {
            return Err(Error::ZeroTimers);
        }
        let backend = self.backend.resolve(self.resolution_ns);
        // One shard may hold every timer of the pool (`alloc_on`), so the
        // high-resolution engine's own limit applies to the whole pool.
        let most = match backend {
            Backend::Hires => MAX_TIMERS.min(hrwheel_hires::MAX_TIMERS),
            _ => MAX_TIMERS,
        };
        if self.num_timers > most {
            return Err(Error::TooManyTimers);
        }
        if self.shards > MAX_SHARDS {
            return Err(Error::TooManyShards);
        }
        Ok(Limits {
            resolution_ns: self.resolution_ns,
            min_ticks,
            max_ticks,
            last_tick: math.ns_to_tick(u64::MAX),
            num_timers: self.num_timers,
            backend,
            shards: self.shards,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PoolParams {
        PoolParams {
            clock: ClockSource::mock().0,
            ..PoolParams::default()
        }
    }

    #[test]
    fn each_bad_parameter_has_its_error() {
        let cases: Vec<(PoolParams, Error)> = vec![
            (
                PoolParams {
                    resolution_ns: 0,
                    ..p()
                },
                Error::ZeroResolution,
            ),
            (
                PoolParams {
                    min_timeout_ns: 11,
                    max_timeout_ns: 10,
                    resolution_ns: 1,
                    ..p()
                },
                Error::MinAboveMax,
            ),
            (
                PoolParams {
                    resolution_ns: 1000,
                    max_timeout_ns: 999,
                    ..p()
                },
                Error::MaxBelowResolution,
            ),
            (
                PoolParams {
                    max_timeout_ns: MAX_TIMEOUT_NS + 1,
                    ..p()
                },
                Error::MaxTimeoutTooLong,
            ),
            // 1.5 ticks..1.9 ticks: min rounds up to 2, max down to 1.
            (
                PoolParams {
                    resolution_ns: 10,
                    min_timeout_ns: 15,
                    max_timeout_ns: 19,
                    ..p()
                },
                Error::MinAboveMax,
            ),
            (
                PoolParams {
                    num_timers: 0,
                    ..p()
                },
                Error::ZeroTimers,
            ),
            (
                PoolParams {
                    num_timers: MAX_TIMERS + 1,
                    ..p()
                },
                Error::TooManyTimers,
            ),
            // One high-resolution shard may hold them all: the tree's own
            // limit applies, for `Hires` and for `Auto` resolving to it.
            (
                PoolParams {
                    num_timers: hrwheel_hires::MAX_TIMERS + 1,
                    backend: Backend::Hires,
                    ..p()
                },
                Error::TooManyTimers,
            ),
            (
                PoolParams {
                    num_timers: hrwheel_hires::MAX_TIMERS + 1,
                    resolution_ns: 1,
                    backend: Backend::Auto,
                    ..p()
                },
                Error::TooManyTimers,
            ),
        ];
        for (params, want) in cases {
            assert_eq!(params.validate("x"), Err(want), "{params:?}");
        }
        assert_eq!(
            p().validate(&"n".repeat(MAX_NAME_LEN + 1)),
            Err(Error::NameTooLong)
        );
        assert!(p().validate(&"n".repeat(MAX_NAME_LEN)).is_ok());
        let at_most = PoolParams {
            num_timers: hrwheel_hires::MAX_TIMERS,
            backend: Backend::Hires,
            ..p()
        };
        assert!(at_most.validate("x").is_ok());
    }

    #[test]
    fn limits_round_min_up_and_max_down() {
        let l = PoolParams {
            resolution_ns: 10,
            min_timeout_ns: 11,
            max_timeout_ns: 109,
            num_timers: MAX_TIMERS,
            backend: Backend::Wheel,
            ..p()
        }
        .validate("x")
        .unwrap();
        assert_eq!(
            (l.min_ticks, l.max_ticks, l.num_timers),
            (2, 10, MAX_TIMERS)
        );
        assert_eq!(l.last_tick, u64::MAX / 10);
        let l = PoolParams {
            resolution_ns: 1,
            max_timeout_ns: MAX_TIMEOUT_NS,
            ..p()
        }
        .validate("x")
        .unwrap();
        assert_eq!(l.max_ticks, MAX_TIMEOUT_NS);
        assert_eq!(l.last_tick, u64::MAX);
    }

    #[test]
    fn auto_threshold() {
        assert_eq!(
            Backend::Auto.resolve(AUTO_HIGHRES_BELOW_NS - 1),
            Backend::Hires
        );
        assert_eq!(Backend::Auto.resolve(AUTO_HIGHRES_BELOW_NS), Backend::Wheel);
        assert_eq!(Backend::Wheel.resolve(1), Backend::Wheel);
        assert_eq!(Backend::Hires.resolve(1_000_000_000), Backend::Hires);
    }
}
