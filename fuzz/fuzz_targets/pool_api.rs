//! Arbitrary sequences of facade calls on two pools (one per engine) with
//! mock clocks — alloc, free, double free, set_abs / set_rel with in- and
//! out-of-range ticks, cancel, expire, queue drains, freed and foreign
//! handles — checked against a model of the ODP timer state machine:
//! every call on bad input returns the right typed error and hands the
//! event back; every event is in exactly one place (the user's hand, a
//! timer, a queue or the pool's deferral list, or its `TimeoutPool`), none
//! lost or duplicated; no timeout arrives early or with the wrong timer,
//! tick or context; freshness matches the timer's history.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use arbitrary::Arbitrary;
use hrwheel::{
    Backend, ClockSource, Error, PoolParams, Timeout, TimeoutPool, TimeoutQueue, TimerKey,
    TimerPool,
};
use libfuzzer_sys::fuzz_target;

const EVENTS: usize = 12;
/// (resolution ns, min ticks, max ticks, timers, backend) of the two pools.
const POOLS: [(u64, u64, u64, usize, Backend); 2] = [
    (1_000_000, 2, 1_000, 4, Backend::Wheel),
    (1_000, 0, 50_000, 3, Backend::Hires),
];

#[derive(Arbitrary, Debug)]
enum Op {
    AllocEvent,
    DropEvent(u8),
    AllocTimer {
        pool: bool,
        queue: bool,
        ctx: u8,
    },
    Free {
        timer: u8,
        on: bool,
    },
    SetAbs {
        timer: u8,
        on: bool,
        delta: i32,
        event: bool,
    },
    SetRel {
        timer: u8,
        on: bool,
        ticks: u32,
        event: bool,
    },
    Cancel {
        timer: u8,
        on: bool,
    },
    Advance {
        pool: bool,
        ticks: u16,
    },
    Expire {
        pool: bool,
    },
    /// `reset_abs`: pending timers only, the event kept.
    Reset {
        timer: u8,
        on: bool,
        ticks: u32,
    },
    /// `expire_into`: expired events handed over, not queued.
    ExpireInto {
        pool: bool,
    },
    Drain {
        queue: bool,
        n: u8,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Idle,
    Armed { tick: u64, ev: u32 },
    Expired,
}

struct Rec {
    pool: usize,
    handle: TimerKey,
    queue: usize,
    ctx: u64,
    alive: bool,
    state: State,
    /// Bumped whenever an event that left the pool may no longer describe
    /// the timer (set, cancel, free).
    epoch: u64,
}

/// An event delivered by an expiry: in a queue, or deferred by the pool.
struct InFlight {
    rec: usize,
    tick: u64,
    epoch: u64,
}

struct World {
    pools: Vec<TimerPool>,
    mocks: Vec<Arc<quanta::Mock>>,
    queues: Vec<TimeoutQueue>,
    events: TimeoutPool,
    hand: Vec<Timeout>,
    recs: Vec<Rec>,
    in_flight: HashMap<u32, InFlight>,
}

impl World {
    fn new() -> Option<World> {
        let mut pools = Vec::new();
        let mut mocks = Vec::new();
        for (res, min, max, n, backend) in POOLS {
            let (clock, mock) = ClockSource::mock();
            let params = PoolParams::default()
                .resolution_ns(res)
                .min_timeout_ns(min * res)
                .max_timeout_ns(max * res)
                .num_timers(n)
                .clock(clock)
                .backend(backend);
            // Other fuzz threads never exist, but stay safe if the global
            // pool limit is reached: nothing to check then.
            pools.push(TimerPool::new("fuzz", params).ok()?);
            mocks.push(mock);
        }
        let info = pools[0].info();
        assert_eq!((info.min_timeout_ticks, info.max_timeout_ticks), (2, 1_000));
        Some(World {
            pools,
            mocks,
            queues: vec![TimeoutQueue::new(2).unwrap(), TimeoutQueue::new(3).unwrap()],
            events: TimeoutPool::new(EVENTS).unwrap(),
            hand: Vec::new(),
            recs: Vec::new(),
            in_flight: HashMap::new(),
        })
    }

    fn armed_events(&self) -> usize {
        self.recs
            .iter()
            .filter(|r| r.alive && matches!(r.state, State::Armed { .. }))
            .count()
    }

