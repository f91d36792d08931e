//! `HiresQueue`: the operations, on top of the arena (storage), the clock
//! bases (trees with cached leftmost) and the periodic arithmetic.
//!
//! Cost of each operation with `n` armed timers:
//!
//! | operation                   | cost                         |
//! |-----------------------------|------------------------------|
//! | insert / reset / arm        | O(log n) descent + rebalance |
//! | insert_idle                 | O(1) (in no tree)            |
//! | disarm                      | as cancel, the timer kept    |
//! | cancel                      | O(1) amortised unlink + rebalance, O(log n) worst |
//! | next_deadline / next_event / peek | O(1) (cached leftmost per base) |
//! | expire, per fired timer     | O(1) amortised unlink, + O(log n) if re-armed |
//! | clock_was_set               | O(1)                         |
//!
//! Range timers (`insert_range`) follow `hrtimer_start_range_ns`: the tree
//! is keyed by the hard `latest` deadline, `next_event` reports that hard
//! deadline, and `expire(now)` walks the tree from the left firing every
//! timer whose soft `earliest <= now`, stopping at the first timer that is
//! not yet allowed to fire. So a range timer never fires before `earliest`,
//! and fires at the latest at the first `expire` with `now >= latest` (every
//! timer before it in the tree then has `earliest <= latest <= now`). A
//! timer due at the same time as the hard deadline of another thus fires in
//! the same pass: that is the batching.
//!
//! Exact timers (soft == hard) fire in `(deadline, insertion seq)` order;
//! the two bases are merged by their deadlines converted exactly (in
//! `i128`) to monotonic time, ties by insertion seq, which is global to the
//! queue (see `queue/expire.rs`).

use core::fmt;

use crate::arena::Arena;
use crate::base::{Base, ClockBase};
use crate::error::Error;
use crate::key::{new_queue_id, TimerKey};
use crate::node::{Node, State, NIL};

mod expire;

/// A high-resolution timer queue: nanosecond deadlines on a monotonic and a
/// realtime clock, ordered by one red-black tree per clock.
///
/// ```
/// use hrwheel_hires::HiresQueue;
///
/// let mut q = HiresQueue::new();
/// let once = q.insert(1_500, "one-shot");
/// let tick = q.insert_periodic(1_000, 1_000, "tick").unwrap();
/// assert_eq!(q.next_deadline(), Some(1_000));
///
/// let mut log = Vec::new();
/// // Late by 1.7 periods: the tick fires once with one overrun, the one-shot
/// // is taken by value.
/// let n = q.expire(2_700, |fired| {
///     log.push((fired.deadline(), fired.overruns()));
///     if fired.period().is_none() {
///         assert_eq!(fired.take(), "one-shot");
///     }
/// });
/// assert_eq!(n, 2);
/// assert_eq!(log, [(1_000, 1), (1_500, 0)]);
/// // No drift: the tick stays on its 1 µs grid.
/// assert_eq!(q.deadline(tick), Some(3_000));
/// assert_eq!(q.cancel(once), None); // already fired: stale key
/// assert_eq!(q.cancel(tick), Some("tick"));
/// assert!(q.is_empty());
/// ```
pub struct HiresQueue<T> {
    bases: [Base; 2],
    arena: Arena<T>,
    /// realtime = monotonic + offset.
    offset: i64,
    seq: u64,
    len: usize,
    id: u32,
}

impl<T> Default for HiresQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for HiresQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HiresQueue")
            .field("len", &self.len)
            .field("capacity", &self.arena.capacity())
            .field("realtime_offset", &self.offset)
            .field("next_event", &self.next_event())
            .finish()
    }
}

