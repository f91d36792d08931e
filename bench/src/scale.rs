//! Workload sizes for each run mode.
//!
//! | mode | W1 timers / resets per tick / timed ticks | W2 pairs | W3 timers | W4 virtual time | shapes `n` | crossover W1 timers / ticks | W5 |
//! |---|---|---|---|---|---|---|---|
//! | `full` (WORKLOADS.md) | 400,000 / 2,400 / 2,000 | 1,000,000 | 1,000,000 | 1 s | 1,000,000 | 400,000 / 2,000 | 2 s |
//! | default (report) | 400,000 / 2,400 / 250 | 200,000 | 250,000 | 100 ms | 250,000 | 100,000 / 250 | 2 s |
//! | `quick` | 40,000 / 240 / 250 | 20,000 | 25,000 | 10 ms | 25,000 | 20,000 / 125 | 0.3 s |
//!
//! The default mode keeps W1's population (cache behaviour is the point of
//! W1) and shortens the run; W2 keeps both P values (1,000 and 1,000,000
//! outstanding, the structure size is the point) and does fewer pairs; W3
//! and W4 shrink. `HRWHEEL_BENCH_SCALE=f` multiplies the sizes the criterion
//! benches use (full sizes by default).

use crate::workloads::{w1, w3, w4};

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// About 10× smaller than the default (< 30 s report).
    Quick,
    /// The report's default (≈ 2 min on 2 cores).
    Default,
    /// WORKLOADS.md sizes.
    Full,
}

/// All workload parameters for one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizes {
    /// W1 churn.
    pub w1: w1::Params,
    /// W2 outstanding timer counts (P).
    pub w2_outstanding: [usize; 2],
    /// W2 timed pairs per run.
    pub w2_pairs: u64,
    /// W3 expire-all.
    pub w3: w3::Params,
    /// W4 precise periodic.
    pub w4: w4::Params,
    /// Size `n` of the extra expiry-heavy shapes (`workloads::shapes`).
    pub shapes_n: usize,
    /// The base W1 instance of the crossover sweep.
    pub crossover: w1::Params,
    /// W5 real-time run length, ms.
    pub w5_ms: u64,
    /// Timed runs per implementation (median taken).
    pub runs: usize,
}

impl Sizes {
    /// The sizes of `mode`.
    pub fn of(mode: Mode) -> Self {
        match mode {
            Mode::Full => Sizes {
                w1: w1::Params::reference(),
                w2_outstanding: [1_000, 1_000_000],
                w2_pairs: 1_000_000,
                w3: w3::Params::new(1_000_000),
                w4: w4::Params::reference(),
                shapes_n: 1_000_000,
                crossover: w1::Params::reference(),
                w5_ms: 2_000,
                runs: 3,
            },
            Mode::Default => Sizes {
                w1: w1::Params::scaled(1.0, 0.125),
                w2_outstanding: [1_000, 1_000_000],
                w2_pairs: 200_000,
                w3: w3::Params::new(250_000),
                w4: w4::Params::scaled(0.1),
                shapes_n: 250_000,
                crossover: w1::Params::scaled(0.25, 0.125),
                w5_ms: 2_000,
                runs: 3,
            },
            Mode::Quick => Sizes {
                w1: w1::Params::scaled(0.1, 0.125),
                w2_outstanding: [1_000, 1_000_000],
                w2_pairs: 20_000,
                w3: w3::Params::new(25_000),
                w4: w4::Params::scaled(0.01),
                shapes_n: 25_000,
                crossover: w1::Params::scaled(0.05, 0.0625),
                w5_ms: 300,
                runs: 3,
            },
        }
    }

    /// Full sizes multiplied by `f` (criterion benches).
    pub fn scaled(f: f64) -> Self {
        let full = Self::of(Mode::Full);
        let f = f.clamp(1e-4, 1.0);
        Sizes {
            w1: w1::Params::scaled(f, f.sqrt()),
            w2_outstanding: full.w2_outstanding,
            w2_pairs: ((full.w2_pairs as f64 * f) as u64).max(1_000),
            w3: w3::Params::new(((full.w3.timers as f64 * f) as usize).max(1_000)),
            w4: w4::Params::scaled(f),
            shapes_n: ((full.shapes_n as f64 * f) as usize).max(1_000),
            crossover: w1::Params::scaled(f, f.sqrt()),
            w5_ms: ((full.w5_ms as f64 * f) as u64).max(100),
            runs: full.runs,
        }
    }

    /// `HRWHEEL_BENCH_SCALE` (default 1.0, i.e. full sizes).
    pub fn from_env() -> Self {
        Self::scaled(env_scale())
    }
}

/// The factor in `HRWHEEL_BENCH_SCALE`, 1.0 if unset or not a number in
/// (0, 1].
pub fn env_scale() -> f64 {
    std::env::var("HRWHEEL_BENCH_SCALE")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|f| *f > 0.0 && *f <= 1.0)
        .unwrap_or(1.0)
}
