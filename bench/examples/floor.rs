//! Floors: the W2 and W3 drivers on structures that do less than any timer
//! queue can, beside the report's best baselines and the wheel, in one
//! process (runs alternated, medians; thread CPU time):
//!
//! ```text
//! cargo run --release -p hrwheel-bench --example floor
//! ```
//!
//! - **W2, `slab`**: insert stores `(deadline, id)` in a free-listed slot,
//!   cancel frees it; no order is kept at all. What is left is the driver
//!   (random deadline, ids, the cancel check) and a keyed store: no timer
//!   structure that can cancel by key does less.
//! - **W3, `driver`**: the timers sorted before the clock starts; the timed
//!   phase only walks the array: the driver and the order check alone.
//! - **W3, `radix` / `sort`**: every deadline known up front, sorted once
//!   (an LSD radix sort of the 20-bit deadlines, or `sort_unstable`) at the
//!   first `next_deadline()`, then walked. An *offline* sort: a queue that
//!   accepts timers one by one and must answer `next_deadline()` at any
//!   moment does at least the work of ordering them.
//!
//! The issue's targets read against these: W2 at 0.33× the best baseline
//! and W3 at 0.5× `BTreeMap` (see `docs/report/measurements.md`, "Floors").

use hrwheel_bench::adapters::WheelAdapter;
use hrwheel_bench::baselines::{LazyHeap, TreeQueue};
use hrwheel_bench::scale::{Mode, Sizes};
use hrwheel_bench::workloads::{w2, w3};
use hrwheel_bench::TimerQueue;

/// A keyed store with no order: W2's floor.
struct Slab {
    v: Vec<(u64, u64, bool)>,
    free: Vec<u32>,
    live: usize,
}

impl Slab {
    fn new() -> Self {
        Slab {
            v: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl TimerQueue for Slab {
    type Key = u32;

    fn name(&self) -> &'static str {
        "slab"
    }

    #[inline]
    fn insert(&mut self, deadline: u64, id: u64) -> u32 {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                self.v[i as usize] = (deadline, id, true);
                i
            }
            None => {
                self.v.push((deadline, id, true));
                (self.v.len() - 1) as u32
            }
        }
    }

    #[inline]
    fn cancel(&mut self, k: u32) -> bool {
        let e = &mut self.v[k as usize];
        if !e.2 {
            return false;
        }
        e.2 = false;
        self.live -= 1;
        self.free.push(k);
        true
    }

    fn reset(&mut self, k: u32, deadline: u64) -> Option<u32> {
        let e = self.v.get_mut(k as usize).filter(|e| e.2)?;
        e.0 = deadline;
        Some(k)
    }

    /// Untimed (W2's final sweep): a scan, sorted.
    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        let start = out.len();
        for (i, e) in self.v.iter_mut().enumerate() {
            if e.2 && e.0 <= to {
                e.2 = false;
                out.push((e.0, e.1));
                self.free.push(i as u32);
                self.live -= 1;
            }
        }
        out[start..].sort_unstable();
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.v.iter().filter(|e| e.2).map(|e| e.0).min()
    }

    fn len(&self) -> usize {
        self.live
    }
}

/// How [`Offline`] orders its timers.
#[derive(Clone, Copy, PartialEq)]
enum Sort {
    /// Sorted before the timed phase (the driver's own cost).
    Before,
    /// LSD radix sort of the deadlines at the first `next_deadline()`.
    Radix,
    /// `sort_unstable` at the first `next_deadline()`.
    Std,
}

/// Every timer known up front, sorted once, walked in order: W3's floor.
struct Offline {
    v: Vec<(u64, u64)>,
    pos: usize,
    sorted: bool,
    how: Sort,
}

impl Offline {
    fn new(n: usize, how: Sort) -> Self {
        Offline {
            v: Vec::with_capacity(n),
            pos: 0,
            sorted: false,
            how,
        }
    }

    fn sort(&mut self) {
        match self.how {
            Sort::Std | Sort::Before => self.v.sort_unstable(),
            Sort::Radix => radix(&mut self.v),
        }
        self.sorted = true;
    }
}

/// Stable LSD radix sort by deadline (< 2^22), 11 bits a pass: ids keep
/// their insertion order among equal deadlines, as the wheel's do.
fn radix(v: &mut Vec<(u64, u64)>) {
    const BITS: u32 = 11;
    let mut tmp = vec![(0u64, 0u64); v.len()];
    for pass in 0..2 {
        let shift = pass * BITS;
        let mut count = vec![0usize; 1 << BITS];
        for e in v.iter() {
            count[((e.0 >> shift) & ((1 << BITS) - 1)) as usize] += 1;
        }
        let mut sum = 0;
        for c in count.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        for &e in v.iter() {
            let d = ((e.0 >> shift) & ((1 << BITS) - 1)) as usize;
            tmp[count[d]] = e;
            count[d] += 1;
        }
        std::mem::swap(v, &mut tmp);
    }
}

