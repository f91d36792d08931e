//! Model-based property test: random sequences of alloc / free / set_abs /
//! set_rel / cancel / advance+expire / pop on a small pool (with a queue
//! small enough to overflow) against a plain model of the ODP semantics.
//! Checked after every step: each result and error kind, what is delivered
//! and in which order, event contents (timer, tick, context), freshness of
//! every event the test holds, and the info counters. Both engines.

mod common;

use std::collections::VecDeque;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Local, Timeout, TimerKey, TimerPool};
use proptest::prelude::*;

const N: usize = 4;
const EVENTS: usize = 7;
const QCAP: usize = 2;
const MIN: u64 = 1;
const MAX: u64 = 20;
const RES: u64 = 10;

#[derive(Debug, Clone)]
enum Op {
    Alloc(u64),
    Free(usize),
    SetRel(usize, u64, bool),
    SetAbs(usize, u64, bool),
    Cancel(usize),
    Advance(u64),
    Pop,
    DropHeld,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<u64>().prop_map(Op::Alloc),
        1 => (0..N).prop_map(Op::Free),
        4 => (0..N, 0..MAX + 3, any::<bool>()).prop_map(|(i, t, e)| Op::SetRel(i, t, e)),
        2 => (0..N, 0..MAX + 3, any::<bool>()).prop_map(|(i, t, e)| Op::SetAbs(i, t, e)),
        2 => (0..N).prop_map(Op::Cancel),
        3 => (0..6u64).prop_map(Op::Advance),
        2 => Just(Op::Pop),
        1 => Just(Op::DropHeld),
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
    state: MState,
    /// The delivered event that is still fresh, if any.
    fresh: Option<u32>,
}

/// An event in the queue or pending: (id, timer, tick, ctx).
type MEvent = (u32, TimerKey, u64, u64);

struct Model {
    timers: Vec<Option<MTimer>>,
    /// Handles freed, to replay as stale.
    dead: Vec<TimerKey>,
    queue: VecDeque<MEvent>,
    pending: VecDeque<MEvent>,
    now: u64,
    seq: u64,
    expired: u64,
    deferred: u64,
    hwm: usize,
}

impl Model {
    fn deliver(&mut self, e: MEvent) -> bool {
        if self.queue.len() < QCAP {
            self.queue.push_back(e);
            true
        } else {
            self.pending.push_back(e);
            false
        }
    }
}

