//! The `hrwheel` facade (ODP-style pool/timer/timeout API) behind
//! [`TimerQueue`], for the W1 "facade (wheel backend)" row of the report and
//! the variants of `benches/w1_facade.rs`: what the API layer costs over the
//! bare engines.
//!
//! One `TimerKey` per workload id is allocated up front (`user_ctx = id`).
//! Insert = `set_abs(timer, tick, Some(event))`; reset =
//! `reset_abs(timer, tick)` (ODP's `odp_timer_restart`: keeps the event); an
//! expiry is the pool delivering the event to a `TimeoutQueue`, popped in
//! `advance` (or handed over by `expire_into`, see [`FacadeAdapter::direct`]). The pool
//! reads a mock clock advanced one tick (1 ms) per workload tick, so the
//! clock costs an atomic load, not a TSC read. `next_deadline` is the
//! pool's (a lower bound on the wheel backend), as a tickless user would
//! drive it.
//!
//! [`FacadeAdapter::configured`] sets the resolution and horizon (W3 needs
//! 2^20 ticks, W4 runs a 1 ns high-resolution pool) and adds `extra`
//! timers beyond the workload's ids: W2 arms ids past its background
//! population, one per insert+cancel pair, and a user would reuse one
//! timer for that, so an id `>= n` takes a spare timer from a free list and
//! gives it back when cancelled (F rows of the report).

use std::sync::Arc;

use hrwheel::{
    Backend, ClockSource, Local, PoolParams, Sharing, Timeout, TimeoutPool, TimeoutQueue, TimerKey,
    TimerPool,
};

use crate::queue::TimerQueue;

/// Nanoseconds per workload tick.
const RES_NS: u64 = 1_000_000;

/// A facade pool on the wheel backend.
pub struct FacadeAdapter<S: Sharing = Local> {
    name: &'static str,
    pool: TimerPool<S>,
    mock: Arc<quanta::Mock>,
    queue: TimeoutQueue,
    events: TimeoutPool,
    timers: Vec<TimerKey>,
    /// Timers for ids `>= timers.len()`, free (W2's pairs).
    extra: Vec<TimerKey>,
    res_ns: u64,
    wheel: bool,
    spare: Vec<Timeout>,
    armed: usize,
    now: u64,
    /// Events handed over by `expire_into` (`true`) or popped from the
    /// `TimeoutQueue` after `expire` (`false`).
    direct: bool,
    drained: Vec<Timeout>,
    /// Periodic timers (W4): the period of each id, and whether it was
    /// started; an insert of a started one acknowledges its event.
    periods: Option<(Vec<u64>, Vec<bool>)>,
}

impl<S: Sharing> std::fmt::Debug for FacadeAdapter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacadeAdapter")
            .field("armed", &self.armed)
            .field("now", &self.now)
            .finish()
    }
}

impl<S: Sharing> FacadeAdapter<S> {
    /// A wheel-backed pool for ids `0..n`.
    pub fn new(n: usize) -> Result<Self, hrwheel::Error> {
        Self::with_backend("hrwheel facade (wheel backend)", Backend::Wheel, n)
    }

    /// A pool on `backend` for ids `0..n`, reported as `name`.
    pub fn with_backend(
        name: &'static str,
        backend: Backend,
        n: usize,
    ) -> Result<Self, hrwheel::Error> {
        Self::configured(name, backend, RES_NS, 10_000, n, 0)
    }

