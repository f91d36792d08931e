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
// Two fields, index and generation packed in one: a pair of scalars is
// passed and returned in two registers, where a struct of three `u32`s
// goes through memory (a store and a load on every `insert` + `cancel`).
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct TimerKey {
    /// Arena index (low 32 bits) and generation (high 32 bits).
    slot: u64,
    pub(crate) wheel: u32,
}

impl TimerKey {
    #[inline(always)]
    pub(crate) fn new(index: u32, gen: u32, wheel: u32) -> Self {
        TimerKey {
            slot: u64::from(gen) << 32 | u64::from(index),
            wheel,
        }
    }

    /// The arena index of the timer's entry (useful as a dense id while the
    /// timer is pending; reused after it fires or is cancelled).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let (a, b) = (wheel.insert(5, ()), wheel.insert(6, ()));
    /// assert_ne!(a.index(), b.index());
    /// wheel.cancel(a);
    /// let c = wheel.insert(7, ());
    /// assert_eq!(c.index(), a.index()); // the entry is reused...
    /// assert_ne!(c, a); // ...the key is not
    /// ```
    #[inline]
    pub fn index(&self) -> u32 {
        self.slot as u32
    }

    /// The generation of the arena slot the timer was inserted with.
    #[inline(always)]
    pub(crate) fn gen(&self) -> u32 {
        (self.slot >> 32) as u32
    }

    /// The key's index and generation in one word, without the wheel's id:
    /// for a container that stores many keys and knows by other means
    /// which wheel each came from. [`Wheel::key_from_raw`] makes the key
    /// again.
    ///
    /// [`Wheel::key_from_raw`]: crate::Wheel::key_from_raw
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, "a");
    /// let raw: u64 = k.into_raw(); // 8 bytes where the key takes 16
    /// assert_eq!(wheel.key_from_raw(raw), k);
    /// ```
    #[inline(always)]
    pub fn into_raw(self) -> u64 {
        self.slot
    }

    /// The key of wheel `wheel` with the index and generation of `raw`.
    #[inline(always)]
    pub(crate) fn from_raw(raw: u64, wheel: u32) -> Self {
        TimerKey { slot: raw, wheel }
    }
}

impl fmt::Debug for TimerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerKey")
            .field("index", &self.index())
            .field("gen", &self.gen())
            .field("wheel", &self.wheel)
            .finish()
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
