//! The intent of ODP's timer validation suite (`test/validation/api/timer`),
//! on a mock clock, for both engines and both sharing kinds.

mod common;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Sharing, Timeout, TimerPool};

/// Advances the mock clock by `ns` in steps of `step` ns, calling `expire`
/// after each step; returns `(ns since start, event)` for every delivery.
fn run<S: Sharing>(
    p: &TimerPool<S>,
    mock: &quanta::Mock,
    q: &hrwheel::TimeoutQueue,
    ns: u64,
    step: u64,
) -> Vec<(u64, Timeout)> {
    let mut out = Vec::new();
    let mut elapsed = 0;
    while elapsed < ns {
        mock.increment(step);
        elapsed += step;
        p.expire();
        while let Some(ev) = q.pop() {
            out.push((mock.value(), ev));
        }
    }
    out
}

/// ODP `timer_test_oneshot`/`timer_test_all`: no timeout before its tick,
/// none later than one resolution after it when expiry runs at least once a
/// tick.
fn never_early_at_most_one_resolution_late<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    // Deadlines up to SPAN ticks; fewer timers and a shorter run under miri.
    const SPAN: u64 = if cfg!(miri) { 60 } else { 500 };
    const N: usize = if cfg!(miri) { 16 } else { 64 };
    let (p, mock) = pool::<S>(b, RES, 1, SPAN, N);
    let evs = events(N);
    let q = queue(N);
    let mut want = Vec::new();
    for i in 0..N as u64 {
        let t = p.alloc(&q, i).unwrap();
        // Deadlines spread over 1..=SPAN ticks, several on the same tick.
        let ticks = 1 + (i * 37) % SPAN;
        let armed = p.set_rel(t, ticks, Some(evs.alloc().unwrap())).unwrap();
        assert!(armed.replaced.is_none());
        want.push((t, armed.tick));
    }
    // Expire every quarter tick (under miri, at the start of every tick:
    // still at least once a tick).
    let step = if cfg!(miri) { RES } else { RES / 4 };
    let got = run(&p, &mock, &q, (SPAN + 1) * RES, step);
    assert_eq!(got.len(), N, "{b:?}: every timer fired exactly once");
    for (at_ns, ev) in &got {
        let deadline_ns = p.tick_to_ns(ev.tick());
        assert!(
            *at_ns >= deadline_ns,
            "{b:?}: early: {at_ns} < {deadline_ns}"
        );
        assert!(
            *at_ns < deadline_ns + RES,
            "{b:?}: more than one resolution late: {at_ns} vs {deadline_ns}"
        );
        let t = ev.timer().unwrap();
        let (_, tick) = want.iter().find(|(w, _)| *w == t).unwrap();
        assert_eq!(ev.tick(), *tick);
        assert_eq!(ev.user_ctx(), u64::from(t.index()));
        assert!(p.is_fresh(ev));
    }
    // Delivered in deadline order.
    assert!(got.windows(2).all(|w| w[0].1.tick() <= w[1].1.tick()));
}

/// ODP `timer_test_abs`/`timer_test_rel`: absolute and relative settings
/// name the same tick.
fn absolute_and_relative_set<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 4);
    let evs = events(4);
    let q = queue(4);
    let t1 = p.alloc(&q, 1).unwrap();
    let t2 = p.alloc(&q, 2).unwrap();
    mock.increment(10_500u64); // tick 10
    assert_eq!(p.current_tick(), 10);
    let a = p.set_rel(t1, 25, Some(evs.alloc().unwrap())).unwrap();
    assert_eq!(a.tick, 35);
    let a = p.set_abs(t2, 35, Some(evs.alloc().unwrap())).unwrap();
    assert_eq!(a.tick, 35);
    mock.increment(24_499u64); // 34.999 µs: tick 34
    assert_eq!(p.expire(), 0);
    assert!(q.is_empty());
    mock.increment(1u64); // tick 35
    assert_eq!(p.expire(), 2);
    let (e1, e2) = (q.pop().unwrap(), q.pop().unwrap());
    // Same tick: set order.
    assert_eq!((e1.timer(), e1.tick()), (Some(t1), 35));
    assert_eq!((e2.timer(), e2.tick()), (Some(t2), 35));
    // Re-arm relative to the new now, with the events just received.
    let a = p.set_rel(t1, 1, Some(e1)).unwrap();
    assert_eq!(a.tick, 36);
    // Absolute at now (min timeout 0) fires on the next pass.
    let a = p.set_abs(t2, 35, Some(e2)).unwrap();
    assert_eq!(a.tick, 35);
    assert_eq!(p.expire(), 1);
    assert_eq!(q.pop().unwrap().timer(), Some(t2));
}

