//! Every workload at a tiny size on every implementation: all digests must
//! be equal, non-trivial, and a broken structure must be caught.

use hrwheel_bench::adapters::HiresPeriodic;
use hrwheel_bench::baselines::TreeQueue;
use hrwheel_bench::workloads::{shapes, w1, w2, w3, w4};
use hrwheel_bench::{cross_check, CheckError, Digest, Imp, TimerQueue, Visitor};

const MS: u64 = 1_000_000;

#[derive(Clone, Copy)]
struct W1(w1::Params);
impl Visitor for W1 {
    type Out = Result<Digest, CheckError>;
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        w1::digest(&mut make(), self.0)
    }
}

#[derive(Clone, Copy)]
struct W2(w2::Params);
impl Visitor for W2 {
    type Out = Result<Digest, CheckError>;
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        w2::digest(&mut make(), self.0)
    }
}

#[derive(Clone, Copy)]
struct W3(w3::Params);
impl Visitor for W3 {
    type Out = Result<Digest, CheckError>;
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        w3::digest(&mut make(), self.0)
    }
}

#[derive(Clone, Copy)]
struct W4(w4::Params);
impl Visitor for W4 {
    type Out = Result<Digest, CheckError>;
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        w4::digest(&mut make(), self.0)
    }
}

fn all<V: Visitor<Out = Result<Digest, CheckError>> + Copy>(
    name: &str,
    unit_ns: u64,
    v: V,
) -> Vec<(&'static str, Digest)> {
    all_but(name, unit_ns, v, &[])
}

/// Like [`all`], but the implementations in `cannot` must be caught: an
/// error from the workload's check, or a digest differing from the others'.
fn all_but<V: Visitor<Out = Result<Digest, CheckError>> + Copy>(
    name: &str,
    unit_ns: u64,
    v: V,
    cannot: &[Imp],
) -> Vec<(&'static str, Digest)> {
    let labels = [
        "wheel",
        "hires",
        "heap",
        "tree",
        "delayqueue",
        "bitwheel",
        "nexus-timer",
    ];
    assert_eq!(labels.len(), Imp::ALL.len());
    let mut caught = Vec::new();
    let out: Vec<_> = Imp::ALL
        .iter()
        .zip(labels)
        .filter_map(|(imp, label)| {
            let r = imp.visit(unit_ns, 1024, v);
            if cannot.contains(imp) {
                caught.push((label, r));
                return None;
            }
            Some((
                label,
                r.unwrap_or_else(|e| panic!("{name} on {label}: {e}")),
            ))
        })
        .collect();
    cross_check(name, &out).unwrap_or_else(|e| panic!("{e}"));
    for (label, r) in caught {
        if let Ok(d) = r {
            assert_ne!(d, out[0].1, "{name}: {label} was expected to be caught");
        }
    }
    out
}

fn tiny_w1() -> w1::Params {
    w1::Params {
        timers: 2_000,
        resets_per_tick: 12,
        warmup_ticks: 600,
        ticks: 400,
        ..w1::Params::reference()
    }
}

#[test]
fn w1_all_agree() {
    let p = tiny_w1();
    let out = all("W1", MS, W1(p));
    let d = out[0].1;
    // Timed ticks: 400 × 12 resets plus some expiries.
    assert!(d.ops > 400 * 12 && d.expiries > 100, "{d:?}");
    // Every crossover point agrees too, with more expiries at 0 %.
    let zero = all("W1 0%", MS, W1(p.with_cancel_fraction(0.0)))[0].1;
    // No resets at 0 %: every timed op is an expiry.
    assert!(zero.ops > 0 && zero.ops <= zero.expiries, "{zero:?}");
    let ninety_nine = all("W1 99%", MS, W1(p.with_cancel_fraction(0.99)))[0].1;
    assert!(zero.expiries > d.expiries && d.expiries > ninety_nine.expiries);
}

#[test]
fn w2_all_agree() {
    for outstanding in [100, 1_000] {
        let out = all("W2", MS, W2(w2::Params::new(outstanding, 2_000)));
        let d = out[0].1;
        assert_eq!(d.expiries, outstanding as u64);
        assert_eq!(d.ops, 2_000);
    }
}

#[test]
fn w3_all_agree() {
    let out = all("W3", MS, W3(w3::Params::new(5_000)));
    assert_eq!(out[0].1.expiries, 5_000);
}