impl TimerQueue for Offline {
    type Key = u32;

    fn name(&self) -> &'static str {
        "offline"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> u32 {
        assert!(deadline < 1 << 22, "radix sorts 22 bits");
        self.v.push((deadline, id));
        self.sorted = false;
        0
    }

    fn cancel(&mut self, _: u32) -> bool {
        false
    }

    fn reset(&mut self, _: u32, _: u64) -> Option<u32> {
        None
    }

    #[inline]
    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        while let Some(&e) = self.v.get(self.pos) {
            if e.0 > to {
                break;
            }
            out.push(e);
            self.pos += 1;
        }
    }

    #[inline]
    fn next_deadline(&mut self) -> Option<u64> {
        if !self.sorted {
            self.sort();
        }
        self.v.get(self.pos).map(|e| e.0)
    }

    fn len(&self) -> usize {
        self.v.len() - self.pos
    }
}

fn timed<R>(f: impl FnOnce() -> R) -> (R, f64) {
    let t = cpu_time::ThreadTime::now();
    let r = f();
    (r, t.elapsed().as_nanos() as f64)
}

fn w2_ns<Q: TimerQueue>(mut q: Q, p: w2::Params) -> f64 {
    let mut st = w2::setup(&mut q, p);
    let (r, ns) = timed(|| w2::run(&mut q, &mut st));
    r.expect("W2 ran");
    w2::finish(&mut q, &st).expect("W2 checked");
    ns / p.pairs as f64
}

fn w3_ns<Q: TimerQueue>(mut q: Q, p: w3::Params) -> f64 {
    w3::setup(&mut q, p);
    let (r, ns) = timed(|| w3::run(&mut q));
    ns / r.expect("W3 checked").expiries as f64
}

fn w3_presorted(p: w3::Params) -> f64 {
    let mut q = Offline::new(p.timers, Sort::Before);
    w3::setup(&mut q, p);
    q.sort();
    let (r, ns) = timed(|| w3::run(&mut q));
    ns / r.expect("W3 checked").expiries as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs each of `f`'s `k` structures `runs` times, the order rotated each
/// run; returns each one's median.
fn alternate(k: usize, runs: usize, mut f: impl FnMut(usize) -> f64) -> Vec<f64> {
    let mut s = vec![Vec::new(); k];
    for r in 0..runs {
        for j in 0..k {
            let i = (j + r) % k;
            s[i].push(f(i));
        }
    }
    s.into_iter().map(median).collect()
}

fn main() {
    let sizes = Sizes::of(Mode::Default);
    let runs = 7;
    for &p in &sizes.w2_outstanding {
        let params = w2::Params::new(p, sizes.w2_pairs);
        let m = alternate(3, runs, |i| match i {
            0 => w2_ns(Slab::new(), params),
            1 => w2_ns(LazyHeap::with_capacity(p + 1), params),
            _ => w2_ns(WheelAdapter::with_capacity(p + 1), params),
        });
        println!(
            "W2 P = {p}: slab {:.1} ns, BinaryHeap {:.1}, Wheel {:.1} per pair; \
             slab / heap {:.2}, wheel / heap {:.2}, the 0.33 target {:.1} ns",
            m[0],
            m[1],
            m[2],
            m[0] / m[1],
            m[2] / m[1],
            m[1] * 0.33
        );
    }
    let params = sizes.w3;
    let m = alternate(5, runs.min(5), |i| match i {
        0 => w3_presorted(params),
        1 => w3_ns(Offline::new(params.timers, Sort::Radix), params),
        2 => w3_ns(Offline::new(params.timers, Sort::Std), params),
        3 => w3_ns(TreeQueue::new(), params),
        _ => w3_ns(WheelAdapter::with_capacity(params.timers), params),
    });
    println!(
        "W3 n = {}: driver {:.1} ns, radix {:.1}, sort {:.1}, BTreeMap {:.1}, Wheel {:.1} per \
         expired timer; / BTreeMap: driver {:.2}, radix {:.2}, sort {:.2}, wheel {:.2}, the 0.5 \
         target {:.1} ns",
        params.timers,
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[0] / m[3],
        m[1] / m[3],
        m[2] / m[3],
        m[4] / m[3],
        m[3] * 0.5
    );
}
