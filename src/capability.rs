//! Limits of the implementation (`odp_timer_capability`) and pool ids.
//!
//! | limit                   | value          | why                                                        |
//! |-------------------------|----------------|------------------------------------------------------------|
//! | [`MAX_TIMERS`]          | 2^32 - 2       | a shard's engine indexes its timers by `u32`; memory is the real bound |
//! | [`MAX_SHARDS`]          | 1,024          | one shard per core; more only spreads the same timers thinner |
//! | [`MAX_CAPACITY`]        | 16,777,216     | 2^24: most events a [`TimeoutPool`](crate::TimeoutPool) or [`TimeoutQueue`](crate::TimeoutQueue) holds (ids fit `u32`; a larger request is an error, not an allocation failure) |
//! | [`FINEST_RESOLUTION_NS`]| 1 ns           | tick math is in whole nanoseconds                          |
//! | [`MAX_TIMEOUT_NS`]      | 2^62 ns        | ~146 years: `now + max` cannot overflow `u64` ticks for the next ~438 years of pool uptime |
//! | [`MAX_NAME_LEN`]        | 63 bytes       | ODP's `ODP_TIMER_POOL_NAME_LEN` is 32; names are for logs  |
//! | [`MAX_POOLS`]           | 2^54 - 1       | pools created in a process's life: a key packs the pool id and the shard in one word |
//!
//! There is no limit on the number of pools alive at once: a
//! thread-per-core program may create a private pool per thread, or one
//! shared pool with a shard per core. Each pool takes a process-unique id,
//! which every [`TimerKey`](crate::TimerKey) carries, so a key used on
//! another pool is refused. Ids are never reused: after [`MAX_POOLS`]
//! creations (a pool created every nanosecond would take 208 days to get
//! there) `create` refuses with [`Error::TooManyPools`](crate::Error::TooManyPools)
//! rather than let an old key name a new pool.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::key::SHARD_BITS;

/// The most timers one pool may have.
pub const MAX_TIMERS: usize = (u32::MAX - 1) as usize;
/// The most shards one pool may have.
pub const MAX_SHARDS: usize = 1024;
/// The most events a [`TimeoutPool`](crate::TimeoutPool) or a
/// [`TimeoutQueue`](crate::TimeoutQueue) may be created for; above it they
/// return [`Error::CapacityTooLarge`](crate::Error::CapacityTooLarge) instead
/// of failing to allocate.
pub const MAX_CAPACITY: usize = 1 << 24;
/// The finest pool resolution.
pub const FINEST_RESOLUTION_NS: u64 = 1;
/// The longest timeout a pool may be created for.
pub const MAX_TIMEOUT_NS: u64 = 1 << 62;
/// The longest pool name, in bytes.
pub const MAX_NAME_LEN: usize = 63;
/// The most pools a process may create in its life (not at once: destroyed
/// pools count too, their ids are never reused). Above it, creating a pool
/// is refused with [`Error::TooManyPools`].
pub const MAX_POOLS: u64 = (1 << (u64::BITS - SHARD_BITS)) - 1;

/// What the implementation supports, as ODP's `odp_timer_capability_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capability {
    /// The most timers per pool.
    pub max_timers: usize,
    /// The most shards per pool.
    pub max_shards: usize,
    /// The finest resolution, in nanoseconds.
    pub finest_resolution_ns: u64,
    /// The longest timeout, in nanoseconds.
    pub max_timeout_ns: u64,
}

/// The limits of every pool (the same for every clock source: the tick math
/// is in nanoseconds whatever the source).
///
/// ```
/// let cap = hrwheel::capability();
/// assert_eq!(cap.max_timers, hrwheel::MAX_TIMERS);
/// assert_eq!(cap.finest_resolution_ns, 1);
/// ```
pub fn capability() -> Capability {
    Capability {
        max_timers: MAX_TIMERS,
        max_shards: MAX_SHARDS,
        finest_resolution_ns: FINEST_RESOLUTION_NS,
        max_timeout_ns: MAX_TIMEOUT_NS,
    }
}

static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// A new pool id, never one handed out before.
pub(crate) fn next_pool_id() -> Result<u64, Error> {
    take_id(&NEXT_POOL_ID)
}

/// The next id of `counter` (ids `1..=MAX_POOLS`), or
/// [`Error::TooManyPools`] once they are used up (the counter then stays).
fn take_id(counter: &AtomicU64) -> Result<u64, Error> {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |id| {
            (id <= MAX_POOLS).then_some(id + 1)
        })
        .map_err(|_| Error::TooManyPools)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids_are_refused_once_used_up_never_reused() {
        let counter = AtomicU64::new(MAX_POOLS - 1);
        assert_eq!(take_id(&counter), Ok(MAX_POOLS - 1));
        assert_eq!(take_id(&counter), Ok(MAX_POOLS));
        // The last id fits beside the shard in a key's packed word.
        assert_eq!(MAX_POOLS << SHARD_BITS >> SHARD_BITS, MAX_POOLS);
        for _ in 0..3 {
            assert_eq!(take_id(&counter), Err(Error::TooManyPools));
        }
    }

    #[test]
    fn ids_are_taken_in_order_from_one() {
        let counter = AtomicU64::new(1);
        assert_eq!(take_id(&counter), Ok(1));
        assert_eq!(take_id(&counter), Ok(2));
    }
}
