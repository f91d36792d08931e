//! Proves that, once the slab has grown, `insert`, `insert_with_slack`,
//! `cancel`, `reset`, `get`, `next_deadline` and `expire` allocate nothing:
//! a counting global allocator (counting only this thread's allocations, so
//! the test harness does not disturb it) must see zero allocations during a
//! steady-state churn of timers at every level.

use hrwheel_wheel::{TimerKey, Wheel};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may be gone while the thread exits.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` unchanged; counting has no
// effect on the returned memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
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

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn steady_state_operations_do_not_allocate() {
    let n: usize = if cfg!(miri) { 200 } else { 20_000 };
    let rounds: u64 = if cfg!(miri) { 50 } else { 2_000 };
    let mut w: Wheel<u64> = Wheel::with_capacity(n);
    let mut keys: Vec<TimerKey> = Vec::with_capacity(n);
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Warm-up, outside the measurement: fill to capacity.
    for i in 0..n as u64 {
        keys.push(w.insert(1 + rnd() % (1 << 20), i));
        // (values are the timer's index in `keys`)
    }
    let fired: Vec<u64> = Vec::with_capacity(n);
    let mut fired = std::hint::black_box(fired);

    let before = allocs();
    let mut fired_total = 0usize;
    let mut slot = 0usize;
    for round in 0..rounds {
        let now = w.now();
        // Churn: cancel and re-insert, reset later (lazy) and earlier
        // (relink), at every distance including the far levels and the past.
        for _ in 0..8 {
            slot = (slot + 1 + (rnd() as usize % 7)) % keys.len();
            let k = keys[slot];
            let dist = rnd() >> (rnd() % 64);
            match rnd() % 5 {
                0 => {
                    if w.cancel(k).is_some() {
                        keys[slot] = w.insert(now.saturating_add(dist), slot as u64);
                    }
                }
                1 => {
                    let _ = w.reset(k, now.saturating_add(dist));
                }
                2 => {
                    let _ = w.reset(k, now.saturating_sub(dist % 100));
                }
                3 => {
                    if w.cancel(k).is_some() {
                        keys[slot] =
                            w.insert_with_slack(now.saturating_add(dist), dist / 8, slot as u64);
                    }
                }
                _ => {
                    let _ = w.get(k);
                    let _ = w.next_deadline();
                }
            }
        }
        // Advance a little, sometimes a lot, re-arming what fires.
        let step = if round % 97 == 0 {
            1 << 22
        } else {
            rnd() % 200
        };
        fired.clear();
        fired_total += w.expire(now + step, |e| fired.push(e.value));
        for &slot in fired.iter() {
            keys[slot as usize] = w.insert(w.now() + 1 + rnd() % (1 << 20), slot);
        }
    }
    let after = allocs();
    assert_eq!(after - before, 0, "allocations in steady state");
    assert_eq!(w.len(), n);
    assert!(fired_total > 0);
    let s = w.stats();
    assert!(
        s.resets > 0 && s.cancels > 0 && s.cascade_moves > 0,
        "{s:?}"
    );
    // The counter works: an allocation is seen.
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(allocs() > after);
    drop(v);
}

/// A small wheel (fewer timers than slots, so each may sit alone in a slot
/// at its own level, or all in one run) allocates nothing after
/// `with_capacity(n)` either, from the very first operation: the slot
/// chunks and the run's buffers it reserves cover any placement of `n`
/// timers.
#[test]
fn a_small_wheel_never_allocates_within_its_capacity() {
    let n: usize = 40;
    let rounds: u64 = if cfg!(miri) { 30 } else { 3_000 };
    let mut fired: Vec<u64> = Vec::with_capacity(n);
    let mut keys: Vec<TimerKey> = Vec::with_capacity(n);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let before = allocs();
    let mut w: Wheel<u64> = Wheel::with_capacity(n);
    let after_new = allocs();
    for i in 0..n as u64 {
        // Every level, and some bursts on one tick.
        let d = if i % 4 == 0 {
            5_000
        } else {
            rnd() >> (rnd() % 64)
        };
        keys.push(w.insert(d.max(1), i));
    }
    for round in 0..rounds {
        let now = w.now();
        let slot = (rnd() % n as u64) as usize;
        let k = keys[slot];
        match rnd() % 3 {
            0 => {
                if w.cancel(k).is_some() {
                    keys[slot] =
                        w.insert(now.saturating_add(1 + (rnd() >> (rnd() % 64))), slot as u64);
                }
            }
            1 => {
                let _ = w.reset(k, now.saturating_add(rnd() >> (rnd() % 64)));
            }
            _ => {
                let _ = w.reset(k, now + 1 + rnd() % 64);
            }
        }
        let to = if round % 5 == 0 {
            w.next_deadline().unwrap_or(now)
        } else {
            now + rnd() % 300
        };
        fired.clear();
        w.expire(to, |e| fired.push(e.value));
        for &slot in fired.iter() {
            keys[slot as usize] = w.insert(
                w.now().saturating_add(1 + (rnd() >> (rnd() % 63 + 1))),
                slot,
            );
        }
    }
    let after = allocs();
    assert_eq!(after - after_new, 0, "allocations after with_capacity");
    assert!(after_new > before);
    assert_eq!(w.len(), n);
    w.check_invariants().unwrap();
}
