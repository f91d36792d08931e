//! hrwheel: timers for data-plane and systems software.
//!
//! Two engines, one API:
//! - [`wheel`]: a hierarchical cascading timing wheel for coarse timeouts,
//!   most of which are cancelled before they fire;
//! - [`hires`]: a high-resolution queue ordered by a red-black tree for
//!   precise, mostly-expiring, often periodic timers.

pub use hrwheel_hires as hires;
pub use hrwheel_wheel as wheel;
