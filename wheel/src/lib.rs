//! A hierarchical cascading timing wheel with lazy cascading, lazy re-arm and
//! per-timer slack, for coarse timeouts that are mostly cancelled or reset
//! before they fire.
//!
//! Time is a `u64` tick count; the wheel has a current tick, [`Wheel::now`].
//! A timer never fires before its deadline: it fires on the first
//! [`Wheel::expire`] whose target is `>=` its deadline. A timer armed with a
//! deadline `<= now()` is not an error: it fires on the next `expire` (with
//! any target), before the timers that are due later.
//!
//! # Storage
//!
//! Timers live in an arena (a `Vec` of 48-byte entries with a free list and
//! a generation per slot, see `arena.rs`). An armed timer is in exactly one
//! of three places: a slot of some level, the *run* (below), or the *due
//! list* of timers whose deadline has come (armed with a past deadline, or
//! taken from the slot being processed) and that await delivery, a
//! doubly-linked list threaded through the entries by `u32` index.
//!
//! A slot holds its timers' arena indices in a *bag* (see `bag.rs`): a
//! chain of chunks, each one 64-byte cache line of 14 indices and two
//! links, drawn from one pool shared by all slots, every chunk full but the
//! last. The entry records its chunk and offset, so removing a timer is
//! O(1): the bag's last index fills the hole (one other entry is told its
//! new place). Emptying a slot reads its indices a line at a time and,
//! while it handles one chunk's timers, prefetches the next chunk and both
//! cache lines of every entry that chunk names (a 48-byte entry may
//! straddle two): the scattered entries a slot must touch are known in
//! advance and fetched in parallel, where a slot list threaded through the
//! entries would make each miss wait for the previous one. Chunks in use
//! are bounded by `pending / 14 + non-empty slots`, and non-empty slots by
//! `min(pending, 704)`; [`Wheel::with_capacity`] reserves that, so
//! `insert`, `cancel` and `reset` are O(1) and allocate nothing once the
//! arena and the pool have grown; `expire` never allocates then either.
//!
//! An arena of at least 4 MiB (about 87,000 timers of a `u64`) asks Linux
//! for transparent huge pages (see `huge.rs`): its entries are touched at
//! random, and with 4 KiB pages nearly every such touch missed the TLB as
//! well as the cache (W3 at 250,000 timers about 15 % faster with them).
//!
//! # Levels
//!
//! There are [`LEVELS`] = 11 levels of [`SLOTS`] = 64 slots. A slot of level
//! `L` covers `64^L` ticks and a level spans `64^(L+1)` ticks; 11 levels of 6
//! bits cover all 64 bits of a deadline, so any deadline up to `u64::MAX` is
//! held without an overflow list and time never wraps. At 1 ms per tick:
//!
//! | level | slot granularity | level span          |
//! |------:|------------------|---------------------|
//! | 0     | 1 ms             | 64 ms               |
//! | 1     | 64 ms            | 4.096 s             |
//! | 2     | 4.096 s          | 262 s (4.4 min)     |
//! | 3     | 4.4 min          | 4.66 h              |
//! | 4     | 4.66 h           | 12.4 days           |
//! | 5     | 12.4 days        | 2.18 years          |
//! | 6     | 2.18 years       | 139 years           |
//! | 7     | 139 years        | 8,900 years         |
//! | 8     | 8,900 years      | 571,000 years       |
//! | 9     | 571,000 years    | 36.5 million years  |
//! | 10    | 36.5 million y.  | 585 million years (16 slots used, `2^64` ticks) |
//!
//! A timer is filed relative to `now` at the level of the highest bit in
//! which its firing tick and `now` differ, in the slot given by that level's
//! 6 bits of the firing tick (see `level.rs`). Each level has a `u64` bitmap
//! of non-empty slots and the wheel a bitmap of non-empty levels. Every slot
//! start of level `L` comes before every slot start of level `L + 1`, so the
//! next slot to visit is found with two `trailing_zeros`: the lowest set bit
//! of the lowest non-empty level. [`Wheel::next_deadline`] answers from that
//! in O(1) without walking a list: each slot also keeps the smallest firing
//! tick filed in it since it was last empty, which is exact unless that timer
//! was cancelled or lazily re-armed, and never later than any timer's.
//!
//! # Lazy cascading
//!
//! `expire(to)` repeatedly takes the next non-empty slot (after the run's
//! timers due before it, see "Sorted runs"); if it starts after `to` it
//! stops, otherwise time jumps to the slot's start (or further, see below)
//! and the slot is detached whole and emptied: each timer whose deadline
//! has come fires, every other one is *moved* (re-filed relative to the new
//! `now`, which puts it in a finer level) or, if the slot is small enough,
//! sorted into the run. A slot of level `>= 1` is thus redistributed only
//! when time reaches it, empty stretches cost nothing, and a timer
//! cancelled before its slot is reached is never moved. A timer moves at most once per level it
//! descends: at most `LEVELS - 1` moves, and one more after a lazy re-arm;
//! [`Stats`] counts them.
//!
//! # Where time jumps
//!
//! When `expire(to)` takes a slot that starts at `t`, every other pending
//! timer is filed in a slot that starts at or after this slot's end or
//! waits in the run (the due list is empty then). So until then only this
//! slot's timers and the run's can come due (the run's are moved to the
//! due list as time passes their ticks), and time may jump past `t`, up to `min(to, slot end - 1)`, before
//! the slot is emptied: a timer whose firing tick is reached by then fires
//! from this slot directly instead of cascading first, and every other one
//! is filed relative to the later tick, which never puts it at a coarser
//! level than `t` would. A lone timer in a coarse slot, or a burst on one
//! tick, reached by an `expire` up to its deadline (the usual way of
//! driving the wheel: `expire(next_deadline())`) thus fires without ever
//! moving.
//!
//! The timers that fire directly are delivered in `(deadline, seq)` order
//! like any others, which may take a sort of the due list. A slot keeps its
//! timer count and the largest key filed in it, and time jumps that far
//! only when that sort is cheap: the slot holds at most 64 timers, or all
//! its timers share one firing tick (walk order is then filing order).
//! Otherwise it stops just short of the slot's earliest firing tick, so
//! nothing fires directly and the timers are still filed as close to their
//! ticks as `to` allows.
//!
//! # Sorted runs
//!
//! Cascading a slot moves each timer one level down, and every move writes
//! the timer's scattered entry; a timer armed far ahead and then expired
//! moves once per level it descends. When `expire` reaches a slot of level
//! `>= 1` that holds at most `RUN_MAX` = 32,768 timers, and no run is
//! pending, it does not cascade it: it copies the slot's `(firing tick,
//! index)` pairs into one contiguous buffer, the *run*, sorts them there
//! (a stable radix sort of their offsets in the slot, 6 bits a pass, or 12
//! for a run of 1024 timers or more, digits shared by all skipped;
//! insertion sort for up to 32) and
//! then fires from the run's end as time reaches each tick: time stays at
//! the slot's start when it is sorted, and `expire`'s loop, which delivers
//! the run's due timers straight from it, moves time as they fire (pushing
//! the first ones through the due list cost a small slot more than its
//! sort). A timer thus moves at most
//! until it lands in a slot of at most 32,768 timers, then never again. The
//! run holds only keys inside its slot's span, so any slot the wheel files
//! meanwhile either lies inside that span (finer, filed after the run was
//! made) or starts after it; `expire` takes the run's next tick or the
//! next slot, whichever comes first, and both feed the due list at a tie.
//! The timers the run hands over at one `expire` are delivered straight
//! from it when it already holds them in `(deadline, seq)` order (the
//! usual case; otherwise they go through the due list, which sorts), and
//! each one taken asks for the entry of the timer a few places behind it,
//! which has usually left the cache since the sort.
//! A timer cancelled or re-armed while in the run leaves a tombstone
//! (found through the place its entry noted), popped when reached, so the run never
//! grows after it is sorted; `reset` of a timer in the run relinks it.
//! Why this bound: sorting a slot touches each timer's scattered entry
//! twice (its key read when the slot is read, which also notes its place
//! in the run, and again when it fires), where cascading it touches each
//! entry once per level it still descends, then the same twice at the
//! level where it is sorted, in a smaller slot whose entries are still in
//! a near cache when they fire. So sorting a slot at once saves a level's
//! touch per timer but makes the firing touch a farther one, and the larger
//! the slot, the farther: at 32,768 timers the entries and the run's
//! buffers (48 + 36 bytes a timer) make about 2.7 MB, which the last-level
//! cache holds; slots of 60,000 timers (W3's coarsest ones at 250,000
//! timers) were no faster sorted at once
//! than cascaded into 64 smaller ones, each sorted in turn. A smaller bound
//! (it was 4,096) made clustered timers (100,000 deadlines in one window
//! of 2^16 or 2^20 ticks, armed far ahead) cascade a second time. The
//! run's buffers (16 bytes a timer, twice: the run and the radix scratch,
//! and 4 for the sorted places) are reserved by [`Wheel::with_capacity`]
//! up to `RUN_MAX` timers, 1.2 MB at most, next to at least 1.5 MB of
//! arena.
//!
//! # Ordering
//!
//! Exact timers fire in `(deadline, arming order)` order, where a `reset`
//! counts as a new arming (each arming takes a sequence number). The slots'
//! bags are in no particular order: all exact timers due at tick `t` are in
//! the one slot processed at `t` or in the run (sorted by tick, ties in the
//! order the slot was read), from which they first move to the *due list*,
//! which is then delivered. An entry joins the due list at its
//! `(deadline, seq)` place if that is among the last 16 entries (a bag is
//! read in filing order unless a cancel moved its last timer into a hole,
//! so this is the usual case);
//! otherwise it is appended and the list is flagged, and sorted before
//! delivery (an in-place merge sort of the timers firing at that tick, no
//! allocation). Every insert, cancel, reset and move is thus O(1): an
//! append, an unlink, or a due-list insert after at most 16 steps.
//!
//! The due list is skipped in two usual cases: the run hands over its
//! due timers straight from its end when they are already in order (see
//! "Sorted runs"), and a slot whose timers all fire (its largest key is
//! reached: the usual slot of level 0) while nothing else is due is
//! delivered straight from its bag when the bag is in `(deadline, seq)`
//! order. That takes two passes over the bag, one reading each entry to
//! check the order (asking for the entries a chunk ahead, as any slot
//! walk), one delivering, while the due list wrote every entry's links
//! and then followed them one entry at a time: a slot of a few thousand
//! timers on one tick (a dense cluster cascaded into level 0) thus costs
//! a third less. If the callback panics, the bag's timers not yet
//! delivered go to the due list.
//!
//! # Lazy re-arm
//!
//! `reset` to a firing tick no earlier than the start of the timer's current
//! slot only rewrites the stored deadline and sequence number, touching no
//! other entry: when the slot is reached, the timer's deadline has not
//! come, so it is re-filed instead of fired. A TCP retransmit timer reset on
//! every packet thus costs one relink per slot period, not one per packet.
//! Meanwhile [`Wheel::next_deadline`] may be earlier than the true earliest
//! deadline (never later), and advancing to it fires nothing early.
//!
//! # Slack
//!
//! [`Wheel::insert_with_slack`] arms a timer that may fire anywhere in
//! `[deadline, deadline + slack]`. The wheel files it by the earliest tick of
//! that window that is a multiple of the coarsest possible granularity
//! `64^j`. Its cascade stops at level `j`: the level-`j` slot holding that
//! tick starts exactly at it, inside the window, so the timer fires from
//! that coarse slot instead of cascading further down (the Linux 2016
//! trade-off, chosen per timer). The general rule when a slot is reached at
//! tick `t` and time jumps to `at >= t`: a timer whose deadline is `<= t`,
//! or whose firing tick is `<= at`, fires; any other one moves.
//! A window of 64 ticks or more always holds a multiple of 64, so such a
//! timer never cascades into level 0. Slack 0 (the default) is exact.

mod arena;
mod bag;
mod check;
mod entry;
mod huge;
mod key;
mod level;
mod list;
mod prefetch;
mod stats;
mod wheel;

pub use key::{Error, TimerKey};
pub use level::{LEVELS, SLOTS, SLOT_BITS};
pub use stats::Stats;
pub use wheel::{Expired, TimerMut, Wheel};
