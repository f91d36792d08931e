//! F (WORKLOADS.md): W1, W2 (P = 1,000 and 1,000,000), W3 and W4 through
//! the public pool API beside the bare engine, one criterion group per
//! workload with three functions: the bare engine (`Wheel` for W1–W3,
//! `HiresQueue` for W4), a private pool (`LocalTimerPool`) and a shared
//! pool (`TimerPool`, 1 shard), on the engine's backend, driven as a user
//! would (see `hrwheel_bench::workloads::facade`). Each iteration is one
//! whole timed run (setup untimed, wall time); every run's digest must
//! equal the bare engine's. After each group a line prints the medians and
//! the pool / bare ratios (target <= 1.25x).
//!
//! Sizes are WORKLOADS.md's times `HRWHEEL_BENCH_SCALE` (e.g. 0.1).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use hrwheel::{Local, Shared};
use hrwheel_bench::report::{measure, median, Sample, Work};
use hrwheel_bench::scale::Sizes;
use hrwheel_bench::workloads::facade;
use hrwheel_bench::CheckError;

/// One timed run of a workload on one structure.
type Runner<'a> = &'a dyn Fn(Work) -> Result<Sample, CheckError>;

fn f_pool(c: &mut Criterion) {
    let sizes = Sizes::from_env();
    for (title, op, work) in facade::works(&sizes) {
        let (imp, bare_label) = facade::bare(&work);
        let bare = move |w: Work| measure(imp, w);
        let private = |w: Work| facade::measure_pool::<Local>(w, true);
        let shared = |w: Work| facade::measure_pool::<Shared>(w, true);
        let queued = |w: Work| facade::measure_pool::<Local>(w, false);
        let runners: [(&str, Runner); 4] = [
            (bare_label, &bare),
            ("private pool", &private),
            ("shared pool (1 shard)", &shared),
            ("private pool, events via queue", &queued),
        ];
        let reference = bare(work).unwrap_or_else(|e| panic!("{title}: {e}"));
        let name = format!("f_pool/{title}");
        let mut g = c.benchmark_group(&name);
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(200))
            .throughput(Throughput::Elements(reference.digest.ops));
        let mut medians = Vec::new();
        for (label, run) in runners {
            let mut ns = Vec::new();
            g.bench_function(label, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let s = run(work).unwrap_or_else(|e| panic!("{title} {label}: {e}"));
                        assert_eq!(
                            s.digest, reference.digest,
                            "RESULT MISMATCH: {title} {label} disagrees with the bare engine"
                        );
                        total += Duration::from_secs_f64(s.wall_secs);
                        ns.push(s.wall_ns_per_op());
                    }
                    total
                })
            });
            medians.push((label, median(&ns)));
        }
        g.finish();
        let b = medians[0].1;
        println!("\n== F {title}: ns per {op} (wall, median of all iterations) ==");
        for (label, m) in &medians {
            println!("  {label:<24} {m:>9.1} ns  {:.2}x bare", m / b);
        }
    }
}

criterion_group!(benches, f_pool);
criterion_main!(benches);
