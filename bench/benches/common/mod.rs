//! Shared criterion plumbing for the W1–W4 benches (see docs/WORKLOADS.md).
//!
//! Every implementation runs in the same criterion group. W1, W3 and W4
//! time one whole workload run per iteration (setup on a fresh structure is
//! untimed), with `Throughput::Elements(ops)` so criterion's `thrpt` is
//! operations per second; W2 times single insert+cancel pairs. Every
//! iteration's result digest is compared with a BinaryHeap reference run,
//! and a mismatch panics ("RESULT MISMATCH"), so a fast wrong answer fails
//! the bench. After each group a summary prints ns per operation (median of
//! every iteration criterion ran, warm-up included), the ratio to the best
//! baseline, and the wheel's cascade moves per timer.
//!
//! Sizes are WORKLOADS.md's, multiplied by `HRWHEEL_BENCH_SCALE` (e.g. 0.1).

#![allow(dead_code)]

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use hrwheel_bench::report::{fmt_ratio, measure, median, Sample, Work};
use hrwheel_bench::scale::{env_scale, Sizes};
use hrwheel_bench::workloads::w2;
use hrwheel_bench::{CheckError, Digest, Imp, TimerQueue, Visitor};

/// Workload unit of W1–W3: 1 ms ticks.
pub(crate) const MS: u64 = 1_000_000;

/// Sizes from `HRWHEEL_BENCH_SCALE`, announced once.
pub(crate) fn sizes() -> Sizes {
    let f = env_scale();
    eprintln!("hrwheel benches: HRWHEEL_BENCH_SCALE = {f} (1 = WORKLOADS.md sizes)");
    Sizes::from_env()
}

/// Per-implementation results of one group.
pub(crate) struct Summary {
    title: String,
    op: &'static str,
    rows: Vec<(String, bool, Vec<f64>, Option<f64>)>,
}

impl Summary {
    pub(crate) fn new(title: &str, op: &'static str) -> Self {
        Summary {
            title: title.to_string(),
            op,
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, label: String, baseline: bool, ns: Vec<f64>, moves: Option<f64>) {
        self.rows.push((label, baseline, ns, moves));
    }

    pub(crate) fn print(&self) {
        let best = self
            .rows
            .iter()
            .filter(|r| r.1)
            .map(|r| median(&r.2))
            .fold(f64::INFINITY, f64::min);
        println!(
            "\n== {} — ns per {} (median of all iterations) ==",
            self.title, self.op
        );
        for (label, baseline, ns, moves) in &self.rows {
            let m = median(ns);
            println!(
                "  {:<42} {:>10.1} ns  {:<24} {}{}",
                label,
                m,
                fmt_ratio(m / best),
                if *baseline { "[baseline]" } else { "" },
                moves.map_or(String::new(), |x| format!(" cascade moves/timer {x:.3}"))
            );
        }
        println!();
    }
}

struct Timed<'a, 'b> {
    g: &'a mut BenchmarkGroup<'b, WallTime>,
    label: &'a str,
    work: Work,
    reference: Digest,
}

impl Visitor for Timed<'_, '_> {
    type Out = (Vec<f64>, Option<f64>);

    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        let (work, reference, label) = (self.work, self.reference, self.label);
        let mut ns = Vec::new();
        let mut moves = None;
        self.g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let s = work
                        .visit(&mut make)
                        .unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert_eq!(
                        s.digest, reference,
                        "RESULT MISMATCH: {label} disagrees with the BinaryHeap reference"
                    );
                    total += Duration::from_secs_f64(s.wall_secs);
                    ns.push(s.wall_ns_per_op());
                    moves = s.moves_per_timer().or(moves);
                }
                total
            })
        });
        (ns, moves)
    }
}

