//! W5 through the pool's `Driver` alone (the report's last W5 table),
//! without the rest of the report: for looking at the lateness tail.
//!
//! ```text
//! cargo run --release -p hrwheel-bench --example w5_driver [-- <ms> [spin|park]]
//! ```

use hrwheel::DriverMode;
use hrwheel_bench::report::text::w5_driver_markdown;
use hrwheel_bench::workloads::w5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let ms = args.next().map_or(Ok(2_000), |a| a.parse::<u64>())?;
    let which = args.next().unwrap_or_else(|| "both".into());
    let p = w5::Params::with_duration_ms(ms);
    let mut rows = Vec::new();
    for (name, mode) in [
        ("Spin (last 200 µs)", DriverMode::spin()),
        ("Park", DriverMode::Park),
    ] {
        if which != "both" && !name.to_lowercase().starts_with(&which) {
            continue;
        }
        let (o, t) = w5::run_driver(p, mode)?;
        rows.push((name, o, t));
    }
    println!("{}", w5_driver_markdown(&rows, &p));
    Ok(())
}
