//! Timer storage: hot nodes in fixed-size chunks that never move, cold
//! slots in a `Vec`, and a free list.
//!
//! An intrusive tree stores raw pointers to its nodes, so nodes must keep
//! their address for as long as they are linked: a growing `Vec<Node>`
//! would move them. The arena allocates nodes `CHUNK` (256) at a time in
//! boxed slices it keeps as raw pointers until the queue is dropped; a
//! timer's index is `chunk << 8 | offset`. The cold slots (see
//! [`node`](crate::node)) are never pointed to, so they live in a plain
//! `Vec` indexed the same way. Freed indices go on an intrusive singly
//! linked free list (through `Slot::next`), so once the arena has grown to
//! the peak number of live timers, insert / cancel / reset / expire
//! allocate nothing.
//!
//! ```text
//!   chunks: [*c0, *c1, ...]   c0: [n0 n1 ... n255]  c1: [n256 ... n511]
//!   slots:  [s0 s1 ... s511]
//!   free -> 7 -> 300 -> 2 -> NIL
//! ```
//!
//! A node's generation is bumped every time it is freed; a key names
//! `(index, generation)`, so a stale key never reaches a later timer in
//! the same slot. A slot whose generation reaches `u32::MAX` is retired
//! instead of being reused, so generations never wrap.

use core::ptr::NonNull;

use crate::node::{Node, Slot, State, NIL};

const CHUNK_SHIFT: u32 = 8;
/// Nodes per chunk.
pub(crate) const CHUNK: usize = 1 << CHUNK_SHIFT;
const OFFSET_MASK: u32 = (CHUNK as u32) - 1;

pub(crate) struct Arena<T> {
    /// Each pointer owns a `Box<[Node]>` of length `CHUNK`, leaked with
    /// `Box::into_raw` and reclaimed in `Drop`.
    chunks: Vec<NonNull<Node>>,
    slots: Vec<Slot<T>>,
    free: u32,
}

impl<T> Arena<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut arena = Arena {
            chunks: Vec::new(),
            slots: Vec::new(),
            free: NIL,
        };
        arena
            .slots
            .reserve_exact(n.div_ceil(CHUNK).saturating_mul(CHUNK));
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

    /// Adds one chunk and puts its indices on the free list (lowest first).
    #[cold]
    fn grow(&mut self) {
        let first = self.chunks.len() * CHUNK;
        // Indices must stay below NIL; 2^32 - 256 slots is far beyond memory.
        assert!(
            first + CHUNK < NIL as usize,
            "HiresQueue: more than 2^32 - 257 timer slots"
        );
        let chunk: Box<[Node]> = (0..CHUNK)
            .map(|i| Node::vacant((first + i) as u32))
            .collect();
        let raw = Box::into_raw(chunk) as *mut Node;
        // SAFETY: `Box::into_raw` never returns null.
        self.chunks.push(unsafe { NonNull::new_unchecked(raw) });
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

    /// Pointer to the node at `index`, `None` if out of range.
    #[inline]
    pub(crate) fn node(&self, index: u32) -> Option<NonNull<Node>> {
        let chunk = *self.chunks.get((index >> CHUNK_SHIFT) as usize)?;
        // SAFETY: the chunk holds CHUNK nodes and `index & OFFSET_MASK <
        // CHUNK`, so the offset stays inside the allocation.
        Some(unsafe { chunk.add((index & OFFSET_MASK) as usize) })
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

    /// Takes a free index (growing if none) and returns it with its node.
    /// The node is unlinked and its slot is `Free` with `value == None`.
    #[inline]
    pub(crate) fn alloc(&mut self) -> (u32, NonNull<Node>) {
        if self.free == NIL {
            self.grow();
        }
        let index = self.free;
        let Some(ptr) = self.node(index) else {
            // The free list only holds indices of existing slots.
            unreachable!("free list index out of range")
        };
        self.free = self.slots[index as usize].next;
        (index, ptr)
    }

    /// Returns a timer to the free list: bumps its generation and drops
    /// any value still in its slot.
    ///
    /// # Safety
    /// `ptr` must be the node at `index`, and it must not be linked into a
    /// tree.
    #[inline]
    pub(crate) unsafe fn release(&mut self, index: u32, ptr: NonNull<Node>) {
        // SAFETY: guaranteed by the caller: the node is ours and unlinked,
        // so a unique borrow aliases nothing.
        let node = unsafe { &mut *ptr.as_ptr() };
        debug_assert!(!node.link.is_linked());
        let slot = &mut self.slots[index as usize];
        slot.value = None;
        slot.state = State::Free;
        if node.gen == u32::MAX {
            // Retire the slot: reusing it would wrap the generation.
            return;
        }
        node.gen += 1;
        slot.next = self.free;
        self.free = index;
    }
}

impl<T> Drop for Arena<T> {
    fn drop(&mut self) {
        for chunk in self.chunks.drain(..) {
            let slice = core::ptr::slice_from_raw_parts_mut(chunk.as_ptr(), CHUNK);
            // SAFETY: each chunk came from `Box::into_raw` of a boxed slice of
            // exactly CHUNK nodes and is reclaimed once. The owning queue has
            // emptied its trees (`fast_clear`) before the arena is dropped, so
            // no tree refers to these nodes any more.
            drop(unsafe { Box::from_raw(slice) });
        }
        // `slots` (and the values in it) drop normally.
    }
}
