//! The [`TimerKey`] handle.
//!
//! A timer is named by `(pool id, shard, engine key)`, `Copy`. The pool id
//! is unique per pool created in the process (never reused, see
//! [`MAX_POOLS`](crate::MAX_POOLS)), so a key of another pool is
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
//! connection and touches them at random. The pool id and the shard share
//! one word: [`MAX_SHARDS`](crate::MAX_SHARDS) = 2^10 shards take its low
//! [`SHARD_BITS`] bits, which leaves 54 bits of pool id, enough never to
//! reuse one.

use core::fmt;

use crate::engine::EngineKey;

/// The low bits of a key's `place` that hold the shard.
pub(crate) const SHARD_BITS: u32 = 10;
const SHARD_MASK: u64 = (1 << SHARD_BITS) - 1;
const _: () = assert!(crate::MAX_SHARDS as u64 == 1 << SHARD_BITS);

/// A key's `place`: `pool` in the high bits, `shard` (below
/// [`MAX_SHARDS`](crate::MAX_SHARDS)) in the low [`SHARD_BITS`].
#[inline]
pub(crate) fn place(pool: u64, shard: usize) -> u64 {
    debug_assert!(pool <= crate::MAX_POOLS && (shard as u64) <= SHARD_MASK);
    pool << SHARD_BITS | shard as u64
}

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
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey {
    /// [`place`]`(pool id, shard)`.
    pub(crate) place: u64,
    pub(crate) key: EngineKey,
}

impl TimerKey {
    /// The id of the pool the key belongs to.
    #[inline]
    pub(crate) fn pool(self) -> u64 {
        self.place >> SHARD_BITS
    }

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
        (self.place & SHARD_MASK) as usize
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

impl fmt::Debug for TimerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerKey")
            .field("pool", &self.pool())
            .field("shard", &self.shard())
            .field("key", &self.key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 bytes: pool id, shard and the engine's index and generation. An
    /// application keeps one per timer (W1's driver indexes 400,000 of them
    /// at random): half the memory of the 32 bytes a key took while it
    /// carried the engine's own key.
    #[test]
    fn a_key_is_16_bytes() {
        assert_eq!(std::mem::size_of::<TimerKey>(), 16);
        assert_eq!(std::mem::size_of::<Option<TimerKey>>(), 24);
    }

    #[test]
    fn pool_id_and_shard_share_a_word_without_overlap() {
        let key = crate::engine::EngineKey::from(hrwheel_wheel::Wheel::<()>::new().insert_idle(()));
        for (pool, shard) in [
            (1, 0),
            (5, 1023),
            (1 << 32 | 5, 7),
            (crate::MAX_POOLS, 1023),
        ] {
            let k = TimerKey {
                place: place(pool, shard),
                key,
            };
            assert_eq!((k.pool(), k.shard()), (pool, shard));
            let shown = format!("{k:?}");
            assert!(
                shown.contains(&format!("pool: {pool}, shard: {shard}")),
                "{shown}"
            );
        }
    }
}
