//! Unit tests of the public API: ordering, boundaries, handles, periodic
//! timers, range timers, clock bases and in-callback control.

use std::cell::Cell;
use std::rc::Rc;

use hrwheel_hires::{ClockBase, Error, Expired, HiresQueue, TimerKey};

/// Expires at `now` and returns `(value, deadline, overruns)` of each
/// expiry, taking one-shot values and leaving periodic timers armed.
fn drain<T: Copy>(q: &mut HiresQueue<T>, now: u64) -> Vec<(T, u64, u64)> {
    let mut out = Vec::new();
    let n = q.expire(now, |f: Expired<'_, T>| {
        out.push((*f.value(), f.deadline(), f.overruns()));
    });
    assert_eq!(n, out.len());
    out
}

fn values<T: Copy>(v: &[(T, u64, u64)]) -> Vec<T> {
    v.iter().map(|x| x.0).collect()
}

#[test]
fn fires_in_deadline_then_insertion_order() {
    let mut q = HiresQueue::new();
    q.insert(30, 'c');
    q.insert(10, 'a');
    q.insert(20, 'b');
    q.insert(10, 'x'); // same deadline as 'a', inserted later
    q.insert(31, 'z');
    assert_eq!(q.len(), 5);
    assert_eq!(q.next_deadline(), Some(10));
    assert_eq!(values(&drain(&mut q, 30)), ['a', 'x', 'b', 'c']);
    assert_eq!(q.len(), 1);
    assert_eq!(q.next_deadline(), Some(31));
}

#[test]
fn reset_counts_as_new_insertion() {
    let mut q = HiresQueue::new();
    let a = q.insert(10, 'a');
    q.insert(10, 'b');
    q.reset(a, 10).unwrap();
    assert_eq!(values(&drain(&mut q, 10)), ['b', 'a']);
}

#[test]
fn boundaries_deadline_equal_to_now_fires_one_before_does_not() {
    let mut q = HiresQueue::new();
    q.insert(0, 0u8);
    q.insert(100, 1);
    q.insert(u64::MAX, 2);
    assert!(drain(&mut q, 0).iter().map(|x| x.0).eq([0]));
    assert!(drain(&mut q, 99).is_empty());
    assert_eq!(values(&drain(&mut q, 100)), [1]);
    assert!(drain(&mut q, u64::MAX - 1).is_empty());
    assert_eq!(q.next_deadline(), Some(u64::MAX));
    assert_eq!(values(&drain(&mut q, u64::MAX)), [2]);
    assert!(q.is_empty());
    assert_eq!(q.next_deadline(), None);
    assert_eq!(q.peek(), None);
}

#[test]
fn past_deadline_fires_at_next_expire() {
    let mut q = HiresQueue::new();
    q.expire(1_000, |_| panic!("empty"));
    q.insert(5, 'p');
    assert_eq!(values(&drain(&mut q, 1_000)), ['p']);
}

#[test]
fn cancel_returns_value_and_makes_handle_stale() {
    let mut q = HiresQueue::new();
    let a = q.insert(10, "a");
    let b = q.insert(20, "b");
    assert_eq!(q.get(a), Some(&"a"));
    assert_eq!(q.deadline(b), Some(20));
    assert_eq!(q.cancel(a), Some("a"));
    assert_eq!(q.cancel(a), None);
    assert_eq!(q.try_cancel(a), Err(Error::StaleKey));
    assert_eq!(q.reset(a, 5), Err(Error::StaleKey));
    assert_eq!(q.get(a), None);
    assert!(!q.contains(a));
    assert!(q.contains(b));
    assert_eq!(q.len(), 1);
    assert_eq!(q.next_deadline(), Some(20));
    *q.get_mut(b).unwrap() = "B";
    assert_eq!(values(&drain(&mut q, 20)), ["B"]);
}

#[test]
fn stale_handle_never_reaches_the_timer_reusing_its_slot() {
    let mut q = HiresQueue::new();
    let old = q.insert(10, 1u32);
    assert_eq!(q.cancel(old), Some(1));
    let new = q.insert(20, 2u32); // reuses the slot
    assert_ne!(old, new);
    assert_eq!(q.cancel(old), None);
    assert_eq!(q.reset(old, 1), Err(Error::StaleKey));
    assert_eq!(q.get(old), None);
    assert_eq!(q.deadline(new), Some(20));
    // also after expiry
    drain(&mut q, 20);
    let newer = q.insert(30, 3u32);
    assert_eq!(q.get(new), None);
    assert_eq!(q.try_cancel(new), Err(Error::StaleKey));
    assert_eq!(q.get(newer), Some(&3));
}

