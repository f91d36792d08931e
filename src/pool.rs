//! The timer pool: ODP's `odp_timer_pool_t` with its timer operations,
//! sharded per core.
//!
//! ```text
//!             alloc(queue, ctx)         set_abs / set_rel (event)
//!   TimerPool ----------------> TimerKey ----------------------------> its shard's engine
//!      |  ^                       |  cancel -> event back                  |
//!      |  +------ free(timer) ----+  (or AlreadyExpired)                   |
//!      |                                                                   |
//!      +-- expire_shard(s): current tick -> shard s fires -> event -> TimeoutQueue
//! ```
//!
//! ## Shards
//!
//! A shared pool spreads its timers over *shards*, one per core by default
//! (DPDK's per-lcore timer lists, Linux's per-CPU timer bases, tokio's
//! sharded wheels). A timer belongs to the shard it was allocated on
//! ([`TimerPool::alloc`] picks the calling thread's home shard,
//! [`TimerPool::alloc_on`] a given one). Each shard has its own engine and
//! its own lock, on cache lines of their own, so a thread that sets,
//! cancels and expires the timers of its own shard never contends with
//! another doing the same on another shard. Any thread may still set or
//! cancel any timer (it takes that timer's shard lock: DPDK's "arm on one
//! lcore, run on another"); the timer's expiry runs on its shard's expiry
//! pass, [`TimerPool::expire_shard`], which the shard's owner calls from its
//! poll loop (DPDK's `rte_timer_manage`). [`TimerPool::expire`] runs every
//! shard's pass.
//!
//! At 64 cores with a shard per core the hot path is unchanged: a set,
//! cancel or poll touches its own shard's lock word, the `next_due` word and
//! the timer's engine entry, all of them written by that core alone unless
//! another core arms one of its timers; there is no pool-wide word on the
//! hot path (the timer count is only touched by `alloc` and `free`, the
//! clock clamp is per shard). Throughput therefore scales with the cores,
//! as with one private pool per core, until the memory bandwidth of the
//! engines' entries is the limit. What does not scale is traffic into one
//! shard: if 63 cores arm timers on core 0's shard, they serialise on its
//! lock, as DPDK's producers serialise on the target lcore's list lock;
//! spread such timers with `alloc_on`. `expire()` on a 64-shard pool checks
//! 64 `next_due` words (64 cache lines, read-shared); a poll loop should
//! call `expire_shard` for its own shard instead.
//!
//! ## Driving expiry
//!
//! Nothing runs in the background: the application calls `expire_shard` (or
//! `expire`) from its poll loop. Most calls find nothing due, so each shard
//! publishes the earliest tick that can need work in a lock-free word
//! (`next_due`): the pass reads the clock, compares, and returns without
//! the lock when `now < next_due`. A set lowers the word under the shard
//! lock; a pass sets it to the engine's next deadline (a lower bound, so
//! never too late), or to 0 while events wait for room in a full queue, so
//! that every pass of that shard retries them. A tickless driver sleeps
//! until [`TimerPool::next_deadline`].
//!
//! ## Time
//!
//! Ticks count from the pool's creation at its resolution; see
//! [`ticks`](crate::ticks) for the rounding rules and
//! [`clock`](crate::clock) for the sources and the monotonic clamp.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

use crate::capability::next_pool_id;
use crate::clock::PoolClock;
use crate::error::{Error, SetError};
use crate::key::TimerKey;
use crate::params::{Backend, Limits, PoolParams};
use crate::queue::TimeoutQueue;
use crate::shard::{due_bound, Armed, Expiry, ShardCore};
use crate::sharing::{sealed::Sealed, Local, Shared, Sharing, Word};
use crate::ticks::TickMath;
use crate::timeout::Timeout;

/// A pool usable from one thread at a time, without locks.
pub type LocalTimerPool = TimerPool<Local>;

/// One shard: the word the lock-free check reads, and the state behind the
/// lock, each on a cache line of its own (a poller reading `next_due` must
/// not slow down a set holding the lock).
struct Shard<S: Sharing> {
    next_due: CachePadded<<S as Sealed>::Word>,
    core: CachePadded<<S as Sealed>::Lock<ShardCore<S>>>,
}

/// A pool of timers with one resolution, clock and engine kind.
///
/// `TimerPool` (the default, [`Shared`]) is `Send + Sync`;
/// [`LocalTimerPool`] is its single-threaded twin with the same methods.
///
/// ```
/// use hrwheel::{ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
///
/// let (clock, mock) = ClockSource::mock();
/// let pool = TimerPool::new("doc", PoolParams::default()
///     .resolution_ns(1_000)       // 1 µs ticks
///     .max_timeout_ns(1_000_000)  // up to 1 ms
///     .num_timers(4)
///     .clock(clock))?;
/// let events = TimeoutPool::new(4)?;
/// let queue = TimeoutQueue::new(4)?;
///
/// let timer = pool.alloc(&queue, 42)?;
/// let armed = pool.set_rel(timer, 10, Some(events.alloc()?))?;
/// assert_eq!(armed.tick, 10);
/// assert_eq!(pool.next_deadline(), Some(10));
///
/// mock.increment(9_999u64);           // tick 9: not yet
/// assert_eq!(pool.expire(), 0);
/// mock.increment(1u64);               // tick 10
/// assert_eq!(pool.expire(), 1);
/// let ev = queue.pop().expect("expired");
/// assert_eq!((ev.timer(), ev.tick(), ev.user_ctx()), (Some(timer), 10, 42));
/// assert!(pool.is_fresh(&ev));
/// assert!(pool.free(timer)?.is_none());
/// # Ok::<(), hrwheel::Error>(())
/// ```
pub struct TimerPool<S: Sharing = Shared> {
    id: u64,
    name: Box<str>,
    limits: Limits,
    math: TickMath,
    clock: PoolClock,
    /// The highest reading `current_tick` has returned: written only there,
    /// read (not written) by every set and pass.
    last_ns: CachePadded<<S as Sealed>::Word>,
    /// Written by `alloc` and `free` only; on a line of its own (with
    /// `hwm`) so that they do not slow down the sets and passes that read
    /// the fields above.
    allocated: CachePadded<<S as Sealed>::Word>,
    hwm: <S as Sealed>::Word,
    shards: Box<[Shard<S>]>,
    /// Issue 10: the [`Driver`](crate::Driver) thread to unpark when a set
    /// lowers a shard's `next_due` (see `driver.rs`).
    waker: crate::driver::Waker,
}

/// A pool's parameters and counters (`odp_timer_pool_info_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolInfo {
    /// The name given at creation.
    pub name: String,
    /// Length of one tick, ns.
    pub resolution_ns: u64,
    /// Shortest relative timeout, ticks.
    pub min_timeout_ticks: u64,
    /// Longest relative timeout, ticks.
    pub max_timeout_ticks: u64,
    /// Timers the pool holds.
    pub num_timers: usize,
    /// Shards the pool has.
    pub shards: usize,
    /// Timers allocated now.
    pub cur_timers: usize,
    /// The most timers ever allocated at once.
    pub hwm_timers: usize,
    /// Whether the pool is [`Shared`].
    pub shared: bool,
    /// The engine in use (never `Auto`).
    pub backend: Backend,
    /// Timers that have expired since creation.
    pub expired: u64,
    /// Expired events that found their queue full and waited for a later
    /// pass, since creation.
    pub deferred: u64,
    /// Events waiting for room in their queue now.
    pub pending: usize,
}

