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
    ///
    /// ```
    /// use hrwheel::{Error, TimeoutQueue};
    /// assert_eq!(TimeoutQueue::new(8)?.capacity(), 8);
    /// assert_eq!(TimeoutQueue::new(0).unwrap_err(), Error::ZeroCapacity);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
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
    ///
    /// ```
    /// let (q, events) = (hrwheel::TimeoutQueue::new(1)?, hrwheel::TimeoutPool::new(2)?);
    /// q.push(events.alloc()?).unwrap();
    /// let back = q.push(events.alloc()?).unwrap_err(); // full: nothing lost
    /// assert_eq!(back.id(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn push(&self, event: Timeout) -> Result<(), Timeout> {
        self.inner.push(event)
    }

    /// Dequeues the oldest event.
    ///
    /// ```
    /// let (q, events) = (hrwheel::TimeoutQueue::new(2)?, hrwheel::TimeoutPool::new(2)?);
    /// let (a, b) = (events.alloc()?, events.alloc()?);
    /// let (ia, ib) = (a.id(), b.id());
    /// q.push(a).unwrap();
    /// q.push(b).unwrap();
    /// assert_eq!(q.pop().map(|e| e.id()), Some(ia)); // first in, first out
    /// assert_eq!(q.pop().map(|e| e.id()), Some(ib));
    /// assert!(q.pop().is_none());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn pop(&self) -> Option<Timeout> {
        self.inner.pop()
    }

    /// Events in the queue.
    ///
    /// ```
    /// let (q, events) = (hrwheel::TimeoutQueue::new(4)?, hrwheel::TimeoutPool::new(1)?);
    /// assert_eq!(q.len(), 0);
    /// q.push(events.alloc()?).unwrap();
    /// assert_eq!(q.len(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the queue is empty.
    ///
    /// ```
    /// let (q, events) = (hrwheel::TimeoutQueue::new(4)?, hrwheel::TimeoutPool::new(1)?);
    /// assert!(q.is_empty());
    /// q.push(events.alloc()?).unwrap();
    /// assert!(!q.is_empty());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether the queue is full: a pass then keeps the events due to it in
    /// their timers and retries them on later passes.
    ///
    /// ```
    /// let (q, events) = (hrwheel::TimeoutQueue::new(1)?, hrwheel::TimeoutPool::new(1)?);
    /// assert!(!q.is_full());
    /// q.push(events.alloc()?).unwrap();
    /// assert!(q.is_full());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The most events the queue holds.
    ///
    /// ```
    /// assert_eq!(hrwheel::TimeoutQueue::new(3)?.capacity(), 3);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// Whether `self` and `other` are handles to the same queue (clones
    /// share one queue).
    ///
    /// ```
    /// let q = hrwheel::TimeoutQueue::new(1)?;
    /// assert!(q.same_queue(&q.clone()));
    /// assert!(!q.same_queue(&hrwheel::TimeoutQueue::new(1)?));
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn same_queue(&self, other: &TimeoutQueue) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The queue's address: equal for two handles exactly when
    /// [`same_queue`](Self::same_queue) (while either lives).
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.inner).cast::<()>().addr()
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
