//! Expiry-heavy shapes beyond W3, where a cascading wheel is most at risk
//! of losing to an ordered tree: every timer expires, none is cancelled.
//! Each arms its timers untimed, then times advancing to `next_deadline()`
//! until all have fired, exactly as W3 does ([`super::w3::run`]); ns per
//! expired timer. [`Shape::Small`] is the exception: its timers come in
//! small batches, each armed (timed) and expired before the next.
//!
//! | shape | deadlines (ticks) | what it stresses |
//! |---|---|---|
//! | [`Shape::Sparse`] | uniform in `[1, 2^35]`, `n / 10` timers (on average 2^35 · 10 / n ticks apart) | timers few and far apart: each alone in its slot, at a coarse level |
//! | [`Shape::Burst`] | all `n` at one tick, `2^20 + 12,345` | one huge burst: every cascade moves the whole burst |
//! | [`Shape::Boundary`] | `m · 64^k` and `m · 64^k ± 1`, `k` in 1..=3, `m` in 1..=63 | deadlines on level boundaries and just beside them |
//! | [`Shape::NearFar`] | half uniform in `[1, 64]`, half in `[2^20, 2^24]` | near timers firing while far ones wait at coarse levels |
//! | [`Shape::Cluster`] | uniform in `[2^30, 2^30 + 2^16)` | a far cluster (armed 12 days ahead at 1 ms ticks, firing within 66 s): one coarse slot holds them all, and the slots they cascade into hold thousands each |
//! | [`Shape::FarBurst`] | uniform in `[2^24, 2^24 + 64)` | a dense far burst (thousands of timers per tick, 4.7 hours ahead at 1 ms ticks): one coarse slot holds more than a run sorts at once, and every tick is a burst |
//! | [`Shape::Small`] | batches of [`SMALL_BATCH`] timers, each uniform in `now + [1, 4096]`; a batch is armed and expired before the next is armed | few timers at a time, everything in cache: the fixed cost of each slot visit and cascade against a tree's `log n` |

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;

/// Which shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Few timers, far apart.
    Sparse,
    /// Every timer on one deadline.
    Burst,
    /// Deadlines on and beside level boundaries.
    Boundary,
    /// Half near, half far.
    NearFar,
    /// Every timer in one narrow window far ahead.
    Cluster,
    /// Every timer on a few consecutive ticks far ahead.
    FarBurst,
    /// Small batches, each armed and expired before the next.
    Small,
}

/// Timers per batch of [`Shape::Small`].
pub const SMALL_BATCH: usize = 100;

impl Shape {
    /// Every shape, in report order.
    pub const ALL: [Shape; 7] = [
        Shape::Sparse,
        Shape::Burst,
        Shape::Boundary,
        Shape::NearFar,
        Shape::Cluster,
        Shape::FarBurst,
        Shape::Small,
    ];

    /// Table title.
    pub fn title(self) -> &'static str {
        match self {
            Shape::Sparse => "S1 sparse: few timers far apart",
            Shape::Burst => "S2 burst: every timer on one deadline",
            Shape::Boundary => "S3 level boundaries: deadlines on and beside 64^k multiples",
            Shape::NearFar => "S4 near/far mix",
            Shape::Cluster => "S5 far cluster: every timer in one window 2^30 ticks ahead",
            Shape::FarBurst => "S6 far burst: every timer on 64 consecutive ticks 2^24 ahead",
            Shape::Small => {
                "S7 small batches: 100 timers at a time, each batch armed (timed) then expired"
            }
        }
    }
}

/// Parameters of one shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Which shape.
    pub shape: Shape,
    /// The size `n` (see the table: Sparse arms `n / 10`; at `n / 100`,
    /// 2,500 timers at the report's default size, its timed phase lasted
    /// 0.1 ms and swung by half between runs).
    pub n: usize,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// `shape` at size `n`.
    pub fn new(shape: Shape, n: usize) -> Self {
        Params {
            shape,
            n,
            seed: super::SEED,
        }
    }

    /// Timers armed.
    pub fn timers(&self) -> usize {
        match self.shape {
            Shape::Sparse => (self.n / 10).max(1),
            _ => self.n,
        }
    }

    /// The deadline of every timer, in arming order ([`Shape::Small`]:
    /// relative to the tick its batch is armed at).
    pub fn deadlines(&self) -> impl Iterator<Item = u64> {
        let mut rng = SmallRng::seed_from_u64(self.seed);
        let shape = self.shape;
        (0..self.timers()).map(move |i| match shape {
            Shape::Sparse => rng.random_range(1..=1u64 << 35),
            Shape::Burst => (1 << 20) + 12_345,
            Shape::Boundary => {
                let k = rng.random_range(1..=3u32);
                let m = rng.random_range(1..=63u64);
                let on = m << (6 * k);
                match i % 3 {
                    0 => on,
                    1 => on - 1,
                    _ => on + 1,
                }
            }
            Shape::NearFar => {
                if i % 2 == 0 {
                    rng.random_range(1..=64)
                } else {
                    rng.random_range(1 << 20..=1u64 << 24)
                }
            }
            Shape::Cluster => (1 << 30) + rng.random_range(0..1u64 << 16),
            Shape::FarBurst => (1 << 24) + rng.random_range(0..64),
            Shape::Small => rng.random_range(1..=4096),
        })
    }
}

