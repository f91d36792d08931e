//! One timer's arena entry: its value, timing, ordering stamp and list links.

use std::num::NonZeroU32;

/// `prev`/`next` value meaning "no entry".
pub(crate) const NIL: u32 = u32::MAX;

/// `Entry::level` value of a timer waiting in the due list (deadline ≤ now
/// when it was armed).
pub(crate) const DUE: u8 = u8::MAX;

/// `Entry::level` value of a timer waiting in the wheel's *run* (a slot's
/// timers sorted by firing tick, see `Wheel::run`); `next` is where it was
/// pushed there before the sort (`Wheel::run_pos` maps that to its place).
pub(crate) const RUN: u8 = u8::MAX - 2;

/// `Entry::level` value of an *idle* timer: allocated (its key is valid) but
/// not armed, linked into no list (see [`Wheel::insert_idle`](crate::Wheel::insert_idle)).
pub(crate) const IDLE: u8 = u8::MAX - 1;

/// A timer. Lives in the wheel's arena; an armed timer is filed in exactly
/// one slot of some level or linked into the due list, an idle one in
/// neither.
///
/// `repr(C)`, the fields a key check and a `reset` touch first: those 32
/// bytes (`deadline` .. `pos`) lie in one cache line for three entries in
/// four (entries are 48 bytes for a `u64` value, so one in two straddles
/// two lines), where the compiler's own order put them across a line
/// boundary in one entry in two.
#[repr(C)]
pub(crate) struct Entry<T> {
    /// The deadline the caller asked for: never fired before it.
    pub(crate) deadline: u64,
    /// Allowed lateness: may fire anywhere in `[deadline, deadline + slack]`.
    pub(crate) slack: u64,
    /// Arming order (insert or reset), for ties between equal deadlines:
    /// the timers firing at one tick are delivered sorted by
    /// `(deadline, seq)`.
    pub(crate) seq: u64,
    /// Arena-slot generation this timer was inserted with (its key's).
    /// Non-zero, which gives the arena's slot enum a niche for its tag.
    pub(crate) gen: NonZeroU32,
    /// Level of the slot it is filed in, [`DUE`], [`RUN`] or [`IDLE`].
    pub(crate) level: u8,
    /// Slot within `level` (unused for [`DUE`]).
    pub(crate) slot: u8,
    /// Moves since it was last armed (saturating).
    pub(crate) moves: u8,
    /// While filed in a slot, the offset of its index in chunk `next`.
    pub(crate) pos: u8,
    /// Due-list link (unused while filed in a slot).
    pub(crate) prev: u32,
    /// Due-list link; while filed in a slot, the chunk of the slot's bag
    /// holding its index (see `bag.rs`); while in the run, where it was
    /// pushed there (see [`RUN`]).
    pub(crate) next: u32,
    pub(crate) value: T,
}

#[cfg(test)]
mod tests {
    use super::Entry;
    use std::mem::size_of;

    #[test]
    fn entry_is_small_and_has_a_niche() {
        // value + deadline + slack + seq + 3 links/gen + 4 bytes.
        assert_eq!(size_of::<Entry<u64>>(), 48);
        // The arena's slot enum reuses the niche of `gen` for its tag.
        assert_eq!(size_of::<crate::arena::Slot<u64>>(), 48);
    }
}
