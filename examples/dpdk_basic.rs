//! DPDK's basic timer test (`app/test/test_timer.c`, `timer_basic`), as a
//! program on one shared pool with a shard per "lcore" (a thread here), on
//! the real clock:
//!
//! - `timer0`: periodic, on the main lcore's shard;
//! - `timer1`: one-shot, re-armed by its own callback on the *other* lcore
//!   (`move_to`, then `set_rel` on the new key), so it alternates between
//!   the two shards;
//! - `timer2`: periodic on lcore 1, stopped from lcore 0 with `stop`
//!   (retried while its callback is running there: DPDK's -1);
//! - `timer3`: periodic on lcore 0, stopped from lcore 1 with `stop_sync`:
//!   once that returns, its callback never runs again.
//!
//! Each lcore polls its own shard (`expire_shard`, DPDK's
//! `rte_timer_manage`). One difference from DPDK: a timer's key changes when
//! it moves to another shard (`move_to` returns the new one; the callback
//! sees the new key in its next `Expiry`).
//!
//! `cargo run --release --example dpdk_basic`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hrwheel::{Error, PoolParams, TimerPool};

const MS: u64 = 1_000_000;

/// Runs the example; an `Err` or a failed assertion is a bug.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = Arc::new(TimerPool::new(
        "dpdk-basic",
        PoolParams::default().resolution_ns(100_000).shards(2), // 100 µs ticks
    )?);
    let ticks = |ms: u64| ms * MS / 100_000;

    let t0_runs = Arc::new(AtomicU64::new(0));
    let r = t0_runs.clone();
    let timer0 = pool.alloc_callback_on(0, 0, move |_, e| {
        assert_eq!(e.timer.shard(), 0, "timer0 runs on lcore 0");
        r.fetch_add(1, Ordering::Relaxed);
    })?;
    pool.start_periodic(timer0, None, ticks(20), None)?;

    // timer1: where it ran, in order. Like DPDK's `rte_timer_reset(tim,
    // hz, SINGLE, next_lcore, ..)` from its own callback.
    let t1_shards = Arc::new(Mutex::new(Vec::new()));
    let s1 = t1_shards.clone();
    let timer1 = pool.alloc_callback_on(0, 1, move |pool, e| {
        s1.lock().unwrap().push(e.timer.shard());
        let moved = pool
            .move_to(e.timer, 1 - e.timer.shard())
            .expect("a running timer moves itself");
        pool.set_rel(moved, ticks(10), None)
            .expect("10 ms is in range");
    })?;
    pool.set_rel(timer1, ticks(10), None)?;

    let t2_runs = Arc::new(AtomicU64::new(0));
    let r = t2_runs.clone();
    let timer2 = pool.alloc_callback_on(1, 2, move |_, _| {
        r.fetch_add(1, Ordering::Relaxed);
    })?;
    pool.start_periodic(timer2, None, ticks(5), None)?;

    let t3_runs = Arc::new(AtomicU64::new(0));
    let r = t3_runs.clone();
    let timer3 = pool.alloc_callback_on(0, 3, move |_, _| {
        r.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_micros(200)); // widen the running window
    })?;
    pool.start_periodic(timer3, None, ticks(5), None)?;

    let start = Instant::now();
    let run_for = Duration::from_millis(400);
    let stop_t2_at = Duration::from_millis(100);
    let stop_t3_at = Duration::from_millis(200);
    let done = Arc::new(AtomicBool::new(false));
    let t3_after_stop = Arc::new(AtomicU64::new(u64::MAX));

    let lcores: Vec<_> = (0..2usize)
        .map(|lcore| {
            let pool = pool.clone();
            let done = done.clone();
            let t3_runs = t3_runs.clone();
            let t3_after_stop = t3_after_stop.clone();
            thread::spawn(move || -> Result<u64, Error> {
                let mut stop_retries = 0u64;
                let (mut t2_stopped, mut t3_stopped) = (false, false);
                while start.elapsed() < run_for {
                    pool.expire_shard(lcore)?;
                    if lcore == 0 && !t2_stopped && start.elapsed() >= stop_t2_at {
                        match pool.stop(timer2) {
                            Err(Error::Running) => stop_retries += 1,
                            r => {
                                r?;
                                t2_stopped = true;
                            }
                        }
                    }
                    if lcore == 1 && !t3_stopped && start.elapsed() >= stop_t3_at {
                        pool.stop_sync(timer3)?;
                        t3_after_stop.store(t3_runs.load(Ordering::SeqCst), Ordering::SeqCst);
                        t3_stopped = true;
                    }
                    std::hint::spin_loop();
                }
                done.store(true, Ordering::Relaxed);
                Ok(stop_retries)
            })
        })
        .collect();
    let mut retries = 0;
    for h in lcores {
        retries += h.join().map_err(|_| "lcore panicked")??;
    }

    let t0 = t0_runs.load(Ordering::Relaxed);
    let t2 = t2_runs.load(Ordering::Relaxed);
    let t3 = t3_runs.load(Ordering::SeqCst);
    let shards = t1_shards.lock().unwrap().clone();
    println!("timer0 (periodic 20 ms, lcore 0): {t0} runs");
    println!("timer1 (one-shot, moved each time): ran on lcores {shards:?}");
    println!("timer2 (periodic 5 ms, stopped from lcore 0 at 100 ms): {t2} runs, {retries} stop retries while running");
    println!("timer3 (periodic 5 ms, stop_sync from lcore 1 at 200 ms): {t3} runs");

    assert!(t0 >= 5, "timer0 ran {t0} times in 400 ms");
    assert!(shards.len() >= 4, "timer1 ran {} times", shards.len());
    assert!(
        shards.windows(2).all(|w| w[0] != w[1]),
        "timer1 alternates lcores: {shards:?}"
    );
    assert!(t2 >= 1 && !pool.is_pending(timer2)?, "timer2 stopped");
    assert_eq!(
        t3,
        t3_after_stop.load(Ordering::SeqCst),
        "timer3 never ran after stop_sync returned"
    );
    assert!(!pool.is_pending(timer3)? && !pool.is_running(timer3)?);
    assert!(done.load(Ordering::Relaxed));
    Ok(())
}
