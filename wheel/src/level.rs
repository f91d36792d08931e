//! One level of the wheel (64 slots, each a [`Bag`] of timers, and their
//! occupancy bitmap), and the arithmetic that maps a firing key to a level, a slot, and a slot's start.
//!
//! # Placement
//!
//! A pending timer with firing key `k > now` is filed at the level of the
//! highest bit in which `k` and `now` differ, `level = (63 - lzcnt(k ^ now)) / 6`,
//! in slot `(k >> 6·level) & 63`. So level `L` holds the keys that share all
//! bits above `6·(L+1)` with `now` but differ in bits `6·L .. 6·L+6`; since
//! `k > now`, the slot index is strictly greater than `now`'s own index at
//! that level. The slot's *start* is `now` with bits below `6·(L+1)` cleared,
//! plus `slot << 6·L`: the first tick at which the slot's range begins.
//!
//! # Bitmap search
//!
//! Each level keeps a `u64` with bit `s` set iff slot `s` is non-empty. All
//! slot starts of level `L` lie in `now`'s current `64^(L+1)`-tick block,
//! after `now`'s `64^L` block, so they all come before every slot start of
//! level `L+1`. The next slot to process is therefore the lowest set bit
//! (`trailing_zeros`) of the lowest non-empty level, which the wheel finds
//! from a further per-level summary bitmap: two `tzcnt`s, no list walking.

use crate::arena::Arena;
use crate::bag::{Bag, Chunks, CHUNK};

/// log2 of the number of slots per level.
pub const SLOT_BITS: u32 = 6;
/// Slots per level.
pub const SLOTS: usize = 1 << SLOT_BITS;
/// Number of levels: `ceil(64 / 6) = 11`, enough for any `u64` deadline
/// (level 10 uses only its first 16 slots).
pub const LEVELS: usize = 11;

/// The level at which a key `k > now` is filed.
#[inline]
pub(crate) fn level_for(now: u64, key: u64) -> usize {
    debug_assert!(key > now);
    // `| 1` changes nothing (`key != now`) but tells the compiler the
    // result is below `LEVELS`, which drops the bounds check of
    // `levels[level]`.
    let high_bit = 63 - ((key ^ now) | 1).leading_zeros();
    (high_bit / SLOT_BITS) as usize
}

/// The slot of `key` at `level`.
#[inline]
pub(crate) fn slot_for(key: u64, level: usize) -> usize {
    ((key >> (SLOT_BITS as usize * level)) & (SLOTS as u64 - 1)) as usize
}

/// The first tick of `slot` at `level`, relative to `now`.
#[inline]
pub(crate) fn slot_start(now: u64, level: usize, slot: usize) -> u64 {
    let shift = SLOT_BITS as usize * (level + 1);
    let prefix = if shift >= 64 {
        0
    } else {
        (now >> shift) << shift
    };
    prefix | ((slot as u64) << (SLOT_BITS as usize * level))
}

/// The tick at which the wheel aims to fire a timer with window
/// `[deadline, deadline + slack]` (saturating): the earliest tick of the
/// window that is a multiple of the coarsest granularity `64^j` that has a
/// multiple inside the window. With `slack == 0` this is the deadline. A timer
/// filed by this key stops cascading at level `j`: that level's slot starts at
/// the key itself, which lies inside the window, so it fires from there.
#[inline]
pub(crate) fn fire_key(deadline: u64, slack: u64) -> u64 {
    if slack == 0 || deadline == 0 {
        return deadline;
    }
    let latest = deadline.saturating_add(slack);
    if latest == deadline {
        return deadline;
    }
    // The number in [deadline, latest] with the most trailing zeros has
    // exactly `high_bit` of them, where `high_bit` is the highest bit in
    // which `deadline - 1` and `latest` differ.
    let high_bit = 63 - ((deadline - 1) ^ latest).leading_zeros();
    let shift = (high_bit / SLOT_BITS) * SLOT_BITS;
    if shift == 0 {
        return deadline;
    }
    // Smallest multiple of 64^j that is >= deadline; <= latest by the above,
    // so it cannot overflow.
    (((deadline - 1) >> shift) + 1) << shift
}

/// One level: 64 slots, each a [`Bag`] of timers (in no particular order),
/// a bitmap of the non-empty slots, and for each slot bounds of its timers'
/// firing ticks.
pub(crate) struct Level {
    pub(crate) occupied: u64,
    pub(crate) slots: [Bag; SLOTS],
    /// Smallest firing key filed in each slot since it was last empty
    /// (`u64::MAX` when empty). Cancels and lazy re-arms leave it as it is,
    /// so it is a lower bound of the keys in the slot, exact unless the
    /// earliest timer was cancelled or pushed back.
    pub(crate) min_key: [u64; SLOTS],
    /// Largest firing key filed in each slot since it was last empty, or
    /// pushed to by a lazy re-arm (0 when empty): an upper bound of the
    /// keys in the slot.
    pub(crate) max_key: [u64; SLOTS],
}

impl Level {
    pub(crate) const EMPTY: Level = Level {
        occupied: 0,
        slots: [Bag::EMPTY; SLOTS],
        min_key: [u64::MAX; SLOTS],
        max_key: [0; SLOTS],
    };

