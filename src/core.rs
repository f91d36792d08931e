//! The pool's state behind its lock: timer slots, the engine, the free list
//! and the events waiting for room in their queue.
//!
//! A timer slot is in one of three states:
//!
//! ```text
//!            set(ev)                 expire (event -> queue or pending)
//!   Idle ------------> Armed(key, ev) ------------------------------> Expired
//!    ^  <------------    |  ^    |                                      |
//!    |   cancel -> ev    |  +----+ set: engine reset, ev kept/replaced   |
//!    |                   |                                              |
//!    +-------------------+---- cancel -> AlreadyExpired <---------------+
//!                                set(new ev) --> Armed
//! ```
//!
//! plus `Free` (not allocated), which only `alloc` leaves.
//!
//! Freshness: each slot has a `u64` *stamp*, a counter published in a
//! lock-free word per slot so that `is_fresh` needs no lock. An event gets
//! the slot's current stamp (and its timer, tick and context) when it
//! leaves the pool: delivered on expiry, returned by cancel or free, or
//! handed back when replaced; `is_fresh` compares the two. The stamp is
//! bumped whenever an event that left may no longer describe the timer:
//! arming an idle or expired timer, replacing a held event, cancelling,
//! and freeing. It is never reset (not on free, not on alloc), so a value
//! is never repeated over the slot's whole life, whatever timers it serves
//! (a `u64` bumped once a nanosecond lasts 584 years). A reset that keeps
//! the held event bumps nothing (no event of the timer is outside the pool
//! with the current stamp), so the churn path writes neither the event
//! buffer nor the stamp word.
//!
//! Generations: `free` bumps the slot's `u32` generation, which every
//! [`TimerKey`] handle carries, so a handle kept after `free` is refused
//! (`Freed`, or `StaleKey` once the slot is reused). The free list is LIFO,
//! so one slot can be freed and reused over and over; rather than let its
//! generation wrap to 0 after 2^32 frees (when a handle from that long ago
//! would name the new timer again), the slot is *retired*: it stays `Free`
//! and never goes back on the free list. A pool thus loses one slot per
//! 2^32 frees of that slot (at 10^8 alloc/free pairs a second on a single
//! slot, one slot every 43 s; spread over `n` slots, `n` times slower),
//! and `alloc` moves on to the next free slot.
//!
//! All memory is allocated when the pool is created: slots and free list
//! for `num_timers`, the engine `with_capacity(num_timers)`, and the pending
//! list for `num_timers` events (it only grows past that if more events are
//! stuck behind full queues than the pool has timers, which takes timers
//! re-armed with new events while their old ones are still pending).

use std::collections::VecDeque;

use crate::backend::{Engine, Key};
use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::params::Limits;
use crate::queue::TimeoutQueue;
use crate::sharing::Word;
use crate::timeout::Timeout;

/// Distinct full queues an `expire` pass can meet before its blocked list
/// grows (once; the list is reused by later passes).
const BLOCKED_CAPACITY: usize = 16;

enum State {
    /// Not allocated.
    Free,
    Idle,
    Armed {
        key: Key,
        event: Timeout,
    },
    Expired,
}

/// One timer. 64 bytes, aligned to a cache line: a set or cancel touches
/// one line of the slot table (plus the engine's entry).
#[repr(align(64))]
struct Slot {
    gen: u32,
    /// The tick the timer is (or was last) set for.
    tick: u64,
    ctx: u64,
    queue: Option<TimeoutQueue>,
    state: State,
}

impl Slot {
    /// Writes the slot's current setting into `event` as it leaves the
    /// pool. Events are stamped only when they become visible (delivered,
    /// cancelled, replaced, freed), not on every set: a reset of an armed
    /// timer then touches the slot and the engine, not the event buffer.
    #[inline]
    fn stamp_event<W: Word>(&self, pool: u32, index: u32, stamp: Option<&W>, event: &mut Timeout) {
        event.arm(
            TimerKey::new(pool, index, self.gen),
            self.tick,
            self.ctx,
            stamp.map_or(0, W::load),
        );
    }
}

/// Bumps a slot's stamp (making every event of the slot handed out so far
/// stale). The published word *is* the counter: only the lock holder
/// writes it, so a load and a store suffice. Never reset, so a stamp is
/// never repeated over the slot's life (2^64 bumps: 584 years at one per
/// nanosecond).
#[inline]
fn bump<W: Word>(stamp: Option<&W>) {
    if let Some(w) = stamp {
        w.store(w.load().wrapping_add(1));
    }
}

