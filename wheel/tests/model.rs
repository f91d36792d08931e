//! Model test: random operation sequences against a `BTreeMap<(deadline,
//! seq), id>` for exact timers and a map of windows for slack timers.
//!
//! Checks after every step: exact timers fire in identical order to the
//! model, never early and none lost; slack timers fire within `[deadline,
//! deadline + slack]` at times consistent with the order of delivery; stale
//! keys are refused; `len`, `get`, `deadline` agree; `next_deadline()` is
//! never later than the model's earliest due tick; the wheel's structural
//! invariants hold.

use hrwheel_wheel::{Error, TimerKey, Wheel};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// How a deadline (or an advance target) is chosen relative to `now`.
#[derive(Debug, Clone)]
enum When {
    /// `now - x` (x = 0: now itself).
    Past(u64),
    /// `now + 1 + x`.
    Soon(u64),
    /// `now + 64^k + off`.
    RelBoundary(u32, i8),
    /// The first multiple of `64^k` after `now`, `+ off`.
    AbsBoundary(u32, i8),
    /// `now + (x >> shift)`: any distance.
    Far(u64, u32),
    /// `u64::MAX - x`.
    NearMax(u64),
}

impl When {
    fn resolve(&self, now: u64) -> u64 {
        let off = |b: u64, o: i8| {
            if o < 0 {
                b.saturating_sub(o.unsigned_abs() as u64)
            } else {
                b.saturating_add(o as u64)
            }
        };
        match *self {
            When::Past(x) => now.saturating_sub(x),
            When::Soon(x) => now.saturating_add(1 + x),
            When::RelBoundary(k, o) => off(now.saturating_add(1 << (6 * k)), o),
            When::AbsBoundary(k, o) => {
                let g = 1u64 << (6 * k);
                let next = ((now >> (6 * k)) + 1).saturating_mul(g);
                off(next, o)
            }
            When::Far(x, s) => now.saturating_add(x >> s),
            When::NearMax(x) => u64::MAX - x,
        }
    }
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        2 => (0u64..100).prop_map(When::Past),
        4 => (0u64..3).prop_map(When::Soon),
        4 => (0u64..200).prop_map(When::Soon),
        4 => (1u32..=10, -1i8..=1).prop_map(|(k, o)| When::RelBoundary(k, o)),
        4 => (1u32..=10, -1i8..=1).prop_map(|(k, o)| When::AbsBoundary(k, o)),
        3 => (any::<u64>(), 0u32..64).prop_map(|(x, s)| When::Far(x, s)),
        1 => (0u64..130).prop_map(When::NearMax),
    ]
}

fn slack() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => Just(0u64),
        2 => 1u64..200,
        2 => (1u32..=10).prop_map(|k| 1u64 << (6 * k)),
        1 => (any::<u64>(), 0u32..64).prop_map(|(x, s)| x >> s),
        1 => Just(u64::MAX),
    ]
}

#[derive(Debug, Clone)]
enum Target {
    /// A deadline-like target (mostly near now, sometimes huge).
    At(When),
    /// Whatever `next_deadline()` says (or now).
    NextDeadline,
    /// The end of time.
    Max,
}

