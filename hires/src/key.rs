//! Timer keys: slot index, generation and queue id.
//!
//! A key is 12 bytes and `Copy`. The generation makes a key to an
//! expired or cancelled timer stale (never another timer that reused the
//! slot); the queue id makes a key from another queue an error
//! ([`Error::ForeignKey`](crate::Error::ForeignKey)) instead of a
//! silent hit on an unrelated timer. Queue ids come from a process-wide
//! counter and wrap after 2^32 queues.

use core::sync::atomic::{AtomicU32, Ordering};

/// Names one armed timer of one [`HiresQueue`](crate::HiresQueue).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) index: u32,
    pub(crate) gen: u32,
    pub(crate) queue: u32,
}

static NEXT_QUEUE_ID: AtomicU32 = AtomicU32::new(1);

pub(crate) fn new_queue_id() -> u32 {
    NEXT_QUEUE_ID.fetch_add(1, Ordering::Relaxed)
}
