//! The ktimers crossover: W1 churn swept over the fraction of armings that
//! end in a cancel (reset) rather than an expiry: 0 %, 50 %, 80 %, 95 %,
//! 99 %.
//!
//! The reset rate `k` per tick is chosen so that
//! `1 - E[(1 - k/timers)^T] = fraction` (`T` uniform in [400, 600]), see
//! [`w1::Params::with_cancel_fraction`]; the fraction actually measured
//! (`resets / (resets + expiries)` over the timed ticks) is reported beside
//! it. At 0 % every timer expires: a tree pays O(log n) per expiry and the
//! wheel pays its cascades. As the cancelled share grows the wheel's O(1)
//! cancel wins more; where exactly the lines cross is what this measures.

use super::w1;

/// The swept cancelled fractions.
pub const FRACTIONS: [f64; 5] = [0.0, 0.5, 0.8, 0.95, 0.99];

/// W1 at each swept fraction, derived from `base`.
pub fn params(base: w1::Params) -> Vec<(f64, w1::Params)> {
    FRACTIONS
        .iter()
        .map(|&f| (f, base.with_cancel_fraction(f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_rate_gives_95_percent() {
        let p = w1::Params::reference();
        // WORKLOADS.md's 2,400 resets per tick is "about 95 %".
        let f = 1.0 - p.expiry_probability(p.resets_per_tick);
        assert!((0.94..0.96).contains(&f), "{f}");
        let swept = params(p);
        assert_eq!(swept[0].1.resets_per_tick, 0);
        let k95 = swept[3].1.resets_per_tick;
        assert!((2_300..2_500).contains(&k95), "{k95}");
        // Monotone in the fraction.
        assert!(swept
            .windows(2)
            .all(|w| w[0].1.resets_per_tick < w[1].1.resets_per_tick));
    }
}
