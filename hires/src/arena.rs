//! Timer storage: hot nodes and cold slots in two `Vec`s indexed alike,
//! and a free list.
//!
//! The tree links nodes by 32-bit ids derived from their index (see
//! [`rbtree`](crate::rbtree)), not by address, so the nodes can live in one
//! contiguous `Vec` that may move when it grows; a timer's index names both
//! its node and its slot. Ids are `index << 2`, so an arena holds at most
//! 2^30 - 1 timers. Freed
//! indices go on an intrusive singly linked free list (through
//! `Slot::next`), so once the arena has grown to the peak number of live
//! timers, insert / cancel / reset / expire allocate nothing.
//!
//! ```text
//!   nodes:  [n0 n1 ... n511]   (32 bytes each, what the tree walks)
//!   slots:  [s0 s1 ... s511]
//!   free -> 7 -> 300 -> 2 -> NIL
//! ```
//!
//! The arena grows `CHUNK` (256) indices at a time (the `Vec`s themselves
//! grow geometrically, so the amortised cost stays O(1)).
//!
//! A node's generation is bumped every time it is freed; a key names
//! `(index, generation)`, so a stale key never reaches a later timer in
//! the same slot. A slot whose generation reaches `u32::MAX` is retired
//! instead of being reused, so generations never wrap.

use crate::node::{Node, Slot, State, MAX_INDICES, NIL};

/// The most timers one [`HiresQueue`](crate::HiresQueue) holds: indices
/// grow `CHUNK` at a time and stay below `MAX_INDICES` (2^30 − 1, so that a
/// node's id fits a `u32`), so 2^30 − 256, about 1.07 billion.
///
/// ```
/// assert_eq!(hrwheel_hires::MAX_TIMERS, (1 << 30) - 256);
/// ```
pub const MAX_TIMERS: usize = MAX_INDICES / CHUNK * CHUNK;

/// Indices added per growth step.
pub(crate) const CHUNK: usize = 256;

#[derive(Debug)]
pub(crate) struct Arena<T> {
    /// The tree nodes (links and keys), by index.
    pub(crate) nodes: Vec<Node>,
    /// The rest of each timer, by index.
    pub(crate) slots: Vec<Slot<T>>,
    free: u32,
}