impl<T> HiresQueue<T> {
    /// An empty queue; realtime offset 0.
    ///
    /// ```
    /// let q: hrwheel_hires::HiresQueue<()> = hrwheel_hires::HiresQueue::new();
    /// assert!(q.is_empty() && q.next_deadline().is_none());
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` timers before it allocates.
    ///
    /// ```
    /// let q: hrwheel_hires::HiresQueue<u32> = hrwheel_hires::HiresQueue::with_capacity(1_000);
    /// assert!(q.capacity() >= 1_000);
    /// ```
    ///
    /// # Panics
    /// Like `Vec::with_capacity`, if the memory for `n` timers cannot be
    /// reserved. (Inserting past [`MAX_TIMERS`](crate::MAX_TIMERS) live
    /// timers, 2^30 − 256, panics too: the tree links nodes by 32-bit ids.)
    pub fn with_capacity(n: usize) -> Self {
        HiresQueue {
            bases: [Base::new(), Base::new()],
            arena: Arena::with_capacity(n),
            offset: 0,
            seq: 0,
            len: 0,
            id: new_queue_id(),
        }
    }

    /// Number of armed timers.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(10, 'a');
    /// let idle = q.insert_idle('b');
    /// assert_eq!(q.len(), 1); // idle timers are not counted
    /// # let _ = idle;
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` if no timer is armed.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// assert!(q.is_empty());
    /// let k = q.insert(10, ());
    /// assert!(!q.is_empty());
    /// q.cancel(k);
    /// assert!(q.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Timers the queue can hold without allocating.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(1, ());
    /// assert!(q.capacity() >= 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.arena.capacity()
    }

    /// Arms a one-shot timer at absolute monotonic `deadline_ns`. A deadline
    /// that is already due fires at the next [`expire`](Self::expire).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(1_500, "rto");
    /// assert_eq!(q.deadline(k), Some(1_500));
    /// assert_eq!(q.expire(1_499, |_| {}), 0); // never early
    /// assert_eq!(q.expire(1_500, |f| assert_eq!(f.take(), "rto")), 1);
    /// ```
    #[inline]
    pub fn insert(&mut self, deadline_ns: u64, value: T) -> TimerKey {
        self.link_new(ClockBase::Monotonic, deadline_ns, deadline_ns, 0, value)
    }

    /// Arms a one-shot timer `delay_ns` after monotonic `now_ns`
    /// (saturating). Relative timers are monotonic: clock steps never move
    /// them.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_after(1_000, 250, ());
    /// assert_eq!(q.deadline(k), Some(1_250));
    /// ```
    #[inline]
    pub fn insert_after(&mut self, now_ns: u64, delay_ns: u64, value: T) -> TimerKey {
        self.insert(now_ns.saturating_add(delay_ns), value)
    }

    /// Arms a one-shot timer at absolute `deadline_ns` on `base`.
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// q.clock_was_set(1_000_000); // realtime = monotonic + 1 ms
    /// let k = q.insert_on(ClockBase::Realtime, 1_000_500, ());
    /// assert_eq!(q.deadline(k), Some(1_000_500)); // in realtime
    /// assert_eq!(q.next_event(), Some(500)); // in monotonic time
    /// ```
    #[inline]
    pub fn insert_on(&mut self, base: ClockBase, deadline_ns: u64, value: T) -> TimerKey {
        self.link_new(base, deadline_ns, deadline_ns, 0, value)
    }

