//! W2 insert-cancel (docs/WORKLOADS.md): arm a timer at a random deadline in
//! [1, 65,536] ticks and cancel it at once, with P = 1,000 and 1,000,000
//! other timers outstanding; every implementation in one group per P.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};

fn w2(c: &mut Criterion) {
    let sizes = common::sizes();
    for p in sizes.w2_outstanding {
        common::insert_cancel(c, p);
    }
}

criterion_group!(benches, w2);
criterion_main!(benches);
