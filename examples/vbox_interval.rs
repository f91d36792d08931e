//! A VirtualBox-style periodic timer (`RTTimerLRCreate` + `RTTimerLRStart`)
//! whose interval changes while it runs (`RTTimerLRChangeInterval`), from
//! outside its callback and from inside it, on a high-resolution pool
//! (1 ns ticks) driven by a mock clock so every expiry can be checked:
//!
//! - periods of 1 ms, then 3 ms (changed by the application), then 250 µs
//!   (changed by the callback itself), then the callback stops the timer;
//! - each expiry lands exactly on the grid of the period in force: the
//!   expiry already scheduled when the interval changes stays, the ones
//!   after it follow the new interval from it (no drift, no catch-up burst);
//! - a pass that comes late reports the periods it skipped as overruns
//!   instead of firing them all (IPRT's catch-up without drift).
//!
//! `cargo run --release --example vbox_interval`

use std::sync::{Arc, Mutex};

use hrwheel::{Backend, ClockSource, Expiry, LocalTimerPool, PoolParams};

const MS: u64 = 1_000_000;

/// Runs the example; an `Err` or a failed assertion is a bug.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (clock, mock) = ClockSource::mock();
    let pool = LocalTimerPool::new_local(
        "vbox",
        PoolParams::default()
            .resolution_ns(1)
            .max_timeout_ns(10_000 * MS)
            .clock(clock)
            .backend(Backend::Hires),
    )?;
    let log: Arc<Mutex<Vec<Expiry>>> = Arc::default();
    let l = log.clone();
    let t = pool.alloc_callback(0, move |pool, e| {
        let n = {
            let mut v = l.lock().unwrap();
            v.push(e);
            v.len()
        };
        if n == 8 {
            pool.set_period(e.timer, 250_000).unwrap(); // from inside
        }
        if n == 14 {
            pool.stop(e.timer).unwrap();
        }
    })?;
    pool.start_periodic(t, Some(MS), MS, None)?;

    let mut now = 0;
    let mut step = |pool: &LocalTimerPool, to: u64| {
        mock.increment(to - now);
        now = to;
        pool.expire();
    };
    // Run to each deadline, except one late pass.
    while let Some(d) = pool.next_deadline() {
        let runs = log.lock().unwrap().len();
        if runs == 3 {
            pool.set_period(t, 3 * MS)?; // from outside, while it runs
        }
        let late = if runs == 5 { 7 * MS } else { 0 }; // a late pass
        step(&pool, d + late);
    }

    let log = log.lock().unwrap();
    for e in log.iter() {
        println!(
            "expiry at {:>9} ns, period {:>7?} ns, overruns {}",
            e.tick, e.period, e.overruns
        );
    }
    let ticks: Vec<u64> = log.iter().map(|e| e.tick).collect();
    // 1 ms grid: 1, 2, 3, 4 ms (the 4 ms expiry was scheduled when the
    // period changed after the 3rd run), then 3 ms steps from 4 ms: 7; the
    // pass for 10 ms comes 7 ms late (at 17 ms): it fires 10 ms once with
    // 2 overruns (13 and 16 ms folded in), then 19, 22 ms; the callback
    // changes the period to 250 µs at its 8th run (22 ms), so 22.25 ms...
    let want: Vec<u64> = [1, 2, 3, 4, 7, 10, 19, 22]
        .iter()
        .map(|ms| ms * MS)
        .chain((1..=6).map(|k| 22 * MS + k * 250_000))
        .collect();
    assert_eq!(ticks, want);
    assert_eq!(log[5].overruns, 2, "the late pass folds two periods");
    assert!(log
        .iter()
        .enumerate()
        .all(|(i, e)| i == 5 || e.overruns == 0));
    assert!(!pool.is_pending(t)?, "stopped by its callback");
    Ok(())
}
