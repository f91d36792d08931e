//! Model test for periodic and callback timers: random sequences of
//! start_periodic / set_abs / set_period / cancel-or-stop / ack / advance on
//! a private pool holding event timers and callback timers, against a plain
//! model of the schedule (`next`, `period`, event in or out, periods missed).
//!
//! Checked after every pass, per timer: the exact list of expiries
//! (tick and overruns) delivered to the queue or passed to the callback,
//! never early (tick <= now), on the grid (`d + j * period`), none lost, none
//! twice; `is_pending` and `next_deadline` agree with the model. Both
//! engines; 1 ns, 7 ns and 1 µs ticks (see [`res`]): a schedule ends where
//! its next expiry would pass the last tick the clock reaches, and a set
//! for a later tick is `TooLate`.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Local, Timeout, TimerKey, TimerPool};
use proptest::prelude::*;

const EVENT_TIMERS: usize = 3;
const CALLBACK_TIMERS: usize = 3;
const N: usize = EVENT_TIMERS + CALLBACK_TIMERS;
const MAX: u64 = 200;

#[derive(Debug, Clone)]
enum Op {
    Start(usize, u64, u64),
    SetAbs(usize, u64),
    SetPeriod(usize, u64),
    Stop(usize),
    Ack(usize),
    Advance(u64),
    /// Moves the clock to tick `last - x` (if later), where `last` is the
    /// last tick the clock reaches (`u64::MAX` at 1 ns ticks): schedules
    /// that end because their next expiry would pass it, periods counted
    /// in the billions of billions.
    Jump(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..N, 1..40u64, 1..12u64).prop_map(|(i, f, p)| Op::Start(i, f, p)),
        2 => (0..N, 0..40u64).prop_map(|(i, t)| Op::SetAbs(i, t)),
        1 => (0..N, 1..12u64).prop_map(|(i, p)| Op::SetPeriod(i, p)),
        1 => (0..N).prop_map(Op::Stop),
        3 => (0..N).prop_map(Op::Ack),
        4 => (0..30u64).prop_map(Op::Advance),
        1 => (0..300u64).prop_map(Op::Jump),
    ]
}

/// Tick lengths: mostly 1 ns, whose last tick is `u64::MAX`; otherwise
/// 1 µs or 7 ns, whose clock ends in tick `u64::MAX / res` (cut short: 7
/// does not divide `2^64`).
fn res() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(1u64), 1 => Just(1_000u64), 1 => Just(7u64)]
}

#[derive(Debug, Clone, Default)]
struct M {
    /// Next expiry while armed.
    next: Option<u64>,
    period: u64,
    /// Event timers: the timer holds its event.
    holds: bool,
    missed: u64,
}

type Log = Arc<Mutex<Vec<(u32, u64, u64)>>>;

