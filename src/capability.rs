//! Limits of the implementation (`odp_timer_capability`) and the global
//! pool count.
//!
//! | limit                   | value        | why                                                        |
//! |-------------------------|--------------|------------------------------------------------------------|
//! | [`MAX_POOLS`]           | 64           | pools are few and long-lived (one per resolution class)    |
//! | [`MAX_TIMERS`]          | 4,194,304    | 2^22: slot table ~64 B/timer = 256 MiB at most, index fits `u32` |
//! | [`MAX_CAPACITY`]        | 16,777,216   | 2^24: most events a [`TimeoutPool`](crate::TimeoutPool) or [`TimeoutQueue`](crate::TimeoutQueue) holds; 4 pools' worth of timers, ~0.8 GiB of event buffers, ids fit `u32` |
//! | [`FINEST_RESOLUTION_NS`]| 1 ns         | tick math is in whole nanoseconds                          |
//! | [`MAX_TIMEOUT_NS`]      | 2^62 ns      | ~146 years: `now + max` cannot overflow `u64` ticks for the next ~438 years of pool uptime |
//! | [`MAX_NAME_LEN`]        | 63 bytes     | ODP's `ODP_TIMER_POOL_NAME_LEN` is 32; names are for logs  |
//!
//! The number of live pools is a process-wide atomic counter: `TimerPool::new`
//! reserves a place with a compare-and-swap loop and the pool's drop gives
//! it back.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::clock::ClockSource;
use crate::error::Error;

/// The most timer pools that may exist at once in the process.
pub const MAX_POOLS: usize = 64;
/// The most timers one pool may have.
pub const MAX_TIMERS: usize = 1 << 22;
/// The most events a [`TimeoutPool`](crate::TimeoutPool) or a
/// [`TimeoutQueue`](crate::TimeoutQueue) may be created for; above it they
/// return [`Error::CapacityTooLarge`] instead of failing to allocate.
pub const MAX_CAPACITY: usize = 1 << 24;
/// The finest pool resolution.
pub const FINEST_RESOLUTION_NS: u64 = 1;
/// The longest timeout a pool may be created for.
pub const MAX_TIMEOUT_NS: u64 = 1 << 62;
/// The longest pool name, in bytes.
pub const MAX_NAME_LEN: usize = 63;

/// What the implementation supports, as ODP's `odp_timer_capability_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    /// The most pools that may exist at once.
    pub max_pools: usize,
    /// Pools that may still be created now.
    pub available_pools: usize,
    /// The most timers per pool.
    pub max_timers: usize,
    /// The finest resolution, in nanoseconds.
    pub finest_resolution_ns: u64,
    /// The longest timeout, in nanoseconds.
    pub max_timeout_ns: u64,
}

/// The limits for pools reading `clock`. They are the same for every clock
/// source today (the tick math is in nanoseconds whatever the source);
/// `clock` is taken so callers ask per source, as in ODP.
///
/// ```
/// let cap = hrwheel::capability(&hrwheel::ClockSource::tsc());
/// assert_eq!(cap.max_pools, hrwheel::MAX_POOLS);
/// assert!(cap.available_pools <= cap.max_pools);
/// ```
pub fn capability(clock: &ClockSource) -> Capability {
    let _ = clock;
    Capability {
        max_pools: MAX_POOLS,
        available_pools: MAX_POOLS.saturating_sub(LIVE_POOLS.load(Ordering::Relaxed)),
        max_timers: MAX_TIMERS,
        finest_resolution_ns: FINEST_RESOLUTION_NS,
        max_timeout_ns: MAX_TIMEOUT_NS,
    }
}

static LIVE_POOLS: AtomicUsize = AtomicUsize::new(0);
static NEXT_POOL_ID: AtomicU32 = AtomicU32::new(1);

/// A reserved place among the [`MAX_POOLS`] pools; released on drop.
#[derive(Debug)]
pub(crate) struct PoolSlot {
    id: u32,
}

impl PoolSlot {
    pub(crate) fn reserve() -> Result<Self, Error> {
        LIVE_POOLS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_POOLS).then_some(n + 1)
            })
            .map_err(|_| Error::TooManyPools)?;
        // Ids are never reused (until 2^32 pools were created), so a handle
        // of a destroyed pool is foreign to every later pool.
        let id = NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed);
        Ok(PoolSlot { id })
    }

    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        LIVE_POOLS.fetch_sub(1, Ordering::AcqRel);
    }
}
