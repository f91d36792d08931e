//! Timer keys: slot index, generation and queue id.
//!
//! A key is 12 bytes and `Copy`. The generation makes a key to an
//! expired or cancelled timer stale (never another timer that reused the
//! slot); the queue id makes a key from another queue an error
//! ([`Error::ForeignKey`](crate::Error::ForeignKey)) instead of a
//! silent hit on an unrelated timer. Queue ids come from a process-wide
//! counter and wrap after 2^32 queues.

use core::sync::atomic::{AtomicU32, Ordering};

/// Names one timer of one [`HiresQueue`](crate::HiresQueue): armed, or
/// idle (see [`HiresQueue::insert_idle`](crate::HiresQueue::insert_idle)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) index: u32,
    pub(crate) gen: u32,
    pub(crate) queue: u32,
}

impl TimerKey {
    /// The index of the timer's slot: dense while the timer lives, reused
    /// after it ends (e.g. to index a table of the caller's).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, ());
    /// assert_eq!(k.index(), 0);
    /// ```
    #[inline]
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The key's index and generation in one word, without the queue's
    /// id: for a container that stores many keys and knows by other means
    /// which queue each came from.
    /// [`HiresQueue::key_from_raw`](crate::HiresQueue::key_from_raw) makes
    /// the key again.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, "a");
    /// let raw: u64 = k.into_raw();
    /// assert_eq!(q.key_from_raw(raw), k);
    /// ```
    #[inline(always)]
    pub fn into_raw(self) -> u64 {
        u64::from(self.gen) << 32 | u64::from(self.index)
    }
}

static NEXT_QUEUE_ID: AtomicU32 = AtomicU32::new(1);

pub(crate) fn new_queue_id() -> u32 {
    NEXT_QUEUE_ID.fetch_add(1, Ordering::Relaxed)
}
