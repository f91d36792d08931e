//! Typed errors of the pool API.
//!
//! One flat, `Copy` enum for every refusal, so a caller can `match` on it and
//! nothing in the API panics on bad input. Operations that were handed a
//! [`Timeout`](crate::Timeout) and fail give it back inside [`SetError`]
//! instead of dropping it, so an event is never lost on an error path.

use core::fmt;

use crate::timeout::Timeout;

/// Why a pool, timer or timeout operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    // ---- pool parameters -------------------------------------------------
    /// `resolution_ns` is 0: a pool cannot tick infinitely fast.
    ZeroResolution,
    /// `min_timeout_ns > max_timeout_ns`, or after rounding to ticks
    /// (min rounds up, max rounds down) no timeout is left between them.
    MinAboveMax,
    /// `max_timeout_ns < resolution_ns`: the longest timeout is shorter than
    /// one tick, so no timeout can be set at all.
    MaxBelowResolution,
    /// `max_timeout_ns` is above [`Capability::max_timeout_ns`](crate::Capability).
    MaxTimeoutTooLong,
    /// `num_timers` is 0.
    ZeroTimers,
    /// `num_timers` is above [`Capability::max_timers`](crate::Capability)
    /// (on the high-resolution backend, above `hrwheel_hires::MAX_TIMERS`,
    /// 2^30 − 256).
    TooManyTimers,
    /// `shards` is above [`MAX_SHARDS`](crate::MAX_SHARDS).
    TooManyShards,
    /// The pool name is longer than [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes.
    NameTooLong,
    /// A queue or timeout pool was asked for zero capacity.
    ZeroCapacity,
    /// A queue or timeout pool was asked for more than
    /// [`MAX_CAPACITY`](crate::MAX_CAPACITY) events.
    CapacityTooLarge,

    // ---- pools ------------------------------------------------------------
    /// The process has created [`MAX_POOLS`](crate::MAX_POOLS) pools: a new
    /// one would take an id that a key of an earlier pool may still carry.
    TooManyPools,
    /// Every timer of the pool is allocated.
    PoolExhausted,
    /// Every event of the [`TimeoutPool`](crate::TimeoutPool) is in use.
    TimeoutPoolExhausted,
    /// `destroy` was called while timers are still allocated.
    TimersAllocated,
    /// `destroy` was called while expired events still wait for room in a
    /// full queue (they are not discarded: make room and try again).
    EventsPending,
    /// A shard index at or above [`TimerPool::shards`](crate::TimerPool::shards).
    NoSuchShard,

    // ---- timer handles ----------------------------------------------------
    /// The key's timer was freed (double free, use after free; its entry
    /// may serve another timer now, which is left untouched).
    StaleKey,
    /// The key belongs to another pool.
    ForeignKey,

    // ---- set / cancel -----------------------------------------------------
    /// The expiration tick is before `now + min_timeout`.
    TooEarly,
    /// The expiration tick is after `now + max_timeout`.
    TooLate,
    /// No event was given and the timer holds none.
    NoEvent,
    /// `cancel`: the timer already expired; its event is in its queue (or
    /// will be, once the queue has room).
    AlreadyExpired,
    /// `cancel`: the timer is not set (never set, or already cancelled).
    NotArmed,

    // ---- periodic and callback timers ------------------------------------
    /// A periodic timer needs a period of at least one tick.
    ZeroPeriod,
    /// The timer runs a callback: it takes no event and has none to give
    /// back (use `stop` rather than `cancel`).
    CallbackTimer,
    /// `stop`: the timer's callback is running on another thread (DPDK's
    /// `rte_timer_stop` returning -1); `stop_sync` waits instead.
    Running,
    /// `stop_sync` called from the timer's own callback, which would wait
    /// for itself forever (`stop` works there).
    InOwnCallback,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::ZeroResolution => "pool resolution is zero",
            Error::MinAboveMax => "minimum timeout is above the maximum timeout",
            Error::MaxBelowResolution => "maximum timeout is shorter than one tick",
            Error::MaxTimeoutTooLong => "maximum timeout is above the supported limit",
            Error::ZeroTimers => "pool of zero timers",
            Error::TooManyTimers => "more timers than a pool supports",
            Error::TooManyShards => "more shards than a pool supports",
            Error::TooManyPools => "the process has used up its pool ids",
            Error::NameTooLong => "pool name is too long",
            Error::ZeroCapacity => "zero capacity",
            Error::CapacityTooLarge => "capacity is above the supported limit",
            Error::PoolExhausted => "every timer of the pool is allocated",
            Error::TimeoutPoolExhausted => "every timeout event of the pool is in use",
            Error::TimersAllocated => "pool still has allocated timers",
            Error::EventsPending => "expired events still wait for room in their queue",
            Error::NoSuchShard => "no such shard in the pool",
            Error::StaleKey => "stale timer key (the timer was freed)",
            Error::ForeignKey => "timer key belongs to another pool",
            Error::TooEarly => "expiration is earlier than now + minimum timeout",
            Error::TooLate => "expiration is later than now + maximum timeout",
            Error::NoEvent => "no timeout event given and the timer holds none",
            Error::AlreadyExpired => "timer already expired",
            Error::NotArmed => "timer is not set",
            Error::ZeroPeriod => "periodic timer with a zero period",
            Error::CallbackTimer => "the timer runs a callback and has no event",
            Error::Running => "the timer's callback is running on another thread",
            Error::InOwnCallback => "stop_sync called from the timer's own callback",
        })
    }
}

