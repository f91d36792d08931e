//! The engine behind a shard: one enum over both engines, with the pool's
//! per-timer state stored *in* the engine.
//!
//! A pool timer lives from `alloc` to `free`, across many armings. The
//! wheel supports that directly: [`Wheel::insert_idle`] gives a timer a key
//! and a slab entry that stay valid while it is armed, disarmed and fired
//! ([`Wheel::expire_in_place`]), so the pool's hot state for a timer (its
//! event, stamp, context, state: 40 bytes) is the entry's value and a set,
//! reset, cancel or one-shot expiry touches one entry: the key leads
//! straight to it. There is no second table to look up on those paths,
//! which is what made the old pool cost two cache misses per operation
//! where the bare wheel costs one. (The cold rest, its queue or closure
//! and period, is in a table of the shard, see `shard.rs`.)
//!
//! The high-resolution queue does the same ([`HiresQueue::insert_idle`],
//! `arm`, `disarm`, and an expiry that keeps its timer with
//! `Expired::disarm` or re-arms it in place with `Expired::rearm_at`), so
//! both engines hold the pool's state in their own timer slots and one key
//! leads to it.
//!
//! | operation        | wheel                         | tree                         |
//! |------------------|-------------------------------|------------------------------|
//! | alloc / free     | O(1)                          | O(1)                         |
//! | arm / disarm     | O(1)                          | O(log n)                     |
//! | next deadline    | lower bound, O(1)             | exact, O(1)                  |
//! | expire to `now`  | per due slot + cascades       | O(log n) per expired timer   |
//!
//! Dispatch is a `match` on a two-variant enum: predictable, inlinable, no
//! `dyn` on the hot path.

use hrwheel_hires::HiresQueue;
use hrwheel_wheel::{Stats, TimerMut, Wheel};

use crate::params::Backend;

/// A timer's key in its shard's engine, without the engine's id: the
/// engine's index and generation in one word (its keys'
/// `into_raw`). The shard it belongs to is known from the pool's key, whose
/// pool id and shard index the pool checks first; each use makes the
/// engine's key again with the engine's own id (`key_from_raw`). So a
/// pool's [`TimerKey`](crate::TimerKey) is 16 bytes, not 32: half the
/// memory in every table of keys an application keeps (W1 through the pool
/// read its keys at random, one cache miss in three of the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EngineKey(u64);

impl EngineKey {
    /// The timer's index in its engine: dense, reused after the timer is
    /// freed.
    #[inline]
    pub(crate) fn index(self) -> u32 {
        self.0 as u32
    }
}

impl From<hrwheel_wheel::TimerKey> for EngineKey {
    #[inline(always)]
    fn from(k: hrwheel_wheel::TimerKey) -> Self {
        EngineKey(k.into_raw())
    }
}

impl From<hrwheel_hires::TimerKey> for EngineKey {
    #[inline(always)]
    fn from(k: hrwheel_hires::TimerKey) -> Self {
        EngineKey(k.into_raw())
    }
}

/// Why an engine refused a key (the pool maps it to
/// [`Error::StaleKey`](crate::Error::StaleKey)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stale;

pub(crate) enum Engine<T> {
    Wheel(Wheel<T>),
    Hires(HiresQueue<T>),
}

impl<T> Engine<T> {
    /// An engine of kind `backend` (`Auto` is resolved by then; it is
    /// treated as the wheel) with room for `capacity` timers.
    pub(crate) fn new(backend: Backend, capacity: usize) -> Self {
        match backend {
            Backend::Hires => Engine::Hires(HiresQueue::with_capacity(capacity)),
            Backend::Wheel | Backend::Auto => Engine::Wheel(Wheel::with_capacity(capacity)),
        }
    }

    /// Adds an idle timer holding `value`.
    #[inline]
    pub(crate) fn insert_idle(&mut self, value: T) -> EngineKey {
        match self {
            Engine::Wheel(w) => w.insert_idle(value).into(),
            Engine::Hires(h) => h.insert_idle(value).into(),
        }
    }