impl TimerPool<Shared> {
    /// Creates a shared pool (`Send + Sync`) with [`PoolParams::shards`]
    /// shards (one per available core if 0): validates `params` (see
    /// [`PoolParams::validate`]) and allocates everything the pool will use.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("p", hrwheel::PoolParams::default().shards(3))?;
    /// assert_eq!(pool.shards(), 3);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn new(name: &str, params: PoolParams) -> Result<Self, Error> {
        Self::create(name, params)
    }
}

impl TimerPool<Local> {
    /// Creates a private pool ([`LocalTimerPool`]: one thread at a time, one
    /// shard, no locks); otherwise as [`TimerPool::new`].
    ///
    /// ```
    /// let pool = hrwheel::LocalTimerPool::new_local("p", hrwheel::PoolParams::default())?;
    /// assert_eq!(pool.shards(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn new_local(name: &str, params: PoolParams) -> Result<Self, Error> {
        Self::create(name, params)
    }
}

/// The calling thread's number: threads are numbered in the order they
/// first ask, so the first `n` threads of a program get distinct home
/// shards in an `n`-shard pool.
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

impl<S: Sharing> TimerPool<S> {
    /// Creates a pool of either kind (generic code's
    /// [`TimerPool::new`] / [`TimerPool::new_local`]): a shared pool gets
    /// [`PoolParams::shards`] shards (one per available core if 0), a private
    /// pool one. Errors: a parameter's, from [`PoolParams::validate`]
    /// (nothing is allocated then), or [`Error::TooManyPools`] once the
    /// process has created [`MAX_POOLS`](crate::MAX_POOLS) pools.
    ///
    /// ```
    /// use hrwheel::{Local, PoolParams, TimerPool};
    /// let pool = TimerPool::<Local>::create("g", PoolParams::default())?;
    /// assert_eq!(pool.shards(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn create(name: &str, params: PoolParams) -> Result<Self, Error> {
        let shards = match params.shards {
            _ if !S::SHARED => 1,
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let limits = params.validate(name)?;
        let math = TickMath::new(limits.resolution_ns).ok_or(Error::ZeroResolution)?;
        let id = next_pool_id()?;
        let shards = shards.clamp(1, crate::MAX_SHARDS);
        let per_shard = limits.num_timers.div_ceil(shards);
        let shards = (0..shards)
            .map(|i| Shard {
                next_due: CachePadded::new(<S as Sealed>::Word::new(u64::MAX)),
                core: CachePadded::new(S::new_lock(ShardCore::new(id, i, &limits, per_shard))),
            })
            .collect();
        Ok(TimerPool {
            id,
            name: name.into(),
            limits,
            math,
            clock: PoolClock::new(params.clock),
            last_ns: CachePadded::new(Word::new(0)),
            allocated: CachePadded::new(Word::new(0)),
            hwm: Word::new(0),
            shards,
            waker: crate::driver::Waker::new(),
        })
    }

    /// Destroys the pool if no timer is allocated and no expired event waits
    /// for queue room (waiting events are retried first); otherwise gives
    /// the pool back with [`Error::TimersAllocated`] or
    /// [`Error::EventsPending`]. Dropping a pool frees everything
    /// unconditionally: held and waiting events return to their
    /// `TimeoutPool`.
    ///
    /// ```
    /// use hrwheel::{Error, LocalTimerPool, PoolParams, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("d", PoolParams::default())?;
    /// let t = pool.alloc(&TimeoutQueue::new(1)?, 0)?;
    /// let (pool, e) = pool.destroy().unwrap_err();
    /// assert_eq!(e, Error::TimersAllocated);
    /// pool.free(t)?;
    /// assert!(pool.destroy().is_ok());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    // The pool comes back by value on refusal; destroy is a cold path, so
    // the large `Err` costs nothing that matters.
    #[allow(clippy::result_large_err)]
    pub fn destroy(self) -> Result<(), (Self, Error)> {
        if self.allocated.load() > 0 {
            return Err((self, Error::TimersAllocated));
        }
        let now = self.reading();
        // Every shard retries its waiting events (no short cut at the first
        // shard that still has some).
        let pending = self.shards.iter().fold(false, |pending, s| {
            let blocked = S::with(&s.core, |c| {
                c.expire(now, None);
                c.has_blocked()
            });
            pending | blocked
        });
        if pending {
            return Err((self, Error::EventsPending));
        }
        Ok(())
    }

    /// Parameters and counters. Locks each shard in turn.
    ///
    /// ```
    /// let pool = hrwheel::LocalTimerPool::new_local("i", hrwheel::PoolParams::default())?;
    /// let info = pool.info();
    /// assert_eq!((info.name.as_str(), info.cur_timers, info.shards), ("i", 0, 1));
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn info(&self) -> PoolInfo {
        let (mut expired, mut deferred, mut pending) = (0, 0, 0);
        for s in self.shards.iter() {
            let c = S::with(&s.core, |c| c.counters());
            expired += c.expired;
            deferred += c.deferred;
            pending += c.pending;
        }
        PoolInfo {
            name: self.name.to_string(),
            resolution_ns: self.limits.resolution_ns,
            min_timeout_ticks: self.limits.min_ticks,
            max_timeout_ticks: self.limits.max_ticks,
            num_timers: self.limits.num_timers,
            shards: self.shards.len(),
            cur_timers: usize::try_from(self.allocated.load()).unwrap_or(usize::MAX),
            hwm_timers: usize::try_from(self.hwm.load()).unwrap_or(usize::MAX),
            shared: S::SHARED,
            backend: self.limits.backend,
            expired,
            deferred,
            pending,
        }
    }

