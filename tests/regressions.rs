//! Regression tests for the pool's rewrite (per-core shards): sticky
//! `AlreadyExpired`, `destroy` refusing while events wait, per-queue blocked
//! lists. For both engines and both sharing kinds (a shared pool here has
//! one shard per core; timers are spread over the shards with `alloc_on`).

mod common;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Sharing, Timeout};

/// After its expiry a timer's `cancel` says `AlreadyExpired` on every call
/// (1st, 2nd, 3rd...) and changes nothing, while its event waits for room
/// in a full queue and after it is delivered, until the timer is set again
/// (then the cancel returns the event and the next says `NotArmed`) or
/// freed (`StaleKey`). A refused set does not end it.
fn cancel_after_expiry_is_sticky<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    let (p, mock) = pool::<S>(b, RES, 1, 100, 4);
    let evs = events(4);
    let q = queue(1);
    q.push(evs.alloc().unwrap()).unwrap(); // the queue is full
    let t = p.alloc_on(p.shards() - 1, &q, 5).unwrap();
    let ev = evs.alloc().unwrap();
    let id = ev.id();
    p.set_rel(t, 2, Some(ev)).unwrap();
    mock.increment(2 * RES);
    assert_eq!(p.expire(), 0, "{b:?}: the queue is full");
    assert_eq!(p.info().pending, 1);

    for call in 1..=3 {
        assert_eq!(
            p.cancel(t).unwrap_err(),
            Error::AlreadyExpired,
            "{b:?}: call {call}, event waiting"
        );
    }
    assert_eq!(p.info().pending, 1, "{b:?}: the cancels took nothing");
    // A refused set changes nothing either.
    let e = p.set_rel(t, 0, Some(evs.alloc().unwrap())).unwrap_err();
    assert_eq!(e.error, Error::TooEarly);
    drop(e);
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);

    drop(q.pop()); // room
    assert_eq!(p.expire(), 1, "{b:?}: the waiting event goes in");
    for call in 1..=3 {
        assert_eq!(
            p.cancel(t).unwrap_err(),
            Error::AlreadyExpired,
            "{b:?}: call {call}, event delivered"
        );
    }
    let ev = q.pop().unwrap();
    assert_eq!(
        (ev.id(), ev.timer(), ev.tick(), ev.user_ctx()),
        (id, Some(t), 2, 5)
    );
    assert!(
        p.is_fresh(&ev),
        "{b:?}: failed cancels leave the event fresh"
    );
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);

    // Set again: the cancel now returns the event, then NotArmed.
    p.set_rel(t, 3, Some(ev)).unwrap();
    let back = p.cancel(t).unwrap();
    assert_eq!((back.id(), back.tick()), (id, 5));
    for _ in 0..3 {
        assert_eq!(p.cancel(t).unwrap_err(), Error::NotArmed, "{b:?}");
    }

    // Expired again, then freed: StaleKey.
    p.set_rel(t, 1, Some(back)).unwrap();
    mock.increment(RES);
    assert_eq!(p.expire(), 1);
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    assert!(
        p.free(t).unwrap().is_none(),
        "an expired timer holds nothing"
    );
    for _ in 0..3 {
        assert_eq!(p.cancel(t).unwrap_err(), Error::StaleKey, "{b:?}");
    }
    let ev = q.pop().unwrap();
    assert!(!p.is_fresh(&ev), "{b:?}: the timer is freed");
    drop(ev);
    assert_eq!(evs.available(), 4);
}

