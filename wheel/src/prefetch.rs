//! Software prefetch of timers' entries and slot chunks, for the slot walk and the run in
//! [`Wheel::expire`](crate::Wheel::expire).
//!
//! A slot's timers are scattered over the arena, so touching each one is a
//! cache miss. Emptying a slot reads its bag a chunk ahead (see `bag.rs`):
//! it asks for the cache line of every entry named in the next chunk, and
//! for the chunk after it, while it handles the current chunk's timers.
//! Firing from the sorted run asks, for each timer it takes, for the entry
//! of the timer a few places behind it.
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