/// Arms the timers (untimed); nothing for [`Shape::Small`], whose
/// batches are armed by [`run`].
pub fn setup<Q: TimerQueue>(q: &mut Q, p: Params) {
    if p.shape == Shape::Small {
        return;
    }
    q.scope(|q| {
        for (id, d) in p.deadlines().enumerate() {
            q.insert(d, id as u64);
        }
    })
}

/// The timed phase: [`super::w3::run`], or for [`Shape::Small`] each
/// batch armed at the current tick and expired to the last. ops =
/// expiries.
// Never inlined, like `w3::run`: profilers find the timed phase by name.
#[inline(never)]
pub fn run<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    if p.shape != Shape::Small {
        return super::w3::run(q);
    }
    q.scope(|q| {
        let mut c = Checker::new(q.name(), q.resolution());
        let mut now = 0;
        let mut deadlines = p.deadlines().enumerate().peekable();
        while deadlines.peek().is_some() {
            for (id, d) in deadlines.by_ref().take(SMALL_BATCH) {
                q.insert(now + d, id as u64);
            }
            now = super::w3::drain(q, &mut c, now)?;
        }
        let n = c.digest().expiries;
        c.ops(n);
        Ok(c.digest())
    })
}

/// Setup + run (tests, cross-checks).
pub fn digest<Q: TimerQueue>(q: &mut Q, p: Params) -> Result<Digest, CheckError> {
    setup(q, p);
    run(q, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_draw_what_their_table_says() {
        let d: Vec<u64> = Params::new(Shape::Burst, 10).deadlines().collect();
        assert_eq!(d, vec![(1 << 20) + 12_345; 10]);
        let d: Vec<u64> = Params::new(Shape::Sparse, 1_000).deadlines().collect();
        assert_eq!(d.len(), 100);
        assert!(d.iter().all(|&x| (1..=1 << 35).contains(&x)));
        let d: Vec<u64> = Params::new(Shape::Boundary, 300).deadlines().collect();
        assert!(d.iter().step_by(3).all(|&x| x % 64 == 0));
        assert!(d.iter().skip(1).step_by(3).all(|&x| x % 64 == 63));
        let d: Vec<u64> = Params::new(Shape::NearFar, 100).deadlines().collect();
        assert!(d.iter().step_by(2).all(|&x| x <= 64));
        assert!(d.iter().skip(1).step_by(2).all(|&x| x >= 1 << 20));
        let d: Vec<u64> = Params::new(Shape::Cluster, 100).deadlines().collect();
        assert!(d
            .iter()
            .all(|&x| (1 << 30..(1 << 30) + (1 << 16)).contains(&x)));
        let d: Vec<u64> = Params::new(Shape::FarBurst, 1_000).deadlines().collect();
        assert!(d.iter().all(|&x| (1 << 24..(1 << 24) + 64).contains(&x)));
        assert!(d.contains(&(1 << 24)) && d.contains(&((1 << 24) + 63)));
        let d: Vec<u64> = Params::new(Shape::Small, 1_000).deadlines().collect();
        assert!(d.iter().all(|&x| (1..=4096).contains(&x)));
    }

    #[test]
    fn small_batches_fire_every_timer_once_on_every_structure() {
        let p = Params::new(Shape::Small, 1_050); // 10 full batches and a part
        let mut heap = crate::baselines::LazyHeap::new();
        let mut tree = crate::baselines::TreeQueue::new();
        let (a, b) = (digest(&mut heap, p).unwrap(), digest(&mut tree, p).unwrap());
        assert_eq!(a.expiries, 1_050);
        assert_eq!(a, b);
    }
}