    /// Arms a monotonic periodic timer: first expiry `first_ns`, then every
    /// `period_ns` on that schedule (see [`Expired`](crate::Expired) for re-arming rules).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_periodic(100, 100, ())?;
    /// q.expire(250, |f| assert_eq!((f.deadline(), f.overruns()), (100, 1)));
    /// assert_eq!(q.deadline(k), Some(300)); // on its grid
    /// assert!(q.insert_periodic(100, 0, ()).is_err());
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroPeriod`] if `period_ns == 0`.
    #[inline]
    pub fn insert_periodic(
        &mut self,
        first_ns: u64,
        period_ns: u64,
        value: T,
    ) -> Result<TimerKey, Error> {
        self.insert_periodic_on(ClockBase::Monotonic, first_ns, period_ns, value)
    }

    /// [`insert_periodic`](Self::insert_periodic) on `base`.
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// let k = q.insert_periodic_on(ClockBase::Realtime, 50, 50, ())?;
    /// assert_eq!(q.period(k), Some(50));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroPeriod`] if `period_ns == 0`.
    pub fn insert_periodic_on(
        &mut self,
        base: ClockBase,
        first_ns: u64,
        period_ns: u64,
        value: T,
    ) -> Result<TimerKey, Error> {
        if period_ns == 0 {
            return Err(Error::ZeroPeriod);
        }
        Ok(self.link_new(base, first_ns, first_ns, period_ns, value))
    }

    /// Arms a monotonic one-shot timer that may fire anywhere in
    /// `earliest_ns..=latest_ns`, so it can be batched with its neighbours
    /// (`hrtimer_start_range_ns`). It never fires before `earliest_ns`, and
    /// fires no later than the first `expire` at or after `latest_ns`.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_range(100, 180, "batched")?;
    /// assert_eq!(q.next_event(), Some(180)); // the hard deadline
    /// assert_eq!(q.expire(99, |_| {}), 0); // never before `earliest`
    /// assert_eq!(q.expire(120, |_| {}), 1); // allowed from 100 on
    /// assert!(q.insert_range(5, 4, "empty").is_err());
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyRange`] if `earliest_ns > latest_ns`.
    #[inline]
    pub fn insert_range(
        &mut self,
        earliest_ns: u64,
        latest_ns: u64,
        value: T,
    ) -> Result<TimerKey, Error> {
        self.insert_range_on(ClockBase::Monotonic, earliest_ns, latest_ns, value)
    }

    /// [`insert_range`](Self::insert_range) on `base`.
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// let k = q.insert_range_on(ClockBase::Monotonic, 10, 20, ())?;
    /// assert_eq!(q.deadline(k), Some(20));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyRange`] if `earliest_ns > latest_ns`.
    pub fn insert_range_on(
        &mut self,
        base: ClockBase,
        earliest_ns: u64,
        latest_ns: u64,
        value: T,
    ) -> Result<TimerKey, Error> {
        if earliest_ns > latest_ns {
            return Err(Error::EmptyRange);
        }
        Ok(self.link_new(base, earliest_ns, latest_ns, 0, value))
    }

    /// Cancels a timer and returns its value; `None` if the key is stale
    /// or foreign (see [`try_cancel`](Self::try_cancel) for which).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, 7);
    /// assert_eq!(q.cancel(k), Some(7));
    /// assert_eq!(q.cancel(k), None); // stale now
    /// ```
    #[inline]
    pub fn cancel(&mut self, h: TimerKey) -> Option<T> {
        self.try_cancel(h).ok()
    }

    /// Cancels a timer and returns its value.
    ///
    /// ```
    /// use hrwheel_hires::{Error, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// let k = q.insert(10, ());
    /// assert_eq!(q.try_cancel(k), Ok(()));
    /// assert_eq!(q.try_cancel(k), Err(Error::StaleKey));
    /// let foreign = HiresQueue::new().insert(1, ());
    /// assert_eq!(q.try_cancel(foreign), Err(Error::ForeignKey));
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn try_cancel(&mut self, h: TimerKey) -> Result<T, Error> {
        let armed = self.lookup_any(h)?;
        let slot = self.arena.slot_mut(h.index);
        let base = slot.base;
        let value = slot.value.take();
        if armed {
            // Armed nodes are linked into the tree of their base.
            self.bases[base.index()].remove(&mut self.arena.nodes, h.index);
            self.len -= 1;
        }
        self.arena.release(h.index);
        match value {
            Some(v) => Ok(v),
            None => unreachable!("armed timer without a value"),
        }
    }

    /// Adds an *idle* timer on the monotonic base: it holds `value` and its
    /// key is valid, but it is in no tree and never fires until
    /// [`arm`](Self::arm)ed. A timer that lives longer than one arming (an
    /// ODP timer, a Linux `hrtimer` embedded in its owner) keeps one key and
    /// one slot for its whole life this way: `arm`,
    /// [`disarm`](Self::disarm) and an expiry that
    /// [keeps it](crate::Expired::disarm) leave the key valid; only
    /// [`cancel`](Self::cancel) ends it. It counts in [`len`](Self::len)
    /// only while armed.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_idle("rto");
    /// assert!(q.is_empty() && q.deadline(k).is_none());
    /// q.arm(k, 5_000)?;
    /// assert_eq!(q.deadline(k), Some(5_000));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Panics
    /// As [`insert`](Self::insert), past [`MAX_TIMERS`](crate::MAX_TIMERS)
    /// timers (armed and idle together).
    pub fn insert_idle(&mut self, value: T) -> TimerKey {
        self.new_slot(ClockBase::Monotonic, 0, 0, 0, (0, State::Idle), value)
    }

    /// Arms a timer with earliest expiry `deadline_ns` (its base's time): an
    /// idle one starts, keeping its base, slack and period (none, for one
    /// from [`insert_idle`](Self::insert_idle)); an armed one is
    /// [`reset`](Self::reset). Counts as a new insertion for tie-breaking.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_idle(7);
    /// q.arm(k, 3)?;
    /// let mut fired = vec![];
    /// q.expire(10, |mut f| {
    ///     fired.push((f.key(), f.deadline(), *f.value()));
    ///     f.disarm(); // keep it
    /// });
    /// assert_eq!(fired, [(k, 3, 7)]);
    /// q.arm(k, 12)?; // the same key, armed again
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn arm(&mut self, h: TimerKey, deadline_ns: u64) -> Result<(), Error> {
        let armed = self.lookup_any(h)?;
        let hard = deadline_ns.saturating_add(self.slack(h.index));
        if armed {
            self.move_to(h.index, deadline_ns, hard);
        } else {
            self.rekey(h.index, deadline_ns, hard);
            self.link(h.index);
        }
        Ok(())
    }

    /// Stops an armed timer without ending it: it becomes idle, keeping its
    /// key and value. Returns whether it was armed.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, ());
    /// assert_eq!(q.disarm(k), Ok(true));
    /// assert_eq!(q.disarm(k), Ok(false));
    /// assert_eq!(q.expire(10, |_| unreachable!()), 0);
    /// assert_eq!(q.cancel(k), Some(()));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn disarm(&mut self, h: TimerKey) -> Result<bool, Error> {
        if !self.lookup_any(h)? {
            return Ok(false);
        }
        let slot = self.arena.slot_mut(h.index);
        slot.state = State::Idle;
        let base = slot.base;
        self.bases[base.index()].remove(&mut self.arena.nodes, h.index);
        self.len -= 1;
        Ok(true)
    }

    /// Sets the period of a timer, armed or idle: `Some(p)` makes it
    /// periodic with period `p` (its schedule continues from its current
    /// expiry: when it fires and its callback leaves it alone, it is
    /// re-armed `p` later), `None` one-shot. Its deadline is unchanged.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_idle(());
    /// q.set_period(k, Some(5))?;
    /// q.arm(k, 10)?;
    /// assert_eq!(q.expire(10, |f| assert_eq!(f.period(), Some(5))), 1);
    /// assert_eq!(q.deadline(k), Some(15)); // re-armed one period later
    /// q.set_period(k, None)?;
    /// assert_eq!(q.period(k), None);
    /// assert_eq!(q.set_period(k, Some(0)), Err(hrwheel_hires::Error::ZeroPeriod));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroPeriod`] for `Some(0)` (nothing changes);
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn set_period(&mut self, h: TimerKey, period: Option<u64>) -> Result<(), Error> {
        self.lookup_any(h)?;
        let period = match period {
            Some(0) => return Err(Error::ZeroPeriod),
            Some(p) => p,
            None => 0,
        };
        self.arena.slot_mut(h.index).period = period;
        Ok(())
    }

    /// Moves a timer so its earliest expiry is `deadline_ns` (in its base's
    /// time). A range timer keeps its slack (saturating at `u64::MAX`); a
    /// periodic timer keeps its period and continues its schedule from
    /// `deadline_ns`. A reset counts as a new insertion for tie-breaking.
    /// The timer must be armed (an idle one is started with
    /// [`arm`](Self::arm)).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, ());
    /// q.reset(k, 40)?;
    /// assert_eq!(q.deadline(k), Some(40));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] (also for an idle timer) or
    /// [`Error::ForeignKey`].
    pub fn reset(&mut self, h: TimerKey, deadline_ns: u64) -> Result<(), Error> {
        self.lookup(h)?;
        let hard = deadline_ns.saturating_add(self.slack(h.index));
        self.move_to(h.index, deadline_ns, hard);
        Ok(())
    }

    /// Moves a timer to fire in `earliest_ns..=latest_ns` (its base's time).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, ());
    /// q.reset_range(k, 30, 35)?;
    /// assert_eq!(q.deadline(k), Some(35));
    /// assert!(q.reset_range(k, 9, 8).is_err());
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::EmptyRange`], [`Error::StaleKey`] or
    /// [`Error::ForeignKey`].
    pub fn reset_range(
        &mut self,
        h: TimerKey,
        earliest_ns: u64,
        latest_ns: u64,
    ) -> Result<(), Error> {
        self.lookup(h)?;
        if earliest_ns > latest_ns {
            return Err(Error::EmptyRange);
        }
        self.move_to(h.index, earliest_ns, latest_ns);
        Ok(())
    }

    /// `true` if `h` names an armed timer of this queue.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, ());
    /// assert!(q.contains(k));
    /// q.expire(10, |_| {});
    /// assert!(!q.contains(k));
    /// ```
    pub fn contains(&self, h: TimerKey) -> bool {
        self.lookup(h).is_ok()
    }

    /// The key of this queue whose index and generation are `raw` (from
    /// [`TimerKey::into_raw`]): a container can store keys in 8 bytes
    /// instead of 12 when it knows which queue each came from.
    ///
    /// The caller vouches for that: the bits of another queue's key, made
    /// a key of this one, may name one of this queue's timers. Bits that
    /// name no timer of this queue make a stale key (every operation
    /// refuses it), never undefined behaviour.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, "a");
    /// let raw = k.into_raw();
    /// assert_eq!(q.get(q.key_from_raw(raw)), Some(&"a"));
    /// q.cancel(k);
    /// assert_eq!(q.get(q.key_from_raw(raw)), None); // stale
    /// ```
    #[inline(always)]
    pub fn key_from_raw(&self, raw: u64) -> TimerKey {
        TimerKey {
            index: raw as u32,
            gen: (raw >> 32) as u32,
            queue: self.id,
        }
    }

    /// The timer's value (armed or idle).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, "a");
    /// assert_eq!(q.get(k), Some(&"a"));
    /// ```
    pub fn get(&self, h: TimerKey) -> Option<&T> {
        self.lookup_any(h).ok()?;
        self.arena.slot(h.index).value.as_ref()
    }

    /// The timer's value, mutably (armed or idle).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, 1);
    /// *q.get_mut(k).unwrap() += 1;
    /// assert_eq!(q.cancel(k), Some(2));
    /// ```
    pub fn get_mut(&mut self, h: TimerKey) -> Option<&mut T> {
        self.lookup_any(h).ok()?;
        self.arena.slot_mut(h.index).value.as_mut()
    }

    /// The timer's (latest) deadline in its base's time.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_range(10, 15, ())?;
    /// assert_eq!(q.deadline(k), Some(15)); // the latest
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    pub fn deadline(&self, h: TimerKey) -> Option<u64> {
        Some(self.lookup(h).ok()?.hard)
    }

    /// The timer's period, `None` for one-shot timers or bad handles.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let one = q.insert(10, ());
    /// let tick = q.insert_periodic(10, 5, ())?;
    /// assert_eq!((q.period(one), q.period(tick)), (None, Some(5)));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    pub fn period(&self, h: TimerKey) -> Option<u64> {
        self.lookup(h).ok()?;
        let p = self.arena.slot(h.index).period;
        (p != 0).then_some(p)
    }

    /// The timer that fires first and its deadline in monotonic time; O(1).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(30, ());
    /// let first = q.insert(20, ());
    /// assert_eq!(q.peek(), Some((first, 20)));
    /// ```
    pub fn peek(&self) -> Option<(TimerKey, u64)> {
        let (index, at) = self.earliest()?;
        Some((self.key(index), at))
    }

    /// The earliest (hard) deadline across both bases, in monotonic time;
    /// O(1). Same as [`next_event`](Self::next_event): sleeping until it and
    /// then calling [`expire`](Self::expire) never misses a timer.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(30, ());
    /// q.insert(20, ());
    /// assert_eq!(q.next_deadline(), Some(20));
    /// ```
    #[inline]
    pub fn next_deadline(&self) -> Option<u64> {
        self.next_event()
    }

    /// The earliest (hard) deadline across both bases, converted to
    /// monotonic time with the current realtime offset (a realtime deadline
    /// already passed reads as 0); O(1). This is what a tickless driver
    /// programs its one-shot event for.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_range(10, 25, ())?;
    /// assert_eq!(q.next_event(), Some(25));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn next_event(&self) -> Option<u64> {
        self.earliest().map(|(_, at)| at)
    }

    /// The earliest (hard) deadline on one base, in that base's time; O(1).
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// q.insert_on(ClockBase::Realtime, 70, ());
    /// assert_eq!(q.next_deadline_on(ClockBase::Realtime), Some(70));
    /// assert_eq!(q.next_deadline_on(ClockBase::Monotonic), None);
    /// ```
    #[inline]
    pub fn next_deadline_on(&self, base: ClockBase) -> Option<u64> {
        let index = self.bases[base.index()].first()?;
        Some(self.arena.nodes[index as usize].hard)
    }

    /// Sets the realtime clock: from now on `realtime = monotonic +
    /// realtime_offset_ns`. O(1): absolute realtime timers keep their
    /// realtime deadlines, so after a step forward the newly due ones fire
    /// at the next `expire`, and after a step back they fire later.
    /// Monotonic (and relative) timers are unaffected.
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// q.insert_on(ClockBase::Realtime, 1_000, "wall");
    /// assert_eq!(q.expire(10, |_| {}), 0);
    /// q.clock_was_set(995); // the wall clock stepped forward
    /// assert_eq!(q.expire(10, |_| {}), 1); // realtime 1_005: due
    /// ```
    #[inline]
    pub fn clock_was_set(&mut self, realtime_offset_ns: i64) {
        self.offset = realtime_offset_ns;
    }

    /// The current realtime offset (`realtime - monotonic`).
    ///
    /// ```
    /// let mut q: hrwheel_hires::HiresQueue<()> = hrwheel_hires::HiresQueue::new();
    /// q.clock_was_set(-40);
    /// assert_eq!(q.realtime_offset(), -40);
    /// ```
    #[inline]
    pub fn realtime_offset(&self) -> i64 {
        self.offset
    }

    /// Realtime that corresponds to monotonic `now_ns`: `None` before the
    /// realtime epoch, saturating at `u64::MAX`.
    ///
    /// ```
    /// let mut q: hrwheel_hires::HiresQueue<()> = hrwheel_hires::HiresQueue::new();
    /// q.clock_was_set(-40);
    /// assert_eq!(q.realtime_at(100), Some(60));
    /// assert_eq!(q.realtime_at(10), None); // before the realtime epoch
    /// ```
    #[inline]
    pub fn realtime_at(&self, now_ns: u64) -> Option<u64> {
        ClockBase::Realtime.now(now_ns, self.offset)
    }

    // ---- internals ----

    #[inline]
    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    #[inline]
    fn link_new(
        &mut self,
        base: ClockBase,
        soft: u64,
        hard: u64,
        period: u64,
        value: T,
    ) -> TimerKey {
        let seq = self.next_seq();
        let key = self.new_slot(base, soft, hard, period, (seq, State::Armed), value);
        self.bases[base.index()].insert(&mut self.arena.nodes, key.index);
        self.len += 1;
        key
    }

    /// Takes a free index for a new timer: earliest expiry `soft`, latest
    /// `hard`, on `base`, with insertion seq and state `seq_state`; it is
    /// in no tree yet. Returns its key.
    fn new_slot(
        &mut self,
        base: ClockBase,
        soft: u64,
        hard: u64,
        period: u64,
        (seq, state): (u64, State),
        value: T,
    ) -> TimerKey {
        let (index, node, slot) = self.arena.alloc();
        slot.soft = soft;
        slot.period = period;
        slot.seq = seq;
        slot.base = base;
        slot.state = state;
        slot.next = NIL;
        slot.value = Some(value);
        node.hard = hard;
        node.exact = soft == hard;
        TimerKey {
            index,
            gen: node.gen,
            queue: self.id,
        }
    }

    /// The key of the live timer at `index`.
    #[inline]
    fn key(&self, index: u32) -> TimerKey {
        TimerKey {
            index,
            gen: self.arena.nodes[index as usize].gen,
            queue: self.id,
        }
    }

    /// `hard - soft` of the timer at `index` (0 unless a range timer).
    #[inline]
    fn slack(&self, index: u32) -> u64 {
        self.arena.nodes[index as usize].hard - self.arena.slot(index).soft
    }

    /// Sets the deadlines of the unlinked timer at `index`, as a new
    /// insertion for tie-breaking.
    #[inline]
    fn rekey(&mut self, index: u32, soft: u64, hard: u64) {
        let seq = self.next_seq();
        let slot = self.arena.slot_mut(index);
        slot.soft = soft;
        slot.seq = seq;
        let node = &mut self.arena.nodes[index as usize];
        node.hard = hard;
        node.exact = soft == hard;
    }

    /// Links the unlinked timer at `index` into its base's tree: armed.
    #[inline]
    fn link(&mut self, index: u32) {
        let slot = self.arena.slot_mut(index);
        slot.state = State::Armed;
        let base = slot.base;
        self.bases[base.index()].insert(&mut self.arena.nodes, index);
        self.len += 1;
    }

    /// Re-keys the armed node at `index` (one [`lookup`](Self::lookup)
    /// accepted): it is linked into the tree of its slot's base.
    fn move_to(&mut self, index: u32, soft: u64, hard: u64) {
        let base = self.arena.slot(index).base.index();
        self.bases[base].remove(&mut self.arena.nodes, index);
        self.rekey(index, soft, hard);
        self.bases[base].insert(&mut self.arena.nodes, index);
    }

    /// Whether `h` names a live timer of this queue: `Ok(true)` if armed,
    /// `Ok(false)` if idle.
    #[inline]
    fn lookup_any(&self, h: TimerKey) -> Result<bool, Error> {
        if h.queue != self.id {
            return Err(Error::ForeignKey);
        }
        let node = self.arena.node(h.index).ok_or(Error::StaleKey)?;
        if node.gen != h.gen {
            return Err(Error::StaleKey);
        }
        if node.is_linked() {
            return Ok(true);
        }
        // Unlinked: idle, or free (its generation moved on when freed, but
        // a retired slot keeps it), or firing or pending inside `expire`
        // (no key can be used then: the queue is borrowed).
        match self.arena.slot(h.index).state {
            State::Idle => Ok(false),
            _ => Err(Error::StaleKey),
        }
    }

    /// The armed node `h` names.
    #[inline]
    fn lookup(&self, h: TimerKey) -> Result<&Node, Error> {
        if h.queue != self.id {
            return Err(Error::ForeignKey);
        }
        let node = self.arena.node(h.index).ok_or(Error::StaleKey)?;
        // Armed <=> linked into a tree (firing, pending and free nodes are
        // unlinked).
        if node.gen == h.gen && node.is_linked() {
            Ok(node)
        } else {
            Err(Error::StaleKey)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<T> HiresQueue<T> {
        /// Every base: in-order `(deadline, seq)` strictly increasing (so
        /// ties are in insertion order), caches exact, `exact` flags right,
        /// states and `len`
        /// consistent.
        fn check(&self) {
            let mut total = 0;
            for base in [ClockBase::Monotonic, ClockBase::Realtime] {
                let b = &self.bases[base.index()];
                let keys: Vec<(u64, u64)> = b
                    .validate(&self.arena.nodes)
                    .into_iter()
                    .map(|(hard, index)| {
                        let slot = self.arena.slot(index);
                        assert_eq!(slot.state, State::Armed);
                        assert_eq!(slot.base, base);
                        assert!(slot.soft <= hard);
                        assert_eq!(self.arena.nodes[index as usize].exact, slot.soft == hard);
                        (hard, slot.seq)
                    })
                    .collect();
                assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
                total += keys.len();
            }
            assert_eq!(total, self.len);
        }
    }

    #[test]
    fn a_slot_is_retired_before_its_generation_wraps() {
        let mut q = HiresQueue::new();
        let k = q.insert_idle(0u8);
        q.arena.nodes[k.index as usize].gen = u32::MAX;
        let k = TimerKey { gen: u32::MAX, ..k };
        q.arm(k, 5).unwrap();
        assert_eq!(q.cancel(k), Some(0));
        let next = q.insert_idle(1);
        assert_ne!(next.index, k.index, "the retired slot is not reused");
        assert_eq!(q.cancel(k), None, "and its last key stays stale");
        assert_eq!(q.arm(k, 1), Err(Error::StaleKey));
        assert_eq!(q.get(k), None);
    }

    #[test]
    fn random_ops_keep_trees_ordered_and_caches_exact() {
        let rounds = if cfg!(miri) { 150 } else { 20_000 };
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut q = HiresQueue::new();
        let mut hs = Vec::new();
        let mut now = 0;
        for i in 0..rounds {
            let base = if rnd(2) == 0 {
                ClockBase::Monotonic
            } else {
                ClockBase::Realtime
            };
            match rnd(7) {
                0 | 1 => hs.push(q.insert_on(base, now + rnd(20), i)),
                2 => hs.push(
                    q.insert_periodic_on(base, now + rnd(20), 1 + rnd(9), i)
                        .unwrap(),
                ),
                3 => hs.push(
                    q.insert_range_on(base, now + rnd(20), now + 20 + rnd(5), i)
                        .unwrap(),
                ),
                4 if !hs.is_empty() => {
                    let h = hs[rnd(hs.len() as u64) as usize];
                    q.cancel(h);
                }
                5 if !hs.is_empty() => {
                    let h = hs[rnd(hs.len() as u64) as usize];
                    let _ = q.reset(h, now + rnd(20));
                }
                _ => {
                    now += rnd(6);
                    if rnd(8) == 0 {
                        q.clock_was_set(rnd(40) as i64 - 20);
                    }
                    let mode = rnd(4);
                    q.expire(now, |mut f| match mode {
                        0 => f.rearm_after(0),
                        1 => f.rearm_after(3),
                        _ => {}
                    });
                }
            }
            q.check();
        }
        assert!(!q.is_empty());
    }
}
