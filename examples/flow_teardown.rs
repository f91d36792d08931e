//! Flow tear-down with an in-flight timeout.
//!
//! A flow has an idle timer. The timer expires and its event is queued, but
//! before the worker gets to the queue the control plane tears the flow
//! down: `cancel` reports that the timer already expired, which makes the
//! queued event stale, and the timer is freed. When the worker finally
//! pops the event, `is_fresh` tells it to ignore it. Nothing leaks: the
//! event goes back to its pool.

use hrwheel::{ClockSource, Error, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};

const MS: u64 = 1_000_000;

/// Runs the example; an `Err` or a failed assertion is a bug.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (clock, mock) = ClockSource::mock();
    let pool = TimerPool::new(
        "flows",
        PoolParams::default()
            .resolution_ns(MS)
            .max_timeout_ns(60_000 * MS)
            .num_timers(64)
            .clock(clock),
    )?;
    let events = TimeoutPool::new(64)?;
    let worker_q = TimeoutQueue::new(64)?;

    // Two flows with 30 s idle timeouts.
    let flow_a = pool.alloc(&worker_q, 0xA)?;
    let flow_b = pool.alloc(&worker_q, 0xB)?;
    pool.set_rel(flow_a, 30_000, Some(events.alloc()?))?;
    pool.set_rel(flow_b, 45_000, Some(events.alloc()?))?;
    println!("flows A and B armed: idle timeouts at 30 s and 45 s");

    // 30 s pass: A's idle timeout fires, its event is in the worker's queue.
    mock.increment(30_000 * MS);
    assert_eq!(pool.expire(), 1);
    println!(
        "t=30 s: A's idle timer expired, its event is queued ({} in queue)",
        worker_q.len()
    );

    // Meanwhile the control plane tears A down (e.g. a FIN): too late to
    // cancel, the event is in flight.
    match pool.cancel(flow_a) {
        Err(Error::AlreadyExpired) => println!("tear-down of A: cancel says already expired"),
        other => panic!("expected AlreadyExpired, got {other:?}"),
    }
    assert!(
        pool.free(flow_a)?.is_none(),
        "nothing held: the event is in the queue"
    );
    println!("A's timer freed");

    // B is torn down before expiry: cancel returns its event.
    let ev_b = pool.cancel(flow_b)?;
    assert_eq!(ev_b.user_ctx(), 0xB);
    assert!(pool.free(flow_b)?.is_none());
    drop(ev_b);
    println!("tear-down of B: cancelled in time, event returned, timer freed");

    // The worker drains its queue: A's event is stale and ignored.
    let mut handled = 0;
    let mut ignored = 0;
    while let Some(ev) = worker_q.pop() {
        if pool.is_fresh(&ev) {
            handled += 1;
        } else {
            println!(
                "worker: stale timeout of flow {:#x} (set for tick {}) ignored",
                ev.user_ctx(),
                ev.tick()
            );
            assert_eq!(ev.user_ctx(), 0xA);
            ignored += 1;
        }
    }
    assert_eq!((handled, ignored), (0, 1));
    // Later expiry passes deliver nothing more.
    mock.increment(60_000 * MS);
    assert_eq!(pool.expire(), 0);
    assert_eq!(events.available(), events.capacity(), "every event is back");
    assert_eq!(pool.info().cur_timers, 0);
    pool.destroy().map_err(|(_, e)| e)?;
    println!("ok");
    Ok(())
}
