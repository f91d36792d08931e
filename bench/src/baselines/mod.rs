//! The three baselines of WORKLOADS.md: what a user would reach for instead
//! of hrwheel.
//!
//! - [`LazyHeap`]: `BinaryHeap` with lazy cancellation, the usual
//!   hand-rolled choice;
//! - [`TreeQueue`]: `BTreeMap<(deadline, seq), id>` with exact removal, as
//!   async-io does;
//! - [`DelayQueueAdapter`]: `tokio_util::time::DelayQueue` on a paused
//!   current-thread tokio runtime.

mod btree;
mod delay_queue;
mod heap;

pub use btree::TreeQueue;
pub use delay_queue::DelayQueueAdapter;
pub use heap::{HeapKey, LazyHeap};
