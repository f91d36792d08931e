//! Arbitrary sequences of high-resolution queue operations — one-shot,
//! periodic and range timers on the monotonic and realtime bases, cancels,
//! resets, idle timers (`insert_idle`, `arm`, `disarm`), realtime clock
//! steps, stale and foreign handles — checked against
//! a simple model after every step: exactly the due timers fire, in deadline
//! order, never early, periodic overruns and re-arm times as computed from
//! the original schedule, nothing lost, same `len`, and `next_event` equal to
//! the model's earliest hard deadline.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use hrwheel_hires::{ClockBase, HiresQueue, TimerKey};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum When {
    Near(u32),
    Far(u64),
    NearMax(u16),
    Past(u16),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(When),
    InsertRealtime(When),
    InsertPeriodic(When, u32),
    InsertRange(When, u32),
    Cancel(u16),
    Reset(u16, When),
    ClockStep(i32),
    /// Advance monotonic time by the step and expire; timers whose id
    /// is congruent to `take` modulo 5 are ended from inside the callback.
    Expire(u32, u8),
    ExpireFar(u64),
    ForeignCancel,
    InsertIdle,
    /// `arm` (an idle timer starts, an armed one is reset).
    Arm(u16, When),
    Disarm(u16),
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    OneShot,
    Range { earliest: u64 },
    Periodic { period: u64 },
}

#[derive(Clone, Copy, Debug)]
struct Live {
    base: ClockBase,
    /// The hard deadline in the timer's own base.
    deadline: u64,
    kind: Kind,
    seq: u64,
}

impl Live {
    /// The monotonic moment at which it becomes due.
    fn due_mono(&self, offset: i64) -> i128 {
        let t = match self.kind {
            Kind::Range { earliest } => earliest,
            _ => self.deadline,
        };
        self.mono(t, offset)
    }
    fn hard_mono(&self, offset: i64) -> i128 {
        self.mono(self.deadline, offset)
    }
    fn mono(&self, t: u64, offset: i64) -> i128 {
        match self.base {
            ClockBase::Monotonic => t as i128,
            ClockBase::Realtime => t as i128 - offset as i128,
        }
    }
}

/// `now` (monotonic) in `base`'s time: realtime = monotonic + `offset`,
/// clamped to `u64`.
fn base_now(base: ClockBase, now: u64, offset: i64) -> u64 {
    match base {
        ClockBase::Monotonic => now,
        ClockBase::Realtime => (now as i128 + offset as i128).clamp(0, u64::MAX as i128) as u64,
    }
}

fn resolve(now: u64, w: When) -> u64 {
    match w {
        When::Near(n) => now.saturating_add(n as u64),
        When::Far(n) => n,
        When::NearMax(n) => u64::MAX - n as u64,
        When::Past(n) => now.saturating_sub(n as u64),
    }
}

