//! One F workload on one implementation, for profilers (callgrind counts
//! instructions per operation; how `docs/report` quotes them):
//!
//! ```text
//! cargo build --release -p hrwheel-bench --example f_profile
//! valgrind --tool=callgrind --toggle-collect='*workloads::w2::run*' \
//!     target/release/examples/f_profile w2 private
//! ```
//!
//! Workloads: `w1`, `w2` (P = 1000), `w2m` (P = 1,000,000), `w3`, `w4`, at
//! the report's `--quick` sizes, or its default sizes with a third argument
//! `default` (where the working set leaves the cache, as in the report). Implementations: `bare` (the engine),
//! `private` (`LocalTimerPool`), `shared` (`TimerPool`, one shard), both
//! handing events over with `expire_into`, and `queued` (the private pool,
//! events popped from its `TimeoutQueue`).

use hrwheel::{Local, Shared};
use hrwheel_bench::report::{measure, Work};
use hrwheel_bench::scale::{Mode, Sizes};
use hrwheel_bench::workloads::facade;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (w, imp) = (
        args.next().unwrap_or_else(|| "w2".into()),
        args.next().unwrap_or_else(|| "private".into()),
    );
    let sizes = Sizes::of(match args.next().as_deref() {
        Some("default") => Mode::Default,
        _ => Mode::Quick,
    });
    let works = facade::works(&sizes);
    let i = ["w1", "w2", "w2m", "w3", "w4"]
        .iter()
        .position(|&n| n == w)
        .ok_or("workload: w1, w2, w2m, w3 or w4")?;
    let work: Work = works[i].2;
    let s = match imp.as_str() {
        "bare" => measure(facade::bare(&work).0, work)?,
        "private" => facade::measure_pool::<Local>(work, true)?,
        "shared" => facade::measure_pool::<Shared>(work, true)?,
        "queued" => facade::measure_pool::<Local>(work, false)?,
        _ => return Err("implementation: bare, private, shared or queued".into()),
    };
    println!(
        "{} {}: {} timed ops, {:.1} ns per op (CPU time)",
        w,
        imp,
        s.digest.ops,
        s.secs * 1e9 / s.digest.ops.max(1) as f64
    );
    Ok(())
}
