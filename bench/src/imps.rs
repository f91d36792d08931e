//! The implementations compared, and a visitor to run generic workload
//! code on each of them by name.

use crate::adapters::{CoarseWheelAdapter, HiresAdapter, WheelAdapter};
use crate::baselines::{BitWheelAdapter, DelayQueueAdapter, LazyHeap, NexusAdapter, TreeQueue};
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
    /// `bitwheel`, re-inserting timers it fires early.
    BitWheel,
    /// `nexus-timer`, re-scheduling timers it fires early.
    Nexus,
}

impl Imp {
    /// Every implementation, hrwheel's first.
    pub const ALL: [Imp; 7] = [
        Imp::Wheel,
        Imp::Hires,
        Imp::Heap,
        Imp::Tree,
        Imp::DelayQueue,
        Imp::BitWheel,
        Imp::Nexus,
    ];
    /// The baselines of WORKLOADS.md.
    pub const BASELINES: [Imp; 5] = [
        Imp::Heap,
        Imp::Tree,
        Imp::DelayQueue,
        Imp::BitWheel,
        Imp::Nexus,
    ];
    /// The published timing wheels, which may fire early as shipped (see
    /// [`Imp::visit_as_shipped`]).
    pub const PEER_WHEELS: [Imp; 2] = [Imp::BitWheel, Imp::Nexus];

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
            (Imp::BitWheel, 1) => "bitwheel (1 ms granularity)".into(),
            (Imp::BitWheel, _) => "bitwheel".into(),
            (Imp::Nexus, 1) => "nexus-timer (1 µs ticks)".into(),
            (Imp::Nexus, _) => "nexus-timer".into(),
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
            Imp::BitWheel => v.visit(|| BitWheelAdapter::exact(ms, capacity)),
            Imp::Nexus => v.visit(|| NexusAdapter::exact(unit_ns, capacity)),
        }
    }

    /// Like [`Imp::visit`], but a published wheel runs as shipped, handing
    /// on every timer it fires even before its deadline, so the workload's
    /// check can tell whether it fires early. `None` for other structures.
    pub fn visit_as_shipped<V: Visitor>(
        self,
        unit_ns: u64,
        capacity: usize,
        v: V,
    ) -> Option<V::Out> {
        let ms = (1_000_000 / unit_ns.max(1)).max(1);
        match self {
            Imp::BitWheel => Some(v.visit(|| BitWheelAdapter::as_shipped(ms, capacity))),
            Imp::Nexus => Some(v.visit(|| NexusAdapter::as_shipped(unit_ns, capacity))),
            _ => None,
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
