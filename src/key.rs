//! The `TimerKey` handle.
//!
//! A timer is named by `(pool id, slot index, generation)`, 12 bytes, `Copy`.
//! The pool id is unique per pool created in the process, so a handle of
//! another pool is recognised ([`Error::ForeignKey`](crate::Error)); the
//! generation is bumped each time a slot is freed, so a handle kept after
//! `free` is recognised too ([`Error::Freed`](crate::Error) while the slot is
//! free, [`Error::StaleKey`](crate::Error) once it is reused). A bad handle
//! is refused before anything is touched: it can never reach another
//! timer's state.

/// A handle to a timer allocated from a [`TimerPool`](crate::TimerPool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) pool: u32,
    pub(crate) index: u32,
    pub(crate) gen: u32,
}

impl TimerKey {
    #[inline]
    pub(crate) fn new(pool: u32, index: u32, gen: u32) -> Self {
        TimerKey { pool, index, gen }
    }

    /// The timer's slot index in its pool (`0..num_timers`), e.g. to index a
    /// per-timer table of the application.
    #[inline]
    pub fn index(self) -> u32 {
        self.index
    }
}
