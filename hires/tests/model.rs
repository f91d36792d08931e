//! Model test: random operation sequences on a `HiresQueue` and on a plain
//! `BTreeMap` model, compared after every step.
//!
//! * Exact timers (one-shot and periodic, on both clock bases) must fire in
//!   exactly the model's order — by deadline converted to monotonic time,
//!   then insertion sequence — with the model's overrun counts, never early,
//!   and periodic ones re-armed on their original schedule.
//! * Range timers must fire inside their range: never while their base's
//!   `now < earliest`, and always in the first `expire` with
//!   `now >= latest`.
//! * Cancels and resets return what the model says (stale handles included,
//!   so slot reuse is exercised), `len` and `next_event` agree, and at the
//!   end every timer the model holds is still in the queue: nothing is lost.
//! * Idle timers (`insert_idle`, `disarm`, an expiry that keeps its timer
//!   with `Expired::disarm`) keep their key and value, fire never, count in
//!   no `len`, and `arm` starts them again with their base, slack and
//!   period.

use std::collections::BTreeMap;

use hrwheel_hires::{ClockBase, Error, HiresQueue, TimerKey};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// One-shot at `now - 20 + delta` (so sometimes in the past).
    Insert {
        rt: bool,
        delta: u64,
    },
    Periodic {
        rt: bool,
        delta: u64,
        period: u64,
    },
    Range {
        rt: bool,
        delta: u64,
        width: u64,
    },
    Cancel(usize),
    Reset(usize, u64),
    InsertIdle,
    /// `arm` at `now + delta`.
    Arm(usize, u64),
    Disarm(usize),
    /// Advance monotonic time by `dt` and expire; callbacks act per
    /// [`act_for`].
    Expire(u64, u8),
    /// Jump close to `u64::MAX` (overflow paths) and expire.
    ExpireNearMax(u64, u8),
    ClockWasSet(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0..200u64).prop_map(|(rt, delta)| Op::Insert { rt, delta }),
        2 => (any::<bool>(), 0..200u64, 1..60u64)
            .prop_map(|(rt, delta, period)| Op::Periodic { rt, delta, period }),
        2 => (any::<bool>(), 0..200u64, 0..80u64)
            .prop_map(|(rt, delta, width)| Op::Range { rt, delta, width }),
        2 => any::<usize>().prop_map(Op::Cancel),
        2 => (any::<usize>(), 0..200u64).prop_map(|(i, d)| Op::Reset(i, d)),
        1 => Just(Op::InsertIdle),
        2 => (any::<usize>(), 0..200u64).prop_map(|(i, d)| Op::Arm(i, d)),
        1 => any::<usize>().prop_map(Op::Disarm),
        4 => (0..120u64, 0..4u8).prop_map(|(dt, a)| Op::Expire(dt, a)),
        1 => (0..100u64, 0..4u8).prop_map(|(k, a)| Op::ExpireNearMax(u64::MAX - k, a)),
        1 => prop_oneof![
            6 => -300..300i64,
            // The ends of `i64`: realtime before its epoch for (nearly)
            // all of monotonic time, or clamped at `u64::MAX` from the start.
            1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), any::<i64>()],
        ]
        .prop_map(Op::ClockWasSet),
    ]
}

/// What an expire callback does with an exact timer (IPRT-style control).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Nothing,
    Stop,
    RearmAfter(u64),
    SetPeriod(u64),
    /// Keep the timer, idle (`Expired::disarm`).
    Disarm,
}

/// Deterministic per-timer choice, so the model can mirror it. `act == 0`
/// leaves every timer alone.
fn act_for(id: u32, act: u8) -> Act {
    if act == 0 {
        return Act::Nothing;
    }
    let h = (id as u64)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(act as u64 * 7);
    match h % 7 {
        0 => Act::Stop,
        1 => Act::RearmAfter(h / 7 % 40), // 0 = re-armed already due
        2 => Act::SetPeriod(1 + h / 7 % 50),
        3 => Act::Disarm,
        _ => Act::Nothing,
    }
}

/// `expires + k * period`, the first such point after `now`, in u128 (the
/// count `k` too: it is `2^64` when `period` is 1 and `now - expires` is
/// `u64::MAX`).
fn forward(expires: u64, period: u64, now: u64) -> u128 {
    expires as u128 + (((now - expires) / period) as u128 + 1) * period as u128
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Periodic(u64),
    Range,
}

#[derive(Debug, Clone, Copy)]
struct MTimer {
    base: ClockBase,
    kind: Kind,
    soft: u64,
    hard: u64,
    seq: u64,
}