/// Why a published wheel cannot run `work` honestly (an error from the
/// workload's check, or other expiries than the reference), from one
/// untimed run; `None` for hrwheel and the classic baselines, which must.
fn cannot_run(imp: Imp, work: Work, reference: Digest) -> Option<String> {
    if !Imp::PEER_WHEELS.contains(&imp) {
        return None;
    }
    match measure(imp, work) {
        Err(e) => Some(e.to_string()),
        Ok(s) if s.digest != reference => Some(format!(
            "its expiries differ ({} instead of {})",
            s.digest.expiries, reference.expiries
        )),
        Ok(_) => None,
    }
}

/// An extra row: label and a timed run of the workload.
pub(crate) type Extra = (&'static str, fn(Work) -> Result<Sample, CheckError>);

/// One criterion group timing whole runs of `work` on every
/// implementation, plus `extras` (label, timed run) in the same group.
pub(crate) fn whole_runs(
    c: &mut Criterion,
    name: &str,
    op: &'static str,
    work: Work,
    extras: &[Extra],
) {
    let reference = measure(Imp::Heap, work).unwrap_or_else(|e| panic!("reference run: {e}"));
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(reference.digest.ops));
    let mut summary = Summary::new(name, op);
    for imp in Imp::ALL {
        let label = imp.label(work.unit_ns());
        if let Some(why) = cannot_run(imp, work, reference.digest) {
            println!("{label}: n/a here: {why}");
            continue;
        }
        let (ns, moves) = imp.visit(
            work.unit_ns(),
            work.capacity(),
            Timed {
                g: &mut g,
                label: &label,
                work,
                reference: reference.digest,
            },
        );
        summary.push(label, imp.is_baseline(), ns, moves);
    }
    for &(label, f) in extras {
        let mut ns = Vec::new();
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let s = f(work).unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert_eq!(
                        s.digest, reference.digest,
                        "RESULT MISMATCH: {label} disagrees with the BinaryHeap reference"
                    );
                    total += Duration::from_secs_f64(s.wall_secs);
                    ns.push(s.wall_ns_per_op());
                }
                total
            })
        });
        summary.push(label.to_string(), false, ns, None);
    }
    g.finish();
    summary.print();
}

struct Pairs<'a, 'b> {
    g: &'a mut BenchmarkGroup<'b, WallTime>,
    label: &'a str,
    p: w2::Params,
    reference: Digest,
}

impl Visitor for Pairs<'_, '_> {
    type Out = Vec<f64>;

    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        let mut q = make();
        let mut st = w2::setup(&mut q, self.p);
        let mut ns = Vec::new();
        let label = self.label;
        self.g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                w2::pairs(&mut q, &mut st, iters).unwrap_or_else(|e| panic!("{label}: {e}"));
                let el = t.elapsed();
                ns.push(el.as_nanos() as f64 / iters.max(1) as f64);
                el
            })
        });
        let d = w2::finish(&mut q, &st).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(
            (d.expiries, d.hash),
            (self.reference.expiries, self.reference.hash),
            "RESULT MISMATCH: {label} disagrees with the BinaryHeap reference"
        );
        ns
    }
}

/// W2 for one P: every implementation in one group, one pair per
/// criterion iteration.
pub(crate) fn insert_cancel(c: &mut Criterion, outstanding: usize) {
    let p = w2::Params::new(outstanding, 0);
    let reference = w2::digest(&mut hrwheel_bench::baselines::LazyHeap::new(), p)
        .unwrap_or_else(|e| panic!("reference run: {e}"));
    let name = format!("w2_insert_cancel/P={outstanding}");
    let mut g = c.benchmark_group(&name);
    g.sample_size(20).throughput(Throughput::Elements(1));
    let mut summary = Summary::new(&name, "insert+cancel pair");
    for imp in Imp::ALL {
        let label = imp.label(MS);
        let ns = imp.visit(
            MS,
            outstanding + 1,
            Pairs {
                g: &mut g,
                label: &label,
                p,
                reference,
            },
        );
        summary.push(label, imp.is_baseline(), ns, None);
    }
    g.finish();
    summary.print();
}
