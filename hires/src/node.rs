//! Timer storage records: a small *hot* node the tree links and searches,
//! and a *cold* slot with everything else.
//!
//! A tree descent touches one node per level, ~14 levels for 10,000
//! timers, each a load that depends on the previous one; on W4 the descent
//! is bound by those loads missing the cache. So the node the tree walks
//! holds only what the walk and the rebalancing need, links are 32-bit
//! node ids (see [`rbtree`](crate::rbtree)) instead of pointers, and a node
//! is 32 bytes aligned to 32, so it never straddles a cache line and two
//! share one; the nodes of 10,000 timers take 320 KB:
//!
//! ```text
//!   Node (hot, 32 bytes, align 32)          Slot<T> (cold, same index)
//!   offset field   bytes                    soft    earliest expiry (range)
//!        0 hard       8  tree key           period  0 = one-shot
//!        8 kids       8  left, right ids    seq     insertion order
//!       16 parent     4  id                 next    free / pending list
//!       20 gen        4  key check          state, base
//!       24 color      1  unlinked/red/black value   Option<T>
//!       25 exact      1  soft == hard
//! ```
//!
//! `exact` lets the expiry path decide whether the leftmost timer is due
//! from the hot node alone (`hard <= now`); only range timers need their
//! `soft` from the cold slot. Without it, every `expire` call read the cold
//! slot of the next timer (due or not), which is usually a cache miss.
//!
//! The descent reads `hard` and both children (one 8-byte word) from the
//! same 16 bytes and picks the child with a conditional move, rather than
//! a branch or a second load addressed by the comparison (see
//! `rbtree::insert`).
//!
//! Everything else reads and writes one child at a time, as a 4-byte load
//! or store of its half of the word ([`Node::child`],
//! [`Node::set_child`]). The rebalancing often reads a node's children
//! right after relinking one of them (`erase_first` relinks the parent's
//! left child, and its repair reads the parent's right child next): an
//! 8-byte load that overlaps a 4-byte store still in the store buffer
//! cannot take its value from it and waits until the store has completed,
//! while a 4-byte load of one half is either exactly the store's bytes or
//! disjoint from them. Writing the whole word instead (read, merge, write)
//! avoids the partial overlap too, but costs a load, and the compiler
//! narrows it to a 4-byte store anyway when the side is a constant. (The
//! insert repair reads a grandparent's two children as one word as well:
//! no child of that node has just been relinked, and the uncle is then
//! picked by a conditional move rather than by a second load addressed by
//! a comparison.)
//!
//! The tree is ordered by `hard` alone: the descent sends equal keys to the
//! right, so a new node lands after every node with the same deadline, and
//! ties fire in insertion order without a sequence number in the key. `seq`
//! (global to the queue) is kept in the slot only to merge the two clock
//! bases in insertion order when their deadlines tie.

use crate::base::ClockBase;

/// Index meaning "no node / no slot" in links and lists.
pub(crate) const NIL: u32 = u32::MAX;

/// A node's id (what links hold) is its index shifted left by this; the
/// node's byte offset in the node slice is `id * ID_UNIT` (see
/// [`rbtree`](crate::rbtree)).
pub(crate) const ID_SHIFT: u32 = 2;

/// Bytes per id step: `size_of::<Node>() == ID_UNIT << ID_SHIFT`. 8 is the
/// largest scale an x86-64 address can apply to an index register, so a
/// loaded id addresses its node directly.
pub(crate) const ID_UNIT: usize = 8;

/// Indices stay below this, so that ids fit in a `u32` and differ from
/// `NIL`: 2^30 - 1 timers (over a billion).
pub(crate) const MAX_INDICES: usize = (1 << (32 - ID_SHIFT)) - 1;

const _: () = assert!(core::mem::size_of::<Node>() == ID_UNIT << ID_SHIFT);

/// `Node::kids` of a node without children.
pub(crate) const NO_KIDS: u64 = u64::MAX;

/// `Node::color` of a node that is in no tree.
pub(crate) const UNLINKED: u8 = 0;
/// `Node::color` of a red node.
pub(crate) const RED: u8 = 1;
/// `Node::color` of a black node.
pub(crate) const BLACK: u8 = 2;

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
    /// Allocated, holding its value, in no tree: made by `insert_idle`,
    /// `disarm`, or an expiry that kept it (`Expired::disarm`); armed again
    /// by `arm`.
    Idle,
}

/// The part of a timer the tree links and compares.
#[repr(C, align(32))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    /// Latest allowed expiry in the base's time: the tree key.
    pub(crate) hard: u64,
    /// Left child (low half) and right child (high half) ids, `NIL` if
    /// none: one word, so the descent loads both with the key (the other
    /// readers load one half, [`child`](Self::child)).
    pub(crate) kids: u64,
    /// The parent's id, `NIL` for the root (and for unlinked nodes).
    pub(crate) parent: u32,
    /// Bumped each time the slot is freed.
    pub(crate) gen: u32,
    /// [`UNLINKED`], [`RED`] or [`BLACK`].
    pub(crate) color: u8,
    /// `true` if the earliest expiry (`Slot::soft`) equals `hard`: then
    /// whether the timer is due is decided here, without its cold slot.
    pub(crate) exact: bool,
}

impl Node {
    pub(crate) const VACANT: Node = Node {
        hard: 0,
        kids: NO_KIDS,
        parent: NIL,
        gen: 0,
        color: UNLINKED,
        exact: true,
    };

    /// Child `d` (0 = left, 1 = right), `NIL` if none: a 4-byte load of
    /// that half of `kids` alone (see the module docs).
    #[inline(always)]
    pub(crate) fn child(&self, d: usize) -> u32 {
        let half = if cfg!(target_endian = "little") {
            d & 1
        } else {
            1 - (d & 1)
        };
        let halves = core::ptr::addr_of!(self.kids).cast::<u32>();
        // SAFETY: `kids` is a `u64`, 8 bytes aligned to 8, borrowed; `half`
        // is 0 or 1, so the read is one of its two aligned 4-byte halves.
        unsafe { halves.add(half).read() }
    }

    /// Sets child `d` (0 = left, 1 = right): a 4-byte store into that half
    /// of `kids` alone (see the module docs).
    #[inline(always)]
    pub(crate) fn set_child(&mut self, d: usize, c: u32) {
        let half = if cfg!(target_endian = "little") {
            d & 1
        } else {
            1 - (d & 1)
        };
        let halves = core::ptr::addr_of_mut!(self.kids).cast::<u32>();
        // SAFETY: `kids` is a `u64`, 8 bytes aligned to 8, borrowed
        // mutably; `half` is 0 or 1, so the write is one of its two
        // aligned 4-byte halves.
        unsafe { halves.add(half).write(c) }
    }

    /// `true` while the node is in a tree.
    #[inline]
    pub(crate) fn is_linked(&self) -> bool {
        self.color != UNLINKED
    }
}

/// The rest of a timer.
#[derive(Debug)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_is_half_a_cache_line() {
        assert_eq!(core::mem::size_of::<Node>(), 32);
        assert_eq!(core::mem::align_of::<Node>(), 32);
    }
}
