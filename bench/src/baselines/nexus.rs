//! `nexus-timer` (crates.io): a hierarchical wheel that moves a timer to a
//! finer level ("rebalance") when its slot comes due, with intrusive
//! per-slot lists in a chunked slab and move-only pointer handles.
//!
//! Configuration (at its best for W1–W4): 64 slots per level and the
//! largest level shift it accepts (`clk_shift` 5, 32× per level, the fewest
//! rebalances), its maximum of 8 levels (no workload reaches the top), an
//! unbounded slab in 4,096-entry chunks, and `poll_and_rebalance` (its
//! "batteries-included poll"). The tick is the workload's: 1 ms in W1–W3;
//! in W4 1 µs with deadlines rounded *up* to the microsecond, as the
//! hrwheel wheel's coarse row does.
//!
//! Early firing: the crate converts an `Instant` to ticks with a rounded-down
//! reciprocal of the tick length, which maps `epoch + k` ticks to tick
//! `k - 1`. On the workloads' whole-tick virtual clock deadlines and polls
//! shift alike, so nothing fires early; on a real clock a poll between two
//! ticks can fire a timer up to a tick early. [`NexusAdapter::exact`] re-checks the deadline of
//! every fired timer and re-schedules one that came early;
//! [`NexusAdapter::as_shipped`] hands everything on, so the workloads'
//! early/late check sees what the crate does by itself.
//!
//! A handle must be consumed even after its timer fired (the entry stays
//! allocated as a "zombie" until then), so the adapter keeps handles in a
//! side table indexed by a `(slot, generation)` key, with the exact
//! deadline, and frees the zombie when the timer fires; a reset is
//! `reschedule`.

use std::time::{Duration, Instant};

use nexus_timer::{TimerHandle, Wheel, WheelBuilder};

use crate::queue::TimerQueue;

/// Workload id, side-table slot.
type Payload = (u64, u32);

/// Key of a [`NexusAdapter`] timer: side-table slot and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NexusKey {
    slot: u32,
    gen: u32,
}

struct Side {
    handle: Option<TimerHandle<Payload>>,
    deadline: u64,
    gen: u32,
}

/// `nexus-timer` behind [`TimerQueue`].
pub struct NexusAdapter {
    w: Wheel<Payload>,
    epoch: Instant,
    /// Workload units per wheel tick.
    per_tick: u64,
    /// Nanoseconds per wheel tick.
    tick_ns: u64,
    exact: bool,
    side: Vec<Side>,
    free: Vec<u32>,
    fired: Vec<Payload>,
    early: u64,
}

impl std::fmt::Debug for NexusAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NexusAdapter")
            .field("len", &self.w.len())
            .field("per_tick", &self.per_tick)
            .field("exact", &self.exact)
            .field("early", &self.early)
            .finish()
    }
}

/// Levels: the crate's maximum, 8, so the top level's range is
/// `64 << 35` ticks (69 years at 1 ms): no workload is clamped to the top
/// level. Empty levels cost nothing (it walks active levels only).
const LEVELS: usize = 8;

impl NexusAdapter {
    /// `unit_ns`: nanoseconds per workload unit (10^6 for W1–W3, 1 for W4).
    fn new(unit_ns: u64, capacity: usize, exact: bool) -> Self {
        // W1–W3: one tick per unit (1 ms); W4: 1 µs ticks.
        let tick_ns = unit_ns.max(1_000);
        let per_tick = tick_ns / unit_ns.max(1);
        let epoch = Instant::now();
        let w = WheelBuilder::new()
            .tick_duration(Duration::from_nanos(tick_ns))
            .slots_per_level(64)
            .clk_shift(5)
            .num_levels(LEVELS)
            .unbounded(4096)
            .build(epoch)
            .expect("a valid nexus-timer configuration");
        NexusAdapter {
            w,
            epoch,
            per_tick,
            tick_ns,
            exact,
            side: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            fired: Vec::new(),
            early: 0,
        }
    }

    /// Re-schedules a timer that fired before its deadline (never early).
    pub fn exact(unit_ns: u64, capacity: usize) -> Self {
        Self::new(unit_ns, capacity, true)
    }

