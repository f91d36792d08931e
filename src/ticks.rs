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
//! - Timeout limits: `min_timeout` rounds *up* to whole ticks,
//!   `max_timeout` rounds *down*, so the limits in ticks lie within the
//!   limits asked for in ns. Ticks are the unit of every guarantee, not
//!   ns: a relative set of `k` ticks counts from the *start* of the current
//!   tick, as in ODP, so the timer fires no earlier than tick `now + k`
//!   (never early by the tick count) but the wall-clock delay from the call
//!   is between `(k - 1) * r` (+1 ns) and `k * r`, plus up to one
//!   resolution of expiry lateness. Set at `now*r + r - 1` ns for `k = 1`
//!   tick, it may fire 1 ns later:
//!
//! ```text
//!   ns:    0        r        2r
//!          |--t=0---|--t=1---|
//!                  ^ ^
//!     set_rel(1) --+ +-- tick 1 starts: fires here, 1 ns after the set
//! ```
//!
//!   A caller that needs at least `d` ns of wall-clock delay sets
//!   `ns_to_ticks_ceil(d) + 1` ticks (one tick more than the rounding up).
//!
//! `ns_to_tick` runs on every set and expiry pass (the current tick), so it
//! avoids the hardware divide (20-90 cycles for 64 bits, depending on the
//! CPU): with `m = floor(2^64 / r)` precomputed, `q = (ns * m) >> 64` (one
//! 64x64->128 multiply) is `floor(ns / r)` or one less, and one compare of
//! the remainder fixes it. Proof: `m <= 2^64/r` gives `q <= ns/r`, and
//! `m > 2^64/r - 1` gives `ns*m/2^64 > ns/r - 1`; the property test below
//! checks it against `/` over the whole range.

/// Tick arithmetic for one resolution. `resolution_ns` is never 0 (checked
/// by parameter validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TickMath {
    resolution_ns: u64,
    /// `floor(2^64 / resolution_ns)`; unused (0) for a resolution of 1.
    magic: u64,
}

impl TickMath {
    /// `None` for a zero resolution.
    pub(crate) fn new(resolution_ns: u64) -> Option<Self> {
        if resolution_ns == 0 {
            return None;
        }
        let magic = if resolution_ns == 1 {
            0
        } else {
            // < 2^64 for any divisor >= 2.
            u64::try_from((1u128 << 64) / u128::from(resolution_ns)).unwrap_or(u64::MAX)
        };
        Some(TickMath {
            resolution_ns,
            magic,
        })
    }

    /// The tick containing `ns` (rounds down): `ns / resolution_ns` by
    /// multiplication (see the module docs).
    #[inline]
    pub(crate) fn ns_to_tick(self, ns: u64) -> u64 {
        let d = self.resolution_ns;
        if d == 1 {
            return ns;
        }
        let q = ((u128::from(ns) * u128::from(self.magic)) >> 64) as u64;
        // q <= ns / d, so q * d <= ns: no overflow, no underflow.
        let rem = ns - q * d;
        if rem >= d {
            q + 1
        } else {
            q
        }
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
    fn powers_of_two_and_neighbours_divide_exactly() {
        for shift in 1..64 {
            for r in [(1u64 << shift) - 1, 1u64 << shift, (1u64 << shift) + 1] {
                let m = TickMath::new(r).unwrap();
                for ns in [0, 1, r - 1, r, r + 1, u64::MAX, u64::MAX - 1, u64::MAX / 2] {
                    assert_eq!(m.ns_to_tick(ns), ns / r, "r={r} ns={ns}");
                }
            }
        }
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

    /// `default` cases, or `PROPTEST_CASES` when it is set (a soak run with
    /// more cases than CI's; `ProptestConfig::with_cases` alone ignores the
    /// variable).
    fn cases(default: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { cases(4096) }))]
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
        fn multiply_divide_matches_division(r in 1u64.., ns in any::<u64>()) {
            let m = TickMath::new(r).unwrap();
            prop_assert_eq!(m.ns_to_tick(ns), ns / r);
        }

        #[test]
        fn multiply_divide_small_divisors_and_edges(r in 1u64..5_000_000, k in any::<u64>(), d in 0u64..3) {
            // Values at and around multiples of r, where the correction
            // step matters.
            let m = TickMath::new(r).unwrap();
            let base = (k % (u64::MAX / r)) * r;
            for ns in [base.saturating_sub(d), base, base.saturating_add(d), u64::MAX - d] {
                prop_assert_eq!(m.ns_to_tick(ns), ns / r);
            }
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
