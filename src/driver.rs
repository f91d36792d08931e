//! A background thread that runs a shared pool's expiry (issue 10): ODP's
//! timer processing thread, for applications without a poll loop.
//!
//! ```text
//!   Driver::spawn(pool, mode)
//!     loop:  next_deadline() -> tick -> tick_to_ns -> due_ns
//!            now < due_ns ?  Park: park_timeout(due_ns - now)
//!                            Spin { last_ns }: park_timeout(due_ns - now - last_ns),
//!                                              then busy-spin the last stretch
//!            now >= due_ns:  expire()  (events go to their queues)
//!     set_* lowering a shard's next_due --unpark--> the driver re-reads next_deadline()
//!     drop(driver): stop flag + unpark, join; armed timers stay armed, delivered events stay queued
//! ```
//!
//! The pool keeps one optional driver registration (a flag and the
//! thread's handle). A set only looks at it when it *lowers* a shard's
//! `next_due` (a sooner deadline than any before it on that shard), and
//! then reads one flag; with no driver registered nothing else happens, so
//! the reset path of a pool without a driver costs nothing extra. When a
//! driver is registered, that set unparks it after releasing the shard
//! lock, and the driver re-reads `next_deadline()`.
//!
//! No wake-up is lost: a set stores the lowered `next_due` before it
//! unparks, the driver reads `next_deadline()` before it parks, and a
//! `Thread::unpark` that comes before the `park` makes the `park` return at
//! once. Registration itself is ordered by taking every shard's lock once
//! after setting the flag (a set before that is seen by the driver's first
//! read, a set after it sees the flag).
//!
//! The driver never sleeps on a shard lock: a pass skips a shard whose
//! lock a set holds and the driver spins and retries (a set holds it for a
//! fraction of a µs, while a thread parked on the lock waits for an idle
//! CPU to wake up; see `examples/driver_lateness.rs` for the measurements).
//!
//! The sleep is the OS's (`std::thread::park_timeout`): on Linux a normal
//! thread's timer slack is 50 µs, so a parking driver is typically tens of
//! µs late; a spinning driver parks until `last_ns` before the deadline and
//! reads the pool clock in a loop from there, at the price of a busy core
//! during that stretch. With a mock or external clock that does not run at
//! real-time pace, call [`Driver::wake`] after moving the clock.
//!
//! [`TimerPool::expire`] stays for DPDK-style poll loops; a pool has at most
//! one driver at a time, and a [`LocalTimerPool`](crate::LocalTimerPool)
//! (one thread) has none.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use crate::pool::TimerPool;

/// How long a driver waits before retrying events that found their queue
/// full (a queue cannot signal room).
const STALL_BACKOFF: Duration = Duration::from_micros(50);

/// The pool's driver registration (one per pool).
pub(crate) struct Waker {
    registered: AtomicBool,
    thread: parking_lot::Mutex<Option<Thread>>,
}

impl Waker {
    pub(crate) const fn new() -> Self {
        Waker {
            registered: AtomicBool::new(false),
            thread: parking_lot::Mutex::new(None),
        }
    }

    /// Called by a set that lowered a shard's `next_due`.
    #[inline]
    pub(crate) fn wake(&self) {
        if self.registered.load(Ordering::Relaxed) {
            self.wake_slow();
        }
    }

    #[cold]
    fn wake_slow(&self) {
        if let Some(t) = &*self.thread.lock() {
            t.unpark();
        }
    }
}

/// How a [`Driver`] waits for the next deadline.
///
/// ```
/// use hrwheel::DriverMode;
/// assert_eq!(DriverMode::spin(), DriverMode::Spin { last_ns: 200_000 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverMode {
    /// Sleep (`park_timeout`) until the next deadline: no CPU while
    /// waiting, lateness of the order of the OS timer slack (tens of µs).
    Park,
    /// Sleep until `last_ns` before the next deadline, then busy-spin on the
    /// pool clock: sub-µs lateness for high-resolution pools, a busy core
    /// for the last `last_ns` of every wait. `last_ns: u64::MAX` never
    /// sleeps while a timer is armed.
    Spin {
        /// The stretch before each deadline spent spinning, ns.
        last_ns: u64,
    },
}

