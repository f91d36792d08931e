//! Timeout events and the pool they come from.
//!
//! As in ODP, the event a timer delivers on expiry is allocated apart from
//! the timer: a [`TimeoutPool`] owns `n` event buffers, allocated once when
//! the pool is created, and hands them out as [`Timeout`] values. An event
//! is its id in its pool and a reference to the pool; while a timer holds
//! it, that is all the timer stores (16 bytes, in the timer's own entry), and
//! the timer, tick, context and stamp are written into the `Timeout` value
//! when it leaves the pool. Setting, resetting, cancelling and expiring a
//! timer only *move* values; nothing is allocated, freed or written through
//! a pointer.
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
//! free list is a `crossbeam_queue::ArrayQueue` of ids, so `alloc` and drop
//! are lock-free and may happen on any thread.
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

/// The free ids of a [`TimeoutPool`].
struct Home {
    free: ArrayQueue<u32>,
}

/// An event buffer as a timer holds it: its id and its pool. Dropping it
/// returns the id to the pool.
pub(crate) struct Held {
    home: Arc<Home>,
    id: u32,
}

impl Drop for Held {
    fn drop(&mut self) {
        // Cannot fail: the queue has room for every id of the pool and this
        // id is not in it.
        let _ = self.home.free.push(self.id);
    }
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
    ///
    /// ```
    /// assert!(hrwheel::TimeoutPool::new(0).is_err());
    /// ```
    pub fn new(capacity: usize) -> Result<Self, Error> {
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        if capacity > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge);
        }
        let free = ArrayQueue::new(capacity);
        for i in 0..capacity {
            // Cannot fail: exactly `capacity` pushes into a queue of
            // `capacity`; ids fit `u32` (MAX_CAPACITY < 2^32).
            let _ = free.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Ok(TimeoutPool {
            home: Arc::new(Home { free }),
        })
    }

    /// Takes a free event, or [`Error::TimeoutPoolExhausted`].
    ///
    /// ```
    /// let events = hrwheel::TimeoutPool::new(1)?;
    /// let ev = events.alloc()?;
    /// assert_eq!((ev.timer(), ev.tick()), (None, 0)); // never set
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn alloc(&self) -> Result<Timeout, Error> {
        match self.home.free.pop() {
            Some(id) => Ok(Timeout::new(Held {
                home: self.home.clone(),
                id,
            })),
            None => Err(Error::TimeoutPoolExhausted),
        }
    }

    /// Events currently free.
    ///
    /// ```
    /// assert_eq!(hrwheel::TimeoutPool::new(3)?.available(), 3);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn available(&self) -> usize {
        self.home.free.len()
    }

    /// Events the pool was created with.
    ///
    /// ```
    /// assert_eq!(hrwheel::TimeoutPool::new(3)?.capacity(), 3);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
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
    held: Held,
    timer: Option<TimerKey>,
    tick: u64,
    ctx: u64,
    stamp: u64,
    overruns: u64,
}

impl Timeout {
    #[inline]
    fn new(held: Held) -> Self {
        Timeout {
            held,
            timer: None,
            tick: 0,
            ctx: 0,
            stamp: 0,
            overruns: 0,
        }
    }

    /// The timer this event was last set on (`None` for an event fresh from
    /// its pool).
    #[inline]
    pub fn timer(&self) -> Option<TimerKey> {
        self.timer
    }

    /// The expiration tick the event was set for.
    #[inline]
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The user context of the timer the event was set on.
    #[inline]
    pub fn user_ctx(&self) -> u64 {
        self.ctx
    }

    /// For a periodic timer's event: the periods that fired since the
    /// previous delivery without delivering (the pass came late, or the
    /// event had not been [acknowledged](crate::TimerPool::ack) yet); 0 for
    /// a one-shot timer. Expiration `k` of a periodic timer is at `first + k
    /// * period` exactly, so `tick()` and this count place every period.
    #[inline]
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// The event's index in its [`TimeoutPool`] (`0..capacity`): a stable
    /// identity, e.g. to check that no event is duplicated or lost.
    #[inline]
    pub fn id(&self) -> u32 {
        self.held.id
    }

    #[inline]
    pub(crate) fn stamp(&self) -> u64 {
        self.stamp
    }

    /// The buffer, as a timer keeps it while armed.
    #[inline]
    pub(crate) fn into_held(self) -> Held {
        self.held
    }

    /// The event leaving a timer, with the setting it describes.
    #[inline]
    pub(crate) fn leave(
        held: Held,
        timer: TimerKey,
        tick: u64,
        ctx: u64,
        stamp: u64,
        overruns: u64,
    ) -> Self {
        Timeout {
            held,
            timer: Some(timer),
            tick,
            ctx,
            stamp,
            overruns,
        }
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("id", &self.held.id)
            .field("timer", &self.timer)
            .field("tick", &self.tick)
            .field("user_ctx", &self.ctx)
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
    fn a_held_event_is_not_lost_and_realloc_is_blank() {
        let p = TimeoutPool::new(1).unwrap();
        let e = p.alloc().unwrap();
        let held = e.into_held();
        assert_eq!(p.available(), 0, "held by a timer, not free");
        drop(held);
        let e = p.alloc().unwrap();
        assert_eq!((e.timer(), e.tick(), e.user_ctx()), (None, 0, 0));
    }
}
