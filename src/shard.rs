//! One shard of a pool: an engine holding the shard's timers (each with its
//! pool state in the engine entry), the events waiting for room in full
//! queues, and counters. The pool puts each shard behind its own lock.
//!
//! A timer is in one of three states while allocated:
//!
//! ```text
//!            set(ev)                   expire (event -> queue, or waits)
//!   Idle ------------> Armed(ev) ---------------------------------> Expired
//!    ^  <------------   |  ^  |                                       |  |
//!    |  cancel -> ev    |  +--+ set: re-arm, ev kept or replaced      |  |
//!    |                  |                                             |  |
//!    +------------------+--------- set(new ev) -> Armed <-------------+  |
//!                                  cancel -> AlreadyExpired, again and   |
//!                                  again, until set or freed  <----------+
//! ```
//!
//! `alloc` adds an idle timer to the engine, `free` removes it (from any
//! state); the engine key changes generation then, so every old
//! [`TimerKey`] reads [`Error::StaleKey`].
//!
//! Freshness: each timer has a `u64` *stamp*. An event takes the timer's
//! current stamp (and its key, tick and context) when it leaves the pool:
//! delivered on expiry, returned by cancel or free, or handed back when
//! replaced; `is_fresh` compares the two under the shard's lock. The stamp
//! is bumped whenever an event that left may no longer describe the timer:
//! arming an idle or expired timer, replacing a held event, cancelling. A
//! reset that keeps the held event bumps nothing (no event of the timer is
//! outside the pool with the current stamp), so the churn path writes only
//! the engine entry. Events of a freed timer are stale through their key.
//!
//! Full queues: an event whose queue is full waits in that queue's
//! *blocked list*, in expiry order; later events for the same queue join
//! the list behind it, so a queue receives its events in expiry order. Each
//! expiry pass first retries every blocked list from its front and stops at
//! the first refusal: O(1) per still-full queue, O(delivered) otherwise,
//! whatever the number of waiting events.

use std::collections::VecDeque;

use crate::engine::{Engine, EngineKey, Stale};
use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::params::Limits;
use crate::queue::TimeoutQueue;
use crate::timeout::{Held, Timeout};

/// A timer's state, a plain byte rather than an enum: an enum's spare
/// values would be the biggest niche in the engine entry, so the engine's
/// storage would keep its occupied/vacant tag in the pool's part of the
/// entry, which can sit on another cache line than the engine's fields;
/// every key check would then touch two lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State(u8);

impl State {
    const IDLE: State = State(0);
    const ARMED: State = State(1);
    const EXPIRED: State = State(2);
}

/// A timer's pool state: the value of its engine entry.
pub(crate) struct Slot {
    state: State,
    stamp: u64,
    ctx: u64,
    queue: TimeoutQueue,
    /// The event, held while armed.
    event: Option<Held>,
}

/// A successful `set_abs`/`set_rel`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Armed {
    /// The expiration tick the timer is now set for.
    pub tick: u64,
    /// The event the timer held before, if a new one was given to a timer
    /// that was already set.
    pub replaced: Option<Timeout>,
}

/// The events of one full queue, oldest first.
struct Blocked {
    queue: TimeoutQueue,
    events: VecDeque<Timeout>,
}

/// Counters reported by `info()`, per shard.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) expired: u64,
    pub(crate) deferred: u64,
    pub(crate) pending: usize,
}

pub(crate) struct ShardCore {
    pool: u32,
    shard: u32,
    engine: Engine<Slot>,
    /// The shard's current tick: the highest reading it has acted on.
    now: u64,
    blocked: Vec<Blocked>,
    counters: Counters,
}

impl From<Stale> for Error {
    fn from(_: Stale) -> Self {
        Error::StaleKey
    }
}

impl ShardCore {
    pub(crate) fn new(pool: u32, shard: u32, limits: &Limits, capacity: usize) -> Self {
        ShardCore {
            pool,
            shard,
            engine: Engine::new(limits.backend, capacity),
            now: 0,
            blocked: Vec::new(),
            counters: Counters::default(),
        }
    }

    #[inline]
    fn key(&self, key: EngineKey) -> TimerKey {
        TimerKey {
            pool: self.pool,
            shard: self.shard,
            key,
        }
    }

    pub(crate) fn counters(&self) -> Counters {
        Counters {
            pending: self.blocked.iter().map(|b| b.events.len()).sum(),
            ..self.counters
        }
    }

    pub(crate) fn stats(&self) -> hrwheel_wheel::Stats {
        self.engine.stats()
    }