/// `res`: tick length, ns. At 1 ns ticks `Jump` reaches tick `u64::MAX`;
/// at longer ones the last tick, `u64::MAX / res`, is the end (cut short
/// where `res` does not divide `2^64`).
fn run(b: Backend, res: u64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let last = u64::MAX / res;
    let (p, mock): (TimerPool<Local>, _) = pool::<Local>(b, res, 0, MAX, N);
    let evs = events(EVENT_TIMERS);
    let q = queue(64);
    let log: Log = Arc::default();
    let mut keys: Vec<TimerKey> = Vec::new();
    for i in 0..EVENT_TIMERS {
        keys.push(p.alloc(&q, i as u64).unwrap());
    }
    for i in EVENT_TIMERS..N {
        let l = log.clone();
        let id = i as u32;
        keys.push(
            p.alloc_callback(i as u64, move |_, e| {
                l.lock().unwrap().push((id, e.tick, e.overruns));
            })
            .unwrap(),
        );
    }
    let mut m: Vec<M> = vec![M::default(); N];
    // Events in the test's hand, by the timer that delivered them (or none).
    let mut spare: Vec<Timeout> = (0..EVENT_TIMERS).map(|_| evs.alloc().unwrap()).collect();
    let mut out: HashMap<usize, Timeout> = HashMap::new();
    let mut now = 0u64;
    for op in ops {
        let is_cb = |i: usize| i >= EVENT_TIMERS;
        match op {
            Op::Start(i, f, per) => {
                let Some(first) = now.checked_add(f) else {
                    continue;
                };
                if first > last {
                    // A tick the clock never reaches: refused, whatever
                    // the timer's state (the check comes first).
                    let ev = spare.pop();
                    let e = p.start_periodic(keys[i], Some(first), per, ev).unwrap_err();
                    prop_assert_eq!(e.error, Error::TooLate);
                    spare.extend(e.event);
                    continue;
                }
                // An event delivered before is the test's to reuse.
                if m[i].next.is_none() {
                    spare.extend(out.remove(&i));
                }
                let ev = if !is_cb(i) && !m[i].holds && m[i].next.is_none() {
                    spare.pop()
                } else {
                    None
                };
                let gave = ev.is_some();
                let r = p.start_periodic(keys[i], Some(first), per, ev);
                let needs_event = !is_cb(i) && !m[i].holds && m[i].next.is_none();
                if needs_event && !gave {
                    prop_assert_eq!(r.unwrap_err().error, Error::NoEvent);
                    continue;
                }
                r.map_err(|e| TestCaseError::fail(format!("start: {e:?}")))?;
                m[i].next = Some(first);
                m[i].period = per;
                m[i].missed = 0;
                if gave {
                    m[i].holds = true;
                }
            }
            Op::SetAbs(i, t) => {
                let Some(tick) = now.checked_add(t) else {
                    continue;
                };
                if tick > last {
                    let e = p.set_abs(keys[i], tick, None).unwrap_err();
                    prop_assert_eq!(e.error, Error::TooLate);
                    continue;
                }
                if m[i].next.is_none() {
                    spare.extend(out.remove(&i));
                }
                let needs_event = !is_cb(i) && !m[i].holds && m[i].next.is_none();
                let ev = if needs_event { spare.pop() } else { None };
                let gave = ev.is_some();
                let r = p.set_abs(keys[i], tick, ev);
                if needs_event && !gave {
                    prop_assert_eq!(r.unwrap_err().error, Error::NoEvent);
                    continue;
                }
                r.map_err(|e| TestCaseError::fail(format!("set: {e:?}")))?;
                m[i].next = Some(tick);
                if gave {
                    m[i].holds = true;
                }
            }
            Op::SetPeriod(i, per) => {
                p.set_period(keys[i], per).unwrap();
                m[i].period = per;
            }
            Op::Stop(i) => {
                if is_cb(i) {
                    prop_assert!(p.stop(keys[i]).unwrap().is_none());
                    m[i].next = None;
                    m[i].period = 0;
                    // The schedule ends, and its missed periods with it.
                    m[i].missed = 0;
                } else {
                    let r = p.cancel(keys[i]);
                    match (m[i].next.is_some(), m[i].holds) {
                        (true, true) => {
                            spare.push(r.map_err(|e| TestCaseError::fail(format!("{e}")))?);
                            m[i].holds = false;
                        }
                        (true, false) => {
                            // Stopped; its event (delivered) is the test's.
                            prop_assert_eq!(r.unwrap_err(), Error::AlreadyExpired);
                            spare.extend(out.remove(&i));
                        }
                        (false, _) => {
                            prop_assert!(matches!(
                                r.unwrap_err(),
                                Error::AlreadyExpired | Error::NotArmed
                            ));
                            continue;
                        }
                    }
                    m[i].next = None;
                    m[i].period = 0;
                    // The schedule ends, and its missed periods with it.
                    m[i].missed = 0;
                }
            }
            Op::Ack(i) => {
                let Some(ev) = out.remove(&i) else {
                    continue;
                };
                let r = p.ack(keys[i], ev);
                if m[i].next.is_some() && m[i].period != 0 && !m[i].holds {
                    prop_assert!(r.is_ok(), "ack refused: {:?}", r.err());
                    m[i].holds = true;
                } else {
                    let e = r.unwrap_err();
                    prop_assert_eq!(e.error, Error::NotArmed);
                    spare.extend(e.event);
                }
            }
            Op::Advance(_) | Op::Jump(_) => {
                let to = match op {
                    Op::Advance(k) => now.saturating_add(k).min(last),
                    Op::Jump(x) => last.saturating_sub(x).max(now),
                    _ => unreachable!(),
                };
                mock.increment((to - now) * res);
                now = to;
                // The model's expiries of this pass, per timer.
                let mut want: HashMap<usize, (u64, u64)> = HashMap::new();
                for (i, t) in m.iter_mut().enumerate() {
                    let Some(d) = t.next else { continue };
                    if d > now {
                        continue;
                    }
                    // In u128: the schedule ends where `d + (s + 1) * period`
                    // passes the last tick.
                    let (next, skipped) = match (now - d).checked_div(t.period) {
                        None => (None, 0),
                        Some(s) => {
                            let next = u128::from(d) + u128::from(t.period) * (u128::from(s) + 1);
                            (u64::try_from(next).ok().filter(|&n| n <= last), s)
                        }
                    };
                    t.next = next;
                    if is_cb(i) {
                        want.insert(i, (d, skipped));
                    } else if t.holds || t.period == 0 {
                        want.insert(
                            i,
                            (d, skipped.saturating_add(std::mem::take(&mut t.missed))),
                        );
                        t.holds = false;
                    } else {
                        t.missed = t.missed.saturating_add(skipped).saturating_add(1);
                    }
                    if t.period == 0 {
                        t.next = None;
                    }
                }
                p.expire();
                let mut got: HashMap<usize, (u64, u64)> = HashMap::new();
                while let Some(ev) = q.pop() {
                    let i = ev.user_ctx() as usize;
                    prop_assert!(ev.tick() <= now, "early");
                    prop_assert!(got.insert(i, (ev.tick(), ev.overruns())).is_none(), "twice");
                    prop_assert!(out.insert(i, ev).is_none());
                }
                for (id, tick, over) in log.lock().unwrap().drain(..) {
                    prop_assert!(tick <= now, "early callback");
                    prop_assert!(got.insert(id as usize, (tick, over)).is_none(), "twice");
                }
                prop_assert_eq!(&got, &want, "at {}", now);
            }
        }
        for (i, t) in m.iter().enumerate() {
            prop_assert_eq!(p.is_pending(keys[i]), Ok(t.next.is_some()), "timer {}", i);
        }
        let earliest = m.iter().filter_map(|t| t.next).min();
        match (p.next_deadline(), earliest) {
            (None, None) => {}
            (Some(nd), Some(e)) => prop_assert!(nd <= e, "next_deadline {} > {}", nd, e),
            (a, b) => prop_assert!(false, "next_deadline {:?}, model {:?}", a, b),
        }
    }
    // Nothing lost: every event is spare, out, or held by a timer.
    let held = m.iter().filter(|t| t.holds).count();
    prop_assert_eq!(spare.len() + out.len() + held, EVENT_TIMERS);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { common::cases(400) },
        // Under miri, isolation refuses the working directory that the
        // failure file needs.
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]

    #[test]
    fn periodic_and_callback_timers_match_the_model_wheel(
        res in res(),
        ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 20 } else { 100 })
    ) {
        run(Backend::Wheel, res, ops)?;
    }

    #[test]
    fn periodic_and_callback_timers_match_the_model_hires(
        res in res(),
        ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 20 } else { 100 })
    ) {
        run(Backend::Hires, res, ops)?;
    }
}

/// Found by this model once `Jump` reached the end of time: a periodic
/// timer two periods late whose next expiry would pass `u64::MAX` ends, and
/// its last event said 0 overruns; the two periods it skipped (both before
/// `u64::MAX`) are counted, as the tree engine itself counts them.
#[test]
fn periods_skipped_before_the_schedule_ends_are_counted() {
    let ops = || {
        vec![
            Op::Jump(33),
            Op::SetAbs(2, 4),
            Op::SetPeriod(2, 10),
            Op::Advance(24),
        ]
    };
    for res in [1, 1_000, 7] {
        run(Backend::Wheel, res, ops()).unwrap();
        run(Backend::Hires, res, ops()).unwrap();
    }
}
