//! The reference workloads W1–W5 of WORKLOADS.md, and the extra
//! expiry-heavy [`shapes`], generic over [`TimerQueue`](crate::TimerQueue).
//!
//! Each workload is split into an untimed `setup` (fill the structure) and
//! a timed `run` returning a [`Digest`](crate::Digest): expiry count, the
//! operation count used as the ns/op denominator, and a multiset
//! hash of every `(deadline, id)` that fired (see [`crate::check`] for tie
//! order). Setups and runs use fixed seeds (`SmallRng::seed_from_u64`), so
//! every implementation sees the same operations and must produce the same
//! digest.

pub mod crossover;
pub mod facade;
pub mod m1;
pub mod m2;
pub mod shapes;
pub mod w1;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w5;

/// The fixed seed of every workload.
pub const SEED: u64 = 0x5EED_0F4B_1EE1;

/// A bookkeeping failure of the threaded workloads (M1, M2).
pub(crate) fn fail(imp: &'static str, what: impl Into<String>) -> crate::CheckError {
    crate::CheckError::Bookkeeping {
        imp,
        what: what.into(),
    }
}

/// Joins scoped worker threads in order; a thread that panicked is a
/// failure of `imp` saying `panicked`.
pub(crate) fn join_all<T>(
    hs: Vec<std::thread::ScopedJoinHandle<'_, Result<T, crate::CheckError>>>,
    imp: &'static str,
    panicked: &'static str,
) -> Vec<Result<T, crate::CheckError>> {
    hs.into_iter()
        .map(|h| h.join().unwrap_or_else(|_| Err(fail(imp, panicked))))
        .collect()
}
