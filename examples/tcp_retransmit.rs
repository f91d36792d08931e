//! TCP-style retransmission timer: reset on every ack, fires only on loss.
//!
//! One connection sends a segment every 10 ms; each is acked 30 ms later
//! and every ack pushes the retransmission timeout (RTO, 200 ms) back. For
//! the first second nothing fires. Then the peer goes silent: the timer
//! fires exactly RTO after the last ack, once. Time is a mock clock, so the
//! run is deterministic and instant.

use hrwheel::{Backend, ClockSource, Error, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};

const MS: u64 = 1_000_000;
const RTO_MS: u64 = 200;

/// Runs the example; an `Err` or a failed assertion is a bug.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (clock, mock) = ClockSource::mock();
    let pool = TimerPool::new(
        "tcp-rto",
        PoolParams::default()
            .resolution_ns(MS)
            .min_timeout_ns(MS)
            .max_timeout_ns(120_000 * MS)
            .num_timers(1024)
            .clock(clock)
            .backend(Backend::Auto),
    )?;
    let events = TimeoutPool::new(1024)?;
    let rx = TimeoutQueue::new(1024)?;
    let conn_id = 17;
    let rto = pool.alloc(&rx, conn_id)?;
    println!(
        "connection {conn_id}: RTO {RTO_MS} ms on a {:?} pool",
        pool.info().backend
    );

    let mut last_ack_tick = None;
    let mut resets = 0;
    for ms in 0..1_300u64 {
        // Acks arrive 30 ms after each send, until the peer dies at 1 s.
        if ms >= 30 && ms % 10 == 0 && ms <= 1_000 {
            let first = last_ack_tick.is_none();
            // First ack arms with a fresh event; later acks push the
            // deadline back reusing the event the timer holds.
            let ev = if first { Some(events.alloc()?) } else { None };
            let armed = pool.set_rel(rto, ns_ticks(RTO_MS), ev)?;
            last_ack_tick = Some(pool.current_tick());
            resets += 1;
            assert_eq!(armed.tick, pool.current_tick() + RTO_MS);
        }
        pool.expire();
        if let Some(ev) = rx.pop() {
            assert!(pool.is_fresh(&ev));
            assert_eq!(ev.user_ctx(), conn_id);
            let fired = pool.current_tick();
            let last = last_ack_tick.expect("armed");
            println!(
                "t={fired} ms: retransmission timeout for connection {} (last ack at {last} ms, {resets} resets)",
                ev.user_ctx()
            );
            assert_eq!(
                fired,
                last + RTO_MS,
                "fires exactly one RTO after the last ack"
            );
            assert_eq!(ev.tick(), last + RTO_MS);
            assert!(fired > 1_000, "no retransmission while acks flow");
            // Retransmit, back off: re-arm with the event we just received.
            pool.set_rel(rto, 2 * RTO_MS, Some(ev))?;
        }
        mock.increment(MS);
    }
    let info = pool.info();
    println!(
        "{resets} acks reset the timer; it expired {} time(s)",
        info.expired
    );
    assert_eq!(info.expired, 1, "fired only on loss");
    // Tear down: the backed-off timer is still set, cancel gets the event.
    let ev = pool.cancel(rto)?;
    assert_eq!(ev.timer(), Some(rto));
    assert!(matches!(pool.cancel(rto), Err(Error::NotArmed)));
    assert!(pool.free(rto)?.is_none());
    println!("ok");
    Ok(())
}

/// RTO in ticks (1 tick = 1 ms here).
fn ns_ticks(ms: u64) -> u64 {
    ms
}
