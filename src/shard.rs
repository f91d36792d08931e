//! One shard of a pool: an engine holding the shard's timers (each with its
//! hot pool state in the engine entry, its cold state in a table beside
//! it), the events waiting for room in full queues, and counters. The
//! pool puts each shard behind its own lock.
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
//! Periodic timers: expiration `k` of a timer started at `first` with
//! period `p` is at tick `first + k * p`, exactly: when it fires at `d` the
//! shard re-arms it at the first `d + j * p` after the current tick, and
//! the `j - 1` periods skipped are its *overruns* (`hrtimer_forward`). An
//! event timer delivers its one event each period; the application hands
//! it back with `ack`. A period that comes while the event is out delivers
//! nothing and is counted, and the next delivery carries the count.
//!
//! Callback timers run a closure instead of delivering an event. The shard
//! takes the closures of the due timers out of their entries under the
//! lock, the pool runs them with no lock held (so a callback may call any
//! pool method on any timer, its own included), then puts each back and
//! re-arms the periodic ones the callback did not stop, set or free. While
//! its closure runs a timer is *running* (DPDK's `RTE_TIMER_RUNNING`).
//!
//! Full queues: an event whose queue is full waits in that queue's
//! *blocked list*, in expiry order; later events for the same queue join
//! the list behind it, so a queue receives a shard's events in expiry order
//! (a queue fed by timers of several shards gets each shard's events in
//! order; shards deliver independently). Each
//! expiry pass first retries every blocked list from its front and stops at
//! the first refusal: O(1) per still-full queue, O(delivered) otherwise,
//! whatever the number of waiting events.

use std::collections::{HashMap, VecDeque};

use crate::engine::{Engine, EngineKey, Stale};
use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::params::Limits;
use crate::pool::TimerPool;
use crate::queue::TimeoutQueue;
use crate::sharing::Sharing;
use crate::timeout::{Held, Timeout};

/// A timer's state, a plain byte rather than an enum: an enum's spare
/// values would be the biggest niche in the engine entry, so the engine's
/// storage would keep its occupied/vacant tag in the pool's part of the
/// entry, which can sit on another cache line than the engine's fields;
/// every key check would then touch two lines. (Flags are bits of a byte
/// for the same reason: a `bool` has spare values too.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State(u8);

impl State {
    const IDLE: State = State(0);
    const ARMED: State = State(1);
    const EXPIRED: State = State(2);
}

/// A callback timer's closure.
pub(crate) type Callback<S> = Box<dyn FnMut(&TimerPool<S>, Expiry) + Send>;

/// [`Slot::flags`]: its callback is running.
const RUNNING: u8 = 1;
/// [`Slot::flags`]: re-arm at the next period once the running callback
/// returns, unless the callback sets, stops or frees the timer meanwhile.
const REARM: u8 = 2;
/// [`Slot::flags`]: a callback timer (it runs a closure, kept in its
/// [`Cold`] part, instead of delivering an event).
const CALLBACK: u8 = 4;
/// [`Slot::flags`]: periodic (its period is in its [`Cold`] part).
const PERIODIC: u8 = 8;
/// [`Slot::flags`]: periods were missed while its event was out (counted
/// in its [`Cold`] part, reported with its next delivery).
const MISSED: u8 = 16;
/// [`Slot::flags`]: the held event's buffer already says this timer's key
/// and stamp and no overruns (written when the event entered the timer);
/// cleared when the stamp or the key changes.
const DESCRIBED: u8 = 32;

/// A timer's hot pool state, the value of its engine entry: what a set,
/// reset, cancel or expiry of a one-shot event timer reads and writes, 40
/// bytes beside the engine's 40, so that those operations touch no other
/// memory. The rest, [`Cold`], is in a table of the shard indexed like the
/// engine's entries.
///
/// An event leaving a timer carries its tick and context in the
/// [`Timeout`] value; its buffer (timer key, stamp, overruns) is written
/// when the event enters the timer (`set` with an event, `ack`), where the
/// user just had it in hand, and again when it leaves only if those
/// changed meanwhile (see [`DESCRIBED`]). A timer that fires touches its
/// entry and nothing else: no miss on the event's line.
pub(crate) struct Slot {
    /// The event, held while armed (and, for a periodic timer, while
    /// acknowledged). Always `None` for a callback timer.
    event: Option<Held>,
    stamp: u64,
    /// The user context its events carry.
    ctx: u64,
    state: State,
    /// [`RUNNING`], [`REARM`], [`CALLBACK`], [`PERIODIC`], [`MISSED`],
    /// [`DESCRIBED`].
    flags: u8,
    /// An event timer's queue: its index in the shard's [`Queues`] (in
    /// bytes the entry had spare), so that delivering to a queue reads no
    /// more than a set does; [`NO_QUEUE`] for a callback timer.
    queue: u32,
}

/// [`Slot::queue`] of a callback timer.
const NO_QUEUE: u32 = u32::MAX;

/// The distinct queues a shard's timers deliver to, each with the number
/// of its timers that name it, found by the queue's address. A timer names
/// its queue by index here (four bytes in its hot slot) rather than by a
/// handle in its cold part: delivering to a queue then costs no second
/// cache miss per expiry on a large pool. A queue leaves the table (and
/// the shard drops its handle) when its last timer does.
#[derive(Default)]
struct Queues {
    entries: Vec<Option<(TimeoutQueue, u32)>>,
    free: Vec<u32>,
    by_addr: HashMap<usize, u32>,
}