#[derive(Default)]
struct Model {
    /// Armed timers.
    timers: BTreeMap<u32, MTimer>,
    /// Idle timers, with the base, kind and deadlines they keep.
    idle: BTreeMap<u32, MTimer>,
    seq: u64,
    offset: i64,
}

impl Model {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn base_now(&self, base: ClockBase, now: u64) -> Option<u64> {
        match base {
            ClockBase::Monotonic => Some(now),
            ClockBase::Realtime => {
                let t = now as i128 + self.offset as i128;
                (t >= 0).then(|| t.min(u64::MAX as i128) as u64)
            }
        }
    }

    /// Exact monotonic time of a deadline (may be negative).
    fn to_mono(&self, base: ClockBase, t: u64) -> i128 {
        match base {
            ClockBase::Monotonic => t as i128,
            ClockBase::Realtime => t as i128 - self.offset as i128,
        }
    }

    fn next_event(&self) -> Option<u64> {
        self.timers
            .values()
            .map(|t| (self.to_mono(t.base, t.hard), t.seq))
            .min()
            .map(|(at, _)| at.clamp(0, u64::MAX as i128) as u64)
    }

    /// The exact-timer expiries of `expire(now)`: `(id, deadline, overruns)`
    /// in firing order; applies the callbacks' actions and the re-arms.
    fn expire_exact(&mut self, now: u64, act: u8) -> Vec<(u32, u64, u64)> {
        let mut due: Vec<(i128, u64, u32)> = self
            .timers
            .iter()
            .filter(|(_, t)| t.kind != Kind::Range)
            .filter(|(_, t)| self.base_now(t.base, now).is_some_and(|bn| t.hard <= bn))
            .map(|(&id, t)| (self.to_mono(t.base, t.hard), t.seq, id))
            .collect();
        due.sort();
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for (_, _, id) in due {
            let t = self.timers[&id];
            let bn = self.base_now(t.base, now).unwrap();
            let mut period = match t.kind {
                Kind::Periodic(p) => Some(p),
                _ => None,
            };
            out.push((id, t.hard, period.map_or(0, |p| (bn - t.soft) / p)));
            let next = match act_for(id, act) {
                Act::Disarm => {
                    let t = self.timers.remove(&id).unwrap();
                    self.idle.insert(id, t);
                    continue;
                }
                Act::Stop => None,
                Act::RearmAfter(d) => Some(bn.saturating_add(d) as u128),
                Act::SetPeriod(p) => {
                    period = Some(p);
                    Some(forward(t.soft, p, bn))
                }
                Act::Nothing => period.map(|p| forward(t.soft, p, bn)),
            };
            match next {
                Some(n) if n <= u64::MAX as u128 => {
                    let n = n as u64;
                    let m = self.timers.get_mut(&id).unwrap();
                    m.soft = n;
                    m.hard = n;
                    m.kind = period.map_or(Kind::Exact, Kind::Periodic);
                    if n <= bn {
                        // due already: linked after the pass
                        pending.push(id);
                    } else {
                        let seq = self.next_seq();
                        self.timers.get_mut(&id).unwrap().seq = seq;
                    }
                }
                _ => {
                    self.timers.remove(&id);
                }
            }
        }
        for id in pending {
            let seq = self.next_seq();
            self.timers.get_mut(&id).unwrap().seq = seq;
        }
        out
    }
}

#[derive(Debug)]
struct Actual {
    id: u32,
    base: ClockBase,
    soft: u64,
    hard: u64,
    overruns: u64,
    now: u64,
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut q: HiresQueue<u32> = HiresQueue::new();
    let mut m = Model::default();
    let mut handles: Vec<(TimerKey, u32)> = Vec::new();
    let mut next_id = 0u32;
    let mut now = 0u64;
    let base_of = |rt: bool| {
        if rt {
            ClockBase::Realtime
        } else {
            ClockBase::Monotonic
        }
    };

