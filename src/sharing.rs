//! Shared versus private pools: one implementation, two locking strategies.
//!
//! [`TimerPool<S>`](crate::TimerPool) is generic over a [`Sharing`] marker:
//!
//! | `S`        | alias                                     | shards          | shard state behind | words       | `Sync` |
//! |------------|-------------------------------------------|-----------------|--------------------|-------------|--------|
//! | [`Shared`] | [`TimerPool`](crate::TimerPool)           | one per core (by default) | a mutex each | `AtomicU64` | yes |
//! | [`Local`]  | [`LocalTimerPool`](crate::LocalTimerPool) | one             | `RefCell`          | `Cell<u64>` | no     |
//!
//! The ODP `shared` flag thus becomes a type: a private pool cannot be used
//! from two threads at once because the compiler refuses to share it, so it
//! needs no lock and no atomic at all, and both kinds have the same methods.
//! The `RefCell` borrow is never contended (no user code runs while the
//! pool's state is borrowed), it only costs a flag check.

use std::cell::{Cell, RefCell};

use crate::sync::{AtomicU64, Mutex, Ordering};

pub(crate) mod sealed {
    /// The machinery behind [`Sharing`](super::Sharing), out of the public
    /// API: a 64-bit word read without the shard's lock, and the lock.
    pub trait Sealed: Sized + 'static {
        /// An `AtomicU64` in a shared pool, a `Cell<u64>` in a private one.
        type Word: Word;
        /// A mutex in a shared pool, a `RefCell` in a private one.
        type Lock<T>;
        fn new_lock<T>(value: T) -> Self::Lock<T>;
        fn with<T, R>(lock: &Self::Lock<T>, f: impl FnOnce(&mut T) -> R) -> R;
        /// `with` if the lock is free now, `None` otherwise (issue 10).
        fn try_with<T, R>(lock: &Self::Lock<T>, f: impl FnOnce(&mut T) -> R) -> Option<R>;
    }

    /// A word read and written without the shard lock.
    pub trait Word {
        fn new(v: u64) -> Self;
        fn load(&self) -> u64;
        fn store(&self, v: u64);
        /// Stores `max(current, v)` and returns that maximum.
        fn fetch_max(&self, v: u64) -> u64;
        /// Adds 1 unless that would exceed `limit`; returns the new value.
        fn try_increment(&self, limit: u64) -> Option<u64>;
        /// Subtracts 1.
        fn decrement(&self);
    }
}

pub(crate) use sealed::Word;

impl Word for AtomicU64 {
    #[inline]
    fn new(v: u64) -> Self {
        AtomicU64::new(v)
    }
    #[inline]
    fn load(&self) -> u64 {
        AtomicU64::load(self, Ordering::Acquire)
    }
    #[inline]
    fn store(&self, v: u64) {
        AtomicU64::store(self, v, Ordering::Release)
    }
    #[inline]
    fn fetch_max(&self, v: u64) -> u64 {
        let cur = AtomicU64::load(self, Ordering::Relaxed);
        if v <= cur {
            return cur;
        }
        AtomicU64::fetch_max(self, v, Ordering::Relaxed).max(v)
    }
    fn try_increment(&self, limit: u64) -> Option<u64> {
        self.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .ok()
        .map(|n| n + 1)
    }
    fn decrement(&self) {
        self.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Word for Cell<u64> {
    #[inline]
    fn new(v: u64) -> Self {
        Cell::new(v)
    }
    #[inline]
    fn load(&self) -> u64 {
        self.get()
    }
    #[inline]
    fn store(&self, v: u64) {
        self.set(v)
    }
    #[inline]
    fn fetch_max(&self, v: u64) -> u64 {
        let m = self.get().max(v);
        self.set(m);
        m
    }
    fn try_increment(&self, limit: u64) -> Option<u64> {
        let n = self.get();
        (n < limit).then(|| {
            self.set(n + 1);
            n + 1
        })
    }
    fn decrement(&self) {
        self.set(self.get().saturating_sub(1));
    }
}

/// Marker for how a pool is shared: [`Shared`] or [`Local`].
pub trait Sharing: sealed::Sealed {
    /// Whether the pool may be used from several threads at once.
    const SHARED: bool;
}

/// A pool usable from any number of threads (`Send + Sync`): its timers are
/// spread over shards, each behind its own mutex.
#[derive(Debug, Clone, Copy)]
pub enum Shared {}

/// A pool for one thread at a time (`Send`, not `Sync`): one shard, no
/// locks, no atomics.
#[derive(Debug, Clone, Copy)]
pub enum Local {}

impl sealed::Sealed for Shared {
    type Word = AtomicU64;
    type Lock<T> = Mutex<T>;
    #[inline]
    fn new_lock<T>(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
    #[inline]
    fn with<T, R>(lock: &Mutex<T>, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut lock.lock())
    }
    #[inline]
    fn try_with<T, R>(lock: &Mutex<T>, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        lock.try_lock().map(|mut g| f(&mut g))
    }
}
impl Sharing for Shared {
    const SHARED: bool = true;
}

impl sealed::Sealed for Local {
    type Word = Cell<u64>;
    type Lock<T> = RefCell<T>;
    #[inline]
    fn new_lock<T>(value: T) -> RefCell<T> {
        RefCell::new(value)
    }
    #[inline]
    fn with<T, R>(lock: &RefCell<T>, f: impl FnOnce(&mut T) -> R) -> R {
        // Never already borrowed: the pool runs no foreign code while it
        // holds the borrow and is `!Sync`.
        f(&mut lock.borrow_mut())
    }
    #[inline]
    fn try_with<T, R>(lock: &RefCell<T>, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        lock.try_borrow_mut().ok().map(|mut g| f(&mut g))
    }
}
impl Sharing for Local {
    const SHARED: bool = false;
}