impl DriverMode {
    /// `Spin` with a 200 µs stretch: longer than the usual OS sleep
    /// overshoot, so the spin starts before the deadline.
    ///
    /// ```
    /// assert!(matches!(hrwheel::DriverMode::spin(), hrwheel::DriverMode::Spin { .. }));
    /// ```
    pub const fn spin() -> Self {
        DriverMode::Spin { last_ns: 200_000 }
    }

    fn spin_ns(self) -> u64 {
        match self {
            DriverMode::Park => 0,
            DriverMode::Spin { last_ns } => last_ns,
        }
    }
}

/// Why a driver could not be started or did not stop cleanly.
///
/// ```
/// use std::sync::Arc;
/// use hrwheel::{Driver, DriverError, DriverMode, PoolParams, TimerPool};
/// let pool = Arc::new(TimerPool::new("one", PoolParams::default())?);
/// let d = Driver::spawn(pool.clone(), DriverMode::Park)?;
/// assert!(matches!(Driver::spawn(pool, DriverMode::Park), Err(DriverError::AlreadyDriven)));
/// # drop(d);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DriverError {
    /// The pool already has a driver.
    AlreadyDriven,
    /// The OS refused to start the thread.
    Spawn(std::io::Error),
    /// The driver thread panicked (in the observer given to
    /// [`Driver::spawn_observed`]: the driver's own code does not panic).
    Panicked,
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::AlreadyDriven => f.write_str("the pool already has a driver"),
            DriverError::Spawn(_) => f.write_str("cannot start the driver thread"),
            DriverError::Panicked => f.write_str("the driver thread panicked"),
        }
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DriverError::Spawn(e) => Some(e),
            _ => None,
        }
    }
}

/// A driver's counters.
///
/// ```
/// let s = hrwheel::DriverStats::default();
/// assert_eq!((s.passes, s.delivered, s.parks), (0, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverStats {
    /// Expiry passes that delivered at least one event or ran at least one
    /// callback.
    pub passes: u64,
    /// Events delivered to queues plus callbacks run.
    pub delivered: u64,
    /// Times the thread went to sleep (`park` or `park_timeout`).
    pub parks: u64,
}

/// One expiry pass that delivered events or ran callbacks, as seen by the
/// observer of
/// [`Driver::spawn_observed`]. Times are pool ns ([`TimerPool::now_ns`]).
///
/// ```
/// let r = hrwheel::PassRecord::default();
/// assert_eq!(r.start_ns.saturating_sub(r.due_ns), 0); // how late the driver woke
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PassRecord {
    /// The first ns of the deadline tick the driver was waiting for.
    pub due_ns: u64,
    /// The clock reading just before the pass.
    pub start_ns: u64,
    /// The clock reading just after it.
    pub end_ns: u64,
    /// Events the pass delivered plus callbacks it ran.
    pub delivered: usize,
    /// Whether the driver slept (parked) since the previous delivering
    /// pass: `false` means it was spinning or passing all along, so a late
    /// `start_ns` was not the OS sleep's overshoot.
    pub slept: bool,
}

#[derive(Default)]
struct Control {
    stop: AtomicBool,
    passes: AtomicU64,
    delivered: AtomicU64,
    parks: AtomicU64,
}

impl Control {
    fn stats(&self) -> DriverStats {
        DriverStats {
            passes: self.passes.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            parks: self.parks.load(Ordering::Relaxed),
        }
    }

    fn park(&self, timeout: Option<Duration>, slept: &mut bool) {
        *slept = true;
        self.parks.fetch_add(1, Ordering::Relaxed);
        match timeout {
            Some(t) => thread::park_timeout(t),
            None => thread::park(),
        }
    }
}

