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
//! The intrusive `RBTree` finds its first node in O(log n); hrtimers cache
//! the leftmost node (`timerqueue_head.rb_root_cached`) because it is needed
//! on every interrupt. `Base::first` is that cache, kept exact by `insert`
//! (compare with the cached key) and `remove` (the successor of a removed
//! leftmost node is the new leftmost, which the removing cursor already
//! points at).

use core::ptr::NonNull;

use intrusive_collections::rbtree::RBTreeOps;
use intrusive_collections::{Adapter, RBTree, UnsafeRef};

use crate::link::{Link, TreeOps};

use crate::node::{Node, NodeAdapter};

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

/// One clock's timers: a tree ordered by `hard` (ties in insertion order)
/// plus its leftmost node.
///
/// Insertion does its own descent instead of `RBTree::insert` (which needs
/// a key type and would order equal keys by its own rule): the new node's
/// deadline is compared with each node on the way down, going left only if
/// it is strictly smaller, so it lands after every equal deadline. It is
/// then linked as the found leaf's left or right child with
/// `CursorMut::insert_before` / `insert_after`, which rebalance as usual.
/// The descent starts at the root, which `RBTree` does not expose: `root`
/// caches a node of the tree, and walking up its parent links yields the
/// root (normally zero steps; a few after a rotation at the top).
pub(crate) struct Base {
    tree: RBTree<NodeAdapter>,
    first: Option<NonNull<Node>>,
    /// Some node linked into `tree` (usually its root); `None` iff empty.
    root: Option<NonNull<Link>>,
}

/// The node's hard deadline, its key in the tree.
///
/// # Safety
/// `ptr` must point to a live arena node (linked or not) that nothing is
/// writing to at the same time.
#[inline]
unsafe fn hard(ptr: NonNull<Node>) -> u64 {
    // SAFETY: `ptr` is a live node (caller's contract); a plain field is
    // read.
    unsafe { (*ptr.as_ptr()).hard }
}

/// The node's tree link, as a pointer with the node's provenance.
///
/// # Safety
/// `ptr` must point to a live arena node.
#[inline]
unsafe fn link_of(ptr: NonNull<Node>) -> NonNull<Link> {
    // SAFETY: field projection of a live node pointer (caller's contract),
    // without creating a reference, so the pointer keeps the arena's
    // provenance; a field of a non-null pointer is non-null.
    unsafe { NonNull::new_unchecked(core::ptr::addr_of_mut!((*ptr.as_ptr()).link)) }
}

impl Base {
    pub(crate) fn new() -> Self {
        Base {
            tree: RBTree::new(NodeAdapter::new()),
            first: None,
            root: None,
        }
    }

    /// The node that expires first, O(1).
    #[inline]
    pub(crate) fn first(&self) -> Option<NonNull<Node>> {
        self.first
    }

    /// Links `ptr` into the tree, after every node with the same deadline.
    ///
    /// # Safety
    /// `ptr` must point to a live arena node that is not linked into any
    /// tree and that stays at its address until it is removed again.
    #[inline]
    pub(crate) unsafe fn insert(&mut self, ptr: NonNull<Node>) {
        // SAFETY: `ptr` is a live, unlinked node (caller's contract).
        let k = unsafe { hard(ptr) };
        // SAFETY: the node is unlinked and stays put (caller's contract);
        // `UnsafeRef` never frees it.
        let new = unsafe { UnsafeRef::from_raw(ptr.as_ptr() as *const Node) };
        let Some(mut root) = self.root else {
            // Empty tree: a null cursor inserts the root.
            self.tree.cursor_mut().insert_before(new);
            // SAFETY: `ptr` is live (caller's contract).
            self.root = Some(unsafe { link_of(ptr) });
            self.first = Some(ptr);
            return;
        };
        let ops = TreeOps;
        let adapter = NodeAdapter::new();
        // SAFETY: `root` is a link of a node in this tree (invariant), and
        // parent/child links of linked nodes point to linked nodes of the
        // same tree; `get_value` maps a link back to its node (the inverse
        // of the adapter's `get_link`), keeping the pointer's provenance;
        // `hard` reads a node of the tree, which is live.
        let (leaf, go_left) = unsafe {
            while let Some(p) = ops.parent(root) {
                root = p;
            }
            self.root = Some(root);
            let mut cur = root;
            loop {
                let node = NonNull::new_unchecked(adapter.get_value(cur) as *mut Node);
                let left = k < hard(node);
                let next = if left { ops.left(cur) } else { ops.right(cur) };
                match next {
                    Some(c) => cur = c,
                    None => break (node, left),
                }
            }
        };
        // SAFETY: `leaf` is in this tree. It has no child on the chosen side,
        // so `insert_before` links `new` as its left child and
        // `insert_after` as its right child: exactly where the search put
        // the key, which keeps the tree ordered.
        let mut cursor = unsafe { self.tree.cursor_mut_from_ptr(leaf.as_ptr()) };
        if go_left {
            cursor.insert_before(new);
        } else {
            cursor.insert_after(new);
        }
        // SAFETY: `first` is a node of this tree (invariant), so it is live.
        if self.first.is_none_or(|f| k < unsafe { hard(f) }) {
            self.first = Some(ptr);
        }
    }

    /// Unlinks `ptr` from the tree.
    ///
    /// # Safety
    /// `ptr` must be linked into this tree.
    #[inline]
    pub(crate) unsafe fn remove(&mut self, ptr: NonNull<Node>) {
        // SAFETY: the caller guarantees `ptr` is an element of this tree.
        let mut cursor = unsafe { self.tree.cursor_mut_from_ptr(ptr.as_ptr()) };
        cursor.remove();
        if self.first == Some(ptr) {
            // The cursor now points at the removed node's successor. Take
            // its raw pointer (not `&Node`) so the pointer keeps the arena's
            // write permission.
            self.first = cursor
                .as_cursor()
                .clone_pointer()
                .and_then(|r| NonNull::new(UnsafeRef::into_raw(r)));
        }
        // SAFETY: `ptr` is still a live node (unlinked, not freed);
        // `link_of` only projects a field.
        if self.root == Some(unsafe { link_of(ptr) }) {
            // Keep `root` pointing into the tree: any linked node will do
            // (the next insert walks up from it); `first` is `None` only if
            // the tree is now empty.
            // SAFETY: `first` is a node of this tree, so it is live.
            self.root = self.first.map(|f| unsafe { link_of(f) });
        }
    }

    /// The tree's nodes in order (tests only).
    #[cfg(test)]
    pub(crate) fn in_order(&self) -> Vec<(u64, u32)> {
        self.tree.iter().map(|n| (n.hard, n.index)).collect()
    }

    /// `first` and `root` agree with the tree (tests only).
    #[cfg(test)]
    pub(crate) fn caches_ok(&self) -> bool {
        let front = self.tree.front().get().map(|n| n as *const Node);
        let first = self.first.map(|p| p.as_ptr() as *const Node);
        let root_ok = match self.root {
            None => self.tree.is_empty(),
            // SAFETY: the invariant under test: `root` is a linked node.
            Some(r) => unsafe { r.as_ref().is_linked() },
        };
        front == first && root_ok
    }

    /// Forgets every node without touching them (the arena frees them).
    pub(crate) fn forget_all(&mut self) {
        self.tree.fast_clear();
        self.first = None;
        self.root = None;
    }
}
