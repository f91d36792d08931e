//! Doubly-linked lists threaded through the arena by `u32` index.
//!
//! A [`List`] is just a head and a tail index; the links live in the entries.
//! Every operation is O(1) except [`List::sort`], an in-place merge sort that
//! allocates nothing and that the wheel runs only on the set of timers firing
//! at one tick, and only when that set is out of order.

use crate::arena::Arena;
use crate::entry::{Entry, NIL};

/// Head and tail of one list.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Appends `idx` at the tail (the wheel appends with
    /// [`insert_after`](Self::insert_after); the tests use this).
    #[cfg(test)]
    pub(crate) fn push_back<T>(&mut self, arena: &mut Arena<T>, idx: u32) {
        let tail = self.tail;
        {
            let e = &mut arena[idx as usize];
            e.prev = tail;
            e.next = NIL;
        }
        if tail == NIL {
            self.head = idx;
        } else {
            arena[tail as usize].next = idx;
        }
        self.tail = idx;
    }

    /// Links the unlinked `idx` right after `after`, which must be in this
    /// list, or at the head if `after` is [`NIL`].
    #[inline]
    pub(crate) fn insert_after<T>(&mut self, arena: &mut Arena<T>, after: u32, idx: u32) {
        let next = if after == NIL {
            self.head
        } else {
            arena[after as usize].next
        };
        {
            let e = &mut arena[idx as usize];
            e.prev = after;
            e.next = next;
        }
        if after == NIL {
            self.head = idx;
        } else {
            arena[after as usize].next = idx;
        }
        if next == NIL {
            self.tail = idx;
        } else {
            arena[next as usize].prev = idx;
        }
    }

    /// Unlinks `idx`, which must be in this list.
    #[inline]
    pub(crate) fn unlink<T>(&mut self, arena: &mut Arena<T>, idx: u32) {
        let (prev, next) = {
            let e = &arena[idx as usize];
            (e.prev, e.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            arena[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            arena[next as usize].prev = prev;
        }
    }

    /// Unlinks and returns the head.
    #[inline]
    pub(crate) fn pop_front<T>(&mut self, arena: &mut Arena<T>) -> Option<u32> {
        let idx = self.head;
        if idx == NIL {
            return None;
        }
        let next = arena[idx as usize].next;
        self.head = next;
        if next == NIL {
            self.tail = NIL;
        } else {
            arena[next as usize].prev = NIL;
        }
        Some(idx)
    }

    /// Sorts the list in place, stably, so that `le(a, b)` holds for each
    /// pair of neighbours; O(n log n), no allocation (bottom-up merge sort on
    /// the `next` links, as in Simon Tatham's list mergesort, then one pass to
    /// rebuild `prev` and the tail).
    pub(crate) fn sort<T>(
        &mut self,
        arena: &mut Arena<T>,
        le: impl Fn(&Entry<T>, &Entry<T>) -> bool,
    ) {
        let mut list = self.head;
        if list == NIL {
            return;
        }
        let next = |arena: &Arena<T>, i: u32| arena[i as usize].next;
        let mut run = 1usize;
        loop {
            let mut p = list;
            list = NIL;
            let mut tail = NIL;
            let mut merges = 0usize;
            while p != NIL {
                merges += 1;
                // `p` heads a run of up to `run` entries, `q` the next one.
                let mut q = p;
                let mut psize = 0usize;
                while psize < run && q != NIL {
                    psize += 1;
                    q = next(arena, q);
                }
                let mut qsize = run;
                while psize > 0 || (qsize > 0 && q != NIL) {
                    let take_p = if psize == 0 {
                        false
                    } else if qsize == 0 || q == NIL {
                        true
                    } else {
                        le(&arena[p as usize], &arena[q as usize])
                    };
                    let e = if take_p {
                        let e = p;
                        p = next(arena, p);
                        psize -= 1;
                        e
                    } else {
                        let e = q;
                        q = next(arena, q);
                        qsize -= 1;
                        e
                    };
                    if tail == NIL {
                        list = e;
                    } else {
                        arena[tail as usize].next = e;
                    }
                    tail = e;
                }
                p = q;
            }
            arena[tail as usize].next = NIL;
            if merges <= 1 {
                break;
            }
            run *= 2;
        }
        self.head = list;
        let (mut prev, mut cur) = (NIL, list);
        while cur != NIL {
            let e = &mut arena[cur as usize];
            e.prev = prev;
            prev = cur;
            cur = e.next;
        }
        self.tail = prev;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(deadline: u64, seq: u64) -> Entry<()> {
        crate::arena::tests::entry_of((), deadline, seq)
    }

    fn collect(list: &List, arena: &Arena<()>) -> Vec<(u64, u64)> {
        let (mut out, mut prev, mut cur) = (Vec::new(), NIL, list.head);
        while cur != NIL {
            let e = &arena[cur as usize];
            assert_eq!(e.prev, prev);
            out.push((e.deadline, e.seq));
            prev = cur;
            cur = e.next;
        }
        assert_eq!(list.tail, prev);
        out
    }

    #[test]
    fn sort_orders_stably_and_relinks_both_ways() {
        let mut x = 12345u64;
        for n in [0usize, 1, 2, 3, 7, 64, 100, 1000] {
            let mut arena = Arena::with_capacity(0);
            let mut list = List::EMPTY;
            for seq in 0..n as u64 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let idx = arena.insert(entry((x >> 60) % 5, seq)).0;
                list.push_back(&mut arena, idx);
            }
            let mut want = collect(&list, &arena);
            want.sort_by_key(|&(d, _)| d); // stable: seq order within a deadline
            list.sort(&mut arena, |a, b| a.deadline <= b.deadline);
            assert_eq!(collect(&list, &arena), want, "n = {n}");
        }
    }

    #[test]
    fn unlink_and_pop_keep_links_consistent() {
        let mut arena = Arena::with_capacity(0);
        let mut list = List::EMPTY;
        let idx: Vec<u32> = (0..5).map(|i| arena.insert(entry(i, i)).0).collect();
        for &i in &idx {
            list.push_back(&mut arena, i);
        }
        let extra = arena.insert(entry(9, 9)).0;
        list.insert_after(&mut arena, idx[1], extra);
        assert_eq!(
            collect(&list, &arena),
            vec![(0, 0), (1, 1), (9, 9), (2, 2), (3, 3), (4, 4)]
        );
        list.unlink(&mut arena, extra);
        let first = arena.insert(entry(8, 8)).0;
        list.insert_after(&mut arena, NIL, first);
        let last = arena.insert(entry(7, 7)).0;
        list.insert_after(&mut arena, idx[4], last);
        assert_eq!(
            collect(&list, &arena),
            vec![(8, 8), (0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (7, 7)]
        );
        list.unlink(&mut arena, first);
        list.unlink(&mut arena, last);
        list.unlink(&mut arena, idx[0]);
        list.unlink(&mut arena, idx[4]);
        list.unlink(&mut arena, idx[2]);
        assert_eq!(collect(&list, &arena), vec![(1, 1), (3, 3)]);
        assert_eq!(list.pop_front(&mut arena), Some(idx[1]));
        assert_eq!(list.pop_front(&mut arena), Some(idx[3]));
        assert_eq!(list.pop_front(&mut arena), None);
        assert!(list.is_empty());
        assert_eq!(list.tail, NIL);
    }
}
