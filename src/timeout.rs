//! Timeout events and the pool they come from.
//!
//! As in ODP, the event a timer delivers on expiry is allocated apart from
//! the timer: a [`TimeoutPool`] owns `n` event buffers, allocated once when
//! the pool is created, and hands them out as [`Timeout`] values. A
//! `Timeout` is 32 bytes: its buffer (a reference to its pool and an id),
//! and the two things every consumer reads, the expiration tick and the
//! timer's user context. The buffer, one cache line per event, holds the
//! rest (timer key, stamp, overruns). While a timer holds an event, the
//! buffer is all it stores (16 bytes, in the timer's own entry). Nothing is
//! allocated or freed by setting, resetting, cancelling or expiring.
//!
//! The layout comes from two measured costs. Moving a 72-byte event with
//! every field inline through each hand-over (set, cancel, a `Result`, a
//! queue, `expire_into`'s `Vec`) cost far more time than its instructions
//! suggest (copies through memory, loads stalled on what was just stored).
//! Moving only a 16-byte handle, with everything in the buffer, made
//! set + cancel a third faster but cost a cache miss per expiry on a large
//! pool, on the buffer's line, written at expiry or read by the consumer
//! right after. So tick and context travel in the value, and the buffer is
//! written when the event *enters* a timer (where the user just had it in
//! hand, its line in cache) and again at leave only if the timer's key or
//! stamp changed meanwhile, or periods were skipped: a timer that fires as
//! set touches its own entry and nothing else.
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
//! are lock-free and may happen on any thread. A buffer is read and written
//! only through the one handle that owns its id (see `Home`), so the
//! handle's borrows are the buffer's: no lock, no atomic.
//!
//! When an event leaves the pool (delivered, cancelled, replaced or freed)
//! it says its timer, the expiration tick and the timer's user context,
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

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::capability::MAX_CAPACITY;
use crate::error::Error;
use crate::key::TimerKey;

/// What an event's buffer says: written when it enters a timer (and, if
/// that changed, when it leaves it), blank when it comes from its pool;
/// read through its handle.
#[derive(Clone, Copy)]
struct Meta {
    timer: Option<TimerKey>,
    stamp: u64,
    overruns: u64,
}

impl Meta {
    const BLANK: Meta = Meta {
        timer: None,
        stamp: 0,
        overruns: 0,
    };
}

/// One event buffer, a cache line of its own: events owned by different
/// threads never share a line.
#[repr(align(64))]
struct Buf(UnsafeCell<Meta>);

/// A [`TimeoutPool`]'s buffers and the free ids.
///
/// Ownership: an id is *owned* by exactly one [`Held`] (or the free list)
/// at a time. `ArrayQueue` hands each pushed id out once; a `Held` is made
/// only from a popped id and pushes it back only when dropped. Buffer `id`
/// is accessed only through the `Held` owning `id`, shared through `&Held`
/// and exclusively through `&mut Held` or by value, so the borrow checker's
/// rules on the handle are the rules on the buffer. A handle moving to
/// another thread, and an id passing through the free list, are
/// synchronised by whatever moved them (a queue, a lock, the
/// `ArrayQueue`'s release/acquire): a buffer's accesses are ordered
/// like its owners.
struct Home {
    free: ArrayQueue<u32>,
    bufs: Box<[Buf]>,
}

// SAFETY: the only non-`Sync` part of `Home` is the buffers' `UnsafeCell`s,
// and each buffer is accessed only through the one `Held` owning its id
// (see `Home`): a shared `&Home` on several threads never gives two of them
// access to one buffer unless both only read it through `&Held`.
unsafe impl Sync for Home {}

/// An event buffer as a timer holds it: its id and its pool. Dropping it
/// returns the id to the pool.
pub(crate) struct Held {
    home: Arc<Home>,
    id: u32,
}