/// A thread running a shared pool's expiry: it sleeps until the pool's
/// [`next_deadline`](TimerPool::next_deadline), is woken early when a set
/// makes a deadline sooner, and runs [`expire`](TimerPool::expire).
/// Dropping it stops and joins the thread; timers still armed stay armed,
/// events already delivered stay in their queues.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use hrwheel::{Driver, DriverMode, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
///
/// let pool = Arc::new(TimerPool::new("driven", PoolParams::default()
///     .resolution_ns(100_000).max_timeout_ns(1_000_000_000))?); // 100 µs ticks, TSC
/// let driver = Driver::spawn(pool.clone(), DriverMode::Park)?;
/// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
/// let t = pool.alloc(&q, 0)?;
/// let set_at = pool.now_ns();
/// pool.set_after(t, Duration::from_millis(2), Some(events.alloc()?))?;
/// let deadline = Instant::now() + Duration::from_secs(30);
/// let ev = loop {
///     if let Some(ev) = q.pop() { break ev; }
///     assert!(Instant::now() < deadline, "never delivered");
///     std::thread::sleep(Duration::from_micros(100));
/// };
/// assert!(pool.now_ns() - set_at >= 2_000_000, "never early");
/// assert_eq!(ev.timer(), Some(t));
/// drop(driver); // joins the thread
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Driver {
    pool: Arc<TimerPool>,
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl Driver {
    /// Starts a driver thread for `pool`. [`DriverError::AlreadyDriven`]
    /// if the pool has one (stop it first), [`DriverError::Spawn`] if the
    /// OS refuses the thread.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hrwheel::{Driver, DriverMode, PoolParams, TimerPool};
    /// let pool = Arc::new(TimerPool::new("p", PoolParams::default())?);
    /// let driver = Driver::spawn(pool, DriverMode::spin())?;
    /// # drop(driver);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(pool: Arc<TimerPool>, mode: DriverMode) -> Result<Driver, DriverError> {
        Self::spawn_observed(pool, mode, |_| {})
    }

    /// As [`spawn`](Self::spawn), calling `on_pass` on the driver thread
    /// after every pass that delivered events (instrumentation: how late
    /// the driver woke, how long the pass took, how many events it
    /// delivered). `on_pass` delays the next pass by its own run time.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use hrwheel::{Driver, DriverMode, PassRecord, PoolParams, TimerPool};
    /// let pool = Arc::new(TimerPool::new("p", PoolParams::default())?);
    /// let passes = Arc::new(Mutex::new(Vec::<PassRecord>::new()));
    /// let sink = passes.clone();
    /// let driver = Driver::spawn_observed(pool, DriverMode::Park, move |p| {
    ///     sink.lock().unwrap().push(*p);
    /// })?;
    /// driver.stop()?;
    /// assert!(passes.lock().unwrap().is_empty()); // no timer was set
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn_observed(
        pool: Arc<TimerPool>,
        mode: DriverMode,
        on_pass: impl FnMut(&PassRecord) + Send + 'static,
    ) -> Result<Driver, DriverError> {
        let control = Arc::new(Control::default());
        let handle = {
            let mut slot = pool.waker().thread.lock();
            if slot.is_some() {
                return Err(DriverError::AlreadyDriven);
            }
            let (p, c) = (pool.clone(), control.clone());
            let handle = thread::Builder::new()
                .name("hrwheel-driver".into())
                .spawn(move || run(&p, &c, mode, on_pass))
                .map_err(DriverError::Spawn)?;
            *slot = Some(handle.thread().clone());
            pool.waker().registered.store(true, Ordering::SeqCst);
            handle
        };
        // Order the registration against sets in flight (module docs), then
        // make the thread read `next_deadline` once more.
        pool.sync_shards();
        handle.thread().unpark();
        Ok(Driver {
            pool,
            control,
            thread: Some(handle),
        })
    }

    /// The driven pool.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hrwheel::{Driver, DriverMode, PoolParams, TimerPool};
    /// let pool = Arc::new(TimerPool::new("p", PoolParams::default())?);
    /// let driver = Driver::spawn(pool.clone(), DriverMode::Park)?;
    /// assert!(Arc::ptr_eq(driver.pool(), &pool));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pool(&self) -> &Arc<TimerPool> {
        &self.pool
    }

    /// Makes the driver re-read the clock and `next_deadline()` now: needed
    /// only with a clock that does not run at real-time pace (a mock moved
    /// by hand, an external source), after moving it. Sets wake the driver
    /// by themselves.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::{Duration, Instant};
    /// use hrwheel::{ClockSource, Driver, DriverMode, PoolParams, TimeoutPool, TimeoutQueue, TimerPool};
    /// let (clock, mock) = ClockSource::mock();
    /// let pool = Arc::new(TimerPool::new("m", PoolParams::default().clock(clock))?);
    /// let driver = Driver::spawn(pool.clone(), DriverMode::Park)?;
    /// let (q, events) = (TimeoutQueue::new(1)?, TimeoutPool::new(1)?);
    /// pool.set_after(pool.alloc(&q, 0)?, Duration::from_secs(5), Some(events.alloc()?))?;
    /// mock.increment(5_000_000_000u64); // 5 s of mock time
    /// driver.wake();
    /// let deadline = Instant::now() + Duration::from_secs(30);
    /// while q.is_empty() {
    ///     assert!(Instant::now() < deadline);
    ///     std::thread::yield_now();
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wake(&self) {
        if let Some(h) = &self.thread {
            h.thread().unpark();
        }
    }

    /// The driver's counters so far.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hrwheel::{Driver, DriverMode, PoolParams, TimerPool};
    /// let driver = Driver::spawn(Arc::new(TimerPool::new("p", PoolParams::default())?), DriverMode::Park)?;
    /// assert_eq!(driver.stats().delivered, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> DriverStats {
        self.control.stats()
    }

    /// Stops and joins the thread (as dropping the driver does) and returns
    /// its final counters; [`DriverError::Panicked`] if the observer
    /// panicked. The pool can take a new driver afterwards.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use hrwheel::{Driver, DriverMode, PoolParams, TimerPool};
    /// let pool = Arc::new(TimerPool::new("p", PoolParams::default())?);
    /// let stats = Driver::spawn(pool.clone(), DriverMode::Park)?.stop()?;
    /// assert_eq!(stats.passes, 0);
    /// let again = Driver::spawn(pool, DriverMode::Park)?; // the slot is free
    /// # drop(again);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(mut self) -> Result<DriverStats, DriverError> {
        let ok = self.shutdown();
        let stats = self.control.stats();
        if ok {
            Ok(stats)
        } else {
            Err(DriverError::Panicked)
        }
    }

    /// Stops, joins and unregisters the thread; `false` if it panicked.
    fn shutdown(&mut self) -> bool {
        let Some(h) = self.thread.take() else {
            return true;
        };
        self.control.stop.store(true, Ordering::Release);
        h.thread().unpark();
        let ok = h.join().is_ok();
        let waker = self.pool.waker();
        let mut slot = waker.thread.lock();
        waker.registered.store(false, Ordering::SeqCst);
        *slot = None;
        ok
    }
}

