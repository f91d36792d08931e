//! Software prefetch of a slab entry by index, for the slot walk in
//! [`Wheel::expire`](crate::Wheel::expire).
//!
//! A slot's timers are scattered over the slab, so walking a slot list is a
//! chain of dependent cache misses (a slot of level 2 holds ~4,000 timers
//! under W3, ~200 KB of entries spread over 48 MB). As soon as an entry's
//! `next` is known, the walk asks for that entry's cache line, and works on
//! the other ways of the slot meanwhile (see `level.rs`, `WAYS`).
//!
//! `slab` gives no address for an index without reading the entry's tag
//! (itself the miss), so the address is computed from the entry at hand:
//! `slab` stores `enum { Vacant(usize), Occupied(T) }` in a `Vec`, and
//! [`SlabSlot`] has the same definition, hence the same size. The pointer is
//! built with `wrapping_offset` and only handed to the prefetch instruction,
//! which never faults and never changes program state: if the layout guess
//! were wrong the hint would just be useless (a unit test checks it). On
//! other targets, and under Miri, this is a no-op.

use crate::entry::Entry;

/// Same definition as `slab`'s private slot enum, used only for its size.
#[allow(dead_code)]
enum SlabSlot<T> {
    Vacant(usize),
    Occupied(T),
}

/// Hints the CPU to load the cache line of the entry at slab index `to`,
/// given a reference to the entry at index `from` of the same slab.
#[inline(always)]
pub(crate) fn prefetch_entry<T>(from: &Entry<T>, from_idx: u32, to_idx: u32) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let stride = std::mem::size_of::<SlabSlot<Entry<T>>>() as isize;
        let delta = (to_idx as isize - from_idx as isize) * stride;
        let p = (from as *const Entry<T>)
            .cast::<i8>()
            .wrapping_offset(delta);
        // SAFETY: prefetching is only a hint: it never faults, even on an
        // invalid address, and reads or writes no program-visible state.
        // (`_mm_prefetch` is a safe fn in newer Rust, hence the allow.)
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p)
        };
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    {
        let _ = (from, from_idx, to_idx);
    }
}

#[cfg(test)]
mod tests {
    use super::SlabSlot;
    use crate::entry::{Entry, NIL};
    use slab::Slab;
    use std::num::NonZeroU32;

    #[test]
    fn stride_matches_slab_layout() {
        let mut slab = Slab::new();
        for i in 0..3u64 {
            slab.insert(Entry {
                value: i,
                deadline: i,
                slack: 0,
                seq: i,
                prev: NIL,
                next: NIL,
                gen: NonZeroU32::MIN,
                level: 0,
                slot: 0,
                moves: 0,
                way: 0,
            });
        }
        let a = &slab[0] as *const Entry<u64> as usize;
        let b = &slab[2] as *const Entry<u64> as usize;
        assert_eq!(b - a, 2 * std::mem::size_of::<SlabSlot<Entry<u64>>>());
    }
}
