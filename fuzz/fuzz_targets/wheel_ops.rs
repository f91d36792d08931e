//! Arbitrary sequences of wheel operations, checked against a `BTreeMap`
//! model after every step: same expiries in the same order (exact timers),
//! slack timers within `[deadline, deadline + slack]`, never early, nothing
//! lost, same `len`, `next_deadline` never later than the true earliest, and
//! stale or foreign keys never touch a live timer.
#![no_main]

use std::collections::{BTreeMap, HashMap};

use arbitrary::Arbitrary;
use hrwheel_wheel::{TimerKey, Wheel};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum When {
    /// `now + n`.
    Near(u16),
    /// Around a level boundary: `64^level + offset - 2` ahead of now.
    Boundary { level: u8, offset: u8 },
    /// Anywhere, including far beyond any level.
    Abs(u64),
    /// Near `u64::MAX`.
    NearMax(u16),
    /// In the past or now.
    Past(u16),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(When),
    InsertSlack(When, u32),
    Cancel(u16),
    Reset(u16, When),
    Advance(u16),
    AdvanceHuge(u64),
    AdvanceToNext,
    Peek(u16),
    ForeignCancel,
}

struct Live {
    deadline: u64,
    slack: u64,
    seq: u64,
}

fn resolve(now: u64, w: When) -> u64 {
    match w {
        When::Near(n) => now.saturating_add(n as u64),
        When::Boundary { level, offset } => {
            let level = (level % 11) as u32;
            now.saturating_add(64u64.saturating_pow(level))
                .saturating_add(offset as u64 % 5)
                .saturating_sub(2)
        }
        When::Abs(a) => a,
        When::NearMax(n) => u64::MAX - n as u64,
        When::Past(n) => now.saturating_sub(n as u64),
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut wheel: Wheel<u64> = Wheel::new();
    let mut other: Wheel<u64> = Wheel::new();
    let foreign = other.insert(5, u64::MAX);

    // Model: exact timers ordered by (deadline, seq); all timers by id.
    let mut exact: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let mut live: HashMap<u64, Live> = HashMap::new();
    let mut keys: Vec<(TimerKey, u64)> = Vec::new(); // every key ever handed out
    let mut next_id = 0u64;
    let mut seq = 0u64;

    for op in ops.into_iter().take(512) {
        let now = wheel.now();
        match op {
            Op::Insert(w) | Op::InsertSlack(w, _) => {
                let deadline = resolve(now, w);
                let slack = match op {
                    Op::InsertSlack(_, s) => s as u64,
                    _ => 0,
                };
                let id = next_id;
                next_id += 1;
                seq += 1;
                let key = if slack == 0 {
                    wheel.insert(deadline, id)
                } else {
                    wheel.insert_with_slack(deadline, slack, id)
                };
                if slack == 0 {
                    exact.insert((deadline, seq), id);
                }
                live.insert(
                    id,
                    Live {
                        deadline,
                        slack,
                        seq,
                    },
                );
                keys.push((key, id));
            }
            Op::Cancel(i) => {
                if keys.is_empty() {
                    continue;
                }
                let (key, id) = keys[i as usize % keys.len()];
                let got = wheel.cancel(key);
                match live.remove(&id) {
                    Some(l) => {
                        assert_eq!(got, Some(id), "cancel of a live timer");
                        if l.slack == 0 {
                            exact.remove(&(l.deadline, l.seq));
                        }
                    }
                    None => assert_eq!(got, None, "cancel of a dead key touched a timer"),
                }
            }
            Op::Reset(i, w) => {
                if keys.is_empty() {
                    continue;
                }
                let (key, id) = keys[i as usize % keys.len()];
                let deadline = resolve(now, w);
                let res = wheel.reset(key, deadline);
                match live.get_mut(&id) {
                    Some(l) => {
                        assert!(res.is_ok(), "reset of a live timer failed: {res:?}");
                        if l.slack == 0 {
                            exact.remove(&(l.deadline, l.seq));
                        }
                        seq += 1;
                        l.deadline = deadline;
                        l.seq = seq;
                        if l.slack == 0 {
                            exact.insert((deadline, seq), id);
                        }
                    }
                    None => assert!(res.is_err(), "reset of a dead key succeeded"),
                }
            }
            Op::Peek(i) => {
                if keys.is_empty() {
                    continue;
                }
                let (key, id) = keys[i as usize % keys.len()];
                match live.get(&id) {
                    Some(l) => {
                        assert_eq!(wheel.get(key), Some(&id));
                        assert_eq!(wheel.deadline(key), Some(l.deadline));
                    }
                    None => {
                        assert_eq!(wheel.get(key), None);
                        assert_eq!(wheel.deadline(key), None);
                    }
                }
            }
            Op::ForeignCancel => {
                assert_eq!(wheel.cancel(foreign), None, "a foreign key touched a timer");
                assert!(wheel.reset(foreign, now).is_err());
            }
            Op::Advance(_) | Op::AdvanceHuge(_) | Op::AdvanceToNext => {
                let to = match op {
                    Op::Advance(n) => now.saturating_add(n as u64),
                    Op::AdvanceHuge(n) => now.saturating_add(n),
                    _ => match wheel.next_deadline() {
                        Some(d) => d.max(now),
                        None => now.saturating_add(1),
                    },
                };
                let mut fired: Vec<(u64, u64)> = Vec::new();
                wheel.expire(to, |e| fired.push((e.deadline, e.value)));
                let target = to.max(now);
                assert_eq!(wheel.now(), target);
                // Expected exact expiries, in order.
                let due: Vec<(u64, u64)> = exact
                    .range(..=(target, u64::MAX))
                    .map(|(&(d, _), &id)| (d, id))
                    .collect();
                let fired_exact: Vec<(u64, u64)> = fired
                    .iter()
                    .copied()
                    .filter(|(_, id)| live.get(id).is_some_and(|l| l.slack == 0))
                    .collect();
                assert_eq!(fired_exact, due, "exact expiries differ from the model");
                for &(d, id) in &fired {
                    let l = live
                        .remove(&id)
                        .expect("fired a timer that is not live (duplicate or stale)");
                    assert_eq!(l.deadline, d, "fired with a wrong deadline");
                    assert!(d <= target, "fired early: deadline {d} > target {target}");
                    if l.slack == 0 {
                        exact.remove(&(l.deadline, l.seq));
                    }
                }
                // Slack timers past their latest moment must have fired.
                for (id, l) in &live {
                    assert!(
                        l.slack == 0 || l.deadline.saturating_add(l.slack) > target,
                        "slack timer {id} (deadline {}, slack {}) is late at {target}",
                        l.deadline,
                        l.slack
                    );
                }
            }
        }
        assert_eq!(wheel.len(), live.len(), "len differs from the model");
        // A slack timer may legitimately be reported as late as its latest moment.
        let latest_due = live
            .values()
            .map(|l| l.deadline.saturating_add(l.slack))
            .min();
        if let Some(true_min) = latest_due {
            let nd = wheel
                .next_deadline()
                .expect("timers live but next_deadline is None");
            assert!(
                nd <= true_min.max(wheel.now()),
                "next_deadline {nd} later than earliest {true_min}"
            );
        } else {
            assert_eq!(wheel.next_deadline(), None);
        }
    }
    drop(other);
});
