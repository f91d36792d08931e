//! Model-checked races of the shared pool (loom). Every interleaving of the
//! threads' operations (up to the preemption bound) is run: the pool's
//! shard mutex and `next_due` word are loom's under `--cfg loom` (see
//! `src/sync.rs`), so loom explores the orders in which threads take the
//! lock and read the word on the lock-free path.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=4 \
//!     cargo test --release -p hrwheel --test loom
//! ```
//!
//! (Without `LOOM_MAX_PREEMPTIONS` the bound is [`PREEMPTIONS`].)
//!
//! What is not loom's: the destination queue and the timeout pool
//! (crossbeam's `ArrayQueue`, std atomics) and the mock clock (a std
//! atomic). Loom runs its threads one at a time on one OS thread and only
//! switches at its own synchronisation points, so these behave as
//! sequentially consistent, which is sound here: every handoff the tests
//! rely on goes through the pool's loom mutex or word, a loom atomic, or a
//! spawn/join. The mock clock is moved before spawning, or by the thread
//! that then runs the expiry pass. Timers are allocated with `alloc_on`
//! (the home shard of `alloc` uses a std thread-local, which loom's threads
//! share).
#![cfg(loom)]

use std::collections::HashSet;
use std::sync::Arc as StdArc;

use hrwheel::{
    Backend, ClockSource, Error, PoolParams, Timeout, TimeoutPool, TimeoutQueue, TimerPool,
};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// Preemption bound used when `LOOM_MAX_PREEMPTIONS` is not set.
const PREEMPTIONS: usize = 3;

/// 1 µs ticks.
const RES: u64 = 1_000;

/// Stack of every model thread: a wheel (its slot arrays) needs more than
/// the 32 KiB that loom gives the model's main thread.
const STACK: usize = 1 << 20;

fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> thread::JoinHandle<T> {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn a model thread")
}

