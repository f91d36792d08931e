//! Software prefetch of a timer's slot, for the slot walk in
//! [`Wheel::expire`](crate::Wheel::expire).
//!
//! A slot's timers are scattered over the arena, so walking a slot list is
//! a chain of dependent cache misses (a slot of level 2 holds ~4,000 timers
//! under W3, spread over 48 MB). As soon as an entry's `next` is known, the
//! walk asks for that entry's cache line, and works on the other ways of
//! the slot meanwhile (see `level.rs`, `WAYS`).
//!
//! The address is computed with `wrapping_add` from the arena's base
//! pointer and only handed to the prefetch instruction, which never faults
//! and never changes program state. On other targets, and under Miri, this
//! is a no-op.

/// Hints the CPU to load the cache line at `p` (any address, even dangling).
#[inline(always)]
pub(crate) fn prefetch<P>(p: *const P) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: prefetching is only a hint: it never faults, even on an
        // invalid address, and reads or writes no program-visible state.
        // (`_mm_prefetch` is a safe fn in newer Rust, hence the allow.)
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>())
        };
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    {
        let _ = p;
    }
}