#[test]
fn foreign_handle_is_an_error() {
    let mut q1 = HiresQueue::new();
    let mut q2 = HiresQueue::new();
    let h1 = q1.insert(10, 'a');
    let h2 = q2.insert(10, 'b'); // same index and generation, other queue
    assert_eq!(q2.try_cancel(h1), Err(Error::ForeignKey));
    assert_eq!(q2.reset(h1, 3), Err(Error::ForeignKey));
    assert_eq!(q2.get(h1), None);
    assert!(!q2.contains(h1));
    assert_eq!(q2.deadline(h2), Some(10));
    assert_eq!(q1.cancel(h1), Some('a'));
}

#[test]
fn bad_input_is_a_typed_error() {
    let mut q = HiresQueue::new();
    assert_eq!(q.insert_periodic(5, 0, ()), Err(Error::ZeroPeriod));
    assert_eq!(
        q.insert_periodic_on(ClockBase::Realtime, 5, 0, ()),
        Err(Error::ZeroPeriod)
    );
    assert_eq!(q.insert_range(6, 5, ()), Err(Error::EmptyRange));
    let h = q.insert(1, ());
    assert_eq!(q.reset_range(h, 9, 8), Err(Error::EmptyRange));
    assert_eq!(q.deadline(h), Some(1));
    assert!(q.insert_range(5, 5, ()).is_ok());
    assert_eq!(q.len(), 2);
    for e in [
        Error::StaleKey,
        Error::ForeignKey,
        Error::ZeroPeriod,
        Error::EmptyRange,
    ] {
        let as_dyn: &dyn std::error::Error = &e;
        assert!(!as_dyn.to_string().is_empty());
    }
}

#[test]
fn periodic_on_time_and_late_without_drift() {
    let mut q = HiresQueue::new();
    let h = q.insert_periodic(100, 10, 'p').unwrap();
    assert_eq!(drain(&mut q, 100), [('p', 100, 0)]);
    assert_eq!(q.deadline(h), Some(110));
    assert_eq!(drain(&mut q, 115), [('p', 110, 0)]);
    assert_eq!(q.deadline(h), Some(120));
    // 3.5 periods late: expiries at 130, 140, 150 are folded in
    assert_eq!(drain(&mut q, 155), [('p', 120, 3)]);
    assert_eq!(q.deadline(h), Some(160));
    // exactly on the next-but-one point: it is due now too, so 1 overrun
    assert_eq!(drain(&mut q, 170), [('p', 160, 1)]);
    assert_eq!(q.deadline(h), Some(180));
    assert_eq!(q.period(h), Some(10));
    assert_eq!(q.cancel(h), Some('p'));
}

#[test]
fn periodic_timers_interleave_in_order() {
    let mut q = HiresQueue::new();
    q.insert_periodic(3, 3, 'a').unwrap();
    q.insert_periodic(5, 5, 'b').unwrap();
    let mut seen = Vec::new();
    for now in 1..=15 {
        for (v, d, o) in drain(&mut q, now) {
            assert_eq!(d, now);
            assert_eq!(o, 0);
            seen.push((v, d));
        }
    }
    assert_eq!(
        seen,
        [
            ('a', 3),
            ('b', 5),
            ('a', 6),
            ('a', 9),
            ('b', 10),
            ('a', 12),
            // both due at 15: 'b' was re-armed (at 10) before 'a' (at 12),
            // and a re-arm counts as a new insertion
            ('b', 15),
            ('a', 15),
        ]
    );
}

#[test]
fn periodic_at_u64_max_ends_instead_of_overflowing() {
    let mut q = HiresQueue::new();
    let h = q.insert_periodic(u64::MAX - 5, 10, 7u8).unwrap();
    let mut next = Vec::new();
    let n = q.expire(u64::MAX, |f| {
        assert_eq!(f.deadline(), u64::MAX - 5);
        assert_eq!(f.overruns(), 0);
        next.push(f.next_deadline());
    });
    assert_eq!(n, 1);
    assert_eq!(next, [None]);
    assert!(q.is_empty());
    assert_eq!(q.try_cancel(h), Err(Error::StaleKey));

    // a period that lands exactly on u64::MAX is still representable
    let h = q.insert_periodic(0, u64::MAX, 8u8).unwrap();
    assert_eq!(drain(&mut q, 0), [(8, 0, 0)]);
    assert_eq!(q.deadline(h), Some(u64::MAX));
    assert_eq!(drain(&mut q, u64::MAX), [(8, u64::MAX, 0)]);
    assert!(q.is_empty());

    // huge overrun count from 0 to u64::MAX with period 1
    q.insert_periodic(0, 1, 9u8).unwrap();
    assert_eq!(drain(&mut q, u64::MAX), [(9, 0, u64::MAX)]);
    assert!(q.is_empty());
}

