//! The baselines of WORKLOADS.md: what a user would reach for instead of
//! hrwheel.
//!
//! - [`LazyHeap`]: `BinaryHeap` with lazy cancellation, the usual
//!   hand-rolled choice;
//! - [`TreeQueue`]: `BTreeMap<(deadline, seq), id>` with exact removal, as
//!   async-io does;
//! - [`DelayQueueAdapter`]: `tokio_util::time::DelayQueue` on a paused
//!   current-thread tokio runtime;
//! - [`BitWheelAdapter`] and [`NexusAdapter`]: `bitwheel` and
//!   `nexus-timer`, the fastest published Rust timing wheels, each
//!   configured at its best (see their modules for the configuration and
//!   how each can fire early).

mod bitwheel;
mod btree;
mod delay_queue;
mod heap;
mod nexus;

pub use bitwheel::{BitWheelAdapter, BwKey};
pub use btree::TreeQueue;
pub use delay_queue::DelayQueueAdapter;
pub use heap::{HeapKey, LazyHeap};
pub use nexus::{NexusAdapter, NexusKey};