/// The model of `hrtimer` expiry at monotonic `now`: per clock base, the
/// leftmost timer by (hard deadline, insertion seq) fires while it is allowed
/// to (its soft `earliest` reached), the bases merged by hard deadline in
/// monotonic time, then seq; a periodic timer re-arms at the first
/// `deadline + k * period > now` with a new seq (and may become its base's
/// leftmost, ending that base's run), unless ended from the callback.
fn model_expire(
    live: &mut HashMap<u64, Live>,
    seq: &mut u64,
    offset: i64,
    now: u64,
    take: u64,
) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    loop {
        let mut best: Option<(i128, u64, u64)> = None;
        for base in [ClockBase::Monotonic, ClockBase::Realtime] {
            let leftmost = live
                .iter()
                .filter(|(_, l)| l.base == base)
                .map(|(&id, l)| (l.hard_mono(offset), l.seq, id))
                .min();
            if let Some(c @ (_, _, id)) = leftmost {
                if live[&id].due_mono(offset) <= now as i128 && best.is_none_or(|b| c < b) {
                    best = Some(c);
                }
            }
        }
        let Some((_, _, id)) = best else { return out };
        let l = live[&id];
        match l.kind {
            Kind::Periodic { period } => {
                let ov = (now - l.deadline) / period;
                out.push((id, l.deadline, ov));
                let next = (ov as u128 + 1) * period as u128 + l.deadline as u128;
                if id % 5 == take || next > u64::MAX as u128 {
                    live.remove(&id);
                } else {
                    *seq += 1;
                    let e = live.get_mut(&id).unwrap();
                    e.deadline = next as u64;
                    e.seq = *seq;
                }
            }
            _ => {
                out.push((id, l.deadline, 0));
                live.remove(&id);
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut q: HiresQueue<u64> = HiresQueue::new();
    let mut other: HiresQueue<u64> = HiresQueue::new();
    let foreign = other.insert(1, u64::MAX);

    let mut now: u64 = 0;
    let mut offset: i64 = 0;
    let mut live: HashMap<u64, Live> = HashMap::new();
    // Idle timers, with what they keep for their next `arm`.
    let mut idle: HashMap<u64, Live> = HashMap::new();
    let mut handles: Vec<(TimerKey, u64)> = Vec::new();
    let mut next_id = 0u64;
    let mut seq = 0u64;

    for op in ops.into_iter().take(512) {
        match op {
            Op::Insert(w)
            | Op::InsertRealtime(w)
            | Op::InsertPeriodic(w, _)
            | Op::InsertRange(w, _) => {
                let id = next_id;
                next_id += 1;
                seq += 1;
                let (h, l) = match op {
                    Op::Insert(_) => {
                        let d = resolve(now, w);
                        (
                            q.insert(d, id),
                            Live {
                                base: ClockBase::Monotonic,
                                deadline: d,
                                kind: Kind::OneShot,
                                seq,
                            },
                        )
                    }
                    Op::InsertRealtime(_) => {
                        let d = resolve(base_now(ClockBase::Realtime, now, offset), w);
                        (
                            q.insert_on(ClockBase::Realtime, d, id),
                            Live {
                                base: ClockBase::Realtime,
                                deadline: d,
                                kind: Kind::OneShot,
                                seq,
                            },
                        )
                    }
                    Op::InsertPeriodic(_, p) => {
                        let d = resolve(now, w);
                        let period = p as u64;
                        match q.insert_periodic(d, period, id) {
                            Ok(h) => {
                                assert!(period > 0, "a zero period was accepted");
                                (
                                    h,
                                    Live {
                                        base: ClockBase::Monotonic,
                                        deadline: d,
                                        kind: Kind::Periodic { period },
                                        seq,
                                    },
                                )
                            }
                            Err(_) => {
                                assert_eq!(period, 0, "a valid periodic timer was refused");
                                continue;
                            }
                        }
                    }
                    Op::InsertRange(_, width) => {
                        let earliest = resolve(now, w);
                        let latest = earliest.saturating_add(width as u64);
                        let h = q
                            .insert_range(earliest, latest, id)
                            .expect("valid range refused");
                        if earliest > 0 {
                            assert!(
                                q.insert_range(earliest, earliest - 1, 0).is_err(),
                                "an empty range was accepted"
                            );
                        }
                        (
                            h,
                            Live {
                                base: ClockBase::Monotonic,
                                deadline: latest,
                                kind: Kind::Range { earliest },
                                seq,
                            },
                        )
                    }
                    _ => unreachable!(),
                };
                live.insert(id, l);
                handles.push((h, id));
            }
            Op::Cancel(i) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i as usize % handles.len()];
                let got = q.cancel(h);
                match live.remove(&id).or_else(|| idle.remove(&id)) {
                    Some(_) => assert_eq!(got, Some(id)),
                    None => assert_eq!(got, None, "a dead handle touched a timer"),
                }
            }
            Op::Reset(i, w) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i as usize % handles.len()];
                match live.get_mut(&id) {
                    Some(l) => {
                        let base_now = base_now(l.base, now, offset);
                        let d = resolve(base_now, w);
                        seq += 1;
                        l.seq = seq;
                        if let Kind::Range { .. } = l.kind {
                            let latest = d.saturating_add(7);
                            q.reset_range(h, d, latest)
                                .expect("reset_range of a live timer");
                            l.kind = Kind::Range { earliest: d };
                            l.deadline = latest;
                        } else {
                            q.reset(h, d).expect("reset of a live timer");
                            l.deadline = d;
                        }
                    }
                    None => assert!(q.reset(h, now).is_err(), "reset of a dead handle succeeded"),
                }
            }
            Op::InsertIdle => {
                let id = next_id;
                next_id += 1;
                let h = q.insert_idle(id);
                idle.insert(
                    id,
                    Live {
                        base: ClockBase::Monotonic,
                        deadline: 0,
                        kind: Kind::OneShot,
                        seq: 0,
                    },
                );
                handles.push((h, id));
            }
            Op::Arm(i, w) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i as usize % handles.len()];
                match live.remove(&id).or_else(|| idle.remove(&id)) {
                    Some(mut l) => {
                        let base_now = base_now(l.base, now, offset);
                        let d = resolve(base_now, w);
                        seq += 1;
                        l.seq = seq;
                        // The slack (range timers) and the period are kept.
                        if let Kind::Range { earliest } = l.kind {
                            l.deadline = d.saturating_add(l.deadline - earliest);
                            l.kind = Kind::Range { earliest: d };
                        } else {
                            l.deadline = d;
                        }
                        q.arm(h, d).expect("arm of a live timer");
                        live.insert(id, l);
                    }
                    None => assert!(q.arm(h, now).is_err(), "arm of a dead handle succeeded"),
                }
            }
            Op::Disarm(i) => {
                if handles.is_empty() {
                    continue;
                }
                let (h, id) = handles[i as usize % handles.len()];
                if let Some(l) = live.remove(&id) {
                    assert_eq!(q.disarm(h), Ok(true));
                    idle.insert(id, l);
                } else if idle.contains_key(&id) {
                    assert_eq!(q.disarm(h), Ok(false));
                } else {
                    assert!(q.disarm(h).is_err(), "disarm of a dead handle succeeded");
                }
                assert_eq!(q.deadline(h), None);
            }
            Op::ClockStep(delta) => {
                offset = offset.saturating_add(delta as i64 * 1024);
                q.clock_was_set(offset);
            }
            Op::ForeignCancel => {
                assert_eq!(q.cancel(foreign), None);
                assert!(q.reset(foreign, now).is_err());
                assert!(q.arm(foreign, now).is_err());
                assert!(q.disarm(foreign).is_err());
            }
            Op::Expire(_, _) | Op::ExpireFar(_) => {
                let (step, take) = match op {
                    Op::Expire(s, t) => (s as u64, t % 5),
                    Op::ExpireFar(s) => (s, 5),
                    _ => unreachable!(),
                };
                now = now.saturating_add(step);
                let mut fired: Vec<(u64, u64, u64)> = Vec::new(); // (id, deadline, overruns)
                q.expire(now, |f| {
                    let id = *f.value();
                    let (d, ov) = (f.deadline(), f.overruns());
                    if id % 5 == take as u64 {
                        assert_eq!(f.take(), id);
                    }
                    fired.push((id, d, ov));
                });
                let expected = model_expire(&mut live, &mut seq, offset, now, take as u64);
                assert_eq!(fired, expected, "expiries differ from the model at {now}");
            }
        }
        assert_eq!(q.len(), live.len(), "len differs from the model");
        let hard = live
            .values()
            .map(|l| l.hard_mono(offset).clamp(0, u64::MAX as i128) as u64)
            .min();
        assert_eq!(
            q.next_event(),
            hard,
            "next_event differs from the earliest hard deadline"
        );
        for (h, id) in handles.iter().rev().take(4) {
            assert_eq!(
                q.get(*h).is_some(),
                live.contains_key(id) || idle.contains_key(id)
            );
            assert_eq!(q.deadline(*h).is_some(), live.contains_key(id));
        }
    }
    drop(other);
});