    /// The engines' counters, summed over the shards (the maximum for
    /// `max_moves_per_timer`): cascade moves, slots visited, expiries. All
    /// zero for a high-resolution pool, whose tree moves nothing.
    ///
    /// ```
    /// let pool = hrwheel::LocalTimerPool::new_local("s", hrwheel::PoolParams::default())?;
    /// assert_eq!(pool.stats().cascade_moves, 0);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn stats(&self) -> hrwheel_wheel::Stats {
        let mut sum = hrwheel_wheel::Stats::default();
        for s in self.shards.iter() {
            let st = S::with(&s.core, |c| c.stats());
            sum.inserts += st.inserts;
            sum.cancels += st.cancels;
            sum.resets += st.resets;
            sum.expiries += st.expiries;
            sum.cascade_moves += st.cascade_moves;
            sum.max_moves_per_timer = sum.max_moves_per_timer.max(st.max_moves_per_timer);
            sum.slots_visited += st.slots_visited;
        }
        sum
    }

    /// The number of shards.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("n", hrwheel::PoolParams::default().shards(2))?;
    /// assert_eq!(pool.shards(), 2);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The calling thread's home shard, where [`alloc`](Self::alloc) puts
    /// its timers: threads are numbered in the order they first use any
    /// pool, and thread `k` lives on shard `k % shards()`.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("h", hrwheel::PoolParams::default().shards(4))?;
    /// assert!(pool.home_shard() < 4);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn home_shard(&self) -> usize {
        thread_number() % self.shards.len()
    }

    /// The pool's current tick (ticks since creation), never less than a
    /// tick it returned before.
    ///
    /// ```
    /// let (clock, mock) = hrwheel::ClockSource::mock();
    /// let pool = hrwheel::LocalTimerPool::new_local("t", hrwheel::PoolParams::default().clock(clock))?;
    /// mock.increment(2_500_000u64); // 2.5 ms at 1 ms ticks
    /// assert_eq!(pool.current_tick(), 2);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn current_tick(&self) -> u64 {
        self.math
            .ns_to_tick(self.last_ns.fetch_max(self.clock.now_ns()))
    }

    /// The current tick as read, never below one `current_tick` returned
    /// (a load of a word only `current_tick` writes); each shard clamps it
    /// further against its own tick.
    #[inline]
    fn reading(&self) -> u64 {
        self.math
            .ns_to_tick(self.clock.now_ns().max(self.last_ns.load()))
    }

    /// The first nanosecond (since the pool's creation) of `tick`,
    /// saturating at `u64::MAX`.
    ///
    /// ```
    /// let pool = hrwheel::LocalTimerPool::new_local("t", hrwheel::PoolParams::default())?;
    /// assert_eq!(pool.tick_to_ns(3), 3_000_000);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn tick_to_ns(&self, tick: u64) -> u64 {
        self.math.tick_to_ns(tick)
    }

    /// The tick containing nanosecond `ns` (rounds down).
    ///
    /// ```
    /// let pool = hrwheel::LocalTimerPool::new_local("t", hrwheel::PoolParams::default())?;
    /// assert_eq!(pool.ns_to_tick(2_999_999), 2);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn ns_to_tick(&self, ns: u64) -> u64 {
        self.math.ns_to_tick(ns)
    }

    /// The shard `t` belongs to, if `t` is a key of this pool.
    #[inline]
    fn shard_of(&self, t: TimerKey) -> Result<&Shard<S>, Error> {
        if t.pool() != self.id {
            return Err(Error::ForeignKey);
        }
        self.shards.get(t.shard()).ok_or(Error::ForeignKey)
    }

    /// Allocates a timer on the calling thread's [home
    /// shard](Self::home_shard) that will deliver to `queue`, with
    /// `user_ctx` carried by its events. [`Error::PoolExhausted`] when all
    /// `num_timers` are allocated.
    ///
    /// ```
    /// use hrwheel::{Error, LocalTimerPool, PoolParams, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("a", PoolParams::default().num_timers(1))?;
    /// let q = TimeoutQueue::new(1)?;
    /// let t = pool.alloc(&q, 7)?;
    /// assert_eq!(pool.alloc(&q, 8), Err(Error::PoolExhausted));
    /// # let _ = t;
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn alloc(&self, queue: &TimeoutQueue, user_ctx: u64) -> Result<TimerKey, Error> {
        self.alloc_on(self.home_shard(), queue, user_ctx)
    }

    /// Allocates a timer on shard `shard` (its expiry runs on that shard's
    /// pass); otherwise as [`alloc`](Self::alloc). [`Error::NoSuchShard`]
    /// if `shard >= shards()`.
    ///
    /// ```
    /// use hrwheel::{PoolParams, TimeoutQueue, TimerPool};
    /// let pool = TimerPool::new("a", PoolParams::default().shards(2))?;
    /// let t = pool.alloc_on(1, &TimeoutQueue::new(1)?, 0)?;
    /// assert_eq!(t.shard(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn alloc_on(
        &self,
        shard: usize,
        queue: &TimeoutQueue,
        user_ctx: u64,
    ) -> Result<TimerKey, Error> {
        let s = self.reserve(shard)?;
        Ok(S::with(&s.core, |c| c.alloc(queue, user_ctx)))
    }

    /// Shard `shard`, with one more timer counted against `num_timers`.
    fn reserve(&self, shard: usize) -> Result<&Shard<S>, Error> {
        let s = self.shards.get(shard).ok_or(Error::NoSuchShard)?;
        let limit = u64::try_from(self.limits.num_timers).unwrap_or(u64::MAX);
        let n = self
            .allocated
            .try_increment(limit)
            .ok_or(Error::PoolExhausted)?;
        self.hwm.fetch_max(n);
        Ok(s)
    }

    /// Frees a timer, cancelling it if set; returns the event it held. Its
    /// key (and every copy) then reads [`Error::StaleKey`], including for a
    /// second `free`; an expired event of it that still waits for queue
    /// room is delivered (stale) all the same.
    ///
    /// ```
    /// use hrwheel::{Error, LocalTimerPool, PoolParams, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("f", PoolParams::default())?;
    /// let t = pool.alloc(&TimeoutQueue::new(1)?, 0)?;
    /// assert!(pool.free(t)?.is_none());
    /// assert_eq!(pool.free(t).unwrap_err(), Error::StaleKey);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn free(&self, timer: TimerKey) -> Result<Option<Timeout>, Error> {
        let s = self.shard_of(timer)?;
        let (ev, remains) = S::with(&s.core, |c| {
            let r = c.free(timer);
            Self::publish(s, c);
            r
        })?;
        self.allocated.decrement();
        // Dropped with no lock held: a callback's captures may call the pool.
        drop(remains);
        Ok(ev)
    }

    /// Sets `timer` to expire at absolute `tick`.
    ///
    /// `event`: a new event, or `None` to reuse the one the timer holds (a
    /// timer holds its event from a set until it expires or is cancelled).
    /// A new event given to a set timer replaces the held one, which comes
    /// back in [`Armed::replaced`]. Errors ([`Error::TooEarly`] if `tick <
    /// now + min_timeout`, [`Error::TooLate`] if `tick > now +
    /// max_timeout` or `tick` is past the last tick the clock reaches,
    /// [`Limits::last_tick`](crate::Limits::last_tick), `u64::MAX` ns of
    /// pool time, [`Error::NoEvent`], bad keys) leave the timer as it was
    /// and hand `event` back in the [`SetError`].
    ///
    /// ```
    /// use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("s", PoolParams::default().clock(ClockSource::mock().0))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(2)?);
    /// let t = pool.alloc(&q, 0)?;
    /// assert_eq!(pool.set_abs(t, 5, None).unwrap_err().error, Error::NoEvent);
    /// pool.set_abs(t, 5, Some(events.alloc()?))?;
    /// pool.set_abs(t, 9, None)?; // reset, keeping the event
    /// let armed = pool.set_abs(t, 9, Some(events.alloc()?))?;
    /// assert!(armed.replaced.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set_abs(
        &self,
        timer: TimerKey,
        tick: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        self.set_with(timer, event, None, |_| Some(tick))
    }

    /// Sets `timer` to expire `ticks` after the current tick; otherwise as
    /// [`TimerPool::set_abs`]. A tick past `u64::MAX` is
    /// [`Error::TooLate`], not saturated (a saturated tick fires early).
    ///
    /// As in ODP, `ticks` count from the *start* of the current tick, not
    /// from the call: the timer never fires before tick `now + ticks`, but
    /// the wall-clock delay from the call can be up to one resolution
    /// shorter than `ticks * resolution` (and, as for every timer, up to
    /// one resolution longer, depending on when `expire` runs). For at
    /// least `d` ns of real delay, set one tick more than `d` rounds up to.
    ///
    /// ```
    /// # use hrwheel::{Backend, ClockSource, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = TimerPool::new_local("rel", PoolParams::default()
    ///     .resolution_ns(1_000).min_timeout_ns(1_000).max_timeout_ns(1_000_000)
    ///     .num_timers(1).clock(clock).backend(Backend::Wheel))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// mock.increment(999u64); // last ns of tick 0
    /// let armed = pool.set_rel(t, 1, Some(events.alloc()?))?; // 1 tick = 1 µs
    /// assert_eq!(armed.tick, 1);
    /// mock.increment(1u64); // 1 ns later tick 1 starts...
    /// assert_eq!(pool.expire(), 1); // ...and the 1-tick timeout fires
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn set_rel(
        &self,
        timer: TimerKey,
        ticks: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        self.set_with(timer, event, None, |now| now.checked_add(ticks))
    }

    /// Both setters: `tick(now)` is the absolute tick, `now` the shard's
    /// current tick; `None` (a relative tick past `u64::MAX`) is
    /// [`Error::TooLate`].
    #[inline(always)]
    pub(crate) fn set_with(
        &self,
        timer: TimerKey,
        event: Option<Timeout>,
        period: Option<u64>,
        tick: impl FnOnce(u64) -> Option<u64>,
    ) -> Result<Armed, SetError> {
        let s = match self.shard_of(timer) {
            Ok(s) => s,
            Err(e) => return Err(SetError::new(e, event)),
        };
        if event.is_none() && period.is_none() {
            // The churn path: no event to carry in or out, so nothing but the
            // key and the tick crosses the lock's closure.
            return self
                .rearm(s, timer, tick, false)
                .map(|tick| Armed {
                    tick,
                    replaced: None,
                })
                .map_err(|e| SetError::new(e, None));
        }
        // The event in parts (see `ShardCore::leave_held`): its buffer goes
        // into the timer, its tick and context stay here to hand it back
        // whole on an error.
        let (mut held, ev_tick, ev_ctx) = match event {
            Some(ev) => {
                let (h, t, c) = ev.into_parts();
                (Some(h), t, c)
            }
            None => (None, 0, 0),
        };
        let reading = self.reading();
        let mut lowered = false;
        let mut replaced = None;
        let r = S::with(&s.core, |c| {
            let now = c.clamp(reading);
            let Some(tick) = tick(now) else {
                return Err(c.refusal(timer, Error::TooLate));
            };
            c.set(timer, tick, &mut held, &mut replaced, period)?;
            lowered = Self::lower_next_due(s, tick);
            Ok(tick)
        });
        // Issue 10: a sooner deadline wakes a sleeping driver (one relaxed
        // load when none is registered; nothing when next_due was not lowered).
        if S::SHARED && lowered {
            self.waker.wake();
        }
        match r {
            Ok(tick) => Ok(Armed { tick, replaced }),
            Err(e) => Err(SetError::new(
                e,
                held.map(|h| Timeout::described(h, ev_tick, ev_ctx)),
            )),
        }
    }

    /// Moves a pending timer's expiration to `tick`, keeping its event (or
    /// callback) and period: ODP's `odp_timer_restart`, DPDK's
    /// `rte_timer_reset` on a pending timer, the call a connection makes on
    /// every packet to push its timeout out. Returns a small `Result`, with
    /// no event to hand back: cheaper than [`set_abs`](Self::set_abs) with
    /// `None`, which also restarts idle timers holding an event.
    ///
    /// Errors: [`Error::AlreadyExpired`] if the timer expired since it was
    /// last set (its event is in its queue, or will be: handle it, then
    /// set the timer again); [`Error::NotArmed`] if it is idle (never set,
    /// cancelled or stopped, or its callback is running: a callback
    /// re-arms its own timer with `set_abs`/`set_rel`);
    /// [`Error::TooEarly`]/[`Error::TooLate`] for a tick out of range;
    /// [`Error::StaleKey`]/[`Error::ForeignKey`] for a bad key. On an error
    /// the timer is unchanged.
    ///
    /// ```
    /// use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("rto", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// assert_eq!(pool.reset_abs(t, 5), Err(Error::NotArmed));
    /// pool.set_abs(t, 5, Some(events.alloc()?))?;
    /// pool.reset_abs(t, 9)?; // a packet came: push the timeout out
    /// mock.increment(9_000_000u64);
    /// assert_eq!(pool.expire(), 1);
    /// assert_eq!(q.pop().unwrap().tick(), 9);
    /// assert_eq!(pool.reset_abs(t, 20), Err(Error::AlreadyExpired));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn reset_abs(&self, timer: TimerKey, tick: u64) -> Result<(), Error> {
        self.rearm(self.shard_of(timer)?, timer, |_| Some(tick), true)
            .map(|_| ())
    }

    /// [`reset_abs`](Self::reset_abs) to `ticks` after the current tick
    /// (counted as in [`set_rel`](Self::set_rel)); returns the tick set.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("rto", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.set_rel(t, 3, Some(events.alloc()?))?;
    /// mock.increment(2_000_000u64); // tick 2
    /// assert_eq!(pool.reset_rel(t, 3), Ok(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn reset_rel(&self, timer: TimerKey, ticks: u64) -> Result<u64, Error> {
        self.rearm(
            self.shard_of(timer)?,
            timer,
            |now| now.checked_add(ticks),
            true,
        )
    }

    /// Re-arms `timer` at `tick(now)` without an event: a pending timer
    /// keeps its event; an idle one that holds an event is armed too unless
    /// `armed_only` (the `reset_*` calls, which leave it alone and say why).
    /// Returns the tick set.
    #[inline(always)]
    fn rearm(
        &self,
        s: &Shard<S>,
        timer: TimerKey,
        tick: impl FnOnce(u64) -> Option<u64>,
        armed_only: bool,
    ) -> Result<u64, Error> {
        let reading = self.reading();
        let (tick, lowered) = S::with(&s.core, |c| {
            let now = c.clamp(reading);
            let Some(tick) = tick(now) else {
                return Err(c.refusal(timer, Error::TooLate));
            };
            c.reset(timer, tick, armed_only)?;
            Ok::<_, Error>((tick, Self::lower_next_due(s, tick)))
        })?;
        if S::SHARED && lowered {
            self.waker.wake();
        }
        Ok(tick)
    }

    /// Lowers the shard's published `next_due` to a tick just set, if it
    /// is earlier; whether it was (the driver then needs waking, after
    /// the lock is released).
    #[inline(always)]
    fn lower_next_due(s: &Shard<S>, tick: u64) -> bool {
        let tick = due_bound(tick);
        let lowered = tick < s.next_due.load();
        if lowered {
            s.next_due.store(tick);
        }
        lowered
    }

    /// Cancels a set timer and returns its event. [`Error::AlreadyExpired`]
    /// if it has expired since it was last set (its event is in its queue,
    /// or will be once the queue has room), on every call until the timer is
    /// set again or freed; [`Error::NotArmed`] if it is not set.
    ///
    /// ```
    /// use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("c", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.set_rel(t, 1, Some(events.alloc()?))?;
    /// mock.increment(1_000_000u64);
    /// pool.expire();
    /// assert_eq!(pool.cancel(t).unwrap_err(), Error::AlreadyExpired);
    /// assert_eq!(pool.cancel(t).unwrap_err(), Error::AlreadyExpired);
    /// assert!(pool.is_fresh(&q.pop().unwrap()), "a failed cancel changes nothing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn cancel(&self, timer: TimerKey) -> Result<Timeout, Error> {
        let s = self.shard_of(timer)?;
        let mut out = (0, 0);
        let held = S::with(&s.core, |c| {
            let r = c.cancel(timer, &mut out);
            // The bound only needs raising when the earliest timer goes
            // (it may be stale-low otherwise, see `next_deadline`) or the
            // last one (then it must say `None`). On an error, publish
            // anyway: a periodic timer whose event is out is stopped
            // although the call says `AlreadyExpired`.
            if r.is_err() || out.0 <= s.next_due.load() || c.is_empty() {
                Self::publish(s, c);
            }
            r
        })?;
        // The event is made here, in the caller's return slot.
        Ok(Timeout::described(held, out.0, out.1))
    }

    /// Whether `event` still matches its timer's latest setting: `false`
    /// once the timer was set again, cancelled or freed, for events of
    /// another pool, and for events never set. Takes the timer's shard lock
    /// (a private pool has none).
    ///
    /// ```
    /// let events = hrwheel::TimeoutPool::new(1)?;
    /// let pool = hrwheel::LocalTimerPool::new_local("f", hrwheel::PoolParams::default())?;
    /// assert!(!pool.is_fresh(&events.alloc()?)); // never set
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn is_fresh(&self, event: &Timeout) -> bool {
        let Some(t) = event.timer() else {
            return false;
        };
        let Ok(s) = self.shard_of(t) else {
            return false;
        };
        S::with(&s.core, |c| c.is_fresh(t, event.stamp()))
    }

    /// A tick no later than the earliest tick at which an expiry pass has
    /// work, `None` if no timer is set and no event waits for queue room:
    /// what a tickless driver sleeps until (DPDK's `rte_timer_next_ticks`).
    /// Lock-free. Exact on a high-resolution pool (but `u64::MAX - 1` for a
    /// timer on the last tick, `u64::MAX`); on a wheel pool it may be
    /// earlier than the earliest timer (a lazily re-armed timer, see the
    /// wheel's docs), never later: a pass at that tick fires nothing early
    /// and updates the bound. The current tick or earlier when something is
    /// already due (0 while events wait for room in a full queue).
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("n", PoolParams::default().clock(ClockSource::mock().0))?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// assert_eq!(pool.next_deadline(), None);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.set_abs(t, 40, Some(events.alloc()?))?;
    /// assert_eq!(pool.next_deadline(), Some(40));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_deadline(&self) -> Option<u64> {
        let t = self
            .shards
            .iter()
            .map(|s| s.next_due.load())
            .min()
            .unwrap_or(u64::MAX);
        (t != u64::MAX).then_some(t)
    }

    /// [`next_deadline`](Self::next_deadline) of one shard.
    /// [`Error::NoSuchShard`] if `shard >= shards()`.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("n", hrwheel::PoolParams::default().shards(2))?;
    /// assert_eq!(pool.next_deadline_shard(1), Ok(None));
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn next_deadline_shard(&self, shard: usize) -> Result<Option<u64>, Error> {
        let t = self
            .shards
            .get(shard)
            .ok_or(Error::NoSuchShard)?
            .next_due
            .load();
        Ok((t != u64::MAX).then_some(t))
    }

    /// Runs every shard's expiry pass (see [`expire_shard`](Self::expire_shard));
    /// returns the events delivered to queues.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("e", hrwheel::PoolParams::default())?;
    /// assert_eq!(pool.expire(), 0);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn expire(&self) -> usize {
        let now = self.reading();
        self.shards.iter().map(|s| self.pass(s, now, None)).sum()
    }

    /// [`expire`](Self::expire), handing the expired timers' events to the
    /// caller instead of their queues: each one is appended to `out`, in
    /// expiry order per shard. Returns the events appended plus those that
    /// waited for room in a full queue and were delivered there now.
    ///
    /// For a thread that polls its own timers and handles their events
    /// itself (a DPDK-style run-to-completion loop): no queue push and pop
    /// per event. The events are the same as those delivered to queues
    /// (fresh, with their timer, tick and context; acknowledge or set them
    /// as usual). Reuse one `Vec` across calls: once it has grown to a
    /// pass's worth of events, nothing allocates. Callback timers run as
    /// in `expire`.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("direct", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(4)?, TimeoutPool::new(2)?);
    /// let (a, b) = (pool.alloc(&q, 1)?, pool.alloc(&q, 2)?);
    /// pool.set_rel(b, 2, Some(events.alloc()?))?;
    /// pool.set_rel(a, 1, Some(events.alloc()?))?;
    /// mock.increment(2_000_000u64);
    /// let mut out = Vec::new();
    /// assert_eq!(pool.expire_into(&mut out), 2);
    /// assert_eq!(out.iter().map(|e| e.user_ctx()).collect::<Vec<_>>(), [1, 2]);
    /// assert!(q.is_empty() && pool.is_fresh(&out[0]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn expire_into(&self, out: &mut Vec<Timeout>) -> usize {
        let now = self.reading();
        self.shards
            .iter()
            .map(|s| self.pass(s, now, Some(&mut *out)))
            .sum()
    }

    /// [`expire_shard`](Self::expire_shard), handing the events to `out`
    /// as [`expire_into`](Self::expire_into) does.
    /// [`Error::NoSuchShard`] if `shard >= shards()`.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("e", hrwheel::PoolParams::default().shards(2))?;
    /// let mut out = Vec::new();
    /// assert_eq!(pool.expire_shard_into(1, &mut out), Ok(0));
    /// assert!(pool.expire_shard_into(2, &mut out).is_err());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn expire_shard_into(&self, shard: usize, out: &mut Vec<Timeout>) -> Result<usize, Error> {
        let s = self.shards.get(shard).ok_or(Error::NoSuchShard)?;
        Ok(self.pass(s, self.reading(), Some(out)))
    }

    /// Processes everything due on shard `shard` at the current tick: each
    /// expired timer's event goes to its queue, or waits for room there
    /// (counted in [`PoolInfo::deferred`]) behind the queue's earlier
    /// events. Returns the number of events delivered to queues by this
    /// call. Returns at once, without locking, when nothing is due.
    /// [`Error::NoSuchShard`] if `shard >= shards()`.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("e", hrwheel::PoolParams::default().shards(2))?;
    /// assert_eq!(pool.expire_shard(1), Ok(0));
    /// assert!(pool.expire_shard(2).is_err());
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    #[inline]
    pub fn expire_shard(&self, shard: usize) -> Result<usize, Error> {
        let s = self.shards.get(shard).ok_or(Error::NoSuchShard)?;
        Ok(self.pass(s, self.reading(), None))
    }

    /// Publishes the shard's next deadline after a cancel, stop or free (the
    /// bound only ever needs lowering for correctness; raising it keeps
    /// `next_deadline` from waking a tickless driver for a timer that is
    /// gone, and costs one store to the shard's own line).
    #[inline]
    fn publish(s: &Shard<S>, c: &ShardCore<S>) {
        let next = c.next_due();
        if next != s.next_due.load() {
            s.next_due.store(next);
        }
    }

    /// One shard's pass at reading `now`: events under the lock, then the
    /// callbacks with no lock held.
    #[inline]
    fn pass(&self, s: &Shard<S>, now: u64, direct: Option<&mut Vec<Timeout>>) -> usize {
        if now < s.next_due.load() {
            return 0;
        }
        let (n, ready) = S::with(&s.core, |c| Self::locked_pass(s, c, now, direct));
        if let Some(ready) = ready {
            self.run_callbacks(s, ready);
        }
        n
    }

    /// The part of a pass under the shard's lock: events delivered, the
    /// next deadline published, the due callbacks taken out to run.
    #[inline]
    fn locked_pass(
        s: &Shard<S>,
        c: &mut ShardCore<S>,
        now: u64,
        direct: Option<&mut Vec<Timeout>>,
    ) -> (usize, Option<crate::shard::Ready<S>>) {
        let n = c.expire(now, direct);
        s.next_due.store(c.next_due());
        (n, c.take_ready())
    }

    /// Runs the callbacks a pass took out, then hands them back to their
    /// shard. A panicking callback does not stop the others: each runs
    /// under `catch_unwind`, the shard is restored, and the first panic is
    /// resumed at the end.
    #[cold]
    fn run_callbacks(&self, s: &Shard<S>, mut ready: crate::shard::Ready<S>) {
        let mut first_panic = None;
        // Timers their callback moved to another shard (`move_to` from
        // inside): their closure goes there, not back to this shard.
        let mut moved = Vec::new();
        for (i, d) in ready.iter_mut().enumerate() {
            let outer = RUNNING.with(|r| r.replace(Some(d.expiry.timer)));
            let expiry = d.expiry;
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (d.f)(self, expiry)));
            let now_key = RUNNING.with(|r| r.replace(outer));
            if let Some(k) = now_key.filter(|&k| k != d.expiry.timer) {
                moved.push((i, k));
            }
            d.panicked = r.is_err();
            if let Err(p) = r {
                first_panic.get_or_insert(p);
            }
        }
        let mut adopted = Vec::with_capacity(moved.len());
        for &(i, k) in moved.iter().rev() {
            let d = ready.swap_remove(i);
            adopted.push((k, d.expiry.tick, d.f, d.panicked));
        }
        let mut orphans = S::with(&s.core, |c| {
            let orphans = c.finish(ready);
            s.next_due.store(c.next_due());
            orphans
        });
        for (k, tick, f, p) in adopted {
            let Some(to) = self.shards.get(k.shard()) else {
                orphans.push(f);
                continue;
            };
            let now = self.reading();
            orphans.extend(S::with(&to.core, |c| {
                let orphan = c.restore(k.key, tick, f, p, now);
                to.next_due.store(c.next_due());
                orphan
            }));
        }
        // Closures of timers freed while they ran: dropped with no lock held.
        drop(orphans);
        if let Some(p) = first_panic {
            std::panic::resume_unwind(p);
        }
    }

    /// Whether the calling thread is running `timer`'s callback.
    fn in_own_callback(timer: TimerKey) -> bool {
        RUNNING.with(|r| r.get() == Some(timer))
    }

    /// Allocates a timer that runs `callback` when it expires instead of
    /// delivering an event (DPDK's `rte_timer`, VirtualBox's `RTTimer`), on
    /// the calling thread's home shard. The callback runs on that shard's
    /// expiry pass, with no pool lock held: it may call any method of the
    /// pool (it gets the pool and the [`Expiry`]) on any timer, its own
    /// included (stop, set, change the period, move to another shard,
    /// free). Arm it with
    /// [`set_abs`](Self::set_abs)/[`set_rel`](Self::set_rel) (`None` for the
    /// event) or [`start_periodic`](Self::start_periodic).
    ///
    /// If the callback panics, the other timers of the pass still run, the
    /// pool stays consistent and usable, and the panic then propagates out
    /// of the expiry call; the timer whose callback panicked is left
    /// stopped (idle, its callback kept), as if it had called `stop`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("cb", PoolParams::default().clock(clock))?;
    /// let hits = Arc::new(AtomicU32::new(0));
    /// let h = hits.clone();
    /// let t = pool.alloc_callback(7, move |pool, expiry| {
    ///     h.fetch_add(1, Ordering::Relaxed);
    ///     if expiry.tick < 3 {
    ///         pool.set_rel(expiry.timer, 1, None).unwrap(); // restart itself
    ///     }
    /// })?;
    /// pool.set_abs(t, 1, None)?;
    /// for _ in 0..5 {
    ///     mock.increment(1_000_000u64); // one 1 ms tick
    ///     pool.expire();
    /// }
    /// assert_eq!(hits.load(Ordering::Relaxed), 3); // ticks 1, 2, 3
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn alloc_callback(
        &self,
        user_ctx: u64,
        callback: impl FnMut(&TimerPool<S>, Expiry) + Send + 'static,
    ) -> Result<TimerKey, Error> {
        self.alloc_callback_on(self.home_shard(), user_ctx, callback)
    }

    /// [`alloc_callback`](Self::alloc_callback) on shard `shard`.
    ///
    /// ```
    /// let pool = hrwheel::TimerPool::new("cb", hrwheel::PoolParams::default().shards(2))?;
    /// let t = pool.alloc_callback_on(1, 0, |_, _| {})?;
    /// assert_eq!(t.shard(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn alloc_callback_on(
        &self,
        shard: usize,
        user_ctx: u64,
        callback: impl FnMut(&TimerPool<S>, Expiry) + Send + 'static,
    ) -> Result<TimerKey, Error> {
        let s = self.reserve(shard)?;
        let f: crate::shard::Callback<S> = Box::new(callback);
        Ok(S::with(&s.core, |c| c.alloc_callback(user_ctx, f)))
    }

    /// Starts `timer` as a periodic timer (ODP's `odp_timer_periodic_start`,
    /// Linux's `hrtimer_forward` schedule): expiration `k` (from 0) is at
    /// tick `first + k * period` exactly, never drifting; `first` defaults
    /// to one period from now. An event timer delivers its event each
    /// period and the application hands it back with [`ack`](Self::ack); a
    /// period that comes while the event is out is not delivered but counted
    /// in the next event's [`overruns`](Timeout::overruns). A callback timer
    /// runs its callback each period, with the skipped periods in
    /// [`Expiry::overruns`]. [`Error::ZeroPeriod`] for a zero period;
    /// otherwise as [`set_abs`](Self::set_abs) for `first`.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("per", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(4)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.start_periodic(t, Some(10), 10, Some(events.alloc()?))?;
    /// mock.increment(10_000_000u64); // tick 10
    /// pool.expire();
    /// let ev = q.pop().unwrap();
    /// assert_eq!((ev.tick(), ev.overruns()), (10, 0));
    /// pool.ack(t, ev)?;
    /// mock.increment(25_000_000u64); // tick 35: 20 and 30 are due
    /// pool.expire();
    /// let ev = q.pop().unwrap();
    /// assert_eq!((ev.tick(), ev.overruns()), (20, 1)); // late: 20, and 30 folded in
    /// assert_eq!(pool.next_deadline(), Some(40)); // still on the grid
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_periodic(
        &self,
        timer: TimerKey,
        first: Option<u64>,
        period: u64,
        event: Option<Timeout>,
    ) -> Result<Armed, SetError> {
        if period == 0 {
            return Err(SetError::new(Error::ZeroPeriod, event));
        }
        self.set_with(timer, event, Some(period), |now| {
            first.or_else(|| now.checked_add(period))
        })
    }

    /// Hands a periodic timer's delivered event back, for its next period
    /// (ODP's `odp_timer_periodic_ack`). If the timer is no longer running
    /// periodically (cancelled, stopped, freed) the event comes back in the
    /// [`SetError`]: the application keeps it, nothing is lost.
    ///
    /// ```
    /// use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("ack", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(4)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.start_periodic(t, None, 5, Some(events.alloc()?))?;
    /// mock.increment(5_000_000u64);
    /// pool.expire();
    /// let ev = q.pop().unwrap();
    /// assert_eq!(pool.cancel(t).unwrap_err(), Error::AlreadyExpired); // stopped; its event is ours
    /// let back = pool.ack(t, ev).unwrap_err();
    /// assert_eq!(back.error, Error::NotArmed);
    /// assert!(back.event.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ack(&self, timer: TimerKey, event: Timeout) -> Result<(), SetError> {
        let s = match self.shard_of(timer) {
            Ok(s) => s,
            Err(e) => return Err(SetError::new(e, Some(event))),
        };
        S::with(&s.core, |c| c.ack(timer, event))
    }

    /// Changes a timer's period, from anywhere (another thread, or its own
    /// callback; VirtualBox's `RTTimerChangeInterval`). The expiry already
    /// scheduled stays; the ones after it follow the new period from it. A
    /// one-shot timer becomes periodic. [`Error::ZeroPeriod`] for 0.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams, TimeoutPool, TimeoutQueue};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = LocalTimerPool::new_local("p", PoolParams::default().clock(clock))?;
    /// let (q, events) = (TimeoutQueue::new(4)?, TimeoutPool::new(1)?);
    /// let t = pool.alloc(&q, 0)?;
    /// pool.start_periodic(t, Some(10), 10, Some(events.alloc()?))?;
    /// pool.set_period(t, 3)?;
    /// mock.increment(10_000_000u64);
    /// pool.expire();
    /// pool.ack(t, q.pop().unwrap())?;
    /// assert_eq!(pool.next_deadline(), Some(13));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_period(&self, timer: TimerKey, period: u64) -> Result<(), Error> {
        if period == 0 {
            return Err(Error::ZeroPeriod);
        }
        let s = self.shard_of(timer)?;
        S::with(&s.core, |c| c.set_period(timer, period))
    }

    /// Stops a timer of either kind (DPDK's `rte_timer_stop`): it becomes
    /// idle and a periodic one stops repeating; an event it held comes back.
    /// [`Error::Running`] if its callback is running on another thread at
    /// that moment (see [`stop_sync`](Self::stop_sync)); from inside its own
    /// callback it works. Stopping an idle timer is not an error.
    ///
    /// ```
    /// use hrwheel::{ClockSource, LocalTimerPool, PoolParams};
    /// let pool = LocalTimerPool::new_local("s", PoolParams::default().clock(ClockSource::mock().0))?;
    /// let t = pool.alloc_callback(0, |_, _| {})?;
    /// pool.set_rel(t, 5, None)?;
    /// assert!(pool.is_pending(t)?);
    /// assert!(pool.stop(t)?.is_none());
    /// assert!(!pool.is_pending(t)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&self, timer: TimerKey) -> Result<Option<Timeout>, Error> {
        let s = self.shard_of(timer)?;
        let own = Self::in_own_callback(timer);
        S::with(&s.core, |c| {
            let r = c.stop(timer, own);
            Self::publish(s, c);
            r
        })
    }

    /// [`stop`](Self::stop), waiting while the timer's callback runs on
    /// another thread (DPDK's `rte_timer_stop_sync`): when it returns `Ok`,
    /// the timer is stopped and its callback is not running. Called from the
    /// timer's own callback it returns [`Error::InOwnCallback`] instead of
    /// waiting for itself.
    ///
    /// ```
    /// use hrwheel::{Error, PoolParams, TimerPool};
    /// use std::sync::Arc;
    /// let pool = Arc::new(TimerPool::new("s", PoolParams::default().shards(1))?);
    /// let t = pool.alloc_callback(0, |pool, e| {
    ///     assert!(matches!(pool.stop_sync(e.timer), Err(Error::InOwnCallback)));
    /// })?;
    /// pool.stop_sync(t)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop_sync(&self, timer: TimerKey) -> Result<Option<Timeout>, Error> {
        if Self::in_own_callback(timer) {
            return Err(Error::InOwnCallback);
        }
        loop {
            match self.stop(timer) {
                Err(Error::Running) => crate::sync::yield_now(),
                r => return r,
            }
        }
    }

    /// Whether the timer is armed (DPDK's `rte_timer_pending`).
    ///
    /// ```
    /// use hrwheel::{LocalTimerPool, PoolParams};
    /// let pool = LocalTimerPool::new_local("p", PoolParams::default())?;
    /// let t = pool.alloc_callback(0, |_, _| {})?;
    /// assert!(!pool.is_pending(t)?);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn is_pending(&self, timer: TimerKey) -> Result<bool, Error> {
        let s = self.shard_of(timer)?;
        S::with(&s.core, |c| c.status(timer)).map(|(pending, _)| pending)
    }

    /// Whether the timer's callback is running now (on any thread).
    ///
    /// ```
    /// use hrwheel::{LocalTimerPool, PoolParams};
    /// let pool = LocalTimerPool::new_local("p", PoolParams::default())?;
    /// let t = pool.alloc_callback(0, |_, _| {})?;
    /// assert!(!pool.is_running(t)?);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn is_running(&self, timer: TimerKey) -> Result<bool, Error> {
        let s = self.shard_of(timer)?;
        S::with(&s.core, |c| c.status(timer)).map(|(_, running)| running)
    }

    /// Changes the queue an event timer delivers to, without free and
    /// alloc (its next expiry goes there). [`Error::CallbackTimer`] for a
    /// callback timer.
    ///
    /// ```
    /// use hrwheel::{LocalTimerPool, PoolParams, TimeoutQueue};
    /// let pool = LocalTimerPool::new_local("q", PoolParams::default())?;
    /// let t = pool.alloc(&TimeoutQueue::new(1)?, 0)?;
    /// pool.set_queue(t, &TimeoutQueue::new(1)?)?;
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn set_queue(&self, timer: TimerKey, queue: &TimeoutQueue) -> Result<(), Error> {
        let s = self.shard_of(timer)?;
        S::with(&s.core, |c| c.set_queue(timer, queue))
    }

    /// Moves a timer to shard `shard` (DPDK's `tim_lcore` argument of
    /// `rte_timer_reset`), keeping everything (armed at the same tick, its
    /// event, queue or callback, context, period), without free and alloc.
    /// The timer gets a new key, returned; the old key reads
    /// [`Error::StaleKey`] from then on, and its delivered events are
    /// stale. From inside its own callback a timer may move itself (DPDK's
    /// `rte_timer_reset` to another lcore from the callback): it keeps
    /// running under the new key, which is the callback's own from then on
    /// (set, stop or move it again), and its closure goes to the new shard
    /// when the callback returns. From anywhere else, [`Error::Running`]
    /// while its callback runs (move it after `stop_sync`).
    ///
    /// ```
    /// use hrwheel::{PoolParams, TimeoutQueue, TimerPool};
    /// let pool = TimerPool::new("m", PoolParams::default().shards(2))?;
    /// let t = pool.alloc_on(0, &TimeoutQueue::new(1)?, 0)?;
    /// let t = pool.move_to(t, 1)?;
    /// assert_eq!(t.shard(), 1);
    /// # Ok::<(), hrwheel::Error>(())
    /// ```
    pub fn move_to(&self, timer: TimerKey, shard: usize) -> Result<TimerKey, Error> {
        let from = self.shard_of(timer)?;
        let to = self.shards.get(shard).ok_or(Error::NoSuchShard)?;
        if timer.shard() == shard {
            return Ok(timer);
        }
        let own = Self::in_own_callback(timer);
        let (slot, tick) = S::with(&from.core, |c| {
            let r = c.take_out(timer, own);
            if r.is_ok() {
                Self::publish(from, c);
            }
            r
        })?;
        let key = S::with(&to.core, |c| {
            let key = c.put_in(slot, tick);
            if let Some(tick) = tick.map(due_bound) {
                if tick < to.next_due.load() {
                    to.next_due.store(tick);
                }
            }
            key
        });
        if own {
            // The running callback now runs the moved timer: its closure
            // goes to the new shard when it returns, and the new key is
            // its own from here on (stop, set, move it again, ...).
            RUNNING.with(|r| r.set(Some(key)));
        }
        if S::SHARED && tick.is_some() {
            self.waker.wake();
        }
        Ok(key)
    }
}