    /// Hands on whatever the wheel fires (may be early).
    pub fn as_shipped(unit_ns: u64, capacity: usize) -> Self {
        Self::new(unit_ns, capacity, false)
    }

    /// Timers that fired early and were re-scheduled so far.
    pub fn early_refires(&self) -> u64 {
        self.early
    }

    fn at(&self, deadline: u64) -> Instant {
        let ticks = deadline.div_ceil(self.per_tick);
        self.epoch + Duration::from_nanos(ticks.saturating_mul(self.tick_ns))
    }

    fn release(&mut self, slot: u32) {
        let s = &mut self.side[slot as usize];
        if let Some(h) = s.handle.take() {
            // The timer fired: free its zombie entry.
            self.w.free(h);
        }
        s.gen = s.gen.wrapping_add(1);
        self.free.push(slot);
    }
}

impl Drop for NexusAdapter {
    fn drop(&mut self) {
        // Handles must be consumed (the crate debug-asserts on a dropped one).
        for s in &mut self.side {
            if let Some(h) = s.handle.take() {
                self.w.cancel(h);
            }
        }
    }
}

impl TimerQueue for NexusAdapter {
    type Key = NexusKey;

    fn name(&self) -> &'static str {
        "nexus-timer"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> NexusKey {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.side.push(Side {
                    handle: None,
                    deadline: 0,
                    gen: 0,
                });
                (self.side.len() - 1) as u32
            }
        };
        let h = self.w.schedule(self.at(deadline), (id, slot));
        let s = &mut self.side[slot as usize];
        s.handle = Some(h);
        s.deadline = deadline;
        NexusKey { slot, gen: s.gen }
    }

    fn cancel(&mut self, key: NexusKey) -> bool {
        let Some(s) = self.side.get_mut(key.slot as usize) else {
            return false;
        };
        if s.gen != key.gen {
            return false;
        }
        let Some(h) = s.handle.take() else {
            return false;
        };
        let live = self.w.cancel(h).is_some();
        self.release(key.slot);
        live
    }

    fn reset(&mut self, key: NexusKey, deadline: u64) -> Option<NexusKey> {
        let s = self.side.get_mut(key.slot as usize)?;
        if s.gen != key.gen {
            return None;
        }
        let h = s.handle.take()?;
        s.deadline = deadline;
        let when = self.at(deadline);
        let h = self.w.reschedule(h, when);
        self.side[key.slot as usize].handle = Some(h);
        Some(key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        let now = self.epoch + Duration::from_nanos((to / self.per_tick) * self.tick_ns);
        let mut fired = std::mem::take(&mut self.fired);
        self.w.poll_and_rebalance(now, &mut fired);
        for (id, slot) in fired.drain(..) {
            let deadline = self.side[slot as usize].deadline;
            if self.exact && deadline > to {
                self.early += 1;
                let s = &mut self.side[slot as usize];
                if let Some(h) = s.handle.take() {
                    self.w.free(h);
                }
                let h = self.w.schedule(self.at(deadline), (id, slot));
                self.side[slot as usize].handle = Some(h);
            } else {
                self.release(slot);
                out.push((deadline, id));
            }
        }
        self.fired = fired;
    }

    fn next_deadline(&mut self) -> Option<u64> {
        // The crate answers `epoch + T` ticks for its internal tick `T` of
        // the earliest timer; by its rounded-down conversion (module docs)
        // a poll at `epoch + k` ticks sees tick `k - 1`, so the first poll
        // that reaches tick `T` is at `T + 1`. Asking for `T` itself would
        // fire nothing, forever, on a virtual clock.
        let t = self.w.next_deadline()?;
        let ticks =
            (t.saturating_duration_since(self.epoch).as_nanos() / u128::from(self.tick_ns)) as u64;
        Some(ticks.saturating_add(1).saturating_mul(self.per_tick))
    }

    fn len(&self) -> usize {
        self.w.len()
    }

    fn resolution(&self) -> u64 {
        self.per_tick
    }
}