    /// Every event is in exactly one place.
    fn check_accounting(&self) {
        let held = self.armed_events();
        assert_eq!(
            self.hand.len() + held + self.in_flight.len() + self.events.available(),
            EVENTS,
            "events lost or duplicated: hand {} timers {} in flight {} free {}",
            self.hand.len(),
            held,
            self.in_flight.len(),
            self.events.available()
        );
        for (p, pool) in self.pools.iter().enumerate() {
            let alive = self.recs.iter().filter(|r| r.pool == p && r.alive).count();
            let info = pool.info();
            assert_eq!(info.cur_timers, alive, "info().cur_timers");
            assert!(
                info.hwm_timers >= alive && info.hwm_timers <= POOLS[p].3,
                "high-water mark"
            );
        }
    }

    /// The error a call on `rec` made through pool `on` must give, if the
    /// handle itself is bad.
    fn handle_error(&self, rec: usize, on: usize) -> Option<Error> {
        let r = &self.recs[rec];
        if r.pool != on {
            return Some(Error::ForeignKey);
        }
        if r.alive {
            return None;
        }
        // Freed: the slot is free, or reused by a later timer.
        let reused = self
            .recs
            .iter()
            .any(|o| o.alive && o.pool == r.pool && o.handle.index() == r.handle.index());
        Some(if reused {
            Error::StaleKey
        } else {
            Error::StaleKey
        })
    }

    fn set(&mut self, rec: usize, on: usize, tick: u64, abs: bool, give: bool) {
        let now = self.pools[on].current_tick();
        let event = if give { self.hand.pop() } else { None };
        let given = event.as_ref().map(Timeout::id);
        let handle = self.recs[rec].handle;
        let result = if abs {
            self.pools[on].set_abs(handle, tick, event)
        } else {
            self.pools[on].set_rel(handle, tick - now, event)
        };
        let (_, min, max, _, _) = POOLS[on];
        let r = &self.recs[rec];
        let expected_err = self.handle_error(rec, on).or(if tick < now + min {
            Some(Error::TooEarly)
        } else if tick > now + max {
            Some(Error::TooLate)
        } else if given.is_none() && !matches!(r.state, State::Armed { .. }) {
            Some(Error::NoEvent)
        } else {
            None
        });
        match (result, expected_err) {
            (Err(e), Some(want)) => {
                assert_eq!(e.error, want, "set error");
                let back = e.into_event();
                assert_eq!(
                    back.as_ref().map(Timeout::id),
                    given,
                    "set error must hand the event back"
                );
                self.hand.extend(back);
            }
            (Ok(armed), None) => {
                assert_eq!(armed.tick, tick);
                let r = &mut self.recs[rec];
                let (ev, replaced) = match (r.state, given) {
                    (State::Armed { ev, .. }, None) => (ev, None),
                    (State::Armed { ev, .. }, Some(new)) => (new, Some(ev)),
                    (_, Some(new)) => (new, None),
                    (_, None) => unreachable!(),
                };
                assert_eq!(
                    armed.replaced.as_ref().map(Timeout::id),
                    replaced,
                    "replaced event"
                );
                self.hand.extend(armed.replaced);
                r.state = State::Armed { tick, ev };
                r.epoch += 1;
            }
            (Ok(_), Some(want)) => panic!("set succeeded, expected {want:?}"),
            (Err(e), None) => panic!("set failed with {:?}, expected success", e.error),
        }
    }

    fn expire(&mut self, p: usize) {
        self.pools[p].expire();
        let now = self.pools[p].current_tick();
        for (i, r) in self.recs.iter_mut().enumerate() {
            if let (true, true, State::Armed { tick, ev }) = (r.alive, r.pool == p, r.state) {
                if tick <= now {
                    r.state = State::Expired;
                    self.in_flight.insert(
                        ev,
                        InFlight {
                            rec: i,
                            tick,
                            epoch: r.epoch,
                        },
                    );
                }
            }
        }
    }

