//! A 1733 Hz periodic tick on the real clock (TSC), driven by absolute
//! re-arming.
//!
//! Re-arming relative to "now" accumulates every bit of lateness as drift.
//! Instead each expiry re-arms at the previous *scheduled* tick plus the
//! period (`set_abs`), so lateness never moves the schedule. 1733 Hz is a
//! period of 577,034.2... ns, not a whole number of 1 µs ticks: the period
//! in ticks alternates between 577 and 578 (a Bresenham step on the exact
//! schedule `k * 1e9 / 1733` ns), so after `k` periods the schedule is at
//! most one tick off the ideal, whatever `k` is.
//!
//! The pool has 1 µs ticks, so `Backend::Auto` picks the high-resolution
//! queue. The program busy-polls `expire` for 1733 periods (1 s) and
//! checks: every expiry is for the scheduled tick, none is early, and the
//! last scheduled tick is exactly where 1733 ideal periods end.

use hrwheel::{Backend, ClockSource, Error, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};

const HZ: u64 = 1733;
const RES_NS: u64 = 1_000;
const PERIODS: u64 = HZ; // one second

/// The tick of the `k`-th expiry after `start`: exact rational schedule.
fn scheduled(start: u64, k: u64) -> u64 {
    start + ((k as u128 * 1_000_000_000) / (HZ as u128 * RES_NS as u128)) as u64
}

/// Runs the example; an `Err` or a failed assertion is a bug.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = TimerPool::new_local(
        "tick-1733",
        PoolParams::default()
            .resolution_ns(RES_NS)
            .min_timeout_ns(0)
            .max_timeout_ns(1_000_000_000)
            .num_timers(1)
            .clock(ClockSource::tsc())
            .backend(Backend::Auto),
    )?;
    assert_eq!(pool.info().backend, Backend::Hires);
    let events = TimeoutPool::new(1)?;
    let q = TimeoutQueue::new(1)?;
    let timer = pool.alloc(&q, 0)?;

    let start = pool.current_tick() + 10;
    println!(
        "1733 Hz on 1 µs ticks ({:?}), {PERIODS} periods",
        pool.info().backend
    );

    let mut fired = 0u64;
    let mut skipped = 0u64;
    let mut max_late_ns = 0u64;
    let mut period_ticks = [0u64; 2];
    let mut ev = Some(events.alloc()?);
    let mut k = 0;
    loop {
        // Arm the next point of the schedule: previous scheduled tick + 577
        // or 578. If this thread was descheduled for more than a period,
        // that point has passed (TooEarly): skip to the next one, no
        // catch-up burst, no drift.
        loop {
            k += 1;
            if k > PERIODS {
                break;
            }
            let next = scheduled(start, k);
            period_ticks[(next - scheduled(start, k - 1) - 577) as usize] += 1;
            match pool.set_abs(timer, next, ev.take()) {
                Ok(_) => break,
                Err(e) if e.error == Error::TooEarly => {
                    skipped += 1;
                    ev = e.into_event();
                }
                Err(e) => return Err(e.error.into()),
            }
        }
        if k > PERIODS {
            break;
        }
        // Busy-poll, as a data-plane core would.
        let got = loop {
            if pool.expire() > 0 {
                if let Some(got) = q.pop() {
                    break got;
                }
            }
            std::hint::spin_loop();
        };
        let now_ns = pool.tick_to_ns(pool.current_tick());
        let due_ns = pool.tick_to_ns(got.tick());
        assert_eq!(
            got.tick(),
            scheduled(start, k),
            "expiry for the scheduled tick"
        );
        assert!(now_ns >= due_ns, "never early");
        max_late_ns = max_late_ns.max(now_ns - due_ns);
        fired += 1;
        ev = Some(got);
    }
    let last = scheduled(start, PERIODS);
    println!(
        "{fired} expiries, {skipped} skipped (late by more than a period), max lateness {max_late_ns} ns"
    );
    println!(
        "periods of 577 ticks: {}, of 578 ticks: {}; last tick {} = start + {} µs",
        period_ticks[0],
        period_ticks[1],
        last,
        last - start
    );
    assert_eq!(fired + skipped, PERIODS);
    assert_eq!(period_ticks[0] + period_ticks[1], PERIODS);
    assert_eq!(
        last - start,
        1_000_000,
        "1733 periods end exactly 1 s after the start"
    );
    // How many fire depends on how often this process is descheduled (a
    // loaded 2-core machine skips many); the schedule does not.
    assert!(fired > 0);
    println!("ok");
    Ok(())
}
