//! Model-based property test: random sequences of alloc (on a chosen
//! shard, to a chosen queue) / free / set_abs / set_rel / set_after /
//! cancel / clock
//! advance / `expire_shard` / `expire` / pop / destroy, against a plain
//! model of the ODP semantics, on a private pool (one shard) and on a
//! shared pool of two shards, both engines. Three destination queues of
//! capacities 1, 2 and 4, so that queues fill up.
//!
//! Checked after every step: each result and error kind (`AlreadyExpired`
//! on every cancel after an expiry until the timer is set again or freed;
//! `destroy` refused with `TimersAllocated` or `EventsPending`), what each
//! pass delivers and to which queue in which order (each queue FIFO; an
//! event that finds its queue full waits in its shard's blocked list for
//! that queue, behind which later events for that queue wait too, and is
//! delivered in expiry order once there is room, while the other queues
//! are not held up), event contents (timer, tick, context), freshness of
//! every event the test holds, the info counters, and `next_deadline`
//! (never later than the earliest armed tick, 0 on a shard while events
//! wait there, `None` only when nothing is armed and nothing waits).
//!
//! Each case's clock (see [`clock`]): 10 ns ticks from 0, or 1 ns, 7 ns or
//! 1 µs ticks starting anywhere or a few dozen ticks before the end of the
//! clock's range (`u64::MAX` ns; the last tick is `u64::MAX / res`, cut
//! short where `res` does not divide `2^64`), and steps back now and then
//! (the pool's time stands still). Near the end a set for a tick the clock
//! never reaches, or past `u64::MAX`, is `TooLate`; the model's `now` and
//! ticks are in the pool's ticks, its clock reading in ns.

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use common::{events, queue};
use hrwheel::{
    Backend, ClockSource, Error, Local, PoolParams, Shared, Sharing, Timeout, TimeoutQueue,
    TimerKey, TimerPool,
};
use proptest::prelude::*;

const N: usize = 5;
const EVENTS: usize = 12;
const QCAPS: [usize; 3] = [1, 2, 4];
const MIN: u64 = 1;
const MAX: u64 = 20;
const RES: u64 = 10;

#[derive(Debug, Clone)]
enum Op {
    /// ctx, shard (modulo the pool's shards), queue.
    Alloc(u64, usize, usize),
    Free(usize),
    SetRel(usize, u64, bool),
    SetAbs(usize, u64, bool),
    /// `set_after` of that many ticks less `x % res` ns (`Duration`s that
    /// are not whole ticks, counted from the clock's reading).
    #[cfg_attr(miri, allow(dead_code))]
    SetAfter(usize, u64, u64, bool),
    /// `reset_abs` (true) or `reset_rel` (false): pending timers only.
    Reset(usize, u64, bool),
    Cancel(usize),
    /// `set_queue`: the timer's later events go to that queue.
    SetQueue(usize, usize),
    /// Moves the clock by that many ticks (stopping at `u64::MAX` ns).
    Advance(u64),
    /// Moves the clock back by that many ticks (not below its start):
    /// the pool's time stands still.
    #[cfg_attr(miri, allow(dead_code))]
    StepBack(u64),
    /// `expire_shard` (modulo the pool's shards).
    ExpireShard(usize),
    /// `expire_shard_into` (modulo the pool's shards): events handed over.
    ExpireInto(usize),
    Expire,
    Pop(usize),
    DropHeld,
    Destroy,
}

/// A timeout: mostly short, so that timers expire often; sometimes
/// anything, out-of-range included.
#[cfg_attr(miri, allow(dead_code))]
fn ticks() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 1..6u64, 1 => 0..MAX + 3]
}

/// Whether a set gives a new event: mostly.
#[cfg_attr(miri, allow(dead_code))]
fn give() -> impl Strategy<Value = bool> {
    proptest::bool::weighted(0.75)
}