impl Queues {
    /// The index of `queue`, one more timer counted on it.
    fn intern(&mut self, queue: &TimeoutQueue) -> u32 {
        if let Some(&i) = self.by_addr.get(&queue.addr()) {
            if let Some((_, users)) = &mut self.entries[i as usize] {
                *users += 1;
            }
            return i;
        }
        let entry = Some((queue.clone(), 1));
        let i = match self.free.pop() {
            Some(i) => {
                self.entries[i as usize] = entry;
                i
            }
            None => {
                // Fewer queues than timers, and timers fit `u32`.
                let i = u32::try_from(self.entries.len()).unwrap_or(NO_QUEUE);
                self.entries.push(entry);
                i
            }
        };
        self.by_addr.insert(queue.addr(), i);
        i
    }

    /// One timer fewer on queue `i`; the table lets the queue go with its
    /// last one.
    fn release(&mut self, i: u32) {
        let Some(slot) = self.entries.get_mut(i as usize) else {
            return;
        };
        if let Some((queue, users)) = slot {
            *users -= 1;
            if *users == 0 {
                self.by_addr.remove(&queue.addr());
                *slot = None;
                self.free.push(i);
            }
        }
    }

    #[inline]
    fn get(&self, i: u32) -> Option<&TimeoutQueue> {
        self.entries.get(i as usize)?.as_ref().map(|(q, _)| q)
    }
}

impl Slot {
    #[inline]
    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    #[inline]
    fn put(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
}

/// A timer's cold pool state: the closure a callback timer runs, and the
/// period. Touched when a timer is allocated, freed, moved, runs a
/// callback or is periodic. (An event timer's queue is named by its hot
/// [`Slot`], see [`Slot::queue`].)
pub(crate) struct Cold<S: Sharing> {
    /// A callback timer's closure (`None` while it runs, and for an event
    /// timer).
    callback: Option<Callback<S>>,
    /// 0: one-shot.
    period: u64,
    /// Periods that fired while a periodic timer's event was out
    /// (saturating at `u64::MAX`).
    missed: u64,
}

impl<S: Sharing> Cold<S> {
    const VACANT: Cold<S> = Cold {
        callback: None,
        period: 0,
        missed: 0,
    };
}

/// A timer out of its shard, both parts and an event timer's queue (its
/// index means nothing outside the shard): freed (dropped once the lock
/// is released) or moving to another shard.
pub(crate) struct Whole<S: Sharing> {
    slot: Slot,
    cold: Cold<S>,
    queue: Option<TimeoutQueue>,
}

/// One expiry of a callback timer, as its callback sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Expiry {
    /// The timer.
    pub timer: TimerKey,
    /// The tick it was set for.
    pub tick: u64,
    /// Whole periods skipped since the previous expiry because the pass
    /// came late (0 when on time, always 0 for a one-shot timer).
    pub overruns: u64,
    /// The period, `None` for a one-shot timer.
    pub period: Option<u64>,
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

/// A callback taken out for one pass.
pub(crate) struct Due<S: Sharing> {
    pub(crate) key: EngineKey,
    pub(crate) expiry: Expiry,
    pub(crate) f: Callback<S>,
    /// Whether it panicked when it ran.
    pub(crate) panicked: bool,
}

/// Callbacks taken out for one pass.
pub(crate) type Ready<S> = Vec<Due<S>>;

/// The pool's limits that a shard checks each set against.
#[derive(Clone, Copy)]
struct Range {
    min_ticks: u64,
    /// `max_ticks - min_ticks` (a pool's limits have `min <= max`): the
    /// maximum is `min_ticks + span`.
    span: u64,
    /// The last tick the clock reaches ([`Limits::last_tick`]): periodic
    /// schedules end before a later one.
    last: u64,
}

impl Range {
    /// Why `tick` is refused at `now`, if it is: [`Error::TooEarly`] before
    /// `now + min_timeout` (every tick, where that passes `u64::MAX`;
    /// saturated, it let a set for the current tick through),
    /// [`Error::TooLate`] after `now + max_timeout` or after the last tick
    /// the clock reaches, whatever the maximum timeout.
    fn refuses(self, tick: u64, now: u64) -> Option<Error> {
        let max_ticks = self.min_ticks + self.span;
        if now.checked_add(self.min_ticks).is_none_or(|lo| tick < lo) {
            Some(Error::TooEarly)
        } else if tick > now.saturating_add(max_ticks).min(self.last) {
            Some(Error::TooLate)
        } else {
            None
        }
    }