    /// Timers in `slot`.
    #[inline]
    pub(crate) fn count(&self, slot: usize) -> u32 {
        self.slots[slot].len()
    }

    /// Files `idx`, whose firing key is `key`, in `slot`, and returns the
    /// chunk and offset it went to (the caller stores them in the entry).
    /// If the slot was empty, marks it occupied, and this level (`level`
    /// of the wheel) in `nonempty` if it was empty too.
    #[inline(always)]
    pub(crate) fn insert(
        &mut self,
        chunks: &mut Chunks,
        nonempty: &mut u32,
        level: usize,
        slot: usize,
        idx: u32,
        key: u64,
    ) -> (u32, u8) {
        if self.slots[slot].fill == CHUNK as u32 {
            self.grow(chunks, nonempty, level, slot);
        }
        let (chunk, off) = self.slots[slot].push(chunks, idx);
        self.note_key(slot, key);
        (chunk, off)
    }

    /// Starts a chunk in `slot` (its tail is full or it is empty); if it
    /// was empty, marks it occupied, and this level (`level` of the
    /// wheel) in `nonempty` if it was empty too.
    #[inline]
    fn grow(&mut self, chunks: &mut Chunks, nonempty: &mut u32, level: usize, slot: usize) {
        if self.slots[slot].grow(chunks) {
            if self.occupied == 0 {
                *nonempty |= 1 << level;
            }
            self.occupied |= 1 << slot;
        }
    }

    /// Widens `slot`'s key bounds to include `key` (insert, lazy re-arm).
    #[inline]
    pub(crate) fn note_key(&mut self, slot: usize, key: u64) {
        // Branches, not `min`/`max`: once a slot holds a few timers its
        // bounds seldom move, and an untaken branch costs no store.
        if key < self.min_key[slot] {
            self.min_key[slot] = key;
        }
        if key > self.max_key[slot] {
            self.max_key[slot] = key;
        }
    }

    /// Removes the timer at `chunk`/`off` of `slot`. If the slot is now
    /// empty, marks it so, and this level (`level` of the wheel) in
    /// `nonempty` if it is empty too.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn unlink<T>(
        &mut self,
        chunks: &mut Chunks,
        arena: &mut Arena<T>,
        nonempty: &mut u32,
        level: usize,
        slot: usize,
        chunk: u32,
        off: u8,
    ) {
        if self.slots[slot].remove(chunks, arena, chunk, off) {
            self.occupied &= !(1 << slot);
            self.min_key[slot] = u64::MAX;
            self.max_key[slot] = 0;
            if self.occupied == 0 {
                *nonempty &= !(1 << level);
            }
        }
    }

    /// Detaches `slot`'s bag and marks the slot empty. The caller reads the
    /// bag's chunks, frees them, and must refile every timer in it. Returns
    /// the bag and true if the level is now empty.
    #[inline]
    pub(crate) fn take(&mut self, slot: usize) -> (Bag, bool) {
        let bag = std::mem::replace(&mut self.slots[slot], Bag::EMPTY);
        self.occupied &= !(1 << slot);
        self.min_key[slot] = u64::MAX;
        self.max_key[slot] = 0;
        (bag, self.occupied == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_and_slot_at_boundaries() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, u64::MAX), 10);
        assert_eq!(level_for(u64::MAX - 1, u64::MAX), 0);
        assert_eq!(slot_for(u64::MAX, 10), 15);
        assert_eq!(slot_for(4096 + 64 * 3 + 5, 1), 3);
        assert_eq!(slot_start(100, 0, 37), 64 + 37);
        assert_eq!(slot_start(100, 1, 5), 5 * 64);
        assert_eq!(slot_start(5000, 2, 2), 8192);
        assert_eq!(slot_start(7, 10, 15), 15 << 60);
    }

    #[test]
    fn fire_key_picks_the_coarsest_aligned_tick_in_the_window() {
        assert_eq!(fire_key(100, 0), 100);
        assert_eq!(fire_key(100, 27), 100); // [100,127]: no multiple of 64
        assert_eq!(fire_key(100, 28), 128);
        assert_eq!(fire_key(100, 64), 128);
        assert_eq!(fire_key(70, 100), 128);
        assert_eq!(fire_key(1, 4095), 4096);
        assert_eq!(fire_key(1, 4094), 64);
        assert_eq!(fire_key(4096, 10_000), 4096);
        assert_eq!(fire_key(4097, u64::MAX), 1 << 60);
        assert_eq!(fire_key(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(fire_key((1 << 60) + 1, u64::MAX), 2 << 60);
        assert_eq!(fire_key(u64::MAX - 70, 200), u64::MAX - 63);
        assert_eq!(fire_key(u64::MAX - 10, 200), u64::MAX - 10); // no aligned tick left
        for &(d, s) in &[
            (1u64, 1u64),
            (63, 1),
            (64, 1),
            (999, 5000),
            (u64::MAX - 70, 200),
        ] {
            let k = fire_key(d, s);
            assert!(k >= d && k <= d.saturating_add(s), "{d} {s} {k}");
        }
    }
}