/// Runs `f` under loom, on a model thread with a stack of [`STACK`].
fn check(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(PREEMPTIONS);
    }
    let f = StdArc::new(f);
    let runs = StdArc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = runs.clone();
    b.check(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let f = f.clone();
        spawn(move || f()).join().unwrap();
    });
    eprintln!(
        "{} interleavings",
        runs.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// A shared pool of `shards` shards on a mock clock at tick 0: timeouts
/// of `min_ticks..=100` ticks.
fn pool(backend: Backend, shards: usize, min_ticks: u64) -> (TimerPool, StdArc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = TimerPool::new(
        "loom",
        PoolParams::default()
            .resolution_ns(RES)
            .min_timeout_ns(min_ticks * RES)
            .max_timeout_ns(100 * RES)
            .num_timers(4)
            .clock(clock)
            .backend(backend)
            .shards(shards),
    )
    .expect("valid params");
    (p, mock)
}

fn drain(q: &TimeoutQueue) -> Vec<Timeout> {
    std::iter::from_fn(|| q.pop()).collect()
}

/// Every event of `evs` is in `all`, exactly once, and nowhere else.
fn all_accounted_for(evs: &TimeoutPool, all: &[Timeout]) {
    let ids: HashSet<u32> = all.iter().map(Timeout::id).collect();
    assert_eq!(ids.len(), all.len(), "an event is in two places: {all:?}");
    assert_eq!(all.len(), evs.capacity(), "an event is lost: {all:?}");
    assert_eq!(evs.available(), 0, "an event went back to its pool unseen");
}

/// (a) One timer, armed and due with event A: a thread re-sets it with
/// event B, a thread cancels then frees it, the main thread runs the
/// shard's expiry pass. Whatever the order, each event ends in exactly one
/// place (the setter's hand, the canceller's hand, the queue) and every
/// result is one the state machine allows in that order. With `full`, the
/// queue is full when the timer expires, so A waits in the blocked list
/// (and is still delivered after the free).
fn set_cancel_free_expire(backend: Backend, full: bool) {
    check(move || {
        let (p, mock) = pool(backend, 1, 1);
        let p = Arc::new(p);
        let evs = TimeoutPool::new(if full { 3 } else { 2 }).unwrap();
        let q = TimeoutQueue::new(if full { 1 } else { 2 }).unwrap();
        let filler = full.then(|| {
            let f = evs.alloc().unwrap();
            let id = f.id();
            q.push(f).unwrap();
            id
        });
        let t = p.alloc_on(0, &q, 7).unwrap();
        let (a, b) = (evs.alloc().unwrap(), evs.alloc().unwrap());
        let (a_id, b_id) = (a.id(), b.id());
        p.set_abs(t, 1, Some(a)).unwrap();
        mock.increment(RES); // tick 1: t is due

        let setter = {
            let p = p.clone();
            spawn(move || match p.set_abs(t, 3, Some(b)) {
                Ok(armed) => (Ok(armed.tick), armed.replaced),
                Err(e) => (Err(e.error), e.event),
            })
        };
        let canceller = {
            let p = p.clone();
            spawn(move || (p.cancel(t), p.free(t)))
        };
        let delivered = p.expire_shard(0).unwrap();
        let (set, set_back) = setter.join().unwrap();
        let (cancel, free) = canceller.join().unwrap();

        let free = free.expect("only the canceller frees");
        // Nothing armed remains (the timer is freed); a blocked A is
        // delivered once the filler is out.
        let mut in_queue = drain(&q);
        let had_filler = filler.is_some_and(|f| in_queue.iter().any(|e| e.id() == f));
        let late = p.expire();
        in_queue.extend(drain(&q));
        assert_eq!(p.info().pending, 0, "nothing waits any more");
        assert_eq!(full, had_filler);
        // Past every tick ever set, a pass finds nothing and the shard's
        // bound says so.
        mock.increment(10 * RES);
        assert_eq!(p.expire(), 0);
        assert_eq!(p.next_deadline(), None);

        // The expiry: A, at tick 1, delivered by the pass (or, if its queue
        // was full, by the final pass).
        let fired: Vec<&Timeout> = in_queue.iter().filter(|e| e.timer().is_some()).collect();
        assert!(fired.len() <= 1, "{fired:?}");
        if let Some(e) = fired.first() {
            assert_eq!((e.id(), e.tick(), e.user_ctx()), (a_id, 1, 7));
            if full {
                assert_eq!((delivered, late), (0, 1), "A waited for room");
            } else {
                assert_eq!((delivered, late), (1, 0));
            }
        } else {
            assert_eq!((delivered, late), (0, 0));
        }
        let expired = !fired.is_empty();

        // The setter: armed with B (handing back A if A was still held) or
        // refused after the free (B back).
        match set {
            Ok(tick) => {
                assert_eq!(tick, 3);
                if let Some(r) = &set_back {
                    assert_eq!((r.id(), r.tick()), (a_id, 1), "A was replaced");
                }
            }
            Err(e) => {
                assert_eq!(e, Error::StaleKey, "only a freed key refuses B");
                assert_eq!(set_back.as_ref().map(Timeout::id), Some(b_id));
            }
        }
        // The canceller: the held event (A at tick 1 or B at tick 3), or
        // AlreadyExpired if the expiry came first and no set since.
        match &cancel {
            Ok(e) => {
                let want = if e.id() == a_id { 1 } else { 3 };
                assert_eq!((e.tick(), e.user_ctx()), (want, 7));
            }
            Err(e) => {
                assert_eq!(*e, Error::AlreadyExpired, "t was armed or expired");
                assert!(expired, "AlreadyExpired, so A was delivered");
            }
        }
        // The free returns an event only if the timer was armed then: B,
        // set after the cancel.
        if let Some(e) = &free {
            assert_eq!((e.id(), e.tick()), (b_id, 3));
            assert!(matches!(set, Ok(_)));
        }
        // A setter that armed B after the free is impossible, so if B came
        // back from nowhere else, the set must have failed.
        assert_eq!(
            matches!(set, Err(_)),
            set_back.as_ref().is_some_and(|e| e.id() == b_id)
        );

        let mut all = in_queue;
        all.extend(set_back);
        all.extend(cancel.ok());
        all.extend(free);
        for e in &all {
            assert!(!p.is_fresh(e), "the timer is freed: {e:?}");
        }
        all_accounted_for(&evs, &all);
        drop(all);
        assert_eq!(evs.available(), evs.capacity());
    });
}

#[test]
fn set_cancel_free_expire_race_wheel() {
    set_cancel_free_expire(Backend::Wheel, false);
}

#[test]
fn set_cancel_free_expire_race_hires() {
    set_cancel_free_expire(Backend::Hires, false);
}

#[test]
fn set_cancel_free_expire_race_full_queue() {
    set_cancel_free_expire(Backend::Wheel, true);
}

/// A loom word the threads of a model bump (relaxed, so it orders nothing)
/// next to the pool operations whose orders matter. Loom's DPOR remembers
/// only the last access to a word, so a store after two loads by another
/// thread (the lock-free `next_due` check) is not seen to conflict with
/// the first load and the other orders are not explored; read-modify-writes
/// of this word all conflict with each other, which makes loom run each
/// thread's section before, between and after the other's.
#[derive(Clone)]
struct Gate(Arc<AtomicUsize>);

impl Gate {
    fn new() -> Self {
        Gate(Arc::new(AtomicUsize::new(0)))
    }
    fn pass(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// (b) A foreign thread sets a timer of shard 0 (due at tick 3) while
/// shard 0's owner moves the clock to tick 3 and runs its pass, twice. The
/// expiry is delivered exactly once: by one of the owner's passes or, if
/// the set came after them, by the pass after the join. Shard 1's pass,
/// run by the foreign thread, never delivers shard 0's timer. With `busy`,
/// shard 0 also has a timer of its own due at tick 3, so the owner's first
/// pass takes the lock (against the set) instead of the lock-free exit.
fn foreign_set_against_owner_pass(backend: Backend, busy: bool) {
    check(move || {
        let (p, mock) = pool(backend, 2, 0);
        let p = Arc::new(p);
        let evs = TimeoutPool::new(3).unwrap();
        let q = TimeoutQueue::new(3).unwrap();
        let t = p.alloc_on(0, &q, 0).unwrap();
        let u = p.alloc_on(1, &q, 1).unwrap();
        let own = p.alloc_on(0, &q, 2).unwrap();
        // Shard 1 has a timer of its own, due later than t.
        p.set_abs(u, 50, Some(evs.alloc().unwrap())).unwrap();
        if busy {
            p.set_abs(own, 3, Some(evs.alloc().unwrap())).unwrap();
        }
        mock.increment(RES); // tick 1
        let gate = Gate::new();

        let foreign = {
            let (p, gate) = (p.clone(), gate.clone());
            let ev = evs.alloc().unwrap();
            spawn(move || {
                gate.pass();
                let armed = p.set_abs(t, 3, Some(ev)).unwrap();
                assert!(armed.replaced.is_none());
                gate.pass();
                p.expire_shard(1).unwrap()
            })
        };
        mock.increment(2 * RES); // tick 3, by the owner
        gate.pass();
        let first = p.expire_shard(0).unwrap();
        gate.pass();
        let second = p.expire_shard(0).unwrap();
        let other = foreign.join().unwrap();
        assert_eq!(other, 0, "shard 1 has nothing due");
        let after = p.expire_shard(0).unwrap();
        let extra = usize::from(busy);
        assert!(first >= extra, "the owner's timer was due: {first}");
        assert_eq!(
            first + second + after,
            1 + extra,
            "t delivered exactly once: {first} {second} {after}"
        );
        assert_eq!(p.expire(), 0);
        let got = drain(&q);
        assert_eq!(got.len(), 1 + extra);
        let mine: Vec<&Timeout> = got.iter().filter(|e| e.timer() == Some(t)).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].tick(), 3);
        assert!(p.is_fresh(mine[0]));
        assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
        assert_eq!(p.next_deadline_shard(0), Ok(None));
        assert!(p.next_deadline_shard(1).unwrap().is_some_and(|d| d <= 50));
        let held = p.cancel(u).unwrap();
        for k in [t, u, own] {
            p.free(k).unwrap();
        }
        let mut all = got;
        all.push(held);
        all.extend((!busy).then(|| evs.alloc().unwrap()));
        all_accounted_for(&evs, &all);
    });
}

#[test]
fn foreign_set_against_owner_pass_wheel() {
    foreign_set_against_owner_pass(Backend::Wheel, false);
}

#[test]
fn foreign_set_against_owner_pass_hires() {
    foreign_set_against_owner_pass(Backend::Hires, false);
}

#[test]
fn foreign_set_against_busy_owner_pass() {
    foreign_set_against_owner_pass(Backend::Wheel, true);
}

/// (c) The lock-free "nothing due" check against a concurrent set of an
/// earlier timer. On shard 0, timer A is armed at tick 10 and timer C at
/// tick 4, and the clock is at tick 4. Thread X sets timer B for tick 4
/// (due now) and then raises a flag; thread Z runs shard 0's pass (it
/// takes the lock for C and then publishes A's tick 10 as the next due
/// tick); the main thread reads the flag, then runs a pass. If the flag
/// was up, B has been delivered when that pass returns (by it or by Z's):
/// a set is never lost behind a `next_due` published by a pass that did
/// not see it. A (tick 10) never fires.
fn nothing_due_check_against_earlier_set(backend: Backend) {
    check(move || {
        let (p, mock) = pool(backend, 1, 0);
        let p = Arc::new(p);
        let evs = TimeoutPool::new(3).unwrap();
        let q = TimeoutQueue::new(3).unwrap();
        let a = p.alloc_on(0, &q, 0).unwrap();
        let b = p.alloc_on(0, &q, 1).unwrap();
        let c = p.alloc_on(0, &q, 2).unwrap();
        p.set_abs(a, 10, Some(evs.alloc().unwrap())).unwrap();
        p.set_abs(c, 4, Some(evs.alloc().unwrap())).unwrap();
        mock.increment(4 * RES); // tick 4: C due, not A
        let done = Arc::new(AtomicBool::new(false));
        let gate = Gate::new();

        let x = {
            let (p, done, gate) = (p.clone(), done.clone(), gate.clone());
            let ev = evs.alloc().unwrap();
            spawn(move || {
                gate.pass();
                p.set_abs(b, 4, Some(ev)).unwrap();
                done.store(true, Ordering::Release);
                gate.pass();
            })
        };
        let z = {
            let (p, gate) = (p.clone(), gate.clone());
            spawn(move || {
                gate.pass();
                p.expire_shard(0).unwrap()
            })
        };
        let seen = done.load(Ordering::Acquire);
        gate.pass();
        let mine = p.expire_shard(0).unwrap();
        let ctx: Vec<u64> = {
            // What is in the queue now (put back in the same order).
            let now = drain(&q);
            let ctx = now.iter().map(Timeout::user_ctx).collect();
            for e in now {
                q.push(e).unwrap();
            }
            ctx
        };
        assert!(ctx.contains(&2), "C was due: delivered by now ({ctx:?})");
        if seen {
            assert!(ctx.contains(&1), "B was set before this pass: {ctx:?}");
        }
        x.join().unwrap();
        let theirs = z.join().unwrap();
        let after = p.expire_shard(0).unwrap();
        assert_eq!(mine + theirs + after, 2, "B and C delivered exactly once");
        let got = drain(&q);
        let mut fired: Vec<(Option<hrwheel::TimerKey>, u64)> =
            got.iter().map(|e| (e.timer(), e.tick())).collect();
        fired.sort_by_key(|f| f.0.map(|k| k.index()));
        let mut want = vec![(Some(b), 4), (Some(c), 4)];
        want.sort_by_key(|f| f.0.map(|k| k.index()));
        assert_eq!(fired, want);
        assert!(p.next_deadline().is_some_and(|d| d <= 10), "A still armed");
        let held = p.cancel(a).expect("A never fired");
        assert_eq!(held.tick(), 10);
        for k in [a, b, c] {
            p.free(k).unwrap();
        }
        let mut all = got;
        all.push(held);
        all_accounted_for(&evs, &all);
    });
}

#[test]
fn nothing_due_check_against_earlier_set_wheel() {
    nothing_due_check_against_earlier_set(Backend::Wheel);
}

#[test]
fn nothing_due_check_against_earlier_set_hires() {
    nothing_due_check_against_earlier_set(Backend::Hires);
}
