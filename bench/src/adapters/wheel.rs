//! `hrwheel_wheel::Wheel` behind [`TimerQueue`].
//!
//! [`WheelAdapter`] runs the wheel at the workload's own tick (W1–W3: one
//! tick = 1 ms) and stores just the id. [`CoarseWheelAdapter`] runs it at a
//! coarser granule (W4: 1 µs ticks for nanosecond deadlines): the wheel
//! deadline is `ceil(deadline / granule)`, the exact deadline travels with
//! the value so the workload re-arms drift-free, and `advance(to)` moves
//! the wheel to `floor(to / granule)`. No timer fires early; one may fire
//! up to a granule late.

use hrwheel_wheel::{TimerKey, Wheel};

use crate::queue::TimerQueue;

/// The wheel at the workload's tick.
#[derive(Debug)]
pub struct WheelAdapter {
    w: Wheel<u64>,
}

impl WheelAdapter {
    /// A wheel with room for `n` timers.
    pub fn with_capacity(n: usize) -> Self {
        WheelAdapter {
            w: Wheel::with_capacity(n),
        }
    }

    /// The wheel itself (stats).
    pub fn wheel(&self) -> &Wheel<u64> {
        &self.w
    }
}

impl TimerQueue for WheelAdapter {
    type Key = TimerKey;

    fn name(&self) -> &'static str {
        "hrwheel Wheel"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> TimerKey {
        self.w.insert(deadline, id)
    }

    fn cancel(&mut self, key: TimerKey) -> bool {
        self.w.cancel(key).is_some()
    }

    fn reset(&mut self, key: TimerKey, deadline: u64) -> Option<TimerKey> {
        self.w.reset(key, deadline).ok().map(|()| key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        self.w.expire(to, |e| out.push((e.deadline, e.value)));
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.w.next_deadline()
    }

    fn len(&self) -> usize {
        self.w.len()
    }

    fn cascade_moves(&self) -> Option<u64> {
        Some(self.w.stats().cascade_moves)
    }

    fn max_moves(&self) -> Option<u64> {
        Some(self.w.stats().max_moves_per_timer)
    }
}

/// The wheel at `granule` workload units per tick.
#[derive(Debug)]
pub struct CoarseWheelAdapter {
    w: Wheel<(u64, u64)>,
    granule: u64,
}

impl CoarseWheelAdapter {
    /// A wheel with `granule` units per tick and room for `n` timers.
    pub fn with_capacity(granule: u64, n: usize) -> Self {
        CoarseWheelAdapter {
            w: Wheel::with_capacity(n),
            granule: granule.max(1),
        }
    }
}

impl TimerQueue for CoarseWheelAdapter {
    type Key = TimerKey;

    fn name(&self) -> &'static str {
        "hrwheel Wheel (coarse)"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> TimerKey {
        self.w
            .insert(deadline.div_ceil(self.granule), (deadline, id))
    }

    fn cancel(&mut self, key: TimerKey) -> bool {
        self.w.cancel(key).is_some()
    }

    fn reset(&mut self, key: TimerKey, deadline: u64) -> Option<TimerKey> {
        self.w.reset(key, deadline.div_ceil(self.granule)).ok()?;
        self.w.get_mut(key)?.0 = deadline;
        Some(key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        self.w.expire(to / self.granule, |e| out.push(e.value));
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.w
            .next_deadline()
            .map(|t| t.saturating_mul(self.granule))
    }

    fn len(&self) -> usize {
        self.w.len()
    }

    fn resolution(&self) -> u64 {
        self.granule
    }

    fn cascade_moves(&self) -> Option<u64> {
        Some(self.w.stats().cascade_moves)
    }

    fn max_moves(&self) -> Option<u64> {
        Some(self.w.stats().max_moves_per_timer)
    }
}
