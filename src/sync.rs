//! The synchronisation primitives of shared pools, swapped for loom's
//! model-checked ones when built with `--cfg loom` (see `tests/loom.rs`).

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// (Public but unnameable: it appears in the sealed `Sharing` machinery.)
/// A mutex whose `lock` cannot fail: a panic while it is held (in the
/// pool's own code, which does not panic on any input) leaves the data as
/// it was at the panic, which the pool's state machine tolerates.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub struct Mutex<T>(parking_lot::Mutex<T>);

#[cfg(not(loom))]
impl<T> Mutex<T> {
    pub(crate) fn new(v: T) -> Self {
        Mutex(parking_lot::Mutex::new(v))
    }

    #[inline]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }

    /// The lock if it is free now (issue 10: the spinning driver).
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<parking_lot::MutexGuard<'_, T>> {
        self.0.try_lock()
    }
}

#[cfg(loom)]
#[derive(Debug)]
pub struct Mutex<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Mutex<T> {
    pub(crate) fn new(v: T) -> Self {
        Mutex(loom::sync::Mutex::new(v))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub(crate) fn try_lock(&self) -> Option<loom::sync::MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

/// Lets another thread run while `stop_sync` waits for a callback.
#[cfg(not(loom))]
#[inline]
pub(crate) fn yield_now() {
    std::thread::yield_now();
}

/// Lets another thread run while `stop_sync` waits for a callback.
#[cfg(loom)]
pub(crate) fn yield_now() {
    loom::thread::yield_now();
}
