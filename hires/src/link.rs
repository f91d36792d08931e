//! The red-black tree link: `intrusive_collections`' `RBTree` algorithms
//! over a link that keeps pointer provenance.
//!
//! `intrusive_collections::RBTreeLink` packs the colour into the low bit of
//! the parent pointer and recovers the pointer with an integer-to-pointer
//! cast, which Miri's `-Zmiri-strict-provenance` (used in CI) rejects.
//! `RBTree` is generic over its link operations ([`RBTreeOps`]), so this
//! link stores the parent as a real pointer and the colour in its own byte:
//!
//! ```text
//!   Link: left 8 | right 8 | parent 8 | colour 1 (+7 padding) = 32 bytes
//!   colour: 0 = unlinked, 1 = red, 2 = black
//! ```
//!
//! Nothing else changes: insertion, rebalancing and removal are
//! `intrusive_collections`' own code.

use core::cell::Cell;
use core::ptr::NonNull;

use intrusive_collections::rbtree::{Color, RBTreeOps};
use intrusive_collections::{DefaultLinkOps, LinkOps};

const UNLINKED: u8 = 0;
const RED: u8 = 1;
const BLACK: u8 = 2;

/// Intrusive red-black tree link (see the module docs).
pub(crate) struct Link {
    left: Cell<Option<NonNull<Link>>>,
    right: Cell<Option<NonNull<Link>>>,
    parent: Cell<Option<NonNull<Link>>>,
    color: Cell<u8>,
}

impl Link {
    pub(crate) const fn new() -> Self {
        Link {
            left: Cell::new(None),
            right: Cell::new(None),
            parent: Cell::new(None),
            color: Cell::new(UNLINKED),
        }
    }

    /// `true` while the link is in a tree.
    #[inline]
    pub(crate) fn is_linked(&self) -> bool {
        self.color.get() != UNLINKED
    }
}

/// Link operations for [`Link`].
#[derive(Clone, Copy, Default)]
pub(crate) struct TreeOps;

impl DefaultLinkOps for Link {
    type Ops = TreeOps;
    const NEW: TreeOps = TreeOps;
}

// SAFETY: `acquire_link` succeeds only for an unlinked link and marks it
// linked; `release_link` marks it unlinked. Neither panics.
unsafe impl LinkOps for TreeOps {
    type LinkPtr = NonNull<Link>;

    #[inline]
    unsafe fn acquire_link(&mut self, ptr: NonNull<Link>) -> bool {
        // SAFETY: the tree only passes pointers to live links.
        let link = unsafe { ptr.as_ref() };
        if link.is_linked() {
            false
        } else {
            link.parent.set(None);
            link.color.set(BLACK);
            true
        }
    }

    #[inline]
    unsafe fn release_link(&mut self, ptr: NonNull<Link>) {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.color.set(UNLINKED);
    }
}

// SAFETY: plain getters and setters of the link's own cells; none panics,
// and each setter stores exactly what the getter returns afterwards.
unsafe impl RBTreeOps for TreeOps {
    #[inline]
    unsafe fn left(&self, ptr: NonNull<Link>) -> Option<NonNull<Link>> {
        // SAFETY: the tree only passes pointers to live links.
        unsafe { ptr.as_ref() }.left.get()
    }

    #[inline]
    unsafe fn right(&self, ptr: NonNull<Link>) -> Option<NonNull<Link>> {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.right.get()
    }

    #[inline]
    unsafe fn parent(&self, ptr: NonNull<Link>) -> Option<NonNull<Link>> {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.parent.get()
    }

    #[inline]
    unsafe fn color(&self, ptr: NonNull<Link>) -> Color {
        // SAFETY: as above.
        if unsafe { ptr.as_ref() }.color.get() == BLACK {
            Color::Black
        } else {
            Color::Red
        }
    }

    #[inline]
    unsafe fn set_left(&mut self, ptr: NonNull<Link>, left: Option<NonNull<Link>>) {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.left.set(left);
    }

    #[inline]
    unsafe fn set_right(&mut self, ptr: NonNull<Link>, right: Option<NonNull<Link>>) {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.right.set(right);
    }

    #[inline]
    unsafe fn set_parent(&mut self, ptr: NonNull<Link>, parent: Option<NonNull<Link>>) {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.parent.set(parent);
    }

    #[inline]
    unsafe fn set_color(&mut self, ptr: NonNull<Link>, color: Color) {
        // SAFETY: as above.
        unsafe { ptr.as_ref() }.color.set(match color {
            Color::Red => RED,
            Color::Black => BLACK,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_release_round_trip() {
        let link = Link::new();
        let ptr = NonNull::from(&link);
        let mut ops = TreeOps;
        assert!(!link.is_linked());
        // SAFETY: `ptr` points to `link`, alive for the whole test.
        unsafe {
            assert!(ops.acquire_link(ptr));
            assert!(link.is_linked());
            assert!(matches!(ops.color(ptr), Color::Black));
            assert!(!ops.acquire_link(ptr));
            ops.set_color(ptr, Color::Red);
            assert!(matches!(ops.color(ptr), Color::Red));
            assert!(link.is_linked());
            ops.release_link(ptr);
        }
        assert!(!link.is_linked());
        assert_eq!(core::mem::size_of::<Link>(), 32);
    }
}
