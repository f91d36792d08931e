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

use intrusive_collections::{RBTree, UnsafeRef};

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

/// One clock's timers: a tree ordered by `(hard, seq)` plus its leftmost.
pub(crate) struct Base<T> {
    tree: RBTree<NodeAdapter<T>>,
    first: Option<NonNull<Node<T>>>,
}

impl<T> Base<T> {
    pub(crate) fn new() -> Self {
        Base {
            tree: RBTree::new(NodeAdapter::new()),
            first: None,
        }
    }

    /// The node that expires first, O(1).
    #[inline]
    pub(crate) fn first(&self) -> Option<NonNull<Node<T>>> {
        self.first
    }

    /// Links `ptr` into the tree.
    ///
    /// # Safety
    /// `ptr` must point to a live arena node that is not linked into any
    /// tree and that stays at its address until it is removed again.
    #[inline]
    pub(crate) unsafe fn insert(&mut self, ptr: NonNull<Node<T>>) {
        // SAFETY: the caller guarantees the node is live and unlinked; only
        // the key fields are read here.
        let key = unsafe { ((*ptr.as_ptr()).hard, (*ptr.as_ptr()).seq) };
        let leftmost = match self.first {
            None => true,
            // SAFETY: `first` is always a node linked into this tree, hence
            // live.
            Some(f) => unsafe { key < ((*f.as_ptr()).hard, (*f.as_ptr()).seq) },
        };
        // SAFETY: the node stays put and unaliased by other trees (caller's
        // contract); `UnsafeRef` does not free it.
        self.tree
            .insert(unsafe { UnsafeRef::from_raw(ptr.as_ptr() as *const Node<T>) });
        if leftmost {
            self.first = Some(ptr);
        }
    }

    /// Unlinks `ptr` from the tree.
    ///
    /// # Safety
    /// `ptr` must be linked into this tree.
    #[inline]
    pub(crate) unsafe fn remove(&mut self, ptr: NonNull<Node<T>>) {
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
    }

    /// Forgets every node without touching them (the arena frees them).
    pub(crate) fn forget_all(&mut self) {
        self.tree.fast_clear();
        self.first = None;
    }
}