/// `destroy()` while expired events wait for room in a full queue is
/// refused with `EventsPending` and gives the pool back with every event
/// still there (nothing discarded); once the queue is drained it succeeds,
/// and all events come out, each shard's in expiry order (shards deliver
/// their waiting events independently).
fn destroy_refused_while_events_wait<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    const TIMERS: u64 = 6;
    let (p, mock) = pool::<S>(b, RES, 1, 100, TIMERS as usize);
    let evs = events(8);
    let q = queue(2);
    let mut ids = Vec::new();
    for i in 0..TIMERS {
        // Spread over the shards of a shared pool.
        let t = p.alloc_on(i as usize % p.shards(), &q, i).unwrap();
        let ev = evs.alloc().unwrap();
        ids.push(ev.id());
        p.set_rel(t, 1, Some(ev)).unwrap(); // tick i + 1
                                            // Freed once expired: destroy is refused for its events, not its
                                            // timers.
        mock.increment(RES);
        p.expire();
        assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
        assert!(p.free(t).unwrap().is_none());
    }
    assert_eq!(p.info().cur_timers, 0);
    assert_eq!(q.len(), 2);
    assert_eq!(p.info().pending, 4);

    let (p, e) = p.destroy().unwrap_err();
    assert_eq!(e, Error::EventsPending, "{b:?}");
    let (p, e) = p.destroy().unwrap_err();
    assert_eq!(e, Error::EventsPending, "{b:?}: refused again, no room yet");
    assert_eq!(p.info().pending, 4, "{b:?}: nothing discarded");
    assert_eq!(evs.available(), 8 - TIMERS as usize, "{b:?}: none lost");

    // Pop one: destroy retries, one more goes in, still refused.
    let mut out: Vec<Timeout> = vec![q.pop().unwrap()];
    let (p, e) = p.destroy().unwrap_err();
    assert_eq!(e, Error::EventsPending);
    assert_eq!(q.len(), 2);
    assert_eq!(p.info().pending, 3);
    // Drain: the pool delivers the rest, then destroy succeeds.
    let p = p;
    for _ in 0..TIMERS {
        out.extend(std::iter::from_fn(|| q.pop()));
        if p.info().pending == 0 {
            break;
        }
        p.expire();
    }
    assert_eq!(p.info().pending, 0);
    p.destroy().expect("nothing allocated, nothing waiting");
    out.extend(std::iter::from_fn(|| q.pop()));
    let mut got: Vec<(u64, u32, usize)> = out
        .iter()
        .map(|e| (e.tick(), e.id(), e.timer().unwrap().shard()))
        .collect();
    for s in 0..2 {
        let ticks: Vec<u64> = got.iter().filter(|e| e.2 == s).map(|e| e.0).collect();
        assert!(
            ticks.windows(2).all(|w| w[0] <= w[1]),
            "{b:?}: shard {s}: {ticks:?}"
        );
    }
    got.sort_unstable();
    let want: Vec<(u64, u32)> = (1..=TIMERS).zip(ids.iter().copied()).collect();
    let got: Vec<(u64, u32)> = got.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(got, want, "{b:?}: every event, once");
    drop(out);
    assert_eq!(evs.available(), 8);
}

/// Per-queue blocked lists: with queue A full and many events waiting for
/// it, a new expiry for queue B (same shard) is delivered at once by the
/// same pass, and A's events come out in expiry order as room appears.
fn full_queue_does_not_hold_up_others<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    const WAITING: u64 = if cfg!(miri) { 8 } else { 64 };
    let (p, mock) = pool::<S>(b, RES, 1, 1_000, WAITING as usize + 2);
    let evs = events(WAITING as usize + 2);
    let (qa, qb) = (queue(1), queue(4));
    let mut a_timers = Vec::new();
    for i in 0..=WAITING {
        let t = p.alloc_on(0, &qa, i).unwrap();
        // Some on the same tick: expiry order is then arming order.
        p.set_rel(t, 1 + i / 2, Some(evs.alloc().unwrap())).unwrap();
        a_timers.push(t);
    }
    let tb = p.alloc_on(0, &qb, 1_000).unwrap();
    p.set_rel(tb, WAITING, Some(evs.alloc().unwrap())).unwrap();
    // Every A timer fires by tick WAITING/2 + 1: one fits, the rest wait.
    mock.increment((WAITING / 2 + 1) * RES);
    assert_eq!(p.expire(), 1);
    assert_eq!(p.info().pending, WAITING as usize);
    assert_eq!(p.next_deadline(), Some(0), "{b:?}: events wait");

    // B's expiry, A still full: delivered by that very pass.
    mock.increment(WAITING * RES);
    assert_eq!(p.expire(), 1, "{b:?}: B is not held up by A");
    let ev = qb.pop().expect("B delivered");
    assert_eq!((ev.timer(), ev.user_ctx()), (Some(tb), 1_000));
    assert_eq!(p.info().pending, WAITING as usize, "{b:?}: A still waits");
    assert_eq!(qa.len(), 1);

    // A's events, one per pass as room appears, in expiry order.
    let mut got = Vec::new();
    for _ in 0..=WAITING {
        let ev = qa.pop().expect("one per pass");
        got.push((ev.user_ctx(), ev.tick()));
        p.expire();
    }
    assert!(qa.is_empty());
    let want: Vec<(u64, u64)> = (0..=WAITING).map(|i| (i, 1 + i / 2)).collect();
    assert_eq!(got, want, "{b:?}: A's events in expiry order");
    assert_eq!(p.info().pending, 0);
    for t in a_timers.into_iter().chain([tb]) {
        p.free(t).unwrap();
    }
}

