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
//!   ├── bases[Monotonic]: RBTree keyed (latest, seq) + cached leftmost
//!   ├── bases[Realtime]:  RBTree keyed (latest, seq) + cached leftmost
//!   │                     compared against now + offset (clock_was_set)
//!   └── arena: 256-node chunks that never move + free list
//! ```
//!
//! * `node` — the 72-byte node header (intrusive link, key, schedule);
//! * `arena` — stable node storage, free list, generations;
//! * `base` — [`ClockBase`], per-clock tree with cached leftmost, offsets;
//! * `periodic` — drift-free re-arm and overrun count (`hrtimer_forward`);
//! * `fired` — [`Fired`], the callback's view with stop / re-arm / period;
//! * `queue` — [`HiresQueue`] operations, range-timer batching rules;
//! * `handle`, `error` — [`Handle`] (index, generation, queue id), [`Error`].
//!
//! Ties fire in insertion order (a reset is a new insertion). After the
//! arena has grown to the peak number of live timers, no operation
//! allocates (tested with a counting global allocator).

mod arena;
mod base;
mod error;
mod fired;
mod handle;
mod node;
mod periodic;
mod queue;

pub use base::ClockBase;
pub use error::Error;
pub use fired::Fired;
pub use handle::Handle;
pub use queue::HiresQueue;
