//! Slot storage: each slot's timers as an unordered array of arena indices,
//! kept in fixed-size chunks drawn from one pool shared by all slots.
//!
//! A [`Bag`] is a chain of [`Chunk`]s, each one cache line of [`CHUNK`]
//! indices; every chunk of a bag is full except its tail. A timer filed in
//! a bag records where its index sits (chunk and offset, in its entry), so
//! removing it is O(1): the bag's last index is moved into the hole (the
//! moved timer's entry is updated). A tail chunk emptied by a removal is
//! kept, empty, while the bag holds other timers (a *spare*: the next
//! push needs no chunk, so timers armed and cancelled at a chunk boundary
//! do not take and free a chunk each time); it is freed when the removal
//! after it needs the chunk before, or when the bag empties.
//! Emptying a slot reads its indices in sequence, a cache line at a time,
//! instead of chasing a link through each timer's entry; every entry it
//! will touch is known in advance and can be prefetched (see `prefetch.rs`).
//!
//! # Memory
//!
//! Chunks come from one `Vec` with a free list, so a bag never allocates
//! once the pool has grown. A bag of `k > 0` timers holds `ceil(k / CHUNK)`
//! chunks, or `k / CHUNK + 1` with a spare, so at most
//! `pending / CHUNK + non-empty slots` chunks are in use
//! at any time (non-empty slots: at most `min(pending, 704)`), plus one
//! while a slot is emptied; [`Wheel::with_capacity`] reserves that much for
//! its `n` timers. That is 64 bytes per 14 timers (about 4.6 bytes a timer)
//! and 64 bytes per non-empty slot; the pool keeps its peak size.
//!
//! [`Wheel::with_capacity`]: crate::Wheel::with_capacity

use crate::arena::Arena;
use crate::entry::NIL;

/// Indices per chunk: 14 `u32`s and two links fill one 64-byte line.
pub(crate) const CHUNK: usize = 14;

/// One cache line of a bag (or, when free, of the pool's free list, linked
/// through `next`).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Chunk {
    pub(crate) items: [u32; CHUNK],
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// The pool every bag draws its chunks from.
pub(crate) struct Chunks {
    pub(crate) chunks: Vec<Chunk>,
    /// Head of the free list ([`NIL`]: none).
    free: u32,
    /// Chunks not on the free list.
    pub(crate) used: usize,
}

impl Chunks {
    /// A pool with room for `n` chunks.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Chunks {
            chunks: Vec::with_capacity(n),
            free: NIL,
            used: 0,
        }
    }

    /// A free chunk (its contents are garbage).
    #[inline]
    fn alloc(&mut self) -> u32 {
        self.used += 1;
        let c = self.free;
        if c != NIL {
            self.free = self.chunks[c as usize].next;
            return c;
        }
        let c = self.chunks.len();
        assert!(c < NIL as usize, "hrwheel: slot chunk pool exhausted");
        self.chunks.push(Chunk {
            items: [NIL; CHUNK],
            prev: NIL,
            next: NIL,
        });
        c as u32
    }

    /// Returns chunk `c` to the pool.
    #[inline]
    pub(crate) fn free(&mut self, c: u32) {
        self.used -= 1;
        self.chunks[c as usize].next = self.free;
        self.free = c;
    }

    /// Hints the CPU to load chunk `c` (see `prefetch.rs`).
    #[inline(always)]
    pub(crate) fn prefetch(&self, c: u32) {
        crate::prefetch::prefetch(self.chunks.as_ptr().wrapping_add(c as usize));
    }
}

/// One slot's timers (see the module docs): head and tail chunk, how many
/// indices the tail chunk holds, and how many the chunks before it hold
/// (kept apart so that filing and removing need no division by [`CHUNK`],
/// and touch the count only when a chunk is taken or freed).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bag {
    pub(crate) head: u32,
    pub(crate) tail: u32,
    /// Indices in the chunks before the tail (a multiple of [`CHUNK`]).
    pub(crate) rest: u32,
    /// Indices in the tail chunk: `1..=CHUNK`, 0 for a spare (see the
    /// module docs), or `CHUNK` when the bag is empty (so the next push
    /// starts a chunk).
    pub(crate) fill: u32,
}

impl Bag {
    pub(crate) const EMPTY: Bag = Bag {
        head: NIL,
        tail: NIL,
        rest: 0,
        fill: CHUNK as u32,
    };

