//! Operation and cascade counters ([`Stats`]).
//!
//! A *move* is one relink of a pending timer from the slot being processed to
//! another slot: a cascade from a coarse level down to a finer one, or the
//! re-filing of a lazily re-armed timer (see the crate docs). The per-timer
//! move count restarts whenever the timer is (re)armed by `insert` or `reset`,
//! so `max_moves_per_timer` is the most moves any single arming took. It is
//! bounded by [`LEVELS`](crate::LEVELS): at most one re-filing after a lazy
//! re-arm, then at most one move per level crossed on the way down. Taking
//! a slot's timers into the sorted run (see the crate docs) is not a move:
//! they are read once and wait there unfiled until they fire.

/// Counters kept by a [`Wheel`](crate::Wheel), read with
/// [`Wheel::stats`](crate::Wheel::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Timers armed by `insert` / `insert_with_slack`.
    pub inserts: u64,
    /// Timers removed by a successful `cancel`.
    pub cancels: u64,
    /// Successful `reset` calls.
    pub resets: u64,
    /// Timers delivered by `expire`.
    pub expiries: u64,
    /// Total moves of pending timers between slots (cascades and re-filings).
    pub cascade_moves: u64,
    /// The largest number of moves any single arming of a timer has taken.
    pub max_moves_per_timer: u64,
    /// Non-empty slots processed by `expire` (the loop count of `expire`;
    /// empty slots are skipped through the bitmaps and never counted).
    pub slots_visited: u64,
}