#[cfg_attr(miri, allow(dead_code))]
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u64>(), 0..2usize, 0..QCAPS.len()).prop_map(|(c, s, q)| Op::Alloc(c, s, q)),
        1 => (0..N).prop_map(Op::Free),
        6 => (0..N, ticks(), give()).prop_map(|(i, t, e)| Op::SetRel(i, t, e)),
        2 => (0..N, ticks(), give()).prop_map(|(i, t, e)| Op::SetAbs(i, t, e)),
        2 => (0..N, ticks(), any::<u64>(), give()).prop_map(|(i, t, x, e)| Op::SetAfter(i, t, x, e)),
        3 => (0..N, ticks(), proptest::bool::ANY).prop_map(|(i, t, a)| Op::Reset(i, t, a)),
        2 => (0..N).prop_map(Op::Cancel),
        1 => (0..N, 0..QCAPS.len()).prop_map(|(i, q)| Op::SetQueue(i, q)),
        5 => (0..6u64).prop_map(Op::Advance),
        1 => (0..4u64).prop_map(Op::StepBack),
        4 => (0..2usize).prop_map(Op::ExpireShard),
        2 => (0..2usize).prop_map(Op::ExpireInto),
        1 => Just(Op::Expire),
        2 => (0..QCAPS.len()).prop_map(Op::Pop),
        1 => Just(Op::DropHeld),
        1 => Just(Op::Destroy),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MState {
    Idle,
    /// Armed at `tick`, arming order `seq`, holding event `ev`.
    Armed {
        tick: u64,
        seq: u64,
        ev: u32,
    },
    Expired,
}

#[derive(Debug, Clone)]
struct MTimer {
    handle: TimerKey,
    ctx: u64,
    shard: usize,
    queue: usize,
    state: MState,
    /// The delivered event that is still fresh, if any.
    fresh: Option<u32>,
}

/// An event in a queue or waiting: (id, timer, tick, ctx).
type MEvent = (u32, TimerKey, u64, u64);

struct Model {
    shards: usize,
    timers: Vec<Option<MTimer>>,
    /// Handles freed, to replay as stale.
    dead: Vec<TimerKey>,
    queues: Vec<VecDeque<MEvent>>,
    /// `blocked[shard][queue]`: events of that shard waiting for room in
    /// that queue, oldest first.
    blocked: Vec<Vec<VecDeque<MEvent>>>,
    now: u64,
    /// Tick length, ns.
    res: u64,
    /// The clock's reading (ns since the pool's creation); `now` is the
    /// highest tick it has shown.
    ns: u64,
    /// The highest reading so far, ns.
    ns_max: u64,
    /// The last tick the clock reaches: the one holding `u64::MAX` ns.
    last: u64,
    seq: u64,
    expired: u64,
    deferred: u64,
    hwm: usize,
}

impl Model {
    fn room(&self, q: usize) -> bool {
        self.queues[q].len() < QCAPS[q]
    }

    fn pending(&self) -> usize {
        self.blocked.iter().flatten().map(VecDeque::len).sum()
    }

    fn has_blocked(&self, shard: usize) -> bool {
        self.blocked[shard].iter().any(|b| !b.is_empty())
    }

    /// Retries shard `s`'s blocked lists, each from its front, while its
    /// queue has room. Returns the events delivered.
    fn retry(&mut self, s: usize) -> usize {
        let mut n = 0;
        for q in 0..QCAPS.len() {
            while !self.blocked[s][q].is_empty() && self.room(q) {
                let e = self.blocked[s][q].pop_front().unwrap();
                self.queues[q].push_back(e);
                n += 1;
            }
        }
        n
    }

    /// Why `destroy` would be refused now, if it would, without changing
    /// anything.
    fn destroy_refusal(&self) -> Option<Error> {
        if self.timers.iter().flatten().next().is_some() {
            return Some(Error::TimersAllocated);
        }
        // Each shard's waiting events are retried: refused if some queue
        // has less room than events waiting for it.
        (0..QCAPS.len())
            .any(|q| {
                let waiting: usize = self.blocked.iter().map(|b| b[q].len()).sum();
                waiting > QCAPS[q] - self.queues[q].len()
            })
            .then_some(Error::EventsPending)
    }

    /// `destroy`: refused with timers allocated; otherwise every shard's
    /// waiting events are retried, in shard order, and it is refused if
    /// some shard still has some (`None`: all delivered, done).
    fn destroy(&mut self) -> Option<Error> {
        if self.timers.iter().flatten().next().is_some() {
            return Some(Error::TimersAllocated);
        }
        let mut refused = None;
        for s in 0..self.shards {
            self.retry(s);
            if self.has_blocked(s) {
                refused = Some(Error::EventsPending);
            }
        }
        refused
    }