#[derive(Clone, Copy)]
struct Shaped(shapes::Params);
impl Visitor for Shaped {
    type Out = Result<Digest, CheckError>;
    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        shapes::digest(&mut make(), self.0)
    }
}

#[test]
fn expiry_heavy_shapes_all_agree() {
    for shape in shapes::Shape::ALL {
        let p = shapes::Params::new(shape, 3_000);
        let out = all(shape.title(), MS, Shaped(p));
        assert_eq!(out[0].1.expiries, p.timers() as u64, "{}", shape.title());
    }
}

#[test]
fn w4_all_agree_including_coarse_and_periodic() {
    let p = w4::Params {
        timers: 200,
        duration: 20 * MS,
        ..w4::Params::reference()
    };
    // bitwheel's 1 ms granularity: a timer re-armed at a deadline already
    // past fires a tick later, so a 10 µs periodic timer fires once per ms.
    let out = all_but("W4", 1, W4(p), &[Imp::BitWheel]);
    let d = out[0].1;
    assert!(d.expiries > 200, "{d:?}");
    let mut hp = HiresPeriodic::new();
    hp.setup(p).unwrap();
    assert_eq!(hp.run(p).unwrap(), d, "native periodic hires differs");
}

/// A tree whose cancel claims success but keeps the timer.
struct ForgetfulCancel(TreeQueue);
impl TimerQueue for ForgetfulCancel {
    type Key = (u64, u64);
    fn name(&self) -> &'static str {
        "broken"
    }
    fn insert(&mut self, deadline: u64, id: u64) -> Self::Key {
        self.0.insert(deadline, id)
    }
    fn cancel(&mut self, _key: Self::Key) -> bool {
        true
    }
    fn reset(&mut self, key: Self::Key, deadline: u64) -> Option<Self::Key> {
        self.0.reset(key, deadline)
    }
    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        self.0.advance(to, out)
    }
    fn next_deadline(&mut self) -> Option<u64> {
        self.0.next_deadline()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A tree that fires up to 2^19 ticks early.
struct Hasty(TreeQueue);
impl TimerQueue for Hasty {
    type Key = (u64, u64);
    fn name(&self) -> &'static str {
        "hasty"
    }
    fn insert(&mut self, deadline: u64, id: u64) -> Self::Key {
        self.0.insert(deadline, id)
    }
    fn cancel(&mut self, key: Self::Key) -> bool {
        self.0.cancel(key)
    }
    fn reset(&mut self, key: Self::Key, deadline: u64) -> Option<Self::Key> {
        self.0.reset(key, deadline)
    }
    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        self.0.advance(to + (1 << 19), out)
    }
    fn next_deadline(&mut self) -> Option<u64> {
        self.0.next_deadline()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[test]
fn broken_structures_are_caught() {
    let p = w2::Params::new(100, 500);
    let err = w2::digest(&mut ForgetfulCancel(TreeQueue::new()), p).unwrap_err();
    assert!(matches!(err, CheckError::Bookkeeping { .. }), "{err}");
    let err = w1::digest(&mut Hasty(TreeQueue::new()), tiny_w1()).unwrap_err();
    assert!(matches!(err, CheckError::Early { .. }), "{err}");
    let err = w3::digest(&mut Hasty(TreeQueue::new()), w3::Params::new(100)).unwrap_err();
    assert!(matches!(err, CheckError::Early { .. }), "{err}");
}

/// The published wheels as shipped: what the report's probe sees. bitwheel
/// fires a timer filed in gear 1 (delay 64 ms or more) at the start of its
/// slot, before its deadline, and the check must say so.
#[test]
fn peer_wheels_as_shipped_are_checked_for_early_fires() {
    let p = tiny_w1();
    let r = Imp::BitWheel
        .visit_as_shipped(MS, 1024, W1(p))
        .expect("bitwheel has an as-shipped mode");
    assert!(matches!(r, Err(CheckError::Early { .. })), "{r:?}");
    // nexus-timer as shipped either agrees with the reference or is caught.
    let reference = Imp::Tree.visit(MS, 1024, W1(p)).unwrap();
    match Imp::Nexus
        .visit_as_shipped(MS, 1024, W1(p))
        .expect("nexus mode")
    {
        Ok(d) => assert_eq!(d, reference),
        Err(e) => assert!(
            matches!(e, CheckError::Early { .. } | CheckError::Late { .. }),
            "{e}"
        ),
    }
    assert!(Imp::Tree.visit_as_shipped(MS, 1024, W1(p)).is_none());
}
