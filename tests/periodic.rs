//! Periodic timers on the pool, in the intent of ODP's periodic validation
//! cases that need no scheduler (`timer_test_periodic_*` on a plain queue):
//! start with a first tick and a period, receive and acknowledge each
//! period's event on the exact grid, count overruns when late or when the
//! event is not back yet, change the period while running, cancel and get
//! the last event back. Every case on both engines, private and shared.

mod common;

use common::{events, pool, queue};
use hrwheel::{Backend, Error, Sharing};

/// Each period is delivered on `first + k * period`, acknowledged, and
/// polled every tick: no overrun. Then cancel: the event out is the
/// application's, and `ack` hands it back as an error value.
fn delivered_on_the_grid_and_acked<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 2);
    let evs = events(1);
    let q = queue(2);
    let t = p.alloc(&q, 5).unwrap();
    let (first, period) = (7, 3);
    p.start_periodic(t, Some(first), period, Some(evs.alloc().unwrap()))
        .unwrap();
    assert!(p.is_pending(t).unwrap());
    let mut got = vec![];
    for tick in 1..=40u64 {
        mock.increment(1_000u64);
        p.expire();
        if let Some(ev) = q.pop() {
            assert_eq!(ev.tick(), tick, "delivered at its own tick");
            assert_eq!(ev.overruns(), 0);
            assert_eq!(ev.user_ctx(), 5);
            assert!(p.is_fresh(&ev));
            got.push(ev.tick());
            p.ack(t, ev).unwrap();
        }
    }
    let want: Vec<u64> = (0..)
        .map(|k| first + k * period)
        .take_while(|&d| d <= 40)
        .collect();
    assert_eq!(got, want);
    // Cancel while the timer holds its event: it comes back.
    let ev = p.cancel(t).unwrap();
    assert!(!p.is_pending(t).unwrap());
    mock.increment(100_000u64);
    assert_eq!(p.expire(), 0, "stopped");
    drop(ev);
    assert_eq!(evs.available(), 1, "nothing lost");
}

/// A late pass folds the periods it skipped into one delivery, reported as
/// overruns, and the next expiry stays on the grid (no drift).
fn late_pass_counts_overruns_without_drift<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 100_000, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    p.start_periodic(t, None, 10, Some(evs.alloc().unwrap()))
        .unwrap();
    assert_eq!(p.next_deadline(), Some(10), "first defaults to one period");
    mock.increment(47_000u64); // tick 47: 10, 20, 30, 40 due
    p.expire();
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (10, 3));
    p.ack(t, ev).unwrap();
    assert_eq!(p.next_deadline(), Some(50));
    mock.increment(3_000u64);
    p.expire();
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (50, 0));
    // A long way ahead: still k * 10.
    p.ack(t, ev).unwrap();
    mock.increment(1_000_000u64); // tick 1050
    p.expire();
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (60, 99));
    assert_eq!(p.next_deadline(), Some(1_060));
}

/// Periods that come while the event is out deliver nothing; the next
/// delivery after `ack` carries them.
fn unacked_periods_are_counted<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(4);
    let t = p.alloc(&q, 0).unwrap();
    p.start_periodic(t, Some(5), 5, Some(evs.alloc().unwrap()))
        .unwrap();
    for _ in 0..5 {
        mock.increment(1_000u64);
        p.expire();
    }
    let ev = q.pop().expect("tick 5");
    assert_eq!((ev.tick(), ev.overruns()), (5, 0));
    // Ticks 10, 15, 20 fire with the event out.
    for _ in 0..15 {
        mock.increment(1_000u64);
        p.expire();
    }
    assert!(q.is_empty(), "no event to deliver");
    p.ack(t, ev).unwrap();
    for _ in 0..5 {
        mock.increment(1_000u64);
        p.expire();
    }
    let ev = q.pop().unwrap();
    assert_eq!((ev.tick(), ev.overruns()), (25, 3));
    // Acking twice: the timer already holds its event.
    let second = evs.alloc().err();
    assert_eq!(second, Some(Error::TimeoutPoolExhausted));
    p.ack(t, ev).unwrap();
}

/// Changing the period of a running periodic timer from outside: the
/// scheduled expiry stays, later ones follow the new period.
fn period_changes_while_running<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 0, 1_000, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    p.start_periodic(t, Some(10), 10, Some(evs.alloc().unwrap()))
        .unwrap();
    let mut ticks = vec![];
    for tick in 1..=60u64 {
        if tick == 15 {
            p.set_period(t, 4).unwrap();
        }
        mock.increment(1_000u64);
        p.expire();
        if let Some(ev) = q.pop() {
            ticks.push(ev.tick());
            p.ack(t, ev).unwrap();
        }
    }
    // 10, then 20 (already scheduled when the period changed), then +4.
    assert_eq!(ticks[..5], [10, 20, 24, 28, 32]);
    assert_eq!(p.set_period(t, 0), Err(Error::ZeroPeriod));
}

/// ODP `timer_test_periodic_start` errors: each refused with its error and
/// the event handed back.
fn start_errors<S: Sharing>(b: Backend) {
    let (p, mock) = pool::<S>(b, 1_000, 2, 100, 2);
    let evs = events(2);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    mock.increment(50_000u64);
    let e = p
        .start_periodic(t, Some(60), 0, Some(evs.alloc().unwrap()))
        .unwrap_err();
    assert_eq!(e.error, Error::ZeroPeriod);
    let ev = e.event.unwrap();
    let e = p.start_periodic(t, Some(51), 5, Some(ev)).unwrap_err();
    assert_eq!(e.error, Error::TooEarly, "first below now + min");
    let e = p.start_periodic(t, Some(151), 5, e.event).unwrap_err();
    assert_eq!(e.error, Error::TooLate);
    let e = p.start_periodic(t, Some(60), 5, None).unwrap_err();
    assert_eq!(e.error, Error::NoEvent);
    let gone = p.alloc(&q, 0).unwrap();
    p.free(gone).unwrap();
    let e = p.start_periodic(gone, Some(60), 5, None).unwrap_err();
    assert_eq!(e.error, Error::StaleKey);
}

for_all_pools!(
    delivered_on_the_grid_and_acked,
    late_pass_counts_overruns_without_drift,
    unacked_periods_are_counted,
    period_changes_while_running,
    start_errors,
);

/// On a 1 ns high-resolution pool the grid is ns-exact.
#[test]
fn hires_grid_is_ns_exact() {
    let (p, mock) = pool::<hrwheel::Local>(Backend::Hires, 1, 0, 1_000_000_000, 1);
    let evs = events(1);
    let q = queue(1);
    let t = p.alloc(&q, 0).unwrap();
    let (first, period) = (1_000_003u64, 577_215u64);
    p.start_periodic(t, Some(first), period, Some(evs.alloc().unwrap()))
        .unwrap();
    for k in 0..50u64 {
        let d = p.next_deadline().unwrap();
        mock.increment(d - p.current_tick());
        p.expire();
        let ev = q.pop().unwrap();
        assert_eq!(ev.tick(), first + k * period);
        assert_eq!(ev.overruns(), 0);
        p.ack(t, ev).unwrap();
    }
}
