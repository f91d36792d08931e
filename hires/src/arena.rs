//! Node storage: fixed-size chunks that never move, and a free list.
//!
//! An intrusive tree stores raw pointers to its nodes, so nodes must keep
//! their address for as long as they are linked: a growing `Vec<Node>`
//! would move them. The arena allocates nodes `CHUNK` (256) at a time in
//! boxed slices it keeps as raw pointers until the queue is dropped. A
//! timer's index is `chunk << 8 | slot`; freed slots go on an intrusive
//! singly linked free list (through `Node::next`), so once the arena has
//! grown to the peak number of live timers, insert / cancel / reset /
//! expire allocate nothing.
//!
//! ```text
//!   chunks: [*c0, *c1, ...]     c0: [n0 n1 ... n255]   c1: [n256 ... n511]
//!   free -> n7 -> n300 -> n2 -> NIL
//! ```
//!
//! A slot's generation is bumped every time it is freed; a handle names
//! `(index, generation)`, so a stale handle never reaches a later timer in
//! the same slot. A slot whose generation reaches `u32::MAX` is retired
//! instead of being reused, so generations never wrap.

use core::ptr::NonNull;

use crate::node::{Node, State, NIL};

const CHUNK_SHIFT: u32 = 8;
/// Nodes per chunk.
pub(crate) const CHUNK: usize = 1 << CHUNK_SHIFT;
const SLOT_MASK: u32 = (CHUNK as u32) - 1;

pub(crate) struct Arena<T> {
    /// Each pointer owns a `Box<[Node<T>]>` of length `CHUNK`, leaked with
    /// `Box::into_raw` and reclaimed in `Drop`.
    chunks: Vec<NonNull<Node<T>>>,
    free: u32,
}

impl<T> Arena<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut arena = Arena {
            chunks: Vec::new(),
            free: NIL,
        };
        while arena.capacity() < n {
            arena.grow();
        }
        arena
    }

    /// Number of slots (live or free).
    pub(crate) fn capacity(&self) -> usize {
        self.chunks.len() * CHUNK
    }

    /// Adds one chunk and puts its slots on the free list (lowest index
    /// first).
    #[cold]
    fn grow(&mut self) {
        let first = self.chunks.len() * CHUNK;
        // Indices must stay below NIL; 2^32 - 256 slots is far beyond memory.
        assert!(
            first + CHUNK < NIL as usize,
            "HiresQueue: more than 2^32 - 257 timer slots"
        );
        let chunk: Box<[Node<T>]> = (0..CHUNK)
            .map(|i| {
                let next = if i + 1 < CHUNK {
                    (first + i + 1) as u32
                } else {
                    self.free
                };
                Node::vacant((first + i) as u32, next)
            })
            .collect();
        let raw = Box::into_raw(chunk) as *mut Node<T>;
        // SAFETY: `Box::into_raw` never returns null.
        self.chunks.push(unsafe { NonNull::new_unchecked(raw) });
        self.free = first as u32;
    }

    /// Pointer to the node at `index`, `None` if out of range.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<NonNull<Node<T>>> {
        let chunk = *self.chunks.get((index >> CHUNK_SHIFT) as usize)?;
        // SAFETY: the chunk holds CHUNK nodes and `index & SLOT_MASK < CHUNK`,
        // so the offset stays inside the allocation.
        Some(unsafe { chunk.add((index & SLOT_MASK) as usize) })
    }

    /// Takes a free slot (growing if none) and returns its index and node.
    /// The node is in state `Free` with `value == None`, unlinked.
    #[inline]
    pub(crate) fn alloc(&mut self) -> (u32, NonNull<Node<T>>) {
        if self.free == NIL {
            self.grow();
        }
        let index = self.free;
        let ptr = match self.get(index) {
            Some(p) => p,
            // The free list only holds indices of existing slots.
            None => unreachable!("free list index out of range"),
        };
        // SAFETY: `ptr` points into a live chunk; free nodes are not linked
        // into any tree, so nothing else refers to them.
        self.free = unsafe { (*ptr.as_ptr()).next };
        (index, ptr)
    }

    /// Returns the slot to the free list, bumping its generation and
    /// dropping any value still in it.
    ///
    /// # Safety
    /// `ptr` must be the node at `index`, and that node must not be linked
    /// into a tree.
    #[inline]
    pub(crate) unsafe fn release(&mut self, index: u32, ptr: NonNull<Node<T>>) {
        // SAFETY: guaranteed by the caller: the node is ours and unlinked,
        // so a unique borrow aliases nothing.
        let node = unsafe { &mut *ptr.as_ptr() };
        debug_assert!(!node.link.is_linked());
        node.value = None;
        node.state = State::Free;
        if node.gen == u32::MAX {
            // Retire the slot: reusing it would wrap the generation.
            return;
        }
        node.gen += 1;
        node.next = self.free;
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
    }
}