    /// Shard `s`'s pass at the current tick: its waiting events first, then
    /// its due timers in (tick, arming order). Returns the events
    /// delivered.
    fn pass(&mut self, s: usize) -> usize {
        self.pass_into(s, None)
    }

    /// A pass whose new events go to `direct` when given (`expire_into`);
    /// waiting events still go to their queues first.
    fn pass_into(&mut self, s: usize, mut direct: Option<&mut Vec<MEvent>>) -> usize {
        let mut n = self.retry(s);
        let mut due: Vec<(u64, u64, usize)> = self
            .timers
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t.as_ref()? {
                MTimer {
                    shard,
                    state: MState::Armed { tick, seq, .. },
                    ..
                } if *shard == s && *tick <= self.now => Some((*tick, *seq, i)),
                _ => None,
            })
            .collect();
        due.sort_unstable();
        for (tick, _, i) in due {
            let mt = self.timers[i].as_mut().unwrap();
            let MState::Armed { ev, .. } = mt.state else {
                unreachable!()
            };
            mt.state = MState::Expired;
            mt.fresh = Some(ev);
            let (q, e) = (mt.queue, (ev, mt.handle, tick, mt.ctx));
            self.expired += 1;
            if let Some(out) = direct.as_deref_mut() {
                out.push(e);
                n += 1;
                continue;
            }
            // Behind the queue's waiting events, or into the queue.
            if self.blocked[s][q].is_empty() && self.room(q) {
                self.queues[q].push_back(e);
                n += 1;
            } else {
                self.blocked[s][q].push_back(e);
                self.deferred += 1;
            }
        }
        n
    }
}

fn make<S: Sharing>(
    b: Backend,
    shards: usize,
    res: u64,
) -> (TimerPool<S>, std::sync::Arc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = TimerPool::<S>::create(
        "model",
        PoolParams::default()
            .resolution_ns(res)
            .min_timeout_ns(MIN * res)
            .max_timeout_ns(MAX * res)
            .num_timers(N)
            .clock(clock)
            .backend(b)
            .shards(shards),
    )
    .expect("valid params");
    (p, mock)
}

fn event_of(e: &Timeout) -> MEvent {
    (e.id(), e.timer().unwrap(), e.tick(), e.user_ctx())
}

/// Where a case's clock starts: `res` ns ticks, `start` ns after the
/// pool's creation (near `u64::MAX` ns, the end of the clock's range,
/// for the cases that test it).
#[derive(Debug, Clone, Copy)]
struct Clock {
    res: u64,
    start: u64,
}

/// The clock of the miri cases: 10 ns ticks from 0.
#[cfg(miri)]
const FROM_ZERO: Clock = Clock { res: RES, start: 0 };

/// Mostly from 0 at 10 ns ticks, as before; otherwise 1 ns ticks (whose
/// last tick is `u64::MAX`), 1 µs or 7 ns ticks (which do not divide
/// `u64::MAX + 1`: the clock's last tick is cut short), starting anywhere
/// or within a few dozen ticks of the end of the clock.
#[cfg_attr(miri, allow(dead_code))]
fn clock() -> impl Strategy<Value = Clock> {
    let res = prop_oneof![2 => Just(RES), 1 => Just(1u64), 1 => Just(1_000u64), 1 => Just(7u64)];
    (res, 0..4u32, 0..40u64, any::<u64>()).prop_map(|(res, kind, back, x)| {
        let start = match kind {
            0 | 1 => 0,
            2 => x,
            _ => u64::MAX - (back * res + x % res),
        };
        Clock { res, start }
    })
}

