//! Reference workloads, baselines and the comparative report for hrwheel.
//!
//! hrwheel's claim is that timeouts (mostly cancelled, coarse) belong in a
//! cascading timing wheel and precise timers (mostly expire, often
//! periodic) in an ordered tree, as in Linux since ktimers. This crate
//! measures that claim against what a Rust user would use instead, on the
//! reference workloads of `docs/WORKLOADS.md` (in the repository):
//!
//! | module | job |
//! |---|---|
//! | [`queue`] | the [`TimerQueue`] trait every structure is driven through |
//! | [`check`] | digests and the early/late check; tie order is explained there |
//! | [`baselines`] | `BinaryHeap` (lazy cancel), `BTreeMap`, tokio `DelayQueue`, `bitwheel`, `nexus-timer` |
//! | [`adapters`] | hrwheel's `Wheel`, `HiresQueue` and the facade's wheel pool behind the trait |
//! | [`workloads`] | W1–W5, the expiry-heavy shapes S1–S7, the ktimers crossover sweep, F (W1–W4 through the pool API), M1 and M2 (threads on the real clock) |
//! | [`imps`] | the list of implementations and a visitor over them |
//! | [`scale`] | workload sizes per mode and `HRWHEEL_BENCH_SCALE` |
//! | [`report`] | timing, tables and SVG charts for `hrwheel-report` |
//!
//! Every workload returns a [`Digest`]; implementations must agree on it,
//! so a fast wrong answer cannot win.
//!
//! # Running
//! - `cargo run --release --bin hrwheel-report` (about 1–2 minutes on 2
//!   cores; `--quick` about 10× smaller, `--full` the WORKLOADS.md sizes):
//!   every workload on every implementation in one process, ranked by
//!   thread CPU time, cross-checked; writes `target/report/report.md` and
//!   SVG charts (`$CARGO_TARGET_DIR/report` if that is set).
//! - `cargo bench --bench w1_churn` (and `w1_facade`, `w2_insert_cancel`,
//!   `w3_expire_all`, `w4_periodic`; this crate's `benches/`, runnable from
//!   the workspace root): the criterion versions, wall time,
//!   WORKLOADS.md sizes times `HRWHEEL_BENCH_SCALE` (default 1);
//!   `cargo bench --bench f_pool`: F, the bare engines beside a private and
//!   a shared pool.
//! - `cargo test -p hrwheel-bench`: every workload at a tiny size on every
//!   implementation, digests compared (`tests/cross_check.rs`).

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