#[cfg(not(loom))]
std::thread_local! {
    /// The timer whose callback the calling thread is running, if any.
    static RUNNING: std::cell::Cell<Option<TimerKey>> = const { std::cell::Cell::new(None) };
}

#[cfg(loom)]
loom::thread_local! {
    /// The timer whose callback the calling thread is running, if any.
    static RUNNING: std::cell::Cell<Option<TimerKey>> = std::cell::Cell::new(None);
}

// ---- Issue 10: what `duration.rs` and `driver.rs` need from the pool -------
impl<S: Sharing> TimerPool<S> {
    /// Nanoseconds since creation as a set or pass reads them (never below
    /// what `current_tick` returned; writes nothing).
    #[inline]
    pub(crate) fn reading_ns(&self) -> u64 {
        self.clock.now_ns().max(self.last_ns.load())
    }

    /// Length of one tick, ns.
    #[inline]
    pub(crate) fn resolution(&self) -> u64 {
        self.limits.resolution_ns
    }

    /// The driver registration.
    pub(crate) fn waker(&self) -> &crate::driver::Waker {
        &self.waker
    }

    /// [`expire`](Self::expire) without waiting for a shard lock: a shard
    /// whose lock is held is skipped. Returns the events delivered plus the
    /// callbacks run, and whether a due shard was skipped (the spinning driver retries then
    /// instead of sleeping on the lock).
    pub(crate) fn try_expire(&self) -> (usize, bool) {
        let now = self.reading();
        let (mut n, mut busy) = (0, false);
        for s in self.shards.iter() {
            if now < s.next_due.load() {
                continue;
            }
            let r = S::try_with(&s.core, |c| Self::locked_pass(s, c, now, None));
            match r {
                Some((k, ready)) => {
                    n += k;
                    if let Some(ready) = ready {
                        n += ready.len();
                        self.run_callbacks(s, ready);
                    }
                }
                None => busy = true,
            }
        }
        (n, busy)
    }