    for op in ops {
        match op {
            Op::Insert { rt, delta } => {
                let base = base_of(rt);
                let at = now.saturating_sub(20).saturating_add(delta);
                let h = if rt {
                    q.insert_on(base, at, next_id)
                } else {
                    q.insert(at, next_id)
                };
                let seq = m.next_seq();
                m.timers.insert(
                    next_id,
                    MTimer {
                        base,
                        kind: Kind::Exact,
                        soft: at,
                        hard: at,
                        seq,
                    },
                );
                handles.push((h, next_id));
                next_id += 1;
            }
            Op::Periodic { rt, delta, period } => {
                let base = base_of(rt);
                let at = now.saturating_add(delta);
                let h = q.insert_periodic_on(base, at, period, next_id).unwrap();
                let seq = m.next_seq();
                m.timers.insert(
                    next_id,
                    MTimer {
                        base,
                        kind: Kind::Periodic(period),
                        soft: at,
                        hard: at,
                        seq,
                    },
                );
                handles.push((h, next_id));
                next_id += 1;
            }
            Op::Range { rt, delta, width } => {
                let base = base_of(rt);
                let soft = now.saturating_add(delta);
                let hard = soft.saturating_add(width);
                let h = q.insert_range_on(base, soft, hard, next_id).unwrap();
                let seq = m.next_seq();
                m.timers.insert(
                    next_id,
                    MTimer {
                        base,
                        kind: Kind::Range,
                        soft,
                        hard,
                        seq,
                    },
                );
                handles.push((h, next_id));
                next_id += 1;
            }
            Op::Cancel(i) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i % handles.len()];
                let expected = m
                    .timers
                    .remove(&id)
                    .or_else(|| m.idle.remove(&id))
                    .map(|_| id);
                prop_assert_eq!(q.cancel(h), expected);
            }
            Op::InsertIdle => {
                let h = q.insert_idle(next_id);
                m.idle.insert(
                    next_id,
                    MTimer {
                        base: ClockBase::Monotonic,
                        kind: Kind::Exact,
                        soft: 0,
                        hard: 0,
                        seq: 0,
                    },
                );
                handles.push((h, next_id));
                next_id += 1;
            }
            Op::Arm(i, delta) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i % handles.len()];
                let at = now.saturating_add(delta);
                let t = m.timers.remove(&id).or_else(|| m.idle.remove(&id));
                match t {
                    Some(mut t) => {
                        let slack = t.hard - t.soft;
                        t.soft = at;
                        t.hard = at.saturating_add(slack);
                        t.seq = m.next_seq();
                        m.timers.insert(id, t);
                        prop_assert_eq!(q.arm(h, at), Ok(()));
                    }
                    None => prop_assert_eq!(q.arm(h, at), Err(Error::StaleKey)),
                }
            }
            Op::Disarm(i) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i % handles.len()];
                if let Some(t) = m.timers.remove(&id) {
                    m.idle.insert(id, t);
                    prop_assert_eq!(q.disarm(h), Ok(true));
                } else if m.idle.contains_key(&id) {
                    prop_assert_eq!(q.disarm(h), Ok(false));
                } else {
                    prop_assert_eq!(q.disarm(h), Err(Error::StaleKey));
                }
            }
            Op::Reset(i, delta) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i % handles.len()];
                let at = now.saturating_add(delta);
                let seq = m.next_seq();
                match m.timers.get_mut(&id) {
                    Some(t) => {
                        let slack = t.hard - t.soft;
                        t.soft = at;
                        t.hard = at.saturating_add(slack);
                        t.seq = seq;
                        prop_assert_eq!(q.reset(h, at), Ok(()));
                    }
                    None => prop_assert_eq!(q.reset(h, at), Err(Error::StaleKey)),
                }
            }
            Op::Expire(_, act) | Op::ExpireNearMax(_, act) => {
                now = match op {
                    Op::Expire(dt, _) => now.saturating_add(dt),
                    Op::ExpireNearMax(t, _) => t.max(now),
                    _ => unreachable!(),
                };
                let ranges: Vec<u32> = m
                    .timers
                    .iter()
                    .filter(|(_, t)| t.kind == Kind::Range)
                    .map(|(&id, _)| id)
                    .collect();
                let mut actual = Vec::new();
                let n = q.expire(now, |mut f| {
                    let id = *f.value();
                    actual.push(Actual {
                        id,
                        base: f.base(),
                        soft: f.earliest(),
                        hard: f.deadline(),
                        overruns: f.overruns(),
                        now: f.now(),
                    });
                    if ranges.contains(&id) {
                        return;
                    }
                    match act_for(id, act) {
                        Act::Nothing => {}
                        Act::Disarm => f.disarm(),
                        Act::Stop => f.stop(),
                        Act::RearmAfter(d) => f.rearm_after(d),
                        Act::SetPeriod(p) => f.set_period(p).unwrap(),
                    }
                });
                prop_assert_eq!(n, actual.len());
                // classify before touching the model
                let is_range: Vec<bool> = actual
                    .iter()
                    .map(|a| m.timers.get(&a.id).is_some_and(|t| t.kind == Kind::Range))
                    .collect();
                // range timers: inside their range
                for a in actual
                    .iter()
                    .zip(&is_range)
                    .filter(|(_, r)| **r)
                    .map(|(a, _)| a)
                {
                    let t = m.timers.remove(&a.id).unwrap();
                    let bn = m.base_now(t.base, now);
                    prop_assert_eq!(Some(a.now), bn);
                    prop_assert_eq!((a.base, a.soft, a.hard), (t.base, t.soft, t.hard));
                    prop_assert!(t.soft <= a.now, "range timer fired early: {:?}", a);
                }
                for (id, t) in m.timers.iter().filter(|(_, t)| t.kind == Kind::Range) {
                    if let Some(bn) = m.base_now(t.base, now) {
                        prop_assert!(
                            bn < t.hard,
                            "range timer {} missed its latest {}: now {}",
                            id,
                            t.hard,
                            bn
                        );
                    }
                }
                // everything else: exactly the model's exact-timer sequence
                // (a spurious or unknown expiry shows up here too)
                let expected = m.expire_exact(now, act);
                let got: Vec<(u32, u64, u64)> = actual
                    .iter()
                    .zip(&is_range)
                    .filter(|(_, r)| !**r)
                    .map(|(a, _)| (a.id, a.hard, a.overruns))
                    .collect();
                prop_assert_eq!(&got, &expected);
                prop_assert!(actual.iter().all(|a| a.soft <= a.now), "fired early");
            }
            Op::ClockWasSet(off) => {
                q.clock_was_set(off);
                m.offset = off;
            }
        }
        prop_assert_eq!(q.len(), m.timers.len());
        prop_assert_eq!(q.next_event(), m.next_event());
        for (&id, t) in &m.timers {
            let h = handles.iter().find(|(_, i)| *i == id).unwrap().0;
            prop_assert_eq!(q.deadline(h), Some(t.hard));
            prop_assert_eq!(q.get(h), Some(&id));
        }
        for &id in m.idle.keys() {
            let h = handles.iter().find(|(_, i)| *i == id).unwrap().0;
            prop_assert_eq!(q.deadline(h), None);
            prop_assert_eq!(q.get(h), Some(&id));
        }
    }
    // nothing lost: every timer the model holds comes back by cancel
    for (h, id) in handles {
        let expected = m
            .timers
            .remove(&id)
            .or_else(|| m.idle.remove(&id))
            .map(|_| id);
        prop_assert_eq!(q.cancel(h), expected);
    }
    prop_assert!(q.is_empty());
    Ok(())
}