/// ODP `timer_test_cancel`: cancel returns the event, with its timer, tick
/// and user context; a second cancel finds nothing to cancel.
fn cancel_returns_event_with_timer_and_ctx<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 4);
    let evs = events(2);
    let q = queue(4);
    let t = p.alloc(&q, 0xdead_beef).unwrap();
    let ev = evs.alloc().unwrap();
    let id = ev.id();
    p.set_rel(t, 100, Some(ev)).unwrap();
    let ev = p.cancel(t).unwrap();
    assert_eq!(ev.id(), id);
    assert_eq!(ev.timer(), Some(t));
    assert_eq!(ev.tick(), 100);
    assert_eq!(ev.user_ctx(), 0xdead_beef);
    assert!(!p.is_fresh(&ev), "a cancelled event is stale");
    assert_eq!(p.cancel(t).unwrap_err(), Error::NotArmed);
    mock.increment(200_000u64);
    assert_eq!(p.expire(), 0, "a cancelled timer does not fire");
    assert!(q.is_empty());
}

/// ODP `timer_test_event_free`/PATCHv2 free semantics: freeing a set timer
/// cancels it and returns its event; a freed handle is refused everywhere;
/// a reused slot does not answer to the old handle.
fn free_returns_event_and_bad_handles_are_refused<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let (other, _m) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let evs = events(2);
    let q = queue(2);
    let t = p.alloc(&q, 5).unwrap();
    p.set_rel(t, 10, Some(evs.alloc().unwrap())).unwrap();
    let ev = p.free(t).unwrap().expect("the armed event comes back");
    assert_eq!(ev.timer(), Some(t));
    assert!(!p.is_fresh(&ev));
    assert_eq!(p.info().cur_timers, 0);
    mock.increment(20_000u64);
    assert_eq!(p.expire(), 0, "a freed timer does not fire");

    // Double free and use after free.
    assert_eq!(p.free(t).unwrap_err(), Error::StaleKey);
    assert_eq!(p.cancel(t).unwrap_err(), Error::StaleKey);
    let e = p.set_rel(t, 10, Some(ev)).unwrap_err();
    assert_eq!(e.error, Error::StaleKey);
    let ev = e.into_event().expect("event handed back");

    // The slot is reused: the old handle is stale and touches nothing.
    let t2 = p.alloc(&q, 6).unwrap();
    assert_eq!(t2.index(), t.index());
    p.set_rel(t2, 10, Some(ev)).unwrap();
    assert_eq!(p.cancel(t).unwrap_err(), Error::StaleKey);
    assert_eq!(p.free(t).unwrap_err(), Error::StaleKey);
    let e = p.set_rel(t, 500, None).unwrap_err();
    assert_eq!(e.error, Error::StaleKey);
    assert!(e.event.is_none());

    // A handle of another pool.
    assert_eq!(other.cancel(t2).unwrap_err(), Error::ForeignKey);
    assert_eq!(other.free(t2).unwrap_err(), Error::ForeignKey);
    let e = other
        .set_rel(t2, 10, Some(evs.alloc().unwrap()))
        .unwrap_err();
    assert_eq!(e.error, Error::ForeignKey);
    assert!(e.event.is_some());
    drop(e);

    // t2 was untouched by all of the above.
    mock.increment(10_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!((ev.timer(), ev.user_ctx()), (Some(t2), 6));
    assert!(p.is_fresh(&ev));
    assert!(
        !other.is_fresh(&ev),
        "an event is fresh only in its own pool"
    );
    // Freeing an expired timer returns nothing: its event was delivered.
    assert!(p.free(t2).unwrap().is_none());
    assert!(!p.is_fresh(&ev), "freeing the timer makes its event stale");
}

