//! One timer's slab entry: its value, timing, ordering stamp and list links.

/// `prev`/`next` value meaning "no entry".
pub(crate) const NIL: u32 = u32::MAX;

/// `Entry::level` value of a timer waiting in the due list (deadline ≤ now
/// when it was armed).
pub(crate) const DUE: u8 = u8::MAX;

/// A pending timer. Lives in the wheel's `Slab`, linked into exactly one list:
/// a slot of some level, or the due list.
pub(crate) struct Entry<T> {
    pub(crate) value: T,
    /// The deadline the caller asked for: never fired before it.
    pub(crate) deadline: u64,
    /// Allowed lateness: may fire anywhere in `[deadline, deadline + slack]`.
    pub(crate) slack: u64,
    /// Arming order (insert or reset), for ties between equal deadlines.
    /// Every list is kept sorted by it (the due list by `(deadline, seq)`).
    pub(crate) seq: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Slab-slot generation this timer was inserted with (its key's).
    pub(crate) gen: u32,
    /// Level of the slot it is filed in, or [`DUE`].
    pub(crate) level: u8,
    /// Slot within `level` (unused for [`DUE`]).
    pub(crate) slot: u8,
    /// Moves since it was last armed (saturating).
    pub(crate) moves: u8,
}
