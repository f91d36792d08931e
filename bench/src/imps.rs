//! The implementations compared, and a visitor to run generic workload
//! code on each of them by name.

use crate::adapters::{CoarseWheelAdapter, HiresAdapter, WheelAdapter};
use crate::baselines::{DelayQueueAdapter, LazyHeap, TreeQueue};
use crate::queue::TimerQueue;

/// An implementation taking part in a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Imp {
    /// `hrwheel_wheel::Wheel` at the workload's tick (or 1 µs in W4).
    Wheel,
    /// `hrwheel_hires::HiresQueue` (one-shot inserts, nanoseconds).
    Hires,
    /// `BinaryHeap` with lazy cancellation.
    Heap,
    /// `BTreeMap<(deadline, seq), id>`.
    Tree,
    /// tokio-util `DelayQueue` on a paused clock.
    DelayQueue,
}

impl Imp {
    /// Every implementation, hrwheel's first.
    pub const ALL: [Imp; 5] = [
        Imp::Wheel,
        Imp::Hires,
        Imp::Heap,
        Imp::Tree,
        Imp::DelayQueue,
    ];
    /// The baselines of WORKLOADS.md.
    pub const BASELINES: [Imp; 3] = [Imp::Heap, Imp::Tree, Imp::DelayQueue];

    /// Whether this is a baseline (not hrwheel).
    pub fn is_baseline(self) -> bool {
        Self::BASELINES.contains(&self)
    }

    /// Row label; `unit_ns` is the workload unit in ns (1 for W4, 1 ms
    /// ticks otherwise), which decides the coarse structures' granularity.
    pub fn label(self, unit_ns: u64) -> String {
        match (self, unit_ns) {
            (Imp::Wheel, 1) => "hrwheel Wheel (1 µs ticks)".into(),
            (Imp::Wheel, _) => "hrwheel Wheel".into(),
            (Imp::Hires, _) => "hrwheel HiresQueue".into(),
            (Imp::Heap, _) => "BinaryHeap (lazy cancel)".into(),
            (Imp::Tree, _) => "BTreeMap".into(),
            (Imp::DelayQueue, 1) => "tokio DelayQueue (1 ms granularity)".into(),
            (Imp::DelayQueue, _) => "tokio DelayQueue".into(),
        }
    }

    /// Hands `v` a constructor of fresh, empty structures of this kind.
    /// `unit_ns` as in [`Imp::label`]; `capacity` is a sizing hint.
    pub fn visit<V: Visitor>(self, unit_ns: u64, capacity: usize, v: V) -> V::Out {
        let per = |granule_ns: u64| (granule_ns / unit_ns.max(1)).max(1);
        let (us, ms) = (per(1_000), per(1_000_000));
        match self {
            Imp::Wheel if us == 1 => v.visit(|| WheelAdapter::with_capacity(capacity)),
            Imp::Wheel => v.visit(|| CoarseWheelAdapter::with_capacity(us, capacity)),
            Imp::Hires => v.visit(|| HiresAdapter::with_capacity(capacity)),
            Imp::Heap => v.visit(|| LazyHeap::with_capacity(capacity)),
            Imp::Tree => v.visit(TreeQueue::new),
            Imp::DelayQueue => v.visit(|| DelayQueueAdapter::new(ms)),
        }
    }
}

/// Generic code to run on one implementation (see [`Imp::visit`]).
pub trait Visitor {
    /// What the visit returns.
    type Out;
    /// Runs with `make`, which builds a fresh empty structure per call.
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, make: F) -> Self::Out;
}