/// ODP `odp_timeout_fresh`: stale after a reset and after a cancel.
fn stale_after_reset_and_cancel<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 2);
    let evs = events(4);
    let q = queue(4);
    let t = p.alloc(&q, 1).unwrap();

    // Reset of a set timer with a new event: the old one comes back stale.
    p.set_rel(t, 10, Some(evs.alloc().unwrap())).unwrap();
    let a = p.set_rel(t, 20, Some(evs.alloc().unwrap())).unwrap();
    let old = a.replaced.expect("old event handed back");
    assert!(!p.is_fresh(&old));
    // Reset reusing the held event (None).
    let a = p.set_rel(t, 30, None).unwrap();
    assert!(a.replaced.is_none());
    mock.increment(30_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!(ev.tick(), 30);
    assert!(p.is_fresh(&ev), "untouched since it expired");

    // Expired, then set again: the delivered event is stale.
    p.set_rel(t, 10, Some(old)).unwrap();
    assert!(!p.is_fresh(&ev));
    let back = p.cancel(t).unwrap();
    assert!(!p.is_fresh(&back));

    // Expired, then cancelled: cancel says so on every call (ODP's stress
    // test retries a failed cancel and counts on it) and changes nothing:
    // the queued event stays fresh until the timer is set again or freed.
    p.set_rel(t, 5, Some(back)).unwrap();
    mock.increment(5_000u64);
    assert_eq!(p.expire(), 1);
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    let queued = q.pop().unwrap();
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    assert!(p.is_fresh(&queued));
    p.set_rel(t, 5, Some(evs.alloc().unwrap())).unwrap();
    assert!(!p.is_fresh(&queued), "set again: stale");
    p.cancel(t).unwrap();
    assert_eq!(p.cancel(t).unwrap_err(), Error::NotArmed);
    // An event fresh from its pool was never set: not fresh.
    assert!(!p.is_fresh(&evs.alloc().unwrap()));
    drop((ev, queued));
}

/// ODP `timer_test_too_near`/`too_far`: exact boundaries, event handed back.
fn too_early_and_too_late_at_exact_boundaries<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 5, 100, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(7_000u64); // tick 7
    let now = p.current_tick();
    assert_eq!(now, 7);
    let mut ev = Some(evs.alloc().unwrap());

    let e = p.set_rel(t, 4, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooEarly);
    ev = e.into_event();
    let e = p.set_abs(t, now + 4, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooEarly);
    ev = e.into_event();
    let e = p.set_rel(t, 101, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooLate);
    ev = e.into_event();
    let e = p.set_abs(t, now + 101, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooLate);
    ev = e.into_event();
    let e = p.set_abs(t, u64::MAX, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooLate);
    ev = e.into_event();
    let e = p.set_rel(t, u64::MAX, ev.take()).unwrap_err();
    assert_eq!(e.error, Error::TooLate, "saturating, not wrapping");
    ev = e.into_event();
    assert!(ev.is_some(), "every refusal handed the event back");
    assert_eq!(evs.available(), 0);

    // Nothing was armed by the refusals.
    assert_eq!(p.cancel(t).unwrap_err(), Error::NotArmed);
    assert_eq!(p.set_rel(t, 5, None).unwrap_err().error, Error::NoEvent);

    // The boundaries themselves are accepted.
    assert_eq!(p.set_rel(t, 5, ev.take()).unwrap().tick, 12);
    assert_eq!(p.set_abs(t, now + 100, None).unwrap().tick, 107);
    assert_eq!(p.set_rel(t, 100, None).unwrap().tick, 107);
    assert_eq!(p.set_abs(t, now + 5, None).unwrap().tick, 12);
    // A refused reset leaves the timer as it was.
    assert_eq!(p.set_rel(t, 1, None).unwrap_err().error, Error::TooEarly);
    mock.increment(5_000u64);
    assert_eq!(p.expire(), 1);
    assert_eq!(q.pop().unwrap().tick(), 12);
}

/// ODP `timer_pool_max_res`/alloc tests: exhaustion, re-alloc after free,
/// info counters and the high-water mark.
fn exhaustion_realloc_and_info<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 8);
    let evs = events(8);
    let q = queue(8);
    let i = p.info();
    assert_eq!(
        (i.num_timers, i.cur_timers, i.hwm_timers, i.resolution_ns),
        (8, 0, 0, 1_000)
    );
    assert_eq!((i.min_timeout_ticks, i.max_timeout_ticks), (0, 1_000));
    assert_eq!(i.shared, S::SHARED);
    assert_eq!(i.backend, b);
    assert_eq!(i.name, "test");

    let mut ts: Vec<_> = (0..8).map(|c| p.alloc(&q, c).unwrap()).collect();
    assert_eq!(p.alloc(&q, 99).unwrap_err(), Error::PoolExhausted);
    assert_eq!((p.info().cur_timers, p.info().hwm_timers), (8, 8));
    for t in ts.drain(..5) {
        assert!(p.free(t).unwrap().is_none());
    }
    assert_eq!((p.info().cur_timers, p.info().hwm_timers), (3, 8));
    let again: Vec<_> = (0..5).map(|c| p.alloc(&q, c).unwrap()).collect();
    assert_eq!(p.alloc(&q, 99).unwrap_err(), Error::PoolExhausted);
    for t in again.iter().chain(&ts) {
        p.set_rel(*t, 3, Some(evs.alloc().unwrap())).unwrap();
    }
    mock.increment(3_000u64);
    assert_eq!(p.expire(), 8);
    let i = p.info();
    assert_eq!((i.expired, i.deferred, i.pending), (8, 0, 0));
}

