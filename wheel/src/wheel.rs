//! [`Wheel`]: the timer operations, filing, and the `expire` loop.

use crate::arena::Arena;
use crate::bag::{Bag, Chunks, CHUNK};
use crate::entry::{Entry, DUE, IDLE, NIL, RUN};
use crate::key::{next_wheel_id, Error, TimerKey};
use crate::level::{fire_key, level_for, slot_for, slot_start, Level, LEVELS, SLOTS, SLOT_BITS};
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

/// How many timers ahead of the next to fire [`Wheel`] asks for the
/// entries of the run (see [`Wheel::prefetch_run`]).
const RUN_AHEAD: usize = 8;

/// The run prefetches only while it holds more timers than this.
const PREFETCH_RUN_MIN: usize = 512;

/// Largest slot that [`Wheel::expire`] sorts into the run (see "Sorted
/// runs" in the crate docs for why it is bounded) instead of cascading it.
/// The run and the sort's scratch buffer (16 bytes a timer each) and the
/// sorted places (4) are reserved up to this size.
pub(crate) const RUN_MAX: usize = 32768;

/// A run of at most this many timers is insertion-sorted: a few dozen
/// timers take fewer moves (about `n²/4`) than the radix sort's passes,
/// each of which clears and sums 64 counters (three passes for a slot of
/// level 3, whose timers share no digit when they are few and scattered).
const INSERTION_MAX: usize = 32;

/// A run of at least this many timers is radix-sorted [`WIDE_BITS`] bits
/// a pass instead of 6 (one pass instead of two for a slot of level 2):
/// the 4096 counters a pass then clears and sums cost little per timer.
const WIDE_MIN: usize = 1024;

/// Digit width of the radix sort's passes over a run of [`WIDE_MIN`]
/// timers or more.
const WIDE_BITS: usize = 12;

/// One timer of the run: its firing key, its entry ([`NIL`] once
/// cancelled or re-armed), and where it was pushed before the sort (its
/// entry's `next` says the same; [`Wheel::run_pos`] maps it to where the
/// sort put it). 16 bytes, as without `pre`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunItem {
    pub(crate) key: u64,
    pub(crate) idx: u32,
    pub(crate) pre: u32,
}

/// One radix-sort digit of a run item: `width` bits at `shift` of its
/// key's offset from `t`, below `B` (a power of two; the mask also
/// tells the compiler so, which drops the counters' bounds checks).
#[derive(Clone, Copy)]
struct Digit<const B: usize> {
    t: u64,
    shift: usize,
    mask: usize,
}

impl<const B: usize> Digit<B> {
    #[inline(always)]
    fn new(t: u64, shift: usize, width: usize) -> Self {
        debug_assert!(B.is_power_of_two() && 1 << width <= B);
        Digit {
            t,
            shift,
            mask: ((1 << width) - 1) & (B - 1),
        }
    }

    #[inline(always)]
    fn of(&self, r: &RunItem) -> usize {
        ((r.key - self.t) >> self.shift) as usize & self.mask & (B - 1)
    }
}

/// Delivery of a detached bag ([`Wheel::fire_bag`]): the wheel, the
/// indices of the chunk being delivered (`items[i..n]` not yet), the next
/// chunk and how many timers the chunks from it hold. If the callback
/// panics, dropping it files the timers not yet delivered in the due list
/// (in order: they are due), so none is lost.
struct BagDelivery<'a, T> {
    w: &'a mut Wheel<T>,
    items: [u32; CHUNK],
    i: usize,
    n: usize,
    c: u32,
    left: usize,
}

impl<T> Drop for BagDelivery<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.i < self.n || self.c != NIL {
            self.unwind();
        }
    }
}

impl<T> BagDelivery<'_, T> {
    /// Files the timers not delivered in the due list (the callback
    /// panicked).
    #[cold]
    #[inline(never)]
    fn unwind(&mut self) {
        loop {
            for &idx in &self.items[self.i..self.n] {
                self.w.push_due(idx);
            }
            self.i = self.n;
            if self.c == NIL {
                break;
            }
            (self.items, self.n, self.c) = self.w.read_chunk(self.c, &mut self.left);
            self.i = 0;
        }
    }
}

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

/// One timer of a [`Wheel`], its key checked once ([`Wheel::timer_mut`]).
#[derive(Debug)]
pub struct TimerMut<'a, T> {
    wheel: &'a mut Wheel<T>,
    idx: u32,
}