    /// The timer, its key checked once: its deadline, value, arming and
    /// disarming through the handle need no further check.
    #[inline]
    pub(crate) fn timer(&mut self, key: EngineKey) -> Result<EngineTimer<'_, T>, Stale> {
        match self {
            Engine::Wheel(w) => w
                .timer_mut(w.key_from_raw(key.0))
                .map(EngineTimer::Wheel)
                .map_err(|_| Stale),
            Engine::Hires(h) => {
                let k = h.key_from_raw(key.0);
                match h.get(k) {
                    Some(_) => Ok(EngineTimer::Hires(h, k)),
                    None => Err(Stale),
                }
            }
        }
    }

    /// The timer's value.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: EngineKey) -> Result<&mut T, Stale> {
        match self {
            Engine::Wheel(w) => w.get_mut(w.key_from_raw(key.0)).ok_or(Stale),
            Engine::Hires(h) => h.get_mut(h.key_from_raw(key.0)).ok_or(Stale),
        }
    }

    /// The timer's value, read only.
    #[inline]
    pub(crate) fn get(&self, key: EngineKey) -> Result<&T, Stale> {
        match self {
            Engine::Wheel(w) => w.get(w.key_from_raw(key.0)).ok_or(Stale),
            Engine::Hires(h) => h.get(h.key_from_raw(key.0)).ok_or(Stale),
        }
    }

    /// The timer's value and the engine's arm operation at once: arms (or
    /// re-arms) the timer at `tick` and returns its value.
    #[inline]
    pub(crate) fn arm(&mut self, key: EngineKey, tick: u64) -> Result<(), Stale> {
        match self {
            Engine::Wheel(w) => w.arm(w.key_from_raw(key.0), tick).map_err(|_| Stale),
            Engine::Hires(h) => h.arm(h.key_from_raw(key.0), tick).map_err(|_| Stale),
        }
    }

    /// Re-arms the timer at `tick` if it is armed (`Ok(true)`); leaves an
    /// idle one alone (`Ok(false)`). Reads only the engine's own fields of
    /// the entry, not the value: the churn path's one touch of the timer.
    #[inline]
    pub(crate) fn reset_armed(&mut self, key: EngineKey, tick: u64) -> Result<bool, Stale> {
        let mut t = self.timer(key)?;
        let armed = t.is_armed();
        if armed {
            t.arm(tick);
        }
        Ok(armed)
    }

    /// Disarms the timer (it stays allocated). The caller knows it is armed.
    #[inline]
    pub(crate) fn disarm(&mut self, key: EngineKey) {
        match self {
            Engine::Wheel(w) => {
                let _ = w.disarm(w.key_from_raw(key.0));
            }
            Engine::Hires(h) => {
                let _ = h.disarm(h.key_from_raw(key.0));
            }
        }
    }

    /// Tells the tree a periodic timer's period (`None`: one-shot), which
    /// the pool keeps itself too: the tree hands it back with each expiry
    /// (see [`expire`](Self::expire)) from the slot it reads anyway, so a
    /// periodic expiry needs no second cache line. The wheel keeps no
    /// period: nothing to do.
    #[inline]
    pub(crate) fn set_period(&mut self, key: EngineKey, period: Option<u64>) {
        if let Engine::Hires(h) = self {
            // `Some(0)` is not asked for (the pool passes `None` for 0).
            let _ = h.set_period(h.key_from_raw(key.0), period);
        }
    }

    /// The tick the timer is armed for, if it is.
    #[inline]
    pub(crate) fn deadline(&self, key: EngineKey) -> Option<u64> {
        match self {
            Engine::Wheel(w) => w.deadline(w.key_from_raw(key.0)),
            Engine::Hires(h) => h.deadline(h.key_from_raw(key.0)),
        }
    }

    /// Removes the timer (armed or idle) and returns its value.
    #[inline]
    pub(crate) fn remove(&mut self, key: EngineKey) -> Result<T, Stale> {
        match self {
            Engine::Wheel(w) => w.cancel(w.key_from_raw(key.0)).ok_or(Stale),
            Engine::Hires(h) => h.cancel(h.key_from_raw(key.0)).ok_or(Stale),
        }
    }

    /// Whether no timer is armed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Engine::Wheel(w) => w.is_empty(),
            Engine::Hires(h) => h.is_empty(),
        }
    }

    /// A tick no later than the earliest armed timer's.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        match self {
            Engine::Wheel(w) => w.next_deadline(),
            Engine::Hires(h) => h.next_deadline(),
        }
    }

    /// Fires every timer due at `now`, in deadline order: `f(key, deadline,
    /// value, period)` for each, `period` the one given to
    /// [`set_period`](Self::set_period) on the tree, `None` on the wheel.
    /// The timer stays allocated: idle, or re-armed at the tick `f`
    /// returns (which must be after `now`). The tree re-arms it in place
    /// during its pass (its node stays where it is in memory,
    /// nothing is freed and taken again); the wheel cannot file a timer
    /// while it walks its slots, so its re-arms wait in `rearm` (the
    /// caller's buffer, kept for the next pass) until the pass ends.
    #[inline]
    pub(crate) fn expire(
        &mut self,
        now: u64,
        rearm: &mut Vec<(EngineKey, u64)>,
        mut f: impl FnMut(EngineKey, u64, &mut T, Option<u64>) -> Option<u64>,
    ) -> usize {
        match self {
            Engine::Wheel(w) => {
                let n = w.expire_in_place(now, |k, deadline, v| {
                    let key = EngineKey::from(k);
                    if let Some(next) = f(key, deadline, v, None) {
                        rearm.push((key, next));
                    }
                });
                for (key, next) in rearm.drain(..) {
                    let _ = w.arm(w.key_from_raw(key.0), next);
                }
                n
            }
            Engine::Hires(h) => h.expire(now, |mut fired| {
                let (key, deadline) = (EngineKey::from(fired.key()), fired.deadline());
                let period = fired.period();
                match f(key, deadline, fired.value_mut(), period) {
                    // Same node, same key.
                    Some(next) => fired.rearm_at(next),
                    None => fired.disarm(),
                }
            }),
        }
    }

    /// The wheel's counters (all zero for the tree, which moves nothing).
    pub(crate) fn stats(&self) -> Stats {
        match self {
            Engine::Wheel(w) => w.stats(),
            Engine::Hires(_) => Stats::default(),
        }
    }
}