    /// Whether [`refuses`](Self::refuses) lets `tick` through at `now`,
    /// in three compares and no overflow check: with `tick >= now`, `d =
    /// tick - now` is exact, and `min <= d <= max` is one unsigned compare
    /// of `d - min` (wrapping when `d < min`) against `max - min`; an
    /// overflowing `now + min` means `d < min`.
    #[inline(always)]
    fn allows(self, tick: u64, now: u64) -> bool {
        let d = tick.wrapping_sub(now);
        tick >= now && d.wrapping_sub(self.min_ticks) <= self.span && tick <= self.last
    }
}

pub(crate) struct ShardCore<S: Sharing> {
    /// The pool id and this shard's index, as keys carry them
    /// ([`key::place`](crate::key::place)).
    place: u64,
    engine: Engine<Slot>,
    /// The timers' cold parts, indexed by engine index (`TimerKey::index`).
    cold: Vec<Cold<S>>,
    /// The shard's current tick: the highest reading it has acted on.
    now: u64,
    range: Range,
    blocked: Vec<Blocked>,
    /// The queues the timers deliver to (see [`Slot::queue`]).
    queues: Queues,
    /// The wheel's periodic re-arms during a pass (see `Engine::expire`);
    /// kept for its capacity.
    rearm: Vec<(EngineKey, u64)>,
    /// Callbacks due, taken out by `expire` for the pool to run (its
    /// capacity is kept across passes).
    ready: Ready<S>,
    counters: Counters,
}

impl From<Stale> for Error {
    fn from(_: Stale) -> Self {
        Error::StaleKey
    }
}

/// The published bound (a shard's `next_due`) of a timer armed for `tick`:
/// `u64::MAX` means nothing is armed, so a timer on the last tick is
/// published one tick early, which a bound may be (never late); it read
/// as no timer at all before.
#[inline(always)]
pub(crate) fn due_bound(tick: u64) -> u64 {
    tick.min(u64::MAX - 1)
}

/// The first tick of `d + j * period` (`j >= 1`) after `now`, `None` if
/// it would come after `last`, the last tick the clock reaches, or
/// overflow (the schedule ends), and `j - 1`, the periods skipped.
/// The skipped periods lie at or before `now`, so they count even when the
/// next one does not exist (they used to be reported as 0 then).
#[inline]
fn forward(d: u64, period: u64, now: u64, last: u64) -> (Option<u64>, u64) {
    // On time (the usual case): no division, whose latency a pass of
    // periodic timers would pay for each one.
    if let Some(next) = d.checked_add(period) {
        if now < next && next <= last {
            return (Some(next), 0);
        }
    }
    let skipped = now.saturating_sub(d) / period;
    let next = skipped
        .checked_add(1)
        .and_then(|j| period.checked_mul(j))
        .and_then(|p| d.checked_add(p))
        .filter(|&next| next <= last);
    (next, skipped)
}

impl<S: Sharing> ShardCore<S> {
    pub(crate) fn new(pool: u64, shard: usize, limits: &Limits, capacity: usize) -> Self {
        let range = Range {
            min_ticks: limits.min_ticks,
            span: limits.max_ticks.saturating_sub(limits.min_ticks),
            last: limits.last_tick,
        };
        ShardCore {
            place: crate::key::place(pool, shard),
            engine: Engine::new(limits.backend, capacity),
            cold: Vec::with_capacity(capacity),
            now: 0,
            range,
            blocked: Vec::new(),
            queues: Queues::default(),
            rearm: Vec::new(),
            ready: Vec::new(),
            counters: Counters::default(),
        }
    }