impl Held {
    /// The buffer, read.
    #[inline]
    fn meta(&self) -> &Meta {
        let buf = &self.home.bufs[self.id as usize];
        // SAFETY: this handle owns `id` (see `Home`), and only it reaches
        // the buffer; a write needs `&mut self`, which cannot coexist with
        // this `&self` borrow.
        unsafe { &*buf.0.get() }
    }

    /// Writes what the event's buffer says: `timer`, `stamp`, `overruns`.
    /// Done when an event enters a timer (no overruns), while its buffer is
    /// still in cache from the user's hands; a leave that finds those
    /// unchanged then writes nothing.
    #[inline]
    pub(crate) fn describe(&mut self, timer: TimerKey, stamp: u64, overruns: u64) {
        self.set_meta(Meta {
            timer: Some(timer),
            stamp,
            overruns,
        });
    }

    /// Writes the buffer.
    #[inline]
    fn set_meta(&mut self, meta: Meta) {
        let buf = &self.home.bufs[self.id as usize];
        // SAFETY: this handle owns `id` (see `Home`) and is borrowed
        // mutably: no other reference to the buffer exists.
        unsafe { *buf.0.get() = meta }
    }
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
        let bufs = (0..capacity)
            .map(|_| Buf(UnsafeCell::new(Meta::BLANK)))
            .collect();
        Ok(TimeoutPool {
            home: Arc::new(Home { free, bufs }),
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
/// Move-only; dropping it returns it to its [`TimeoutPool`]. 32 bytes: its
/// buffer, tick and context (the rest of what it says is in the buffer).
pub struct Timeout {
    held: Held,
    tick: u64,
    ctx: u64,
}

impl Timeout {
    /// A blank event fresh from its pool.
    #[inline]
    fn new(mut held: Held) -> Self {
        held.set_meta(Meta::BLANK);
        Timeout {
            held,
            tick: 0,
            ctx: 0,
        }
    }

    /// The timer this event was last set on (`None` for an event fresh from
    /// its pool).
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("e", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// let ev = events.alloc()?;
    /// assert_eq!(ev.timer(), None);
    /// pool.set_abs(t, 3, Some(ev))?;
    /// mock.increment(3_000_000u64);
    /// pool.expire();
    /// assert_eq!(q.pop().unwrap().timer(), Some(t));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn timer(&self) -> Option<TimerKey> {
        self.held.meta().timer
    }

    /// The expiration tick the event was set for.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("e", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.set_abs(t, 3, Some(events.alloc()?))?;
    /// mock.increment(5_000_000u64); // the pass comes late, at tick 5
    /// pool.expire();
    /// assert_eq!(q.pop().unwrap().tick(), 3); // the tick it was set for
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The user context of the timer the event was set on (given to
    /// [`alloc`](crate::TimerPool::alloc)).
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("e", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 42)?;
    /// pool.set_abs(t, 1, Some(events.alloc()?))?;
    /// let ev = pool.cancel(t)?;
    /// assert_eq!(ev.user_ctx(), 42);
    /// # let _ = mock;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn user_ctx(&self) -> u64 {
        self.ctx
    }

    /// For a periodic timer's event: the periods that fired since the
    /// previous delivery without delivering (the pass came late, or the
    /// event had not been [acknowledged](crate::TimerPool::ack) yet); 0 for
    /// a one-shot timer; saturates at `u64::MAX`. Expiration `k` of a
    /// periodic timer is at `first + k * period` exactly, so `tick()` and
    /// this count place every period.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("e", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.start_periodic(t, Some(2), 2, Some(events.alloc()?))?; // ticks 2, 4, 6...
    /// mock.increment(6_000_000u64); // one late pass at tick 6
    /// pool.expire();
    /// let ev = q.pop().unwrap();
    /// assert_eq!((ev.tick(), ev.overruns()), (2, 2)); // late: 2, with 4 and 6 folded in
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn overruns(&self) -> u64 {
        self.held.meta().overruns
    }

    /// The event's index in its [`TimeoutPool`] (`0..capacity`): a stable
    /// identity, e.g. to check that no event is duplicated or lost.
    ///
    /// ```
    /// let events = hrwheel::TimeoutPool::new(2)?;
    /// let (a, b) = (events.alloc()?, events.alloc()?);
    /// assert_ne!(a.id(), b.id());
    /// assert!(a.id() < 2 && b.id() < 2);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn id(&self) -> u32 {
        self.held.id
    }

    #[inline]
    pub(crate) fn stamp(&self) -> u64 {
        self.held.meta().stamp
    }

    /// The buffer, as a timer keeps it while armed.
    #[inline]
    pub(crate) fn into_held(self) -> Held {
        self.held
    }

    /// Appends the event `described(held, tick, ctx)` to `out`, each field
    /// written in place. (`out.push(described(..))` builds the event on
    /// the stack first, around the vector's possible `grow` call, and
    /// copies it with 16-byte loads of what 8- and 4-byte stores had just
    /// written: a stalled store-to-load forward per event, a quarter of
    /// the expiry callback's time on a large pool.)
    #[inline]
    pub(crate) fn push_described(out: &mut Vec<Timeout>, held: Held, tick: u64, ctx: u64) {
        out.reserve(1);
        let len = out.len();
        // SAFETY: `reserve(1)` leaves room for an element at `len`, inside
        // the allocation and not yet initialised; each of its three fields
        // is written exactly once through a raw place (no reference to
        // uninitialised memory is made), and the length covers it only
        // after all three are written. Nothing between can unwind.
        unsafe {
            let p = out.as_mut_ptr().add(len);
            std::ptr::addr_of_mut!((*p).held).write(held);
            std::ptr::addr_of_mut!((*p).tick).write(tick);
            std::ptr::addr_of_mut!((*p).ctx).write(ctx);
            out.set_len(len + 1);
        }
    }

    /// The buffer, tick and context, apart (a set hands the buffer to the
    /// timer and keeps the rest to give the event back on an error).
    #[inline]
    pub(crate) fn into_parts(self) -> (Held, u64, u64) {
        (self.held, self.tick, self.ctx)
    }

    /// The event leaving a timer whose buffer already says what it must
    /// (written by [`Held::describe`] when it entered the timer).
    #[inline]
    pub(crate) fn described(held: Held, tick: u64, ctx: u64) -> Self {
        Timeout { held, tick, ctx }
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.held.meta();
        f.debug_struct("Timeout")
            .field("id", &self.held.id)
            .field("timer", &m.timer)
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
    fn an_event_is_a_handle_and_two_words() {
        use std::mem::size_of;
        assert_eq!(size_of::<Timeout>(), 32);
        assert_eq!(size_of::<Option<Timeout>>(), 32);
        assert_eq!(size_of::<Held>(), 16);
        assert_eq!(std::mem::align_of::<Buf>(), 64);
    }

    #[test]
    fn what_an_event_says_travels_with_it_across_threads() {
        let p = TimeoutPool::new(4).unwrap();
        let key = TimerKey {
            place: crate::key::place(7, 1),
            key: hrwheel_wheel::Wheel::<()>::new().insert_idle(()).into(),
        };
        let evs: Vec<Timeout> = (0..4u64)
            .map(|i| {
                let mut held = p.alloc().unwrap().into_held();
                held.describe(key, 10 * i, i % 2);
                Timeout::described(held, 100 + i, i)
            })
            .collect();
        let back = std::thread::spawn(move || {
            for (i, e) in (0..4u64).zip(&evs) {
                assert_eq!(
                    (e.timer(), e.tick(), e.user_ctx(), e.stamp(), e.overruns()),
                    (Some(key), 100 + i, i, 10 * i, i % 2)
                );
            }
            evs
        })
        .join()
        .unwrap();
        assert_eq!(back[2].tick(), 102);
        drop(back);
        assert_eq!(p.available(), 4);
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