/// A timer of an [`Engine`] whose key was checked ([`Engine::timer`]).
pub(crate) enum EngineTimer<'a, T> {
    Wheel(TimerMut<'a, T>),
    /// The queue and the checked key.
    Hires(&'a mut HiresQueue<T>, hrwheel_hires::TimerKey),
}

impl<T> EngineTimer<'_, T> {
    /// Whether it is armed (read from the engine's own fields only).
    #[inline]
    pub(crate) fn is_armed(&self) -> bool {
        match self {
            EngineTimer::Wheel(t) => t.deadline().is_some(),
            EngineTimer::Hires(h, k) => h.deadline(*k).is_some(),
        }
    }

    /// The tick it is armed for, if it is.
    #[inline]
    pub(crate) fn deadline(&self) -> Option<u64> {
        match self {
            EngineTimer::Wheel(t) => t.deadline(),
            EngineTimer::Hires(h, k) => h.deadline(*k),
        }
    }

    /// Its value.
    #[inline]
    pub(crate) fn value(&mut self) -> &mut T {
        match self {
            EngineTimer::Wheel(t) => t.value(),
            // The key was checked when the handle was made, and nothing can
            // end the timer while the handle borrows the queue.
            EngineTimer::Hires(h, k) => match h.get_mut(*k) {
                Some(v) => v,
                None => unreachable!("a checked hires key names a live timer"),
            },
        }
    }

    /// Arms (or re-arms) it at `tick`.
    #[inline]
    pub(crate) fn arm(&mut self, tick: u64) {
        match self {
            EngineTimer::Wheel(t) => t.arm(tick),
            EngineTimer::Hires(h, k) => {
                let _ = h.arm(*k, tick);
            }
        }
    }

    /// [`Engine::set_period`] on it.
    #[inline]
    pub(crate) fn set_period(&mut self, period: Option<u64>) {
        if let EngineTimer::Hires(h, k) = self {
            let _ = h.set_period(*k, period);
        }
    }

    /// Disarms it (it stays allocated).
    #[inline]
    pub(crate) fn disarm(&mut self) {
        match self {
            EngineTimer::Wheel(t) => {
                t.disarm();
            }
            EngineTimer::Hires(h, k) => {
                let _ = h.disarm(*k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_keep_fired_timers_idle() {
        for backend in [Backend::Wheel, Backend::Hires] {
            let mut e: Engine<u32> = Engine::new(backend, 4);
            let a = e.insert_idle(1);
            let b = e.insert_idle(2);
            e.arm(a, 10).unwrap();
            e.arm(b, 5).unwrap();
            assert_eq!(e.deadline(a), Some(10));
            let mut got = vec![];
            e.expire(10, &mut Vec::new(), |k, d, v, _| {
                got.push((k, d, *v));
                None
            });
            assert_eq!(got, [(b, 5, 2), (a, 10, 1)], "{backend:?}");
            assert_eq!(e.deadline(a), None);
            assert_eq!(e.get(a), Ok(&1), "fired, still allocated");
            e.arm(a, 12).unwrap();
            e.disarm(a);
            assert_eq!(e.expire(20, &mut Vec::new(), |_, _, _, _| None), 0);
            assert_eq!(e.remove(a), Ok(1));
            assert_eq!(e.remove(a), Err(Stale));
            assert_eq!(e.get(a), Err(Stale));
            let c = e.insert_idle(3);
            assert_ne!(a, c, "a reused slot has a new key");
        }
    }
}
