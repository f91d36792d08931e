//! Timer storage: a `Vec` of slots, each a pending timer's [`Entry`] or a
//! vacant slot on the free list, with a generation per slot.
//!
//! A slot's generation counts the timers it has held; a [`TimerKey`] names
//! `(index, generation)`, so a key kept after its timer fired or was
//! cancelled does not match the timer that later reuses the slot. A slot
//! whose generation has reached `u32::MAX` is *retired* when its timer
//! leaves: it stays vacant and off the free list for the rest of the
//! wheel's life, so a generation never wraps and a stale key never matches
//! again (the price is one idle slot per 2^32 timers through one slot).
//!
//! ```text
//!   slots: [E g=3] [V g=7 ->4] [E g=1] [V g=MAX retired] [V g=2 ->NIL]
//!   free -> 1 -> 4 -> NIL
//! ```
//!
//! Freed indices are reused last-freed first, so a tight
//! insert/cancel loop stays on one hot slot; once the `Vec` has grown to
//! the peak number of pending timers nothing allocates.
//!
//! [`TimerKey`]: crate::TimerKey

use std::num::NonZeroU32;
use std::ops::{Index, IndexMut};

use crate::entry::{Entry, NIL};

/// One slot: a pending timer, or vacant with the generation of the last
/// timer it held and the next index of the free list, packed as
/// `gen << 32 | next` (one field, so that the enum's tag fits in the niche
/// of `Entry::gen` and a slot is no bigger than an entry).
pub(crate) enum Slot<T> {
    Vacant(u64),
    Occupied(Entry<T>),
}

#[cold]
#[inline(never)]
fn vacant_slot() -> ! {
    panic!("hrwheel: a vacant timer slot is linked")
}

#[inline]
fn vacant(gen: u32, next: u32) -> u64 {
    u64::from(gen) << 32 | u64::from(next)
}

/// The wheel's timer storage (see the module docs).
pub(crate) struct Arena<T> {
    slots: Vec<Slot<T>>,
    /// Head of the free list of vacant, non-retired slots ([`NIL`]: none).
    free: u32,
    len: usize,
}

impl<T> Arena<T> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let slots = Vec::with_capacity(n);
        crate::huge::advise(&slots);
        Arena {
            slots,
            free: NIL,
            len: 0,
        }
    }

    /// Number of pending timers.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The index the next [`insert`](Self::insert) will use.
    ///
    /// # Panics
    /// If `u32::MAX - 1` slots are in use (indices are `u32`, `NIL` excluded).
    #[inline]
    pub(crate) fn next_index(&self) -> u32 {
        if self.free != NIL {
            return self.free;
        }
        let idx = self.slots.len();
        assert!(
            idx < NIL as usize,
            "hrwheel: more than u32::MAX - 1 pending timers"
        );
        idx as u32
    }

    /// The head of the free list: the index the next
    /// [`insert`](Self::insert) will reuse, or [`NIL`] if it will push.
    #[inline]
    pub(crate) fn free_head(&self) -> u32 {
        self.free
    }

    /// [`insert`](Self::insert) into slot `idx`, the head of the free list
    /// (not [`NIL`]); returns the generation.
    #[inline(always)]
    pub(crate) fn insert_free(&mut self, idx: u32, mut e: Entry<T>) -> NonZeroU32 {
        debug_assert!(idx == self.free && idx != NIL);
        let slot = &mut self.slots[idx as usize];
        let Slot::Vacant(v) = *slot else {
            unreachable!("free list holds an occupied slot")
        };
        let (gen, next) = ((v >> 32) as u32, v as u32);
        // Retired slots are never on the free list, so `gen < u32::MAX`.
        let gen = NonZeroU32::new(gen + 1).unwrap_or(NonZeroU32::MIN);
        e.gen = gen;
        *slot = Slot::Occupied(e);
        self.free = next;
        self.len += 1;
        gen
    }

    /// Stores `e` in a free slot with the slot's next generation, written
    /// into `e.gen`; returns the index and the generation.
    ///
    /// # Panics
    /// If `u32::MAX - 1` slots are in use (indices are `u32`, `NIL` excluded).
    #[inline]
    pub(crate) fn insert(&mut self, mut e: Entry<T>) -> (u32, NonZeroU32) {
        let idx = self.free;
        if idx == NIL {
            let idx = self.slots.len();
            assert!(
                idx < NIL as usize,
                "hrwheel: more than u32::MAX - 1 pending timers"
            );
            e.gen = NonZeroU32::MIN;
            let cap = self.slots.capacity();
            self.slots.push(Slot::Occupied(e));
            if self.slots.capacity() != cap {
                crate::huge::advise(&self.slots);
            }
            self.len += 1;
            return (idx as u32, NonZeroU32::MIN);
        }
        (idx, self.insert_free(idx, e))
    }

    /// Removes the timer at `idx` (which must be pending) and frees or
    /// retires its slot.
    #[inline]
    pub(crate) fn remove(&mut self, idx: u32) -> Entry<T> {
        let free = self.free;
        let slot = &mut self.slots[idx as usize];
        let gen = match slot {
            Slot::Occupied(e) => e.gen.get(),
            Slot::Vacant(_) => vacant_slot(),
        };
        // A slot whose generation is spent is retired: left vacant, off
        // the free list.
        let retire = gen == u32::MAX;
        let v = vacant(gen, if retire { NIL } else { free });
        match std::mem::replace(slot, Slot::Vacant(v)) {
            Slot::Occupied(e) => {
                if !retire {
                    self.free = idx;
                }
                self.len -= 1;
                e
            }
            Slot::Vacant(_) => vacant_slot(),
        }
    }

    /// The pending timer at `idx`, if any.
    #[inline]
    pub(crate) fn get(&self, idx: u32) -> Option<&Entry<T>> {
        match self.slots.get(idx as usize) {
            Some(Slot::Occupied(e)) => Some(e),
            _ => None,
        }
    }

    /// Hints the CPU to load the slot at `idx` (see `prefetch.rs`): both
    /// cache lines it may straddle (slots are 48 bytes, 8-aligned).
    #[inline(always)]
    pub(crate) fn prefetch(&self, idx: u32) {
        let p = self.slots.as_ptr().wrapping_add(idx as usize).cast::<u8>();
        crate::prefetch::prefetch(p);
        crate::prefetch::prefetch(p.wrapping_add(std::mem::size_of::<Slot<T>>() - 1));
    }

    /// Test hook: makes the vacant, non-retired slot at `idx` look as if it
    /// had already held `gen` timers.
    #[cfg(test)]
    pub(crate) fn set_vacant_gen(&mut self, idx: u32, gen: u32) {
        match &mut self.slots[idx as usize] {
            Slot::Vacant(v) => *v = vacant(gen, *v as u32),
            Slot::Occupied(_) => panic!("slot {idx} is occupied"),
        }
    }
}

