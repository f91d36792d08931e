//! W4 precise periodic (docs/WORKLOADS.md): 10,000 periodic timers, ns
//! deadlines, periods in [10 µs, 10 ms], 1 s of virtual time; ns per
//! expiry + re-arm. In one group: HiresQueue driven like the baselines
//! (one-shot re-arm) and with native `insert_periodic`, BinaryHeap,
//! BTreeMap, the wheel at 1 µs ticks and DelayQueue at 1 ms (the coarse two
//! fire up to a granule late, never early; digests still match).
//! `HRWHEEL_BENCH_SCALE=0.1` shortens the virtual time.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use hrwheel_bench::report::{measure_hires_periodic, Sample, Work};
use hrwheel_bench::CheckError;

fn periodic(w: Work) -> Result<Sample, CheckError> {
    match w {
        Work::W4(p) => measure_hires_periodic(p),
        other => Err(CheckError::Bookkeeping {
            imp: "hrwheel HiresQueue (insert_periodic)",
            what: format!("not a W4 workload: {other:?}"),
        }),
    }
}

fn w4(c: &mut Criterion) {
    let sizes = common::sizes();
    common::whole_runs(
        c,
        "w4_periodic",
        "expiry + re-arm",
        Work::W4(sizes.w4),
        &[("hrwheel HiresQueue (insert_periodic)", periodic)],
    );
}

criterion_group!(benches, w4);
criterion_main!(benches);