/// A full destination queue never loses an event: it waits, is counted,
/// and is delivered, in order, once there is room.
fn full_queue_defers_and_delivers_later<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 4);
    let evs = events(4);
    let q = queue(1);
    let ts: Vec<_> = (0..3).map(|c| p.alloc(&q, c).unwrap()).collect();
    for (k, t) in ts.iter().enumerate() {
        p.set_rel(*t, 10 + k as u64, Some(evs.alloc().unwrap()))
            .unwrap();
    }
    mock.increment(20_000u64);
    assert_eq!(p.expire(), 1);
    let i = p.info();
    assert_eq!((i.expired, i.deferred, i.pending), (3, 2, 2));
    // Still full: nothing moves, nothing is lost.
    assert_eq!(p.expire(), 0);
    assert_eq!(p.info().pending, 2);
    // The pending events are already expired: cancel says so.
    assert_eq!(p.cancel(ts[2]).unwrap_err(), Error::AlreadyExpired);
    let mut got = vec![q.pop().unwrap()];
    assert_eq!(p.expire(), 1);
    got.push(q.pop().unwrap());
    assert_eq!(p.expire(), 1);
    got.push(q.pop().unwrap());
    let order: Vec<u64> = got.iter().map(|e| e.user_ctx()).collect();
    assert_eq!(order, vec![0, 1, 2], "expiry order kept");
    assert!(p.is_fresh(&got[0]) && p.is_fresh(&got[1]));
    assert!(p.is_fresh(&got[2]), "a failed cancel changes nothing");
    assert_eq!(p.info().pending, 0);
    assert_eq!(p.expire(), 0);
    assert_eq!(evs.available(), 1, "three events delivered, none dropped");
}

/// Destroy is refused while timers are allocated and gives the pool back.
fn destroy_refused_while_timers_allocated<S: Sharing>(b: Backend) {
    let (p, _mock) = pool::<S>(b, 1_000, 0, 1_000, 2);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    p.set_rel(t, 10, Some(evs.alloc().unwrap())).unwrap();
    let (p, err) = p.destroy().unwrap_err();
    assert_eq!(err, Error::TimersAllocated);
    // The pool still works.
    assert!(p.free(t).unwrap().is_some());
    assert!(p.destroy().is_ok());
    assert_eq!(evs.available(), 1);
}

/// A clock that steps back does not move pool time back.
fn clock_stepping_back_is_clamped<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(50_000u64);
    assert_eq!(p.current_tick(), 50);
    mock.decrement(20_000u64);
    assert_eq!(p.current_tick(), 50);
    p.set_rel(t, 5, Some(evs.alloc().unwrap())).unwrap();
    mock.increment(24_999u64); // raw 54.999 µs: still below tick 55
    assert_eq!(p.expire(), 0);
    mock.increment(1u64);
    assert_eq!(p.expire(), 1);
}

for_all_pools!(
    never_early_at_most_one_resolution_late,
    absolute_and_relative_set,
    cancel_returns_event_with_timer_and_ctx,
    free_returns_event_and_bad_handles_are_refused,
    stale_after_reset_and_cancel,
    too_early_and_too_late_at_exact_boundaries,
    exhaustion_realloc_and_info,
    full_queue_defers_and_delivers_later,
    destroy_refused_while_timers_allocated,
    clock_stepping_back_is_clamped,
);

