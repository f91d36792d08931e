//! [`Wheel`]: the timer operations, filing, and the `expire` loop.

use crate::arena::Arena;
use crate::entry::{Entry, DUE, IDLE, NIL};
use crate::key::{next_wheel_id, Error, TimerKey};
use crate::level::{fire_key, level_for, slot_for, slot_start, Level, LEVELS, SLOT_BITS};
use crate::list::List;
use crate::stats::Stats;
use std::num::NonZeroU32;

/// How far back from the due list's tail [`Wheel`] looks for an entry's
/// place before giving up and flagging the list for sorting.
const DUE_SCAN: usize = 16;

/// A slot holding at most this many timers may fire them directly when
/// time jumps into it (see [`Wheel::jump_to`]): sorting them is cheaper
/// than cascading them.
const DIRECT_MAX: u32 = 64;

/// A timer delivered by [`Wheel::expire`].
#[derive(Debug)]
pub struct Expired<T> {
    /// The key the timer had (now stale).
    pub key: TimerKey,
    /// The deadline it was armed with (for a timer with slack, the start of
    /// its window; it fired somewhere in the window).
    pub deadline: u64,
    /// The value given at insert.
    pub value: T,
}

/// A hierarchical timing wheel with lazy cascading. See the [crate docs](crate)
/// for the design.
///
/// ```
/// use hrwheel_wheel::Wheel;
///
/// let mut wheel = Wheel::new();
/// let a = wheel.insert(10, "a");
/// let b = wheel.insert(5_000, "b");
/// wheel.insert_with_slack(100, 50, "c"); // may fire anywhere in [100, 150]
/// assert_eq!(wheel.cancel(b), Some("b"));
/// assert_eq!(wheel.cancel(b), None); // stale key
///
/// let mut fired = Vec::new();
/// wheel.expire(1_000, |e| fired.push((e.deadline, e.value)));
/// assert_eq!(fired, [(10, "a"), (100, "c")]);
/// assert_eq!(wheel.now(), 1_000);
/// assert!(wheel.get(a).is_none());
/// assert!(wheel.is_empty());
/// ```
pub struct Wheel<T> {
    pub(crate) arena: Arena<T>,
    pub(crate) levels: Box<[Level; LEVELS]>,
    /// Bit `L` set iff level `L` has a non-empty slot.
    pub(crate) nonempty: u32,
    /// Timers whose deadline has come and that await delivery: armed with
    /// `deadline <= now`, or taken from the slot being processed. Delivered
    /// in `(deadline, seq)` order.
    pub(crate) due: List,
    /// True if `due` may be out of `(deadline, seq)` order (an entry was
    /// appended behind a later one); it is then sorted before delivery.
    pub(crate) due_unsorted: bool,
    /// Lower bound of the deadlines in `due` (`u64::MAX` when it is empty).
    pub(crate) due_min: u64,
    pub(crate) now: u64,
    pub(crate) seq: u64,
    /// Idle timers (in the arena, linked nowhere).
    pub(crate) idle: usize,
    pub(crate) id: u32,
    pub(crate) stats: Stats,
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wheel")
            .field("now", &self.now)
            .field("len", &self.arena.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<T> Wheel<T> {
    /// An empty wheel with `now() == 0`.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty wheel with room for `n` timers: no allocation until more than
    /// `n` timers are pending at once.
    pub fn with_capacity(n: usize) -> Self {
        Wheel {
            arena: Arena::with_capacity(n),
            levels: Box::new([Level::EMPTY; LEVELS]),
            nonempty: 0,
            due: List::EMPTY,
            due_unsorted: false,
            due_min: u64::MAX,
            now: 0,
            seq: 0,
            idle: 0,
            id: next_wheel_id(),
            stats: Stats::default(),
        }
    }

    /// The current tick.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Number of armed timers (idle ones are not counted).
    pub fn len(&self) -> usize {
        self.arena.len() - self.idle
    }

    /// True if no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Arms an exact timer: it fires on the first `expire` whose target is
    /// `>= deadline`. A `deadline <= now()` fires on the next `expire`.
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already pending (keys index by `u32`).
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        self.insert_with_slack(deadline, 0, value)
    }

    /// Arms a timer that may fire anywhere in `[deadline, deadline + slack]`
    /// (saturating at `u64::MAX`), never before `deadline`. The wheel picks
    /// the coarsest-aligned tick in the window, which saves cascade moves.
    /// `slack == 0` is [`insert`](Self::insert).
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already pending (keys index by `u32`).
    pub fn insert_with_slack(&mut self, deadline: u64, slack: u64, value: T) -> TimerKey {
        let key = self.alloc(deadline, slack, value);
        self.link(key.index);
        self.stats.inserts += 1;
        key
    }

    /// Adds an *idle* timer: it holds `value` and its key is valid, but it is
    /// not armed and never fires until [`arm`](Self::arm)ed. A timer that
    /// lives longer than one arming (Linux's `timer_list`, an ODP timer)
    /// keeps one key and one arena entry for its whole life this way: `arm`,
    /// [`disarm`](Self::disarm) and [`expire_in_place`](Self::expire_in_place)
    /// leave the key valid; only [`cancel`](Self::cancel) removes it.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_idle("rto");
    /// assert!(wheel.is_empty() && wheel.deadline(k).is_none());
    /// wheel.arm(k, 5)?;
    /// assert_eq!(wheel.deadline(k), Some(5));
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already in the wheel (keys index by `u32`).
    pub fn insert_idle(&mut self, value: T) -> TimerKey {
        let key = self.alloc(0, 0, value);
        self.arena[key.index as usize].level = IDLE;
        self.idle += 1;
        key
    }

    /// Arms a timer at `deadline`: an idle one starts (keeping its slack, 0
    /// unless it was inserted with some), an armed one is
    /// [`reset`](Self::reset). O(1).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_idle(7);
    /// wheel.arm(k, 3)?;
    /// let mut fired = vec![];
    /// wheel.expire_in_place(10, |key, deadline, v| fired.push((key, deadline, *v)));
    /// assert_eq!(fired, [(k, 3, 7)]);
    /// wheel.arm(k, 12)?; // the same key, armed again
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn arm(&mut self, key: TimerKey, deadline: u64) -> Result<(), Error> {
        let idx = self.check(key)?;
        if self.arena[idx as usize].level != IDLE {
            return self.reset(key, deadline);
        }
        self.seq += 1;
        let e = &mut self.arena[idx as usize];
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        self.idle -= 1;
        self.link(idx);
        self.stats.inserts += 1;
        Ok(())
    }

    /// Stops an armed timer without removing it: it becomes idle, keeping
    /// its key and value. Returns whether it was armed. O(1).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, ());
    /// assert_eq!(wheel.disarm(k), Ok(true));
    /// assert_eq!(wheel.disarm(k), Ok(false));
    /// assert_eq!(wheel.expire(10, |_| unreachable!()), 0);
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    pub fn disarm(&mut self, key: TimerKey) -> Result<bool, Error> {
        let idx = self.check(key)?;
        if self.arena[idx as usize].level == IDLE {
            return Ok(false);
        }
        self.unlink(idx);
        self.arena[idx as usize].level = IDLE;
        self.idle += 1;
        self.stats.cancels += 1;
        Ok(true)
    }

    /// Takes an arena entry for a new, unlinked timer and returns its key.
    #[inline]
    fn alloc(&mut self, deadline: u64, slack: u64, value: T) -> TimerKey {
        self.seq += 1;
        let (idx, gen) = self.arena.insert(Entry {
            value,
            deadline,
            slack,
            seq: self.seq,
            prev: NIL,
            next: NIL,
            gen: NonZeroU32::MIN,
            level: DUE,
            slot: 0,
            moves: 0,
            way: 0,
        });
        TimerKey {
            index: idx,
            gen: gen.get(),
            wheel: self.id,
        }
    }

    /// Removes a pending timer and returns its value; `None` if the key is
    /// stale (fired or cancelled) or from another wheel. O(1); a timer
    /// cancelled before its slot is reached was never moved.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let idx = self.check(key).ok()?;
        if self.arena[idx as usize].level == IDLE {
            self.idle -= 1;
        } else {
            self.unlink(idx);
        }
        let e = self.arena.remove(idx);
        self.stats.cancels += 1;
        Some(e.value)
    }

