//! hrwheel: timers for data-plane and systems software.
//!
//! Two engines, one API:
//! - [`wheel`]: a hierarchical cascading timing wheel for coarse timeouts,
//!   most of which are cancelled before they fire;
//! - [`hires`]: a high-resolution queue ordered by a red-black tree for
//!   precise, mostly-expiring, often periodic timers.
//!
//! # Glossary
//!
//! One name for one idea, in all three layers (`wheel`, `hires`, this
//! crate):
//!
//! | term | meaning | where |
//! |------|---------|-------|
//! | *tick* | the unit of time of a wheel or a pool (a pool tick is `resolution_ns`); the high-resolution queue's unit is the nanosecond | all |
//! | *deadline* | the tick (or ns) at or after which a timer fires; never before | all |
//! | `TimerKey` | the `Copy` handle naming one timer: [`wheel::TimerKey`], [`hires::TimerKey`], [`TimerKey`] | all |
//! | *arm* / *set* | give a timer a deadline; *reset*: arm an armed timer again; an *idle* timer is allocated but not armed | engines / pool (ODP's `set`) |
//! | *cancel* | stop an armed timer (engines: and remove it; the pool keeps it allocated) | all |
//! | `expire` | move time forward and fire every due timer: `Wheel::expire`, `HiresQueue::expire`, [`TimerPool::expire`] | all |
//! | `Expired` | what an engine hands its `expire` callback for each fired timer: [`wheel::Expired`], [`hires::Expired`] | engines |
//! | [`Timeout`] | the pool's event (ODP's timeout event), delivered to a [`TimeoutQueue`] when its timer expires | pool |
//! | *stale* key | a key whose timer is gone (fired and removed, cancelled, or freed): `StaleKey` in every layer's error; a *foreign* key (`ForeignKey`) belongs to another wheel, queue or pool | all |
//! | *shard* | a part of a shared pool with its own engine and lock, one per core by default | pool |
//! | *move* | one relink of a wheel timer from a coarse slot to a finer one (a cascade step), counted in [`wheel::Stats`] | wheel |
//!
//! # The pool API
//!
//! In front of them, this crate is the ODP timer API (the PATCHv2 design,
//! where timers are allocated and freed apart from timeouts being set and
//! cancelled), in Rust:
//!
//! | ODP                          | hrwheel                                          |
//! |------------------------------|--------------------------------------------------|
//! | `odp_timer_capability`       | [`capability`]                                   |
//! | per-lcore timer lists (DPDK) | shards: [`TimerPool::alloc_on`], [`TimerPool::expire_shard`] |
//! | `rte_timer_next_ticks` (DPDK)| [`TimerPool::next_deadline`]                     |
//! | `odp_timer_pool_create`      | [`TimerPool::new`] / [`TimerPool::new_local`]    |
//! | `odp_timer_pool_destroy`     | [`TimerPool::destroy`] (refused while timers are allocated or events wait) |
//! | `odp_timer_pool_info`        | [`TimerPool::info`]                              |
//! | `odp_timer_current_tick`     | [`TimerPool::current_tick`]                      |
//! | `odp_timer_ns_to_tick` / back| [`TimerPool::ns_to_tick`] / [`TimerPool::tick_to_ns`] |
//! | `odp_timer_alloc` / `free`   | [`TimerPool::alloc`] / [`TimerPool::free`]       |
//! | `odp_timer_set_abs` / `rel`  | [`TimerPool::set_abs`] / [`TimerPool::set_rel`]  |
//! | `odp_timer_cancel`           | [`TimerPool::cancel`]                            |
//! | `odp_timeout_alloc` (pool)   | [`TimeoutPool::alloc`]                           |
//! | `odp_timeout_fresh`          | [`TimerPool::is_fresh`]                          |
//! | `odp_timeout_timer/tick/user_ptr` | [`Timeout::timer`], [`Timeout::tick`], [`Timeout::user_ctx`] |
//! | `odp_queue_t` (destination)  | [`TimeoutQueue`]                                 |
//! | timer processing             | [`TimerPool::expire_shard`] / [`TimerPool::expire`] (called from the poll loop) |
//! | `odp_timer_periodic_start` / `_ack` / `_cancel` | [`TimerPool::start_periodic`] / [`TimerPool::ack`] / [`TimerPool::cancel`]; [`TimerPool::set_period`] |
//! | `rte_timer` callbacks (DPDK), `RTTimer` (VirtualBox) | [`TimerPool::alloc_callback`], [`Expiry`] |
//! | `rte_timer_pending` / `_stop` / `_stop_sync` | [`TimerPool::is_pending`] / [`TimerPool::stop`] / [`TimerPool::stop_sync`] |
//! | `rte_timer_reset(.., tim_lcore, ..)` | [`TimerPool::move_to`], then a set |
//! | timer processing thread      | [`Driver`]                                       |
//! | timeouts as `Duration`s      | [`TimerPool::set_after`] / [`TimerPool::set_at_ns`] (never early) |
//!
//! Design, module by module:
//! - [`params`]: validation and the `Backend::Auto` threshold;
//! - [`ticks`]: exact ns/tick conversion;
//! - [`clock`]: TSC, mock and external clocks, made monotonic per pool;
//! - `timeout`: preallocated, move-only events; `queue`: the MPMC
//!   destination queue;
//! - `pool`: the pool, its shards, the lock-free `expire` fast path;
//! - `shard`: one shard's timer state machine and the full-queue
//!   deferral;
//! - `sharing`: shared (a lock per shard) and private (no lock) pools from
//!   one implementation; `sync`: the primitives, swapped for loom's in
//!   model-checked builds;
//! - `engine`: the enum over the two engines, with each timer's hot pool
//!   state stored in its engine entry (the cold rest in a table of its
//!   shard);
//! - `driver`: the background expiry thread; `duration`: `Duration`
//!   setters that never fire early.
//!
//! ```
//! use hrwheel::{ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool, Error};
//!
//! let (clock, mock) = ClockSource::mock();
//! let pool = TimerPool::new("rto", PoolParams::default().clock(clock))?; // 1 ms ticks
//! let events = TimeoutPool::new(16)?;
//! let queue = TimeoutQueue::new(16)?;
//! let timer = pool.alloc(&queue, 7)?;
//!
//! pool.set_rel(timer, 200, Some(events.alloc()?))?;
//! let ev = pool.cancel(timer)?;             // acked in time: the event comes back
//! pool.set_rel(timer, 200, Some(ev))?;
//! mock.increment(200_000_000u64);           // 200 ms later: lost
//! pool.expire();
//! let ev = queue.pop().expect("retransmit");
//! assert!(pool.is_fresh(&ev) && ev.user_ctx() == 7);
//! assert_eq!(pool.cancel(timer).unwrap_err(), Error::AlreadyExpired);
//! # Ok::<(), hrwheel::Error>(())
//! ```

pub use hrwheel_hires as hires;
pub use hrwheel_wheel as wheel;

mod capability;
pub mod clock;
// Issue 10: durations and the driver thread.
mod driver;
mod duration;
mod engine;
mod error;
mod key;
pub mod params;
mod pool;
mod queue;
mod shard;
mod sharing;
mod sync;
pub mod ticks;
mod timeout;

pub use capability::{
    capability, Capability, FINEST_RESOLUTION_NS, MAX_CAPACITY, MAX_NAME_LEN, MAX_POOLS,
    MAX_SHARDS, MAX_TIMEOUT_NS, MAX_TIMERS,
};
pub use clock::{ClockSource, TimeSource};
pub use driver::{Driver, DriverError, DriverMode, DriverStats, PassRecord};
pub use error::{Error, SetError};
pub use key::TimerKey;
pub use params::{Backend, Limits, PoolParams, AUTO_HIGHRES_BELOW_NS};
pub use pool::{LocalTimerPool, PoolInfo, TimerPool};
pub use queue::TimeoutQueue;
pub use shard::{Armed, Expiry};
pub use sharing::{Local, Shared, Sharing};
pub use timeout::{Timeout, TimeoutPool};

/// The README's code blocks, compiled and run as doctests so that they stay
/// true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