impl<T> Index<usize> for Arena<T> {
    type Output = Entry<T>;

    #[inline]
    fn index(&self, idx: usize) -> &Entry<T> {
        match &self.slots[idx] {
            Slot::Occupied(e) => e,
            Slot::Vacant(_) => vacant_slot(),
        }
    }
}

impl<T> IndexMut<usize> for Arena<T> {
    #[inline]
    fn index_mut(&mut self, idx: usize) -> &mut Entry<T> {
        match &mut self.slots[idx] {
            Slot::Occupied(e) => e,
            Slot::Vacant(_) => vacant_slot(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unlinked entry holding `value`, for the crate's unit tests.
    pub(crate) fn entry_of<T>(value: T, deadline: u64, seq: u64) -> Entry<T> {
        Entry {
            value,
            deadline,
            slack: 0,
            seq,
            prev: NIL,
            next: NIL,
            gen: NonZeroU32::MIN,
            level: 0,
            slot: 0,
            moves: 0,
            pos: 0,
        }
    }

    /// An unlinked entry whose value is its deadline.
    pub(crate) fn entry(deadline: u64) -> Entry<u64> {
        entry_of(deadline, deadline, 0)
    }

    #[test]
    fn slot_is_no_bigger_than_an_entry() {
        assert_eq!(
            std::mem::size_of::<Slot<u64>>(),
            std::mem::size_of::<Entry<u64>>()
        );
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first_with_a_new_generation() {
        let mut a = Arena::with_capacity(4);
        let i0 = a.insert(entry(0)).0;
        let i1 = a.insert(entry(1)).0;
        assert_eq!((i0, i1), (0, 1));
        assert_eq!(a[1].gen.get(), 1);
        assert_eq!(a.remove(i0).deadline, 0);
        assert_eq!(a.remove(i1).deadline, 1);
        assert!(a.get(i1).is_none());
        assert_eq!(a.insert(entry(2)).0, 1);
        assert_eq!(a[1].gen.get(), 2);
        assert_eq!(a.insert(entry(3)).0, 0);
        assert_eq!(a.insert(entry(4)).0, 2);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn a_slot_whose_generation_would_wrap_is_retired() {
        let mut a = Arena::with_capacity(2);
        let i = a.insert(entry(0)).0;
        a.remove(i);
        a.set_vacant_gen(i, u32::MAX - 2);
        let i = a.insert(entry(1)).0;
        assert_eq!(a[i as usize].gen.get(), u32::MAX - 1);
        a.remove(i);
        let i = a.insert(entry(2)).0;
        assert_eq!((i, a[i as usize].gen.get()), (0, u32::MAX));
        a.remove(i);
        // Retired: the next timer gets a fresh slot, and slot 0 never again.
        for k in 0..3 {
            let j = a.insert(entry(k)).0;
            assert_eq!(j, 1);
            a.remove(j);
        }
        assert_eq!(a.len(), 0);
        assert!(a.get(0).is_none());
    }
}
