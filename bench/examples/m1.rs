//! M1 (per-core churn on the real clock) in a process of its own, at the
//! report's default sizes and at smaller populations per thread:
//!
//! ```text
//! cargo run --release -p hrwheel-bench --example m1
//! ```
//!
//! Prints, per population, each variant's median throughput at T = 1 and
//! T = 2 and the scaling. The report runs M1 after every other workload in
//! one long process; this runs it alone, to tell the pool's scaling from
//! what the process and the machine were doing meanwhile.

use hrwheel_bench::scale::Mode;
use hrwheel_bench::workloads::m1::{self, Variant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for timers in [25_000usize, 50_000, 200_000] {
        let p = m1::Params {
            timers,
            threads: vec![1, 2],
            ..m1::Params::of(Mode::Default)
        };
        let all = m1::run(&p, |_| {})?;
        for v in Variant::ALL {
            let (one, two) = (m1::median_ops(&all, v, 1), m1::median_ops(&all, v, 2));
            println!(
                "{timers:>7} timers per thread  {:<42} T = 1 {:>6.2} M/s  T = 2 {:>6.2} M/s  scaling {:.2}",
                v.label(),
                one / 1e6,
                two / 1e6,
                two / one
            );
        }
    }
    Ok(())
}
