//! The [`TimerKey`] handle.
//!
//! A timer is named by `(pool id, shard, engine key)`, `Copy`. The pool id
//! is unique per pool created in the process, so a key of another pool is
//! recognised ([`Error::ForeignKey`](crate::Error::ForeignKey)); the engine
//! key carries the generation of the timer's entry in its shard's engine,
//! which changes when the timer is freed, so a key kept after `free` is
//! recognised too ([`Error::StaleKey`](crate::Error::StaleKey)), also once
//! the entry serves another timer. A bad key is refused before anything is
//! touched: it can never reach another timer's state. The engine key is the
//! only check: the key leads straight to the timer's one entry.
//!
//! The engine key is the engine's index and generation without the
//! engine's own id (the pool id and the shard already say which engine):
//! a key is 16 bytes, which matters to an application that keeps one per
//! connection and touches them at random.

use crate::engine::EngineKey;

/// A handle to a timer allocated from a [`TimerPool`](crate::TimerPool).
///
/// ```
/// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutQueue};
/// let pool = LocalTimerPool::new_local("k", PoolParams::default().clock(ClockSource::mock().0))?;
/// let q = TimeoutQueue::new(1)?;
/// let a = pool.alloc(&q, 0)?;
/// let b = pool.alloc(&q, 0)?;
/// assert_ne!(a, b);
/// assert_eq!(a.shard(), 0); // a private pool has one shard
/// # Ok::<(), hrwheel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) pool: u32,
    pub(crate) shard: u32,
    pub(crate) key: EngineKey,
}

impl TimerKey {
    /// The shard the timer belongs to (`0..`[`TimerPool::shards`](crate::TimerPool::shards)):
    /// its expiry runs on that shard's expiry pass.
    ///
    /// ```
    /// use hrwheel::{PoolParams, TimeoutQueue, TimerPool};
    /// let pool = TimerPool::new("s", PoolParams::default().shards(2))?;
    /// let q = TimeoutQueue::new(1)?;
    /// let t = pool.alloc_on(1, &q, 0)?;
    /// assert_eq!(t.shard(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn shard(self) -> usize {
        self.shard as usize
    }

    /// The timer's index within its shard: dense while the timer is
    /// allocated, reused after `free`; e.g. to index a per-timer table of the
    /// application together with [`shard`](Self::shard).
    ///
    /// ```
    /// use hrwheel::{LocalTimerPool, PoolParams, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("i", PoolParams::default())?;
    /// let q = TimeoutQueue::new(1)?;
    /// let (a, b) = (pool.alloc(&q, 0)?, pool.alloc(&q, 0)?);
    /// assert_ne!(a.index(), b.index());
    /// pool.free(a)?;
    /// let c = pool.alloc(&q, 0)?;
    /// assert_eq!(c.index(), a.index()); // the index is reused...
    /// assert_ne!(c, a); // ...the key is not
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn index(self) -> u32 {
        self.key.index()
    }
}

#[cfg(test)]
mod tests {
    use super::TimerKey;

    /// 16 bytes: pool id, shard and the engine's index and generation. An
    /// application keeps one per timer (W1's driver indexes 400,000 of them
    /// at random): half the memory of the 32 bytes a key took while it
    /// carried the engine's own key.
    #[test]
    fn a_key_is_16_bytes() {
        assert_eq!(std::mem::size_of::<TimerKey>(), 16);
        assert_eq!(std::mem::size_of::<Option<TimerKey>>(), 24);
    }
}
