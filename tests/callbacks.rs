//! Callback timers (DPDK `rte_timer`, VirtualBox `RTTimer`): run by their
//! shard's pass with no lock held, so a callback can stop, restart (absolute
//! or relative), re-period and free its own timer; DPDK's states (pending,
//! running, `stop` → `Running` from another thread, `stop_sync`); a
//! panicking callback; moving a timer to another shard or queue.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Expiry, PoolParams, Sharing, TimerPool};

type Log = Arc<Mutex<Vec<Expiry>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn ticks(l: &Log) -> Vec<u64> {
    l.lock().unwrap().iter().map(|e| e.tick).collect()
}

/// A periodic callback timer runs every period; from its own callback it
/// changes its period, then stops itself.
fn periodic_callback_reperiods_and_stops_itself<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let l = log();
    let l2 = l.clone();
    let t = p
        .alloc_callback(9, move |pool, e| {
            let n = {
                let mut v = l2.lock().unwrap();
                v.push(e);
                v.len()
            };
            assert_eq!(pool.is_running(e.timer), Ok(true));
            assert_eq!(
                pool.is_pending(e.timer),
                Ok(false),
                "not armed while running"
            );
            if n == 2 {
                pool.set_period(e.timer, 7).unwrap();
            }
            if n == 4 {
                assert!(pool.stop(e.timer).unwrap().is_none());
            }
        })
        .unwrap();
    p.start_periodic(t, Some(5), 5, None).unwrap();
    for _ in 0..60 {
        mock.increment(1_000u64);
        p.expire();
    }
    assert_eq!(ticks(&l), [5, 10, 17, 24], "period 5, then 7, then stopped");
    assert!(l.lock().unwrap().iter().all(|e| e.overruns == 0));
    assert_eq!(p.is_pending(t), Ok(false));
    assert_eq!(p.is_running(t), Ok(false));
}

/// A one-shot callback restarts itself relative, then absolute, then frees
/// itself; its key is stale afterwards.
fn callback_restarts_and_frees_itself<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let l = log();
    let l2 = l.clone();
    let t = p
        .alloc_callback(0, move |pool, e| {
            let n = {
                let mut v = l2.lock().unwrap();
                v.push(e);
                v.len()
            };
            match n {
                1 => {
                    pool.set_rel(e.timer, 3, None).unwrap();
                }
                2 => {
                    pool.set_abs(e.timer, 20, None).unwrap();
                }
                _ => {
                    assert!(pool.free(e.timer).unwrap().is_none());
                }
            }
        })
        .unwrap();
    p.set_abs(t, 2, None).unwrap();
    for _ in 0..40 {
        mock.increment(1_000u64);
        p.expire();
    }
    assert_eq!(ticks(&l), [2, 5, 20]);
    assert_eq!(p.is_pending(t), Err(Error::StaleKey), "freed by itself");
    assert_eq!(p.info().cur_timers, 0);
}

/// A callback may act on other timers of the pool too, and callbacks take
/// no events.
fn callback_arms_another_timer<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 2);
    let evs = events(1);
    let q = queue(1);
    let other = p.alloc(&q, 42).unwrap();
    let ev = Mutex::new(Some(evs.alloc().unwrap()));
    let t = p
        .alloc_callback(0, move |pool, _| {
            let ev = ev.lock().unwrap().take();
            pool.set_rel(other, 2, ev).unwrap();
        })
        .unwrap();
    p.set_abs(t, 1, None).unwrap();
    assert_eq!(p.cancel(t).unwrap_err(), Error::CallbackTimer);
    for _ in 0..5 {
        mock.increment(1_000u64);
        p.expire();
    }
    let got = q.pop().expect("armed by the callback");
    assert_eq!((got.user_ctx(), got.tick()), (42, 3));
}

for_all_pools!(
    periodic_callback_reperiods_and_stops_itself,
    callback_restarts_and_frees_itself,
    callback_arms_another_timer,
);