    /// Takes and releases every shard's lock once: a set that lowered a
    /// `next_due` before this call is visible after it, and a set after it
    /// sees whatever was stored before it (the driver's registration).
    pub(crate) fn sync_shards(&self) {
        for s in self.shards.iter() {
            S::with(&s.core, |_| ());
        }
    }
}

impl<S: Sharing> fmt::Debug for TimerPool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerPool")
            .field("name", &self.name)
            .field("shared", &S::SHARED)
            .field("shards", &self.shards.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    /// A pool id is compared whole: a key whose pool id differs from this
    /// pool's only above bit 32 (the width ids had while they wrapped after
    /// 2^32 pools) is foreign, on every operation, and touches nothing.
    #[test]
    fn a_key_of_a_pool_2_pow_32_ids_later_is_foreign() {
        let pool = LocalTimerPool::new_local(
            "ids",
            PoolParams::default().clock(crate::ClockSource::mock().0),
        )
        .unwrap();
        let q = crate::TimeoutQueue::new(1).unwrap();
        let t = pool.alloc(&q, 0).unwrap();
        let forged = TimerKey {
            place: crate::key::place(pool.id + (1 << 32), t.shard()),
            key: t.key,
        };
        assert_ne!(forged, t);
        assert_eq!(pool.cancel(forged).unwrap_err(), Error::ForeignKey);
        assert_eq!(pool.free(forged).unwrap_err(), Error::ForeignKey);
        assert_eq!(
            pool.set_rel(forged, 5, None).unwrap_err().error,
            Error::ForeignKey
        );
        // The real key still names its timer, untouched.
        assert_eq!(pool.cancel(t).unwrap_err(), Error::NotArmed);
        assert!(pool.free(t).unwrap().is_none());
    }

    /// `expire_shard` with nothing due returns without touching the lock:
    /// it completes while another thread holds the shard's mutex. Once a
    /// timer is due, the same call has to wait for the lock.
    #[test]
    fn expire_fast_path_takes_no_lock() {
        use std::sync::mpsc;
        use std::sync::Arc;
        use std::time::Duration;

        let (clock, mock) = crate::ClockSource::mock();
        let pool = Arc::new(
            TimerPool::new(
                "fast",
                PoolParams::default()
                    .resolution_ns(1_000)
                    .clock(clock)
                    .shards(1),
            )
            .unwrap(),
        );
        let events = crate::TimeoutPool::new(1).unwrap();
        let q = TimeoutQueue::new(1).unwrap();
        let t = pool.alloc(&q, 0).unwrap();
        pool.set_rel(t, 10, Some(events.alloc().unwrap())).unwrap();
        mock.increment(5_000u64); // tick 5: nothing due

        let guard = pool.shards[0].core.lock();
        let (tx, rx) = mpsc::channel();
        let p2 = pool.clone();
        let h = std::thread::spawn(move || {
            tx.send(p2.expire()).unwrap();
            mock.increment(5_000u64); // tick 10: due
            tx.send(p2.expire()).unwrap();
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(0),
            "no lock taken"
        );
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "a due timer needs the lock"
        );
        drop(guard);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
        h.join().unwrap();
    }

    #[test]
    fn shared_pool_is_send_sync_and_local_is_send() {
        assert_send_sync::<TimerPool>();
        assert_send::<LocalTimerPool>();
        // `LocalTimerPool: !Sync`, checked at compile time: if it were
        // `Sync`, both impls would apply and the path below would be
        // ambiguous.
        trait AmbiguousIfSync<A> {
            fn item() {}
        }
        impl<T: ?Sized> AmbiguousIfSync<()> for T {}
        impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
        <LocalTimerPool as AmbiguousIfSync<_>>::item();
        assert_send_sync::<Timeout>();
        assert_send_sync::<TimeoutQueue>();
    }

    /// The `next_due` word and the lock sit on different cache lines.
    #[test]
    fn shard_words_do_not_share_a_cache_line() {
        let pool = TimerPool::new("lines", PoolParams::default().shards(1)).unwrap();
        let s = &pool.shards[0];
        let a = std::ptr::from_ref(&*s.next_due) as usize;
        let b = std::ptr::from_ref(&*s.core) as usize;
        assert!(a.abs_diff(b) >= 64, "{a:#x} {b:#x}");
    }
}
