//! `HiresQueue::expire` and the merge of the two clock bases.
//!
//! Each base's tree yields its leftmost timer; a timer may fire when its
//! earliest expiry has come on its base (`soft <= now` on the monotonic
//! base, `soft <= now + offset` on the realtime one). Of the two candidates
//! the one with the earlier deadline in monotonic time fires first (exact
//! `i128` conversion, ties by the queue-wide insertion seq). The timer is
//! unlinked, the callback runs, and then the timer is freed or re-armed
//! (see [`Expired`]); a timer re-armed at an already-due time is kept on a
//! FIFO and linked after the pass, so one `expire` call always ends.

use super::HiresQueue;
use crate::base::{clamp, ClockBase};
use crate::expired::{Action, Expired};
use crate::key::TimerKey;
use crate::node::{State, NIL};
use crate::periodic::{forward, overruns};

impl<T> HiresQueue<T> {
    /// Fires every timer due at monotonic time `now_ns` — exact timers with
    /// deadline `<= now`, range timers with `earliest <= now` (see the
    /// module docs), realtime timers against `now_ns + offset` — in
    /// deadline order, calling `f` once per expiry with a [`Expired`] view.
    /// Periodic timers are re-armed after their callback unless it stops
    /// them. Returns the number of callbacks made.
    ///
    /// If `f` panics, the timer being fired (and any timer re-armed from a
    /// callback at an already-due time during this call) is lost: its
    /// key reads as stale and its value is dropped with the queue. The
    /// queue stays consistent.
    pub fn expire<F>(&mut self, now_ns: u64, mut f: F) -> usize
    where
        F: FnMut(Expired<'_, T>),
    {
        // Realtime now, only needed if there are realtime timers (none can
        // appear during the pass: a timer re-armed from a callback stays on
        // its own base).
        let now_rt = match self.bases[ClockBase::Realtime.index()].first() {
            Some(_) => ClockBase::Realtime.now(now_ns, self.offset),
            None => None,
        };
        let mut fired = 0;
        // FIFO of timers re-armed at an already-due time.
        let (mut pending_head, mut pending_tail) = (NIL, NIL);
        while let Some((base, index)) = self.next_due(now_ns, now_rt) {
            let base_now = match base {
                ClockBase::Monotonic => now_ns,
                // `next_due` only picks realtime timers when `now_rt` is Some.
                ClockBase::Realtime => now_rt.unwrap_or(0),
            };
            // `next_due` returns the first node of `base`'s tree.
            let removed = self.bases[base.index()].remove_first(&mut self.arena.nodes);
            debug_assert_eq!(removed, index);
            self.len -= 1;
            // Start loading the new leftmost's cold slot now, so that its
            // likely cache miss overlaps this expiry's work instead of
            // stalling the next `next_due`.
            if let Some(next) = self.bases[base.index()].first() {
                self.arena.prefetch_slot(next);
            }
            fired += 1;
            // SAFETY: `index` was the first node of `base`'s tree, and
            // every index a tree links is below the arena's capacity
            // (`Base::first`); the same holds for the slot below.
            let node = unsafe { self.arena.node_unchecked(index) };
            let (hard, gen) = (node.hard, node.gen);
            let key = TimerKey {
                index,
                gen,
                queue: self.id,
            };
            let mut action = Action::Default;
            // SAFETY: as above.
            let slot = unsafe { self.arena.slot_unchecked_mut(index) };
            slot.state = State::Firing;
            let overruns = overruns(slot.soft, slot.period, base_now);
            f(Expired {
                slot,
                action: &mut action,
                deadline: hard,
                key,
                now: base_now,
                overruns,
            });
            // SAFETY: as above.
            let (node, slot) = unsafe { self.arena.both_unchecked_mut(index) };
            if action == Action::Idle && slot.value.is_some() {
                // Kept, in no tree (`remove_first` unlinked it).
                slot.state = State::Idle;
                continue;
            }
            let next = match action {
                Action::Stop | Action::Idle => None,
                Action::Rearm(t) => Some(t),
                Action::Default if slot.period != 0 => forward(slot.soft, slot.period, base_now),
                Action::Default => None,
            };
            match next {
                Some(soft) if slot.value.is_some() => {
                    let slack = hard - slot.soft;
                    slot.soft = soft;
                    node.hard = soft.saturating_add(slack);
                    node.exact = node.hard == soft;
                    if soft <= base_now {
                        // Due already: arm after this pass (no endless loop).
                        slot.state = State::Pending;
                        slot.next = NIL;
                        if pending_tail == NIL {
                            pending_head = index;
                        } else {
                            self.arena.slot_mut(pending_tail).next = index;
                        }
                        pending_tail = index;
                    } else {
                        slot.state = State::Armed;
                        slot.seq = self.seq;
                        self.seq += 1;
                        self.bases[base.index()].insert(&mut self.arena.nodes, index);
                        self.len += 1;
                    }
                }
                _ => {
                    self.arena.release(index);
                }
            }
        }
        while pending_head != NIL {
            let index = pending_head;
            let seq = self.next_seq();
            let slot = self.arena.slot_mut(index);
            pending_head = slot.next;
            slot.next = NIL;
            slot.state = State::Armed;
            slot.seq = seq;
            let base = slot.base;
            // Pending nodes are unlinked.
            self.bases[base.index()].insert(&mut self.arena.nodes, index);
            self.len += 1;
        }
        fired
    }

    /// Monotonic-time merge key of a base's first node: `(deadline, seq)`.
    #[inline]
    fn head(&self, base: ClockBase) -> Option<(u32, i128)> {
        let index = self.bases[base.index()].first()?;
        // SAFETY: a tree's first index is below the capacity (`Base::first`).
        let hard = unsafe { self.arena.node_unchecked(index) }.hard;
        Some((index, base.to_monotonic_exact(hard, self.offset)))
    }

    /// Picks between the two bases' candidates: earlier monotonic deadline,
    /// then lower insertion seq. `true` = the monotonic one.
    #[inline]
    fn mono_first(&self, m: (u32, i128), r: (u32, i128)) -> bool {
        if m.1 != r.1 {
            return m.1 < r.1;
        }
        self.arena.slot(m.0).seq < self.arena.slot(r.0).seq
    }

    /// The first node across bases and its hard deadline in monotonic time.
    #[inline(always)]
    pub(super) fn earliest(&self) -> Option<(u32, u64)> {
        if self.bases[ClockBase::Realtime.index()].first().is_none() {
            // Only monotonic timers (the common case): no conversion.
            let index = self.bases[ClockBase::Monotonic.index()].first()?;
            // SAFETY: a tree's first index is below the capacity
            // (`Base::first`).
            return Some((index, unsafe { self.arena.node_unchecked(index) }.hard));
        }
        let (index, at) = match (
            self.head(ClockBase::Monotonic),
            self.head(ClockBase::Realtime),
        ) {
            (Some(m), Some(r)) => {
                if self.mono_first(m, r) {
                    m
                } else {
                    r
                }
            }
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return None,
        };
        Some((index, clamp(at)))
    }

    /// Whether the armed timer `index` may fire at its base's time `now`:
    /// its earliest expiry has come. Exact timers are decided from the hot
    /// node; only range timers read `soft` from their cold slot.
    ///
    /// # Safety
    /// `index` is a first node of one of the bases (so below the arena's
    /// capacity, see `Base::first`).
    #[inline(always)]
    unsafe fn is_due(&self, index: u32, now: u64) -> bool {
        // SAFETY: the caller promises a tree's index (below the capacity).
        let node = unsafe { self.arena.node_unchecked(index) };
        if node.exact {
            node.hard <= now
        } else {
            self.arena.slot(index).soft <= now
        }
    }

    /// The next node to fire at monotonic `now` (realtime `now_rt`): the
    /// first node of each base if its earliest expiry has come, the two
    /// merged by monotonic deadline, then insertion seq.
    #[inline(always)]
    fn next_due(&self, now: u64, now_rt: Option<u64>) -> Option<(ClockBase, u32)> {
        if self.bases[ClockBase::Realtime.index()].first().is_none() {
            // Only monotonic timers (the common case): no merge.
            let index = self.bases[ClockBase::Monotonic.index()].first()?;
            // SAFETY: `index` is the monotonic tree's first.
            let due = unsafe { self.is_due(index, now) };
            return due.then_some((ClockBase::Monotonic, index));
        }
        self.next_due_merged(now, now_rt)
    }

    /// [`next_due`](Self::next_due) when the realtime base is not empty.
    fn next_due_merged(&self, now: u64, now_rt: Option<u64>) -> Option<(ClockBase, u32)> {
        let due = |base: ClockBase, base_now: Option<u64>| {
            let base_now = base_now?;
            let head = self.head(base)?;
            // SAFETY: `head.0` is the first of `base`'s tree.
            let due = unsafe { self.is_due(head.0, base_now) };
            due.then_some(head)
        };
        match (
            due(ClockBase::Monotonic, Some(now)),
            due(ClockBase::Realtime, now_rt),
        ) {
            (None, None) => None,
            (Some((p, ..)), None) => Some((ClockBase::Monotonic, p)),
            (None, Some((p, ..))) => Some((ClockBase::Realtime, p)),
            (Some(m), Some(r)) => {
                if self.mono_first(m, r) {
                    Some((ClockBase::Monotonic, m.0))
                } else {
                    Some((ClockBase::Realtime, r.0))
                }
            }
        }
    }
}
