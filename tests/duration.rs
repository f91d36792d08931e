//! `set_after` / `set_at_ns` on the mock clock (issue 10): a timer set for
//! `d` never fires before `d` of pool-clock time has passed since the call,
//! and fires less than one resolution after that when `expire` runs at
//! every tick boundary; out-of-range durations are typed errors.

mod common;

use std::time::Duration;

use hrwheel::{Backend, Error, Sharing};
use proptest::prelude::*;

use common::{events, pool, queue};

/// Sets a `d` timer at `start` ns (mock), then runs `expire` at every tick
/// boundary (and at `start + d - 1`, the last ns before the request) until it
/// fires. Returns how late it fired relative to `start + d`.
fn fire_lateness<S: Sharing>(backend: Backend, res: u64, start: u64, d: u64) -> u64 {
    let max_ticks = d / res + 4;
    let (pool, mock) = pool::<S>(backend, res, 0, max_ticks, 1);
    let (q, evs) = (queue(1), events(1));
    let t = pool.alloc(&q, 0).unwrap();
    mock.increment(start);
    let armed = pool
        .set_after(t, Duration::from_nanos(d), Some(evs.alloc().unwrap()))
        .unwrap();
    let want = start + d;
    assert!(pool.tick_to_ns(armed.tick) >= want, "tick {}", armed.tick);
    // Passes: at the set, at the last ns before the request, and at every
    // tick boundary after the set.
    let mut now = start;
    let mut passes = vec![start];
    if want > start + 1 {
        passes.push(want - 1);
    }
    let mut next = (start / res + 1) * res;
    while next < want + res {
        passes.push(next);
        next += res;
    }
    passes.sort_unstable();
    for at in passes {
        mock.increment(at - now);
        now = at;
        if pool.expire() == 1 {
            let ev = q.pop().unwrap();
            assert_eq!(ev.tick(), armed.tick);
            assert!(
                now >= want,
                "early: {now} < {want} (start {start}, d {d}, res {res})"
            );
            return now - want;
        }
    }
    panic!("not fired by {now}: start {start}, d {d}, res {res}");
}

fn never_early_at_tick_boundaries<S: Sharing>(backend: Backend) {
    // Under miri (a pool and up to 200 passes per case) the corners only.
    let resolutions: &[u64] = if cfg!(miri) {
        &[1_000, 1]
    } else {
        &[1_000_000, 1_000, 7, 1]
    };
    for &res in resolutions {
        let ticks: &[u64] = if cfg!(miri) { &[1] } else { &[0, 1, 1_000] };
        for &tick in ticks {
            let offs = if cfg!(miri) {
                vec![0, res - 1]
            } else {
                vec![0, 1, res / 2, res - 1]
            };
            for off in offs {
                let start = tick * res + off;
                let ds = if cfg!(miri) {
                    vec![0, res, res + 1, 3 * res - 1]
                } else {
                    vec![0, 1, res - 1, res, res + 1, 3 * res - 1, 200 * res]
                };
                for d in ds {
                    let late = fire_lateness::<S>(backend, res, start, d);
                    assert!(
                        late < res,
                        "{backend:?} res {res} start {start} d {d}: {late} ns late"
                    );
                }
            }
        }
    }
}

/// The example of the issue: 200 ms at the last ns of a 1 ms tick.
fn two_hundred_ms_at_the_last_ns_of_a_tick<S: Sharing>(backend: Backend) {
    let (pool, mock) = pool::<S>(backend, 1_000_000, 1, 10_000, 1);
    let (q, evs) = (queue(1), events(1));
    let t = pool.alloc(&q, 0).unwrap();
    mock.increment(41_999_999u64); // last ns of tick 41
    let armed = pool
        .set_after(t, Duration::from_millis(200), Some(evs.alloc().unwrap()))
        .unwrap();
    assert_eq!(
        armed.tick, 242,
        "set_rel(200) would be tick 241: 1 ns early"
    );
    for _ in 0..199 {
        mock.increment(1_000_000u64);
        assert_eq!(pool.expire(), 0);
    }
    mock.increment(999_999u64); // 1 ns short of 200 ms
    assert_eq!(pool.expire(), 0);
    mock.increment(1u64); // exactly 200 ms after the set: still tick 241
    assert_eq!(pool.expire(), 0);
    mock.increment(1u64); // tick 242 starts, 200 ms + 1 ns after the set
    assert_eq!(pool.expire(), 1);
    assert_eq!(q.pop().unwrap().tick(), 242);
}

