//! Typed errors of the high-resolution queue.
//!
//! Every fallible operation returns one of these instead of panicking: a
//! key that no longer names a live timer, a key from another queue, a
//! zero period (a periodic timer that would fire infinitely often) and an
//! empty range (`earliest > latest`).

use core::fmt;

/// Why an operation on a [`HiresQueue`](crate::HiresQueue) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// The key's timer has expired, been cancelled, or its slot has been
    /// reused: the generation no longer matches.
    StaleKey,
    /// The key was issued by a different queue.
    ForeignKey,
    /// A periodic timer needs a period of at least 1 ns.
    ZeroPeriod,
    /// `earliest > latest` in a range timer.
    EmptyRange,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::StaleKey => {
                "stale timer key (the timer expired, was cancelled or its slot was reused)"
            }
            Error::ForeignKey => "timer key belongs to another queue",
            Error::ZeroPeriod => "periodic timer with a zero period",
            Error::EmptyRange => "range timer with earliest > latest",
        })
    }
}

impl std::error::Error for Error {}
