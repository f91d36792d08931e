//! W4 precise periodic: `timers` (10,000) periodic timers with nanosecond
//! deadlines, periods uniform in [10 µs, 10 ms], each starting at a random
//! phase in (0, period]; advance virtual time to the next deadline, expire,
//! re-arm at `deadline + period` (drift-free), for 1 s of virtual time
//! (about 6.9 million expiries). ns/op = time / expiries (each expiry
//! includes its re-arm).
//!
//! Coarse structures take part too (the wheel at 1 µs ticks, DelayQueue at
//! 1 ms): they fire up to one granule late, but re-arm from the exact
//! deadline, so the set of `(deadline, id)` fired within the second, and so
//! the digest, must still match the exact structures'.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;

/// W4 parameters (all times in ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Periodic timers.
    pub timers: usize,
    /// Shortest period.
    pub min_period: u64,
    /// Longest period.
    pub max_period: u64,
    /// Virtual time simulated.
    pub duration: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// The WORKLOADS.md sizes.
    pub fn reference() -> Self {
        Params {
            timers: 10_000,
            min_period: 10_000,
            max_period: 10_000_000,
            duration: 1_000_000_000,
            seed: super::SEED,
        }
    }

    /// Virtual duration multiplied by `f`, rounded to whole milliseconds so
    /// that 1 ms structures see the same end (the timer population is kept).
    pub fn scaled(f: f64) -> Self {
        let r = Self::reference();
        let ms = ((r.duration as f64 * f / 1e6).round() as u64).max(10);
        Params {
            duration: ms * 1_000_000,
            ..r
        }
    }

    /// `(first deadline, period)` of every timer, by id.
    pub fn schedule(&self) -> Vec<(u64, u64)> {
        let mut rng = SmallRng::seed_from_u64(self.seed);
        (0..self.timers)
            .map(|_| {
                let period = rng.random_range(self.min_period..=self.max_period);
                (rng.random_range(1..=period), period)
            })
            .collect()
    }
}

/// Arms every timer at its first deadline (untimed); returns the periods.
pub fn setup<Q: TimerQueue>(q: &mut Q, p: Params) -> Vec<u64> {
    q.scope(|q| {
        p.schedule()
            .into_iter()
            .enumerate()
            .map(|(id, (first, period))| {
                q.insert(first, id as u64);
                period
            })
            .collect()
    })
}

/// Runs the virtual second (timed). ops = expiries.
// Never inlined: profilers find the timed phase by this symbol
// (`valgrind --tool=callgrind --toggle-collect='*workloads::w4::run*'`).
#[inline(never)]
pub fn run<Q: TimerQueue>(q: &mut Q, p: Params, periods: &[u64]) -> Result<Digest, CheckError> {
    q.scope(|q| {
        let mut c = Checker::new(q.name(), q.resolution());
        let mut batch = Vec::new();
        let mut now = 0u64;
        while let Some(next) = q.next_deadline() {
            if next > p.duration {
                break;
            }
            let to = next.max(now);
            batch.clear();
            q.advance(to, &mut batch);
            c.batch(to, &mut batch)?;
            for &(d, id) in &batch {
                q.insert(d + periods[id as usize], id);
            }
            now = to;
        }
        // Anything due within the second must have fired (a lower-bound
        // next_deadline may stop short).
        batch.clear();
        q.advance(p.duration, &mut batch);
        c.batch(p.duration, &mut batch)?;
        if !batch.is_empty() {
            return Err(CheckError::Bookkeeping {
                imp: q.name(),
                what: format!("{} timers due by the end were never reported", batch.len()),
            });
        }
        let n = c.digest().expiries;
        c.ops(n);
        Ok(c.digest())
    })
}

/// Setup + run (tests, cross-checks).
pub fn digest<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    let periods = setup(q, p);
    run(q, p, &periods)
}
