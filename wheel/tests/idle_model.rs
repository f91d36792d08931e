//! Model test for idle timers: `insert_idle`, `arm`, `disarm`, `cancel`
//! and `expire_in_place` against a map of `id -> Option<(deadline, seq)>`.
//!
//! Checks after every step: fired timers come out in `(deadline, arming
//! order)` order, never early, none lost; a fired timer stays in the wheel,
//! idle, with the same key and its value; `disarm` reports whether the timer
//! was armed; keys of cancelled timers are refused; `len`, `deadline` and
//! the structural invariants agree with the model.

use hrwheel_wheel::{Error, TimerKey, Wheel};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    InsertIdle,
    Arm(usize, u64),
    Disarm(usize),
    Cancel(usize),
    Expire(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::InsertIdle),
        5 => (any::<usize>(), 0u64..5_000).prop_map(|(i, d)| Op::Arm(i, d)),
        2 => any::<usize>().prop_map(Op::Disarm),
        1 => any::<usize>().prop_map(Op::Cancel),
        3 => (0u64..3_000).prop_map(Op::Expire),
    ]
}

struct Timer {
    key: TimerKey,
    id: u32,
    /// `(deadline, arming seq)` while armed.
    armed: Option<(u64, u64)>,
    live: bool,
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut w: Wheel<u32> = Wheel::new();
    let mut timers: Vec<Timer> = Vec::new();
    let mut seq = 0u64;
    let mut now = 0u64;
    for op in ops {
        match *op {
            Op::InsertIdle => {
                let id = timers.len() as u32;
                let key = w.insert_idle(id);
                timers.push(Timer {
                    key,
                    id,
                    armed: None,
                    live: true,
                });
            }
            Op::Arm(i, d) if !timers.is_empty() => {
                let n = timers.len();
                let t = &mut timers[i % n];
                let deadline = now.saturating_sub(100) + d;
                let r = w.arm(t.key, deadline);
                if t.live {
                    prop_assert_eq!(r, Ok(()));
                    seq += 1;
                    t.armed = Some((deadline, seq));
                } else {
                    prop_assert_eq!(r, Err(Error::StaleKey));
                }
            }
            Op::Disarm(i) if !timers.is_empty() => {
                let n = timers.len();
                let t = &mut timers[i % n];
                let r = w.disarm(t.key);
                if t.live {
                    prop_assert_eq!(r, Ok(t.armed.is_some()));
                    t.armed = None;
                } else {
                    prop_assert_eq!(r, Err(Error::StaleKey));
                }
            }
            Op::Cancel(i) if !timers.is_empty() => {
                let n = timers.len();
                let t = &mut timers[i % n];
                let r = w.cancel(t.key);
                prop_assert_eq!(r, t.live.then_some(t.id));
                t.live = false;
                t.armed = None;
            }
            Op::Expire(step) => {
                now += step;
                let mut want: BTreeMap<(u64, u64), u32> = BTreeMap::new();
                for t in &timers {
                    if let Some((d, s)) = t.armed {
                        if d <= now {
                            want.insert((d, s), t.id);
                        }
                    }
                }
                let mut got = Vec::new();
                w.expire_in_place(now, |key, deadline, v| got.push((key, deadline, *v)));
                let want: Vec<u32> = want.into_values().collect();
                let got_ids: Vec<u32> = got.iter().map(|g| g.2).collect();
                prop_assert_eq!(&got_ids, &want, "fired set and order at {}", now);
                for (key, deadline, id) in got {
                    let t = &mut timers[id as usize];
                    prop_assert_eq!(key, t.key);
                    prop_assert!(deadline <= now, "early");
                    prop_assert_eq!(Some(deadline), t.armed.map(|a| a.0));
                    t.armed = None;
                    prop_assert_eq!(w.get(key), Some(&id), "fired timer stays, idle");
                }
            }
            _ => {}
        }
        let armed = timers.iter().filter(|t| t.armed.is_some()).count();
        prop_assert_eq!(w.len(), armed);
        for t in &timers {
            prop_assert_eq!(w.deadline(t.key), t.armed.map(|a| a.0));
        }
        w.check_invariants().map_err(TestCaseError::fail)?;
    }
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

// Under miri every operation's wheel check walks every slot of every
// level, hence 2 cases of at most 11 operations.
proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { cases(2_000) },
        // Under miri, isolation refuses the working directory that the
        // failure file needs.
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]
    #[test]
    fn idle_timers_match_the_model(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 12 } else { 120 })) {
        run(&ops)?;
    }
}