#[test]
fn range_reset_saturates_slack_at_u64_max() {
    let mut q = HiresQueue::new();
    let h = q.insert_range(10, 1_000, ()).unwrap();
    q.reset(h, u64::MAX - 1).unwrap();
    assert_eq!(q.deadline(h), Some(u64::MAX));
    assert!(drain(&mut q, u64::MAX - 2).is_empty());
    assert_eq!(drain(&mut q, u64::MAX - 1).len(), 1);
}

#[test]
fn one_shot_value_by_take_and_drop_otherwise() {
    let drops = Rc::new(Cell::new(0));
    struct D(Rc<Cell<u32>>, u32);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let mut q = HiresQueue::new();
    q.insert(1, D(drops.clone(), 1));
    q.insert(2, D(drops.clone(), 2));
    let mut taken = Vec::new();
    q.expire(2, |f| {
        if f.value().1 == 1 {
            taken.push(f.take());
        }
    });
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].1, 1);
    assert_eq!(drops.get(), 1, "the untaken one-shot value is dropped");
    drop(taken);
    assert_eq!(drops.get(), 2);
    // values still armed are dropped with the queue
    q.insert(5, D(drops.clone(), 3));
    q.insert_periodic(5, 5, D(drops.clone(), 4)).unwrap();
    q.insert_on(ClockBase::Realtime, 5, D(drops.clone(), 5));
    drop(q);
    assert_eq!(drops.get(), 5);
}

#[test]
fn take_ends_a_periodic_timer() {
    let mut q = HiresQueue::new();
    let h = q.insert_periodic(10, 10, String::from("p")).unwrap();
    let mut got = None;
    q.expire(10, |f| got = Some(f.take()));
    assert_eq!(got.as_deref(), Some("p"));
    assert!(q.is_empty());
    assert!(!q.contains(h));
}

#[test]
fn callback_stop_restart_and_change_interval() {
    let mut q = HiresQueue::new();
    let stop_me = q.insert_periodic(10, 10, "stop").unwrap();
    let restart_me = q.insert_periodic(10, 10, "restart").unwrap();
    let faster = q.insert_periodic(10, 10, "faster").unwrap();
    let oneshot = q.insert(10, "oneshot->periodic");
    let n = q.expire(10, |mut f| match *f.value() {
        "stop" => {
            f.stop();
            assert_eq!(f.next_deadline(), None);
        }
        "restart" => {
            f.rearm_at(1_000);
            assert_eq!(f.next_deadline(), Some(1_000));
        }
        "faster" => {
            f.set_period(3).unwrap();
            assert_eq!(f.set_period(0), Err(Error::ZeroPeriod));
            assert_eq!(f.period(), Some(3));
            assert_eq!(f.next_deadline(), Some(13));
        }
        _ => {
            assert_eq!(f.period(), None);
            f.set_period(50).unwrap();
        }
    });
    assert_eq!(n, 4);
    assert!(!q.contains(stop_me));
    assert_eq!(q.deadline(restart_me), Some(1_000));
    assert_eq!(q.period(restart_me), Some(10));
    assert_eq!(q.deadline(faster), Some(13));
    assert_eq!(q.period(faster), Some(3));
    assert_eq!(q.deadline(oneshot), Some(60));
    assert_eq!(q.period(oneshot), Some(50));
    // restart's schedule continues from its new time
    assert_eq!(
        drain(&mut q, 1_000)
            .iter()
            .filter(|x| x.0 == "restart")
            .count(),
        1
    );
    assert_eq!(q.deadline(restart_me), Some(1_010));
}

#[test]
fn stop_and_rearm_last_call_wins() {
    let mut q = HiresQueue::new();
    let a = q.insert(10, 'a');
    let b = q.insert_periodic(10, 10, 'b').unwrap();
    q.expire(10, |mut f| {
        if *f.value() == 'a' {
            f.stop();
            f.rearm_after(5);
        } else {
            f.rearm_at(99);
            f.set_period(7).unwrap();
            f.stop();
        }
    });
    assert_eq!(q.deadline(a), Some(15));
    assert!(!q.contains(b));
}