    /// Whether events wait for room in a queue.
    #[inline]
    pub(crate) fn has_blocked(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// The tick at which [`expire`](Self::expire) may next have work: 0
    /// while events wait for queue room, `u64::MAX` when nothing is armed.
    #[inline]
    pub(crate) fn next_due(&self) -> u64 {
        if self.has_blocked() {
            0
        } else {
            self.engine.next_deadline().unwrap_or(u64::MAX)
        }
    }

    /// The tick to act on: `reading`, or the shard's tick if the reading is
    /// behind it.
    #[inline]
    pub(crate) fn clamp(&mut self, reading: u64) -> u64 {
        self.now = self.now.max(reading);
        self.now
    }

    pub(crate) fn alloc(&mut self, queue: &TimeoutQueue, ctx: u64) -> TimerKey {
        let key = self.engine.insert_idle(Slot {
            state: State::IDLE,
            stamp: 0,
            ctx,
            queue: queue.clone(),
            event: None,
        });
        self.key(key)
    }

    pub(crate) fn free(&mut self, t: TimerKey) -> Result<Option<Timeout>, Error> {
        let tick = self.engine.deadline(t.key);
        let slot = self.engine.remove(t.key)?;
        Ok(match (slot.state, slot.event) {
            (State::ARMED, Some(held)) => Some(Timeout::leave(
                held,
                t,
                tick.unwrap_or(0),
                slot.ctx,
                slot.stamp,
            )),
            _ => None,
        })
    }

    /// Sets `t` to expire at `tick`, `now` being the current tick.
    pub(crate) fn set(
        &mut self,
        t: TimerKey,
        tick: u64,
        now: u64,
        limits: &Limits,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        let range = if tick < now.saturating_add(limits.min_ticks) {
            Some(Error::TooEarly)
        } else if tick > now.saturating_add(limits.max_ticks) {
            Some(Error::TooLate)
        } else {
            None
        };
        if let Some(e) = range {
            // A bad key is the first thing to report.
            let e = match self.engine.get(t.key) {
                Ok(_) => e,
                Err(stale) => stale.into(),
            };
            return Err(SetError::new(e, event));
        }
        if event.is_none() {
            // The churn path: re-arm an armed timer keeping its event. The
            // engine knows whether the timer is armed (its state and the
            // pool's agree), so the pool's part of the entry, which may sit
            // on the entry's other cache line, is not touched.
            match self.engine.reset_armed(t.key, tick) {
                Ok(true) => {
                    return Ok(Armed {
                        tick,
                        replaced: None,
                    })
                }
                Ok(false) => return Err(SetError::new(Error::NoEvent, None)),
                Err(e) => return Err(SetError::new(e.into(), None)),
            }
        }
        // The tick a replaced event was set for (same entry: no extra miss).
        let old_tick = match event {
            Some(_) => self.engine.deadline(t.key).unwrap_or(0),
            None => 0,
        };
        let slot = match self.engine.get_mut(t.key) {
            Ok(s) => s,
            Err(e) => return Err(SetError::new(e.into(), event)),
        };
        let replaced = if slot.state == State::ARMED {
            match event {
                // A reset keeping the held event: the engine entry only.
                None => None,
                Some(new) => {
                    let old = slot.event.replace(new.into_held());
                    let (ctx, stamp) = (slot.ctx, slot.stamp);
                    slot.stamp += 1;
                    old.map(|held| Timeout::leave(held, t, old_tick, ctx, stamp))
                }
            }
        } else {
            let Some(ev) = event else {
                return Err(SetError::new(Error::NoEvent, None));
            };
            slot.event = Some(ev.into_held());
            slot.state = State::ARMED;
            // An event delivered by the previous expiry goes stale.
            slot.stamp += 1;
            None
        };
        // Cannot fail: the key was checked above and nothing ran since.
        let _ = self.engine.arm(t.key, tick);
        Ok(Armed { tick, replaced })
    }

    pub(crate) fn cancel(&mut self, t: TimerKey) -> Result<Timeout, Error> {
        let tick = self.engine.deadline(t.key);
        let slot = self.engine.get_mut(t.key)?;
        if slot.state == State::EXPIRED {
            return Err(Error::AlreadyExpired);
        }
        if slot.state != State::ARMED {
            return Err(Error::NotArmed);
        }
        slot.state = State::IDLE;
        let (ctx, stamp) = (slot.ctx, slot.stamp);
        slot.stamp += 1;
        let held = slot.event.take();
        self.engine.disarm(t.key);
        match held {
            Some(held) => Ok(Timeout::leave(held, t, tick.unwrap_or(0), ctx, stamp)),
            // An armed timer always holds its event.
            None => Err(Error::NotArmed),
        }
    }

    pub(crate) fn is_fresh(&self, t: TimerKey, stamp: u64) -> bool {
        self.engine.get(t.key).is_ok_and(|s| s.stamp == stamp)
    }

    /// Delivers events waiting for queue room, then fires every timer due at
    /// `now`. Returns the events delivered to queues by this call.
    pub(crate) fn expire(&mut self, now: u64) -> usize {
        let mut delivered = 0;
        // Each blocked queue from its front, stopping at the first refusal.
        self.blocked.retain_mut(|b| {
            while let Some(ev) = b.events.pop_front() {
                match b.queue.push(ev) {
                    Ok(()) => delivered += 1,
                    Err(ev) => {
                        b.events.push_front(ev);
                        return true;
                    }
                }
            }
            false
        });
        let now = self.clamp(now);
        let (pool, shard) = (self.pool, self.shard);
        let ShardCore {
            engine,
            blocked,
            counters,
            ..
        } = self;
        engine.expire(now, |key, deadline, slot| {
            // Only armed timers are in the engine's lists.
            if slot.state != State::ARMED {
                return;
            }
            slot.state = State::EXPIRED;
            let Some(held) = slot.event.take() else {
                return;
            };
            let t = TimerKey { pool, shard, key };
            let ev = Timeout::leave(held, t, deadline, slot.ctx, slot.stamp);
            counters.expired += 1;
            if let Some(b) = blocked.iter_mut().find(|b| b.queue.same_queue(&slot.queue)) {
                b.events.push_back(ev);
                counters.deferred += 1;
                return;
            }
            match slot.queue.push(ev) {
                Ok(()) => delivered += 1,
                Err(ev) => {
                    counters.deferred += 1;
                    blocked.push(Blocked {
                        queue: slot.queue.clone(),
                        events: VecDeque::from([ev]),
                    });
                }
            }
        });
        delivered
    }
}
