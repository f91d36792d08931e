//! W3 expire-all: arm `timers` (1,000,000) at random deadlines in
//! [1, 2^20] ticks (untimed), then (timed) repeatedly advance to
//! `next_deadline()` until nothing is armed, so each structure jumps over
//! empty stretches as well as it can. ns/op = time / expired timers.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;

/// Deadlines are uniform in `[1, MAX_DEADLINE]` ticks.
pub const MAX_DEADLINE: u64 = 1 << 20;

/// W3 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Timers armed.
    pub timers: usize,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// `timers` timers.
    pub fn new(timers: usize) -> Self {
        Params {
            timers,
            seed: super::SEED,
        }
    }
}

/// Arms the timers (untimed).
pub fn setup<Q: TimerQueue>(q: &mut Q, p: Params) {
    q.scope(|q| {
        let mut rng = SmallRng::seed_from_u64(p.seed);
        for id in 0..p.timers as u64 {
            q.insert(rng.random_range(1..=MAX_DEADLINE), id);
        }
    })
}

/// Expires everything (timed). ops = expiries.
// Never inlined: profilers find the timed phase by this symbol
// (`valgrind --tool=callgrind --toggle-collect='*workloads::w3::run*'`).
#[inline(never)]
pub fn run<Q: TimerQueue>(q: &mut Q) -> Result<Digest, CheckError> {
    q.scope(|q| {
        let mut c = Checker::new(q.name(), q.resolution());
        drain(q, &mut c, 0)?;
        let n = c.digest().expiries;
        c.ops(n);
        Ok(c.digest())
    })
}

/// Advances `q` from tick `now` to each `next_deadline()` until nothing
/// is armed, each batch checked by `c`; returns the last tick reached.
#[inline]
pub(crate) fn drain<Q: TimerQueue>(
    q: &mut Q,
    c: &mut Checker,
    mut now: u64,
) -> Result<u64, CheckError> {
    let mut batch = Vec::new();
    let mut idle = 0u32;
    while let Some(next) = q.next_deadline() {
        let to = next.max(now);
        batch.clear();
        q.advance(to, &mut batch);
        c.batch(to, &mut batch)?;
        if batch.is_empty() && to == now {
            idle += 1;
            if idle > 64 {
                return Err(CheckError::Stuck {
                    imp: q.name(),
                    at: now,
                });
            }
        } else {
            idle = 0;
        }
        now = to;
    }
    if !q.is_empty() {
        return Err(CheckError::Bookkeeping {
            imp: q.name(),
            what: format!("next_deadline() is None with {} armed", q.len()),
        });
    }
    Ok(now)
}

/// Setup + run (tests, cross-checks).
pub fn digest<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    setup(q, p);
    run(q)
}