    /// Number of timers in the bag.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        if self.tail == NIL {
            0
        } else {
            self.rest + self.fill
        }
    }

    /// Appends `idx`; returns the chunk and offset it went to (the caller
    /// stores them in the entry). The tail chunk must have room: call
    /// [`grow`](Self::grow) first when `fill == CHUNK`.
    #[inline(always)]
    pub(crate) fn push(&mut self, chunks: &mut Chunks, idx: u32) -> (u32, u8) {
        let off = self.fill;
        debug_assert!(off < CHUNK as u32);
        chunks.chunks[self.tail as usize].items[off as usize] = idx;
        self.fill = off + 1;
        (self.tail, off as u8)
    }

    /// Starts a new tail chunk (the tail is full or the bag empty);
    /// returns whether the bag was empty.
    #[inline]
    pub(crate) fn grow(&mut self, chunks: &mut Chunks) -> bool {
        let c = chunks.alloc();
        let ch = &mut chunks.chunks[c as usize];
        ch.prev = self.tail;
        ch.next = NIL;
        let was_empty = self.tail == NIL;
        if was_empty {
            self.head = c;
        } else {
            chunks.chunks[self.tail as usize].next = c;
            self.rest += CHUNK as u32;
        }
        self.tail = c;
        self.fill = 0;
        was_empty
    }

    /// Whether [`remove`](Self::remove) would neither free a chunk nor
    /// empty the bag: it holds more than one timer and no spare.
    #[inline(always)]
    pub(crate) fn removes_in_place(&self) -> bool {
        self.fill > 1 || (self.fill == 1 && self.rest > 0)
    }

    /// [`remove`](Self::remove) when [`removes_in_place`](Self::removes_in_place).
    #[inline(always)]
    pub(crate) fn remove_in_place<T>(
        &mut self,
        chunks: &mut Chunks,
        arena: &mut Arena<T>,
        chunk: u32,
        off: u8,
    ) {
        debug_assert!(self.removes_in_place());
        let last_off = self.fill - 1;
        self.fill_hole(chunks, arena, chunk, off, last_off);
        self.fill = last_off;
    }

    /// Moves the bag's last index, at `last_off` in the tail, into the
    /// hole at `chunk`/`off` (unless that is the last index) and records
    /// the moved timer's new place in its entry.
    #[inline(always)]
    fn fill_hole<T>(
        &self,
        chunks: &mut Chunks,
        arena: &mut Arena<T>,
        chunk: u32,
        off: u8,
        last_off: u32,
    ) {
        let tail = self.tail;
        if chunk != tail || u32::from(off) != last_off {
            let last = chunks.chunks[tail as usize].items[last_off as usize];
            chunks.chunks[chunk as usize].items[off as usize] = last;
            let e = &mut arena[last as usize];
            e.next = chunk;
            e.pos = off;
        }
    }

    /// Removes the index at `chunk`/`off`, filling the hole with the bag's
    /// last index and recording that timer's new place in its entry; an
    /// emptied tail chunk stays as a spare unless the bag is now empty.
    /// Returns whether the bag is now empty.
    #[inline(always)]
    pub(crate) fn remove<T>(
        &mut self,
        chunks: &mut Chunks,
        arena: &mut Arena<T>,
        chunk: u32,
        off: u8,
    ) -> bool {
        if self.fill == 0 {
            // The last index is in the chunk before the spare.
            self.shrink(chunks);
        }
        let last_off = self.fill - 1;
        self.fill_hole(chunks, arena, chunk, off, last_off);
        self.fill = last_off;
        last_off == 0 && self.rest == 0 && self.shrink(chunks)
    }

    /// Frees the tail chunk, emptied (or a spare); returns whether the bag
    /// is now empty.
    #[inline(never)]
    fn shrink(&mut self, chunks: &mut Chunks) -> bool {
        let tail = self.tail;
        let prev = chunks.chunks[tail as usize].prev;
        self.tail = prev;
        self.fill = CHUNK as u32;
        chunks.free(tail);
        if prev == NIL {
            self.head = NIL;
            true
        } else {
            chunks.chunks[prev as usize].next = NIL;
            self.rest -= CHUNK as u32;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arena::tests::entry;

    /// Collects a bag's indices in chain order, checking its links.
    fn items(bag: &Bag, chunks: &Chunks) -> Vec<u32> {
        let (mut c, mut prev, mut left, mut out) = (bag.head, NIL, bag.len() as usize, vec![]);
        while c != NIL {
            let ch = &chunks.chunks[c as usize];
            assert_eq!(ch.prev, prev);
            let n = left.min(CHUNK);
            out.extend_from_slice(&ch.items[..n]);
            left -= n;
            prev = c;
            c = ch.next;
        }
        assert_eq!((left, prev), (0, bag.tail));
        out
    }

    #[test]
    fn push_and_swap_remove_across_chunk_boundaries_reuse_chunks() {
        let mut arena = Arena::with_capacity(0);
        let mut chunks = Chunks::with_capacity(0);
        let mut bag = Bag::EMPTY;
        let n = 3 * CHUNK as u32 + 2;
        let idx: Vec<u32> = (0..n)
            .map(|i| arena.insert(entry(u64::from(i))).0)
            .collect();
        for (k, &i) in idx.iter().enumerate() {
            if bag.fill == CHUNK as u32 {
                assert_eq!(bag.grow(&mut chunks), k == 0);
            }
            let (c, off) = bag.push(&mut chunks, i);
            let e = &mut arena[i as usize];
            e.next = c;
            e.pos = off;
        }
        assert_eq!(items(&bag, &chunks), idx);
        assert_eq!(chunks.used, 4);
        // Remove from the front, the middle, a chunk's end and the tail:
        // the last index fills each hole and its entry learns its place.
        let mut want = idx.clone();
        for &victim in &[idx[0], idx[20], idx[CHUNK - 1], idx[n as usize - 1]] {
            let (c, off) = (arena[victim as usize].next, arena[victim as usize].pos);
            bag.remove(&mut chunks, &mut arena, c, off);
            let p = want.iter().position(|&x| x == victim).unwrap();
            want.swap_remove(p);
            let got = items(&bag, &chunks);
            assert_eq!(got, want);
            for (k, &i) in got.iter().enumerate() {
                let e = &arena[i as usize];
                let ch = &chunks.chunks[e.next as usize];
                assert_eq!(ch.items[e.pos as usize], i, "entry {i} at {k}");
            }
        }
        // A chunk emptied at the tail stays as a spare: the next push
        // reuses it, and the removal after it frees it.
        let used = chunks.used;
        while bag.fill != 1 {
            let last = *items(&bag, &chunks).last().unwrap();
            let (c, off) = (arena[last as usize].next, arena[last as usize].pos);
            assert!(bag.removes_in_place());
            assert!(!bag.remove(&mut chunks, &mut arena, c, off));
            want.pop();
        }
        let last = *items(&bag, &chunks).last().unwrap();
        let (c, off) = (arena[last as usize].next, arena[last as usize].pos);
        assert!(bag.rest > 0 && bag.removes_in_place());
        bag.remove(&mut chunks, &mut arena, c, off);
        want.pop();
        assert_eq!((bag.fill, chunks.used), (0, used));
        assert_eq!(items(&bag, &chunks), want);
        let (c, off) = bag.push(&mut chunks, last);
        (arena[last as usize].next, arena[last as usize].pos) = (c, off);
        assert_eq!((bag.fill, chunks.used), (1, used));
        bag.remove(&mut chunks, &mut arena, c, off);
        let victim = want[0];
        let (c, off) = (arena[victim as usize].next, arena[victim as usize].pos);
        assert!(!bag.removes_in_place());
        bag.remove(&mut chunks, &mut arena, c, off);
        want.swap_remove(0);
        assert_eq!((bag.fill, chunks.used), (CHUNK as u32 - 1, used - 1));
        assert_eq!(items(&bag, &chunks), want);
        // Emptying frees every chunk; refilling reuses them.
        while bag.len() > 0 {
            let last = *items(&bag, &chunks).last().unwrap();
            let (c, off) = (arena[last as usize].next, arena[last as usize].pos);
            assert_eq!(bag.remove(&mut chunks, &mut arena, c, off), bag.len() == 0);
        }
        assert_eq!((bag.head, bag.tail, chunks.used), (NIL, NIL, 0));
        let pool = chunks.chunks.len();
        for &i in &idx {
            if bag.fill == CHUNK as u32 {
                bag.grow(&mut chunks);
            }
            bag.push(&mut chunks, i);
        }
        assert_eq!(chunks.chunks.len(), pool);
    }
}
