//! W1 churn (docs/WORKLOADS.md) through the facade versus the bare
//! wheel: what the pool/timer/timeout API layer costs.
//!
//! The same W1 driver (`hrwheel_bench::workloads::w1`: 400,000 timers,
//! timeouts uniform in [400, 600] ticks, 2,400 resets per tick, expired
//! timers re-armed at once, 600 warm-up ticks then 2,000 timed ticks) runs
//! over:
//! - `wheel (bare)`: `hrwheel_wheel::Wheel` through the bench crate's
//!   adapter;
//! - `facade local/wheel`: a `LocalTimerPool` on the wheel (no lock);
//! - `facade shared/wheel`: a `TimerPool` on the wheel (uncontended mutex);
//! - `highres (bare)`: `hrwheel_hires::HiresQueue` through the bench
//!   crate's adapter;
//! - `facade local/highres`: a `LocalTimerPool` on the red-black tree.
//!
//! Through the facade a reset is `set_abs(timer, tick, None)`; an expiry is
//! the pool delivering the event to a `TimeoutQueue`, the driver popping it
//! and re-arming with `set_abs(timer, tick, Some(event))`. Each pool reads a
//! mock clock (advanced one tick per workload tick), so the clock costs an
//! atomic load, not a TSC read.
//!
//! Before criterion runs, five timed runs per variant print the median ns
//! per operation in thread CPU time (time descheduled on a shared machine
//! left out, as in the report) and in wall time (an operation is a reset
//! or an expiry), and check that all variants fired exactly the same
//! `(deadline, id)` multiset (equal digests). `HRWHEEL_BENCH_SCALE=f`
//! multiplies the timers, resets per tick and timed ticks (e.g. 0.05 for a
//! quick run).
//!
//! Where the facade's cost comes from (perf, full W1): nearly all of the
//! time added in `Core::set` is the load of the timer's slot. At 400,000
//! timers the slot table (64-byte slots: 25.6 MB) and the wheel's entries
//! do not fit in cache, so a reset through the facade takes two cache
//! misses (slot, then wheel entry) where the bare wheel takes one; the
//! lock (`RefCell` flag or uncontended mutex), the clock read and the
//! handle checks are small next to that. One measured run on the shared
//! 2-core machine while other jobs were running (load average ~8, so the
//! absolute figures are inflated; wall time): bare wheel 569 ns/op, facade local
//! 1,310 (2.3x), facade shared 1,289 (2.3x), bare tree 2,497, facade on
//! the tree 4,059 (1.6x the bare tree).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hrwheel::{Backend, Local, Shared};
use hrwheel_bench::adapters::{FacadeAdapter, HiresAdapter, WheelAdapter};
use hrwheel_bench::report::{Sample, Work};
use hrwheel_bench::workloads::w1;
use hrwheel_bench::{Digest, TimerQueue};

fn params() -> w1::Params {
    let scale = std::env::var("HRWHEEL_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|f| *f > 0.0)
        .unwrap_or(1.0);
    if scale == 1.0 {
        w1::Params::reference()
    } else {
        w1::Params::scaled(scale, scale)
    }
}

#[derive(Clone, Copy)]
enum Variant {
    Bare,
    LocalWheel,
    SharedWheel,
    BareHires,
    LocalHires,
}

const VARIANTS: [(Variant, &str); 5] = [
    (Variant::Bare, "wheel (bare)"),
    (Variant::LocalWheel, "facade local/wheel"),
    (Variant::SharedWheel, "facade shared/wheel"),
    (Variant::BareHires, "highres (bare)"),
    (Variant::LocalHires, "facade local/highres"),
];

/// Timed runs per variant for the printed table (median taken).
const RUNS: usize = 5;

/// One W1 run through the bench crate's driver: setup (untimed), timed
/// run; the sample has thread CPU time and wall time of the timed phase.
fn one_run(v: Variant, p: w1::Params) -> Sample {
    fn go<Q: TimerQueue>(q: Q, p: w1::Params) -> Sample {
        Work::W1(p).run_on(q).expect("W1 run checks")
    }
    match v {
        Variant::Bare => go(WheelAdapter::with_capacity(p.timers), p),
        Variant::LocalWheel => go(
            FacadeAdapter::<Local>::with_backend("facade local/wheel", Backend::Wheel, p.timers)
                .expect("valid W1 pool"),
            p,
        ),
        Variant::SharedWheel => go(
            FacadeAdapter::<Shared>::with_backend("facade shared/wheel", Backend::Wheel, p.timers)
                .expect("valid W1 pool"),
            p,
        ),
        Variant::BareHires => go(HiresAdapter::with_capacity(p.timers), p),
        Variant::LocalHires => go(
            FacadeAdapter::<Local>::with_backend("facade local/highres", Backend::Hires, p.timers)
                .expect("valid W1 pool"),
            p,
        ),
    }
}

fn w1_facade(c: &mut Criterion) {
    let p = params();
    println!(
        "W1 through the facade: {} timers, {} resets/tick, {} timed ticks",
        p.timers, p.resets_per_tick, p.ticks
    );
    println!("median of {RUNS} runs, ns per operation (reset or expiry), thread CPU time (wall):");
    let mut reference: Option<(f64, Digest)> = None;
    let mut bare_hires = 0.0;
    for (v, name) in VARIANTS {
        let mut ns: Vec<f64> = Vec::with_capacity(RUNS);
        let mut wall: Vec<f64> = Vec::with_capacity(RUNS);
        let mut digest = None;
        for _ in 0..RUNS {
            let s = one_run(v, p);
            ns.push(s.ns_per_op());
            wall.push(s.wall_ns_per_op());
            digest = Some(s.digest);
        }
        ns.sort_by(f64::total_cmp);
        wall.sort_by(f64::total_cmp);
        let (ns_op, wall_op) = (ns[RUNS / 2], wall[RUNS / 2]);
        let Some(d) = digest else { continue };
        let (bare_ns, bare_d) = *reference.get_or_insert((ns_op, d));
        assert_eq!(d, bare_d, "{name} fired something else than the bare wheel");
        if matches!(v, Variant::BareHires) {
            bare_hires = ns_op;
        }
        let vs_engine = match v {
            Variant::LocalHires if bare_hires > 0.0 => {
                format!(", {:.2}x bare highres", ns_op / bare_hires)
            }
            _ => String::new(),
        };
        println!(
            "  {name:<22} {ns_op:>7.1} ns/op ({wall_op:>7.1})  ({:.2}x bare wheel{vs_engine})  ops {} expiries {}",
            ns_op / bare_ns,
            d.ops,
            d.expiries
        );
    }
    let ops = reference.map_or(1, |(_, d)| d.ops);

    let mut g = c.benchmark_group("w1_facade");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(ops));
    for (v, name) in VARIANTS {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| Duration::from_secs_f64(one_run(v, p).wall_secs))
                    .sum()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, w1_facade);
criterion_main!(benches);
