//! Steady-state set / reset / cancel / expire / consume allocate nothing.
//!
//! A counting global allocator counts allocations made by the test's own
//! thread while `COUNTING` is on; everything (pool, engine, events, queue)
//! is created and warmed up before.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use hrwheel::{Backend, ClockSource, PoolParams, Sharing, TimeoutPool, TimeoutQueue, TimerPool};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Per thread, so tests running in parallel do not add to each other's.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the thread-locals have const
// initialisers and so never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// Smaller under miri, which runs this a thousand times slower.
const TIMERS: usize = if cfg!(miri) { 16 } else { 512 };
const WARM_UP: usize = if cfg!(miri) { 16 } else { 200 };
const ROUNDS: usize = if cfg!(miri) { 8 } else { 200 };
const MIN_EXPIRED: u64 = if cfg!(miri) { 4 } else { 1_000 };

/// One round of a churn workload: reset a third of the timers, cancel and
/// re-set a few, advance one tick, expire, re-arm what expired.
fn round<S: Sharing>(
    p: &TimerPool<S>,
    mock: &quanta::Mock,
    q: &TimeoutQueue,
    timers: &[hrwheel::TimerKey],
    step: &mut u64,
) {
    for (i, &t) in timers.iter().enumerate() {
        *step = step
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ticks = 5 + (*step >> 60);
        match i % 7 {
            0 | 1 => {
                let _ = p.set_rel(t, ticks, None);
            }
            2 => {
                if let Ok(ev) = p.cancel(t) {
                    let _ = p.set_rel(t, ticks, Some(ev));
                }
            }
            _ => {}
        }
    }
    mock.increment(1_000u64);
    p.expire();
    while let Some(ev) = q.pop() {
        if let Some(t) = ev.timer() {
            let _ = p.set_rel(t, 5 + (*step >> 61), Some(ev));
        }
    }
}

/// A pool of `n` timers at 1 µs ticks, timeouts up to 1 s, on a mock clock.
fn pool<S: Sharing>(b: Backend, n: usize) -> (TimerPool<S>, std::sync::Arc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = TimerPool::<S>::create(
        "noalloc",
        PoolParams::default()
            .resolution_ns(1_000)
            .min_timeout_ns(0)
            .max_timeout_ns(1_000_000)
            .num_timers(n)
            .clock(clock)
            .backend(b),
    )
    .unwrap();
    (p, mock)
}

fn steady_state_allocates_nothing<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, TIMERS);
    let evs = TimeoutPool::new(TIMERS).unwrap();
    let q = TimeoutQueue::new(TIMERS).unwrap();
    let timers: Vec<_> = (0..TIMERS)
        .map(|i| p.alloc(&q, i as u64).unwrap())
        .collect();
    for (i, &t) in timers.iter().enumerate() {
        let _ = p.set_rel(t, 5 + (i % 16) as u64, Some(evs.alloc().unwrap()));
    }
    let mut step = 1u64;
    // Warm-up: let the engines grow whatever they keep.
    for _ in 0..WARM_UP {
        round(&p, &mock, &q, &timers, &mut step);
    }
    let expired_before = p.info().expired;
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    for _ in 0..ROUNDS {
        round(&p, &mock, &q, &timers, &mut step);
    }
    COUNTING.with(|c| c.set(false));
    let n = ALLOCS.with(Cell::get);
    let expired = p.info().expired - expired_before;
    assert!(
        expired > MIN_EXPIRED,
        "{b:?}: the rounds must expire timers ({expired})"
    );
    assert_eq!(n, 0, "{b:?}: {n} allocations in steady state");
}

#[test]
fn no_allocation_in_steady_state() {
    // The counter itself works: a Box made while counting is seen.
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let b = std::hint::black_box(Box::new(7u64));
    COUNTING.with(|c| c.set(false));
    drop(b);
    assert_eq!(ALLOCS.with(Cell::get), 1);

    for b in [Backend::Wheel, Backend::Hires] {
        steady_state_allocates_nothing::<hrwheel::Shared>(b);
        steady_state_allocates_nothing::<hrwheel::Local>(b);
    }
}

/// Periodic callback timers run pass after pass (the pool re-arms them on
/// their grid, the driver-less `expire` path) and event timers handed over
/// by `expire_into` into a reused `Vec`: nothing allocates once warm.
fn callbacks_and_expire_into_allocate_nothing<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 2 * TIMERS);
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    for i in 0..TIMERS {
        let r = runs.clone();
        let t = p
            .alloc_callback(i as u64, move |_, _| {
                r.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        // Periods 2..=8: passes at prime ticks run no callback at all.
        p.start_periodic(t, None, 2 + (i % 7) as u64, None).unwrap();
    }
    let evs = TimeoutPool::new(TIMERS).unwrap();
    let q = TimeoutQueue::new(TIMERS).unwrap();
    let timers: Vec<_> = (0..TIMERS)
        .map(|i| p.alloc(&q, i as u64).unwrap())
        .collect();
    for (i, &t) in timers.iter().enumerate() {
        p.set_rel(t, 1 + (i % 9) as u64, Some(evs.alloc().unwrap()))
            .unwrap();
    }
    let mut out = Vec::with_capacity(TIMERS);
    let mut round = |p: &TimerPool<S>| {
        mock.increment(1_000u64);
        p.expire_into(&mut out);
        for ev in out.drain(..) {
            let t = ev.timer().unwrap();
            p.set_rel(t, 1 + ev.user_ctx() % 9, Some(ev)).unwrap();
        }
    };
    for _ in 0..WARM_UP {
        round(&p);
    }
    let before = runs.load(Ordering::Relaxed);
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    for _ in 0..ROUNDS {
        round(&p);
    }
    COUNTING.with(|c| c.set(false));
    let n = ALLOCS.with(Cell::get);
    let ran = runs.load(Ordering::Relaxed) - before;
    assert!(
        ran as u64 > MIN_EXPIRED,
        "{b:?}: the rounds must run callbacks ({ran})"
    );
    assert_eq!(n, 0, "{b:?}: {n} allocations in steady state");
}

#[test]
fn no_allocation_for_callbacks_and_expire_into() {
    for b in [Backend::Wheel, Backend::Hires] {
        callbacks_and_expire_into_allocate_nothing::<hrwheel::Shared>(b);
        callbacks_and_expire_into_allocate_nothing::<hrwheel::Local>(b);
    }
}
