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
    /// `num_timers` is above [`Capability::max_timers`](crate::Capability).
    TooManyTimers,
    /// [`MAX_POOLS`](crate::MAX_POOLS) pools exist already.
    TooManyPools,
    /// The pool name is longer than [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes.
    NameTooLong,
    /// A queue or timeout pool was asked for zero capacity.
    ZeroCapacity,
    /// A queue or timeout pool was asked for more than
    /// [`MAX_CAPACITY`](crate::MAX_CAPACITY) events.
    CapacityTooLarge,

    // ---- pools ------------------------------------------------------------
    /// Every timer of the pool is allocated.
    PoolExhausted,
    /// Every event of the [`TimeoutPool`](crate::TimeoutPool) is in use.
    TimeoutPoolExhausted,
    /// `destroy` was called while timers are still allocated.
    TimersAllocated,

    // ---- timer handles ----------------------------------------------------
    /// The timer was freed (double free, or use after free).
    Freed,
    /// The handle's timer was freed and its slot reused by another timer.
    StaleKey,
    /// The handle belongs to another pool.
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
            Error::TooManyPools => "too many timer pools exist",
            Error::NameTooLong => "pool name is too long",
            Error::ZeroCapacity => "zero capacity",
            Error::CapacityTooLarge => "capacity is above the supported limit",
            Error::PoolExhausted => "every timer of the pool is allocated",
            Error::TimeoutPoolExhausted => "every timeout event of the pool is in use",
            Error::TimersAllocated => "pool still has allocated timers",
            Error::Freed => "timer was freed",
            Error::StaleKey => "stale timer handle (its slot was reused)",
            Error::ForeignKey => "timer handle belongs to another pool",
            Error::TooEarly => "expiration is earlier than now + minimum timeout",
            Error::TooLate => "expiration is later than now + maximum timeout",
            Error::NoEvent => "no timeout event given and the timer holds none",
            Error::AlreadyExpired => "timer already expired",
            Error::NotArmed => "timer is not set",
        })
    }
}

impl std::error::Error for Error {}

/// A refused `set_abs`/`set_rel`: the reason and the event that was passed
/// in, handed back so it is not lost.
#[derive(Debug)]
pub struct SetError {
    /// Why the timer was not set.
    pub error: Error,
    /// The event given to the call, if any.
    pub event: Option<Timeout>,
}

impl SetError {
    pub(crate) fn new(error: Error, event: Option<Timeout>) -> Self {
        SetError { error, event }
    }

    /// The event given to the failed call, if any.
    pub fn into_event(self) -> Option<Timeout> {
        self.event
    }
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
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