/// Giving an event to a callback timer is refused and the event is handed
/// back.
#[test]
fn a_callback_timer_takes_no_event() {
    let (p, _mock) = pool::<hrwheel::Local>(Backend::Wheel, 1_000, 0, 1_000, 1);
    let evs = events(1);
    let t = p.alloc_callback(0, |_, _| {}).unwrap();
    let e = p.set_rel(t, 5, Some(evs.alloc().unwrap())).unwrap_err();
    assert_eq!(e.error, Error::CallbackTimer);
    assert!(e.event.is_some());
    assert_eq!(p.set_queue(t, &queue(1)), Err(Error::CallbackTimer));
}

/// DPDK: `stop` on a timer whose callback runs on another thread returns
/// `Running`; `stop_sync` waits for the callback to return, then stops it;
/// from inside its own callback `stop_sync` refuses and `stop` works.
#[test]
fn stop_while_running_elsewhere_and_stop_sync() {
    let (clock, mock) = hrwheel::ClockSource::mock();
    let p = Arc::new(
        TimerPool::new(
            "running",
            PoolParams::default()
                .resolution_ns(1_000)
                .clock(clock)
                .shards(1),
        )
        .unwrap(),
    );
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let runs = Arc::new(AtomicU64::new(0));
    let runs2 = runs.clone();
    let t = p
        .alloc_callback(0, move |pool, e| {
            runs2.fetch_add(1, Ordering::SeqCst);
            assert_eq!(pool.stop_sync(e.timer).unwrap_err(), Error::InOwnCallback);
            entered_tx.send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
        })
        .unwrap();
    p.start_periodic(t, Some(1), 1, None).unwrap();
    mock.increment(1_000u64);
    let p2 = p.clone();
    let driver = thread::spawn(move || p2.expire());
    entered_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("callback started");
    assert_eq!(p.is_running(t), Ok(true));
    assert_eq!(p.stop(t).unwrap_err(), Error::Running);
    // stop_sync from here waits until the callback returns.
    let p3 = p.clone();
    let (done_tx, done_rx) = mpsc::channel();
    let stopper = thread::spawn(move || {
        let r = p3.stop_sync(t);
        done_tx.send(()).unwrap();
        r
    });
    assert!(
        done_rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "stop_sync returned while the callback was still running"
    );
    release_tx.send(()).unwrap();
    assert!(stopper.join().unwrap().unwrap().is_none());
    driver.join().unwrap();
    assert_eq!(p.is_running(t), Ok(false));
    assert_eq!(p.is_pending(t), Ok(false), "stopped: no periodic re-arm");
    mock.increment(10_000u64);
    p.expire();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A panicking callback: the pass still runs the other due callbacks and
/// delivers events, the pool stays usable, the panicking timer is left
/// stopped (idle, callback kept: it can be armed again).
#[test]
fn a_panicking_callback_loses_nothing_else() {
    let (p, mock) = pool::<hrwheel::Local>(Backend::Wheel, 1_000, 0, 1_000, 4);
    let evs = events(1);
    let q = queue(1);
    let hits = Arc::new(AtomicU64::new(0));
    let h1 = hits.clone();
    let bad = p
        .alloc_callback(0, move |_, _| {
            if h1.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("first run panics");
            }
        })
        .unwrap();
    let h2 = hits.clone();
    let good = p
        .alloc_callback(0, move |_, _| {
            h2.fetch_add(100, Ordering::SeqCst);
        })
        .unwrap();
    let ev_timer = p.alloc(&q, 3).unwrap();
    p.start_periodic(bad, Some(2), 2, None).unwrap();
    p.set_abs(good, 2, None).unwrap();
    p.set_abs(ev_timer, 2, Some(evs.alloc().unwrap())).unwrap();
    mock.increment(2_000u64);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.expire()));
    assert!(r.is_err(), "the panic propagates");
    assert_eq!(hits.load(Ordering::SeqCst), 101, "the other callback ran");
    assert_eq!(
        q.pop().map(|e| e.user_ctx()),
        Some(3),
        "the event was delivered"
    );
    assert_eq!(p.is_pending(bad), Ok(false), "stopped");
    assert_eq!(p.is_running(bad), Ok(false));
    // Usable, and the panicked timer runs again once armed.
    p.set_rel(bad, 1, None).unwrap();
    mock.increment(1_000u64);
    p.expire();
    assert_eq!(hits.load(Ordering::SeqCst), 102);
}

