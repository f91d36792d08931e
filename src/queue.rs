//! The destination queue of expired timeout events.
//!
//! A bounded multi-producer multi-consumer queue of [`Timeout`]s: a thin
//! wrapper over `crossbeam_queue::ArrayQueue` (lock-free, a fixed ring
//! allocated once, so pushing and popping never allocate). Cheap to clone:
//! clones are handles to the same queue, which is how a timer refers to its
//! destination (ODP's `odp_queue_t`). Any thread may pop.
//!
//! The pool pushes an expired timer's event here. If the queue is full the
//! event is not dropped: the pool keeps it pending and retries on its next
//! expiry pass, and counts the deferral (see
//! [`PoolInfo::deferred`](crate::PoolInfo)).

use std::fmt;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::capability::MAX_CAPACITY;
use crate::error::Error;
use crate::timeout::Timeout;

/// A bounded MPMC queue of timeout events.
///
/// ```
/// let q = hrwheel::TimeoutQueue::new(8)?;
/// assert!(q.pop().is_none());
/// let events = hrwheel::TimeoutPool::new(1)?;
/// q.push(events.alloc()?).expect("room");
/// assert_eq!(q.len(), 1);
/// # Ok::<(), hrwheel::Error>(())
/// ```
#[derive(Clone)]
pub struct TimeoutQueue {
    inner: Arc<ArrayQueue<Timeout>>,
}

impl TimeoutQueue {
    /// A queue holding at most `capacity` events; [`Error::ZeroCapacity`]
    /// for 0, [`Error::CapacityTooLarge`] above
    /// [`MAX_CAPACITY`](crate::MAX_CAPACITY).
    pub fn new(capacity: usize) -> Result<Self, Error> {
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        if capacity > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge);
        }
        Ok(TimeoutQueue {
            inner: Arc::new(ArrayQueue::new(capacity)),
        })
    }

    /// Enqueues an event, or hands it back if the queue is full.
    #[inline]
    pub fn push(&self, event: Timeout) -> Result<(), Timeout> {
        self.inner.push(event)
    }

    /// Dequeues the oldest event.
    #[inline]
    pub fn pop(&self) -> Option<Timeout> {
        self.inner.pop()
    }

    /// Events in the queue.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether the queue is full.
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The most events the queue holds.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether `self` and `other` are handles to the same queue.
    pub fn same_queue(&self, other: &TimeoutQueue) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for TimeoutQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TimeoutPool;

    #[test]
    fn full_queue_hands_the_event_back() {
        let q = TimeoutQueue::new(1).unwrap();
        let p = TimeoutPool::new(2).unwrap();
        q.push(p.alloc().unwrap()).unwrap();
        let back = q.push(p.alloc().unwrap()).unwrap_err();
        assert!(q.is_full());
        assert_eq!(p.available(), 0, "the refused event is still alive");
        drop(back);
        assert_eq!(p.available(), 1);
        assert!(q.pop().is_some());
        assert!(q.is_empty());
        assert_eq!(TimeoutQueue::new(0).err(), Some(Error::ZeroCapacity));
    }

    #[test]
    fn clones_share_the_queue() {
        let q = TimeoutQueue::new(4).unwrap();
        let q2 = q.clone();
        let p = TimeoutPool::new(1).unwrap();
        q.push(p.alloc().unwrap()).unwrap();
        assert!(q2.pop().is_some());
        assert!(q.same_queue(&q2));
        assert!(!q.same_queue(&TimeoutQueue::new(4).unwrap()));
    }
}
