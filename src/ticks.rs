//! Nanoseconds <-> pool ticks, exact over the whole `u64` range.
//!
//! A pool with resolution `r` ns counts tick `t` during `[t*r, (t+1)*r)` ns
//! after its creation:
//!
//! ```text
//!   ns:    0        r        2r       3r
//!          |--t=0---|--t=1---|--t=2---|...
//! ```
//!
//! - `ns_to_tick(ns) = floor(ns / r)`: the tick that contains `ns`; a `u64`
//!   division, so it cannot overflow. Rounding down is what makes expiry
//!   never early: a timer set for tick `t` fires on the first expiry pass
//!   whose reading is `>= t*r` ns, i.e. not before its deadline, and at most
//!   one resolution after it if `expire` runs at least once per tick.
//! - `tick_to_ns(t) = t * r`, computed in `u128` and saturated to
//!   `u64::MAX` when it does not fit (a tick that starts after year 2554 of
//!   the clock). Exact whenever representable: `tick_to_ns(ns_to_tick(x))`
//!   is `x` rounded down to a multiple of `r`.
//! - Timeout limits: `min_timeout` rounds *up* to whole ticks (a timeout is
//!   never shorter than asked), `max_timeout` rounds *down* (never longer).

/// Tick arithmetic for one resolution. `resolution_ns` is never 0 (checked
/// by parameter validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TickMath {
    resolution_ns: u64,
}

impl TickMath {
    /// `None` for a zero resolution.
    pub(crate) fn new(resolution_ns: u64) -> Option<Self> {
        (resolution_ns != 0).then_some(TickMath { resolution_ns })
    }

    /// The tick containing `ns` (rounds down).
    #[inline]
    pub(crate) fn ns_to_tick(self, ns: u64) -> u64 {
        ns / self.resolution_ns
    }

    /// Whole ticks needed to cover `ns` (rounds up).
    #[inline]
    pub(crate) fn ns_to_ticks_ceil(self, ns: u64) -> u64 {
        ns.div_ceil(self.resolution_ns)
    }

    /// The first nanosecond of tick `tick`, saturating at `u64::MAX`.
    #[inline]
    pub(crate) fn tick_to_ns(self, tick: u64) -> u64 {
        let ns = u128::from(tick) * u128::from(self.resolution_ns);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_resolution_is_refused() {
        assert!(TickMath::new(0).is_none());
    }

    #[test]
    fn extremes() {
        let one = TickMath::new(1).unwrap();
        assert_eq!(one.ns_to_tick(u64::MAX), u64::MAX);
        assert_eq!(one.tick_to_ns(u64::MAX), u64::MAX);
        let big = TickMath::new(u64::MAX).unwrap();
        assert_eq!(big.ns_to_tick(u64::MAX), 1);
        assert_eq!(big.ns_to_tick(u64::MAX - 1), 0);
        assert_eq!(big.tick_to_ns(1), u64::MAX);
        assert_eq!(big.tick_to_ns(2), u64::MAX, "saturates");
        let ms = TickMath::new(1_000_000).unwrap();
        assert_eq!(ms.tick_to_ns(u64::MAX), u64::MAX);
        assert_eq!(ms.ns_to_tick(1_999_999), 1);
        assert_eq!(ms.ns_to_ticks_ceil(1_000_001), 2);
        assert_eq!(ms.ns_to_ticks_ceil(u64::MAX), u64::MAX / 1_000_000 + 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 4096 }))]
        #[test]
        fn round_trip_rounds_down_to_a_tick_start(r in 1u64.., ns in any::<u64>()) {
            let m = TickMath::new(r).unwrap();
            let t = m.ns_to_tick(ns);
            let start = m.tick_to_ns(t);
            prop_assert!(start <= ns);
            prop_assert_eq!(u128::from(start), u128::from(t) * u128::from(r));
            prop_assert!(u128::from(ns) < u128::from(start) + u128::from(r));
            prop_assert_eq!(m.ns_to_tick(start), t);
        }

        #[test]
        fn tick_to_ns_is_exact_or_saturated(r in 1u64.., t in any::<u64>()) {
            let m = TickMath::new(r).unwrap();
            let exact = u128::from(t) * u128::from(r);
            let got = m.tick_to_ns(t);
            if exact <= u128::from(u64::MAX) {
                prop_assert_eq!(u128::from(got), exact);
            } else {
                prop_assert_eq!(got, u64::MAX);
            }
        }

        #[test]
        fn ceil_covers(r in 1u64.., ns in any::<u64>()) {
            let m = TickMath::new(r).unwrap();
            let c = m.ns_to_ticks_ceil(ns);
            prop_assert!(u128::from(c) * u128::from(r) >= u128::from(ns));
            prop_assert!(c == 0 || u128::from(c - 1) * u128::from(r) < u128::from(ns));
        }
    }
}
