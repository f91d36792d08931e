//! Doubly-linked lists threaded through the slab by `u32` index.
//!
//! A [`List`] is just a head and a tail index; the links live in the entries.
//! Every operation is O(1) except [`List::insert_sorted`], which walks back
//! from the tail past the entries that must come after the new one (zero steps
//! when the new entry is the latest armed, which is the usual case).

use crate::entry::{Entry, NIL};
use slab::Slab;

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

    /// Links `idx` so that the list stays sorted: it goes after every entry
    /// `e` with `!goes_after(e, new)` from the tail backwards, i.e. before the
    /// trailing run of entries for which `goes_after(e, new)` holds.
    #[inline]
    pub(crate) fn insert_sorted<T>(
        &mut self,
        slab: &mut Slab<Entry<T>>,
        idx: u32,
        goes_after: impl Fn(&Entry<T>, &Entry<T>) -> bool,
    ) {
        let mut at = self.tail;
        {
            let new = &slab[idx as usize];
            while at != NIL {
                let e = &slab[at as usize];
                if !goes_after(e, new) {
                    break;
                }
                at = e.prev;
            }
        }
        // Insert after `at` (NIL: at the head).
        let next = if at == NIL {
            self.head
        } else {
            slab[at as usize].next
        };
        {
            let e = &mut slab[idx as usize];
            e.prev = at;
            e.next = next;
        }
        if at == NIL {
            self.head = idx;
        } else {
            slab[at as usize].next = idx;
        }
        if next == NIL {
            self.tail = idx;
        } else {
            slab[next as usize].prev = idx;
        }
    }

    /// Appends `idx` at the tail.
    #[inline]
    pub(crate) fn push_back<T>(&mut self, slab: &mut Slab<Entry<T>>, idx: u32) {
        let tail = self.tail;
        {
            let e = &mut slab[idx as usize];
            e.prev = tail;
            e.next = NIL;
        }
        if tail == NIL {
            self.head = idx;
        } else {
            slab[tail as usize].next = idx;
        }
        self.tail = idx;
    }

    /// Unlinks `idx`, which must be in this list.
    #[inline]
    pub(crate) fn unlink<T>(&mut self, slab: &mut Slab<Entry<T>>, idx: u32) {
        let (prev, next) = {
            let e = &slab[idx as usize];
            (e.prev, e.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            slab[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab[next as usize].prev = prev;
        }
    }

    /// Unlinks and returns the head.
    #[inline]
    pub(crate) fn pop_front<T>(&mut self, slab: &mut Slab<Entry<T>>) -> Option<u32> {
        let idx = self.head;
        if idx == NIL {
            return None;
        }
        let next = slab[idx as usize].next;
        self.head = next;
        if next == NIL {
            self.tail = NIL;
        } else {
            slab[next as usize].prev = NIL;
        }
        Some(idx)
    }
}