#[derive(Debug, Clone)]
enum Op {
    Insert(When, u64),
    Cancel(usize),
    Reset(usize, When),
    Advance(Target),
    Inspect(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (when(), slack()).prop_map(|(w, s)| Op::Insert(w, s)),
        3 => any::<usize>().prop_map(Op::Cancel),
        5 => (any::<usize>(), when()).prop_map(|(i, w)| Op::Reset(i, w)),
        5 => prop_oneof![
            8 => when().prop_map(Target::At),
            3 => Just(Target::NextDeadline),
            1 => Just(Target::Max),
        ]
        .prop_map(Op::Advance),
        2 => any::<usize>().prop_map(Op::Inspect),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Live {
    deadline: u64,
    slack: u64,
    seq: u64,
}

#[derive(Default)]
struct Model {
    now: u64,
    seq: u64,
    exact: BTreeMap<(u64, u64), usize>,
    /// id -> (deadline, latest)
    slack: HashMap<usize, (u64, u64)>,
    live: Vec<Option<Live>>,
}

impl Model {
    fn arm(&mut self, id: usize, deadline: u64, slack: u64) {
        self.seq += 1;
        if slack == 0 {
            self.exact.insert((deadline, self.seq), id);
        } else {
            self.slack
                .insert(id, (deadline, deadline.saturating_add(slack)));
        }
        self.live[id] = Some(Live {
            deadline,
            slack,
            seq: self.seq,
        });
    }

    fn disarm(&mut self, id: usize) -> Live {
        let l = self.live[id].take().expect("live");
        if l.slack == 0 {
            self.exact.remove(&(l.deadline, l.seq)).expect("in model");
        } else {
            self.slack.remove(&id).expect("in model");
        }
        l
    }

    fn len(&self) -> usize {
        self.exact.len() + self.slack.len()
    }

    /// The latest tick by which something must fire.
    fn earliest_due(&self) -> Option<u64> {
        let e = self.exact.keys().next().map(|k| k.0);
        let s = self.slack.values().map(|w| w.1).min();
        match (e, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut w: Wheel<usize> = Wheel::new();
    let mut m = Model::default();
    let mut keys: Vec<TimerKey> = Vec::new();
    for op in ops {
        match op {
            Op::Insert(when, slack) => {
                let d = when.resolve(m.now);
                let id = keys.len();
                keys.push(w.insert_with_slack(d, slack, id));
                m.live.push(None);
                m.arm(id, d, slack);
            }
            Op::Cancel(i) if !keys.is_empty() => {
                let id = i % keys.len();
                let got = w.cancel(keys[id]);
                if m.live[id].is_some() {
                    prop_assert_eq!(got, Some(id));
                    m.disarm(id);
                } else {
                    prop_assert_eq!(got, None);
                }
            }
            Op::Reset(i, when) if !keys.is_empty() => {
                let id = i % keys.len();
                let d = when.resolve(m.now);
                let got = w.reset(keys[id], d);
                if m.live[id].is_some() {
                    prop_assert_eq!(got, Ok(()));
                    let l = m.disarm(id);
                    m.arm(id, d, l.slack);
                } else {
                    prop_assert_eq!(got, Err(Error::StaleKey));
                }
            }
            Op::Inspect(i) if !keys.is_empty() => {
                let id = i % keys.len();
                let l = m.live[id];
                prop_assert_eq!(w.get(keys[id]).copied(), l.map(|_| id));
                prop_assert_eq!(w.deadline(keys[id]), l.map(|l| l.deadline));
            }
            Op::Advance(target) => {
                let to = match target {
                    Target::At(when) => when.resolve(m.now),
                    Target::NextDeadline => w.next_deadline().unwrap_or(m.now),
                    Target::Max => u64::MAX,
                };
                advance(&mut w, &mut m, &keys, to)?;
            }
            _ => {}
        }
        prop_assert_eq!(w.len(), m.len());
        prop_assert_eq!(w.now(), m.now);
        let nd = w.next_deadline();
        match m.earliest_due() {
            None => prop_assert_eq!(nd, None),
            Some(e) => {
                let nd = nd.expect("timers pending but no next_deadline");
                prop_assert!(nd <= e, "next_deadline {} later than {}", nd, e);
                if nd <= m.now {
                    // Only timers armed in the past are reported at or before now.
                    let past = m.live.iter().flatten().any(|l| l.deadline <= m.now);
                    prop_assert!(
                        past,
                        "next_deadline {} <= now {} with nothing due",
                        nd,
                        m.now
                    );
                }
            }
        }
        if let Err(e) = w.check_invariants() {
            return Err(TestCaseError::fail(e));
        }
    }
    // Drain: everything fires, in order, by the end of time.
    advance(&mut w, &mut m, &keys, u64::MAX)?;
    prop_assert!(w.is_empty());
    prop_assert_eq!(w.next_deadline(), None);
    let s = w.stats();
    prop_assert!(
        s.max_moves_per_timer <= hrwheel_wheel::LEVELS as u64,
        "{:?}",
        s
    );
    prop_assert_eq!(s.inserts as usize, keys.len());
    Ok(())
}

fn advance(
    w: &mut Wheel<usize>,
    m: &mut Model,
    keys: &[TimerKey],
    to: u64,
) -> Result<(), TestCaseError> {
    let to = to.max(m.now);
    let mut fired: Vec<(TimerKey, u64, usize)> = Vec::new();
    let n = w.expire(to, |e| fired.push((e.key, e.deadline, e.value)));
    prop_assert_eq!(n, fired.len());
    // Exact timers: exactly the model's, in the model's order.
    let want: Vec<usize> = m
        .exact
        .range(..=(to, u64::MAX))
        .map(|(_, &id)| id)
        .collect();
    let got: Vec<usize> = fired
        .iter()
        .map(|f| f.2)
        .filter(|&id| m.live[id].is_some_and(|l| l.slack == 0))
        .collect();
    prop_assert_eq!(&got, &want, "exact expiries differ (to {})", to);
    // Every delivery is of a live timer, with its key and deadline; fire
    // times consistent with the delivery order exist: exact at the
    // deadline, slack within its window, never after `to`.
    let mut t = 0u64;
    for &(key, deadline, id) in &fired {
        let l = m.live[id].ok_or_else(|| TestCaseError::fail("fired twice or cancelled"))?;
        prop_assert_eq!(key, keys[id]);
        prop_assert_eq!(deadline, l.deadline);
        let latest = l.deadline.saturating_add(l.slack);
        t = t.max(l.deadline);
        prop_assert!(
            t <= latest && t <= to,
            "timer {} {:?} fired out of its window",
            id,
            l
        );
    }
    for &(_, _, id) in &fired {
        m.disarm(id);
    }
    // No slack timer overstayed its window.
    for (&id, &(_, latest)) in &m.slack {
        prop_assert!(
            latest > to,
            "slack timer {} missed its window (to {})",
            id,
            to
        );
    }
    m.now = to;
    Ok(())
}

/// Sequence lengths: 50-200 operations natively, 6-14 under miri (where
/// every operation's wheel check walks every slot of every level).
fn ops_len() -> std::ops::Range<usize> {
    if cfg!(miri) {
        6..14
    } else {
        50..200
    }
}

/// 10,000 cases natively (or `PROPTEST_CASES`), 3 under miri, where
/// proptest's failure file (which needs `getcwd`, unavailable under miri's
/// isolation) is off.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(if cfg!(miri) { 3 } else { cases(10_000) });
    if cfg!(miri) {
        config.failure_persistence = None;
    }
    config
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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn wheel_matches_model(ops in prop::collection::vec(op(), ops_len())) {
        run(ops)?;
    }
}

/// A few fixed sequences that once were interesting, run every time.
#[test]
fn fixed_sequences() {
    use When::*;
    let seqs = vec![
        vec![
            Op::Insert(Soon(0), 0),
            Op::Insert(RelBoundary(1, -1), 64),
            Op::Reset(0, RelBoundary(2, 1)),
            Op::Advance(Target::NextDeadline),
            Op::Advance(Target::At(AbsBoundary(1, 0))),
            Op::Insert(Past(0), 0),
            Op::Insert(NearMax(0), 0),
            Op::Advance(Target::At(Far(u64::MAX, 20))),
            Op::Reset(1, Past(3)),
            Op::Advance(Target::Max),
            Op::Insert(Soon(5), 7),
        ],
        vec![
            Op::Insert(AbsBoundary(3, 0), 0),
            Op::Insert(AbsBoundary(3, 0), 0),
            Op::Reset(0, AbsBoundary(3, 0)),
            Op::Advance(Target::At(AbsBoundary(2, -1))),
            Op::Advance(Target::At(AbsBoundary(3, 0))),
        ],
    ];
    for ops in seqs {
        run(ops).unwrap();
    }
}