/// A periodic event timer's missed periods are summed while its event is
/// out, and the sum can pass `u64::MAX` (found by review): set again at the
/// current tick twice (each time one more miss on that tick), then a clock
/// jump over 2^64 - 2 periods of 1 tick. The sum wrapped (a panic in a
/// debug build) and the next event reported a small count; it saturates.
fn missed_periods_saturate<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    p.start_periodic(t, Some(0), 1, Some(evs.alloc().unwrap()))
        .unwrap();
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (0, 0));
    // The event out: tick 0 again, missed twice.
    for _ in 0..2 {
        p.set_abs(t, 0, None).unwrap();
        assert_eq!(p.expire(), 0);
    }
    // Ticks 1 to 2^64 - 2 missed; re-armed at u64::MAX.
    mock.increment(u64::MAX - 1);
    assert_eq!(p.expire(), 0);
    p.ack(t, ev).unwrap();
    mock.increment(1u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (u64::MAX, u64::MAX), "{b:?}");
}

/// A timer set for the last tick, `u64::MAX`, is pending: `next_deadline`
/// says so (found by review: `u64::MAX` is also the shards' "nothing armed"
/// mark, so it read `None`, and a tickless driver would have slept through
/// the timer), and the pass at that tick fires it.
fn timer_at_the_last_tick_is_seen<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 7).unwrap();
    mock.increment(u64::MAX - 10);
    p.set_abs(t, u64::MAX, Some(evs.alloc().unwrap())).unwrap();
    let shard = t.shard();
    assert!(p.next_deadline().is_some(), "{b:?}: a timer is set");
    assert!(p.next_deadline_shard(shard).unwrap().is_some(), "{b:?}");
    assert_eq!(p.expire(), 0, "{b:?}: not yet");
    assert!(p.next_deadline().is_some(), "{b:?}: still set");
    mock.increment(10u64);
    assert_eq!(p.expire(), 1, "{b:?}");
    assert_eq!(q.pop().unwrap().tick(), u64::MAX);
    assert_eq!(p.next_deadline(), None, "{b:?}: nothing set");
}

/// Periods a periodic timer missed while its event was out end with its
/// schedule (found by review): cancelled (or stopped) then set again as a
/// one-shot, the timer delivered an event that carried the old schedule's
/// missed count, where a one-shot event says 0 overruns.
fn missed_periods_end_with_the_schedule<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    p.start_periodic(t, Some(5), 5, Some(evs.alloc().unwrap()))
        .unwrap();
    mock.increment(5_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    // The event out: ticks 10, 15 and 20 come and are counted.
    for _ in 0..3 {
        mock.increment(5_000u64);
        assert_eq!(p.expire(), 0);
    }
    // The schedule is cancelled (its event is out: `AlreadyExpired`, the
    // timer stops), then the timer is set once with that event.
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
    p.set_rel(t, 3, Some(ev)).unwrap();
    mock.increment(3_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (23, 0), "{b:?}: cancelled");
    // The same through `stop`.
    p.start_periodic(t, Some(25), 5, Some(ev)).unwrap();
    mock.increment(2_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    mock.increment(10_000u64); // 30 and 35 missed
    assert_eq!(p.expire(), 0);
    assert!(p.stop(t).unwrap().is_none(), "{b:?}: its event is out");
    p.set_rel(t, 1, Some(ev)).unwrap();
    mock.increment(1_000u64);
    assert_eq!(p.expire(), 1);
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (36, 0), "{b:?}: stopped");
}

