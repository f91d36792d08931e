//! The view of one expiry handed to the [`expire`](crate::HiresQueue::expire)
//! callback, with IPRT-style control over the timer from inside it.
//!
//! The timer is out of its tree while the callback runs (as Linux runs an
//! hrtimer callback in state `HRTIMER_STATE_CALLBACK`). What happens after
//! the callback returns:
//!
//! | during the callback      | one-shot                 | periodic                        |
//! |--------------------------|--------------------------|---------------------------------|
//! | nothing                  | ends, value dropped      | re-armed at the next period     |
//! | [`take`](Expired::take)    | ends, value returned     | ends, value returned            |
//! | [`stop`](Expired::stop)    | ends, value dropped      | ends, value dropped             |
//! | [`rearm_at`](Expired::rearm_at) | re-armed at that time | re-armed there, schedule continues from it |
//! | [`set_period`](Expired::set_period) | becomes periodic | new period from the old schedule |
//!
//! `stop` and `rearm_at` override each other (the last call wins);
//! `set_period` only changes the period. A timer re-armed at a time that is
//! already due fires in the *next* `expire` call, so a callback cannot make
//! one `expire` loop forever. The key stays valid while the timer stays
//! armed; once it ends the key is stale.

use crate::base::ClockBase;
use crate::error::Error;
use crate::key::TimerKey;
use crate::node::Slot;
use crate::periodic::forward;

/// What the queue does with the timer when the callback returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// One-shot: end; periodic: forward to the next period.
    Default,
    /// End the timer.
    Stop,
    /// Re-arm with `earliest = t` (slack kept).
    Rearm(u64),
    /// Keep the timer, idle.
    Idle,
}

/// One expiry, given by value to the [`expire`](crate::HiresQueue::expire)
/// callback. After the callback returns: a one-shot ends (its value dropped
/// unless [taken](Expired::take)), a periodic timer is re-armed at its next
/// period; [`stop`](Expired::stop), [`rearm_at`](Expired::rearm_at),
/// [`disarm`](Expired::disarm) and [`set_period`](Expired::set_period)
/// change that.
pub struct Expired<'a, T> {
    pub(crate) slot: &'a mut Slot<T>,
    pub(crate) action: &'a mut Action,
    pub(crate) deadline: u64,
    pub(crate) key: TimerKey,
    pub(crate) now: u64,
    pub(crate) overruns: u64,
}

impl<'a, T> Expired<'a, T> {
    /// The timer's key (still valid if the timer is re-armed).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, ());
    /// q.expire(5, |f| assert_eq!(f.key(), k));
    /// ```
    #[inline]
    pub fn key(&self) -> TimerKey {
        self.key
    }

    /// The clock base the deadlines below are measured on.
    ///
    /// ```
    /// use hrwheel_hires::{ClockBase, HiresQueue};
    /// let mut q = HiresQueue::new();
    /// q.insert_on(ClockBase::Realtime, 5, ());
    /// q.expire(5, |f| assert_eq!(f.base(), ClockBase::Realtime));
    /// ```
    #[inline]
    pub fn base(&self) -> ClockBase {
        self.slot.base
    }

