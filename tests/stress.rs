//! Multi-thread stress of a shared pool: three threads set, reset, cancel,
//! expire and consume on timers they share, while the mock clock moves.
//! At the end every event must be in exactly one place: a thread's hand, a
//! timer, a queue, or the pool's pending list. None lost (the timeout pool
//! has lent out every event and got none back), none duplicated (all ids
//! distinct).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Shared, Timeout, TimeoutQueue};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const THREADS: usize = 3;
const TIMERS: usize = 48;
const EVENTS: usize = 64;
const OPS: usize = if cfg!(miri) { 300 } else { 40_000 };

fn stress(b: Backend) {
    let (p, mock) = pool::<Shared>(b, 1_000, 1, 40, TIMERS);
    let p = Arc::new(p);
    let evs = events(EVENTS);
    // Small queues so that deliveries get deferred too.
    let queues: Vec<TimeoutQueue> = (0..THREADS).map(|_| queue(4)).collect();
    let timers: Vec<_> = (0..TIMERS)
        .map(|i| p.alloc(&queues[i % THREADS], i as u64).unwrap())
        .collect();
    // Hand out every event up front.
    let mut all: Vec<Timeout> = (0..EVENTS).map(|_| evs.alloc().unwrap()).collect();
    assert_eq!(evs.available(), 0);

    let handles: Vec<_> = (0..THREADS)
        .map(|k| {
            let hand: Vec<Timeout> = all.drain(..EVENTS / THREADS).collect();
            let p = p.clone();
            let mock = mock.clone();
            let queues = queues.clone();
            let timers = timers.clone();
            thread::spawn(move || {
                let mut hand = hand;
                let mut rng = SmallRng::seed_from_u64(k as u64 + 1);
                let mut stale_seen = 0u64;
                for _ in 0..OPS {
                    let t = timers[rng.random_range(0..TIMERS)];
                    match rng.random_range(0..100) {
                        0..=34 => {
                            let ev = hand.pop();
                            match p.set_rel(t, rng.random_range(0..45), ev) {
                                Ok(a) => hand.extend(a.replaced),
                                Err(e) => {
                                    assert!(matches!(
                                        e.error,
                                        Error::TooEarly | Error::TooLate | Error::NoEvent
                                    ));
                                    hand.extend(e.event);
                                }
                            }
                        }
                        35..=49 => {
                            // Reset keeping the held event.
                            if let Err(e) = p.set_rel(t, rng.random_range(1..=40), None) {
                                assert_eq!(e.error, Error::NoEvent);
                                assert!(e.event.is_none());
                            }
                        }
                        50..=64 => match p.cancel(t) {
                            Ok(ev) => {
                                assert_eq!(ev.timer(), Some(t));
                                assert!(!p.is_fresh(&ev));
                                hand.push(ev);
                            }
                            Err(e) => assert!(matches!(e, Error::AlreadyExpired | Error::NotArmed)),
                        },
                        65..=79 => {
                            p.expire();
                        }
                        80..=89 => {
                            let q = &queues[rng.random_range(0..THREADS)];
                            if let Some(ev) = q.pop() {
                                if !p.is_fresh(&ev) {
                                    stale_seen += 1;
                                }
                                hand.push(ev);
                            }
                        }
                        _ => mock.increment(rng.random_range(0..1_500u64)),
                    }
                }
                (hand, stale_seen)
            })
        })
        .collect();

    // The remainder of the division stays in the main thread's hand.
    let mut held: Vec<Timeout> = all;
    for h in handles {
        let (hand, _stale) = h.join().expect("worker panicked");
        held.extend(hand);
    }
    let in_hands = held.len();

    // Events in timers: cancel every armed timer.
    let mut in_timers = 0;
    for &t in &timers {
        if let Ok(ev) = p.cancel(t) {
            in_timers += 1;
            held.push(ev);
        }
    }
    // Events in queues and pending: drain until nothing is pending.
    let mut in_queues = 0;
    for _ in 0..EVENTS + 1 {
        for q in &queues {
            while let Some(ev) = q.pop() {
                in_queues += 1;
                held.push(ev);
            }
        }
        if p.info().pending == 0 {
            break;
        }
        p.expire();
    }
    assert_eq!(p.info().pending, 0);

    let ids: HashSet<u32> = held.iter().map(Timeout::id).collect();
    assert_eq!(
        held.len(),
        EVENTS,
        "{b:?}: hands {in_hands} + timers {in_timers} + queues {in_queues}"
    );
    assert_eq!(ids.len(), EVENTS, "{b:?}: an event is duplicated");
    assert_eq!(
        evs.available(),
        0,
        "{b:?}: an event went back to its pool unseen"
    );
    let info = p.info();
    eprintln!("{b:?}: {info:?}");
    assert!(info.expired > 0, "{b:?}: the stress must exercise expiry");
    if !cfg!(miri) {
        assert!(info.deferred > 0, "{b:?}: and full queues");
    }
    for &t in &timers {
        assert!(p.free(t).unwrap().is_none(), "all timers were cancelled");
    }
    assert_eq!(p.info().cur_timers, 0);
    drop(held);
    assert_eq!(evs.available(), EVENTS);
}

#[test]
fn shared_pool_stress_wheel() {
    stress(Backend::Wheel);
}

#[test]
fn shared_pool_stress_highres() {
    stress(Backend::Hires);
}
