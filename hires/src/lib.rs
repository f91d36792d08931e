//! High-resolution timer queue: nanosecond timers ordered by a red-black
//! tree, with periodic timers, range (slack) timers and two clock bases.
//!
//! # Why a tree here and a wheel for timeouts
//!
//! The ktimers work (Gleixner & Niehaus, 2005, which became Linux
//! `hrtimers`) split kernel timers by how they are *used*:
//!
//! * **Timeouts** (network, disk, watchdogs) are armed in bulk and almost
//!   always cancelled or re-armed before they expire — on a busy server far
//!   more than 90 % never fire. What matters is O(1) insert and O(1) cancel;
//!   precision does not (a TCP retransmit 1 ms late is fine). A cascading
//!   timing wheel gives exactly that, and the cost it defers — cascading a
//!   timer down the levels as its deadline approaches — is mostly never paid,
//!   because the timer is cancelled first. That is `hrwheel-wheel`.
//! * **Timers** (nanosleep, itimers, POSIX timers, periodic control loops,
//!   packet pacing) mostly *do* expire, often periodically, and need
//!   nanosecond precision. In a wheel every one of them pays the whole
//!   cascade (O(levels) moves per expiry, with bursts when an outer slot
//!   empties into an inner level), and precision is the granularity of the
//!   slot it sits in: at 1 ns resolution a wheel needs either absurdly many
//!   slots or coarse outer levels that are re-sorted again and again.
//!   A balanced tree costs O(log n) per insert — about 14 comparisons for
//!   10,000 timers — orders timers exactly, and with the leftmost node
//!   cached the next expiry is O(1), which is what the expiry path and a
//!   tickless driver need.
//!
//! So: a wheel for timeouts (cancel-heavy, coarse), a tree for timers
//! (expiry-heavy, precise). This crate is the tree.
//!
//! # Structure
//!
//! ```text
//!   HiresQueue
//!   ├── bases[Monotonic]: red-black tree keyed by latest deadline (ties
//!   │                     FIFO): root + cached leftmost
//!   ├── bases[Realtime]:  the same, compared against now + offset
//!   │                     (clock_was_set changes only the offset)
//!   └── arena: hot 32-byte tree nodes (key, links as 32-bit node ids) in
//!              one Vec, cold slots (schedule, value) in another, one free
//!              list
//! ```
//!
//! * `node` — the hot node (deadline, children, parent, generation, colour)
//!   and the cold slot (earliest, period, seq, state, value);
//! * `rbtree` — the red-black tree: descent, rebalancing, leftmost removal
//!   (the textbook CLRS algorithms over 32-bit node ids);
//! * `arena` — node and slot storage, free list, generations;
//! * `base` — [`ClockBase`], per-clock tree with cached leftmost, offsets;
//! * `periodic` — drift-free re-arm and overrun count (`hrtimer_forward`);
//! * `expired` — [`Expired`], the callback's view with stop / re-arm / period;
//! * `queue` — [`HiresQueue`] operations, costs, range-timer rules;
//!   `queue/expire` — `expire` and the merge of the two bases;
//! * `key`, `error` — [`TimerKey`] (index, generation, queue id), [`Error`].
//!
//! # Performance (W4: 10,000 periodic timers, periods 10 µs – 10 ms)
//!
//! Every expiry is an unlink of the leftmost node (O(1) amortised) and a
//! re-insert (O(log n), ~14 levels). The re-insert's descent is a chain of
//! dependent loads, one per level, and sets the pace; what the design does
//! about it:
//!
//! * nodes are split hot/cold, and the hot node is 32 bytes aligned to 32
//!   (never across two cache lines; 320 KB for 10,000 timers, with room
//!   in L2 for the cold slots in use);
//! * links are 32-bit node ids into one `Vec`, scaled by the address
//!   arithmetic itself, so a level is: load key and both children (one
//!   line), compare, conditional move, next load: no branch to mispredict,
//!   no second load waiting for the comparison, no shift;
//! * the leftmost node is removed by a specialised erase whose rebalancing
//!   walks the left spine with the direction fixed;
//! * whether the next timer is due is decided from its hot node (an
//!   `exact` flag: earliest == latest), and its cold slot is prefetched as
//!   soon as it becomes the leftmost, so the slot's likely cache miss
//!   overlaps the re-insert instead of stalling the next expiry.
//!
//! A `BinaryHeap` has the same dependent chain in its pop, but a
//! predictable loop exit and no rebalancing; neither it nor a `BTreeMap`
//! cancels in place with stable handles, which the tree does in O(log n).
//! The figures are in the W4 criterion bench and the report
//! (`docs/report/` in the repository), not here.
//!
//! Ties fire in insertion order (a reset is a new insertion). After the
//! arena has grown to the peak number of live timers, no operation
//! allocates (tested with a counting global allocator).

mod arena;
mod base;
mod error;
mod expired;
mod key;
mod node;
mod periodic;
mod queue;
mod rbtree;

pub use arena::MAX_TIMERS;
pub use base::ClockBase;
pub use error::Error;
pub use expired::Expired;
pub use key::TimerKey;
pub use queue::HiresQueue;