/// A relative set whose tick would pass `u64::MAX` is [`Error::TooLate`]
/// (found by the clock-extremes hunt): on a 1 ns pool 2 ticks before the
/// end of the range, `set_rel(5)` saturated to tick `u64::MAX` and the
/// range check, saturating too, let it through: the timer fired 2 ticks
/// after the call where 5 were asked for, i.e. early. Same for
/// `reset_rel` and `start_periodic` without a first tick. The event
/// comes back in the error and the timer is left as it was.
fn relative_set_past_the_end_of_the_ticks_is_too_late<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(u64::MAX - 2);
    let e = p.set_rel(t, 5, Some(evs.alloc().unwrap())).unwrap_err();
    assert_eq!(e.error, Error::TooLate, "{b:?}: set_rel");
    let ev = e.event.expect("the event comes back");
    let e = p.start_periodic(t, None, 5, Some(ev)).unwrap_err();
    assert_eq!(e.error, Error::TooLate, "{b:?}: start_periodic");
    let ev = e.event.expect("the event comes back");
    assert!(!p.is_pending(t).unwrap(), "{b:?}: left idle");
    // The last representable tick is still fine, and reset_rel past it is not.
    assert_eq!(p.set_rel(t, 2, Some(ev)).unwrap().tick, u64::MAX);
    assert_eq!(p.reset_rel(t, 3), Err(Error::TooLate), "{b:?}: reset_rel");
    mock.increment(1u64);
    assert_eq!(p.expire(), 0, "{b:?}: not early");
    mock.increment(1u64);
    assert_eq!(p.expire(), 1, "{b:?}");
    assert_eq!(q.pop().unwrap().tick(), u64::MAX);
}

/// A timer set for a tick that starts after `u64::MAX` ns of pool time,
/// which the clock never reaches, is [`Error::TooLate`] (found by the
/// clock-extremes hunt): on a 1 µs pool near the end of its clock the
/// range check (`now + max_timeout`) let ticks past `u64::MAX / 1_000`
/// through, and the timer never fired, not even with the clock at
/// `u64::MAX` ns; `set_at_ns` and `set_after` for an instant within the
/// last tick (after its start) rounded up to such a tick.
fn set_on_a_tick_the_clock_never_reaches_is_too_late<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    let (p, mock) = pool::<S>(b, RES, 0, 1 << 40, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    let last = u64::MAX / RES; // the tick of u64::MAX ns
    mock.increment(u64::MAX - 5 * RES);
    assert!(p.current_tick() < last);
    let mut ev = evs.alloc().unwrap();
    let d = std::time::Duration::from_nanos(5 * RES);
    let sets: [(&str, &dyn Fn(Timeout) -> Result<_, _>); 4] = [
        ("set_abs", &|ev| p.set_abs(t, last + 1, Some(ev))),
        ("set_at_ns", &|ev| p.set_at_ns(t, u64::MAX, Some(ev))),
        ("set_after", &|ev| p.set_after(t, d, Some(ev))),
        ("set_rel", &|ev| p.set_rel(t, 1 << 39, Some(ev))),
    ];
    for (how, set) in sets {
        let e = set(ev).unwrap_err();
        assert_eq!(e.error, Error::TooLate, "{b:?}: {how}");
        ev = e.event.expect("the event comes back");
    }
    assert!(!p.is_pending(t).unwrap(), "{b:?}: left idle");
    // The last tick itself is reached, and fires.
    assert_eq!(p.set_abs(t, last, Some(ev)).unwrap().tick, last);
    assert_eq!(p.next_deadline(), Some(last));
    mock.increment(5 * RES);
    assert_eq!(p.current_tick(), last);
    assert_eq!(p.expire(), 1, "{b:?}");
    assert_eq!(q.pop().unwrap().tick(), last);
}