impl<T> Arena<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let cap = n.div_ceil(CHUNK).saturating_mul(CHUNK);
        let mut arena = Arena {
            nodes: Vec::with_capacity(cap),
            slots: Vec::with_capacity(cap),
            free: NIL,
        };
        while arena.capacity() < n {
            arena.grow();
        }
        arena
    }

    /// Number of slots (live or free).
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Adds `CHUNK` indices and puts them on the free list (lowest first).
    #[cold]
    fn grow(&mut self) {
        let first = self.slots.len();
        // Indices must stay below MAX_INDICES (ids are 32-bit).
        assert!(
            first + CHUNK <= MAX_INDICES,
            "HiresQueue: more than MAX_TIMERS (2^30 - 256) timers"
        );
        self.nodes.extend(core::iter::repeat_n(Node::VACANT, CHUNK));
        let old_free = self.free;
        self.slots.extend((0..CHUNK).map(|i| {
            Slot::vacant(if i + 1 < CHUNK {
                (first + i + 1) as u32
            } else {
                old_free
            })
        }));
        self.free = first as u32;
    }

    /// The node at `index`, `None` if out of range.
    #[inline]
    pub(crate) fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize)
    }

    /// The node at `index`, without the bounds check.
    ///
    /// # Safety
    /// `index < capacity()`. Every index linked into a base's tree is: the
    /// arena handed it out, and its `Vec`s never shrink (the id invariant
    /// of [`rbtree`](crate::rbtree)); the expiry path reads the nodes and
    /// slots of the timers its trees give it through these.
    #[inline(always)]
    pub(crate) unsafe fn node_unchecked(&self, index: u32) -> &Node {
        debug_assert!((index as usize) < self.nodes.len());
        // SAFETY: the caller promises `index < capacity()`, the length of
        // `nodes` as of `slots`.
        unsafe { self.nodes.get_unchecked(index as usize) }
    }

    /// The cold slot at `index`, mutably, without the bounds check.
    ///
    /// # Safety
    /// As for [`node_unchecked`](Self::node_unchecked): `index <
    /// capacity()`.
    #[inline(always)]
    pub(crate) unsafe fn slot_unchecked_mut(&mut self, index: u32) -> &mut Slot<T> {
        debug_assert!((index as usize) < self.slots.len());
        // SAFETY: the caller promises `index < capacity()`, the length of
        // `slots`.
        unsafe { self.slots.get_unchecked_mut(index as usize) }
    }

    /// The node and the slot at `index`, mutably, without the bounds
    /// checks.
    ///
    /// # Safety
    /// As for [`node_unchecked`](Self::node_unchecked): `index <
    /// capacity()`.
    #[inline(always)]
    pub(crate) unsafe fn both_unchecked_mut(&mut self, index: u32) -> (&mut Node, &mut Slot<T>) {
        debug_assert!((index as usize) < self.slots.len() && self.nodes.len() == self.slots.len());
        // SAFETY: the caller promises `index < capacity()`, the length of
        // both `Vec`s; they are distinct fields, so the borrows are too.
        unsafe {
            (
                self.nodes.get_unchecked_mut(index as usize),
                self.slots.get_unchecked_mut(index as usize),
            )
        }
    }

    /// The cold slot at `index` (which must be `< capacity()`).
    #[inline]
    pub(crate) fn slot(&self, index: u32) -> &Slot<T> {
        &self.slots[index as usize]
    }

    /// The cold slot at `index` (which must be `< capacity()`).
    #[inline]
    pub(crate) fn slot_mut(&mut self, index: u32) -> &mut Slot<T> {
        &mut self.slots[index as usize]
    }

    /// Starts loading the cold slot at `index` into the cache without
    /// waiting for it (a no-op off x86-64 and under Miri).
    ///
    /// The expiry path calls it for the next timer due, whose slot was
    /// last touched when that timer was armed and is usually out of L1/L2
    /// by now. A plain read would do the same, but a load that misses
    /// blocks retirement until it completes; a prefetch retires at once.
    #[inline(always)]
    pub(crate) fn prefetch_slot(&self, index: u32) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // No bounds check: the address is only a hint (see below), so
            // an index out of range costs nothing but a useless prefetch.
            let first = self
                .slots
                .as_ptr()
                .wrapping_add(index as usize)
                .cast::<i8>();
            let last = first.wrapping_add(core::mem::size_of::<Slot<T>>().saturating_sub(1));
            // SAFETY: a prefetch is a hint that reads nothing
            // architecturally and never faults, whatever the address; SSE
            // (which provides it) is part of the x86-64 baseline.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(first);
                _mm_prefetch::<_MM_HINT_T0>(last);
            }
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        let _ = index;
    }

    /// Takes a free index (growing if none), with its node and slot. Its
    /// node is unlinked and its slot is `Free` with `value == None`.
    #[inline]
    pub(crate) fn alloc(&mut self) -> (u32, &mut Node, &mut Slot<T>) {
        if self.free == NIL {
            self.grow();
        }
        let index = self.free;
        // SAFETY: the free list only holds indices below the capacity:
        // `grow` links the ones it adds, `release` the ones it is given
        // (which it has indexed, checked, before), and neither `Vec`
        // shrinks.
        let (node, slot) = unsafe {
            (
                self.nodes.get_unchecked_mut(index as usize),
                self.slots.get_unchecked_mut(index as usize),
            )
        };
        self.free = slot.next;
        (index, node, slot)
    }

    /// Returns a timer to the free list: bumps its generation and drops
    /// any value still in its slot. The node must not be linked into a
    /// tree.
    #[inline]
    pub(crate) fn release(&mut self, index: u32) {
        let node = &mut self.nodes[index as usize];
        debug_assert!(!node.is_linked());
        let retire = node.gen == u32::MAX;
        if !retire {
            node.gen += 1;
        }
        let slot = &mut self.slots[index as usize];
        slot.value = None;
        slot.state = State::Free;
        if retire {
            // Retire the slot: reusing it would wrap the generation.
            return;
        }
        slot.next = self.free;
        self.free = index;
    }
}
