//! Clock bases: one tree per clock, each with its leftmost node cached.
//!
//! As in Linux (`struct hrtimer_clock_base`), every clock has its own tree
//! and deadlines are stored in that clock's time. Realtime is defined as
//! `realtime = monotonic + offset`; `clock_was_set` only changes `offset`,
//! in O(1), without touching a single timer. Realtime timers are compared
//! against `now + offset` when the queue expires, so stepping the clock
//! forward makes the due ones fire at the next `expire`, and stepping it
//! backward delays them. Relative timers live on the monotonic base (as
//! `hrtimer_init()` moves relative `CLOCK_REALTIME` timers to
//! `CLOCK_MONOTONIC`), so clock steps never affect them.
//!
//! Realtime is kept within `u64`: while realtime is below 0 (monotonic now
//! `< -offset`) no realtime timer is due; a realtime now beyond `u64::MAX`
//! reads as `u64::MAX`; a realtime deadline that passed before monotonic 0
//! converts to monotonic 0, and one whose monotonic equivalent is beyond
//! `u64::MAX` converts to `u64::MAX` (it fires when realtime reaches it,
//! which for a positive offset may be before monotonic `u64::MAX`).
//!
//! Finding the first node of a red-black tree is O(log n); hrtimers cache
//! the leftmost node (`timerqueue_head.rb_root_cached`) because it is needed
//! on every interrupt. `Base::first` is that cache, kept exact by `insert`
//! (the descent never turned right: the new node is the leftmost) and
//! `remove` (a removed leftmost node's successor is the new leftmost).

use crate::node::{Node, ID_SHIFT, NIL};
use crate::rbtree;

/// The clock a timer's deadline is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClockBase {
    /// Monotonic nanoseconds: the `now` passed to
    /// [`HiresQueue::expire`](crate::HiresQueue::expire).
    #[default]
    Monotonic,
    /// Wall-clock nanoseconds, `monotonic + offset`; the offset is changed
    /// by [`HiresQueue::clock_was_set`](crate::HiresQueue::clock_was_set).
    Realtime,
}

impl ClockBase {
    #[inline]
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// This base's time when the monotonic clock reads `mono`; `None`
    /// before the base's epoch (realtime < 0), clamped at `u64::MAX`.
    #[inline]
    pub(crate) fn now(self, mono: u64, offset: i64) -> Option<u64> {
        match self {
            ClockBase::Monotonic => Some(mono),
            ClockBase::Realtime => {
                let t = mono as i128 + offset as i128;
                (t >= 0).then(|| clamp(t))
            }
        }
    }

    /// Monotonic time at which this base reads `t`, exact (may be negative
    /// or beyond `u64::MAX`): used to merge the bases in order.
    #[inline]
    pub(crate) fn to_monotonic_exact(self, t: u64, offset: i64) -> i128 {
        match self {
            ClockBase::Monotonic => t as i128,
            ClockBase::Realtime => t as i128 - offset as i128,
        }
    }
}

/// Clamps an exact time into `0..=u64::MAX`.
#[inline]
pub(crate) fn clamp(v: i128) -> u64 {
    v.clamp(0, u64::MAX as i128) as u64
}

/// One clock's timers: a red-black tree ordered by `hard` (ties in
/// insertion order) over the arena's nodes, plus its leftmost node.
///
/// The tree's nodes live in the arena's node slice, which every operation
/// takes as an argument; a base only holds the ids (see
/// [`rbtree`]) of its root and its leftmost node. Its
/// methods take and return arena indices; an index handed in is checked
/// against the slice, which (with links only ever holding ids of linked
/// nodes) keeps every id the tree code follows in range.
#[derive(Debug)]
pub(crate) struct Base {
    root: u32,
    first: u32,
}

/// The id of node `index` of `n`; panics if there is no such node.
#[inline(always)]
fn id_of(n: &[Node], index: u32) -> u32 {
    assert!((index as usize) < n.len(), "node index out of range");
    index << ID_SHIFT
}

impl Base {
    pub(crate) fn new() -> Self {
        Base {
            root: NIL,
            first: NIL,
        }
    }

    /// The node that expires first, O(1). Like every node linked into the
    /// tree, it is below the length of the node slice the tree links (and
    /// so below the arena's capacity).
    #[inline]
    pub(crate) fn first(&self) -> Option<u32> {
        (self.first != NIL).then_some(self.first >> ID_SHIFT)
    }

    /// Links node `index` (unlinked, key already set) into the tree, after
    /// every node with the same deadline (see [`rbtree::insert`]).
    #[inline(always)]
    pub(crate) fn insert(&mut self, n: &mut [Node], index: u32) {
        let x = id_of(n, index);
        // The new node is the leftmost iff it sorts before the old one (it
        // goes after equal keys).
        if self.first == NIL || rbtree::key(n, x) < rbtree::key(n, self.first) {
            self.first = x;
        }
        rbtree::insert(n, &mut self.root, x);
    }

    /// Unlinks node `index`, which must be linked into this tree.
    #[inline]
    pub(crate) fn remove(&mut self, n: &mut [Node], index: u32) {
        let x = id_of(n, index);
        if self.first == x {
            self.first = rbtree::next(n, x);
        }
        rbtree::erase(n, &mut self.root, x);
    }

    /// Unlinks the leftmost node (there must be one) and returns its index.
    #[inline]
    pub(crate) fn remove_first(&mut self, n: &mut [Node]) -> u32 {
        let x = self.first;
        assert!(x != NIL, "remove_first on an empty tree");
        self.first = rbtree::erase_first(n, &mut self.root, x);
        x >> ID_SHIFT
    }

    /// Checks the tree and the leftmost cache; returns `(hard, index)` in
    /// order (tests only).
    #[cfg(test)]
    pub(crate) fn validate(&self, n: &[Node]) -> Vec<(u64, u32)> {
        let order = rbtree::validate(n, self.root);
        assert_eq!(
            order.first().map_or(NIL, |e| e.1),
            self.first,
            "leftmost cache"
        );
        order
            .into_iter()
            .map(|(k, id)| (k, id >> ID_SHIFT))
            .collect()
    }
}
