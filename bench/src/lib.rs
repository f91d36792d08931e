//! Reference workloads, baselines and the comparative report for hrwheel.
//!
//! hrwheel's claim is that timeouts (mostly cancelled, coarse) belong in a
//! cascading timing wheel and precise timers (mostly expire, often
//! periodic) in an ordered tree, as in Linux since ktimers. This crate
//! measures that claim against what a Rust user would use instead, on the
//! reference workloads of `shared/WORKLOADS.md`:
//!
//! | module | job |
//! |---|---|
//! | [`queue`] | the [`TimerQueue`] trait every structure is driven through |
//! | [`check`] | digests and the early/late check; tie order is explained there |
//! | [`baselines`] | `BinaryHeap` (lazy cancel), `BTreeMap`, tokio `DelayQueue` |
//! | [`adapters`] | hrwheel's `Wheel` and `HiresQueue` behind the trait |
//! | [`workloads`] | W1–W5 and the ktimers crossover sweep |
//! | [`imps`] | the list of implementations and a visitor over them |
//! | [`scale`] | workload sizes per mode and `HRWHEEL_BENCH_SCALE` |
//! | [`report`] | timing, tables and SVG charts for `hrwheel-report` |
//!
//! Every workload returns a [`Digest`]; implementations must agree on it,
//! so a fast wrong answer cannot win.

pub mod adapters;
pub mod baselines;
pub mod check;
pub mod imps;
pub mod queue;
pub mod report;
pub mod scale;
pub mod workloads;

pub use check::{cross_check, CheckError, Digest};
pub use imps::{Imp, Visitor};
pub use queue::TimerQueue;
