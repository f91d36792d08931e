//! Events deferred behind a full queue keep their expiry order once the
//! queue has room again, also when a consumer pops while `expire` runs and
//! when new timers expire while older events still wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hrwheel::{Backend, ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};

fn params(n: usize, clock: ClockSource, backend: Backend) -> PoolParams {
    PoolParams::default()
        .resolution_ns(1)
        .min_timeout_ns(0)
        .max_timeout_ns(1 << 40)
        .num_timers(n)
        .clock(clock)
        .backend(backend)
}

fn non_decreasing(seen: &[u64]) -> bool {
    seen.windows(2).all(|w| w[0] <= w[1])
}

/// Single thread: a queue of 2, one timer per tick, one event popped
/// between passes while more expire. Every event gets deferred at some
/// point; the popped ticks must come out in expiry order.
#[test]
fn deferred_events_keep_order_single_thread() {
    for backend in [Backend::Wheel, Backend::Hires] {
        let n = if cfg!(miri) { 24 } else { 200 };
        let (clock, mock) = ClockSource::mock();
        let pool = TimerPool::new("ord1", params(n, clock, backend)).unwrap();
        let q = TimeoutQueue::new(2).unwrap();
        let evs = TimeoutPool::new(n).unwrap();
        for i in 0..n {
            let t = pool.alloc(&q, i as u64).unwrap();
            pool.set_abs(t, 1 + i as u64, Some(evs.alloc().unwrap()))
                .unwrap();
        }
        let mut seen = Vec::with_capacity(n);
        // Two timers expire per pass, one event is popped per pass: the
        // pending list grows while new expiries keep arriving.
        for _ in 0..n {
            mock.increment(2u64);
            pool.expire();
            if let Some(e) = q.pop() {
                seen.push(e.tick());
            }
        }
        while seen.len() < n {
            pool.expire();
            seen.push(q.pop().expect("pending events drain").tick());
        }
        assert!(pool.info().deferred > 0, "the test must defer events");
        assert_eq!(pool.info().pending, 0);
        assert!(
            non_decreasing(&seen),
            "{backend:?} delivery order: {seen:?}"
        );
    }
}

/// A consumer thread pops while `expire` runs: an event pushed after an
/// older one of the same queue failed must not overtake it. Bounded in
/// time: the consumer gives up after a deadline instead of spinning.
#[test]
fn deferred_events_keep_order_with_concurrent_consumer() {
    let n = if cfg!(miri) { 32 } else { 256 };
    let rounds = if cfg!(miri) { 1 } else { 20 };
    for _ in 0..rounds {
        let (clock, mock) = ClockSource::mock();
        let pool = TimerPool::new("ord2", params(n, clock, Backend::Hires)).unwrap();
        let q = TimeoutQueue::new(2).unwrap();
        let evs = TimeoutPool::new(n).unwrap();
        for i in 0..n {
            let t = pool.alloc(&q, i as u64).unwrap();
            pool.set_abs(t, 1 + i as u64, Some(evs.alloc().unwrap()))
                .unwrap();
        }
        let done = Arc::new(AtomicBool::new(false));
        let (q2, d2) = (q.clone(), done.clone());
        let consumer = std::thread::spawn(move || {
            let give_up = Instant::now() + Duration::from_secs(20);
            let mut seen = Vec::with_capacity(n);
            while Instant::now() < give_up {
                match q2.pop() {
                    Some(e) => seen.push(e.tick()),
                    None if d2.load(Ordering::Acquire) && q2.is_empty() => break,
                    None => std::thread::yield_now(),
                }
            }
            seen
        });
        for _ in 0..(n + 10) {
            mock.increment(1u64);
            pool.expire();
        }
        let give_up = Instant::now() + Duration::from_secs(20);
        while pool.info().pending > 0 && Instant::now() < give_up {
            pool.expire();
        }
        done.store(true, Ordering::Release);
        let seen = consumer.join().unwrap();
        assert_eq!(seen.len(), n, "every event delivered");
        assert!(non_decreasing(&seen), "delivery order: {seen:?}");
    }
}