/// Several pools with different parameters on one clock keep their own
/// ticks, limits and timers apart.
#[test]
fn several_pools_with_different_parameters() {
    use hrwheel::{ClockSource, PoolParams};
    let (clock, mock) = ClockSource::mock();
    let fine = TimerPool::new(
        "fine",
        PoolParams::default()
            .resolution_ns(100)
            .min_timeout_ns(0)
            .max_timeout_ns(1_000_000)
            .num_timers(16)
            .clock(clock.clone())
            .backend(Backend::Auto),
    )
    .unwrap();
    let coarse = hrwheel::LocalTimerPool::new_local(
        "coarse",
        PoolParams::default()
            .resolution_ns(1_000_000)
            .min_timeout_ns(2_000_000)
            .max_timeout_ns(10_000_000_000)
            .num_timers(4)
            .clock(clock)
            .backend(Backend::Auto),
    )
    .unwrap();
    assert_eq!(
        fine.info().backend,
        Backend::Hires,
        "100 ns: Auto picks the tree"
    );
    assert_eq!(
        coarse.info().backend,
        Backend::Wheel,
        "1 ms: Auto picks the wheel"
    );
    assert_eq!(
        (
            coarse.info().min_timeout_ticks,
            coarse.info().max_timeout_ticks
        ),
        (2, 10_000)
    );
    let evs = events(4);
    let (qf, qc) = (queue(4), queue(4));
    let tf = fine.alloc(&qf, 1).unwrap();
    let tc = coarse.alloc(&qc, 2).unwrap();
    assert_eq!(
        fine.set_rel(tf, 50, Some(evs.alloc().unwrap()))
            .unwrap()
            .tick,
        50
    );
    assert_eq!(
        coarse
            .set_rel(tc, 3, Some(evs.alloc().unwrap()))
            .unwrap()
            .tick,
        3
    );
    // A timer of one pool is foreign to the other.
    assert_eq!(coarse.cancel(tf).unwrap_err(), Error::ForeignKey);
    mock.increment(5_000u64); // 5 µs: fine tick 50, coarse tick 0
    assert_eq!((fine.current_tick(), coarse.current_tick()), (50, 0));
    assert_eq!(fine.expire() + coarse.expire(), 1);
    assert_eq!(qf.pop().unwrap().user_ctx(), 1);
    mock.increment(2_995_000u64); // 3 ms
    assert_eq!(coarse.current_tick(), 3);
    assert_eq!(fine.expire() + coarse.expire(), 1);
    assert_eq!(qc.pop().unwrap().user_ctx(), 2);
    assert_eq!(fine.ns_to_tick(3_000_000), 30_000);
    assert_eq!(coarse.tick_to_ns(3), 3_000_000);
    assert_eq!(coarse.tick_to_ns(u64::MAX), u64::MAX);
}

/// A pool on a user-supplied clock.
#[test]
fn external_clock_source() {
    use hrwheel::{ClockSource, PoolParams};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let ns = Arc::new(AtomicU64::new(5_000_000_000));
    let src = ns.clone();
    let p = TimerPool::new(
        "ext",
        PoolParams::default()
            .resolution_ns(10_000)
            .clock(ClockSource::external(move || src.load(Ordering::Relaxed))),
    )
    .unwrap();
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    assert_eq!(p.current_tick(), 0, "ticks count from the pool's creation");
    p.set_rel(t, 3, Some(evs.alloc().unwrap())).unwrap();
    ns.fetch_add(29_999, Ordering::Relaxed);
    assert_eq!(p.expire(), 0);
    ns.fetch_add(1, Ordering::Relaxed);
    assert_eq!(p.expire(), 1);
}

/// Invalid parameters are refused by `new` with their error.
#[test]
fn pool_creation_validates() {
    use hrwheel::PoolParams;
    let bad = PoolParams::default()
        .resolution_ns(0)
        .clock(hrwheel::ClockSource::mock().0);
    assert_eq!(
        TimerPool::new("x", bad.clone()).unwrap_err(),
        Error::ZeroResolution
    );
    assert_eq!(
        hrwheel::LocalTimerPool::new_local("x", bad).unwrap_err(),
        Error::ZeroResolution
    );
    let cap = hrwheel::capability();
    let too_many = PoolParams::default()
        .num_timers(cap.max_timers + 1)
        .clock(hrwheel::ClockSource::mock().0);
    assert_eq!(
        TimerPool::new("x", too_many).unwrap_err(),
        Error::TooManyTimers
    );
    let too_long = PoolParams::default()
        .max_timeout_ns(cap.max_timeout_ns + 1)
        .clock(hrwheel::ClockSource::mock().0);
    assert_eq!(
        TimerPool::new("x", too_long).unwrap_err(),
        Error::MaxTimeoutTooLong
    );
}