fn run<S: Sharing>(
    b: Backend,
    shards: usize,
    clock: Clock,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let (p, mock) = make::<S>(b, shards, clock.res);
    mock.increment(clock.start);
    let mut p = Some(p);
    let shards = p.as_ref().unwrap().shards();
    let evs = events(EVENTS);
    let qs: Vec<TimeoutQueue> = QCAPS.iter().map(|&c| queue(c)).collect();
    let mut m = Model {
        shards,
        timers: vec![None; N],
        dead: Vec::new(),
        queues: vec![VecDeque::new(); QCAPS.len()],
        blocked: vec![vec![VecDeque::new(); QCAPS.len()]; shards],
        now: clock.start / clock.res,
        res: clock.res,
        ns: clock.start,
        ns_max: clock.start,
        last: u64::MAX / clock.res,
        seq: 0,
        expired: 0,
        deferred: 0,
        hwm: 0,
    };
    let mut held: Vec<Timeout> = Vec::new();
    for op in ops {
        let pool = p.as_ref().unwrap();
        match op {
            Op::Alloc(ctx, shard, qi) => {
                let shard = shard % m.shards;
                let r = pool.alloc_on(shard, &qs[qi], ctx);
                match m.timers.iter().position(Option::is_none) {
                    Some(i) => {
                        let t = r.map_err(|e| TestCaseError::fail(format!("alloc: {e}")))?;
                        prop_assert_eq!(t.shard(), shard);
                        m.timers[i] = Some(MTimer {
                            handle: t,
                            ctx,
                            shard,
                            queue: qi,
                            state: MState::Idle,
                            fresh: None,
                        });
                        let cur = m.timers.iter().flatten().count();
                        m.hwm = m.hwm.max(cur);
                    }
                    None => prop_assert_eq!(r.unwrap_err(), Error::PoolExhausted),
                }
            }
            Op::Free(i) => match m.timers[i].take() {
                Some(mt) => {
                    let r = pool.free(mt.handle).unwrap();
                    match mt.state {
                        MState::Armed { ev, .. } => {
                            let e = r.expect("armed timer's event");
                            prop_assert_eq!(e.id(), ev);
                            prop_assert_eq!(e.timer(), Some(mt.handle));
                            held.push(e);
                        }
                        _ => prop_assert!(r.is_none()),
                    }
                    m.dead.push(mt.handle);
                }
                None => {
                    if let Some(&d) = m.dead.last() {
                        prop_assert_eq!(pool.free(d).unwrap_err(), Error::StaleKey);
                    }
                }
            },
            Op::SetRel(i, ticks, give)
            | Op::SetAbs(i, ticks, give)
            | Op::SetAfter(i, ticks, _, give) => {
                let abs = matches!(op, Op::SetAbs(..));
                // `set_after`'s delay, ns.
                let after = match op {
                    Op::SetAfter(_, t, x, _) => Some((t * m.res).saturating_sub(x % m.res)),
                    _ => None,
                };
                let ev = if give {
                    held.pop().or_else(|| evs.alloc().ok())
                } else {
                    None
                };
                let ev_id = ev.as_ref().map(Timeout::id);
                let Some(mt) = m.timers[i].as_mut() else {
                    if let Some(&d) = m.dead.last() {
                        let e = if let Some(ns) = after {
                            pool.set_after(d, Duration::from_nanos(ns), ev)
                        } else if abs {
                            pool.set_abs(d, m.now.saturating_add(ticks), ev)
                        } else {
                            pool.set_rel(d, ticks, ev)
                        }
                        .unwrap_err();
                        prop_assert_eq!(e.error, Error::StaleKey);
                        prop_assert_eq!(e.event.as_ref().map(Timeout::id), ev_id);
                        held.extend(e.event);
                    } else {
                        held.extend(ev);
                    }
                    continue;
                };
                // `None`: past `u64::MAX` (1 ns ticks only). `set_after`
                // counts from the latest reading (`current_tick` after
                // every step keeps the pool's reading there), rounded up.
                let tick = match after {
                    Some(ns) => m.ns_max.checked_add(ns).map(|at| at.div_ceil(m.res)),
                    None => m.now.checked_add(ticks),
                };
                let r = match (after, abs, tick) {
                    (Some(ns), _, _) => pool.set_after(mt.handle, Duration::from_nanos(ns), ev),
                    (None, true, Some(tick)) => pool.set_abs(mt.handle, tick, ev),
                    (None, true, None) => {
                        held.extend(ev);
                        continue;
                    }
                    (None, false, _) => pool.set_rel(mt.handle, ticks, ev),
                };
                let early = match (after, tick) {
                    (None, _) => ticks < MIN,
                    (Some(_), None) => false,
                    (Some(_), Some(t)) => m.now.checked_add(MIN).is_none_or(|lo| t < lo),
                };
                let late = ticks > MAX && after.is_none()
                    || tick.is_none_or(|t| t > m.now.saturating_add(MAX) || t > m.last);
                let want = if early {
                    Err(Error::TooEarly)
                } else if late {
                    // A tick the clock never reaches is too late too.
                    Err(Error::TooLate)
                } else if ev_id.is_none() && !matches!(mt.state, MState::Armed { .. }) {
                    Err(Error::NoEvent)
                } else {
                    Ok(())
                };
                match (r, want) {
                    (Ok(a), Ok(())) => {
                        let tick = tick.unwrap();
                        prop_assert_eq!(a.tick, tick);
                        m.seq += 1;
                        let keep = match mt.state {
                            MState::Armed { ev: old, .. } => match ev_id {
                                Some(_) => {
                                    let r = a.replaced.expect("old event handed back");
                                    prop_assert_eq!(r.id(), old);
                                    held.push(r);
                                    mt.fresh = None;
                                    ev_id.unwrap_or(old)
                                }
                                None => {
                                    prop_assert!(a.replaced.is_none());
                                    old
                                }
                            },
                            _ => {
                                prop_assert!(a.replaced.is_none());
                                mt.fresh = None;
                                ev_id.unwrap_or(u32::MAX)
                            }
                        };
                        mt.state = MState::Armed {
                            tick,
                            seq: m.seq,
                            ev: keep,
                        };
                    }
                    (Err(e), Err(w)) => {
                        prop_assert_eq!(e.error, w);
                        prop_assert_eq!(e.event.as_ref().map(Timeout::id), ev_id);
                        held.extend(e.event);
                    }
                    (r, w) => prop_assert!(
                        false,
                        "set {:?}: got {:?}, want {:?}",
                        op,
                        r.map(|a| a.tick),
                        w
                    ),
                }
            }
            Op::Reset(i, ticks, abs) => {
                let Some(tick) = m.now.checked_add(ticks).or((!abs).then_some(u64::MAX)) else {
                    continue; // an absolute tick past `u64::MAX`
                };
                let reset = |k: TimerKey| {
                    if abs {
                        pool.reset_abs(k, tick).map(|()| tick)
                    } else {
                        pool.reset_rel(k, ticks)
                    }
                };
                let Some(mt) = m.timers[i].as_mut() else {
                    if let Some(&d) = m.dead.last() {
                        prop_assert_eq!(reset(d), Err(Error::StaleKey));
                    }
                    continue;
                };
                let r = reset(mt.handle);
                let want = if ticks < MIN {
                    Err(Error::TooEarly)
                } else if ticks > MAX || m.now.checked_add(ticks).is_none_or(|t| t > m.last) {
                    Err(Error::TooLate)
                } else {
                    match mt.state {
                        MState::Armed { .. } => Ok(tick),
                        MState::Expired => Err(Error::AlreadyExpired),
                        MState::Idle => Err(Error::NotArmed),
                    }
                };
                prop_assert_eq!(r, want, "{:?}", op);
                if let (Ok(_), MState::Armed { ev, .. }) = (r, mt.state) {
                    // Re-armed, same event, counts as a new arming.
                    m.seq += 1;
                    mt.state = MState::Armed {
                        tick,
                        seq: m.seq,
                        ev,
                    };
                }
            }
            Op::Cancel(i) => {
                let Some(mt) = m.timers[i].as_mut() else {
                    if let Some(&d) = m.dead.last() {
                        prop_assert_eq!(pool.cancel(d).unwrap_err(), Error::StaleKey);
                    }
                    continue;
                };
                let r = pool.cancel(mt.handle);
                match mt.state {
                    MState::Armed { tick, ev, .. } => {
                        let e = r.map_err(|e| TestCaseError::fail(format!("cancel: {e}")))?;
                        prop_assert_eq!(
                            (e.id(), e.timer(), e.tick(), e.user_ctx()),
                            (ev, Some(mt.handle), tick, mt.ctx)
                        );
                        held.push(e);
                    }
                    // Sticky: every cancel after the expiry says so, and
                    // changes nothing (the delivered event stays fresh),
                    // also while that event waits for room.
                    MState::Expired => {
                        prop_assert_eq!(r.unwrap_err(), Error::AlreadyExpired);
                        continue;
                    }
                    MState::Idle => prop_assert_eq!(r.unwrap_err(), Error::NotArmed),
                }
                mt.state = MState::Idle;
                mt.fresh = None;
            }
            Op::SetQueue(i, qi) => match &mut m.timers[i] {
                Some(mt) => {
                    prop_assert_eq!(pool.set_queue(mt.handle, &qs[qi]), Ok(()));
                    mt.queue = qi;
                }
                None => {
                    if let Some(&d) = m.dead.last() {
                        prop_assert_eq!(pool.set_queue(d, &qs[qi]), Err(Error::StaleKey));
                    }
                }
            },
            Op::Advance(k) => {
                let to = m.ns.saturating_add(k * m.res);
                mock.increment(to - m.ns);
                m.ns = to;
                m.ns_max = m.ns_max.max(to);
                m.now = m.now.max(to / m.res);
            }
            Op::StepBack(k) => {
                let back = (k * m.res).min(m.ns - clock.start);
                mock.decrement(back);
                m.ns -= back;
            }
            Op::ExpireShard(s) => {
                let s = s % m.shards;
                let want = m.pass(s);
                prop_assert_eq!(pool.expire_shard(s), Ok(want), "shard {}", s);
            }
            Op::ExpireInto(s) => {
                let s = s % m.shards;
                let mut want = Vec::new();
                let n = m.pass_into(s, Some(&mut want));
                let mut got = Vec::new();
                prop_assert_eq!(pool.expire_shard_into(s, &mut got), Ok(n), "shard {}", s);
                prop_assert_eq!(got.iter().map(event_of).collect::<Vec<_>>(), want);
                prop_assert!(got.iter().all(|e| pool.is_fresh(e)), "handed over fresh");
                held.extend(got);
            }
            Op::Expire => {
                let want: usize = (0..m.shards).map(|s| m.pass(s)).sum();
                prop_assert_eq!(pool.expire(), want);
            }
            Op::Pop(qi) => {
                let got = qs[qi].pop();
                let want = m.queues[qi].pop_front();
                prop_assert_eq!(got.as_ref().map(event_of), want, "queue {}", qi);
                held.extend(got);
            }
            Op::DropHeld => {
                held.pop();
            }
            Op::Destroy => {
                // Only a destroy the model says is refused: a successful one
                // ends the case (at the end of the run, below).
                if m.destroy_refusal().is_some() {
                    let pool = p.take().unwrap();
                    let (back, e) = match pool.destroy() {
                        Ok(()) => return Err(TestCaseError::fail("destroy not refused")),
                        Err(r) => r,
                    };
                    p = Some(back);
                    prop_assert_eq!(Some(e), m.destroy());
                }
            }
        }
        let pool = p.as_ref().unwrap();
        // Freshness of everything in hand.
        for e in &held {
            let t = e.timer();
            let fresh = m
                .timers
                .iter()
                .flatten()
                .any(|mt| Some(mt.handle) == t && mt.fresh == Some(e.id()));
            prop_assert_eq!(pool.is_fresh(e), fresh, "event {:?}", e);
        }
        let info = pool.info();
        prop_assert_eq!(info.cur_timers, m.timers.iter().flatten().count());
        prop_assert_eq!(info.hwm_timers, m.hwm);
        prop_assert_eq!(
            (info.expired, info.deferred, info.pending),
            (m.expired, m.deferred, m.pending())
        );
        for (qi, q) in qs.iter().enumerate() {
            prop_assert_eq!(q.len(), m.queues[qi].len(), "queue {}", qi);
        }
        prop_assert_eq!(pool.current_tick(), m.now);
        // next_deadline: a lower bound of the earliest armed tick, per
        // shard and over the pool; 0 on a shard while events wait there.
        let earliest = |s: Option<usize>| {
            m.timers
                .iter()
                .flatten()
                .filter(|t| s.is_none_or(|s| t.shard == s))
                .filter_map(|t| match t.state {
                    MState::Armed { tick, .. } => Some(tick),
                    _ => None,
                })
                .min()
        };
        for s in 0..m.shards {
            let got = pool.next_deadline_shard(s).unwrap();
            if m.has_blocked(s) {
                prop_assert_eq!(got, Some(0), "shard {} has events waiting", s);
            } else if let Some(t) = earliest(Some(s)) {
                prop_assert!(
                    got.is_some_and(|d| d <= t),
                    "shard {}: {:?} > {}",
                    s,
                    got,
                    t
                );
            }
        }
        let got = pool.next_deadline();
        if m.pending() > 0 {
            prop_assert_eq!(got, Some(0));
        } else if let Some(t) = earliest(None) {
            prop_assert!(got.is_some_and(|d| d <= t), "{:?} > {}", got, t);
        }
        if got.is_none() {
            prop_assert!(earliest(None).is_none() && m.pending() == 0);
        }
    }
    // The end: free every timer, then destroy: refused while events wait
    // (and nothing is discarded), done once the queues are drained.
    let mut all = held;
    let mut pool = p.take().unwrap();
    for mt in m.timers.iter_mut().filter_map(Option::take) {
        all.extend(pool.free(mt.handle).unwrap());
    }
    loop {
        let want = m.destroy();
        match (pool.destroy(), want) {
            (Ok(()), None) => break,
            (Err((back, e)), Some(w)) => {
                prop_assert_eq!(e, w);
                prop_assert_eq!(back.info().pending, m.pending(), "nothing discarded");
                pool = back;
            }
            (r, w) => {
                return Err(TestCaseError::fail(format!(
                    "destroy: {:?}, want {:?}",
                    r.map_err(|(_, e)| e),
                    w
                )))
            }
        }
        for (qi, q) in qs.iter().enumerate() {
            while let Some(e) = q.pop() {
                prop_assert_eq!(Some(event_of(&e)), m.queues[qi].pop_front());
                all.push(e);
            }
        }
    }
    for q in &qs {
        all.extend(std::iter::from_fn(|| q.pop()));
    }
    let mut ids: Vec<u32> = all.iter().map(Timeout::id).collect();
    ids.sort_unstable();
    ids.dedup();
    prop_assert_eq!(ids.len(), all.len(), "an event is in two places");
    prop_assert_eq!(all.len() + evs.available(), EVENTS, "an event is lost");
    Ok(())
}

