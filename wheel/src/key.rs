//! Timer keys and errors.
//!
//! A [`TimerKey`] names one arming of one timer in one wheel: the arena index
//! of its entry, the generation of that arena slot when the timer was
//! inserted, and the id of the wheel. Each slot's generation is bumped when its timer is
//! cancelled or fires, so a key kept after that is *stale* and does not match
//! the timer that later reuses the slot; a key from another wheel is *foreign*.
//!
//! Generations are `u32`; a slot whose generation has reached `u32::MAX`
//! is retired instead of reused (see `arena.rs`), so a stale key never
//! matches again however often one slot is reused. Wheel ids are a
//! process-wide `u32` counter and wrap after 2^32 wheels.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// Handle to a timer in a [`Wheel`](crate::Wheel). Stays valid across
/// `reset`; becomes stale when the timer is cancelled or fires.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) index: u32,
    pub(crate) gen: u32,
    pub(crate) wheel: u32,
}

impl TimerKey {
    /// The arena index of the timer's entry (useful as a dense id while the
    /// timer is pending; reused after it fires or is cancelled).
    pub fn index(&self) -> u32 {
        self.index
    }
}

/// Errors of [`Wheel`](crate::Wheel) operations that take a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The key's timer has fired or been cancelled (its slot may hold another
    /// timer now, which is left untouched).
    StaleKey,
    /// The key was issued by another wheel.
    ForeignKey,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::StaleKey => f.write_str("timer key is stale: the timer fired or was cancelled"),
            Error::ForeignKey => f.write_str("timer key belongs to another wheel"),
        }
    }
}

impl std::error::Error for Error {}

static NEXT_WHEEL_ID: AtomicU32 = AtomicU32::new(1);

/// A fresh wheel id (process-wide counter; wraps after 2^32 wheels).
pub(crate) fn next_wheel_id() -> u32 {
    NEXT_WHEEL_ID.fetch_add(1, Ordering::Relaxed)
}
