//! W1 churn (docs/WORKLOADS.md): 400,000 timers, 2,400 resets per 1 ms tick,
//! 2,000 timed ticks after a 600-tick warm-up; every implementation in one
//! group. Prints ns per reset/expiry and the wheel's cascade moves per
//! expired timer. `HRWHEEL_BENCH_SCALE=0.1` shrinks it.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use hrwheel_bench::report::Work;

fn w1(c: &mut Criterion) {
    let sizes = common::sizes();
    common::whole_runs(c, "w1_churn", "reset or expiry", Work::W1(sizes.w1), &[]);
}

criterion_group!(benches, w1);
criterion_main!(benches);
