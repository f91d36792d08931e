//! The engine behind a pool: one enum over both engines.
//!
//! The pool only needs five operations from an engine, all in pool ticks
//! (the high-resolution queue is ordered by plain `u64` values, so feeding
//! it ticks instead of nanoseconds changes nothing but the unit):
//!
//! | operation       | wheel (`hrwheel_wheel::Wheel`) | tree (`hrwheel_hires::HiresQueue`) |
//! |-----------------|--------------------------------|------------------------------------|
//! | insert          | O(1)                           | O(log n)                           |
//! | reset           | O(1)                           | O(log n)                           |
//! | cancel          | O(1)                           | O(log n)                           |
//! | next deadline   | lower bound, cheap             | exact, O(1)                        |
//! | expire to `now` | per due slot + cascades        | O(log n) per expired timer         |
//!
//! The value stored in the engine is the timer's slot index in the pool; the
//! pool keeps everything else (event, queue, context) in its own slot table,
//! so the engines stay unaware of pools, queues and events.
//!
//! Dispatch is a `match` on a two-variant enum: predictable, inlinable, and
//! no `dyn` indirection on the hot path.

use hrwheel_hires::HiresQueue;
use hrwheel_wheel::Wheel;

use crate::params::Backend;

/// A timer's key in whichever engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Wheel(hrwheel_wheel::TimerKey),
    Hires(hrwheel_hires::TimerKey),
}

pub(crate) enum Engine {
    Wheel(Wheel<u32>),
    Hires(HiresQueue<u32>),
}

impl Engine {
    /// An engine of kind `backend` (`Auto` must be resolved already; it is
    /// treated as the wheel) with room for `capacity` timers.
    pub(crate) fn new(backend: Backend, capacity: usize) -> Self {
        match backend {
            Backend::Hires => Engine::Hires(HiresQueue::with_capacity(capacity)),
            Backend::Wheel | Backend::Auto => Engine::Wheel(Wheel::with_capacity(capacity)),
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, tick: u64, index: u32) -> Key {
        match self {
            Engine::Wheel(w) => Key::Wheel(w.insert(tick, index)),
            Engine::Hires(q) => Key::Hires(q.insert(tick, index)),
        }
    }

    /// Moves the timer `key` (holding `index`) to `tick`; returns its key
    /// afterwards. Falls back to a fresh insert if the engine refuses the
    /// key, which the pool's bookkeeping rules out.
    #[inline]
    pub(crate) fn reset(&mut self, key: Key, tick: u64, index: u32) -> Key {
        let ok = match (&mut *self, key) {
            (Engine::Wheel(w), Key::Wheel(k)) => w.reset(k, tick).is_ok(),
            (Engine::Hires(q), Key::Hires(h)) => q.reset(h, tick).is_ok(),
            _ => false,
        };
        if ok {
            key
        } else {
            self.insert(tick, index)
        }
    }

    #[inline]
    pub(crate) fn cancel(&mut self, key: Key) -> Option<u32> {
        match (self, key) {
            (Engine::Wheel(w), Key::Wheel(k)) => w.cancel(k),
            (Engine::Hires(q), Key::Hires(h)) => q.cancel(h),
            _ => None,
        }
    }

    /// A tick no later than the earliest pending deadline.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        match self {
            Engine::Wheel(w) => w.next_deadline(),
            Engine::Hires(q) => q.next_deadline(),
        }
    }

    /// Fires every timer due at `now`: `f(index, deadline)` for each, in
    /// deadline order.
    #[inline]
    pub(crate) fn expire(&mut self, now: u64, mut f: impl FnMut(u32, u64)) -> usize {
        match self {
            Engine::Wheel(w) => w.expire(now, |e| f(e.value, e.deadline)),
            Engine::Hires(q) => q.expire(now, |fired| {
                let deadline = fired.deadline();
                f(fired.take(), deadline)
            }),
        }
    }
}