#[test]
fn rearm_at_a_due_time_fires_in_the_next_expire_call() {
    let mut q = HiresQueue::new();
    let h = q.insert(10, 0u32);
    let mut calls = 0;
    let n = q.expire(10, |mut f| {
        calls += 1;
        *f.value_mut() += 1;
        f.rearm_at(5); // in the past
    });
    assert_eq!((n, calls), (1, 1));
    assert_eq!(q.deadline(h), Some(5));
    assert_eq!(q.get(h), Some(&1));
    assert_eq!(q.next_deadline(), Some(5));
    assert_eq!(drain(&mut q, 10), [(1, 5, 0)]);
    assert!(q.is_empty());
}

#[test]
fn value_mut_persists_across_periods() {
    let mut q = HiresQueue::new();
    let h = q.insert_periodic(1, 1, 0u64).unwrap();
    for now in 1..=100 {
        q.expire(now, |mut f| *f.value_mut() += 1);
    }
    assert_eq!(q.get(h), Some(&100));
}

#[test]
fn range_timer_fires_within_range_and_batches() {
    let mut q = HiresQueue::new();
    let r = q.insert_range(100, 200, 'r').unwrap();
    q.insert(150, 'e');
    assert_eq!(q.next_deadline(), Some(150));
    assert!(drain(&mut q, 99).is_empty());
    // the exact timer at 150 fires, and the range timer is batched with it
    let got = drain(&mut q, 150);
    assert_eq!(values(&got), ['e', 'r']);
    assert_eq!(got[1].1, 200, "Expired::deadline is the hard (latest) end");
    assert!(!q.contains(r));

    // alone, it fires at its latest if nobody expires earlier
    let r = q.insert_range(300, 400, 'r').unwrap();
    assert_eq!(q.next_event(), Some(400));
    assert!(drain(&mut q, 299).is_empty());
    assert!(q.contains(r));
    assert_eq!(values(&drain(&mut q, 400)), ['r']);
}

#[test]
fn range_timer_behind_a_not_yet_allowed_timer_waits_for_it() {
    // Documented rule (as in Linux): expire walks in hard order and stops at
    // the first timer whose earliest has not come.
    let mut q = HiresQueue::new();
    q.insert_range(90, 100, 'a').unwrap();
    q.insert_range(10, 110, 'b').unwrap();
    assert!(drain(&mut q, 50).is_empty());
    assert_eq!(values(&drain(&mut q, 100)), ['a', 'b']);
}

#[test]
fn realtime_timer_follows_clock_steps() {
    let mut q = HiresQueue::new();
    let rt = q.insert_on(ClockBase::Realtime, 1_000, "rt");
    let mono = q.insert(1_000, "mono");
    let rel = q.insert_after(0, 1_100, "rel");
    assert_eq!(q.next_deadline_on(ClockBase::Realtime), Some(1_000));
    // step realtime forward by 500: the realtime timer is due at mono 500
    q.clock_was_set(500);
    assert_eq!(q.realtime_offset(), 500);
    assert_eq!(q.realtime_at(100), Some(600));
    assert_eq!(q.next_event(), Some(500));
    assert_eq!(q.peek(), Some((rt, 500)));
    assert!(drain(&mut q, 499).is_empty());
    assert_eq!(values(&drain(&mut q, 500)), ["rt"]);
    // monotonic and relative timers did not move
    assert_eq!(q.deadline(mono), Some(1_000));
    assert_eq!(q.deadline(rel), Some(1_100));

    // step backwards: a realtime timer is delayed
    let rt2 = q.insert_on(ClockBase::Realtime, 2_000, "rt2"); // mono 1500 now
    q.clock_was_set(-500); // realtime 2000 is now mono 2500
    assert_eq!(q.deadline(rt2), Some(2_000));
    assert_eq!(values(&drain(&mut q, 2_000)), ["mono", "rel"]);
    assert!(q.contains(rt2));
    assert_eq!(q.next_event(), Some(2_500));
    assert_eq!(values(&drain(&mut q, 2_500)), ["rt2"]);
    assert!(q.is_empty());
}

#[test]
fn bases_merge_by_monotonic_deadline() {
    let mut q = HiresQueue::new();
    q.clock_was_set(1_000_000);
    q.insert_on(ClockBase::Realtime, 1_000_020, 'r'); // mono 20
    q.insert(10, 'a');
    q.insert(30, 'b');
    q.insert(20, 'c'); // ties with 'r' at mono 20, inserted later
    assert_eq!(values(&drain(&mut q, 100)), ['a', 'r', 'c', 'b']);
}