    /// A one-shard pool on `backend` whose tick is one workload unit of
    /// `res_ns` ns, timeouts up to `max_ticks`, for ids `0..n` plus `extra`
    /// spare timers for ids `>= n` (see the module docs).
    pub fn configured(
        name: &'static str,
        backend: Backend,
        res_ns: u64,
        max_ticks: u64,
        n: usize,
        extra: usize,
    ) -> Result<Self, hrwheel::Error> {
        let (clock, mock) = ClockSource::mock();
        let total = n + extra;
        let pool = TimerPool::<S>::create(
            "hrwheel-bench",
            PoolParams::default()
                .resolution_ns(res_ns)
                .max_timeout_ns(max_ticks.saturating_mul(res_ns))
                .num_timers(total)
                .clock(clock)
                .backend(backend)
                .shards(1),
        )?;
        let queue = TimeoutQueue::new(total)?;
        let events = TimeoutPool::new(total)?;
        let timers = (0..n as u64)
            .map(|id| pool.alloc(&queue, id))
            .collect::<Result<_, _>>()?;
        let extra = (n as u64..total as u64)
            .map(|id| pool.alloc(&queue, id))
            .collect::<Result<_, _>>()?;
        // Every event taken up front, as an ODP application allocates its
        // timeout events at start: the timed phase then only moves them
        // between this stack and the timers, and never grows the stack
        // into fresh pages (first-touch page faults that the bare engine's
        // driver does not pay).
        let spare = (0..total)
            .map(|_| events.alloc())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FacadeAdapter {
            name,
            pool,
            mock,
            queue,
            events,
            timers,
            extra,
            res_ns,
            wheel: backend == Backend::Wheel,
            spare,
            armed: 0,
            now: 0,
            direct: false,
            drained: Vec::with_capacity(total),
            periods: None,
        })
    }

    /// Takes expired events with `expire_into` instead of popping them from
    /// the queue (a thread that handles its own timers' events).
    pub fn direct(mut self) -> Self {
        self.direct = true;
        self
    }

    /// Runs id `i` as a periodic timer of period `periods[i]`: its first
    /// insert starts it (`start_periodic`), each later insert (the W4
    /// driver re-arming at deadline + period) acknowledges its event
    /// (`ack`), the pool having re-armed it on its grid already; the
    /// digest cross-check catches any deadline that differs.
    pub fn periodic(mut self, periods: Vec<u64>) -> Self {
        let started = vec![false; periods.len()];
        self.periods = Some((periods, started));
        self
    }
}

impl<S: Sharing> TimerQueue for FacadeAdapter<S> {
    type Key = TimerKey;

    fn name(&self) -> &'static str {
        self.name
    }

    /// # Panics
    /// If `id` is outside the pool or the pool rejects the deadline (a
    /// harness bug: pools are sized for the workload).
    fn insert(&mut self, deadline: u64, id: u64) -> TimerKey {
        let t = match self.timers.get(id as usize) {
            Some(&t) => t,
            None => self
                .extra
                .pop()
                .expect("a spare timer for an id beyond the pool's (one per live extra id)"),
        };
        let ev = match self.spare.pop() {
            Some(ev) => ev,
            None => self
                .events
                .alloc()
                .expect("the event pool holds one event per timer"),
        };
        match &mut self.periods {
            Some((periods, started)) if (id as usize) < periods.len() => {
                let i = id as usize;
                if std::mem::replace(&mut started[i], true) {
                    self.pool
                        .ack(t, ev)
                        .expect("an expired periodic timer takes its event back");
                } else {
                    self.pool
                        .start_periodic(t, Some(deadline), periods[i], Some(ev))
                        .expect("W4 deadlines are within the pool's range");
                }
            }
            _ => {
                self.pool
                    .set_abs(t, deadline, Some(ev))
                    .expect("W1 deadlines are within the pool's range");
            }
        }
        self.armed += 1;
        t
    }

    fn cancel(&mut self, key: TimerKey) -> bool {
        match self.pool.cancel(key) {
            Ok(ev) => {
                if ev.user_ctx() >= self.timers.len() as u64 {
                    self.extra.push(key);
                }
                self.spare.push(ev);
                self.armed -= 1;
                true
            }
            Err(_) => false,
        }
    }

    fn reset(&mut self, key: TimerKey, deadline: u64) -> Option<TimerKey> {
        self.pool.reset_abs(key, deadline).ok().map(|()| key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        if to > self.now {
            self.mock.increment((to - self.now) * self.res_ns);
            self.now = to;
        }
        if self.direct {
            self.pool.expire_into(&mut self.drained);
        } else {
            self.pool.expire();
            while let Some(ev) = self.queue.pop() {
                self.drained.push(ev);
            }
        }
        for ev in &self.drained {
            out.push((ev.tick(), ev.user_ctx()));
        }
        self.armed -= self.drained.len();
        // One bulk move into the stack of spare events (not a push per
        // event right after reading it: the next insert pops what was
        // just stored, and a copy made event by event was read back wider
        // than it was written, a stall the bare engines' driver does not
        // have).
        self.spare.append(&mut self.drained);
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.pool.next_deadline()
    }

    fn len(&self) -> usize {
        self.armed
    }

    fn cascade_moves(&self) -> Option<u64> {
        self.wheel.then(|| self.pool.stats().cascade_moves)
    }
}
