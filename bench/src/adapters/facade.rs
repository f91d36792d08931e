//! The `hrwheel` facade (ODP-style pool/timer/timeout API) behind
//! [`TimerQueue`], for the W1 "facade (wheel backend)" row of the report and
//! the variants of `benches/w1_facade.rs`: what the API layer costs over the
//! bare engines.
//!
//! One `TimerKey` per workload id is allocated up front (`user_ctx = id`).
//! Insert = `set_abs(timer, tick, Some(event))`; reset =
//! `set_abs(timer, tick, None)` (keeps the event); an expiry is the pool
//! delivering the event to a `TimeoutQueue`, popped in `advance`. The pool
//! reads a mock clock advanced one tick (1 ms) per workload tick, so the
//! clock costs an atomic load, not a TSC read. `next_deadline` is the
//! pool's (a lower bound on the wheel backend), as a tickless user would
//! drive it.

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
    spare: Vec<Timeout>,
    armed: usize,
    now: u64,
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
        let (clock, mock) = ClockSource::mock();
        let pool = TimerPool::<S>::create(
            "hrwheel-bench",
            PoolParams::default()
                .resolution_ns(RES_NS)
                .max_timeout_ns(10_000 * RES_NS)
                .num_timers(n)
                .clock(clock)
                .backend(backend)
                .shards(1),
        )?;
        let queue = TimeoutQueue::new(n)?;
        let events = TimeoutPool::new(n)?;
        let timers = (0..n as u64)
            .map(|id| pool.alloc(&queue, id))
            .collect::<Result<_, _>>()?;
        Ok(FacadeAdapter {
            name,
            pool,
            mock,
            queue,
            events,
            timers,
            spare: Vec::with_capacity(n),
            armed: 0,
            now: 0,
        })
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
        let t = self.timers[id as usize];
        let ev = match self.spare.pop() {
            Some(ev) => ev,
            None => self
                .events
                .alloc()
                .expect("the event pool holds one event per timer"),
        };
        self.pool
            .set_abs(t, deadline, Some(ev))
            .expect("W1 deadlines are within the pool's range");
        self.armed += 1;
        t
    }

    fn cancel(&mut self, key: TimerKey) -> bool {
        match self.pool.cancel(key) {
            Ok(ev) => {
                self.spare.push(ev);
                self.armed -= 1;
                true
            }
            Err(_) => false,
        }
    }

    fn reset(&mut self, key: TimerKey, deadline: u64) -> Option<TimerKey> {
        self.pool.set_abs(key, deadline, None).ok().map(|_| key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        if to > self.now {
            self.mock.increment((to - self.now) * RES_NS);
            self.now = to;
        }
        self.pool.expire();
        while let Some(ev) = self.queue.pop() {
            out.push((ev.tick(), ev.user_ctx()));
            self.spare.push(ev);
            self.armed -= 1;
        }
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.pool.next_deadline()
    }

    fn len(&self) -> usize {
        self.armed
    }
}
