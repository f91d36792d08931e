//! Multi-thread stress of a shared pool, two ways, while the mock clock
//! moves:
//!
//! - `shared_pool_stress_*`: three threads set, reset, cancel, run
//!   `expire()` (every shard) and consume, on timers they all share;
//! - `sharded_stress_*`: DPDK style. Each thread owns a shard: it allocates
//!   and frees that shard's timers, runs that shard's pass only
//!   (`expire_shard`) and consumes that shard's queues, and it also arms
//!   and cancels the timers of the other shards (remote arming). Each
//!   owner has several destination queues, small ones among them, so that
//!   expired events wait in blocked lists.
//!
//! At the end every event must be in exactly one place: a thread's hand, a
//! timer (returned by cancel or free), a queue, or a blocked list (drained
//! by the final passes). None lost (the timeout pool has lent out every
//! event and got none back), none duplicated (all ids distinct).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use common::{events, pool, queue};
use hrwheel::{
    Backend, ClockSource, Error, PoolParams, Shared, Timeout, TimeoutQueue, TimerKey, TimerPool,
};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const THREADS: usize = 3;
const TIMERS: usize = 48;
const EVENTS: usize = 64;
const OPS: usize = if cfg!(miri) { 60 } else { 40_000 };

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
    let start = Arc::new(Barrier::new(THREADS));

    let handles: Vec<_> = (0..THREADS)
        .map(|k| {
            let hand: Vec<Timeout> = all.drain(..EVENTS / THREADS).collect();
            let p = p.clone();
            let mock = mock.clone();
            let queues = queues.clone();
            let timers = timers.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
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

// ---------------------------------------------------------------------------
// Sharded: each thread owns a shard and arms the others' timers.

const OWNERS: usize = 3;
const PER_SHARD: usize = 12;
/// Capacities of each owner's destination queues: the small ones fill up.
const QCAPS: [usize; 3] = [1, 2, 16];
const S_EVENTS: usize = 90;
const S_OPS: usize = if cfg!(miri) { 50 } else { 20_000 };

/// What an owner saw of its shard's deliveries.
#[derive(Default)]
struct Seen {
    /// Sum of its `expire_shard` results.
    delivered: usize,
    /// Events popped from its queues.
    popped: usize,
    /// The tick of the last event popped per timer.
    last_tick: HashMap<TimerKey, u64>,
}

impl Seen {
    /// An event popped from a queue of shard `shard`'s owner when the pool's
    /// tick was `now`: it is a timer of that shard (only that shard's pass
    /// delivers to those queues), it is not early, and the timer's
    /// deliveries come in increasing tick order (a timer set again after
    /// its expiry is set for a later tick, since min timeout >= 1 tick): an
    /// expiry delivered twice would repeat a tick.
    fn pop(&mut self, shard: usize, ev: &Timeout, now: u64) {
        let t = ev.timer().expect("only expiries reach the queues");
        assert_eq!(t.shard(), shard, "delivered by another shard's pass");
        assert_eq!(
            ev.user_ctx() as usize / 1_000,
            shard,
            "context of the timer"
        );
        assert!(ev.tick() <= now, "early: tick {} at {now}", ev.tick());
        if let Some(prev) = self.last_tick.insert(t, ev.tick()) {
            assert!(
                prev < ev.tick(),
                "{t:?} delivered {prev} then {}",
                ev.tick()
            );
        }
        self.popped += 1;
    }
}

fn sharded_stress(b: Backend) {
    let (clock, mock) = ClockSource::mock();
    let p = Arc::new(
        TimerPool::new(
            "sharded",
            PoolParams::default()
                .resolution_ns(1_000)
                .min_timeout_ns(1_000)
                .max_timeout_ns(40_000)
                .num_timers(OWNERS * PER_SHARD)
                .clock(clock)
                .backend(b)
                .shards(OWNERS),
        )
        .unwrap(),
    );
    let evs = events(S_EVENTS);
    let queues: Arc<Vec<Vec<TimeoutQueue>>> = Arc::new(
        (0..OWNERS)
            .map(|_| QCAPS.iter().map(|&c| queue(c)).collect())
            .collect(),
    );
    // The current key of every timer slot, by shard. The owner replaces a
    // slot's key when it frees and reallocates; others read possibly
    // stale keys (and get StaleKey).
    let ctx = |shard: usize, i: usize| (shard * 1_000 + i) as u64;
    let slots: Arc<Vec<Vec<Mutex<TimerKey>>>> = Arc::new(
        (0..OWNERS)
            .map(|k| {
                (0..PER_SHARD)
                    .map(|i| {
                        let q = &queues[k][i % QCAPS.len()];
                        Mutex::new(p.alloc_on(k, q, ctx(k, i)).unwrap())
                    })
                    .collect()
            })
            .collect(),
    );
    let mut all: Vec<Timeout> = (0..S_EVENTS).map(|_| evs.alloc().unwrap()).collect();
    // All start together, so that their operations interleave.
    let start = Arc::new(Barrier::new(OWNERS));

    let handles: Vec<_> = (0..OWNERS)
        .map(|k| {
            let hand: Vec<Timeout> = all.drain(..S_EVENTS / OWNERS).collect();
            let (p, mock, queues, slots) = (p.clone(), mock.clone(), queues.clone(), slots.clone());
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                let mut hand = hand;
                let mut seen = Seen::default();
                let mut rng = SmallRng::seed_from_u64(0x5eed + k as u64);
                for _ in 0..S_OPS {
                    // Half the operations on the thread's own shard.
                    let shard = if rng.random_bool(0.5) {
                        k
                    } else {
                        rng.random_range(0..OWNERS)
                    };
                    let i = rng.random_range(0..PER_SHARD);
                    let t = *slots[shard][i].lock().unwrap();
                    match rng.random_range(0..100) {
                        0..=29 => {
                            // Mostly short timeouts, so that timers expire
                            // between resets; sometimes out of range.
                            let ticks = if rng.random_bool(0.9) {
                                rng.random_range(1..8)
                            } else {
                                rng.random_range(0..45)
                            };
                            match p.set_rel(t, ticks, hand.pop()) {
                                Ok(a) => {
                                    if let Some(r) = &a.replaced {
                                        assert_eq!(
                                            r.timer(),
                                            Some(t),
                                            "replaced: the timer's event"
                                        );
                                    }
                                    hand.extend(a.replaced);
                                }
                                Err(e) => {
                                    assert!(
                                        matches!(
                                            e.error,
                                            Error::TooEarly
                                                | Error::TooLate
                                                | Error::NoEvent
                                                | Error::StaleKey
                                        ),
                                        "{e:?}"
                                    );
                                    hand.extend(e.event);
                                }
                            }
                        }
                        30..=39 => {
                            if let Err(e) = p.set_rel(t, rng.random_range(1..8), None) {
                                assert!(matches!(e.error, Error::NoEvent | Error::StaleKey));
                                assert!(e.event.is_none());
                            }
                        }
                        40..=54 => match p.cancel(t) {
                            Ok(ev) => {
                                assert_eq!(ev.timer(), Some(t));
                                assert!(!p.is_fresh(&ev), "a cancelled event is stale");
                                hand.push(ev);
                            }
                            Err(e) => assert!(
                                matches!(
                                    e,
                                    Error::AlreadyExpired | Error::NotArmed | Error::StaleKey
                                ),
                                "{e:?}"
                            ),
                        },
                        55..=59 => {
                            // Free and reallocate one of its own timers,
                            // onto another of its queues.
                            let i = rng.random_range(0..PER_SHARD);
                            let mut slot = slots[k][i].lock().unwrap();
                            let old = *slot;
                            hand.extend(p.free(old).expect("only the owner frees"));
                            assert_eq!(p.cancel(old).unwrap_err(), Error::StaleKey);
                            let q = &queues[k][rng.random_range(0..QCAPS.len())];
                            *slot = p.alloc_on(k, q, ctx(k, i)).unwrap();
                        }
                        60..=76 => seen.delivered += p.expire_shard(k).unwrap(),
                        77..=89 => {
                            let q = &queues[k][rng.random_range(0..QCAPS.len())];
                            for _ in 0..rng.random_range(1..4) {
                                let Some(ev) = q.pop() else { break };
                                seen.pop(k, &ev, p.current_tick());
                                hand.push(ev);
                            }
                        }
                        _ => mock.increment(rng.random_range(0..3_000u64)),
                    }
                }
                (hand, seen)
            })
        })
        .collect();

    let mut held: Vec<Timeout> = all;
    let mut seen: Vec<Seen> = Vec::new();
    for h in handles {
        let (hand, s) = h.join().expect("worker panicked");
        held.extend(hand);
        seen.push(s);
    }
    let in_hands = held.len();

    // Events in timers: freeing every timer hands back the armed ones'.
    let mut in_timers = 0;
    for shard in slots.iter() {
        for slot in shard {
            let t = *slot.lock().unwrap();
            if let Some(ev) = p.free(t).unwrap() {
                assert_eq!(ev.timer(), Some(t));
                in_timers += 1;
                held.push(ev);
            }
        }
    }
    assert_eq!(p.info().cur_timers, 0);
    // Events in queues and blocked lists: pop, then let each shard's pass
    // deliver what waits, until nothing waits.
    let mut in_queues = 0;
    for round in 0.. {
        for (k, qs) in queues.iter().enumerate() {
            for q in qs {
                while let Some(ev) = q.pop() {
                    seen[k].pop(k, &ev, p.current_tick());
                    in_queues += 1;
                    held.push(ev);
                }
            }
        }
        if p.info().pending == 0 {
            break;
        }
        assert!(round <= S_EVENTS, "blocked events never delivered");
        for (k, s) in seen.iter_mut().enumerate() {
            s.delivered += p.expire_shard(k).unwrap();
        }
    }
    // `next_due` is a lower bound that passes refresh: past every tick ever
    // set, a pass of each shard finds nothing and the bound says so.
    mock.increment(100_000u64);
    for k in 0..OWNERS {
        assert_eq!(p.expire_shard(k), Ok(0));
    }
    assert_eq!(p.next_deadline(), None, "nothing armed, nothing waiting");

    let ids: HashSet<u32> = held.iter().map(Timeout::id).collect();
    assert_eq!(
        held.len(),
        S_EVENTS,
        "{b:?}: hands {in_hands} + timers {in_timers} + queues {in_queues}"
    );
    assert_eq!(ids.len(), S_EVENTS, "{b:?}: an event is duplicated");
    assert_eq!(evs.available(), 0, "{b:?}: an event went back unseen");

    // Every expiry delivered exactly once, each by its own shard's pass.
    let info = p.info();
    eprintln!("{b:?}: {info:?}");
    for (k, s) in seen.iter().enumerate() {
        assert_eq!(
            s.delivered, s.popped,
            "{b:?}: shard {k}: delivered vs popped"
        );
    }
    let popped: usize = seen.iter().map(|s| s.popped).sum();
    assert_eq!(info.expired, popped as u64, "{b:?}: expiries vs deliveries");
    assert!(info.expired > 0, "{b:?}: the stress must exercise expiry");
    if !cfg!(miri) {
        assert!(info.deferred > 0, "{b:?}: and full queues");
    }

    drop(held);
    assert_eq!(evs.available(), S_EVENTS);
    drop(slots);
    let p = Arc::into_inner(p).expect("the workers are gone");
    p.destroy().expect("no timer, nothing waiting");
}

#[test]
fn sharded_stress_wheel() {
    sharded_stress(Backend::Wheel);
}

#[test]
fn sharded_stress_highres() {
    sharded_stress(Backend::Hires);
}