    /// The scheduled (latest) expiry that fired, in the base's time. For an
    /// exact timer this is its deadline; for a range timer its `latest`.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_range(5, 9, ())?;
    /// q.expire(9, |f| assert_eq!((f.earliest(), f.deadline()), (5, 9)));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn deadline(&self) -> u64 {
        self.deadline
    }

    /// The earliest allowed expiry (== [`deadline`](Self::deadline) except
    /// for range timers).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_range(5, 9, ())?;
    /// q.expire(7, |f| assert_eq!(f.earliest(), 5));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn earliest(&self) -> u64 {
        self.slot.soft
    }

    /// The base's time at which it fired (the `now` of `expire`, converted to
    /// the timer's base).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(5, ());
    /// q.expire(8, |f| assert_eq!(f.now(), 8));
    /// ```
    #[inline]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Whole periods missed between the scheduled expiry and `now` (0 when
    /// on time, always 0 for one-shot timers). These expiries are folded into
    /// this one, as `hrtimer_forward` / `timer_getoverrun` do.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_periodic(10, 10, ())?;
    /// q.expire(45, |f| assert_eq!(f.overruns(), 3)); // 20, 30, 40 folded in
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// The current period, `None` for a one-shot timer.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_periodic(10, 10, ())?;
    /// q.expire(10, |f| assert_eq!(f.period(), Some(10)));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn period(&self) -> Option<u64> {
        (self.slot.period != 0).then_some(self.slot.period)
    }

    /// The earliest expiry the timer will have after the callback, given the
    /// calls made so far; `None` if it ends (one-shot, stopped, taken, or the
    /// next period would overflow `u64`) or is kept idle
    /// ([`disarm`](Self::disarm)).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert_periodic(10, 10, ())?;
    /// q.expire(10, |mut f| {
    ///     assert_eq!(f.next_deadline(), Some(20));
    ///     f.stop();
    ///     assert_eq!(f.next_deadline(), None);
    /// });
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        match *self.action {
            Action::Stop | Action::Idle => None,
            Action::Rearm(t) => Some(t),
            Action::Default if self.slot.period != 0 => {
                forward(self.slot.soft, self.slot.period, self.now)
            }
            Action::Default => None,
        }
    }

    /// The timer's value.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// q.insert(5, "flush");
    /// q.expire(5, |f| assert_eq!(*f.value(), "flush"));
    /// ```
    #[inline]
    pub fn value(&self) -> &T {
        match &self.slot.value {
            Some(v) => v,
            // A `Expired` is only built for a node holding a value, and `take`
            // consumes the `Expired`.
            None => unreachable!("fired timer without a value"),
        }
    }

    /// The timer's value, mutably (changes persist if it is re-armed).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_periodic(5, 5, 0u32)?;
    /// q.expire(5, |mut f| *f.value_mut() += 1);
    /// assert_eq!(q.get(k), Some(&1)); // kept: it is periodic
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn value_mut(&mut self) -> &mut T {
        match &mut self.slot.value {
            Some(v) => v,
            None => unreachable!("fired timer without a value"),
        }
    }

    /// Ends the timer and returns its value.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_periodic(5, 5, String::from("x"))?;
    /// let mut got = None;
    /// q.expire(5, |f| got = Some(f.take()));
    /// assert_eq!(got.as_deref(), Some("x"));
    /// assert!(!q.contains(k)); // taken: ended
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn take(self) -> T {
        *self.action = Action::Stop;
        match self.slot.value.take() {
            Some(v) => v,
            None => unreachable!("fired timer without a value"),
        }
    }

    /// Ends the timer after the callback (its value is dropped); overrides
    /// an earlier [`rearm_at`](Self::rearm_at).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert_periodic(5, 5, ())?;
    /// q.expire(5, |mut f| f.stop());
    /// assert!(q.is_empty() && !q.contains(k));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn stop(&mut self) {
        *self.action = Action::Stop;
    }

    /// Keeps the timer after the callback, idle: its key stays valid and
    /// its value stays in the queue until it is
    /// [`arm`](crate::HiresQueue::arm)ed again or cancelled (as
    /// [`disarm`](crate::HiresQueue::disarm) leaves an armed timer).
    /// Overrides [`stop`](Self::stop) and [`rearm_at`](Self::rearm_at).
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, "tick");
    /// q.expire(10, |mut fired| fired.disarm());
    /// assert_eq!(q.get(k), Some(&"tick")); // fired, kept, idle
    /// assert_eq!(q.deadline(k), None);
    /// q.arm(k, 20)?;
    /// assert_eq!(q.deadline(k), Some(20));
    /// # Ok::<(), hrwheel_hires::Error>(())
    /// ```
    #[inline]
    pub fn disarm(&mut self) {
        *self.action = Action::Idle;
    }

    /// Re-arms the timer with earliest expiry `t` (absolute, in its base's
    /// time; a range timer keeps its slack, saturating at `u64::MAX`). A
    /// periodic timer's schedule continues from `t`. Overrides an earlier
    /// [`stop`](Self::stop). If `t` is already due the timer fires in the
    /// next `expire` call.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, ());
    /// q.expire(5, |mut f| f.rearm_at(12));
    /// assert_eq!(q.deadline(k), Some(12)); // same key
    /// ```
    #[inline]
    pub fn rearm_at(&mut self, t: u64) {
        *self.action = Action::Rearm(t);
    }

    /// [`rearm_at`](Self::rearm_at)`(now + delay)`, saturating.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(5, ());
    /// q.expire(7, |mut f| f.rearm_after(3));
    /// assert_eq!(q.deadline(k), Some(10));
    /// ```
    #[inline]
    pub fn rearm_after(&mut self, delay: u64) {
        self.rearm_at(self.now.saturating_add(delay));
    }

    /// Changes the interval. Unless the callback re-arms it elsewhere, the
    /// timer continues at the first point of `earliest + k * period` after
    /// now (so a one-shot becomes periodic). Does not undo a `stop`.
    ///
    /// ```
    /// let mut q = hrwheel_hires::HiresQueue::new();
    /// let k = q.insert(10, ());
    /// q.expire(10, |mut f| f.set_period(4).unwrap()); // a one-shot becomes periodic
    /// assert_eq!((q.deadline(k), q.period(k)), (Some(14), Some(4)));
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroPeriod`] if `period == 0` (nothing changes).
    #[inline]
    pub fn set_period(&mut self, period: u64) -> Result<(), Error> {
        if period == 0 {
            return Err(Error::ZeroPeriod);
        }
        self.slot.period = period;
        Ok(())
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Expired<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Expired")
            .field("key", &self.key)
            .field("base", &self.slot.base)
            .field("deadline", &self.deadline)
            .field("earliest", &self.slot.soft)
            .field("now", &self.now)
            .field("overruns", &self.overruns)
            .field("period", &self.period())
            .field("value", &self.slot.value)
            .finish()
    }
}
