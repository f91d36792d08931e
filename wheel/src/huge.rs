//! Huge pages for the arena: a wheel of many timers touches its entries at
//! random (a reset, a cancel, an expiry each land on one timer among
//! hundreds of thousands), so with 4 KiB pages nearly every such access
//! also misses the TLB. Asking the kernel for transparent huge pages
//! (2 MiB) on the arena's buffer lets a few hundred TLB entries cover it.
//!
//! Only buffers of at least [`MIN_BYTES`] are advised: below that the
//! arena fits the TLB's reach anyway, and a huge page may hold up to
//! 2 MiB of memory the wheel never uses. Only the 2 MiB-aligned part of
//! the buffer can be backed by huge pages; the advice is a hint (it has no
//! effect when transparent huge pages are off, and is already the default
//! when they are `always`), and its result is ignored. Linux only; a no-op
//! elsewhere and under Miri.

/// The smallest buffer advised: two huge pages.
pub(crate) const MIN_BYTES: usize = 4 << 20;

const HUGE: usize = 2 << 20;

/// Asks for huge pages on the allocated capacity of `v` if it is at least
/// [`MIN_BYTES`].
pub(crate) fn advise<T>(v: &Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes < MIN_BYTES {
        return;
    }
    if let Some((addr, len)) = aligned(v.as_ptr() as usize, bytes) {
        hint(addr, len);
    }
}

/// The whole huge pages inside `[start, start + bytes)`, as `(address,
/// length)`; `None` if there is none.
fn aligned(start: usize, bytes: usize) -> Option<(usize, usize)> {
    let first = start.checked_next_multiple_of(HUGE)?;
    let end = start.checked_add(bytes)? / HUGE * HUGE;
    (end > first).then(|| (first, end - first))
}

#[cfg(all(target_os = "linux", not(miri)))]
fn hint(addr: usize, len: usize) {
    use std::ffi::{c_int, c_void};
    /// `MADV_HUGEPAGE` in Linux's `<asm-generic/mman-common.h>`.
    const MADV_HUGEPAGE: c_int = 14;
    extern "C" {
        fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    }
    // SAFETY: `madvise` with `MADV_HUGEPAGE` only changes how the kernel
    // backs the range (never its contents or mapping); the range is
    // page-aligned and inside the vector's own allocation. The result is
    // ignored: the advice is a hint.
    unsafe {
        madvise(addr as *mut c_void, len, MADV_HUGEPAGE);
    }
}

#[cfg(not(all(target_os = "linux", not(miri))))]
fn hint(_addr: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_huge_pages_inside_the_buffer_are_advised() {
        // Aligned: all of it.
        assert_eq!(aligned(HUGE, 2 * HUGE), Some((HUGE, 2 * HUGE)));
        // Unaligned both ends: the pages strictly inside.
        assert_eq!(aligned(HUGE + 16, 3 * HUGE), Some((2 * HUGE, 2 * HUGE)));
        // Less than one whole page inside.
        assert_eq!(aligned(HUGE + 16, HUGE), None);
        assert_eq!(aligned(16, 0), None);
        // Never past the end of the address space.
        assert_eq!(aligned(usize::MAX - 10, 100), None);
    }

    #[test]
    fn advising_any_vector_is_harmless() {
        // Empty, small (not advised) and large (advised where supported):
        // contents are untouched either way.
        let empty: Vec<u64> = Vec::new();
        advise(&empty);
        let mut small = vec![7u8; 100];
        advise(&small);
        small.push(8);
        assert_eq!(small.iter().map(|&b| u64::from(b)).sum::<u64>(), 708);
        // (Not under Miri, where the hint is a no-op and filling 4 MiB
        // takes minutes.)
        if cfg!(not(miri)) {
            let mut big: Vec<u64> = Vec::with_capacity(MIN_BYTES / 8 + 1);
            advise(&big);
            big.extend(0..(MIN_BYTES / 8) as u64);
            assert_eq!(big[12_345], 12_345);
        }
    }
}