// Proptest (with 512 cases each, or `PROPTEST_CASES`) natively; under miri, where proptest's
// generation alone takes seconds per case, a few fixed pseudo-random
// sequences of the same operations (`miri_cases`).
#[cfg(not(miri))]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases(512)))]

    #[test]
    fn pool_matches_model_wheel(
        clock in clock(),
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        run::<Local>(Backend::Wheel, 1, clock, ops)?;
    }

    #[test]
    fn pool_matches_model_highres(
        clock in clock(),
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        run::<Local>(Backend::Hires, 1, clock, ops)?;
    }

    #[test]
    fn sharded_pool_matches_model_wheel(
        clock in clock(),
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        run::<Shared>(Backend::Wheel, 2, clock, ops)?;
    }

    #[test]
    fn sharded_pool_matches_model_highres(
        clock in clock(),
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        run::<Shared>(Backend::Hires, 2, clock, ops)?;
    }
}

/// `len` operations drawn from `seed` with about the weights of [`op`].
#[cfg(miri)]
fn ops_from_seed(seed: u64, len: usize) -> Vec<Op> {
    let mut x = seed;
    let mut next = move |n: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        let i = next(N as u64) as usize;
        let ticks = if next(4) < 3 {
            1 + next(5)
        } else {
            next(MAX + 3)
        };
        let give = next(4) < 3;
        ops.push(match next(31) {
            0..=2 => Op::Alloc(next(1_000), next(2) as usize, next(3) as usize),
            3 => Op::Free(i),
            4..=9 => Op::SetRel(i, ticks, give),
            10..=11 => Op::SetAbs(i, ticks, give),
            12..=13 => Op::Cancel(i),
            14..=18 => Op::Advance(next(6)),
            19..=22 => Op::ExpireShard(next(2) as usize),
            23 => Op::Expire,
            24..=25 => Op::Pop(next(3) as usize),
            26 => Op::DropHeld,
            27..=28 => Op::Reset(i, ticks, next(2) == 0),
            29 => Op::SetQueue(i, next(3) as usize),
            _ => Op::Destroy,
        });
    }
    ops
}

#[cfg(miri)]
#[test]
fn miri_cases() {
    for seed in [1] {
        let ops = || ops_from_seed(seed, 60);
        run::<Local>(Backend::Wheel, 1, FROM_ZERO, ops()).unwrap();
        run::<Local>(Backend::Hires, 1, FROM_ZERO, ops()).unwrap();
        run::<Shared>(Backend::Wheel, 2, FROM_ZERO, ops()).unwrap();
        run::<Shared>(Backend::Hires, 2, FROM_ZERO, ops()).unwrap();
    }
}