    /// Re-arms a pending timer at `deadline`, keeping its slack. For ordering
    /// among equal deadlines this counts as a new insertion. O(1), no
    /// allocation. If the timer's current slot starts no later than the new
    /// firing tick (the usual "push the timeout further out" case) only the
    /// stored deadline changes, touching no other timer, and the timer is
    /// re-filed when the slot is reached ("lazy re-arm"); otherwise it is
    /// relinked at once.
    pub fn reset(&mut self, key: TimerKey, deadline: u64) -> Result<(), Error> {
        let idx = self.check(key)?;
        if self.arena[idx as usize].level == IDLE {
            return self.arm(key, deadline);
        }
        self.stats.resets += 1;
        self.seq += 1;
        let now = self.now;
        let e = &mut self.arena[idx as usize];
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        if deadline > now && e.level != DUE {
            let (level, slot) = (e.level as usize, e.slot as usize);
            let key = fire_key(deadline, e.slack);
            if key >= slot_start(now, level, slot) {
                self.levels[level].note_key(slot, key);
                return Ok(());
            }
        }
        self.unlink(idx);
        self.link(idx);
        Ok(())
    }

    /// The value of a pending timer.
    pub fn get(&self, key: TimerKey) -> Option<&T> {
        let idx = self.check(key).ok()?;
        Some(&self.arena[idx as usize].value)
    }

