//! Steady state allocates nothing: a counting global allocator around
//! insert / cancel / reset / expire (one-shot, periodic re-arm, range,
//! realtime, in-callback stop / re-arm / set_period / take).
//!
//! This file is its own test binary with a single test, so the global
//! allocator sees only this test; counting is further limited to the test's
//! thread by a thread-local flag.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use hrwheel_hires::{ClockBase, HiresQueue, TimerKey};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.with(|c| c.get()) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call unchanged to the system allocator; the only
// extra work is a relaxed counter increment and a const thread-local read,
// neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Small deterministic PRNG (xorshift64*), no allocation.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LIVE: usize = if cfg!(miri) { 64 } else { 4_096 };
const ROUNDS: u64 = if cfg!(miri) { 200 } else { 200_000 };
/// Deadlines are spread over this many ns ahead of now.
const SPREAD: u64 = if cfg!(miri) { 200 } else { 10_000 };

#[test]
fn steady_state_does_not_allocate() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut q: HiresQueue<u64> = HiresQueue::new();
    // Handles live in a preallocated array; slots are refilled in place.
    let mut handles: Vec<Option<TimerKey>> = vec![None; LIVE];
    let mut now = 0u64;

    let arm = |q: &mut HiresQueue<u64>, rng: &mut Rng, now: u64, v: u64| -> TimerKey {
        let at = now + 1 + rng.below(SPREAD);
        match rng.below(5) {
            0 => q.insert(at, v),
            1 => q.insert_periodic(at, 1 + rng.below(SPREAD / 2), v).unwrap(),
            2 => q.insert_range(at, at + rng.below(500), v).unwrap(),
            3 => q.insert_on(ClockBase::Realtime, at, v),
            _ => q
                .insert_periodic_on(ClockBase::Realtime, at, 1 + rng.below(SPREAD / 2), v)
                .unwrap(),
        }
    };

    // Warm-up: grow to the peak number of live timers, exercise every path.
    for (i, slot) in handles.iter_mut().enumerate() {
        *slot = Some(arm(&mut q, &mut rng, now, i as u64));
    }
    let cap = q.capacity();
    let mut fired = 0usize;
    let mut taken = 0u64;

    let mut body = |q: &mut HiresQueue<u64>, rng: &mut Rng, now: &mut u64, count: bool| {
        COUNTING.with(|c| c.set(count));
        for round in 0..ROUNDS {
            let i = rng.below(LIVE as u64) as usize;
            match rng.below(4) {
                // cancel and re-arm in the same slot
                0 => {
                    if let Some(h) = handles[i] {
                        if q.cancel(h).is_some() {
                            handles[i] = Some(arm(q, rng, *now, round));
                        }
                    }
                }
                // reset
                1 => {
                    if let Some(h) = handles[i] {
                        let _ = q.reset(h, *now + 1 + rng.below(SPREAD));
                    }
                }
                // expire a little time
                2 => {
                    *now += 1 + rng.below(50);
                    let mode = rng.below(8);
                    fired += q.expire(*now, |mut f| match (mode, f.period()) {
                        (0, _) => f.rearm_after(100),
                        (1, Some(_)) => {
                            f.set_period(1 + f.deadline() % 3_000).unwrap();
                        }
                        (2, Some(_)) => f.stop(),
                        (_, None) => taken += f.take(),
                        _ => *f.value_mut() += 1,
                    });
                }
                // step the realtime clock
                _ => {
                    if round % 64 == 0 {
                        q.clock_was_set(rng.below(20_000) as i64 - 10_000);
                    }
                }
            }
            // refill slots whose timer ended (handle went stale)
            if let Some(h) = handles[i] {
                if !q.contains(h) {
                    handles[i] = Some(arm(q, rng, *now, round));
                }
            }
        }
        COUNTING.with(|c| c.set(false));
    };

    body(&mut q, &mut rng, &mut now, false);
    let before = ALLOCS.load(Ordering::Relaxed);
    body(&mut q, &mut rng, &mut now, true);
    let after = ALLOCS.load(Ordering::Relaxed);

    assert!(
        fired > ROUNDS as usize / 10,
        "the workload must expire timers: {fired}"
    );
    assert!(taken > 0);
    assert!(q.len() <= LIVE);
    assert_eq!(q.capacity(), cap, "the arena must not have grown");
    assert_eq!(after - before, 0, "allocations in steady state");

    // The counter works: an allocation while counting is seen.
    COUNTING.with(|c| c.set(true));
    let v: Vec<u8> = Vec::with_capacity(16);
    COUNTING.with(|c| c.set(false));
    drop(v);
    assert_eq!(ALLOCS.load(Ordering::Relaxed), after + 1);
}