    fn drain(&mut self, q: usize, n: usize) -> usize {
        let mut got = 0;
        while got < n {
            let Some(ev) = self.queues[q].pop() else {
                break;
            };
            got += 1;
            let f = self.in_flight.remove(&ev.id()).unwrap_or_else(|| {
                panic!("event {} popped but never delivered (duplicate?)", ev.id())
            });
            let r = &self.recs[f.rec];
            assert_eq!(r.queue, q, "delivered to the wrong queue");
            assert_eq!(ev.timer(), Some(r.handle), "event carries the wrong timer");
            assert_eq!(ev.tick(), f.tick, "event carries the wrong tick");
            assert_eq!(ev.user_ctx(), r.ctx, "event carries the wrong context");
            assert!(
                f.tick <= self.pools[r.pool].current_tick(),
                "timeout delivered early"
            );
            let fresh = r.alive && r.epoch == f.epoch;
            assert_eq!(self.pools[r.pool].is_fresh(&ev), fresh, "freshness");
            assert!(
                !self.pools[1 - r.pool].is_fresh(&ev),
                "fresh on a foreign pool"
            );
            self.hand.push(ev);
        }
        got
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let Some(mut w) = World::new() else { return };
    for op in ops.into_iter().take(400) {
        let pick = |w: &World, t: u8| (!w.recs.is_empty()).then(|| t as usize % w.recs.len());
        match op {
            Op::AllocEvent => match w.events.alloc() {
                Ok(ev) => {
                    assert!(ev.timer().is_none());
                    w.hand.push(ev);
                }
                Err(e) => {
                    assert_eq!(e, Error::TimeoutPoolExhausted);
                    assert_eq!(w.events.available(), 0);
                }
            },
            Op::DropEvent(i) => {
                if !w.hand.is_empty() {
                    let i = i as usize % w.hand.len();
                    drop(w.hand.swap_remove(i));
                }
            }
            Op::AllocTimer { pool, queue, ctx } => {
                let (p, q) = (pool as usize, queue as usize);
                let alive = w.recs.iter().filter(|r| r.pool == p && r.alive).count();
                match w.pools[p].alloc(&w.queues[q], ctx as u64) {
                    Ok(handle) => {
                        assert!(alive < POOLS[p].3, "alloc beyond num_timers");
                        w.recs.push(Rec {
                            pool: p,
                            handle,
                            queue: q,
                            ctx: ctx as u64,
                            alive: true,
                            state: State::Idle,
                            epoch: 0,
                        });
                    }
                    Err(e) => {
                        assert_eq!(e, Error::PoolExhausted);
                        assert_eq!(alive, POOLS[p].3, "exhausted too early");
                    }
                }
            }
            Op::Free { timer, on } => {
                let Some(i) = pick(&w, timer) else { continue };
                let on = on as usize;
                let res = w.pools[on].free(w.recs[i].handle);
                match (res, w.handle_error(i, on)) {
                    (Err(e), Some(want)) => assert_eq!(e, want, "free error"),
                    (Ok(ev), None) => {
                        let r = &mut w.recs[i];
                        let want = match r.state {
                            State::Armed { ev, .. } => Some(ev),
                            _ => None,
                        };
                        assert_eq!(
                            ev.as_ref().map(Timeout::id),
                            want,
                            "free must return the held event"
                        );
                        w.hand.extend(ev);
                        r.alive = false;
                        r.state = State::Idle;
                        r.epoch += 1;
                    }
                    (r, want) => panic!("free gave {r:?}, expected error {want:?}"),
                }
            }
            Op::SetAbs {
                timer,
                on,
                delta,
                event,
            } => {
                let Some(i) = pick(&w, timer) else { continue };
                let on = on as usize;
                let now = w.pools[on].current_tick();
                let tick = now.saturating_add_signed(delta as i64 % 60_000);
                w.set(i, on, tick, true, event);
            }
            Op::SetRel {
                timer,
                on,
                ticks,
                event,
            } => {
                let Some(i) = pick(&w, timer) else { continue };
                let on = on as usize;
                let now = w.pools[on].current_tick();
                w.set(i, on, now + ticks as u64 % 60_000, false, event);
            }
            Op::Cancel { timer, on } => {
                let Some(i) = pick(&w, timer) else { continue };
                let on = on as usize;
                let res = w.pools[on].cancel(w.recs[i].handle);
                if let Some(want) = w.handle_error(i, on) {
                    assert_eq!(res.map(|e| e.id()), Err(want), "cancel on a bad handle");
                    continue;
                }
                let r = &mut w.recs[i];
                match (res, r.state) {
                    (Ok(ev), State::Armed { tick, ev: held }) => {
                        assert_eq!(ev.id(), held, "cancel returned another event");
                        assert_eq!(
                            (ev.timer(), ev.tick(), ev.user_ctx()),
                            (Some(r.handle), tick, r.ctx)
                        );
                        w.hand.push(ev);
                    }
                    // Sticky: every cancel after the expiry says so and
                    // changes nothing (the delivered event stays fresh).
                    (Err(Error::AlreadyExpired), State::Expired) => continue,
                    (Err(Error::NotArmed), State::Idle) => {}
                    (res, st) => panic!("cancel gave {:?} in state {st:?}", res.map(|e| e.id())),
                }
                if r.state != State::Idle {
                    r.epoch += 1;
                }
                r.state = State::Idle;
            }
            Op::Advance { pool, ticks } => {
                let p = pool as usize;
                w.mocks[p].increment(ticks as u64 * POOLS[p].0);
            }
            Op::Expire { pool } => w.expire(pool as usize),
            Op::Reset { timer, on, ticks } => {
                let Some(i) = pick(&w, timer) else { continue };
                let on = on as usize;
                let now = w.pools[on].current_tick();
                let tick = now + ticks as u64 % 60_000;
                let res = w.pools[on].reset_abs(w.recs[i].handle, tick);
                let (_, min, max, _, _) = POOLS[on];
                let state = w.recs[i].state;
                let want = match w.handle_error(i, on) {
                    Some(e) => Err(e),
                    None if tick < now + min => Err(Error::TooEarly),
                    None if tick > now + max => Err(Error::TooLate),
                    None => match state {
                        State::Armed { .. } => Ok(()),
                        State::Expired => Err(Error::AlreadyExpired),
                        State::Idle => Err(Error::NotArmed),
                    },
                };
                assert_eq!(res, want, "reset_abs in state {state:?}");
                if let (Ok(()), State::Armed { ev, .. }) = (res, state) {
                    w.recs[i].state = State::Armed { tick, ev };
                }
            }
            Op::ExpireInto { pool } => {
                let p = pool as usize;
                let mut out = Vec::new();
                w.pools[p].expire_into(&mut out);
                let now = w.pools[p].current_tick();
                let mut want = Vec::new();
                for (i, r) in w.recs.iter_mut().enumerate() {
                    if let (true, true, State::Armed { tick, ev }) = (r.alive, r.pool == p, r.state)
                    {
                        if tick <= now {
                            r.state = State::Expired;
                            want.push((ev, i, tick));
                        }
                    }
                }
                let mut got: Vec<u32> = out.iter().map(Timeout::id).collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(
                    got,
                    want.iter().map(|w| w.0).collect::<Vec<_>>(),
                    "expire_into hands over exactly the due timers' events"
                );
                assert!(
                    out.windows(2).all(|p| p[0].tick() <= p[1].tick()),
                    "in expiry order"
                );
                for ev in &out {
                    let &(_, i, tick) = want.iter().find(|w| w.0 == ev.id()).unwrap();
                    let r = &w.recs[i];
                    assert_eq!(
                        (ev.timer(), ev.tick(), ev.user_ctx()),
                        (Some(r.handle), tick, r.ctx)
                    );
                    assert!(w.pools[p].is_fresh(ev), "handed over fresh");
                }
                w.hand.extend(out);
            }
            Op::Drain { queue, n } => {
                w.drain(queue as usize, n as usize % 4);
            }
        }
        w.check_accounting();
    }
    // Nothing lost: with the queues drained, every delivered or deferred
    // event arrives within a few expiry passes.
    for _ in 0..EVENTS + 2 {
        for p in 0..2 {
            w.expire(p);
        }
        for q in 0..2 {
            w.drain(q, usize::MAX);
        }
    }
    assert!(
        w.in_flight.is_empty(),
        "events never delivered: {:?}",
        w.in_flight.keys().collect::<Vec<_>>()
    );
    // Free every timer: all events come home.
    for i in 0..w.recs.len() {
        if w.recs[i].alive {
            let p = w.recs[i].pool;
            if let Some(ev) = w.pools[p]
                .free(w.recs[i].handle)
                .expect("free of a live timer")
            {
                w.hand.push(ev);
            }
            w.recs[i].alive = false;
        }
    }
    w.check_accounting();
    w.hand.clear();
    assert_eq!(w.events.available(), EVENTS, "events leaked");
    for pool in w.pools.drain(..) {
        pool.destroy()
            .map_err(|(_, e)| e)
            .expect("destroy of an empty pool");
    }
});