fn out_of_range_durations_are_typed_errors<S: Sharing>(backend: Backend) {
    let res = 1_000u64;
    let (pool, mock) = pool::<S>(backend, res, 2, 100, 1);
    let (q, evs) = (queue(1), events(1));
    let t = pool.alloc(&q, 0).unwrap();
    mock.increment(5 * res + 1);
    let mut ev = Some(evs.alloc().unwrap());
    for (d, want) in [
        (Duration::MAX, Error::TooLate),
        (Duration::from_nanos(u64::MAX), Error::TooLate), // now + d overflows
        (Duration::from_secs(1), Error::TooLate),
        (Duration::from_nanos(100 * res + 1), Error::TooLate),
        (Duration::ZERO, Error::TooEarly),
        (Duration::from_nanos(res / 2), Error::TooEarly), // below min_timeout
    ] {
        let e = pool.set_after(t, d, ev.take()).unwrap_err();
        assert_eq!(e.error, want, "{d:?}");
        ev = e.into_event();
        assert!(ev.is_some(), "the event comes back");
    }
    assert_eq!(pool.cancel(t).unwrap_err(), Error::NotArmed, "left unset");
    // Always accepted: min_timeout ..= (max_ticks - 1) * res + 1, at any
    // offset within the tick.
    for off in (0..res).step_by(37).chain([res - 1]) {
        let (pool, mock) = common::pool::<S>(backend, res, 2, 100, 1);
        let t = pool.alloc(&q, 0).unwrap();
        mock.increment(off);
        for d in [2 * res, 99 * res + 1] {
            let armed = pool
                .set_after(t, Duration::from_nanos(d), ev.take())
                .unwrap_or_else(|e| panic!("off {off} d {d}: {:?}", e.error));
            assert!(pool.tick_to_ns(armed.tick) >= off + d);
            ev = pool.cancel(t).ok();
        }
    }
}

fn set_at_ns_rounds_up_and_refuses_the_past<S: Sharing>(backend: Backend) {
    let res = 1_000u64;
    let (pool, mock) = pool::<S>(backend, res, 0, 1_000, 1);
    let (q, evs) = (queue(1), events(1));
    let t = pool.alloc(&q, 0).unwrap();
    mock.increment(10 * res + 500);
    assert_eq!(pool.now_ns(), 10_500);
    let ev = Some(evs.alloc().unwrap());
    // Before the current tick: refused.
    let e = pool.set_at_ns(t, 8_999, ev).unwrap_err();
    assert_eq!(e.error, Error::TooEarly);
    // Earlier in the current tick: due now (min_timeout 0).
    let armed = pool.set_at_ns(t, 9_001, e.into_event()).unwrap();
    assert_eq!(armed.tick, 10);
    // Later in the current tick: rounds up to the next tick.
    let armed = pool.set_at_ns(t, 10_600, None).unwrap();
    assert_eq!(armed.tick, 11);
    // A tick start is exact.
    assert_eq!(pool.set_at_ns(t, 20_000, None).unwrap().tick, 20);
    assert_eq!(pool.set_at_ns(t, 20_001, None).unwrap().tick, 21);
    mock.increment(20_999 - 10_500u64);
    assert_eq!(pool.expire(), 0);
    mock.increment(1u64);
    assert_eq!(pool.expire(), 1);
}

for_all_pools!(
    never_early_at_tick_boundaries,
    two_hundred_ms_at_the_last_ns_of_a_tick,
    out_of_range_durations_are_typed_errors,
    set_at_ns_rounds_up_and_refuses_the_past,
);

#[test]
fn duration_to_ticks_rounds_up_and_saturates() {
    let (pool, _) = pool::<hrwheel::Local>(Backend::Wheel, 1_000, 0, 10, 1);
    assert_eq!(pool.duration_to_ticks(Duration::from_nanos(1)), 1);
    assert_eq!(pool.duration_to_ticks(Duration::from_nanos(1_000)), 1);
    assert_eq!(pool.duration_to_ticks(Duration::from_nanos(1_001)), 2);
    assert_eq!(pool.duration_to_ticks(Duration::MAX), u64::MAX);
    assert_eq!(pool.ticks_to_duration(3), Duration::from_micros(3));
    assert_eq!(
        pool.ticks_to_duration(u64::MAX).as_nanos(),
        u128::from(u64::MAX) * 1_000
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { common::cases(256) },
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]
    /// The tick `set_after` picks is the first tick starting at or after
    /// `now + d`: never early, less than one resolution late.
    #[test]
    fn set_after_picks_the_first_tick_at_or_after_the_request(
        res in 1u64..5_000_000,
        start in 0u64..1_000_000_000_000,
        d in 0u64..10_000_000_000,
    ) {
        let max_ticks = d / res + 2;
        let (pool, mock) = pool::<hrwheel::Local>(Backend::Hires, res, 0, max_ticks, 1);
        let (q, evs) = (queue(1), events(1));
        let t = pool.alloc(&q, 0).unwrap();
        mock.increment(start);
        let armed = pool.set_after(t, Duration::from_nanos(d), Some(evs.alloc().unwrap())).unwrap();
        let fire = u128::from(pool.tick_to_ns(armed.tick));
        let want = u128::from(start + d);
        prop_assert!(fire >= want);
        prop_assert!(fire < want + u128::from(res));
    }
}