impl Drop for Driver {
    /// Stops and joins the thread (a panic of the observer is ignored here:
    /// use [`Driver::stop`] to see it).
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("pool", &self.pool)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The driver thread.
fn run(pool: &TimerPool, c: &Control, mode: DriverMode, mut on_pass: impl FnMut(&PassRecord)) {
    let spin_ns = mode.spin_ns();
    let mut slept = false;
    while !c.stop.load(Ordering::Acquire) {
        let Some(tick) = pool.next_deadline() else {
            c.park(None, &mut slept);
            continue;
        };
        let due_ns = pool.tick_to_ns(tick);
        let now = pool.reading_ns();
        if now < due_ns {
            let wait = due_ns - now;
            if wait > spin_ns {
                c.park(Some(Duration::from_nanos(wait - spin_ns)), &mut slept);
            } else {
                std::hint::spin_loop();
            }
            continue;
        }
        // The driver never sleeps on a shard lock: if a set holds it (for
        // a fraction of a µs), spin and retry. Measured with
        // `examples/driver_lateness.rs`: blocking passes made the driver
        // and a re-arming consumer park on the lock ~10k times a second
        // each, every park costing the wake-up of an idle CPU (tens of µs
        // on a VM), and the backlog that built up made passes longer and
        // parks likelier still.
        let (delivered, busy) = pool.try_expire();
        if busy && delivered == 0 {
            std::hint::spin_loop();
            continue;
        }
        if delivered > 0 {
            let end_ns = pool.reading_ns();
            c.passes.fetch_add(1, Ordering::Relaxed);
            c.delivered.fetch_add(delivered as u64, Ordering::Relaxed);
            on_pass(&PassRecord {
                due_ns,
                start_ns: now,
                end_ns,
                delivered,
                slept,
            });
            slept = false;
        } else if pool
            .next_deadline()
            .is_some_and(|t| pool.tick_to_ns(t) <= now)
        {
            // Still due after a pass that delivered nothing: events wait
            // for room in a full queue.
            c.park(Some(STALL_BACKOFF), &mut slept);
        }
    }
}