impl Slot {}

/// What a successful `set_abs`/`set_rel` returns.
#[derive(Debug)]
pub struct Armed {
    /// The expiration tick the timer is now set for.
    pub tick: u64,
    /// The event the timer held before, if a new one was given to a timer
    /// that was already set.
    pub replaced: Option<Timeout>,
}

/// Counters reported by `info()`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) allocated: usize,
    pub(crate) hwm: usize,
    pub(crate) expired: u64,
    pub(crate) deferred: u64,
    pub(crate) pending: usize,
}

pub(crate) struct Core {
    pool_id: u32,
    engine: Engine,
    slots: Vec<Slot>,
    free: Vec<u32>,
    pending: VecDeque<(Timeout, TimeoutQueue)>,
    /// Queues a push failed to in the current `expire` pass (see there),
    /// by [`TimeoutQueue::identity`]. Empty between passes.
    blocked: Vec<usize>,
    counters: Counters,
}

impl Core {
    pub(crate) fn new(pool_id: u32, limits: &Limits) -> Self {
        let n = limits.num_timers;
        let slots = (0..n)
            .map(|_| Slot {
                gen: 0,
                tick: 0,
                ctx: 0,
                queue: None,
                state: State::Free,
            })
            .collect();
        // Reversed so that the first `alloc` gets slot 0.
        let free = (0..n).rev().filter_map(|i| u32::try_from(i).ok()).collect();
        Core {
            pool_id,
            engine: Engine::new(limits.backend, n),
            slots,
            free,
            pending: VecDeque::with_capacity(n),
            blocked: Vec::with_capacity(BLOCKED_CAPACITY),
            counters: Counters::default(),
        }
    }

    pub(crate) fn counters(&self) -> Counters {
        Counters {
            pending: self.pending.len(),
            ..self.counters
        }
    }

    /// The slot `t` names, or why it names none.
    #[inline]
    fn slot_of(slots: &mut [Slot], pool_id: u32, t: TimerKey) -> Result<&mut Slot, Error> {
        if t.pool != pool_id {
            return Err(Error::ForeignKey);
        }
        let slot = slots.get_mut(t.index as usize).ok_or(Error::ForeignKey)?;
        if matches!(slot.state, State::Free) {
            return Err(Error::Freed);
        }
        if slot.gen != t.gen {
            return Err(Error::StaleKey);
        }
        Ok(slot)
    }

    /// Takes a free slot. Its stamp is left as it is: `free` bumped it, so
    /// no event of the slot's previous timers matches it.
    pub(crate) fn alloc(&mut self, queue: &TimeoutQueue, ctx: u64) -> Result<TimerKey, Error> {
        let index = self.free.pop().ok_or(Error::PoolExhausted)?;
        let Some(slot) = self.slots.get_mut(index as usize) else {
            return Err(Error::PoolExhausted);
        };
        slot.ctx = ctx;
        slot.queue = Some(queue.clone());
        slot.state = State::Idle;
        self.counters.allocated += 1;
        self.counters.hwm = self.counters.hwm.max(self.counters.allocated);
        Ok(TimerKey::new(self.pool_id, index, slot.gen))
    }

    pub(crate) fn free<W: Word>(
        &mut self,
        t: TimerKey,
        stamps: &[W],
    ) -> Result<Option<Timeout>, Error> {
        let slot = Self::slot_of(&mut self.slots, self.pool_id, t)?;
        let event = match std::mem::replace(&mut slot.state, State::Free) {
            State::Armed { key, mut event } => {
                self.engine.cancel(key);
                slot.stamp_event(t.pool, t.index, stamps.get(t.index as usize), &mut event);
                Some(event)
            }
            State::Free | State::Idle | State::Expired => None,
        };
        slot.queue = None;
        slot.ctx = 0;
        // A generation that would wrap retires the slot: its next handle
        // would repeat one handed out 2^32 frees ago, and a stale copy of
        // that handle would reach the new timer. The slot stays `Free`
        // (every handle to it reads `Freed`) and off the free list.
        let retire = slot.gen == u32::MAX;
        if !retire {
            slot.gen += 1;
        }
        // Every event of the freed timer goes stale.
        bump(stamps.get(t.index as usize));
        if !retire {
            self.free.push(t.index);
        }
        self.counters.allocated -= 1;
        Ok(event)
    }

