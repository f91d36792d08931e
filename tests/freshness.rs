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

/// What an event says is written into its buffer when it enters a timer
/// and rewritten when it leaves only if the timer's key or stamp changed
/// since, or periods were skipped. Each way it can change is checked
/// here: the event must say the timer, tick and context of the setting it
/// left, and be fresh exactly when that setting is current.
#[test]
fn a_leaving_event_says_its_latest_setting() {
    for backend in [Backend::Wheel, Backend::Hires] {
        let (clock, mock) = ClockSource::mock();
        let pool = hrwheel::TimerPool::new(
            "says",
            PoolParams::default()
                .resolution_ns(1_000)
                .min_timeout_ns(0)
                .max_timeout_ns(1_000_000_000)
                .num_timers(4)
                .shards(2)
                .clock(clock)
                .backend(backend),
        )
        .unwrap();
        let q = TimeoutQueue::new(8).unwrap();
        let evs = TimeoutPool::new(8).unwrap();

        // Moved while holding its event: the delivered event names the
        // new key, is fresh, and its buffer no longer says the old key.
        let t = pool.alloc_on(0, &q, 7).unwrap();
        pool.set_abs(t, 5, Some(evs.alloc().unwrap())).unwrap();
        let moved = pool.move_to(t, 1).unwrap();
        mock.increment(5_000u64);
        assert_eq!(pool.expire(), 1);
        let e = q.pop().unwrap();
        assert_eq!((e.timer(), e.tick(), e.user_ctx()), (Some(moved), 5, 7));
        assert!(pool.is_fresh(&e));

        // Reset while holding it, then cancelled: the event says the tick
        // it was reset to.
        pool.set_abs(moved, 9, Some(e)).unwrap();
        pool.reset_abs(moved, 12).unwrap();
        let c = pool.cancel(moved).unwrap();
        assert_eq!((c.timer(), c.tick(), c.user_ctx()), (Some(moved), 12, 7));
        assert!(!pool.is_fresh(&c), "cancelled: stale");

        // Replaced after a reset: the replaced event says the reset tick
        // and is stale; the new one, delivered, is fresh.
        pool.set_abs(moved, 20, Some(c)).unwrap();
        pool.reset_abs(moved, 21).unwrap();
        let armed = pool.set_abs(moved, 22, Some(evs.alloc().unwrap())).unwrap();
        let r = armed.replaced.unwrap();
        assert_eq!((r.timer(), r.tick()), (Some(moved), 21));
        assert!(!pool.is_fresh(&r));
        mock.increment(17_000u64); // tick 22
        assert_eq!(pool.expire(), 1);
        let d = q.pop().unwrap();
        assert_eq!((d.timer(), d.tick(), d.overruns()), (Some(moved), 22, 0));
        assert!(pool.is_fresh(&d));

        // Re-armed after its expiry without a new event (it holds none):
        // refused, nothing changes.
        assert!(pool.set_abs(moved, 30, None).is_err());
        assert!(pool.is_fresh(&d));

        // A periodic timer whose pass comes late: the event says the
        // skipped periods; acknowledged and on time again: none.
        let p = pool.alloc_on(0, &q, 9).unwrap();
        pool.start_periodic(p, Some(25), 2, Some(evs.alloc().unwrap()))
            .unwrap();
        mock.increment(6_000u64); // tick 28: 25 fired late, 27 skipped
        assert_eq!(pool.expire(), 1);
        let e = q.pop().unwrap();
        assert_eq!((e.tick(), e.overruns(), e.user_ctx()), (25, 1, 9));
        pool.ack(p, e).unwrap();
        mock.increment(1_000u64); // tick 29
        assert_eq!(pool.expire(), 1);
        let e = q.pop().unwrap();
        assert_eq!((e.timer(), e.tick(), e.overruns()), (Some(p), 29, 0));
        assert!(pool.is_fresh(&e));
    }
}
