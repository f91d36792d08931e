//! W1 churn, the ktimers profile: 1 ms ticks, 400,000 timers always armed
//! (ids `0..timers`), timeouts uniform in [400, 600] ticks; every tick
//! first fires what is due (each expired timer is re-armed at once, a new
//! connection), then resets 2,400 random timers to `now + timeout`, so about
//! 95 % of armings end in a reset rather than an expiry
//! (`(1 - 2400/400000)^500 ≈ e^-3 ≈ 5 %` expire).
//! The fill arms every timer at a deadline uniform in [1, 600] (a
//! steady-state spread: with the 400–600 timeout alone, and no resets, all
//! expiries would come in waves), then 600 untimed warm-up ticks run, after
//! which every timer has been reset or re-armed at least once; then `ticks`
//! (2,000) are timed. ns/op = time / (resets + expiries).

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;

/// W1 parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Timers armed at all times.
    pub timers: usize,
    /// Random resets per tick.
    pub resets_per_tick: usize,
    /// Shortest timeout, ticks.
    pub min_timeout: u64,
    /// Longest timeout, ticks.
    pub max_timeout: u64,
    /// Untimed ticks after the fill.
    pub warmup_ticks: u64,
    /// Timed ticks.
    pub ticks: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// The WORKLOADS.md sizes.
    pub fn reference() -> Self {
        Params {
            timers: 400_000,
            resets_per_tick: 2_400,
            min_timeout: 400,
            max_timeout: 600,
            warmup_ticks: 600,
            ticks: 2_000,
            seed: super::SEED,
        }
    }

    /// Timers and resets multiplied by `f` (same 95 % cancel fraction),
    /// ticks multiplied by `ticks_f`.
    pub fn scaled(f: f64, ticks_f: f64) -> Self {
        let r = Self::reference();
        Params {
            timers: ((r.timers as f64 * f) as usize).max(100),
            resets_per_tick: (r.resets_per_tick as f64 * f).round() as usize,
            ticks: ((r.ticks as f64 * ticks_f) as u64).max(10),
            ..r
        }
    }

    /// Probability that one arming ends in an expiry with `k` resets per
    /// tick: `E[(1 - k/timers)^T]`, `T` uniform in the timeout range.
    pub fn expiry_probability(&self, k: usize) -> f64 {
        let q = 1.0 - k as f64 / self.timers as f64;
        let n = (self.max_timeout - self.min_timeout + 1) as f64;
        (self.min_timeout..=self.max_timeout)
            .map(|t| q.powf(t as f64))
            .sum::<f64>()
            / n
    }

    /// The same workload with the reset rate chosen so that a fraction
    /// `cancelled` (0..1) of armings end in a reset (the crossover sweep).
    pub fn with_cancel_fraction(self, cancelled: f64) -> Self {
        let target = 1.0 - cancelled;
        let (mut lo, mut hi) = (0usize, self.timers);
        // expiry_probability falls as k grows: find the smallest k whose
        // expiry probability is <= target.
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.expiry_probability(mid) <= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Params {
            resets_per_tick: lo,
            ..self
        }
    }
}

/// A filled, warmed-up W1 instance (everything but the structure).
#[derive(Debug)]
pub struct State<K> {
    p: Params,
    keys: Vec<K>,
    armed: Vec<u64>,
    rng: SmallRng,
    now: u64,
    checker: Checker,
    batch: Vec<(u64, u64)>,
    resets: u64,
}

impl<K> State<K> {
    /// Resets performed in timed ticks.
    pub fn resets(&self) -> u64 {
        self.resets
    }
}

/// Fills `q` with `p.timers` timers and runs the warm-up ticks (untimed).
pub fn setup<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<State<Q::Key>, CheckError> {
    q.scope(|q| {
        let mut rng = SmallRng::seed_from_u64(p.seed);
        let mut keys = Vec::with_capacity(p.timers);
        let mut armed = Vec::with_capacity(p.timers);
        for id in 0..p.timers as u64 {
            // Spread over [1, max]: as if the population had been running
            // already, so expiries arrive at a steady rate from the start
            // instead of in one wave at 400–600.
            let d = rng.random_range(1..=p.max_timeout);
            keys.push(q.insert(d, id));
            armed.push(d);
        }
        let mut st = State {
            p,
            keys,
            armed,
            rng,
            now: 0,
            checker: Checker::new(q.name(), q.resolution()),
            batch: Vec::new(),
            resets: 0,
        };
        ticks(q, &mut st, p.warmup_ticks)?;
        // Warm-up expiries stay in the hash; ops count only timed work.
        st.resets = 0;
        Ok(st)
    })
}

/// Runs the timed ticks; returns the digest (ops = resets + expiries of
/// the timed ticks; hash over warm-up and timed expiries).
// Never inlined: profilers find the timed phase by this symbol
// (`valgrind --tool=callgrind --toggle-collect='*workloads::w1::run*'`).
#[inline(never)]
pub fn run<Q: TimerQueue>(q: &mut Q, st: &mut State<Q::Key>) -> Result<Digest, CheckError> {
    q.scope(|q| {
        let start_exp = st.checker.digest().expiries;
        let n = st.p.ticks;
        let before = st.resets;
        ticks(q, st, n)?;
        let expired = st.checker.digest().expiries - start_exp;
        st.checker.ops(st.resets - before + expired);
        Ok(st.checker.digest())
    })
}

fn ticks<Q: TimerQueue>(q: &mut Q, st: &mut State<Q::Key>, n: u64) -> Result<(), CheckError> {
    let p = st.p;
    let timers = p.timers as u64;
    for _ in 0..n {
        st.now += 1;
        let now = st.now;
        st.batch.clear();
        q.advance(now, &mut st.batch);
        st.checker.batch(now, &mut st.batch)?;
        for &(d, id) in &st.batch {
            if id >= timers || st.armed[id as usize] != d {
                return Err(CheckError::Bookkeeping {
                    imp: q.name(),
                    what: format!("fired ({d}, {id}) which is not armed at {d}"),
                });
            }
            let t = now + st.rng.random_range(p.min_timeout..=p.max_timeout);
            st.keys[id as usize] = q.insert(t, id);
            st.armed[id as usize] = t;
        }
        for _ in 0..p.resets_per_tick {
            let id = st.rng.random_range(0..timers);
            let t = now + st.rng.random_range(p.min_timeout..=p.max_timeout);
            let key = st.keys[id as usize];
            st.keys[id as usize] = q
                .reset(key, t)
                .ok_or(CheckError::StaleKey { imp: q.name(), id })?;
            st.armed[id as usize] = t;
        }
        st.resets += p.resets_per_tick as u64;
    }
    if q.len() != p.timers {
        return Err(CheckError::Bookkeeping {
            imp: q.name(),
            what: format!("{} timers armed, expected {}", q.len(), p.timers),
        });
    }
    Ok(())
}

/// Setup + run in one call (tests, cross-checks).
pub fn digest<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    let mut st = setup(q, p)?;
    run(q, &mut st)
}
