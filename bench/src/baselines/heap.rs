//! `BinaryHeap` with lazy cancellation.
//!
//! Each armed timer owns a slot `{id, gen}`; the heap holds
//! `(deadline, seq, slot, gen)`. Cancel bumps the slot's generation and
//! frees it, leaving the heap entry behind; a popped entry whose generation
//! no longer matches is dropped unseen. Reset = cancel + push.
//!
//! Left alone, stale entries pile up whenever timers are cancelled faster
//! than time passes (W2 never advances time; W1 resets 2,400 timers a
//! tick). So, like any production version, the heap is compacted
//! (`retain` + heapify, O(n)) when stale entries outnumber live ones plus
//! 1,024; amortised, that adds O(1) per cancel and keeps memory O(live).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::queue::TimerQueue;

#[derive(Clone, Copy, Debug)]
struct Entry {
    deadline: u64,
    seq: u64,
    slot: u32,
    gen: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    id: u64,
    gen: u32,
    live: bool,
}

/// Key of a [`LazyHeap`] timer: slot index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapKey {
    slot: u32,
    gen: u32,
}

/// `BinaryHeap` timer queue with lazy (generation-checked) cancellation.
#[derive(Debug, Default)]
pub struct LazyHeap {
    heap: BinaryHeap<Reverse<Entry>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    seq: u64,
    live: usize,
}

impl LazyHeap {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty heap with room for `n` live timers: the heap vector gets
    /// `2n + 1024` entries, the most it holds before compaction, so it
    /// never reallocates in a timed loop (as a user sizing it would do).
    pub fn with_capacity(n: usize) -> Self {
        LazyHeap {
            heap: BinaryHeap::with_capacity(2 * n + 1025),
            slots: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// Heap entries, stale ones included (for tests).
    pub fn heap_len(&self) -> usize {
        self.heap.len()
    }

    fn is_current(&self, e: &Entry) -> bool {
        let s = &self.slots[e.slot as usize];
        s.live && s.gen == e.gen
    }

    fn free_slot(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.live = false;
        s.gen = s.gen.wrapping_add(1);
        self.free.push(slot);
        self.live -= 1;
    }

    fn maybe_compact(&mut self) {
        if self.heap.len() - self.live > self.live + 1024 {
            let slots = &self.slots;
            self.heap.retain(|Reverse(e)| {
                let s = &slots[e.slot as usize];
                s.live && s.gen == e.gen
            });
        }
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if self.is_current(top) {
                break;
            }
            self.heap.pop();
        }
    }
}

impl TimerQueue for LazyHeap {
    type Key = HeapKey;

    fn name(&self) -> &'static str {
        "BinaryHeap (lazy cancel)"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> HeapKey {
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                s.id = id;
                s.live = true;
                slot
            }
            None => {
                self.slots.push(Slot {
                    id,
                    gen: 0,
                    live: true,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let gen = self.slots[slot as usize].gen;
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            deadline,
            seq: self.seq,
            slot,
            gen,
        }));
        self.live += 1;
        HeapKey { slot, gen }
    }

    fn cancel(&mut self, key: HeapKey) -> bool {
        match self.slots.get(key.slot as usize) {
            Some(s) if s.live && s.gen == key.gen => {
                self.free_slot(key.slot);
                self.maybe_compact();
                true
            }
            _ => false,
        }
    }

    fn reset(&mut self, key: HeapKey, deadline: u64) -> Option<HeapKey> {
        let id = match self.slots.get(key.slot as usize) {
            Some(s) if s.live && s.gen == key.gen => s.id,
            _ => return None,
        };
        self.free_slot(key.slot);
        let key = self.insert(deadline, id);
        self.maybe_compact();
        Some(key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if top.deadline > to {
                break;
            }
            let e = *top;
            self.heap.pop();
            if self.is_current(&e) {
                out.push((e.deadline, self.slots[e.slot as usize].id));
                self.free_slot(e.slot);
            }
        }
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.drop_stale_top();
        self.heap.peek().map(|Reverse(e)| e.deadline)
    }

    fn len(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_cancel_skips_stale_and_compacts() {
        let mut h = LazyHeap::new();
        let a = h.insert(10, 1);
        let b = h.insert(5, 2);
        assert!(h.cancel(b));
        assert!(!h.cancel(b));
        assert_eq!(h.next_deadline(), Some(10));
        let a2 = h.reset(a, 20).unwrap();
        assert!(h.reset(a, 30).is_none());
        let mut out = Vec::new();
        h.advance(19, &mut out);
        assert!(out.is_empty());
        h.advance(20, &mut out);
        assert_eq!(out, vec![(20, 1)]);
        assert!(!h.cancel(a2));
        assert!(h.is_empty());
        // Insert-cancel churn never lets the heap grow past live + 1024 + 1.
        let keep = h.insert(1000, 7);
        for i in 0..10_000 {
            let k = h.insert(2000 + i, i);
            assert!(h.cancel(k));
            assert!(h.heap_len() <= 2 * h.len() + 1025);
        }
        assert_eq!(h.len(), 1);
        assert!(h.cancel(keep));
    }
}
