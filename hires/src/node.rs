//! The timer node: one intrusive red-black tree link plus the timer's
//! schedule and value.
//!
//! ```text
//!   offset  field    bytes  role
//!        0  link        24  rbtree parent+colour, left, right
//!       24  hard         8  tree key: latest allowed expiry (ns, own base)
//!       32  seq          8  tree key tie-break: insertion order
//!       40  soft         8  earliest allowed expiry (== hard unless a range)
//!       48  period       8  0 = one-shot
//!       56  gen          4  bumped when the slot is freed
//!       60  next         4  free-list / pending-list index
//!       64  index        4  own slot index (for handles built from the tree)
//!       68  state, base  2
//!       72  value        T  (Option<T>)
//! ```
//!
//! The key fields sit next to the link so a tree descent touches one cache
//! line per node. Nodes never move (see [`arena`](crate::arena)), which is
//! what an intrusive tree needs.

use intrusive_collections::{intrusive_adapter, KeyAdapter, RBTreeLink, UnsafeRef};

use crate::base::ClockBase;

/// Index meaning "no node" in the free and pending lists.
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

pub(crate) struct Node<T> {
    pub(crate) link: RBTreeLink,
    pub(crate) hard: u64,
    pub(crate) seq: u64,
    pub(crate) soft: u64,
    pub(crate) period: u64,
    pub(crate) gen: u32,
    pub(crate) next: u32,
    pub(crate) index: u32,
    pub(crate) state: State,
    pub(crate) base: ClockBase,
    pub(crate) value: Option<T>,
}

impl<T> Node<T> {
    pub(crate) fn vacant(index: u32, next: u32) -> Self {
        Node {
            link: RBTreeLink::new(),
            hard: 0,
            seq: 0,
            soft: 0,
            period: 0,
            gen: 0,
            next,
            index,
            state: State::Free,
            base: ClockBase::Monotonic,
            value: None,
        }
    }

    /// Slack of a range timer (`latest - earliest`), 0 for exact timers.
    #[inline]
    pub(crate) fn slack(&self) -> u64 {
        self.hard - self.soft
    }
}

intrusive_adapter!(pub(crate) NodeAdapter<T> = UnsafeRef<Node<T>>: Node<T> { link: RBTreeLink });

impl<'a, T> KeyAdapter<'a> for NodeAdapter<T> {
    type Key = (u64, u64);

    #[inline]
    fn get_key(&self, node: &'a Node<T>) -> (u64, u64) {
        (node.hard, node.seq)
    }
}
