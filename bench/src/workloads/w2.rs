//! W2 insert-cancel: with `outstanding` timers armed at random deadlines
//! in [1, 65,536] ticks, arm one more at a random deadline in the same range
//! and cancel it at once; repeat. Time never moves during the timed part.
//! ns/op = time / pairs. The untimed `finish` then expires everything left
//! and digests it, so a structure whose cancel removed the wrong timer
//! fails the cross-check.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;

/// Deadlines are uniform in `[1, MAX_AHEAD]` ticks.
pub const MAX_AHEAD: u64 = 65_536;

/// W2 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Timers armed in the background (P).
    pub outstanding: usize,
    /// Timed insert+cancel pairs.
    pub pairs: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// P outstanding, `pairs` pairs.
    pub fn new(outstanding: usize, pairs: u64) -> Self {
        Params {
            outstanding,
            pairs,
            seed: super::SEED,
        }
    }
}

/// A W2 instance with its background timers armed.
#[derive(Debug)]
pub struct State {
    p: Params,
    rng: SmallRng,
    next_id: u64,
    pairs: u64,
}

/// Arms the `outstanding` background timers (untimed).
pub fn setup<Q: TimerQueue>(q: &mut Q, p: Params) -> State {
    q.scope(|q| {
        let mut rng = SmallRng::seed_from_u64(p.seed);
        for id in 0..p.outstanding as u64 {
            q.insert(rng.random_range(1..=MAX_AHEAD), id);
        }
        State {
            p,
            rng,
            next_id: p.outstanding as u64,
            pairs: 0,
        }
    })
}

/// `n` timed insert+cancel pairs.
pub fn pairs<Q: TimerQueue>(q: &mut Q, st: &mut State, n: u64) -> Result<(), CheckError> {
    q.scope(|q| {
        for _ in 0..n {
            let id = st.next_id;
            st.next_id += 1;
            let key = q.insert(st.rng.random_range(1..=MAX_AHEAD), id);
            if !q.cancel(key) {
                return Err(CheckError::StaleKey { imp: q.name(), id });
            }
        }
        st.pairs += n;
        Ok(())
    })
}

/// The standard timed part: `p.pairs` pairs.
// Never inlined: profilers find the timed phase by this symbol
// (`valgrind --tool=callgrind --toggle-collect='*workloads::w2::run*'`).
#[inline(never)]
pub fn run<Q: TimerQueue>(q: &mut Q, st: &mut State) -> Result<(), CheckError> {
    let n = st.p.pairs;
    pairs(q, st, n)
}

/// Untimed: expires everything still armed and digests it
/// (ops = pairs done so far).
pub fn finish<Q: TimerQueue>(q: &mut Q, st: &State) -> Result<Digest, CheckError> {
    q.scope(|q| {
        let mut c = Checker::new(q.name(), q.resolution());
        let mut batch = Vec::new();
        q.advance(MAX_AHEAD, &mut batch);
        c.batch(MAX_AHEAD, &mut batch)?;
        if !q.is_empty() || batch.iter().any(|&(_, id)| id >= st.p.outstanding as u64) {
            return Err(CheckError::Bookkeeping {
                imp: q.name(),
                what: "a cancelled timer fired or a timer was left armed".into(),
            });
        }
        c.ops(st.pairs);
        Ok(c.digest())
    })
}

/// Setup + run + finish (tests, cross-checks).
pub fn digest<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    let mut st = setup(q, p);
    run(q, &mut st)?;
    finish(q, &st)
}