    #[inline]
    fn key(&self, key: EngineKey) -> TimerKey {
        TimerKey {
            place: self.place,
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
    /// while events wait for queue room, `u64::MAX` when nothing is armed
    /// (see [`due_bound`]).
    #[inline]
    pub(crate) fn next_due(&self) -> u64 {
        if self.has_blocked() {
            0
        } else {
            self.engine.next_deadline().map_or(u64::MAX, due_bound)
        }
    }

    /// Whether no timer is armed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.engine.is_empty()
    }

    /// The tick to act on: `reading`, or the shard's tick if the reading is
    /// behind it.
    #[inline]
    pub(crate) fn clamp(&mut self, reading: u64) -> u64 {
        self.now = self.now.max(reading);
        self.now
    }

    /// Adds a timer, both parts.
    fn insert(&mut self, mut whole: Whole<S>) -> TimerKey {
        whole.slot.queue = match &whole.queue {
            Some(q) => self.queues.intern(q),
            None => NO_QUEUE,
        };
        let period = whole.cold.period;
        let key = self.engine.insert_idle(whole.slot);
        if period != 0 {
            self.engine.set_period(key, Some(period));
        }
        let key = self.key(key);
        let i = key.index() as usize;
        if i >= self.cold.len() {
            self.cold.resize_with(i + 1, || Cold::VACANT);
        }
        self.cold[i] = whole.cold;
        key
    }

    /// The timer's cold part (its key checked by the caller).
    #[inline]
    fn cold(&mut self, key: EngineKey) -> &mut Cold<S> {
        &mut self.cold[key.index() as usize]
    }

    pub(crate) fn alloc(&mut self, queue: &TimeoutQueue, ctx: u64) -> TimerKey {
        self.insert_new(ctx, 0, Some(queue.clone()), None)
    }

    pub(crate) fn alloc_callback(&mut self, ctx: u64, f: Callback<S>) -> TimerKey {
        self.insert_new(ctx, CALLBACK, None, Some(f))
    }

    /// Adds a new idle timer.
    fn insert_new(
        &mut self,
        ctx: u64,
        flags: u8,
        queue: Option<TimeoutQueue>,
        callback: Option<Callback<S>>,
    ) -> TimerKey {
        self.insert(Whole {
            slot: Slot {
                event: None,
                stamp: 0,
                ctx,
                state: State::IDLE,
                flags,
                queue: NO_QUEUE,
            },
            cold: Cold {
                callback,
                ..Cold::VACANT
            },
            queue,
        })
    }

    /// The event a timer holds, leaving with the setting it describes.
    #[inline]
    fn take_event(slot: &mut Slot, t: TimerKey, tick: u64) -> Option<Timeout> {
        let held = slot.event.take()?;
        let stamp = slot.stamp;
        Some(Self::leave(slot, held, t, tick, stamp, 0))
    }

    /// `held` leaving `slot` describing the setting `(t, tick, stamp,
    /// overruns)`: its buffer is written only if it does not say so
    /// already (see [`DESCRIBED`]).
    #[inline]
    fn leave(
        slot: &mut Slot,
        held: Held,
        t: TimerKey,
        tick: u64,
        stamp: u64,
        overruns: u64,
    ) -> Timeout {
        let ctx = slot.ctx;
        Timeout::described(Self::leave_held(slot, held, t, stamp, overruns), tick, ctx)
    }

    /// [`leave`](Self::leave) in parts: the buffer, described; the caller
    /// makes the event of it with the tick and the slot's context. Cancel
    /// builds its event only in its caller's return slot: a 32-byte event
    /// handed up through each layer was copied through memory at each,
    /// every copy a wide load of what narrower stores had just written
    /// (a stalled store-to-load forward, the most of what cancel cost).
    #[inline]
    fn leave_held(slot: &mut Slot, mut held: Held, t: TimerKey, stamp: u64, overruns: u64) -> Held {
        let described = slot.has(DESCRIBED) && overruns == 0;
        slot.put(DESCRIBED, false);
        if !described {
            held.describe(t, stamp, overruns);
        }
        held
    }

    /// `held` entering `slot` with the slot's stamp: its buffer is
    /// written now (see [`DESCRIBED`]).
    #[inline(always)]
    fn take_in(slot: &mut Slot, mut held: Held, t: TimerKey) {
        held.describe(t, slot.stamp, 0);
        slot.put(DESCRIBED, true);
        slot.event = Some(held);
    }

    /// Removes the timer from the engine and its cold part from the table.
    fn remove(&mut self, t: TimerKey) -> Result<Whole<S>, Error> {
        let slot = self.engine.remove(t.key)?;
        let queue = self.queues.get(slot.queue).cloned();
        self.queues.release(slot.queue);
        let cold = std::mem::replace(self.cold(t.key), Cold::VACANT);
        Ok(Whole { slot, cold, queue })
    }

    /// Removes the timer; returns its event and the timer's remains, which
    /// the caller drops after releasing the lock (a callback's captures run
    /// their `Drop` then, free to call the pool).
    pub(crate) fn free(&mut self, t: TimerKey) -> Result<(Option<Timeout>, Whole<S>), Error> {
        let tick = self.engine.deadline(t.key).unwrap_or(0);
        let mut whole = self.remove(t)?;
        Ok((Self::take_event(&mut whole.slot, t, tick), whole))
    }

    /// Checks `tick` against the pool's limits at the shard's current tick
    /// (see [`Range::refuses`]), reporting a bad key first.
    #[inline]
    fn check_range(&self, t: TimerKey, tick: u64) -> Result<(), Error> {
        if !self.range.allows(tick, self.now) {
            return Err(self.out_of_range(t, tick));
        }
        debug_assert_eq!(self.range.refuses(tick, self.now), None);
        Ok(())
    }

    /// Why `tick`, which [`Range::allows`] does not let through, is refused.
    #[cold]
    fn out_of_range(&self, t: TimerKey, tick: u64) -> Error {
        let e = self.range.refuses(tick, self.now);
        debug_assert!(e.is_some(), "Range::allows lets every allowed tick through");
        self.refusal(t, e.unwrap_or(Error::TooLate))
    }

    /// `e`, or the key's error if `t` is a bad key (reported first).
    #[cold]
    pub(crate) fn refusal(&self, t: TimerKey, e: Error) -> Error {
        match self.engine.get(t.key) {
            Ok(_) => e,
            Err(stale) => stale.into(),
        }
    }

    /// Sets `t` to expire at `tick` (checked against the shard's current
    /// tick, see [`clamp`](Self::clamp)); a
    /// `period` starts (or keeps, if `None`) periodic expiry. The timer takes
    /// `event` out of its option when it keeps it (on an error it is left
    /// there for the caller to hand back); an event it held before is put
    /// in `replaced`. Results travel as out-parameters and a one-byte
    /// `Result` so that no 80-byte value is moved up through the lock's
    /// closure on the hot path.
    #[inline(always)]
    pub(crate) fn set(
        &mut self,
        t: TimerKey,
        tick: u64,
        event: &mut Option<Held>,
        replaced: &mut Option<Timeout>,
        period: Option<u64>,
    ) -> Result<(), Error> {
        self.check_range(t, tick)?;
        self.set_in_range(t, tick, event, replaced, period)
    }

    /// [`set`](Self::set) of a tick already checked against the limits.
    /// (A set without an event or period comes through
    /// [`reset`](Self::reset), which re-arms an armed timer itself.)
    #[inline(always)]
    fn set_in_range(
        &mut self,
        t: TimerKey,
        tick: u64,
        event: &mut Option<Held>,
        replaced: &mut Option<Timeout>,
        period: Option<u64>,
    ) -> Result<(), Error> {
        let ShardCore { engine, cold, .. } = self;
        let mut timer = engine.timer(t.key)?;
        // The tick a replaced event was set for (same entry: no extra miss).
        let old_tick = match event {
            Some(_) => timer.deadline().unwrap_or(0),
            None => 0,
        };
        let slot = timer.value();
        if slot.has(CALLBACK) {
            if event.is_some() {
                return Err(Error::CallbackTimer);
            }
            if slot.state != State::ARMED {
                slot.stamp += 1;
            }
        } else {
            match event.take() {
                Some(new) => {
                    if let Some(h) = slot.event.take() {
                        let stamp = slot.stamp;
                        *replaced = Some(Self::leave(slot, h, t, old_tick, stamp, 0));
                    }
                    // The bump also makes an event delivered by the
                    // previous expiry stale.
                    slot.stamp += 1;
                    Self::take_in(slot, new, t);
                }
                // Armed (periodic, its event out) or already holding one.
                None if slot.state == State::ARMED || slot.event.is_some() => {
                    if slot.state != State::ARMED {
                        // An event delivered by the previous expiry goes
                        // stale; the held one's buffer no longer says the
                        // stamp.
                        slot.stamp += 1;
                        slot.put(DESCRIBED, false);
                    }
                }
                None => return Err(Error::NoEvent),
            }
        }
        slot.state = State::ARMED;
        if let Some(p) = period {
            slot.put(PERIODIC, p != 0);
            slot.put(MISSED, false);
        }
        // An explicit set wins over the periodic re-arm of a running
        // callback.
        slot.put(REARM, false);
        timer.arm(tick);
        if let Some(p) = period {
            timer.set_period((p != 0).then_some(p));
            let cold = &mut cold[t.index() as usize];
            cold.period = p;
            cold.missed = 0;
        }
        Ok(())
    }

    /// [`set`](Self::set) without an event or period: an armed timer is
    /// re-armed keeping its event (the churn path, inline); an idle one is
    /// set out of line as `set` would, or, if `armed_only`, left alone
    /// with [`Error::AlreadyExpired`] after an expiry, [`Error::NotArmed`]
    /// otherwise.
    #[inline(always)]
    pub(crate) fn reset(&mut self, t: TimerKey, tick: u64, armed_only: bool) -> Result<(), Error> {
        self.check_range(t, tick)?;
        // The engine knows whether the timer is armed (its state and the
        // pool's agree), so the pool's part of the entry, which may sit on
        // the entry's other cache line, is not touched.
        if self.engine.reset_armed(t.key, tick)? {
            return Ok(());
        }
        if armed_only {
            return Err(self.not_armed(t));
        }
        self.reset_idle(t, tick)
    }

    /// Why a timer that is not armed cannot be reset.
    #[cold]
    fn not_armed(&self, t: TimerKey) -> Error {
        match self.engine.get(t.key) {
            Ok(slot) if slot.state == State::EXPIRED => Error::AlreadyExpired,
            Ok(_) => Error::NotArmed,
            Err(stale) => stale.into(),
        }
    }

    /// An idle or expired timer set again without a new event (its tick
    /// checked by the caller).
    #[inline(never)]
    fn reset_idle(&mut self, t: TimerKey, tick: u64) -> Result<(), Error> {
        self.set_in_range(t, tick, &mut None, &mut None, None)
    }

    /// Cancels a set timer; returns its event's buffer, and writes the
    /// event's tick and context to `out` (see [`leave_held`](Self::leave_held)
    /// for why in parts).
    #[inline(always)]
    pub(crate) fn cancel(&mut self, t: TimerKey, out: &mut (u64, u64)) -> Result<Held, Error> {
        let ShardCore { engine, cold, .. } = self;
        let mut timer = engine.timer(t.key)?;
        let tick = timer.deadline().unwrap_or(0);
        let slot = timer.value();
        if slot.has(CALLBACK) {
            return Err(Error::CallbackTimer);
        }
        if slot.state == State::EXPIRED {
            return Err(Error::AlreadyExpired);
        }
        if slot.state != State::ARMED {
            return Err(Error::NotArmed);
        }
        slot.state = State::IDLE;
        let i = t.index() as usize;
        let stamp = slot.stamp;
        let held = slot
            .event
            .take()
            .map(|h| Self::leave_held(slot, h, t, stamp, 0));
        *out = (tick, slot.ctx);
        slot.stamp += 1;
        let periodic = slot.has(PERIODIC);
        slot.put(PERIODIC, false);
        // The schedule ends: periods it missed are not carried into the
        // timer's next setting (a one-shot event says 0 overruns).
        slot.put(MISSED, false);
        timer.disarm();
        if periodic {
            timer.set_period(None);
            cold[i].period = 0;
            cold[i].missed = 0;
        }
        // A periodic timer whose event is out: stopped, and the event
        // stays with whoever has it (`ack` hands it back).
        held.ok_or(Error::AlreadyExpired)
    }

    /// DPDK's `rte_timer_stop`: stops the timer, whatever it runs.
    /// `own_callback`: the caller is this timer's running callback.
    pub(crate) fn stop(
        &mut self,
        t: TimerKey,
        own_callback: bool,
    ) -> Result<Option<Timeout>, Error> {
        let ShardCore { engine, cold, .. } = self;
        let mut timer = engine.timer(t.key)?;
        let tick = timer.deadline().unwrap_or(0);
        let slot = timer.value();
        if slot.has(RUNNING) && !own_callback {
            return Err(Error::Running);
        }
        slot.put(REARM, false);
        let periodic = slot.has(PERIODIC);
        slot.put(PERIODIC, false);
        // As in `cancel`: the missed periods end with the schedule.
        slot.put(MISSED, false);
        let i = t.index() as usize;
        let ev = if slot.state == State::ARMED {
            slot.state = State::IDLE;
            let ev = Self::take_event(slot, t, tick);
            slot.stamp += 1;
            timer.disarm();
            ev
        } else {
            None
        };
        if periodic {
            timer.set_period(None);
            cold[i].period = 0;
            cold[i].missed = 0;
        }
        Ok(ev)
    }

    /// Hands a periodic timer's event back for its next period.
    pub(crate) fn ack(&mut self, t: TimerKey, event: Timeout) -> Result<(), SetError> {
        let slot = match self.engine.get_mut(t.key) {
            Ok(s) => s,
            Err(e) => return Err(SetError::new(e.into(), Some(event))),
        };
        if !slot.has(CALLBACK)
            && slot.state == State::ARMED
            && slot.has(PERIODIC)
            && slot.event.is_none()
        {
            Self::take_in(slot, event.into_held(), t);
            Ok(())
        } else {
            Err(SetError::new(Error::NotArmed, Some(event)))
        }
    }

    pub(crate) fn set_period(&mut self, t: TimerKey, period: u64) -> Result<(), Error> {
        let slot = self.engine.get_mut(t.key)?;
        slot.put(PERIODIC, period != 0);
        if slot.has(RUNNING) {
            // The running callback's timer continues periodically unless
            // the callback stops or sets it.
            let idle = slot.state == State::IDLE;
            slot.put(REARM, idle);
        }
        self.engine
            .set_period(t.key, (period != 0).then_some(period));
        self.cold(t.key).period = period;
        Ok(())
    }

    pub(crate) fn set_queue(&mut self, t: TimerKey, queue: &TimeoutQueue) -> Result<(), Error> {
        let ShardCore { engine, queues, .. } = self;
        let slot = engine.get_mut(t.key)?;
        if slot.has(CALLBACK) {
            return Err(Error::CallbackTimer);
        }
        // The new one first: a queue set again on its own timer stays.
        let new = queues.intern(queue);
        queues.release(std::mem::replace(&mut slot.queue, new));
        Ok(())
    }

    /// `(pending, running)`.
    pub(crate) fn status(&self, t: TimerKey) -> Result<(bool, bool), Error> {
        let slot = self.engine.get(t.key)?;
        Ok((slot.state == State::ARMED, slot.has(RUNNING)))
    }

    /// Takes the timer out of this shard for another: its slot and the
    /// tick it is armed for.
    /// `own_callback`: the caller is this timer's running callback (the
    /// timer then moves while running; its closure follows when the
    /// callback returns, see [`restore`](Self::restore)).
    pub(crate) fn take_out(
        &mut self,
        t: TimerKey,
        own_callback: bool,
    ) -> Result<(Whole<S>, Option<u64>), Error> {
        if self.engine.get(t.key)?.has(RUNNING) && !own_callback {
            return Err(Error::Running);
        }
        let tick = self.engine.deadline(t.key);
        let whole = self.remove(t)?;
        Ok((whole, tick))
    }

    /// Puts a timer taken out of another shard in, armed as it was.
    pub(crate) fn put_in(&mut self, mut whole: Whole<S>, tick: Option<u64>) -> TimerKey {
        // Its events so far name the old key: stale. The held one's buffer
        // says the old key and stamp.
        whole.slot.stamp += 1;
        whole.slot.put(DESCRIBED, false);
        let key = self.insert(whole);
        if let Some(tick) = tick {
            let _ = self.engine.arm(key.key, tick);
        }
        key
    }

    pub(crate) fn is_fresh(&self, t: TimerKey, stamp: u64) -> bool {
        self.engine.get(t.key).is_ok_and(|s| s.stamp == stamp)
    }

    /// Retries every blocked queue from its front, stopping at its first
    /// refusal; drops the lists that emptied.
    #[cold]
    fn retry_blocked(&mut self, delivered: &mut usize) {
        self.blocked.retain_mut(|b| {
            while let Some(ev) = b.events.pop_front() {
                match b.queue.push(ev) {
                    Ok(()) => *delivered += 1,
                    Err(ev) => {
                        b.events.push_front(ev);
                        return true;
                    }
                }
            }
            false
        });
    }

    /// Delivers events waiting for queue room, then fires every timer due at
    /// `now`: events go to their queues (to `direct` instead, if given),
    /// callbacks are taken out into the ready list for the pool to run
    /// ([`take_ready`](Self::take_ready)). Returns the events delivered by
    /// this call.
    pub(crate) fn expire(&mut self, now: u64, mut direct: Option<&mut Vec<Timeout>>) -> usize {
        let mut delivered = 0;
        // Each blocked queue from its front, stopping at the first refusal.
        if !self.blocked.is_empty() {
            self.retry_blocked(&mut delivered);
        }
        let now = self.clamp(now);
        let (place, last) = (self.place, self.range.last);
        let ShardCore {
            engine,
            cold,
            blocked,
            queues,
            counters,
            rearm,
            ready,
            ..
        } = self;
        engine.expire(now, rearm, |key, deadline, slot, engine_period| {
            // Only armed timers are in the engine's lists.
            if slot.state != State::ARMED {
                return None;
            }
            counters.expired += 1;
            let t = TimerKey { place, key };
            // The timer's cold part, touched only where needed.
            let i = key.index() as usize;
            // A one-shot event timer delivering to `direct` reads and
            // writes its slot only; the cold part is for the rest.
            let (next, overruns) = if slot.has(PERIODIC) {
                // The tree hands the period back from the slot it reads
                // anyway (see `Engine::set_period`); the wheel keeps none.
                let period = engine_period.unwrap_or_else(|| cold[i].period);
                forward(deadline, period, now, last)
            } else {
                (None, 0)
            };
            if slot.has(CALLBACK) {
                let c = &mut cold[i];
                let f = c.callback.take()?;
                slot.state = State::IDLE;
                let periodic = slot.has(PERIODIC);
                slot.put(RUNNING, true);
                slot.put(REARM, periodic);
                let expiry = Expiry {
                    timer: t,
                    tick: deadline,
                    overruns,
                    period: periodic.then_some(c.period),
                };
                ready.push(Due {
                    key,
                    expiry,
                    f,
                    panicked: false,
                });
                // Re-armed, if periodic, once the callback has run.
                return None;
            }
            let held = slot.event.take();
            if next.is_none() {
                slot.state = State::EXPIRED;
            }
            let Some(held) = held else {
                // A periodic timer whose event is still out: the period is
                // counted, nothing is delivered. Saturating: sets back to
                // the current tick can count a tick twice, so the sum over
                // 2^64 - 1 ticks of period 1 can pass `u64::MAX` (and
                // `overruns` alone is `u64::MAX` for a timer at tick 0
                // whose pass comes at `u64::MAX`).
                cold[i].missed = cold[i].missed.saturating_add(overruns).saturating_add(1);
                slot.put(MISSED, true);
                return next;
            };
            let overruns = if slot.has(MISSED) {
                slot.put(MISSED, false);
                overruns.saturating_add(std::mem::take(&mut cold[i].missed))
            } else {
                overruns
            };
            let stamp = slot.stamp;
            if let Some(out) = direct.as_deref_mut() {
                let ctx = slot.ctx;
                let held = Self::leave_held(slot, held, t, stamp, overruns);
                Timeout::push_described(out, held, deadline, ctx);
                delivered += 1;
                return next;
            }
            let ev = Self::leave(slot, held, t, deadline, stamp, overruns);
            let Some(queue) = queues.get(slot.queue) else {
                // Cannot happen: a timer without the CALLBACK flag is an
                // event timer and names its queue. Nothing is lost if it
                // did: the event goes back to its pool.
                return next;
            };
            if let Some(b) = blocked.iter_mut().find(|b| b.queue.same_queue(queue)) {
                b.events.push_back(ev);
                counters.deferred += 1;
                return next;
            }
            match queue.push(ev) {
                Ok(()) => delivered += 1,
                Err(ev) => {
                    counters.deferred += 1;
                    blocked.push(Blocked {
                        queue: queue.clone(),
                        events: VecDeque::from([ev]),
                    });
                }
            }
            next
        });
        delivered
    }

    /// The callbacks `expire` took out, to run with no lock held; `None`
    /// if there are none (the usual pass: nothing to drop afterwards).
    #[inline]
    pub(crate) fn take_ready(&mut self) -> Option<Ready<S>> {
        // An empty list stays, buffer and all: taking it would drop its
        // capacity, and the next pass with callbacks would allocate again.
        if self.ready.is_empty() {
            return None;
        }
        Some(std::mem::take(&mut self.ready))
    }

    /// Puts the closures back after they ran and re-arms the periodic timers their
    /// callbacks left alone; keeps `ready`'s buffer for the next pass.
    /// Returns the closures of timers freed meanwhile, for the caller to
    /// drop after releasing the lock.
    pub(crate) fn finish(&mut self, mut ran: Ready<S>) -> Vec<Callback<S>> {
        let now = self.now;
        let mut orphans = Vec::new();
        for d in ran.drain(..) {
            orphans.extend(self.restore(d.key, d.expiry.tick, d.f, d.panicked, now));
        }
        if self.ready.capacity() < ran.capacity() {
            self.ready = ran;
        }
        orphans
    }

    /// Hands a closure back to the timer whose callback it is, after its
    /// callback ran (and moved the timer here, if this is not the shard
    /// that ran it): the timer stops running, and a periodic one its
    /// callback left alone is re-armed at the first `tick + k * period`
    /// after `now`. A callback that panicked leaves its timer stopped
    /// (idle, closure kept). Returns the closure if the timer was freed
    /// meanwhile, for the caller to drop after releasing the lock.
    pub(crate) fn restore(
        &mut self,
        key: EngineKey,
        tick: u64,
        f: Callback<S>,
        panicked: bool,
        now: u64,
    ) -> Option<Callback<S>> {
        let now = self.clamp(now);
        // Freed by its callback (or another thread): the closure goes.
        let Ok(slot) = self.engine.get_mut(key) else {
            return Some(f);
        };
        slot.put(RUNNING, false);
        let rearm = slot.has(REARM);
        slot.put(REARM, false);
        let periodic = slot.has(PERIODIC);
        let idle = slot.state == State::IDLE;
        if panicked {
            // Stopped: idle, closure kept.
            slot.put(PERIODIC, false);
            if slot.state == State::ARMED {
                slot.state = State::IDLE;
                self.engine.disarm(key);
            }
        }
        let cold = self.cold(key);
        cold.callback = Some(f);
        if panicked {
            cold.period = 0;
            self.engine.set_period(key, None);
            return None;
        }
        if rearm && idle && periodic {
            if let (Some(next), _) = forward(tick, cold.period, now, self.range.last) {
                if let Ok(slot) = self.engine.get_mut(key) {
                    slot.state = State::ARMED;
                }
                let _ = self.engine.arm(key, next);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{forward, Queues, Range};
    use crate::{Error, TimeoutQueue};
    use proptest::prelude::*;

    /// Ticks near both ends of the range and near each other.
    fn tick() -> impl Strategy<Value = u64> {
        prop_oneof![
            0..64u64,
            (0..64u64).prop_map(|x| u64::MAX - x),
            (0..64u64).prop_map(|x| (1u64 << 62) + x),
            any::<u64>(),
        ]
    }

    proptest! {
        /// The set path's three compares let through exactly the ticks the
        /// range check in words allows (checked again in debug builds on
        /// every set).
        #[test]
        fn range_allows_exactly_what_it_does_not_refuse(
            now in tick(), tick in tick(), min in tick(), extra in tick(), last in tick(),
        ) {
            let max = min.saturating_add(extra);
            let r = Range { min_ticks: min, span: max - min, last };
            let refused = r.refuses(tick, now);
            prop_assert_eq!(r.allows(tick, now), refused.is_none(), "{:?}", refused);
            // What a set before `now + min` gets is TooEarly, whatever else.
            if tick < now {
                prop_assert_eq!(refused, Some(Error::TooEarly));
            }
        }
    }

    #[test]
    fn queues_are_shared_by_index_counted_and_let_go_with_their_last_timer() {
        let mut qs = Queues::default();
        let (a, b) = (TimeoutQueue::new(1).unwrap(), TimeoutQueue::new(1).unwrap());
        let ia = qs.intern(&a);
        assert_eq!(
            qs.intern(&a.clone()),
            ia,
            "one index per queue, not per handle"
        );
        let ib = qs.intern(&b);
        assert_ne!(ia, ib);
        qs.release(ia);
        assert!(
            qs.get(ia).is_some_and(|q| q.same_queue(&a)),
            "one timer left on it"
        );
        qs.release(ia);
        assert!(
            qs.get(ia).is_none(),
            "its last timer gone: the handle is dropped"
        );
        let c = TimeoutQueue::new(1).unwrap();
        assert_eq!(qs.intern(&c), ia, "the index is reused");
        assert!(qs.get(ia).is_some_and(|q| q.same_queue(&c)));
        assert!(qs.get(ib).is_some_and(|q| q.same_queue(&b)));
        qs.release(u32::MAX); // a callback timer's: nothing to release
        assert!(qs.get(u32::MAX).is_none());
    }

    #[test]
    fn forward_counts_the_skipped_periods_and_keeps_the_grid() {
        assert_eq!(forward(10, 5, 10, u64::MAX), (Some(15), 0));
        assert_eq!(forward(10, 5, 14, u64::MAX), (Some(15), 0));
        assert_eq!(forward(10, 5, 15, u64::MAX), (Some(20), 1));
        assert_eq!(forward(10, 5, 27, u64::MAX), (Some(30), 3));
        assert_eq!(forward(u64::MAX - 1, 5, u64::MAX, u64::MAX), (None, 0));
        // the count of periods itself overflows: 2^64 periods of 1 tick
        assert_eq!(forward(0, 1, u64::MAX, u64::MAX), (None, u64::MAX));
        assert_eq!(forward(0, 2, u64::MAX, u64::MAX), (None, u64::MAX / 2));
        assert_eq!(forward(1, 1, u64::MAX, u64::MAX), (None, u64::MAX - 1));
        // the schedule ends, but the periods it skipped were before it did
        assert_eq!(
            forward(u64::MAX - 29, 10, u64::MAX - 9, u64::MAX),
            (None, 2)
        );
        // past the last tick the clock reaches: the schedule ends there too
        assert_eq!(forward(90, 5, 94, 95), (Some(95), 0));
        assert_eq!(forward(90, 5, 94, 94), (None, 0));
        assert_eq!(forward(80, 5, 94, 94), (None, 2));
        assert_eq!(forward(80, 5, 94, 95), (Some(95), 2));
    }
}

#[cfg(test)]
mod layout {
    #[test]
    fn a_timers_hot_state_is_40_bytes() {
        // With the engine's 40 bytes of entry: 80, where the whole pool
        // state (64 bytes) made 104.
        assert_eq!(std::mem::size_of::<super::Slot>(), 40);
    }
}
