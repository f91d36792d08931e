//! The guarantee of a relative set is in ticks: `set_rel(k)` never fires
//! before tick `now + k`, counted from the start of the current tick (as in
//! ODP), so its wall-clock delay from the call is in `((k-1)*r, k*r]`.

use hrwheel::{Backend, ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};

const R: u64 = 1_000;

#[test]
fn set_rel_counts_from_the_start_of_the_current_tick() {
    for backend in [Backend::Wheel, Backend::Hires] {
        for k in [1u64, 2, 5] {
            for offset in [0, 1, R / 2, R - 1] {
                let (clock, mock) = ClockSource::mock();
                let pool = LocalTimerPool::new_local(
                    "rel",
                    PoolParams::default()
                        .resolution_ns(R)
                        .min_timeout_ns(R)
                        .max_timeout_ns(100 * R)
                        .num_timers(1)
                        .clock(clock)
                        .backend(backend),
                )
                .unwrap();
                let q = TimeoutQueue::new(1).unwrap();
                let evs = TimeoutPool::new(1).unwrap();
                let t = pool.alloc(&q, 0).unwrap();
                mock.increment(3 * R + offset);
                let armed = pool.set_rel(t, k, Some(evs.alloc().unwrap())).unwrap();
                assert_eq!(armed.tick, 3 + k);
                // Last ns before tick 3 + k: not yet.
                let wait = k * R - offset;
                mock.increment(wait - 1);
                assert_eq!(pool.expire(), 0, "{backend:?} k={k} offset={offset}");
                // First ns of tick 3 + k: fires, after `wait` ns of real time.
                mock.increment(1u64);
                assert_eq!(pool.expire(), 1, "{backend:?} k={k} offset={offset}");
                assert!(wait > (k - 1) * R && wait <= k * R);
            }
        }
    }
}
