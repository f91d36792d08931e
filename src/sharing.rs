//! Shared versus private pools: one implementation, two locking strategies.
//!
//! [`TimerPool<S>`](crate::TimerPool) is generic over a [`Sharing`] marker:
//!
//! | `S`        | alias                                  | state behind   | words      | `Send` | `Sync` |
//! |------------|----------------------------------------|----------------|------------|--------|--------|
//! | [`Shared`] | [`TimerPool`](crate::TimerPool)        | `parking_lot::Mutex` | `AtomicU64` | yes | yes |
//! | [`Local`]  | [`LocalTimerPool`](crate::LocalTimerPool) | `RefCell`   | `Cell<u64>` | yes   | no     |
//!
//! The ODP `shared` flag thus becomes a type: a private pool cannot be used
//! from two threads at once because the compiler refuses to share it, so it
//! needs no lock at all, and both kinds have exactly the same methods. The
//! `RefCell` borrow is never contended (no user code runs while the pool's
//! state is borrowed), it only costs a flag check.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

mod sealed {
    pub trait Sealed {}
}

/// A 64-bit word read without the pool's lock: an `AtomicU64` in a shared
/// pool, a `Cell<u64>` in a private one.
#[doc(hidden)]
pub trait Word: sealed::Sealed {
    fn new(v: u64) -> Self;
    fn load(&self) -> u64;
    fn store(&self, v: u64);
    /// Stores `max(current, v)` and returns that maximum.
    fn fetch_max(&self, v: u64) -> u64;
}

impl sealed::Sealed for AtomicU64 {}
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
        // Plain load first: the common case (time moved forward a little)
        // still needs the RMW, but a reader that lags skips it.
        let cur = AtomicU64::load(self, Ordering::Relaxed);
        if v <= cur {
            return cur;
        }
        AtomicU64::fetch_max(self, v, Ordering::Relaxed).max(v)
    }
}

impl sealed::Sealed for Cell<u64> {}
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
}

/// Marker for how a pool is shared: [`Shared`] or [`Local`].
pub trait Sharing: sealed::Sealed + Sized + 'static {
    /// Whether the pool may be used from several threads at once.
    const SHARED: bool;
    #[doc(hidden)]
    type Word: Word;
    #[doc(hidden)]
    type Lock<T>;
    #[doc(hidden)]
    fn new_lock<T>(value: T) -> Self::Lock<T>;
    #[doc(hidden)]
    fn with<T, R>(lock: &Self::Lock<T>, f: impl FnOnce(&mut T) -> R) -> R;
}

/// A pool usable from any number of threads (`Send + Sync`), guarded by a
/// mutex.
#[derive(Debug, Clone, Copy)]
pub enum Shared {}

/// A pool for one thread at a time (`Send`, not `Sync`): no locks.
#[derive(Debug, Clone, Copy)]
pub enum Local {}

impl sealed::Sealed for Shared {}
impl Sharing for Shared {
    const SHARED: bool = true;
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
}

impl sealed::Sealed for Local {}
impl Sharing for Local {
    const SHARED: bool = false;
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
}
