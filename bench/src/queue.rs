//! The one trait every timer structure is driven through.
//!
//! A workload speaks in *workload units* (ticks for W1–W3, nanoseconds for
//! W4) and identifies each logical timer by a `u64` id. An implementation
//! stores `(deadline, id)` however it likes and hands both back on expiry,
//! so the workloads can check and digest exactly what fired.
//!
//! Resolution: an exact structure (heap, tree, the wheel at the workload's
//! own tick) fires a timer on the first `advance(to)` with `deadline <= to`.
//! A coarse one (the wheel at 1 µs ticks, `DelayQueue` at 1 ms, both in the
//! nanosecond workload W4) rounds deadlines *up* to its granularity, so it
//! may fire up to `resolution() - 1` units after the deadline — never
//! before. [`crate::check::Checker`] enforces both bounds.

/// A timer structure, as the workloads see it.
pub trait TimerQueue {
    /// TimerKey to an armed timer.
    type Key: Copy;

    /// Short human name for tables ("BinaryHeap (lazy cancel)", ...).
    fn name(&self) -> &'static str;

    /// Arms timer `id` to fire at absolute `deadline` (workload units).
    /// Workloads never arm at or before the current time.
    fn insert(&mut self, deadline: u64, id: u64) -> Self::Key;

    /// Disarms; `true` if the key named a live timer.
    fn cancel(&mut self, key: Self::Key) -> bool;

    /// Moves a live timer to a new deadline; returns its (possibly new) key,
    /// or `None` if the key was stale (a workload bug, reported loudly).
    fn reset(&mut self, key: Self::Key, deadline: u64) -> Option<Self::Key>;

    /// Fires every timer with `deadline <= to` (rounded up to the
    /// structure's resolution), appending `(deadline, id)` to `out` in any
    /// order. Time never goes backwards: `to` is at least the previous `to`.
    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>);

    /// The earliest deadline, or a lower bound of it, or (for coarse
    /// structures) the earliest deadline rounded up to the resolution.
    fn next_deadline(&mut self) -> Option<u64>;

    /// Number of armed timers.
    fn len(&self) -> usize;

    /// `true` if no timer is armed.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Granularity in workload units (1 = exact).
    fn resolution(&self) -> u64 {
        1
    }

    /// Total timers moved between wheel levels so far (wheels only).
    fn cascade_moves(&self) -> Option<u64> {
        None
    }

    /// The most moves any one timer has taken so far (hrwheel's wheel only).
    fn max_moves(&self) -> Option<u64> {
        None
    }

    /// Runs `f` with whatever ambient context the structure needs (the
    /// tokio runtime for `DelayQueue`). Every workload body runs inside it.
    fn scope<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R
    where
        Self: Sized,
    {
        f(self)
    }
}
