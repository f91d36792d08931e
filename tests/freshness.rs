//! `is_fresh` over a timer slot's whole life: an event that left the pool
//! stays stale across many sets, cancel, free and re-allocation of the
//! same slot by other timers.

use hrwheel::{Backend, ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};

fn pool(backend: Backend) -> (LocalTimerPool, std::sync::Arc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = LocalTimerPool::new_local(
        "fresh",
        PoolParams::default()
            .resolution_ns(1_000)
            .min_timeout_ns(0)
            .max_timeout_ns(1_000_000_000)
            .num_timers(1)
            .clock(clock)
            .backend(backend),
    )
    .unwrap();
    (p, mock)
}

#[test]
fn delivered_event_stays_stale_across_sets_free_and_realloc() {
    let sets = if cfg!(miri) { 50 } else { 20_000 };
    let cycles = if cfg!(miri) { 5 } else { 500 };
    for backend in [Backend::Wheel, Backend::Hires] {
        let (pool, mock) = pool(backend);
        let q = TimeoutQueue::new(4).unwrap();
        let evs = TimeoutPool::new(8).unwrap();
        let t = pool.alloc(&q, 0).unwrap();
        pool.set_rel(t, 1, Some(evs.alloc().unwrap())).unwrap();
        mock.increment(1_000u64);
        assert_eq!(pool.expire(), 1);
        let old = q.pop().unwrap();
        assert!(pool.is_fresh(&old));

        // Many sets, each with a new event: every replaced event is stale
        // when handed back, and so is the delivered one.
        let mut ev = evs.alloc().unwrap();
        pool.set_rel(t, 100, Some(ev)).unwrap();
        assert!(!pool.is_fresh(&old));
        ev = evs.alloc().unwrap();
        for _ in 0..sets {
            let mut armed = pool.set_rel(t, 100, Some(ev)).unwrap();
            ev = armed.replaced.take().unwrap();
            assert!(!pool.is_fresh(&ev));
            // A reset keeping the held event.
            pool.set_rel(t, 50, None).unwrap();
        }
        assert!(!pool.is_fresh(&old));
        drop(ev);
        let cancelled = pool.cancel(t).unwrap();
        assert!(!pool.is_fresh(&cancelled));

        // Free and re-allocate the same (only) slot; each new timer's
        // delivered event is fresh until its timer moves on, every older
        // event stays stale.
        pool.free(t).unwrap();
        let mut delivered = Vec::new();
        for i in 0..cycles {
            let t = pool.alloc(&q, i).unwrap();
            assert!(!pool.is_fresh(&old));
            assert!(!pool.is_fresh(&cancelled));
            pool.set_rel(t, 1, Some(evs.alloc().unwrap())).unwrap();
            mock.increment(1_000u64);
            assert_eq!(pool.expire(), 1);
            let e = q.pop().unwrap();
            assert_eq!(e.timer(), Some(t));
            assert!(pool.is_fresh(&e));
            for d in &delivered {
                assert!(!pool.is_fresh(d));
            }
            assert!(pool.free(t).unwrap().is_none());
            assert!(!pool.is_fresh(&e), "free makes the delivered event stale");
            // Keep a couple of events around to check later (the event
            // pool has 4).
            if delivered.len() < 2 {
                delivered.push(e);
            }
        }
        assert!(!pool.is_fresh(&old));
    }
}