impl std::error::Error for Error {}

/// A refused `set_abs`/`set_rel`: the reason and the event that was passed
/// in, handed back so it is not lost.
///
/// ```
/// use std::error::Error as _;
/// let e = hrwheel::SetError::new(hrwheel::Error::TooLate, None);
/// assert_eq!(e.to_string(), "timer not set");
/// assert_eq!(e.source().unwrap().to_string(), hrwheel::Error::TooLate.to_string());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct SetError {
    /// Why the timer was not set.
    pub error: Error,
    /// The event given to the call, if any.
    pub event: Option<Timeout>,
}

impl SetError {
    /// A refusal for `error`, handing back `event`.
    ///
    /// ```
    /// let events = hrwheel::TimeoutPool::new(1)?;
    /// let e = hrwheel::SetError::new(hrwheel::Error::TooEarly, Some(events.alloc()?));
    /// assert_eq!(e.error, hrwheel::Error::TooEarly);
    /// assert!(e.event.is_some());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn new(error: Error, event: Option<Timeout>) -> Self {
        SetError { error, event }
    }

    /// The event given to the failed call, if any.
    ///
    /// ```
    /// use hrwheel::{Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("r", PoolParams::default())?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// let e = pool.set_abs(t, u64::MAX, Some(events.alloc()?)).unwrap_err();
    /// assert_eq!(e.error, Error::TooLate);
    /// let ev = e.into_event().expect("a refused set hands its event back");
    /// pool.set_rel(t, 1, Some(ev))?; // and it can be used again
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_event(self) -> Option<Timeout> {
        self.event
    }
}

/// Says only that the set failed: the reason is the error's
/// [`source`](std::error::Error::source), so a report that walks the chain
/// prints it once.
impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timer not set")
    }
}

impl std::error::Error for SetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Keeps the reason, drops the event (it goes back to its
/// [`TimeoutPool`](crate::TimeoutPool)): lets `?` turn a failed set into an
/// [`Error`] when the caller has no use for the event.
impl From<SetError> for Error {
    fn from(e: SetError) -> Self {
        e.error
    }
}

impl PartialEq<Error> for SetError {
    fn eq(&self, other: &Error) -> bool {
        self.error == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// The cause appears once when the chain is printed.
    #[test]
    fn set_error_chain_prints_the_cause_once() {
        let e = SetError::new(Error::TooEarly, None);
        let mut chain = vec![e.to_string()];
        let mut cur = e.source();
        while let Some(s) = cur {
            chain.push(s.to_string());
            cur = s.source();
        }
        let text = chain.join(": ");
        assert_eq!(
            text.matches(&Error::TooEarly.to_string()).count(),
            1,
            "{text}"
        );
        assert_eq!(chain.len(), 2);
    }
}