#[test]
fn realtime_deadline_already_passed_reads_as_zero_and_realtime_now_clamps() {
    let mut q = HiresQueue::new();
    q.insert_on(ClockBase::Realtime, 5, 'r');
    q.clock_was_set(100);
    assert_eq!(q.next_event(), Some(0));
    assert_eq!(values(&drain(&mut q, 0)), ['r']);
    // before the realtime epoch nothing realtime is due, not even at 0
    q.clock_was_set(-100);
    assert_eq!(q.realtime_at(50), None);
    assert_eq!(q.realtime_at(100), Some(0));
    q.insert_on(ClockBase::Realtime, 0, 'z');
    assert_eq!(q.next_event(), Some(100));
    assert!(drain(&mut q, 99).is_empty());
    assert_eq!(values(&drain(&mut q, 100)), ['z']);
    // a realtime beyond u64::MAX reads as u64::MAX
    q.clock_was_set(i64::MAX);
    assert_eq!(q.realtime_at(u64::MAX), Some(u64::MAX));
    q.insert_on(ClockBase::Realtime, u64::MAX, 'm');
    assert_eq!(q.next_event(), Some(u64::MAX - i64::MAX as u64));
    assert_eq!(values(&drain(&mut q, u64::MAX - i64::MAX as u64)), ['m']);
}

#[test]
fn realtime_periodic_reports_overruns_after_a_step_forward() {
    let mut q = HiresQueue::new();
    let h = q
        .insert_periodic_on(ClockBase::Realtime, 100, 100, 'p')
        .unwrap();
    assert_eq!(drain(&mut q, 100), [('p', 100, 0)]);
    q.clock_was_set(1_000); // realtime jumps by 1 µs
    let mut seen = Vec::new();
    q.expire(150, |f| {
        assert_eq!(f.base(), ClockBase::Realtime);
        assert_eq!(f.now(), 1_150);
        seen.push((f.deadline(), f.overruns()));
    });
    assert_eq!(seen, [(200, 9)]);
    assert_eq!(q.deadline(h), Some(1_200));
    assert_eq!(q.next_event(), Some(200));
}

#[test]
fn peek_and_next_deadline_track_the_leftmost() {
    let mut q = HiresQueue::new();
    let a = q.insert(50, ());
    let b = q.insert(40, ());
    let c = q.insert(60, ());
    assert_eq!(q.peek(), Some((b, 40)));
    q.cancel(b);
    assert_eq!(q.peek(), Some((a, 50)));
    q.reset(c, 10).unwrap();
    assert_eq!(q.peek(), Some((c, 10)));
    q.reset(c, 70).unwrap();
    assert_eq!(q.peek(), Some((a, 50)));
    q.cancel(a);
    assert_eq!(q.peek(), Some((c, 70)));
    q.cancel(c);
    assert_eq!(q.peek(), None);
}

#[test]
fn panicking_callback_leaves_the_queue_consistent() {
    let mut q = HiresQueue::new();
    let a = q.insert(10, 1);
    let b = q.insert(20, 2);
    let c = q.insert(30, 3);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        q.expire(25, |f| {
            if *f.value() == 2 {
                panic!("callback panics");
            }
        })
    }));
    assert!(r.is_err());
    assert!(!q.contains(a));
    assert_eq!(q.try_cancel(b), Err(Error::StaleKey));
    assert!(q.contains(c));
    assert_eq!(q.len(), 1);
    assert_eq!(values(&drain(&mut q, 30)), [3]);
    let d = q.insert(40, 4);
    assert_eq!(q.cancel(d), Some(4));
}

#[test]
fn many_timers_across_chunks() {
    let n: u64 = if cfg!(miri) { 600 } else { 20_000 };
    let mut q = HiresQueue::with_capacity(10);
    let mut hs: Vec<TimerKey> = (0..n).map(|i| q.insert((i * 7919) % n, i)).collect();
    assert!(q.capacity() >= n as usize);
    // cancel every third
    for h in hs.iter().step_by(3) {
        assert!(q.cancel(*h).is_some());
    }
    hs.retain(|h| q.contains(*h));
    let mut last = 0;
    let mut count = 0;
    q.expire(n, |f| {
        assert!(f.deadline() >= last);
        last = f.deadline();
        count += 1;
    });
    assert_eq!(count, hs.len());
    assert!(q.is_empty());
}

#[test]
fn queue_is_send() {
    fn assert_send<S: Send>(_: &S) {}
    let q: HiresQueue<u32> = HiresQueue::default();
    assert_send(&q);
    let h = std::thread::spawn(move || {
        let mut q = q;
        q.insert(1, 1);
        q
    })
    .join()
    .unwrap();
    assert_eq!(h.len(), 1);
}
