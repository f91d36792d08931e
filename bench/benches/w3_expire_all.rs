//! W3 expire-all (docs/WORKLOADS.md): 1,000,000 timers at random deadlines in
//! [1, 2^20] ticks, then advance to `next_deadline()` until all expired.
//! Arming is untimed; ns per expired timer and the wheel's cascade moves
//! per timer are printed. `HRWHEEL_BENCH_SCALE=0.1` shrinks it.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use hrwheel_bench::report::Work;

fn w3(c: &mut Criterion) {
    let sizes = common::sizes();
    common::whole_runs(c, "w3_expire_all", "expired timer", Work::W3(sizes.w3), &[]);
}

criterion_group!(benches, w3);
criterion_main!(benches);