/// `default` cases, or `PROPTEST_CASES` when it is set (a soak run with
/// more cases than CI's; `ProptestConfig::with_cases` alone ignores the
/// variable).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// 10,000 cases natively (or `PROPTEST_CASES`), 4 under miri (each case is
/// interpreted, and the model run checks every live timer after every
/// operation).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(if cfg!(miri) { 4 } else { cases(10_000) });
    if cfg!(miri) {
        // Miri's isolation forbids the file access of failure persistence.
        config.failure_persistence = None;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn queue_matches_model(ops in prop::collection::vec(op(), 1..if cfg!(miri) { 30 } else { 200 })) {
        run(ops)?;
    }
}

/// The same operations with every timer on the monotonic base: `expire`
/// and `next_event` then take their single-base fast path (no merge, no
/// realtime conversion) for whole runs, and deep trees of one base see
/// long streams of leftmost removals and re-inserts.
fn monotonic_only(op: Op) -> Op {
    match op {
        Op::Insert { delta, .. } => Op::Insert { rt: false, delta },
        Op::Periodic { delta, period, .. } => Op::Periodic {
            rt: false,
            delta,
            period,
        },
        Op::Range { delta, width, .. } => Op::Range {
            rt: false,
            delta,
            width,
        },
        other => other,
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn monotonic_queue_matches_model(ops in prop::collection::vec(op().prop_map(monotonic_only), 1..if cfg!(miri) { 30 } else { 400 })) {
        run(ops)?;
    }
}

/// Found by CI (2026-12-01): a realtime timer made periodic by its callback
/// while realtime reads `u64::MAX` (positive offset, monotonic near the
/// end), among monotonic timers that stop, disarm or end.
#[test]
fn periodic_realtime_timer_at_the_end_of_time() {
    let ops = vec![
        Op::Insert {
            rt: false,
            delta: 0,
        },
        Op::InsertIdle,
        Op::Insert {
            rt: false,
            delta: 0,
        },
        Op::Insert {
            rt: false,
            delta: 0,
        },
        Op::ClockWasSet(34),
        Op::Insert {
            rt: false,
            delta: 0,
        },
        Op::Insert { rt: true, delta: 0 },
        Op::ExpireNearMax(u64::MAX, 1),
    ];
    run(ops).unwrap();
}