/// A periodic schedule ends where its next expiry would fall after the
/// last tick the clock reaches (found by the clock-extremes hunt): on a
/// 1 µs pool, whose clock ends in tick `u64::MAX / 1_000`, a periodic
/// timer's next expiry past that tick kept it pending for ever, with
/// `next_deadline` naming a tick that never comes, where a 1 ns pool ends
/// the schedule (as at `u64::MAX`): event timers and callback timers.
fn periodic_schedule_ends_at_the_last_tick<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    let (p, mock) = pool::<S>(b, RES, 0, 1 << 40, 2);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    let fired = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let f = fired.clone();
    let c = p
        .alloc_callback(1, move |_, e| f.lock().unwrap().push(e.tick))
        .unwrap();
    let last = u64::MAX / RES;
    mock.increment(u64::MAX - 3 * RES); // tick last - 3
    p.start_periodic(t, Some(last - 1), 5, Some(evs.alloc().unwrap()))
        .unwrap();
    p.start_periodic(c, Some(last - 2), 3, None).unwrap();
    mock.increment(3 * RES); // u64::MAX ns: the last tick
    assert_eq!(p.current_tick(), last);
    assert_eq!(p.expire(), 1, "{b:?}");
    assert_eq!(q.pop().unwrap().tick(), last - 1);
    assert_eq!(*fired.lock().unwrap(), [last - 2], "{b:?}");
    assert!(!p.is_pending(t).unwrap(), "{b:?}: event timer ended");
    assert!(!p.is_pending(c).unwrap(), "{b:?}: callback timer ended");
    assert_eq!(p.next_deadline(), None, "{b:?}");
    assert_eq!(p.cancel(t).unwrap_err(), Error::AlreadyExpired);
}

/// The minimum timeout holds on the last tick, `u64::MAX` (found by the
/// model test once its clock started near the end): the range check's
/// `now + min_timeout` saturated, so on a 1 ns pool with a 1-tick minimum
/// a set for the current tick `u64::MAX` passed and fired on the next
/// pass, 0 ticks after the call. Now [`Error::TooEarly`], as at any other
/// tick; the event comes back.
fn min_timeout_holds_on_the_last_tick<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1, 1, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(u64::MAX);
    assert_eq!(p.current_tick(), u64::MAX);
    let e = p
        .set_abs(t, u64::MAX, Some(evs.alloc().unwrap()))
        .unwrap_err();
    assert_eq!(e.error, Error::TooEarly, "{b:?}: set_abs");
    let e = p.set_rel(t, 0, e.event).unwrap_err();
    assert_eq!(e.error, Error::TooEarly, "{b:?}: set_rel");
    assert!(e.event.is_some(), "the event comes back");
    assert!(!p.is_pending(t).unwrap(), "{b:?}: left idle");
    assert_eq!(p.expire(), 0, "{b:?}: nothing fires");
}

/// `set_after` counts from the pool's time, which stands still while the
/// clock steps back (found by the clock-extremes hunt): it counted from
/// the clock's reading alone, so after a set at 100 µs and a step back to
/// 90 µs, `set_after(5 µs)` asked for tick 95, before the shard's tick:
/// [`Error::TooEarly`] for a delay above the minimum (0 here), which the
/// docs say always passes it. Now the delay counts from the later of the
/// reading and the start of the shard's tick: tick 105, as `set_rel(5)`.
fn set_after_counts_from_the_pools_time_after_a_step_back<S: Sharing>(b: Backend) {
    const RES: u64 = 1_000;
    let (p, mock) = pool::<S>(b, RES, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(100 * RES);
    // The shard acts on tick 100 (a set takes its lock).
    p.set_rel(t, 50, Some(evs.alloc().unwrap())).unwrap();
    mock.decrement(10 * RES); // the clock steps back to 90 µs
    let d = std::time::Duration::from_nanos(5 * RES);
    let r = p.set_after(t, d, None).map(|a| a.tick).map_err(|e| e.error);
    assert_eq!(r, Ok(105), "{b:?}");
    mock.increment(14 * RES); // 104 µs
    assert_eq!(p.expire(), 0, "{b:?}: not early");
    mock.increment(RES);
    assert_eq!(p.expire(), 1, "{b:?}");
}

for_all_pools!(
    set_after_counts_from_the_pools_time_after_a_step_back,
    min_timeout_holds_on_the_last_tick,
    periodic_schedule_ends_at_the_last_tick,
    relative_set_past_the_end_of_the_ticks_is_too_late,
    set_on_a_tick_the_clock_never_reaches_is_too_late,
    missed_periods_end_with_the_schedule,
    cancel_after_expiry_is_sticky,
    destroy_refused_while_events_wait,
    full_queue_does_not_hold_up_others,
    missed_periods_saturate,
    timer_at_the_last_tick_is_seen,
);