fn run(b: Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (p, mock): (TimerPool<Local>, _) = pool::<Local>(b, RES, MIN, MAX, N);
    let evs = events(EVENTS);
    let q = queue(QCAP);
    let mut m = Model {
        timers: vec![None; N],
        dead: Vec::new(),
        queue: VecDeque::new(),
        pending: VecDeque::new(),
        now: 0,
        seq: 0,
        expired: 0,
        deferred: 0,
        hwm: 0,
    };
    let mut held: Vec<Timeout> = Vec::new();
    // Slot index -> position in `m.timers` is the allocation order.
    for op in ops {
        match op {
            Op::Alloc(ctx) => {
                let r = p.alloc(&q, ctx);
                match m.timers.iter().position(Option::is_none) {
                    Some(i) => {
                        let t = r.map_err(|e| TestCaseError::fail(format!("alloc: {e}")))?;
                        m.timers[i] = Some(MTimer {
                            handle: t,
                            ctx,
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
                    let r = p.free(mt.handle).unwrap();
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
                        let e = p.free(d).unwrap_err();
                        prop_assert!(matches!(e, Error::StaleKey));
                    }
                }
            },
            Op::SetRel(i, ticks, give) | Op::SetAbs(i, ticks, give) => {
                let abs = matches!(op, Op::SetAbs(..));
                let ev = if give {
                    held.pop().or_else(|| evs.alloc().ok())
                } else {
                    None
                };
                let ev_id = ev.as_ref().map(Timeout::id);
                let Some(mt) = m.timers[i].as_mut() else {
                    if let Some(&d) = m.dead.last() {
                        let e = if abs {
                            p.set_abs(d, m.now + ticks, ev)
                        } else {
                            p.set_rel(d, ticks, ev)
                        }
                        .unwrap_err();
                        prop_assert!(matches!(e.error, Error::StaleKey));
                        prop_assert_eq!(e.event.as_ref().map(Timeout::id), ev_id);
                        held.extend(e.event);
                    } else {
                        held.extend(ev);
                    }
                    continue;
                };
                let tick = m.now + ticks;
                let r = if abs {
                    p.set_abs(mt.handle, tick, ev)
                } else {
                    p.set_rel(mt.handle, ticks, ev)
                };
                let want = if ticks < MIN {
                    Err(Error::TooEarly)
                } else if ticks > MAX {
                    Err(Error::TooLate)
                } else if ev_id.is_none() && !matches!(mt.state, MState::Armed { .. }) {
                    Err(Error::NoEvent)
                } else {
                    Ok(())
                };
                match (r, want) {
                    (Ok(a), Ok(())) => {
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
            Op::Cancel(i) => {
                let Some(mt) = m.timers[i].as_mut() else {
                    if let Some(&d) = m.dead.last() {
                        prop_assert!(matches!(p.cancel(d).unwrap_err(), Error::StaleKey));
                    }
                    continue;
                };
                let r = p.cancel(mt.handle);
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
                    // changes nothing (the delivered event stays fresh).
                    MState::Expired => {
                        prop_assert_eq!(r.unwrap_err(), Error::AlreadyExpired);
                        continue;
                    }
                    MState::Idle => prop_assert_eq!(r.unwrap_err(), Error::NotArmed),
                }
                mt.state = MState::Idle;
                mt.fresh = None;
            }
            Op::Advance(k) => {
                mock.increment(k * RES);
                m.now += k;
                // Pending first, in order, while the queue has room.
                let mut want_delivered = 0;
                for _ in 0..m.pending.len() {
                    let e = m.pending.pop_front().unwrap();
                    if m.deliver(e) {
                        want_delivered += 1;
                    }
                }
                // Then everything due, in (tick, arming order).
                let mut due: Vec<(u64, u64, usize)> = m
                    .timers
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| match t.as_ref()?.state {
                        MState::Armed { tick, seq, .. } if tick <= m.now => Some((tick, seq, i)),
                        _ => None,
                    })
                    .collect();
                due.sort_unstable();
                for (tick, _, i) in due {
                    let mt = m.timers[i].as_mut().unwrap();
                    let MState::Armed { ev, .. } = mt.state else {
                        unreachable!()
                    };
                    mt.state = MState::Expired;
                    mt.fresh = Some(ev);
                    let e = (ev, mt.handle, tick, mt.ctx);
                    m.expired += 1;
                    if m.deliver(e) {
                        want_delivered += 1;
                    } else {
                        m.deferred += 1;
                    }
                }
                prop_assert_eq!(p.expire(), want_delivered);
            }
            Op::Pop => {
                let got = q.pop();
                let want = m.queue.pop_front();
                prop_assert_eq!(
                    got.as_ref()
                        .map(|e| (e.id(), e.timer().unwrap(), e.tick(), e.user_ctx())),
                    want
                );
                held.extend(got);
            }
            Op::DropHeld => {
                held.pop();
            }
        }
        // Freshness of everything in hand.
        for e in &held {
            let t = e.timer();
            let fresh = m
                .timers
                .iter()
                .flatten()
                .any(|mt| Some(mt.handle) == t && mt.fresh == Some(e.id()));
            prop_assert_eq!(p.is_fresh(e), fresh, "event {:?}", e);
        }
        let info = p.info();
        prop_assert_eq!(info.cur_timers, m.timers.iter().flatten().count());
        prop_assert_eq!(info.hwm_timers, m.hwm);
        prop_assert_eq!(
            (info.expired, info.deferred, info.pending),
            (m.expired, m.deferred, m.pending.len())
        );
        prop_assert_eq!(q.len(), m.queue.len());
        prop_assert_eq!(p.current_tick(), m.now);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 512 }))]

    #[test]
    fn pool_matches_model_wheel(ops in proptest::collection::vec(op(), 1..120)) {
        run(Backend::Wheel, ops)?;
    }

    #[test]
    fn pool_matches_model_highres(ops in proptest::collection::vec(op(), 1..120)) {
        run(Backend::Hires, ops)?;
    }
}
