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
//!
//! There is no limit on the number of pools: a thread-per-core program may
//! create a private pool per thread, or one shared pool with a shard per
//! core. Each pool takes a process-unique id (a counter that wraps after
//! 2^32 pools), which every [`TimerKey`](crate::TimerKey) carries, so a key
//! used on another pool is refused.

use std::sync::atomic::{AtomicU32, Ordering};

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

static NEXT_POOL_ID: AtomicU32 = AtomicU32::new(1);

/// A new pool id.
pub(crate) fn next_pool_id() -> u32 {
    NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed)
}
