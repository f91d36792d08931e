//! loom model checks of the callback states (running / stop / stop_sync),
//! over every interleaving loom explores of the pool's locks and atomics:
//! `RUSTFLAGS="--cfg loom" cargo test --release -p hrwheel --test loom_callbacks`
#![cfg(loom)]

use std::sync::Arc;

use hrwheel::{ClockSource, Error, PoolParams, TimerPool};
use loom::sync::atomic::{AtomicUsize, Ordering};

/// A shared pool of two timers at 1 µs ticks, with `shards` shards.
fn pool_of(shards: usize) -> (Arc<TimerPool>, Arc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = TimerPool::new(
        "loom",
        PoolParams::default()
            .resolution_ns(1_000)
            .num_timers(2)
            .clock(clock)
            .shards(shards),
    )
    .unwrap();
    (Arc::new(p), mock)
}

fn pool() -> (Arc<TimerPool>, Arc<quanta::Mock>) {
    pool_of(1)
}

/// A periodic callback timer (counting its runs) due at tick 1, and a
/// thread running shard 0's pass.
fn due_periodic_callback() -> (
    Arc<TimerPool>,
    Arc<quanta::Mock>,
    Arc<AtomicUsize>,
    hrwheel::TimerKey,
    loom::thread::JoinHandle<()>,
) {
    let (p, mock) = pool();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let t = p
        .alloc_callback_on(0, 0, move |_, _| {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    p.start_periodic(t, Some(1), 1, None).unwrap();
    mock.increment(1_000u64); // tick 1: due
    let p2 = p.clone();
    let driver = loom::thread::spawn(move || {
        p2.expire_shard(0).unwrap();
    });
    (p, mock, runs, t, driver)
}

/// `stop_sync` against the pass running the timer's periodic callback: once
/// `stop_sync` returns, the callback is not running, the timer is not
/// pending, and the callback never runs again.
#[test]
fn stop_sync_against_a_running_callback() {
    loom::model(|| {
        let (p, mock, runs, t, driver) = due_periodic_callback();
        p.stop_sync(t).unwrap();
        let seen = runs.load(Ordering::SeqCst);
        assert_eq!(p.is_running(t), Ok(false));
        assert_eq!(p.is_pending(t), Ok(false));
        driver.join().unwrap();
        // Later passes never run it again.
        mock.increment(5_000u64);
        p.expire_shard(0).unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), seen);
        assert!(seen <= 1);
    });
}

/// `stop` from another thread either stops the timer (before or after its
/// callback ran) or reports `Running`: then the pass had taken the timer to
/// run it, and its callback does run (exactly once).
#[test]
fn stop_against_a_running_callback() {
    loom::model(|| {
        let (p, _mock, started, t, driver) = due_periodic_callback();
        let r = p.stop(t);
        assert!(
            matches!(r, Ok(None) | Err(Error::Running)),
            "unexpected {r:?}"
        );
        driver.join().unwrap();
        if r.is_err() {
            assert_eq!(started.load(Ordering::SeqCst), 1);
        }
        assert!(started.load(Ordering::SeqCst) <= 1);
        if r.is_ok() {
            // Stopped for good: no re-arm after the callback returned.
            assert_eq!(p.is_pending(t), Ok(false));
        }
        assert_eq!(p.is_running(t), Ok(false));
    });
}

/// The lock-free "nothing due" check against a concurrent set of an earlier
/// callback timer: after both, a pass at the timer's tick runs it exactly
/// once.
#[test]
fn set_earlier_against_the_nothing_due_check() {
    loom::model(|| {
        let (p, mock) = pool();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let t = p
            .alloc_callback_on(0, 0, move |_, _| {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        mock.increment(2_000u64); // tick 2
        let p2 = p.clone();
        let setter = loom::thread::spawn(move || {
            p2.set_abs(t, 2, None).unwrap();
        });
        let early = p.expire_shard(0).unwrap();
        setter.join().unwrap();
        p.expire_shard(0).unwrap();
        assert_eq!(early, 0, "callbacks are not counted as deliveries");
        assert_eq!(runs.load(Ordering::SeqCst), 1, "never lost, never twice");
    });
}

/// A callback that moves its own timer to shard 1 (and re-arms it there)
/// against `stop_sync` on the timer's old key from another thread: either
/// the stop comes first (the timer never runs), or the timer runs, moves,
/// and the old key goes stale (`stop_sync` says `StaleKey`, never hangs);
/// then the moved timer has its closure back and runs again on shard 1.
#[test]
fn a_callback_moving_its_timer_against_stop_sync() {
    loom::model(|| {
        let (p, mock) = pool_of(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let moved = Arc::new(loom::sync::Mutex::new(None));
        let (r, m) = (runs.clone(), moved.clone());
        let t = p
            .alloc_callback_on(0, 0, move |pool, e| {
                r.fetch_add(1, Ordering::SeqCst);
                if e.timer.shard() == 0 {
                    let k = pool.move_to(e.timer, 1).unwrap();
                    pool.set_rel(k, 1, None).unwrap();
                    *m.lock().unwrap() = Some(k);
                }
            })
            .unwrap();
        p.set_abs(t, 1, None).unwrap();
        mock.increment(1_000u64); // tick 1: due
        let p2 = p.clone();
        let driver = loom::thread::spawn(move || {
            p2.expire_shard(0).unwrap();
        });
        let stopped = p.stop_sync(t);
        driver.join().unwrap();
        let k = *moved.lock().unwrap();
        match stopped {
            Ok(_) => {
                assert_eq!(runs.load(Ordering::SeqCst), 0);
                assert_eq!(k, None);
            }
            Err(e) => {
                assert_eq!(e, Error::StaleKey);
                assert_eq!(runs.load(Ordering::SeqCst), 1);
                let k = k.expect("moved");
                assert_eq!(p.is_running(k), Ok(false));
                assert_eq!(p.is_pending(k), Ok(true));
                mock.increment(1_000u64);
                p.expire_shard(1).unwrap();
                assert_eq!(runs.load(Ordering::SeqCst), 2, "its closure came along");
            }
        }
    });
}
