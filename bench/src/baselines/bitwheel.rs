//! `bitwheel` (crates.io): a hierarchical wheel of 64-slot gears whose
//! slots are fixed-capacity arrays, with no cascading: a timer stays in the
//! gear its delay picked and fires when that gear's slot comes round.
//!
//! Configuration (at its best for W1–W4): 1 ms resolution (its finest; one
//! workload tick in W1–W3, deadlines rounded *up* to the millisecond in W4,
//! like `DelayQueue`), 4 gears (2^24 ms, past W1–W4's horizons), 1,024
//! timers per slot (12 MB preallocated), no probing, and the failover
//! variant with a failover check every tick. Probing puts a timer in a
//! later slot, which fires it up to a slot late (seen on W1: a reset found
//! its timer's deadline passed but the timer not fired), so a full slot
//! sends the timer straight to the failover `BTreeMap`, which fires it
//! exactly. W1, W3 and W2 at P = 1,000,000 hold 100,000s of timers in a
//! few slots, beyond any slot capacity that fits in memory (W3 would need
//! 250,000 per slot, 3 GB preallocated), so there most timers live in the
//! failover map.
//!
//! Early firing: a timer in gear `g >= 1` fires at the *start* of its
//! slot, up to `64^g - 1` ms before its deadline (its design: "a 1-hour
//! timer might fire within a ~64 ms window"). [`BitWheelAdapter::exact`]
//! re-checks the deadline of every fired timer, as a user needing
//! never-early timeouts must, and re-inserts one that came early;
//! [`BitWheelAdapter::as_shipped`] hands everything on, so the
//! workloads' early/late check sees what the crate does by itself.
//!
//! `bitwheel` handles are move-only and die when the timer fires, so the
//! adapter keeps them in a side table indexed by a `(slot, generation)` key
//! (what a user of `TimerQueue`-like code would have to do too), a reset
//! is cancel + insert (there is no reschedule), and the adapter counts the
//! armed timers itself (the crate's `len()` is not decremented when timers
//! fire, in 0.6.0).

use std::time::{Duration, Instant};

use bitwheel::timer::{BitWheelWithFailover, Timer, TimerHandle};

use crate::queue::TimerQueue;

/// What a fired timer carries: deadline, workload id, side-table slot.
#[derive(Debug)]
pub(super) struct Fire {
    deadline: u64,
    id: u64,
    slot: u32,
}

impl Timer for Fire {
    type Context = Vec<(u64, u64, u32)>;

    fn fire(&mut self, ctx: &mut Self::Context) {
        ctx.push((self.deadline, self.id, self.slot));
    }
}

/// The configuration described in the module docs.
type Bw = BitWheelWithFailover<Fire, 4, 1, 1024, 1, 1>;

/// Key of a [`BitWheelAdapter`] timer: side-table slot and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BwKey {
    slot: u32,
    gen: u32,
}

#[derive(Debug)]
struct Side {
    handle: Option<TimerHandle>,
    gen: u32,
}

/// `bitwheel` behind [`TimerQueue`].
pub struct BitWheelAdapter {
    w: Box<Bw>,
    epoch: Instant,
    /// Workload units per millisecond (1 for W1–W3, 10^6 for W4).
    scale: u64,
    exact: bool,
    side: Vec<Side>,
    free: Vec<u32>,
    fired: Vec<(u64, u64, u32)>,
    /// Timers fired before their deadline and re-inserted (exact mode).
    early: u64,
    /// Armed timers (the crate's own `len()` does not count fires down in
    /// 0.6.0, so the adapter counts).
    live: usize,
}

impl std::fmt::Debug for BitWheelAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitWheelAdapter")
            .field("len", &self.live)
            .field("scale", &self.scale)
            .field("exact", &self.exact)
            .field("early", &self.early)
            .finish()
    }
}

impl BitWheelAdapter {
    fn new(scale: u64, capacity: usize, exact: bool) -> Self {
        let epoch = Instant::now();
        BitWheelAdapter {
            w: Bw::boxed_with_epoch(epoch),
            epoch,
            scale: scale.max(1),
            exact,
            side: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            fired: Vec::new(),
            early: 0,
            live: 0,
        }
    }

    /// Re-inserts a timer that fired before its deadline (never early).
    pub fn exact(scale: u64, capacity: usize) -> Self {
        Self::new(scale, capacity, true)
    }

    /// Hands on whatever the wheel fires (may be early).
    pub fn as_shipped(scale: u64, capacity: usize) -> Self {
        Self::new(scale, capacity, false)
    }

    /// Timers that fired early and were re-inserted so far.
    pub fn early_refires(&self) -> u64 {
        self.early
    }

    fn at(&self, deadline: u64) -> Instant {
        self.epoch + Duration::from_millis(deadline.div_ceil(self.scale))
    }

    fn push(&mut self, deadline: u64, id: u64) -> BwKey {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.side.push(Side {
                    handle: None,
                    gen: 0,
                });
                (self.side.len() - 1) as u32
            }
        };
        let when = self.at(deadline);
        let h = self.w.insert(when, Fire { deadline, id, slot });
        let s = &mut self.side[slot as usize];
        s.handle = Some(h);
        self.live += 1;
        BwKey { slot, gen: s.gen }
    }

    fn release(&mut self, slot: u32) {
        let s = &mut self.side[slot as usize];
        s.handle = None;
        s.gen = s.gen.wrapping_add(1);
        self.free.push(slot);
        self.live -= 1;
    }

    fn take(&mut self, key: BwKey) -> Option<TimerHandle> {
        let s = self.side.get_mut(key.slot as usize)?;
        if s.gen != key.gen {
            return None;
        }
        s.handle.take()
    }
}

impl TimerQueue for BitWheelAdapter {
    type Key = BwKey;

    fn name(&self) -> &'static str {
        "bitwheel"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> BwKey {
        self.push(deadline, id)
    }

    fn cancel(&mut self, key: BwKey) -> bool {
        let Some(h) = self.take(key) else {
            return false;
        };
        let live = self.w.cancel(h).is_some();
        self.release(key.slot);
        live
    }

    fn reset(&mut self, key: BwKey, deadline: u64) -> Option<BwKey> {
        let h = self.take(key)?;
        let f = self.w.cancel(h)?;
        let when = self.at(deadline);
        let h = self.w.insert(
            when,
            Fire {
                deadline,
                id: f.id,
                slot: key.slot,
            },
        );
        self.side[key.slot as usize].handle = Some(h);
        Some(key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        let now = self.epoch + Duration::from_millis(to / self.scale);
        let mut fired = std::mem::take(&mut self.fired);
        self.w.poll(now, &mut fired);
        for (deadline, id, slot) in fired.drain(..) {
            if self.exact && deadline > to {
                self.early += 1;
                let when = self.at(deadline);
                let h = self.w.insert(when, Fire { deadline, id, slot });
                self.side[slot as usize].handle = Some(h);
            } else {
                self.release(slot);
                out.push((deadline, id));
            }
        }
        self.fired = fired;
    }

    fn next_deadline(&mut self) -> Option<u64> {
        let t = self.w.peek_next_fire()?;
        let ms = t.saturating_duration_since(self.epoch).as_millis() as u64;
        Some(ms.saturating_mul(self.scale))
    }

    fn len(&self) -> usize {
        self.live
    }

    fn resolution(&self) -> u64 {
        self.scale
    }
}