    /// The value of a pending timer, mutably.
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let idx = self.check(key).ok()?;
        Some(&mut self.arena[idx as usize].value)
    }

    /// The deadline of a pending timer.
    pub fn deadline(&self, key: TimerKey) -> Option<u64> {
        let idx = self.check(key).ok()?;
        let e = &self.arena[idx as usize];
        (e.level != IDLE).then_some(e.deadline)
    }

    /// A tick at which to call [`expire`](Self::expire) next, in O(1) from
    /// the bitmaps (no list is walked); `None` iff no timer is pending.
    ///
    /// Never later than the tick at which the earliest pending timer is due
    /// (its deadline; for a timer with slack, the tick the wheel picked in its
    /// window, at most `deadline + slack`): a coarse slot never hides an
    /// earlier timer in a finer one, since every slot of a level comes before
    /// every slot of the next. It is the smallest firing tick filed in the
    /// first non-empty slot since that slot was last empty, so it is exact
    /// unless that timer was since cancelled or pushed back by a lazy
    /// [`reset`](Self::reset); then it is earlier. For timers armed with a
    /// deadline already past, it is the smallest such deadline (`<= now()`).
    /// Advancing to it is always correct: nothing fires early; if nothing is
    /// due, the slot is redistributed and the next call answers a later tick.
    pub fn next_deadline(&self) -> Option<u64> {
        if !self.due.is_empty() {
            return Some(self.due_min);
        }
        if self.nonempty == 0 {
            return None;
        }
        let level = self.nonempty.trailing_zeros() as usize;
        let slot = self.levels[level].occupied.trailing_zeros() as usize;
        Some(self.levels[level].min_key[slot])
    }

    /// Moves time to `to` (no-op for time if `to <= now()`) and delivers every
    /// timer due by then to `f`: first the ones armed with a deadline already
    /// past, then the rest as time passes, exact timers in `(deadline,
    /// arming order)` order; slack timers at the tick picked in their window.
    /// Afterwards `now() == max(now(), to)`. Returns how many fired.
    ///
    /// Cost: O(slots holding timers that are reached + timers moved or
    /// fired); empty stretches are skipped through the bitmaps, so a jump of
    /// 2^40 ticks over a few timers costs O(levels × timers).
    ///
    /// If `f` panics, the timer being delivered is gone, the others are
    /// still pending (those already due are delivered by the next `expire`)
    /// and the wheel is consistent, with `now()` at the tick being processed.
    pub fn expire(&mut self, to: u64, mut f: impl FnMut(Expired<T>)) -> usize {
        self.run(to, |w, idx| {
            let e = w.arena.remove(idx);
            f(Expired {
                key: TimerKey {
                    index: idx,
                    gen: e.gen.get(),
                    wheel: w.id,
                },
                deadline: e.deadline,
                value: e.value,
            });
        })
    }

    /// [`expire`](Self::expire), but each timer that fires stays in the
    /// wheel, idle (see [`insert_idle`](Self::insert_idle)): its key stays
    /// valid and `f` gets its key, deadline and value in place. Same order,
    /// same guarantees; if `f` panics, the timer being delivered is idle.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(4, 0u32);
    /// wheel.expire_in_place(4, |_, _, n| *n += 1);
    /// assert_eq!(wheel.get(k), Some(&1)); // fired, still there, idle
    /// assert!(wheel.is_empty());
    /// ```
    pub fn expire_in_place(&mut self, to: u64, mut f: impl FnMut(TimerKey, u64, &mut T)) -> usize {
        self.run(to, |w, idx| {
            let id = w.id;
            w.idle += 1;
            let e = &mut w.arena[idx as usize];
            e.level = IDLE;
            let key = TimerKey {
                index: idx,
                gen: e.gen.get(),
                wheel: id,
            };
            f(key, e.deadline, &mut e.value);
        })
    }

    /// The loop of both expiry flavours; `deliver` gets each due timer,
    /// already unlinked.
    #[inline]
    fn run(&mut self, to: u64, mut deliver: impl FnMut(&mut Self, u32)) -> usize {
        let f = &mut deliver;
        let to = to.max(self.now);
        let mut fired = self.fire_due(f);
        while self.nonempty != 0 {
            let level = self.nonempty.trailing_zeros() as usize;
            let slot = self.levels[level].occupied.trailing_zeros() as usize;
            let t = slot_start(self.now, level, slot);
            if t > to {
                break;
            }
            // Time may jump past the slot's start, to `at`: every other
            // pending timer is filed at or after the slot's end, so until
            // then only this slot's timers can come due (see "Where time
            // jumps" in the crate docs).
            let at = self.jump_to(level, slot, t, to);
            self.now = at;
            self.stats.slots_visited += 1;
            let lone = self.levels[level].count[slot] == 1;
            // Empty the slot: timers whose deadline has come go to the due
            // list, the others move on. No user code runs meanwhile.
            let (mut heads, level_empty) = self.levels[level].take(slot);
            if level_empty {
                self.nonempty &= !(1 << level);
            }
            if lone && self.due.is_empty() {
                // One timer (the usual slot of a sparse wheel, or of level
                // 0): deliver it or move it without the ways and the due
                // list.
                let idx = heads.into_iter().fold(NIL, |a, h| a.min(h));
                let e = &mut self.arena[idx as usize];
                let key = fire_key(e.deadline, e.slack);
                if e.deadline <= t || key <= at {
                    self.stats.expiries += 1;
                    f(self, idx);
                    fired += 1;
                } else {
                    e.moves = e.moves.saturating_add(1);
                    let moves = u64::from(e.moves);
                    self.stats.cascade_moves += 1;
                    self.stats.max_moves_per_timer = self.stats.max_moves_per_timer.max(moves);
                    self.file(idx, key);
                }
                continue;
            }
            // Walk the slot's non-empty ways round-robin, prefetching each
            // way's next entry as soon as it is known (see `prefetch.rs`).
            // The slot is already detached; every entry is relinked below.
            let mut live = 0u32;
            for (w, &h) in heads.iter().enumerate() {
                live |= u32::from(h != NIL) << w;
            }
            while live != 0 {
                let mut round = live;
                while round != 0 {
                    let w = round.trailing_zeros() as usize;
                    round &= round - 1;
                    let idx = heads[w];
                    let next = self.arena[idx as usize].next;
                    heads[w] = next;
                    if next == NIL {
                        live &= !(1 << w);
                    } else {
                        self.arena.prefetch(next);
                    }
                    let e = &mut self.arena[idx as usize];
                    // Fires if its deadline came by the slot's start (a
                    // slack timer whose window began) or its firing tick by
                    // `at`; for an exact timer both say `deadline <= at`.
                    let key = fire_key(e.deadline, e.slack);
                    if e.deadline <= t || key <= at {
                        self.push_due(idx);
                    } else {
                        // Cascade (or re-file after a lazy re-arm): the new
                        // slot starts after `at`, so never back into this one.
                        e.moves = e.moves.saturating_add(1);
                        let moves = u64::from(e.moves);
                        self.stats.cascade_moves += 1;
                        self.stats.max_moves_per_timer = self.stats.max_moves_per_timer.max(moves);
                        self.file(idx, key);
                    }
                }
            }
            fired += self.fire_due(f);
        }
        self.now = to;
        fired
    }

    /// The tick to move to when taking `slot` of `level`, which starts at
    /// `t <= to`: as far as `to` allows, but not past the slot's last tick
    /// (timers elsewhere may be due right after it). Timers of the slot
    /// whose deadline is then reached fire from it directly, the others are
    /// filed relative to that tick, which never puts one at a coarser level
    /// than `t` would (`a <= b < k` implies `msb(b ^ k) <= msb(a ^ k)`).
    ///
    /// Timers firing directly join the due list in walk order and are
    /// sorted if that is not `(deadline, seq)` order, which is cheap for a
    /// small slot, and for a burst on one tick (walk order is then filing
    /// order). For a large slot of many distinct ticks that sort would cost
    /// more than cascading, so time then stops short of the slot's
    /// earliest firing tick: nothing fires directly, and the timers are
    /// still filed as close to their ticks as possible.
    #[inline]
    fn jump_to(&self, level: usize, slot: usize, t: u64, to: u64) -> u64 {
        let last = t + ((1u64 << (SLOT_BITS as usize * level)) - 1);
        let u = to.min(last);
        let lv = &self.levels[level];
        let (min, max) = (lv.min_key[slot], lv.max_key[slot]);
        if lv.count[slot] <= DIRECT_MAX || min == max {
            u
        } else {
            u.min(min.saturating_sub(1)).max(t)
        }
    }

    /// Validates a key, returning its arena index.
    #[inline]
    fn check(&self, key: TimerKey) -> Result<u32, Error> {
        if key.wheel != self.id {
            return Err(Error::ForeignKey);
        }
        match self.arena.get(key.index) {
            Some(e) if e.gen.get() == key.gen => Ok(key.index),
            _ => Err(Error::StaleKey),
        }
    }

    /// Links an unlinked entry according to its deadline: the due list if
    /// the deadline has passed, else the slot of its firing key.
    #[inline]
    fn link(&mut self, idx: u32) {
        let e = &self.arena[idx as usize];
        let deadline = e.deadline;
        if deadline <= self.now {
            self.push_due(idx);
        } else {
            let key = fire_key(deadline, e.slack);
            self.file(idx, key);
        }
    }

    /// Links an unlinked entry whose deadline has come into the due list,
    /// in `(deadline, seq)` order if its place is among the last
    /// [`DUE_SCAN`] entries (the usual case: a slot's ways interleave
    /// runs that are each nearly in order); otherwise it is appended and the
    /// list is flagged for sorting before delivery.
    #[inline]
    fn push_due(&mut self, idx: u32) {
        let e = &mut self.arena[idx as usize];
        e.level = DUE;
        let order = (e.deadline, e.seq);
        self.due_min = self.due_min.min(e.deadline);
        let mut after = self.due.tail;
        if !self.due_unsorted {
            let mut steps = 0;
            while after != NIL {
                let a = &self.arena[after as usize];
                if (a.deadline, a.seq) <= order {
                    break;
                }
                if steps == DUE_SCAN {
                    self.due_unsorted = true;
                    after = self.due.tail;
                    break;
                }
                steps += 1;
                after = a.prev;
            }
        }
        self.due.insert_after(&mut self.arena, after, idx);
    }

    /// Delivers the due list in `(deadline, seq)` order.
    #[inline]
    fn fire_due(&mut self, f: &mut impl FnMut(&mut Self, u32)) -> usize {
        if self.due.is_empty() {
            return 0;
        }
        if self.due_unsorted {
            self.due.sort(&mut self.arena, |a, b| {
                (a.deadline, a.seq) <= (b.deadline, b.seq)
            });
            self.due_unsorted = false;
        }
        let mut fired = 0;
        while let Some(idx) = self.due.pop_front(&mut self.arena) {
            self.stats.expiries += 1;
            f(self, idx);
            fired += 1;
        }
        self.due_min = u64::MAX;
        fired
    }

    /// Files an unlinked entry in the slot for `key > now`, in the slot's
    /// next way in turn (see `level.rs`). Forced inline: left to itself LLVM
    /// outlines it, which made W2 insert+cancel ~15 % slower.
    #[inline(always)]
    fn file(&mut self, idx: u32, key: u64) {
        let level = level_for(self.now, key);
        let slot = slot_for(key, level);
        let lv = &mut self.levels[level];
        let way = lv.take_way(slot);
        let e = &mut self.arena[idx as usize];
        e.level = level as u8;
        e.slot = slot as u8;
        e.way = way;
        if lv.insert(&mut self.arena, slot, way, idx, key) {
            self.nonempty |= 1 << level;
        }
    }

    /// Unlinks a linked entry from its list.
    #[inline]
    fn unlink(&mut self, idx: u32) {
        let e = &self.arena[idx as usize];
        if e.level == DUE {
            self.due.unlink(&mut self.arena, idx);
            if self.due.is_empty() {
                self.due_min = u64::MAX;
                self.due_unsorted = false;
            }
        } else {
            let (level, slot, way) = (e.level as usize, e.slot as usize, e.way);
            if self.levels[level].unlink(&mut self.arena, slot, way, idx) {
                self.nonempty &= !(1 << level);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9: a key kept while its slot was reused 2^32 times matched the
    /// new timer again. Start the slot's generation near `u32::MAX` (the
    /// loop would otherwise take a minute) and reuse it past the wrap.
    #[test]
    fn a_stale_key_never_matches_after_its_slot_is_reused_2_pow_32_times() {
        let mut w = Wheel::new();
        let first = w.insert(10, 0u32);
        assert_eq!(w.cancel(first), Some(0));
        w.arena.set_vacant_gen(first.index, u32::MAX - 3);
        let mut keys = Vec::new();
        for i in 1..=6u32 {
            let k = w.insert(10 + u64::from(i), i);
            keys.push(k);
            // The old key never names the new timer, and it is left alone.
            assert_eq!(w.cancel(first), None);
            assert_eq!(w.reset(first, 99), Err(Error::StaleKey));
            assert_eq!(w.get(k), Some(&i));
            if i % 2 == 0 {
                assert_eq!(w.cancel(k), Some(i));
            } else {
                let mut fired = Vec::new();
                w.expire(w.now() + 100, |e| fired.push((e.key, e.value)));
                assert_eq!(fired, [(k, i)]);
            }
        }
        // Generations went MAX - 2, MAX - 1, MAX on slot 0, which then
        // retired; later timers live in slot 1.
        let gens: Vec<(u32, u32)> = keys.iter().map(|k| (k.index, k.gen)).collect();
        assert_eq!(
            &gens[..3],
            &[(0, u32::MAX - 2), (0, u32::MAX - 1), (0, u32::MAX)]
        );
        assert!(gens[3..].iter().all(|&(index, _)| index == 1));
        for k in &keys {
            assert_eq!(w.cancel(*k), None);
        }
        w.check_invariants().unwrap();
    }
}