/// DPDK `tim_lcore`: an armed timer moves to another shard and fires on that
/// shard's pass only; the old key is stale; `set_queue` redirects events.
#[test]
fn move_to_another_shard_and_queue() {
    let (clock, mock) = hrwheel::ClockSource::mock();
    let p = TimerPool::new(
        "move",
        PoolParams::default()
            .resolution_ns(1_000)
            .clock(clock)
            .shards(2),
    )
    .unwrap();
    let evs = events(1);
    let (q0, q1) = (queue(1), queue(1));
    let t = p.alloc_on(0, &q0, 7).unwrap();
    p.set_abs(t, 5, Some(evs.alloc().unwrap())).unwrap();
    let moved = p.move_to(t, 1).unwrap();
    assert_eq!(moved.shard(), 1);
    assert_eq!(p.cancel(t).unwrap_err(), Error::StaleKey);
    assert_eq!(p.move_to(moved, 2), Err(Error::NoSuchShard));
    p.set_queue(moved, &q1).unwrap();
    assert_eq!(p.next_deadline_shard(1), Ok(Some(5)));
    mock.increment(5_000u64);
    assert_eq!(p.expire_shard(0), Ok(0), "not on its old shard");
    assert_eq!(p.expire_shard(1), Ok(1));
    let ev = q1.pop().expect("delivered to the new queue");
    assert_eq!((ev.timer(), ev.tick(), ev.user_ctx()), (Some(moved), 5, 7));
    assert!(q0.is_empty());
    assert!(p.is_fresh(&ev));
}

fn two_shards(b: Backend) -> (TimerPool, std::sync::Arc<quanta::Mock>) {
    let (clock, mock) = hrwheel::ClockSource::mock();
    let p = TimerPool::new(
        "move-own",
        PoolParams::default()
            .resolution_ns(1_000)
            .clock(clock)
            .backend(b)
            .shards(2),
    )
    .unwrap();
    (p, mock)
}

/// DPDK's `timer_basic` `timer1`: from its own callback a timer re-arms
/// itself on the other lcore's shard (`move_to`, then `set_rel` on the new
/// key), every time it runs. Each run is on the shard it was moved to, the
/// old key goes stale, and the closure follows the timer.
fn callback_moves_itself_to_the_other_shard(b: Backend) {
    let (p, mock) = two_shards(b);
    // (shard it ran on, its key then, its tick)
    let runs: Arc<Mutex<Vec<(usize, hrwheel::TimerKey, u64)>>> = Arc::default();
    let r2 = runs.clone();
    let t = p
        .alloc_callback_on(0, 0, move |pool, e| {
            r2.lock().unwrap().push((e.timer.shard(), e.timer, e.tick));
            assert_eq!(pool.is_running(e.timer), Ok(true));
            let next = pool.move_to(e.timer, 1 - e.timer.shard()).unwrap();
            assert_eq!(pool.is_running(e.timer), Err(Error::StaleKey));
            assert_eq!(pool.is_running(next), Ok(true), "still running, moved");
            assert_eq!(
                pool.stop_sync(next).unwrap_err(),
                Error::InOwnCallback,
                "the new key is its own"
            );
            pool.set_rel(next, 3, None).unwrap();
        })
        .unwrap();
    p.set_abs(t, 2, None).unwrap();
    for _ in 0..20 {
        mock.increment(1_000u64);
        // Each "lcore" polls only its own shard.
        for shard in 0..2 {
            p.expire_shard(shard).unwrap();
        }
    }
    let runs = runs.lock().unwrap().clone();
    let ticks: Vec<u64> = runs.iter().map(|r| r.2).collect();
    assert_eq!(ticks, [2, 5, 8, 11, 14, 17, 20], "every 3 ticks, none lost");
    for (i, &(shard, ..)) in runs.iter().enumerate() {
        assert_eq!(shard, i % 2, "run {i} on the shard it was moved to");
    }
    let (_, last, _) = *runs.last().unwrap();
    assert_eq!(p.free(t).unwrap_err(), Error::StaleKey, "the first key");
    assert_eq!(
        p.free(last).unwrap_err(),
        Error::StaleKey,
        "moved again since"
    );
}

