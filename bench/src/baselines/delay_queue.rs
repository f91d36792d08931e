//! `tokio_util::time::DelayQueue` on a paused tokio clock.
//!
//! The adapter owns a current-thread runtime built with
//! `start_paused(true)`, so virtual time only moves when `advance` calls
//! `tokio::time::advance`. One workload unit maps to `scale` units per
//! millisecond of tokio time (`scale = 1`: a tick is 1 ms, as in W1–W3;
//! `scale = 1_000_000`: nanoseconds, W4, where DelayQueue's 1 ms
//! granularity rounds every deadline up to the next millisecond).
//!
//! `advance(to)` runs one `block_on` that moves the clock, lets the time
//! driver fire, then drains `poll_expired` until it returns `Pending`: that
//! runtime round trip (about a microsecond) is part of what a DelayQueue user
//! pays per poll, so it is included in the figures. The drain runs
//! `unconstrained` (no cooperative budget) so that one `advance` fires
//! everything due, as the other structures do.
//!
//! Keys: DelayQueue keys carry no generation, so a stale key may name a
//! reused slot. The workloads only use live keys. With `scale == 1`, reset
//! uses `reset_at` and the fired deadline is read back from tokio (exact);
//! with a coarser scale, reset is remove + insert so the exact nanosecond
//! deadline stored with the value stays right.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::time::Instant;
use tokio_util::time::delay_queue::{DelayQueue, Key};

use crate::queue::TimerQueue;

/// DelayQueue on its own paused current-thread runtime.
pub struct DelayQueueAdapter {
    rt: Runtime,
    dq: DelayQueue<(u64, u64)>,
    start: Instant,
    scale: u64,
    now_ms: u64,
}

impl std::fmt::Debug for DelayQueueAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DelayQueueAdapter")
            .field("len", &self.dq.len())
            .field("scale", &self.scale)
            .field("now_ms", &self.now_ms)
            .finish()
    }
}

impl DelayQueueAdapter {
    /// A queue where one workload unit is `1 / scale` ms (`scale >= 1`).
    ///
    /// # Panics
    /// If the tokio runtime cannot be built (out of file descriptors).
    pub fn new(scale: u64) -> Self {
        let rt = Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("building a current-thread tokio runtime");
        let (start, dq) = {
            let _g = rt.enter();
            (Instant::now(), DelayQueue::new())
        };
        DelayQueueAdapter {
            rt,
            dq,
            start,
            scale: scale.max(1),
            now_ms: 0,
        }
    }

    fn at(&self, deadline: u64) -> Instant {
        self.start + Duration::from_millis(deadline.div_ceil(self.scale))
    }

    fn ms_of(&self, when: Instant) -> u64 {
        let d = when.saturating_duration_since(self.start);
        d.as_millis() as u64
    }
}

impl TimerQueue for DelayQueueAdapter {
    type Key = Key;

    fn name(&self) -> &'static str {
        "tokio DelayQueue"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> Key {
        let when = self.at(deadline);
        self.dq.insert_at((deadline, id), when)
    }

    fn cancel(&mut self, key: Key) -> bool {
        self.dq.try_remove(&key).is_some()
    }

    fn reset(&mut self, key: Key, deadline: u64) -> Option<Key> {
        let when = self.at(deadline);
        if self.scale == 1 {
            self.dq.reset_at(&key, when);
            Some(key)
        } else {
            let (_, id) = self.dq.try_remove(&key)?.into_inner();
            Some(self.dq.insert_at((deadline, id), when))
        }
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        let target_ms = to / self.scale;
        let step = target_ms.saturating_sub(self.now_ms);
        self.now_ms = self.now_ms.max(target_ms);
        let exact = self.scale == 1;
        let start = self.start;
        let dq = &mut self.dq;
        // `unconstrained`: tokio's cooperative budget would otherwise make
        // `poll_expired` return `Pending` after ~128 timer polls per
        // `block_on` poll, leaving due timers behind.
        self.rt.block_on(tokio::task::unconstrained(async {
            if step > 0 {
                tokio::time::advance(Duration::from_millis(step)).await;
            }
            poll_fn(|cx| loop {
                match dq.poll_expired(cx) {
                    Poll::Ready(Some(e)) => {
                        let ms = e.deadline().saturating_duration_since(start).as_millis() as u64;
                        let (deadline, id) = e.into_inner();
                        out.push((if exact { ms } else { deadline }, id));
                    }
                    Poll::Ready(None) | Poll::Pending => return Poll::Ready(()),
                }
            })
            .await;
        }));
    }

    fn next_deadline(&mut self) -> Option<u64> {
        let key = self.dq.peek()?;
        Some(self.ms_of(self.dq.deadline(&key)) * self.scale)
    }

    fn len(&self) -> usize {
        self.dq.len()
    }

    fn resolution(&self) -> u64 {
        self.scale
    }

    fn scope<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let handle = self.rt.handle().clone();
        let _guard = handle.enter();
        f(self)
    }
}
