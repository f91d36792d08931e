//! Timer storage records: a small *hot* node the tree links and searches,
//! and a *cold* slot with everything else.
//!
//! A tree descent touches one node per level, ~14 levels for 10,000
//! timers, each a dependent load; W4 profiles showed the descent is bound
//! by those loads missing the cache. So the node the tree walks holds only
//! what the walk needs, and the nodes of 10,000 timers take 480 KB instead
//! of ~880 KB with everything inline:
//!
//! ```text
//!   Node (hot, 48 bytes, never moves)      Slot<T> (cold, Vec by index)
//!   offset field  bytes                    soft    earliest expiry (range)
//!        0 link      32  left, right,      period  0 = one-shot
//!                        parent, colour    seq     insertion order
//!       32 hard       8  tree key          next    free / pending list
//!       40 index      4  -> Slot           state, base
//!       44 gen        4  key check        value   Option<T>
//! ```
//!
//! The tree is ordered by `hard` alone: the descent sends equal keys to the
//! right, so a new node lands after every node with the same deadline, and
//! ties fire in insertion order without a sequence number in the key. `seq`
//! (global to the queue) is kept in the slot only to merge the two clock
//! bases in insertion order when their deadlines tie.

use intrusive_collections::{intrusive_adapter, UnsafeRef};

use crate::link::Link;

use crate::base::ClockBase;

/// Index meaning "no slot" in the free and pending lists.
pub(crate) const NIL: u32 = u32::MAX;

/// Life cycle of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// On the free list; `value` is `None`.
    Free,
    /// Linked into its base's tree.
    Armed,
    /// Removed from the tree while its expire callback runs.
    Firing,
    /// Re-armed from a callback at a time already due; linked into the tree
    /// when the current `expire` call finishes (so a callback cannot make
    /// `expire` loop forever).
    Pending,
}

/// The part of a timer the tree links and compares.
pub(crate) struct Node {
    pub(crate) link: Link,
    /// Latest allowed expiry in the base's time: the tree key.
    pub(crate) hard: u64,
    /// This timer's slot index.
    pub(crate) index: u32,
    /// Bumped each time the slot is freed.
    pub(crate) gen: u32,
}

impl Node {
    pub(crate) fn vacant(index: u32) -> Self {
        Node {
            link: Link::new(),
            hard: 0,
            index,
            gen: 0,
        }
    }
}

/// The rest of a timer.
pub(crate) struct Slot<T> {
    /// Earliest allowed expiry (== `hard` except for range timers).
    pub(crate) soft: u64,
    /// 0 = one-shot.
    pub(crate) period: u64,
    /// Insertion order, global to the queue.
    pub(crate) seq: u64,
    /// Free-list / pending-list link.
    pub(crate) next: u32,
    pub(crate) state: State,
    pub(crate) base: ClockBase,
    pub(crate) value: Option<T>,
}

impl<T> Slot<T> {
    pub(crate) fn vacant(next: u32) -> Self {
        Slot {
            soft: 0,
            period: 0,
            seq: 0,
            next,
            state: State::Free,
            base: ClockBase::Monotonic,
            value: None,
        }
    }
}

intrusive_adapter!(pub(crate) NodeAdapter = UnsafeRef<Node>: Node { link => Link });
