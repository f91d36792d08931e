//! Timeout events and the pool they come from.
//!
//! As in ODP, the event a timer delivers on expiry is allocated apart from
//! the timer: a [`TimeoutPool`] owns `n` event buffers, allocated once when
//! the pool is created, and hands them out as [`Timeout`] values. Setting,
//! resetting, cancelling and expiring a timer only *moves* a `Timeout` (one
//! pointer plus the pool reference); nothing is allocated or freed.
//!
//! ```text
//!   TimeoutPool::new(n)          alloc()            set_abs(.., Some(ev))
//!   [buf][buf]...[buf] free  --> Timeout(buf) --> held by the timer
//!          ^                                            | expire()
//!          |  drop(Timeout)                             v
//!          +------------------ user <-- pop() --- TimeoutQueue
//! ```
//!
//! A `Timeout` is move-only: it cannot be duplicated, and dropping it returns
//! its buffer to its pool (RAII), so an event is never leaked either. The
//! free list is a `crossbeam_queue::ArrayQueue`, so `alloc` and drop are
//! lock-free and may happen on any thread.
//!
//! When an event leaves the pool (delivered, cancelled, replaced or freed)
//! it records its timer, the expiration tick and the timer's user context,
//! plus a *stamp*: the value of the timer slot's `u64` counter, which is
//! never reset and is bumped whenever events handed out so far may no
//! longer describe the timer: arming an idle or expired timer, setting it
//! with a new event (the replaced one is handed back stale), cancelling
//! and freeing. A reset that keeps the held event bumps nothing: that event
//! has not left the pool, and any event that did went stale when the held
//! one was armed. [`TimerPool::is_fresh`](crate::TimerPool::is_fresh)
//! compares the event's stamp with the slot's, which is how an event in a
//! queue is known to be stale after its timer was set again, cancelled or
//! freed, even if the slot now serves another timer (ODP's
//! `odp_timeout_fresh`).

use std::fmt;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::capability::MAX_CAPACITY;
use crate::error::Error;
use crate::key::TimerKey;

/// The payload of one event buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventData {
    timer: Option<TimerKey>,
    tick: u64,
    ctx: u64,
    stamp: u64,
    id: u32,
}

static EMPTY: EventData = EventData {
    timer: None,
    tick: 0,
    ctx: 0,
    stamp: 0,
    id: u32::MAX,
};

struct Home {
    free: ArrayQueue<Box<EventData>>,
}

/// A pool of preallocated timeout events. Cheap to clone (a reference to
/// the same pool); `Send + Sync`.
///
/// ```
/// let events = hrwheel::TimeoutPool::new(2)?;
/// let a = events.alloc()?;
/// let _b = events.alloc()?;
/// assert!(events.alloc().is_err());
/// drop(a); // back to the pool
/// assert_eq!(events.available(), 1);
/// # Ok::<(), hrwheel::Error>(())
/// ```
#[derive(Clone)]
pub struct TimeoutPool {
    home: Arc<Home>,
}

impl TimeoutPool {
    /// Allocates `capacity` events up front. [`Error::ZeroCapacity`] for 0,
    /// [`Error::CapacityTooLarge`] above [`MAX_CAPACITY`](crate::MAX_CAPACITY).
    pub fn new(capacity: usize) -> Result<Self, Error> {
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        if capacity > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge);
        }
        let free = ArrayQueue::new(capacity);
        for i in 0..capacity {
            let buf = Box::new(EventData {
                id: u32::try_from(i).unwrap_or(u32::MAX),
                ..EMPTY
            });
            // Cannot fail: exactly `capacity` pushes into a queue of
            // `capacity`.
            let _ = free.push(buf);
        }
        Ok(TimeoutPool {
            home: Arc::new(Home { free }),
        })
    }

    /// Takes a free event, or [`Error::TimeoutPoolExhausted`].
    #[inline]
    pub fn alloc(&self) -> Result<Timeout, Error> {
        match self.home.free.pop() {
            Some(mut data) => {
                data.timer = None;
                data.tick = 0;
                data.ctx = 0;
                data.stamp = 0;
                Ok(Timeout {
                    data: Some(data),
                    home: self.home.clone(),
                })
            }
            None => Err(Error::TimeoutPoolExhausted),
        }
    }

    /// Events currently free.
    pub fn available(&self) -> usize {
        self.home.free.len()
    }

    /// Events the pool was created with.
    pub fn capacity(&self) -> usize {
        self.home.free.capacity()
    }
}

impl fmt::Debug for TimeoutPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutPool")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}

/// A timeout event: what a timer delivers to its queue when it expires.
///
/// Move-only; dropping it returns it to its [`TimeoutPool`].
pub struct Timeout {
    // `None` only while being dropped.
    data: Option<Box<EventData>>,
    home: Arc<Home>,
}

impl Timeout {
    #[inline]
    fn d(&self) -> &EventData {
        self.data.as_deref().unwrap_or(&EMPTY)
    }

    /// The timer this event was last set on (`None` for an event fresh from
    /// its pool).
    #[inline]
    pub fn timer(&self) -> Option<TimerKey> {
        self.d().timer
    }

    /// The expiration tick the event was set for.
    #[inline]
    pub fn tick(&self) -> u64 {
        self.d().tick
    }

    /// The user context of the timer the event was set on.
    #[inline]
    pub fn user_ctx(&self) -> u64 {
        self.d().ctx
    }

    /// The event's index in its [`TimeoutPool`] (`0..capacity`): a stable
    /// identity, e.g. to check that no event is duplicated or lost.
    #[inline]
    pub fn id(&self) -> u32 {
        self.d().id
    }

    #[inline]
    pub(crate) fn stamp(&self) -> u64 {
        self.d().stamp
    }

    /// Records the setting the event is armed with.
    #[inline]
    pub(crate) fn arm(&mut self, timer: TimerKey, tick: u64, ctx: u64, stamp: u64) {
        if let Some(d) = self.data.as_deref_mut() {
            d.timer = Some(timer);
            d.tick = tick;
            d.ctx = ctx;
            d.stamp = stamp;
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            // Cannot fail: the queue has room for every buffer of the pool
            // and this buffer is not in it.
            let _ = self.home.free.push(data);
        }
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.d();
        f.debug_struct("Timeout")
            .field("id", &d.id)
            .field("timer", &d.timer)
            .field("tick", &d.tick)
            .field("user_ctx", &d.ctx)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_capacity_is_refused() {
        assert_eq!(TimeoutPool::new(0).err(), Some(Error::ZeroCapacity));
    }

    #[test]
    fn exhaustion_and_return_on_drop() {
        let p = TimeoutPool::new(3).unwrap();
        let evs: Vec<_> = (0..3).map(|_| p.alloc().unwrap()).collect();
        let mut ids: Vec<u32> = evs.iter().map(Timeout::id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![0, 1, 2]);
        assert_eq!(p.alloc().err(), Some(Error::TimeoutPoolExhausted));
        assert_eq!(p.available(), 0);
        drop(evs);
        assert_eq!(p.available(), 3);
        assert_eq!(p.capacity(), 3);
    }

    #[test]
    fn realloc_clears_the_previous_setting() {
        let p = TimeoutPool::new(1).unwrap();
        let mut e = p.alloc().unwrap();
        let t = TimerKey::new(1, 2, 3);
        e.arm(t, 42, 7, 9);
        assert_eq!((e.timer(), e.tick(), e.user_ctx()), (Some(t), 42, 7));
        drop(e);
        let e = p.alloc().unwrap();
        assert_eq!((e.timer(), e.tick(), e.user_ctx()), (None, 0, 0));
    }
}