    /// Sets `t` to expire at `tick`, `now` being the current tick.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn set<W: Word>(
        &mut self,
        t: TimerKey,
        tick: u64,
        now: u64,
        limits: &Limits,
        event: Option<Timeout>,
        stamps: &[W],
        next_due: &W,
    ) -> Result<Armed, SetError> {
        let slot = match Self::slot_of(&mut self.slots, self.pool_id, t) {
            Ok(s) => s,
            Err(e) => return Err(SetError::new(e, event)),
        };
        if tick < now.saturating_add(limits.min_ticks) {
            return Err(SetError::new(Error::TooEarly, event));
        }
        if tick > now.saturating_add(limits.max_ticks) {
            return Err(SetError::new(Error::TooLate, event));
        }
        let stamp = stamps.get(t.index as usize);
        let replaced = match &mut slot.state {
            State::Armed { key, event: held } => {
                *key = self.engine.reset(*key, tick, t.index);
                // A reset keeping the held event needs no new stamp: every
                // event handed out before went stale when this one was
                // armed, and this one is not visible until it leaves.
                let replaced = event.map(|new| std::mem::replace(held, new));
                let replaced = replaced.map(|mut old| {
                    slot.stamp_event(t.pool, t.index, stamp, &mut old);
                    old
                });
                if replaced.is_some() {
                    bump(stamp);
                }
                replaced
            }
            State::Free | State::Idle | State::Expired => {
                let Some(ev) = event else {
                    return Err(SetError::new(Error::NoEvent, None));
                };
                let key = self.engine.insert(tick, t.index);
                slot.state = State::Armed { key, event: ev };
                // An event delivered by the previous expiry goes stale.
                bump(stamp);
                None
            }
        };
        slot.tick = tick;
        if tick < next_due.load() {
            next_due.store(tick);
        }
        Ok(Armed { tick, replaced })
    }

    pub(crate) fn cancel<W: Word>(&mut self, t: TimerKey, stamps: &[W]) -> Result<Timeout, Error> {
        let slot = Self::slot_of(&mut self.slots, self.pool_id, t)?;
        let result = match std::mem::replace(&mut slot.state, State::Idle) {
            State::Armed { key, mut event } => {
                self.engine.cancel(key);
                slot.stamp_event(t.pool, t.index, stamps.get(t.index as usize), &mut event);
                Ok(event)
            }
            State::Expired => Err(Error::AlreadyExpired),
            State::Free | State::Idle => return Err(Error::NotArmed),
        };
        // Armed or expired: the outstanding event (returned, or in the
        // queue) goes stale.
        bump(stamps.get(t.index as usize));
        result
    }

    /// Delivers events waiting for queue room, then fires every timer due
    /// at `now`. Returns the events delivered to queues by this call and
    /// publishes the next tick worth locking for in `next_due`.
    ///
    /// Order per queue: the deferred events are retried oldest first, and
    /// once a push to a queue fails in this pass, that queue is *blocked*
    /// for the rest of the pass: every later event for it (deferred or
    /// newly expired) goes to the back of the pending list, in order,
    /// without a push attempt. Otherwise a consumer popping on another
    /// thread could make room between two pushes and let a newer event
    /// overtake an older deferred one. After the retry loop the blocked
    /// queues are exactly those with events still pending, so a new expiry
    /// for a queue with older pending events is appended to them too.
    ///
    /// ```text
    ///   pending: [a1(q) a2(q) b1(r)]   q full, r has room, consumer pops q
    ///   retry a1 -> fails, q blocked   pending: [a2 b1 a1]
    ///   retry a2 -> q blocked, no push pending: [b1 a1 a2]
    ///   retry b1 -> pushed to r        pending: [a1 a2]
    ///   new a3(q) -> q blocked         pending: [a1 a2 a3]
    /// ```
    ///
    /// The blocked queues are kept in a small list of queue identities
    /// reused across passes (cleared, not freed), so a pass allocates
    /// nothing once it has seen as many blocked queues at once as it will.
    pub(crate) fn expire<W: Word>(&mut self, now: u64, stamps: &[W], next_due: &W) -> usize {
        let mut delivered = 0;
        let blocked = &mut self.blocked;
        blocked.clear();
        for _ in 0..self.pending.len() {
            let Some((ev, q)) = self.pending.pop_front() else {
                break;
            };
            let id = q.identity();
            if blocked.contains(&id) {
                self.pending.push_back((ev, q));
                continue;
            }
            match q.push(ev) {
                Ok(()) => delivered += 1,
                Err(ev) => {
                    blocked.push(id);
                    self.pending.push_back((ev, q));
                }
            }
        }
        let Core {
            pool_id,
            engine,
            slots,
            pending,
            counters,
            blocked,
            ..
        } = self;
        engine.expire(now, |index, _deadline| {
            let Some(slot) = slots.get_mut(index as usize) else {
                return;
            };
            // The engine only holds armed timers; anything else is left alone.
            if !matches!(slot.state, State::Armed { .. }) {
                return;
            }
            let State::Armed { mut event, .. } = std::mem::replace(&mut slot.state, State::Expired)
            else {
                return;
            };
            slot.stamp_event(*pool_id, index, stamps.get(index as usize), &mut event);
            counters.expired += 1;
            let Some(q) = slot.queue.as_ref() else {
                return;
            };
            let id = q.identity();
            if blocked.contains(&id) {
                counters.deferred += 1;
                pending.push_back((event, q.clone()));
                return;
            }
            match q.push(event) {
                Ok(()) => delivered += 1,
                Err(event) => {
                    counters.deferred += 1;
                    blocked.push(id);
                    pending.push_back((event, q.clone()));
                }
            }
        });
        // Drop the identities: they are only meaningful within one pass.
        self.blocked.clear();
        let next = if self.pending.is_empty() {
            self.engine.next_deadline().unwrap_or(u64::MAX)
        } else {
            // Retry on every pass until the queues have room.
            0
        };
        next_due.store(next);
        delivered
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::params::Backend;
    use crate::timeout::TimeoutPool;

    fn core(n: usize, backend: Backend) -> (Core, Vec<Cell<u64>>) {
        let limits = Limits {
            resolution_ns: 1,
            min_ticks: 0,
            max_ticks: 1 << 20,
            num_timers: n,
            backend,
        };
        let stamps = (0..n).map(|_| Cell::new(0)).collect();
        (Core::new(7, &limits), stamps)
    }

    #[test]
    fn slot_whose_generation_would_wrap_is_retired() {
        for backend in [Backend::Wheel, Backend::Hires] {
            let (mut c, stamps) = core(2, backend);
            let q = TimeoutQueue::new(4).unwrap();
            // Slot 0 is next on the free list; make its generation the
            // second last one.
            c.slots[0].gen = u32::MAX - 1;
            let a = c.alloc(&q, 1).unwrap();
            assert_eq!((a.index, a.gen), (0, u32::MAX - 1));
            c.free(a, &stamps).unwrap();
            // The last generation is still handed out...
            let b = c.alloc(&q, 2).unwrap();
            assert_eq!((b.index, b.gen), (0, u32::MAX));
            assert_eq!(c.cancel(a, &stamps).err(), Some(Error::StaleKey));
            c.free(b, &stamps).unwrap();
            // ...but freeing it retires the slot: no generation 0 handle.
            let next = c.alloc(&q, 3).unwrap();
            assert_eq!(next.index, 1, "the retired slot is not reused");
            assert_eq!(c.alloc(&q, 4).err(), Some(Error::PoolExhausted));
            for stale in [a, b] {
                assert_eq!(c.free(stale, &stamps).err(), Some(Error::Freed));
                assert_eq!(c.cancel(stale, &stamps).err(), Some(Error::Freed));
            }
            let wrapped = TimerKey::new(7, 0, 0);
            assert_eq!(c.cancel(wrapped, &stamps).err(), Some(Error::Freed));
            assert_eq!(c.counters().allocated, 1);
            // The other slot still works normally.
            let evs = TimeoutPool::new(1).unwrap();
            let next_due = Cell::new(u64::MAX);
            let limits = Limits {
                resolution_ns: 1,
                min_ticks: 0,
                max_ticks: 1 << 20,
                num_timers: 2,
                backend,
            };
            c.set(
                next,
                5,
                0,
                &limits,
                Some(evs.alloc().unwrap()),
                &stamps,
                &next_due,
            )
            .unwrap();
            assert_eq!(c.expire(5, &stamps, &next_due), 1);
            assert_eq!(q.pop().and_then(|e| e.timer()), Some(next));
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<super::Slot>(), 64);
        assert_eq!(std::mem::align_of::<super::Slot>(), 64);
    }
}
