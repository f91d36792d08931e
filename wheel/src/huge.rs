//! Transparent huge pages for the wheel's large buffers: the arena and the
//! chunk pool.
//!
//! A slot's timers sit at random places in the arena (48 bytes a timer,
//! 48 MB for a million), and expiry touches them in deadline order, which
//! is random order in memory. With 4 KiB pages nearly every such touch
//! also misses the TLB (its entries cover a few MB) and costs a page walk
//! on top of the cache miss, and a software prefetch cannot hide it as
//! well. Backed by 2 MiB pages the same buffer needs a few dozen TLB
//! entries. So when a buffer of at least two huge pages is allocated or
//! has grown, the wheel asks Linux to back it with transparent huge pages
//! (`madvise(MADV_HUGEPAGE)`, honoured when
//! `/sys/kernel/mm/transparent_hugepage/enabled` is `always` or
//! `madvise`, the usual defaults). It is only a hint about memory the
//! wheel owns: no data changes, and a refusal is ignored. Elsewhere (other
//! systems, Miri) this is a no-op.

/// Asks for huge pages for `v`'s buffer, from the 4 KiB page it starts in
/// to the one it ends in: advising only the whole 2 MiB pages inside it
/// split the allocator's mapping in three, and glibc's `realloc` could
/// then no longer grow the buffer with `mremap` but copied it (28 ms for
/// a 48 MB arena, seen with strace).
#[inline]
pub(crate) fn advise<T>(v: &Vec<T>) {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64"),
        not(miri)
    ))]
    {
        use core::ffi::{c_int, c_void};
        const HUGE: usize = 2 << 20;
        const PAGE: usize = 4096;
        /// `MADV_HUGEPAGE` on these architectures.
        const MADV_HUGEPAGE: c_int = 14;
        unsafe extern "C" {
            fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
        }
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < 2 * HUGE {
            return;
        }
        let base = v.as_ptr().cast::<u8>();
        let start = base as usize;
        let from = start / PAGE * PAGE;
        let to = (start + bytes).next_multiple_of(PAGE);
        let addr = base.wrapping_sub(start - from).cast_mut().cast::<c_void>();
        // SAFETY: `[from, to)` is the run of whole pages that `v`'s
        // buffer overlaps (its capacity, written or not); the few
        // bytes of the first and last page outside the buffer belong
        // to the allocator or to no one. `MADV_HUGEPAGE` changes no
        // memory contents, protection or Rust-visible state of any of
        // them, only the size of the pages that back them. The result
        // is ignored: a kernel without THP says no.
        unsafe {
            madvise(addr, to - from, MADV_HUGEPAGE);
        }
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64"),
        not(miri)
    )))]
    {
        let _ = v;
    }
}