impl<T> TimerMut<'_, T> {
    /// The deadline it is armed for, `None` while idle
    /// ([`Wheel::deadline`]).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_idle(());
    /// assert_eq!(wheel.timer_mut(k)?.deadline(), None);
    /// wheel.arm(k, 9)?;
    /// assert_eq!(wheel.timer_mut(k)?.deadline(), Some(9));
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    #[inline]
    pub fn deadline(&self) -> Option<u64> {
        let e = &self.wheel.arena[self.idx as usize];
        (e.level != IDLE).then_some(e.deadline)
    }

    /// Its value ([`Wheel::get_mut`]).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, 1u32);
    /// *wheel.timer_mut(k)?.value() += 1;
    /// assert_eq!(wheel.get(k), Some(&2));
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    #[inline]
    pub fn value(&mut self) -> &mut T {
        &mut self.wheel.arena[self.idx as usize].value
    }

    /// Arms it at `deadline`, or re-arms it if armed ([`Wheel::arm`]).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_idle("rto");
    /// let mut t = wheel.timer_mut(k)?; // one key check for several calls
    /// t.arm(4);
    /// assert_eq!(t.deadline(), Some(4));
    /// t.arm(8); // armed: re-armed
    /// assert_eq!(wheel.deadline(k), Some(8));
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    #[inline]
    pub fn arm(&mut self, deadline: u64) {
        self.wheel.arm_call(self.idx, deadline);
    }

    /// Stops it, keeping key and value; whether it was armed
    /// ([`Wheel::disarm`]).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(4, ());
    /// let mut t = wheel.timer_mut(k)?;
    /// assert!(t.disarm());
    /// assert!(!t.disarm()); // already idle
    /// assert!(wheel.is_empty() && wheel.get(k).is_some()); // the key stays valid
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    #[inline]
    pub fn disarm(&mut self) -> bool {
        self.wheel.disarm_at(self.idx)
    }
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
    /// The chunks the slots' bags are made of (see `bag.rs`).
    pub(crate) chunks: Chunks,
    /// The run: timers of one emptied slot, sorted by key descending (the next to fire is last), waiting for their tick
    /// without being filed in any slot. Cancelled ones stay as tombstones
    /// (`idx == NIL`) until popped; the last item is always live.
    pub(crate) run: Vec<RunItem>,
    /// Scratch space of the run's sort (empty between sorts).
    pub(crate) scratch: Vec<RunItem>,
    /// Where the sort put each run item, by the place it was pushed at
    /// (`RunItem::pre`, also its entry's `next`): how a timer cancelled or
    /// re-armed in the run finds its item. A dense array written in one
    /// pass after the sort, instead of each entry (scattered, and far from
    /// the core for a large run) being written its place.
    pub(crate) run_pos: Vec<u32>,
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
    ///
    /// ```
    /// let wheel: hrwheel_wheel::Wheel<u32> = hrwheel_wheel::Wheel::new();
    /// assert!(wheel.is_empty());
    /// assert_eq!(wheel.now(), 0);
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty wheel with room for `n` timers: no allocation until more than
    /// `n` timers are pending at once.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::with_capacity(1_000);
    /// for i in 0..1_000u64 {
    ///     wheel.insert(1 + i % 300, i); // no allocation on the way
    /// }
    /// assert_eq!(wheel.len(), 1_000);
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        Wheel {
            arena: Arena::with_capacity(n),
            levels: Box::new([Level::EMPTY; LEVELS]),
            // Enough for `n` timers in any slots: full chunks, a partly
            // filled one in each non-empty slot (at most `n` of them), and
            // one more while a slot is emptied (see `bag.rs`).
            chunks: Chunks::with_capacity(if n == 0 {
                0
            } else {
                n.div_ceil(CHUNK) + n.min(LEVELS * SLOTS) + 1
            }),
            run: Vec::with_capacity(n.min(RUN_MAX)),
            scratch: Vec::with_capacity(n.min(RUN_MAX)),
            run_pos: Vec::with_capacity(n.min(RUN_MAX)),
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
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::<()>::new();
    /// wheel.expire(42, |_| {});
    /// assert_eq!(wheel.now(), 42);
    /// wheel.expire(7, |_| {}); // time never goes back
    /// assert_eq!(wheel.now(), 42);
    /// ```
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Number of armed timers (idle ones are not counted).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(10, 'a');
    /// wheel.insert_idle('b'); // idle: not counted
    /// assert_eq!(wheel.len(), 1);
    /// wheel.cancel(k);
    /// assert_eq!(wheel.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.arena.len() - self.idle
    }

    /// True if no timer is armed.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// assert!(wheel.is_empty());
    /// wheel.insert(3, ());
    /// assert!(!wheel.is_empty());
    /// wheel.expire(3, |_| {});
    /// assert!(wheel.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counters since creation.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let a = wheel.insert(100, ());
    /// wheel.insert(200, ());
    /// wheel.cancel(a);
    /// wheel.expire(1_000, |_| {});
    /// let s = wheel.stats();
    /// assert_eq!((s.inserts, s.cancels, s.expiries), (2, 1, 1));
    /// assert!(s.max_moves_per_timer <= hrwheel_wheel::LEVELS as u64);
    /// ```
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Arms an exact timer: it fires on the first `expire` whose target is
    /// `>= deadline`. A `deadline <= now()` fires on the next `expire`.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// wheel.insert(20, "b");
    /// wheel.insert(10, "a");
    /// let mut fired = vec![];
    /// wheel.expire(15, |e| fired.push(e.value));
    /// assert_eq!(fired, ["a"]); // 20 is not due yet
    /// assert_eq!(wheel.next_deadline(), Some(20));
    /// ```
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already pending (keys index by `u32`).
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        self.insert_at(deadline, 0, value)
    }

    /// Arms a timer that may fire anywhere in `[deadline, deadline + slack]`
    /// (saturating at `u64::MAX`), never before `deadline`. The wheel picks
    /// the coarsest-aligned tick in the window, which saves cascade moves.
    /// `slack == 0` is [`insert`](Self::insert).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_with_slack(1_000, 200, ());
    /// let mut at = 0;
    /// while wheel.len() > 0 {
    ///     let next = wheel.next_deadline().unwrap();
    ///     wheel.expire(next, |_| at = next);
    /// }
    /// assert!((1_000..=1_200).contains(&at)); // never early, at most 200 late
    /// # let _ = k;
    /// ```
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already pending (keys index by `u32`).
    pub fn insert_with_slack(&mut self, deadline: u64, slack: u64, value: T) -> TimerKey {
        self.insert_at(deadline, slack, value)
    }

    /// [`insert_with_slack`](Self::insert_with_slack), inlined into
    /// [`insert`](Self::insert), whose constant slack drops `fire_key`.
    #[inline(always)]
    fn insert_at(&mut self, deadline: u64, slack: u64, value: T) -> TimerKey {
        // The usual case, straight-line: a vacant entry on the free list,
        // a deadline to come, a slot whose tail chunk has room.
        let (idx, now) = (self.arena.free_head(), self.now);
        if idx != NIL && deadline > now {
            let key = fire_key(deadline, slack);
            let level = level_for(now, key);
            let slot = slot_for(key, level);
            let lv = &mut self.levels[level];
            if lv.slots[slot].fill < CHUNK as u32 {
                let (chunk, pos) = lv.slots[slot].push(&mut self.chunks, idx);
                lv.note_key(slot, key);
                let seq = self.seq + 1;
                self.seq = seq;
                self.stats.inserts += 1;
                let gen = self.arena.insert_free(
                    idx,
                    Entry {
                        value,
                        deadline,
                        slack,
                        seq,
                        prev: NIL,
                        next: chunk,
                        gen: NonZeroU32::MIN,
                        level: level as u8,
                        slot: slot as u8,
                        moves: 0,
                        pos,
                    },
                );
                return TimerKey::new(idx, gen.get(), self.id);
            }
        }
        self.insert_slow(deadline, slack, value)
    }

    /// [`insert_at`](Self::insert_at) in full.
    #[inline(never)]
    fn insert_slow(&mut self, deadline: u64, slack: u64, value: T) -> TimerKey {
        self.seq += 1;
        self.stats.inserts += 1;
        // File the index the arena will give the entry first, so that the
        // entry is written once, with its place.
        let idx = self.arena.next_index();
        let (level, slot, next, pos) = if deadline > self.now {
            let key = fire_key(deadline, slack);
            place(
                &mut self.levels,
                &mut self.chunks,
                &mut self.nonempty,
                self.now,
                idx,
                key,
            )
        } else {
            (DUE, 0, NIL, 0)
        };
        let (at, gen) = self.arena.insert(Entry {
            value,
            deadline,
            slack,
            seq: self.seq,
            prev: NIL,
            next,
            gen: NonZeroU32::MIN,
            level,
            slot,
            moves: 0,
            pos,
        });
        debug_assert_eq!(at, idx);
        if level == DUE {
            self.push_due(idx);
        }
        TimerKey::new(idx, gen.get(), self.id)
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
        self.arena[key.index() as usize].level = IDLE;
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
        self.arm_at(idx, deadline);
        Ok(())
    }

    /// [`arm`](Self::arm) (or [`reset`](Self::reset), the same) of the
    /// checked entry `idx`: the usual cases inline
    /// ([`arm_fast`](Self::arm_fast)), anything else out of line.
    #[inline(always)]
    fn arm_at(&mut self, idx: u32, deadline: u64) {
        if !self.arm_fast(idx, deadline) {
            self.arm_slow(idx, deadline);
        }
    }

    /// [`arm_at`](Self::arm_at) in full.
    #[inline]
    fn arm_full(&mut self, idx: u32, deadline: u64) {
        if self.arena[idx as usize].level != IDLE {
            self.reset_at(idx, deadline);
            return;
        }
        self.seq += 1;
        let e = &mut self.arena[idx as usize];
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        self.idle -= 1;
        self.link(idx);
        self.stats.inserts += 1;
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
        Ok(self.disarm_at(idx))
    }

    /// [`disarm`](Self::disarm) of the checked entry `idx`.
    #[inline]
    fn disarm_at(&mut self, idx: u32) -> bool {
        // The usual case, straight-line, as in `cancel`.
        let e = &mut self.arena[idx as usize];
        let level = e.level as usize;
        if level < LEVELS {
            let (slot, chunk, off) = (e.slot as usize & (SLOTS - 1), e.next, e.pos);
            let bag = &mut self.levels[level].slots[slot];
            if bag.removes_in_place() {
                // Idle first: the bag's hole is filled from another
                // entry's index (never this one's).
                e.level = IDLE;
                bag.remove_in_place(&mut self.chunks, &mut self.arena, chunk, off);
                self.idle += 1;
                self.stats.cancels += 1;
                return true;
            }
        }
        self.disarm_slow(idx)
    }

    /// [`disarm_at`](Self::disarm_at) in full.
    #[inline(never)]
    fn disarm_slow(&mut self, idx: u32) -> bool {
        if self.arena[idx as usize].level == IDLE {
            return false;
        }
        self.unlink(idx);
        self.arena[idx as usize].level = IDLE;
        self.idle += 1;
        self.stats.cancels += 1;
        true
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
            pos: 0,
        });
        TimerKey::new(idx, gen.get(), self.id)
    }

    /// Removes a pending timer and returns its value; `None` if the key is
    /// stale (fired or cancelled) or from another wheel. O(1); a timer
    /// cancelled before its slot is reached was never moved.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(50, "retransmit");
    /// assert_eq!(wheel.cancel(k), Some("retransmit"));
    /// assert_eq!(wheel.cancel(k), None); // stale now
    /// assert_eq!(wheel.expire(100, |_| panic!("cancelled")), 0);
    /// ```
    #[inline]
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let idx = self.check(key).ok()?;
        // The usual case, straight-line: filed in a slot whose tail chunk
        // keeps at least one timer (no chunk is freed, no bitmap changes).
        let e = &self.arena[idx as usize];
        let level = e.level as usize;
        if level < LEVELS {
            let (slot, chunk, off) = (e.slot as usize & (SLOTS - 1), e.next, e.pos);
            let bag = &mut self.levels[level].slots[slot];
            if bag.removes_in_place() {
                // The entry first, while the compiler still knows `check`
                // found it in bounds and occupied: the bag's hole is
                // filled from another entry's index (never this one's).
                let value = self.arena.remove(idx).value;
                bag.remove_in_place(&mut self.chunks, &mut self.arena, chunk, off);
                self.stats.cancels += 1;
                return Some(value);
            }
        }
        self.cancel_slow(idx)
    }

    /// [`cancel`](Self::cancel) of the checked entry `idx`, in full.
    #[inline(never)]
    fn cancel_slow(&mut self, idx: u32) -> Option<T> {
        let e = &self.arena[idx as usize];
        let level = e.level as usize;
        if level < LEVELS {
            let (slot, chunk, off) = (e.slot as usize & (SLOTS - 1), e.next, e.pos);
            self.unlink_slot(level, slot, chunk, off);
        } else if e.level == IDLE {
            self.idle -= 1;
        } else {
            self.unlink_list(idx);
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
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(100, "keepalive");
    /// wheel.reset(k, 250)?; // a packet came: push the timeout out
    /// assert_eq!(wheel.expire(200, |_| panic!("not due yet")), 0);
    /// assert_eq!(wheel.expire(250, |e| assert_eq!(e.deadline, 250)), 1);
    /// assert!(wheel.reset(k, 300).is_err()); // fired: the key is stale
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    #[inline]
    pub fn reset(&mut self, key: TimerKey, deadline: u64) -> Result<(), Error> {
        let idx = self.check(key)?;
        // Only the lazy re-arm inline: resetting an idle timer is rare.
        if !self.lazy_reset(idx, deadline) {
            self.arm_slow(idx, deadline);
        }
        Ok(())
    }

    /// [`arm_at`](Self::arm_at) of the checked entry `idx` for a deadline
    /// after `now`, in the two usual cases: the lazy re-arm of a timer
    /// filed in a slot that starts no later than its new firing tick (see
    /// the crate docs), and arming an idle timer into a slot whose tail
    /// chunk has room. Returns false, having changed nothing, otherwise.
    /// Small enough to inline: every other case is
    /// [`arm_slow`](Self::arm_slow)'s.
    #[inline(always)]
    fn arm_fast(&mut self, idx: u32, deadline: u64) -> bool {
        if self.lazy_reset(idx, deadline) {
            return true;
        }
        let now = self.now;
        let e = &mut self.arena[idx as usize];
        if deadline <= now || e.level != IDLE {
            return false;
        }
        // Idle: file it, as `insert` does.
        let key = fire_key(deadline, e.slack);
        let level = level_for(now, key);
        let slot = slot_for(key, level);
        let lv = &mut self.levels[level];
        if lv.slots[slot].fill == CHUNK as u32 {
            return false;
        }
        let (chunk, pos) = lv.slots[slot].push(&mut self.chunks, idx);
        lv.note_key(slot, key);
        self.seq += 1;
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        (e.level, e.slot, e.next, e.pos) = (level as u8, slot as u8, chunk, pos);
        self.idle -= 1;
        self.stats.inserts += 1;
        true
    }

    /// The lazy re-arm of [`reset`](Self::reset) (see the crate docs) of
    /// the checked entry `idx`, if it applies: the timer is filed in a
    /// slot that starts no later than its new firing tick, which is after
    /// `now`. Returns false, having changed nothing, if it does not.
    #[inline(always)]
    fn lazy_reset(&mut self, idx: u32, deadline: u64) -> bool {
        let now = self.now;
        let e = &mut self.arena[idx as usize];
        let level = e.level as usize;
        // `level < LEVELS`: filed in a slot (not idle, due or in the run).
        if deadline <= now || level >= LEVELS {
            return false;
        }
        let slot = e.slot as usize & (SLOTS - 1);
        let key = fire_key(deadline, e.slack);
        if key < slot_start(now, level, slot) {
            return false;
        }
        self.stats.resets += 1;
        self.seq += 1;
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        self.levels[level].note_key(slot, key);
        true
    }

    /// [`arm_at`](Self::arm_at) as a call, for [`TimerMut::arm`]: inlined
    /// there, the fast paths made the callers of a pool's re-arm too big
    /// to inline in turn (W1 through the pool, 386 -> 402 instructions per
    /// operation).
    #[inline(never)]
    fn arm_call(&mut self, idx: u32, deadline: u64) {
        self.arm_at(idx, deadline);
    }

    /// [`arm_at`](Self::arm_at) out of line, for the cases
    /// [`arm_fast`](Self::arm_fast) leaves.
    #[inline(never)]
    fn arm_slow(&mut self, idx: u32, deadline: u64) {
        self.arm_full(idx, deadline);
    }

    /// [`reset`](Self::reset) of the checked, armed entry `idx`.
    #[inline(always)]
    fn reset_at(&mut self, idx: u32, deadline: u64) {
        self.stats.resets += 1;
        self.seq += 1;
        let now = self.now;
        let e = &mut self.arena[idx as usize];
        e.seq = self.seq;
        e.moves = 0;
        e.deadline = deadline;
        let level = e.level as usize;
        if deadline > now && level < LEVELS {
            let slot = e.slot as usize & (SLOTS - 1);
            let key = fire_key(deadline, e.slack);
            if key >= slot_start(now, level, slot) {
                self.levels[level].note_key(slot, key);
                return;
            }
            let (chunk, off) = (e.next, e.pos);
            self.unlink_slot(level, slot, chunk, off);
            self.file(idx, key);
            return;
        }
        self.unlink(idx);
        self.link(idx);
    }

    /// The timer `key` names, checked once: its value, deadline, arming
    /// and disarming through the handle cost no further key checks (one
    /// validation where `deadline`, `get_mut` and `arm` make three).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert_idle(0u32);
    /// let mut t = wheel.timer_mut(k)?;
    /// assert_eq!(t.deadline(), None);
    /// *t.value() += 1;
    /// t.arm(7);
    /// assert_eq!(t.deadline(), Some(7));
    /// assert!(t.disarm());
    /// assert_eq!((wheel.get(k), wheel.deadline(k)), (Some(&1), None));
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::StaleKey`] or [`Error::ForeignKey`].
    #[inline]
    pub fn timer_mut(&mut self, key: TimerKey) -> Result<TimerMut<'_, T>, Error> {
        let idx = self.check(key)?;
        Ok(TimerMut { wheel: self, idx })
    }

    /// The key of this wheel whose index and generation are `raw` (from
    /// [`TimerKey::into_raw`]): a container can store keys in 8 bytes
    /// instead of 16 when it knows which wheel each came from.
    ///
    /// The caller vouches for that: the bits of another wheel's key, made
    /// a key of this one, may name one of this wheel's timers. Bits that
    /// name no timer of this wheel make a stale key (every operation
    /// refuses it), never undefined behaviour.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, "a");
    /// let raw = k.into_raw();
    /// assert_eq!(wheel.get(wheel.key_from_raw(raw)), Some(&"a"));
    /// wheel.cancel(k);
    /// assert_eq!(wheel.get(wheel.key_from_raw(raw)), None); // stale
    /// ```
    #[inline(always)]
    pub fn key_from_raw(&self, raw: u64) -> TimerKey {
        TimerKey::from_raw(raw, self.id)
    }

    /// The value of a pending timer.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, "idle-timeout");
    /// assert_eq!(wheel.get(k), Some(&"idle-timeout"));
    /// wheel.expire(5, |_| {});
    /// assert_eq!(wheel.get(k), None); // fired: the key is stale
    /// ```
    pub fn get(&self, key: TimerKey) -> Option<&T> {
        let idx = self.check(key).ok()?;
        Some(&self.arena[idx as usize].value)
    }

    /// The value of a pending timer, mutably.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(5, 0u32);
    /// *wheel.get_mut(k).unwrap() = 7;
    /// let mut got = 0;
    /// wheel.expire(5, |e| got = e.value);
    /// assert_eq!(got, 7);
    /// ```
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let idx = self.check(key).ok()?;
        Some(&mut self.arena[idx as usize].value)
    }

    /// The deadline of a pending timer.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// let k = wheel.insert(30, ());
    /// assert_eq!(wheel.deadline(k), Some(30));
    /// wheel.reset(k, 45)?;
    /// assert_eq!(wheel.deadline(k), Some(45));
    /// wheel.cancel(k);
    /// assert_eq!(wheel.deadline(k), None);
    /// # Ok::<(), hrwheel_wheel::Error>(())
    /// ```
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
    /// every slot of the next. It is the smaller of the run's next firing
    /// tick and the smallest firing tick filed in the first non-empty slot
    /// since that slot was last empty, so it is exact unless that timer was
    /// since cancelled or pushed back by a lazy [`reset`](Self::reset); then
    /// it is earlier. For timers armed with a
    /// deadline already past, it is the smallest such deadline (`<= now()`).
    /// Advancing to it is always correct: nothing fires early; if nothing is
    /// due, the slot is redistributed and the next call answers a later tick.
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// assert_eq!(wheel.next_deadline(), None);
    /// wheel.insert(70_000, 'b');
    /// wheel.insert(300, 'a');
    /// // A tickless loop: sleep until the next deadline, expire, repeat.
    /// let mut order = vec![];
    /// while let Some(next) = wheel.next_deadline() {
    ///     wheel.expire(next, |e| order.push(e.value));
    /// }
    /// assert_eq!(order, ['a', 'b']);
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        if !self.due.is_empty() {
            return Some(self.due_min);
        }
        let run = self.run.last().map(|r| r.key);
        if self.nonempty == 0 {
            return run;
        }
        let level = self.nonempty.trailing_zeros() as usize;
        let slot = self.levels[level].occupied.trailing_zeros() as usize;
        let key = self.levels[level].min_key[slot];
        Some(run.map_or(key, |r| r.min(key)))
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
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// for (d, v) in [(9, 'c'), (3, 'a'), (3, 'b'), (12, 'd')] {
    ///     wheel.insert(d, v);
    /// }
    /// let mut fired = vec![];
    /// let n = wheel.expire(10, |e| fired.push((e.deadline, e.value)));
    /// assert_eq!(n, 3);
    /// assert_eq!(fired, [(3, 'a'), (3, 'b'), (9, 'c')]); // ties in arming order
    /// assert_eq!(wheel.now(), 10);
    /// ```
    pub fn expire(&mut self, to: u64, mut f: impl FnMut(Expired<T>)) -> usize {
        self.run(to, |w, idx| {
            let e = w.arena.remove(idx);
            f(Expired {
                key: TimerKey::new(idx, e.gen.get(), w.id),
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
            let key = TimerKey::new(idx, e.gen.get(), id);
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
        loop {
            let has_slot = self.nonempty != 0;
            let (level, slot, t) = if has_slot {
                let level = self.nonempty.trailing_zeros() as usize;
                let slot = self.levels[level].occupied.trailing_zeros() as usize;
                (level, slot, slot_start(self.now, level, slot))
            } else {
                (0, 0, u64::MAX)
            };
            // First the run's timers due before the next slot (or by `to`).
            let slot_due = has_slot && t <= to;
            let limit = if slot_due { t - 1 } else { to };
            if self.run.last().is_some_and(|r| r.key <= limit) {
                let n = self.run.len();
                if self.due.is_empty() && (n == 1 || self.run[n - 2].key > limit) {
                    // One timer comes due: deliver it without the due list.
                    self.now = limit;
                    let idx = self.run[n - 1].idx;
                    self.run.pop();
                    self.prefetch_run();
                    self.trim_run();
                    self.stats.expiries += 1;
                    f(self, idx);
                    fired += 1;
                } else if !(self.due.is_empty() && self.fire_run(limit, f, &mut fired)) {
                    self.now = limit;
                    self.pop_run(limit);
                    fired += self.fire_due(f);
                }
            }
            if !slot_due {
                break;
            }
            let bag = &self.levels[level].slots[slot];
            if bag.rest == 0 && bag.fill == 1 {
                // One timer (the usual slot of a sparse wheel): moved or
                // delivered here, unless something else is due.
                if let Some(one) = self.take_one(level, slot, t, to) {
                    if let Some(idx) = one {
                        self.stats.expiries += 1;
                        f(self, idx);
                        fired += 1;
                    }
                    continue;
                }
            } else if level == 0 {
                // A slot of level 0 whose timers all fire, nothing else
                // due: straight from its bag if it is in order.
                if let Some((head, len)) = self.take_in_order(slot, t) {
                    fired += self.fire_bag(head, len, f);
                    continue;
                }
            }
            if let Some(idx) = self.empty_slot(level, slot, t, to) {
                self.stats.expiries += 1;
                f(self, idx);
                fired += 1;
            }
            fired += self.fire_due(f);
        }
        self.now = to;
        fired
    }

    /// Delivers the run's timers whose firing tick is `<= limit` straight
    /// from the run, without the due list, if the run already holds them
    /// in `(deadline, seq)` order (the usual case: a slot's timers are
    /// read in filing order and sorted stably, so only a cancel's swap,
    /// a lazy re-arm or a slack window can break it). Returns false,
    /// having delivered nothing, if it does not; the caller then takes
    /// the due list's way, which sorts. The due list must be empty.
    ///
    /// Time is at `limit` for the last of them; before that, at the tick
    /// before the one being delivered, so that if `f` panics the timers
    /// still in the run are due after `now()`, as the run requires.
    #[inline(never)]
    fn fire_run(
        &mut self,
        limit: u64,
        f: &mut impl FnMut(&mut Self, u32),
        fired: &mut usize,
    ) -> bool {
        let mut prev = (0, 0);
        for r in self.run.iter().rev() {
            if r.key > limit {
                break;
            }
            if r.idx != NIL {
                let e = &self.arena[r.idx as usize];
                let order = (e.deadline, e.seq);
                if order < prev {
                    return false;
                }
                prev = order;
            }
        }
        while let Some(&r) = self.run.last() {
            if r.key > limit {
                break;
            }
            self.run.pop();
            self.prefetch_run();
            self.trim_run();
            if r.idx != NIL {
                self.now = if self.run.last().is_some_and(|n| n.key <= limit) {
                    r.key - 1
                } else {
                    limit
                };
                self.stats.expiries += 1;
                f(self, r.idx);
                *fired += 1;
            }
        }
        true
    }

    /// Takes `slot` of `level`, which starts at `t <= to`, out of the
    /// wheel (time moves to the tick `at` picked for it): its timers whose
    /// deadline has come go to the due list, or into the run if the slot
    /// is sorted, the others move on. Returns a lone timer to deliver at
    /// once (the due list is then empty and the run has nothing due).
    /// Out of line: it is the cold part of `expire`, whose hot path is a
    /// timer delivered from the run.
    #[inline(never)]
    fn empty_slot(&mut self, level: usize, slot: usize, t: u64, to: u64) -> Option<u32> {
        // Time may jump past the slot's start, to `at`: every other
        // pending timer is filed at or after the slot's end or is in
        // the run, so until then only this slot's timers and the run's
        // can come due (see "Where time jumps" in the crate docs).
        let count = self.levels[level].count(slot) as usize;
        let last = t + ((1u64 << (SLOT_BITS as usize * level)) - 1);
        let sort = level > 0 && count > 1 && count <= RUN_MAX && self.run.is_empty();
        // A sorted slot's timers are delivered from the run by `run`'s
        // loop, which moves time as they fire: time stays at the slot's
        // start, before every key of the run.
        let at = if sort {
            t
        } else {
            self.jump_to(level, slot, t, to)
        };
        self.now = at;
        self.stats.slots_visited += 1;
        // Empty the slot: timers whose deadline has come go to the due
        // list, the others move on. No user code runs meanwhile.
        let bag = self.take_slot(level, slot);
        if bag.len() == 1 && self.due.is_empty() && self.run.last().is_none_or(|r| r.key > at) {
            // One timer (see `take_one`, which handles it when nothing
            // else is due by the slot's last tick): deliver it or move it
            // without the due list.
            return self.take_lone(bag.head, t, at);
        }
        // Read the bag a chunk at a time, one chunk ahead: copy the next
        // chunk's indices out and free it (timers refiled below may
        // reuse it), ask for every entry it names and for the chunk
        // after it (see `prefetch.rs`), then handle the timers of the
        // current chunk, whose entries were asked for a chunk earlier.
        let (mut moved, mut max_moves) = (0, 0);
        let mut left = bag.len() as usize;
        // Two buffers, used in turn: a chunk's indices are copied once.
        let mut bufs = [[NIL; CHUNK]; 2];
        let mut k = 0;
        let (mut n, mut c) = self.read_chunk_into(bag.head, &mut left, &mut bufs[0]);
        loop {
            let cur = n;
            if c != NIL {
                (n, c) = self.read_chunk_into(c, &mut left, &mut bufs[k ^ 1]);
            } else {
                n = 0;
            }
            for &idx in &bufs[k][..cur] {
                let e = &mut self.arena[idx as usize];
                // Fires if its deadline came by the slot's start (a
                // slack timer whose window began) or its firing tick by
                // `at` (`t` for a sorted slot); for an exact timer both
                // say `deadline <= at`.
                let key = fire_key(e.deadline, e.slack);
                if e.deadline <= t || key <= at {
                    self.push_due(idx);
                } else if sort && key <= last {
                    // Into the run, sorted below.
                    e.level = RUN;
                    let pre = self.run.len() as u32;
                    e.next = pre;
                    self.run.push(RunItem { key, idx, pre });
                } else {
                    // Cascade (or re-file after a lazy re-arm): the new
                    // slot starts after `at`, so never back into this one.
                    // The move is counted here and in the stats below.
                    e.moves = e.moves.saturating_add(1);
                    max_moves = max_moves.max(e.moves);
                    moved += 1;
                    let (levels, chunks) = (&mut self.levels, &mut self.chunks);
                    file_entry(levels, chunks, &mut self.nonempty, self.now, e, idx, key);
                }
            }
            k ^= 1;
            if n == 0 {
                break;
            }
        }
        self.stats.cascade_moves += moved;
        let max = &mut self.stats.max_moves_per_timer;
        *max = (*max).max(u64::from(max_moves));
        if sort {
            self.sort_run(t, level);
        } else {
            self.pop_run(at);
        }
        None
    }

    /// [`empty_slot`](Self::empty_slot) for a slot that holds one timer
    /// (starting at `t <= to`), if nothing else is due by the tick `at`
    /// time moves to (as far as `to` allows, within the slot): delivers
    /// nothing, returning `Some(Some(idx))` if the timer fires, or moves
    /// it, returning `Some(None)`. Returns `None`, doing nothing, if the
    /// due list is not empty or the run has a timer due by `at`. Inlined
    /// into `run`'s loop: the call to `empty_slot`, whose frame is sized
    /// for a slot walk, cost a lone timer more than its own work (a
    /// separate function cost more than inlining, as did moving the
    /// whole slot visit out of the loop).
    #[inline(always)]
    fn take_one(&mut self, level: usize, slot: usize, t: u64, to: u64) -> Option<Option<u32>> {
        // `jump_to` for a slot of at most `DIRECT_MAX` timers.
        let at = to.min(t + ((1u64 << (SLOT_BITS as usize * level)) - 1));
        if !self.due.is_empty() || self.run.last().is_some_and(|r| r.key <= at) {
            return None;
        }
        self.now = at;
        self.stats.slots_visited += 1;
        let bag = self.take_slot(level, slot);
        Some(self.take_lone(bag.head, t, at))
    }

    /// Detaches `slot` of `level` (see [`Level::take`]), clearing the
    /// level's bit if it is now empty; returns its bag.
    #[inline(always)]
    fn take_slot(&mut self, level: usize, slot: usize) -> Bag {
        let (bag, level_empty) = self.levels[level].take(slot);
        if level_empty {
            self.nonempty &= !(1 << level);
        }
        bag
    }

    /// The lone timer of a bag just detached (its chunk `head`) from a
    /// slot that starts at `t`, time at `at`: frees the chunk and returns
    /// the timer if it fires, else moves it.
    #[inline(always)]
    fn take_lone(&mut self, head: u32, t: u64, at: u64) -> Option<u32> {
        let idx = self.chunks.chunks[head as usize].items[0];
        self.chunks.free(head);
        let e = &self.arena[idx as usize];
        let key = fire_key(e.deadline, e.slack);
        if e.deadline <= t || key <= at {
            return Some(idx);
        }
        self.refile(idx, key);
        None
    }

    /// Takes `slot` of level 0, which starts at `t <= to`, if it holds
    /// several timers, all due (none lazily re-armed past `t`), in
    /// `(deadline, seq)` order, and nothing else is due (the due list is
    /// empty and the run has none due): time moves to `t`; returns the
    /// bag's head chunk and length, for [`fire_bag`](Self::fire_bag).
    /// Otherwise leaves it for [`empty_slot`](Self::empty_slot) (which
    /// then finds the entries cached). Out of line, as `empty_slot`.
    #[inline(never)]
    fn take_in_order(&mut self, slot: usize, t: u64) -> Option<(u32, u32)> {
        let lv = &self.levels[0];
        if lv.count(slot) <= 1
            || lv.max_key[slot] > t
            || !self.due.is_empty()
            || self.run.last().is_some_and(|r| r.key <= t)
            || !self.bag_in_order(&lv.slots[slot])
        {
            return None;
        }
        self.now = t;
        self.stats.slots_visited += 1;
        let bag = self.take_slot(0, slot);
        Some((bag.head, bag.len()))
    }

    /// Whether the timers of `bag` are in
    /// `(deadline, seq)` order. Reads the bag a chunk ahead and asks for
    /// the entries each chunk names, as [`empty_slot`](Self::empty_slot)
    /// does; frees nothing.
    fn bag_in_order(&self, bag: &Bag) -> bool {
        let mut left = bag.len() as usize;
        let (mut items, mut n, mut c) = self.peek_chunk(bag.head, &mut left);
        let mut prev = (0, 0);
        loop {
            let cur = (items, n);
            if c != NIL {
                (items, n, c) = self.peek_chunk(c, &mut left);
            } else {
                n = 0;
            }
            for &idx in &cur.0[..cur.1] {
                let e = &self.arena[idx as usize];
                let order = (e.deadline, e.seq);
                if order < prev {
                    return false;
                }
                prev = order;
            }
            if n == 0 {
                return true;
            }
        }
    }

    /// Delivers the timers of the bag whose head chunk is `head` and which
    /// holds `len` timers (detached from its slot, all due, in
    /// order; the due list is empty and the run has none due) in bag
    /// order, freeing its chunks. If `f` panics, the timers not yet
    /// delivered go to the due list (see [`BagDelivery`]).
    #[inline(never)]
    fn fire_bag(&mut self, head: u32, len: u32, f: &mut impl FnMut(&mut Self, u32)) -> usize {
        let mut left = len as usize;
        let (items, n, c) = self.read_chunk(head, &mut left);
        let mut d = BagDelivery {
            w: self,
            items,
            i: 0,
            n,
            c,
            left,
        };
        let mut fired = 0;
        loop {
            while d.i < d.n {
                let idx = d.items[d.i];
                d.i += 1;
                d.w.stats.expiries += 1;
                f(d.w, idx);
                fired += 1;
            }
            if d.c == NIL {
                return fired;
            }
            (d.items, d.n, d.c) = d.w.read_chunk(d.c, &mut d.left);
            d.i = 0;
        }
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
        if lv.count(slot) <= DIRECT_MAX || min == max {
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
        match self.arena.get(key.index()) {
            Some(e) if e.gen.get() == key.gen() => Ok(key.index()),
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
    /// [`DUE_SCAN`] entries (the usual case: a slot's bag is read in
    /// filing order unless cancels moved timers into holes, and the run
    /// hands over its timers in tick order); otherwise it is appended and
    /// the list is flagged for sorting before delivery.
    #[inline(always)]
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
    #[inline(always)]
    fn fire_due(&mut self, f: &mut impl FnMut(&mut Self, u32)) -> usize {
        if self.due.is_empty() {
            return 0;
        }
        self.fire_due_list(f)
    }

    /// [`fire_due`](Self::fire_due) for a non-empty due list.
    #[inline(never)]
    fn fire_due_list(&mut self, f: &mut impl FnMut(&mut Self, u32)) -> usize {
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

    /// Sorts the run just filled from a slot of `level` that starts at `t`
    /// by key, descending, keeping timers of equal key in the order they
    /// were read (filing order, unless some were cancelled meanwhile: the
    /// due list then puts them in `seq` order), and records where each
    /// item went (`run_pos`). A stable LSD radix sort of the keys' offsets in the slot, 6
    /// bits a pass (12 for [`WIDE_MIN`] timers or more), skipping digits
    /// all timers share, the last pass writing descending order:
    /// `O(level × n)` on contiguous memory; an insertion sort for a few
    /// timers. Never inlined: the radix sort's counters (up to 32 KB)
    /// would otherwise enlarge, and stack-probe, the frame of every
    /// [`empty_slot`](Self::empty_slot) call, sorting or not.
    #[inline(never)]
    fn sort_run(&mut self, t: u64, level: usize) {
        let n = self.run.len();
        // Whether the run is sorted descending (the insertion sort, or
        // the radix sort's last pass, wrote it so) rather than ascending.
        let mut descending = true;
        if n <= INSERTION_MAX {
            // Straight into descending order, each item placed before
            // the ones of equal key read earlier: the order a stable sort
            // then a reversal would give, without the reversal.
            let run = &mut self.run[..];
            for i in 1..n {
                let r = run[i];
                let mut j = i;
                while j > 0 && run[j - 1].key <= r.key {
                    run[j] = run[j - 1];
                    j -= 1;
                }
                run[j] = r;
            }
        } else {
            let bits = SLOT_BITS as usize * level;
            let width = if n >= WIDE_MIN {
                WIDE_BITS
            } else {
                SLOT_BITS as usize
            };
            descending = if width == WIDE_BITS {
                self.radix_sort::<{ 1 << WIDE_BITS }>(t, bits, width)
            } else {
                self.radix_sort::<SLOTS>(t, bits, width)
            };
        }
        // Ties in the order read once the next to fire goes last.
        if !descending {
            self.run.reverse();
        }
        // Grown, never shrunk (only the first `n` places are read): no
        // clearing of the array before each sort.
        if self.run_pos.len() < n {
            self.run_pos.resize(n, 0);
        }
        for (i, r) in self.run.iter().enumerate() {
            self.run_pos[r.pre as usize] = i as u32;
        }
    }

    /// LSD radix sort of the run by the low `bits` bits of its keys'
    /// offsets from `t`, `width` bits a pass (`B = 2^width` counters),
    /// counting the digits of two passes in one read of the run. Returns
    /// whether the run ended descending (its last pass ran), else it is
    /// ascending. Never inlined: each `B` gets its own frame, so only a
    /// sort with 4096 counters a pass touches (and stack-probes) 32 KB.
    #[inline(never)]
    fn radix_sort<const B: usize>(&mut self, t: u64, bits: usize, width: usize) -> bool {
        let mut descending = false;
        let mut shift = 0;
        while shift < bits {
            let w0 = width.min(bits - shift);
            let next = shift + w0;
            if next < bits {
                let w1 = width.min(bits - next);
                let (d0, d1) = (Digit::<B>::new(t, shift, w0), Digit::<B>::new(t, next, w1));
                let (mut c0, mut c1) = ([0u32; B], [0u32; B]);
                for r in &self.run {
                    c0[d0.of(r)] += 1;
                    c1[d1.of(r)] += 1;
                }
                let last = next + w1 == bits;
                self.radix_pass(d0, c0, false);
                descending = self.radix_pass(d1, c1, last) && last;
                shift = next + w1;
            } else {
                let d = Digit::<B>::new(t, shift, w0);
                let mut c = [0u32; B];
                for r in &self.run {
                    c[d.of(r)] += 1;
                }
                descending = self.radix_pass(d, c, true);
                shift = next;
            }
        }
        descending
    }

    /// One stable counting-sort pass of the run by digit `d`, whose
    /// `counts` are given, through the scratch buffer; into descending
    /// order if `descending` (the last pass), which saves reversing the
    /// run after. Returns false, having done nothing, if all keys share
    /// the digit.
    fn radix_pass<const B: usize>(
        &mut self,
        d: Digit<B>,
        mut counts: [u32; B],
        descending: bool,
    ) -> bool {
        let n = self.run.len();
        if counts[d.of(&self.run[0])] as usize == n {
            return false;
        }
        // Each digit's first place, from the front (ascending) or, less
        // one, from the back (descending: places count down).
        let mut acc = 0;
        for c in counts[..=d.mask].iter_mut() {
            let k = *c;
            *c = if descending { (n as u32) - acc } else { acc };
            acc += k;
        }
        // Every place is written below; only the length matters.
        self.scratch.resize(
            n,
            RunItem {
                key: 0,
                idx: NIL,
                pre: 0,
            },
        );
        if descending {
            for r in &self.run {
                let c = &mut counts[d.of(r)];
                *c -= 1;
                self.scratch[*c as usize] = *r;
            }
        } else {
            for r in &self.run {
                let c = &mut counts[d.of(r)];
                self.scratch[*c as usize] = *r;
                *c += 1;
            }
        }
        std::mem::swap(&mut self.run, &mut self.scratch);
        true
    }

    /// Moves the run's timers whose firing tick is `<= at` to the due
    /// list, in order, and drops the tombstones this uncovers.
    #[inline]
    fn pop_run(&mut self, at: u64) {
        while let Some(r) = self.run.last() {
            if r.key > at {
                break;
            }
            let idx = r.idx;
            self.run.pop();
            self.prefetch_run();
            if idx != NIL {
                self.push_due(idx);
            }
        }
        self.trim_run();
    }

    /// Asks for the entry of the timer [`RUN_AHEAD`] places before the
    /// run's end, once per timer taken from the run: the run fires in
    /// tick order, which is random order in the arena, and its entries,
    /// read when it was sorted, may have left the cache since. Not while
    /// the run is short: a few hundred entries are still cached.
    #[inline(always)]
    fn prefetch_run(&self) {
        let n = self.run.len();
        if n > PREFETCH_RUN_MIN {
            self.arena.prefetch(self.run[n - 1 - RUN_AHEAD].idx);
        }
    }

    /// Pops cancelled timers off the end of the run, so that its last
    /// item is live.
    #[inline]
    fn trim_run(&mut self) {
        while self.run.last().is_some_and(|r| r.idx == NIL) {
            self.run.pop();
        }
    }

    /// Copies the indices of chunk `c` of a bag being emptied (`left` of
    /// its timers not yet read) into `items`, frees the chunk (timers
    /// refiled meanwhile may reuse it), and prefetches the entries it
    /// names and the next chunk. Returns how many indices are valid and
    /// the next chunk. A slot walk reads into two buffers in turn, so that
    /// a chunk's indices are copied once (returned by value, they were
    /// copied two or three times more, through the stack).
    #[inline(always)]
    fn read_chunk_into(
        &mut self,
        c: u32,
        left: &mut usize,
        items: &mut [u32; CHUNK],
    ) -> (usize, u32) {
        let n = (*left).min(CHUNK);
        *left -= n;
        let chunk = &self.chunks.chunks[c as usize];
        *items = chunk.items;
        let next = chunk.next;
        self.chunks.free(c);
        if next != NIL {
            self.chunks.prefetch(next);
        }
        for &idx in &items[..n] {
            self.arena.prefetch(idx);
        }
        (n, next)
    }

    /// [`read_chunk_into`](Self::read_chunk_into), returning the indices,
    /// how many are valid, and the next chunk (for the delivery of a bag,
    /// whose guard holds them; a copy of the code, not a call of it: the
    /// call made delivery cost 1-2 % more instructions).
    #[inline(always)]
    fn read_chunk(&mut self, c: u32, left: &mut usize) -> ([u32; CHUNK], usize, u32) {
        let n = (*left).min(CHUNK);
        *left -= n;
        let chunk = &self.chunks.chunks[c as usize];
        let (items, next) = (chunk.items, chunk.next);
        self.chunks.free(c);
        if next != NIL {
            self.chunks.prefetch(next);
        }
        for &idx in &items[..n] {
            self.arena.prefetch(idx);
        }
        (items, n, next)
    }

    /// [`read_chunk`](Self::read_chunk) without freeing the chunk.
    #[inline(always)]
    fn peek_chunk(&self, c: u32, left: &mut usize) -> ([u32; CHUNK], usize, u32) {
        let n = (*left).min(CHUNK);
        *left -= n;
        let chunk = &self.chunks.chunks[c as usize];
        let (items, next) = (chunk.items, chunk.next);
        if next != NIL {
            self.chunks.prefetch(next);
        }
        for &idx in &items[..n] {
            self.arena.prefetch(idx);
        }
        (items, n, next)
    }

    /// Moves a timer taken from the slot being emptied to the slot for
    /// `key > now`, counting the move.
    #[inline(always)]
    fn refile(&mut self, idx: u32, key: u64) {
        let e = &mut self.arena[idx as usize];
        e.moves = e.moves.saturating_add(1);
        let moves = u64::from(e.moves);
        self.stats.cascade_moves += 1;
        self.stats.max_moves_per_timer = self.stats.max_moves_per_timer.max(moves);
        self.file(idx, key);
    }

    /// Files an unlinked entry in the slot for `key > now` (see `level.rs`).
    /// Forced inline: left to itself LLVM outlines it, which made W2
    /// insert+cancel ~15 % slower.
    #[inline(always)]
    fn file(&mut self, idx: u32, key: u64) {
        let e = &mut self.arena[idx as usize];
        file_entry(
            &mut self.levels,
            &mut self.chunks,
            &mut self.nonempty,
            self.now,
            e,
            idx,
            key,
        );
    }

    /// Unlinks an armed entry from its slot, the due list or the run.
    #[inline]
    fn unlink(&mut self, idx: u32) {
        let e = &self.arena[idx as usize];
        let level = e.level as usize;
        if level < LEVELS {
            let (slot, chunk, off) = (e.slot as usize & (SLOTS - 1), e.next, e.pos);
            self.unlink_slot(level, slot, chunk, off);
        } else {
            self.unlink_list(idx);
        }
    }

    /// Removes the timer at `chunk`/`off` of `slot` of `level` from it.
    #[inline(always)]
    fn unlink_slot(&mut self, level: usize, slot: usize, chunk: u32, off: u8) {
        let (chunks, arena, nonempty) = (&mut self.chunks, &mut self.arena, &mut self.nonempty);
        self.levels[level].unlink(chunks, arena, nonempty, level, slot, chunk, off);
    }

    /// Unlinks a timer from the due list or the run.
    #[inline(never)]
    fn unlink_list(&mut self, idx: u32) {
        let e = &self.arena[idx as usize];
        if e.level == DUE {
            self.due.unlink(&mut self.arena, idx);
            if self.due.is_empty() {
                self.due_min = u64::MAX;
                self.due_unsorted = false;
            }
        } else {
            debug_assert_eq!(e.level, RUN);
            let pos = self.run_pos[e.next as usize] as usize;
            self.run[pos].idx = NIL;
            self.trim_run();
        }
    }
}

/// Files `idx` in the slot for `key > now` (see `level.rs`), marking its
/// level non-empty if it was empty; returns the level, slot, chunk and
/// offset (the entry's `level`, `slot`, `next` and `pos`).
#[inline(always)]
fn place(
    levels: &mut [Level; LEVELS],
    chunks: &mut Chunks,
    nonempty: &mut u32,
    now: u64,
    idx: u32,
    key: u64,
) -> (u8, u8, u32, u8) {
    let level = level_for(now, key);
    let slot = slot_for(key, level);
    let (chunk, off) = levels[level].insert(chunks, nonempty, level, slot, idx, key);
    (level as u8, slot as u8, chunk, off)
}

/// [`Wheel::file`] given the entry `e` of `idx` (which the caller has
/// already looked up): files it in the slot for `key > now` (see
/// [`place`]) and records the place in it.
#[inline(always)]
fn file_entry<T>(
    levels: &mut [Level; LEVELS],
    chunks: &mut Chunks,
    nonempty: &mut u32,
    now: u64,
    e: &mut Entry<T>,
    idx: u32,
    key: u64,
) {
    (e.level, e.slot, e.next, e.pos) = place(levels, chunks, nonempty, now, idx, key);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slot of up to `RUN_MAX` timers is sorted into the run (no timer
    /// moves), a larger one is cascaded (see "Sorted runs" in the crate
    /// docs); either way they fire in deadline order. Not built under
    /// miri: 65,537 timers take minutes there, and the bound only picks
    /// the cheaper of two paths that the model tests run under miri too.
    #[cfg(not(miri))]
    #[test]
    fn a_slot_of_up_to_run_max_timers_is_sorted_a_larger_one_cascaded() {
        for (n, sorted) in [(RUN_MAX, true), (RUN_MAX + 1, false)] {
            let mut w = Wheel::with_capacity(n);
            // One slot of level 2 from now = 0: ticks [4096, 8192).
            for i in 0..n as u64 {
                w.insert(4096 + (i * 2_654_435_761) % 4096, i);
            }
            let (mut fired, mut last) = (0, 0);
            w.expire(8191, |e| {
                assert!(e.deadline >= last, "n = {n}: out of order");
                last = e.deadline;
                fired += 1;
            });
            assert_eq!(fired, n);
            let moves = w.stats().cascade_moves;
            assert_eq!(moves == 0, sorted, "n = {n}: {moves} moves");
        }
    }

    /// Runs of at least `WIDE_MIN` timers are sorted 12 bits a pass:
    /// one pass for a slot of level 2, 12 + 6 bits for level 3, with ties
    /// and digits all timers share; they fire in `(deadline, seq)` order.
    #[test]
    fn wide_radix_passes_sort_large_runs_stably() {
        for (base, span) in [(1u64 << 12, 1u64 << 12), (1 << 18, 1 << 18), (1 << 18, 64)] {
            let mut w = Wheel::new();
            let mut want = Vec::new();
            let mut x = 12345u64;
            for i in 0..3000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let d = base + 1 + (x >> 33) % (span - 1);
                w.insert(d, i);
                want.push((d, i));
            }
            want.sort();
            let mut got = Vec::new();
            w.expire(base, |_| unreachable!());
            assert_eq!(w.run.len(), 3000, "one slot, sorted into the run");
            w.check_invariants().unwrap();
            while let Some(t) = w.next_deadline() {
                w.expire(t, |e| got.push((e.deadline, e.value)));
            }
            assert_eq!(got, want);
        }
    }

    /// A level-0 slot whose timers are all due and in order is delivered
    /// straight from its bag (`fire_bag`): if the callback panics, the
    /// timers not yet delivered go to the due list and the next `expire`
    /// delivers them in order; a bag out of order takes the due list.
    #[test]
    fn a_slot_due_in_order_is_delivered_from_its_bag_and_a_panic_keeps_the_rest() {
        // 40 timers on one tick (three chunks): filed in level 0, due in
        // order, delivered straight from the bag.
        let mut w = Wheel::new();
        for i in 0..40u32 {
            w.insert(9, i);
        }
        let mut n = 0;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.expire(9, |e| {
                assert_eq!(e.value, n);
                n += 1;
                if n == 20 {
                    panic!("boom");
                }
            });
        }));
        assert!(r.is_err());
        w.check_invariants().unwrap();
        assert_eq!((w.len(), w.chunks.used), (20, 0));
        let mut fired = Vec::new();
        w.expire(9, |e| fired.push(e.value));
        assert_eq!(fired, (20..40).collect::<Vec<_>>());
        // Out of order (a cancel moved the last timer into a hole): the
        // due list sorts them.
        let k: Vec<_> = (0..5u32).map(|i| w.insert(20, i)).collect();
        w.cancel(k[1]);
        let mut fired = Vec::new();
        w.expire(20, |e| fired.push(e.value));
        assert_eq!(fired, [0, 2, 3, 4]);
        w.check_invariants().unwrap();
        assert_eq!(w.stats().expiries, 44);
    }

    /// Timers delivered straight from the run (`fire_run`): if the
    /// callback panics on the first of several due at one tick, the
    /// others stay in the run, due after `now()`, and the next `expire`
    /// delivers them in order.
    #[test]
    fn a_panic_while_firing_from_the_run_leaves_the_rest_pending() {
        let mut w = Wheel::new();
        for (i, d) in [4101u64, 4101, 4101, 4109].into_iter().enumerate() {
            w.insert(d, i);
        }
        w.expire(4100, |_| unreachable!());
        assert_eq!(w.run.len(), 4, "one level-2 slot, sorted into the run");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.expire(4101, |e| panic!("boom {}", e.value));
        }));
        assert!(r.is_err());
        w.check_invariants().unwrap();
        assert_eq!(w.len(), 3);
        let mut fired = Vec::new();
        w.expire(5000, |e| fired.push((e.deadline, e.value)));
        assert_eq!(fired, [(4101, 1), (4101, 2), (4109, 3)]);
        w.check_invariants().unwrap();
    }

    /// A slot's emptied tail chunk stays as a spare while the slot holds
    /// other timers: arming and cancelling at a chunk boundary takes no
    /// chunk; the spare is freed when the chunk before it is needed, or
    /// when the slot is emptied, and the slot still fires in order.
    #[test]
    fn a_spare_tail_chunk_is_reused_then_freed() {
        let mut w = Wheel::new();
        let n = 2 * CHUNK as u64;
        let keys: Vec<TimerKey> = (0..n).map(|i| w.insert(100 + i, i)).collect();
        let used = w.chunks.used;
        for _ in 0..3 {
            let k = w.insert(120, 99);
            assert_eq!(w.chunks.used, used + 1);
            assert_eq!(w.cancel(k), Some(99));
            assert_eq!(w.chunks.used, used + 1, "spare kept");
            w.check_invariants().unwrap();
        }
        assert_eq!(w.cancel(keys[3]), Some(3));
        assert_eq!(w.chunks.used, used, "spare freed");
        w.check_invariants().unwrap();
        let k = w.insert(120, 99);
        assert_eq!(w.cancel(k), Some(99));
        assert_eq!(w.cancel(keys[n as usize - 1]), Some(n - 1));
        w.check_invariants().unwrap();
        let mut fired = Vec::new();
        w.expire(1000, |e| fired.push(e.value));
        let want: Vec<u64> = (0..n - 1).filter(|&i| i != 3).collect();
        assert_eq!(fired, want);
        assert_eq!(w.chunks.used, 0);
        w.check_invariants().unwrap();
    }

    /// Issue 9: a key kept while its slot was reused 2^32 times matched the
    /// new timer again. Start the slot's generation near `u32::MAX` (the
    /// loop would otherwise take a minute) and reuse it past the wrap.
    #[test]
    fn a_stale_key_never_matches_after_its_slot_is_reused_2_pow_32_times() {
        let mut w = Wheel::new();
        let first = w.insert(10, 0u32);
        assert_eq!(w.cancel(first), Some(0));
        w.arena.set_vacant_gen(first.index(), u32::MAX - 3);
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
        let gens: Vec<(u32, u32)> = keys.iter().map(|k| (k.index(), k.gen())).collect();
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