#[test]
fn callback_moves_itself_to_the_other_shard_wheel() {
    callback_moves_itself_to_the_other_shard(Backend::Wheel);
}

#[test]
fn callback_moves_itself_to_the_other_shard_hires() {
    callback_moves_itself_to_the_other_shard(Backend::Hires);
}

/// A periodic callback timer moved from its own callback (no set) keeps
/// its period and grid on the new shard; one that panics after moving is
/// stopped there, closure kept (it can be started again).
#[test]
fn a_periodic_timer_moved_from_its_callback_keeps_its_grid() {
    let (p, mock) = two_shards(Backend::Wheel);
    let l = log();
    let l2 = l.clone();
    let moved: Arc<Mutex<Option<hrwheel::TimerKey>>> = Arc::default();
    let m2 = moved.clone();
    let t = p
        .alloc_callback_on(0, 0, move |pool, e| {
            let n = {
                let mut v = l2.lock().unwrap();
                v.push(e);
                v.len()
            };
            if n == 2 {
                *m2.lock().unwrap() = Some(pool.move_to(e.timer, 1).unwrap());
            }
            if n == 4 {
                let k = pool.move_to(e.timer, 0).unwrap();
                *m2.lock().unwrap() = Some(k);
                panic!("after moving back");
            }
        })
        .unwrap();
    p.start_periodic(t, Some(4), 4, None).unwrap();
    let mut panics = 0;
    for _ in 0..30 {
        mock.increment(1_000u64);
        for shard in 0..2 {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                p.expire_shard(shard).unwrap()
            }));
            panics += usize::from(r.is_err());
        }
    }
    assert_eq!(panics, 1);
    let got: Vec<(u64, usize)> = l
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.tick, e.timer.shard()))
        .collect();
    assert_eq!(
        got,
        [(4, 0), (8, 0), (12, 1), (16, 1)],
        "grid kept across moves"
    );
    let k = moved.lock().unwrap().unwrap();
    assert_eq!(k.shard(), 0);
    assert_eq!(p.is_pending(k), Ok(false), "stopped by the panic");
    assert_eq!(p.is_running(k), Ok(false));
    p.set_abs(k, 40, None).unwrap();
    mock.increment(10_000u64);
    p.expire_shard(0).unwrap();
    assert_eq!(ticks(&l).last(), Some(&40), "the closure stayed with it");
}

/// A callback's captures are dropped with no pool lock held, when its timer
/// is freed from another thread or from the callback itself: a `Drop` that
/// calls the pool (here `info()`, which locks every shard) neither
/// deadlocks nor panics.
#[test]
fn a_freed_callback_is_dropped_outside_the_lock() {
    struct CallsPoolOnDrop(Arc<TimerPool>, mpsc::Sender<usize>);
    impl Drop for CallsPoolOnDrop {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.info().cur_timers);
        }
    }
    let (clock, mock) = hrwheel::ClockSource::mock();
    let p = Arc::new(
        TimerPool::new(
            "drop",
            PoolParams::default()
                .resolution_ns(1_000)
                .clock(clock)
                .shards(1),
        )
        .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let (p2, tx2) = (p.clone(), tx.clone());
    let done = thread::spawn(move || {
        // Freed from outside.
        let guard = CallsPoolOnDrop(p2.clone(), tx2.clone());
        let a = p2
            .alloc_callback(0, move |_, _| {
                let _ = &guard;
            })
            .unwrap();
        p2.free(a).unwrap();
        // Freed by its own callback.
        let guard = CallsPoolOnDrop(p2.clone(), tx2);
        let b = p2
            .alloc_callback(0, move |pool, e| {
                let _ = &guard;
                pool.free(e.timer).unwrap();
            })
            .unwrap();
        p2.set_rel(b, 1, None).unwrap();
        mock.increment(1_000u64);
        p2.expire();
    });
    drop(tx);
    let seen: Vec<usize> = (0..2)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("dropped, no deadlock")
        })
        .collect();
    done.join().unwrap();
    assert_eq!(seen, [0, 0], "each dropped after its timer was freed");
}
