//! M2 arm on one thread, run on another (WORKLOADS.md "M2", DPDK's timer
//! stress test 2): one owner thread runs `expire_shard(0)` in a loop; T - 1
//! producer threads set, reset and cancel 8,192 timers that live on the
//! owner's shard (`alloc_on(0, ..)`), on the real clock (TSC).
//!
//! The pool has one shard per thread (as a deployment would), a 10 µs
//! resolution on the wheel, timeouts uniform in [1, 100] ticks (10 µs to
//! 1 ms), so a good share of the armings fire. The timers are split among
//! the producers (timer `i` belongs to producer `i % (T - 1)`), so each
//! producer knows the history of its timers. A producer picks one of its
//! timers at random and, with equal probability:
//! - *set*: `set_rel(t, ticks, Some(new event))`; a replaced event coming
//!   back means its previous arming was superseded, none means it fired (if
//!   it had one);
//! - *reset*: `set_rel(t, ticks, None)`; `NoEvent` means the previous
//!   arming fired (or there was none), and the timer is then set with a new
//!   event;
//! - *cancel*: `cancel(t)`; `Ok` = the event came back (did not fire),
//!   `AlreadyExpired` = it fired.
//!
//! So the producers count, per timer, the armings that fired. At the end
//! the producers stop, the main thread cancels every timer still armed
//! (counting `AlreadyExpired` as fired), the owner runs a last pass and
//! stops; each timer's deliveries on the owner must equal its fired
//! count (exactly once), every event the owner popped must have `tick()` no
//! later than the owner's `current_tick()` read after the pass that
//! delivered it (never early), and the owner must have popped exactly what
//! its `expire_shard` calls reported (delivered on the owner). Figures: ns
//! per producer operation (wall and CPU), expiries per second on the owner.
//!
//! Baseline: the same with one `Mutex<BinaryHeap>` (lazy cancel): a
//! producer pushes under the lock (set and reset are the same operation,
//! there is no event), a cancel marks the timer disarmed; the owner locks,
//! pops what is due and unlocks, in a loop.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use cpu_time::ThreadTime;
use hrwheel::{
    Backend, ClockSource, Error, PoolParams, Shared, TimeoutPool, TimeoutQueue, TimerKey, TimerPool,
};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use super::{fail, join_all};
use crate::check::CheckError;
use crate::report::median;
use crate::scale::Mode;

/// M2 parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Timers, all on the owner's shard.
    pub timers: usize,
    /// Timed length per run, ms.
    pub duration_ms: u64,
    /// Thread counts (owner + producers).
    pub threads: Vec<usize>,
    /// Runs per (variant, T).
    pub runs: usize,
    /// Tick, ns.
    pub resolution_ns: u64,
    /// Shortest timeout, ticks.
    pub min_ticks: u64,
    /// Longest timeout, ticks.
    pub max_ticks: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// WORKLOADS.md: 8,192 timers, 2 s; T = 2 and 3.
    pub fn reference() -> Self {
        Params {
            timers: 8_192,
            duration_ms: 2_000,
            threads: vec![2, 3],
            runs: 3,
            resolution_ns: 10_000,
            min_ticks: 1,
            max_ticks: 100,
            seed: super::SEED,
        }
    }

    /// Full = WORKLOADS.md (3 runs); default 0.5 s, quick 0.2 s (5 runs).
    pub fn of(mode: Mode) -> Self {
        let r = Self::reference();
        match mode {
            Mode::Full => r,
            Mode::Default => Params {
                duration_ms: 500,
                runs: 5,
                ..r
            },
            Mode::Quick => Params {
                duration_ms: 200,
                runs: 5,
                ..r
            },
        }
    }
}

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// A shared `TimerPool`, timers on the owner's shard.
    Pool,
    /// A `Mutex<BinaryHeap>` with lazy cancel.
    MutexHeap,
}

impl Variant {
    /// Both, in table order.
    pub const ALL: [Variant; 2] = [Variant::Pool, Variant::MutexHeap];

    /// Table label.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Pool => "shared TimerPool (timers on the owner's shard)",
            Variant::MutexHeap => "Mutex<BinaryHeap> (lazy cancel)",
        }
    }
}

/// One run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// The variant.
    pub variant: Variant,
    /// Threads (owner + producers).
    pub threads: usize,
    /// Producer operations (set + reset + cancel), all producers.
    pub ops: u64,
    /// Of which sets and resets.
    pub sets: u64,
    /// Producer wall seconds, summed over producers.
    pub producer_wall: f64,
    /// Producer CPU seconds, summed.
    pub producer_cpu: f64,
    /// Expiries delivered on the owner (all checked).
    pub expiries: u64,
    /// Owner's timed wall seconds.
    pub owner_wall: f64,
    /// Owner's expiry passes (calls that took the lock, for the pool).
    pub passes: u64,
    /// Lateness of the deliveries (the owner's tick when it popped the
    /// event minus the event's tick), summed, ticks.
    pub late_sum: u64,
    /// The largest lateness, ticks.
    pub late_max: u64,
    /// The owner's CPU seconds over the timed part.
    pub owner_cpu: f64,
}

impl Outcome {
    /// Wall ns per producer operation.
    pub fn ns_per_op(&self) -> f64 {
        self.producer_wall * 1e9 / self.ops.max(1) as f64
    }

    /// CPU ns per producer operation.
    pub fn cpu_ns_per_op(&self) -> f64 {
        self.producer_cpu * 1e9 / self.ops.max(1) as f64
    }

    /// Mean lateness of a delivery, ticks.
    pub fn mean_late(&self) -> f64 {
        self.late_sum as f64 / self.expiries.max(1) as f64
    }

    /// Expiries per second on the owner.
    pub fn expiries_per_sec(&self) -> f64 {
        self.expiries as f64 / self.owner_wall.max(1e-9)
    }
}

/// A producer's view of its timers: whether each has an arming whose fate
/// is not known yet, and how many of its armings fired.
struct Ledger {
    outstanding: Vec<bool>,
    fired: Vec<u64>,
}

impl Ledger {
    fn new(n: usize) -> Self {
        Ledger {
            outstanding: vec![false; n],
            fired: vec![0; n],
        }
    }

    /// The previous arming of `i` (if any) fired.
    #[inline]
    fn resolve_fired(&mut self, i: usize) {
        if self.outstanding[i] {
            self.fired[i] += 1;
        }
    }
}

struct ProducerOut {
    ledger: Ledger,
    ops: u64,
    sets: u64,
    wall: f64,
    cpu: f64,
}

/// What the owner thread saw over a run.
struct OwnerOut {
    /// Deliveries per timer.
    delivered: Vec<u64>,
    popped: u64,
    passes: u64,
    wall: f64,
    late_sum: u64,
    late_max: u64,
    cpu: f64,
}

/// Lets the producers (waiting at the start barrier, which the caller has
/// just passed) run for the workload's duration, stops them, and collects
/// what each one did.
fn run_producers<'s>(
    p: &Params,
    stop: &AtomicBool,
    hs: Vec<std::thread::ScopedJoinHandle<'s, Result<ProducerOut, CheckError>>>,
    imp: &'static str,
) -> Vec<Result<ProducerOut, CheckError>> {
    std::thread::sleep(std::time::Duration::from_millis(p.duration_ms));
    stop.store(true, Ordering::Relaxed);
    join_all(hs, imp, "producer panicked")
}

/// The run's outcome, once the reconciliation (`res`) and the owner
/// succeeded and every timer's deliveries match its expiries (`fired`).
fn conclude(
    imp: &'static str,
    variant: Variant,
    threads: usize,
    res: Result<(), CheckError>,
    owner: Result<OwnerOut, CheckError>,
    fired: &[u64],
    outs: Vec<Result<ProducerOut, CheckError>>,
) -> Result<Outcome, CheckError> {
    res?;
    let owner = owner?;
    exactly_once(imp, &owner.delivered[..fired.len()], fired)?;
    let outs: Vec<ProducerOut> = outs.into_iter().collect::<Result<_, _>>()?;
    Ok(Outcome {
        variant,
        threads,
        ops: outs.iter().map(|o| o.ops).sum(),
        sets: outs.iter().map(|o| o.sets).sum(),
        producer_wall: outs.iter().map(|o| o.wall).sum(),
        producer_cpu: outs.iter().map(|o| o.cpu).sum(),
        expiries: owner.popped,
        owner_wall: owner.wall,
        passes: owner.passes,
        late_sum: owner.late_sum,
        late_max: owner.late_max,
        owner_cpu: owner.cpu,
    })
}

/// Runs `variant` once with `threads` threads (1 owner + the rest
/// producers).
pub fn run_once(p: &Params, variant: Variant, threads: usize) -> Result<Outcome, CheckError> {
    assert!(threads >= 2, "M2 needs an owner and a producer");
    match variant {
        Variant::Pool => pool_run(p, threads),
        Variant::MutexHeap => heap_run(p, threads),
    }
}

fn producer_rng(p: &Params, j: usize) -> SmallRng {
    SmallRng::seed_from_u64(p.seed ^ (j as u64 + 7).wrapping_mul(0x9E37_79B9))
}

fn pool_run(p: &Params, threads: usize) -> Result<Outcome, CheckError> {
    const IMP: &str = "M2 pool";
    let n = p.timers;
    let producers = threads - 1;
    let pool = TimerPool::<Shared>::create(
        "m2",
        PoolParams::default()
            .resolution_ns(p.resolution_ns)
            .max_timeout_ns(2 * p.max_ticks * p.resolution_ns)
            .num_timers(threads * n)
            .clock(ClockSource::tsc())
            .backend(Backend::Wheel)
            .shards(threads),
    )
    .map_err(|e| fail(IMP, format!("create: {e}")))?;
    let queue = TimeoutQueue::new(2 * n).map_err(|e| fail(IMP, e.to_string()))?;
    let events = TimeoutPool::new(4 * n).map_err(|e| fail(IMP, e.to_string()))?;
    let keys: Vec<TimerKey> = (0..n as u64)
        .map(|i| pool.alloc_on(0, &queue, i))
        .collect::<Result<_, _>>()
        .map_err(|e| fail(IMP, format!("alloc_on: {e}")))?;
    let stop_producers = AtomicBool::new(false);
    let stop_owner = AtomicBool::new(false);
    let barrier = Barrier::new(threads + 1);
    let (pool, queue, events, keys) = (&pool, &queue, &events, &keys);
    let (stop_p, stop_o, barrier) = (&stop_producers, &stop_owner, &barrier);

    std::thread::scope(|s| {
        let owner = s.spawn(move || -> Result<_, CheckError> {
            let mut delivered = vec![0u64; n];
            let (mut reported, mut popped, mut early, mut passes) = (0u64, 0u64, 0u64, 0u64);
            let (mut late_sum, mut late_max) = (0u64, 0u64);
            barrier.wait();
            let (t0, c0) = (Instant::now(), ThreadTime::now());
            let (mut wall, mut cpu) = (0.0, 0.0);
            let mut last = false;
            loop {
                let done = stop_o.load(Ordering::Acquire);
                let got = pool.expire_shard(0).map_err(|e| fail(IMP, e.to_string()))?;
                reported += got as u64;
                if got > 0 || !queue.is_empty() {
                    passes += 1;
                    let now = pool.current_tick();
                    while let Some(ev) = queue.pop() {
                        early += u64::from(ev.tick() > now);
                        let late = now.saturating_sub(ev.tick());
                        late_sum += late;
                        late_max = late_max.max(late);
                        let i = ev.user_ctx() as usize;
                        delivered[i] += 1;
                        popped += 1;
                    }
                }
                if stop_p.load(Ordering::Relaxed) && wall == 0.0 {
                    wall = t0.elapsed().as_secs_f64();
                    cpu = c0.elapsed().as_secs_f64();
                }
                if done {
                    if last {
                        break;
                    }
                    last = true; // one more pass after the stop was seen
                }
            }
            if early > 0 {
                return Err(fail(IMP, format!("{early} events delivered early")));
            }
            if popped != reported {
                return Err(fail(
                    IMP,
                    format!("owner popped {popped} events, its passes delivered {reported}"),
                ));
            }
            Ok(OwnerOut {
                delivered,
                popped,
                passes,
                wall,
                late_sum,
                late_max,
                cpu,
            })
        });
        let hs: Vec<_> = (0..producers)
            .map(|j| {
                s.spawn(move || -> Result<ProducerOut, CheckError> {
                    let mine: Vec<usize> = (j..n).step_by(producers).collect();
                    let mut led = Ledger::new(n);
                    let mut rng = producer_rng(p, j);
                    let (mut ops, mut sets) = (0u64, 0u64);
                    barrier.wait();
                    let (t0, c0) = (Instant::now(), ThreadTime::now());
                    while !stop_p.load(Ordering::Relaxed) {
                        for _ in 0..256 {
                            let i = mine[rng.random_range(0..mine.len())];
                            let t = keys[i];
                            let ticks = rng.random_range(p.min_ticks..=p.max_ticks);
                            match rng.random_range(0..3u8) {
                                0 => {
                                    sets += 1;
                                    arm_new(pool, events, &mut led, i, t, ticks)?;
                                }
                                1 => {
                                    sets += 1;
                                    match pool.set_rel(t, ticks, None) {
                                        Ok(_) if led.outstanding[i] => {}
                                        Err(e) if e.error == Error::NoEvent => {
                                            led.resolve_fired(i);
                                            led.outstanding[i] = false;
                                            arm_new(pool, events, &mut led, i, t, ticks)?;
                                        }
                                        other => {
                                            return Err(fail(
                                                IMP,
                                                format!("reset of timer {i}: {:?}", other.err()),
                                            ))
                                        }
                                    }
                                }
                                _ => cancel(pool, &mut led, i, t)?,
                            }
                        }
                        ops += 256;
                    }
                    Ok(ProducerOut {
                        ledger: led,
                        ops,
                        sets,
                        wall: t0.elapsed().as_secs_f64(),
                        cpu: c0.elapsed().as_secs_f64(),
                    })
                })
            })
            .collect();
        barrier.wait();
        let mut outs = run_producers(p, stop_p, hs, IMP);
        // Reconcile: cancel what is still armed (from this thread: any
        // thread may), then let the owner run its last pass.
        let mut fired = vec![0u64; n];
        let mut res: Result<(), CheckError> = Ok(());
        for (j, o) in outs.iter_mut().enumerate() {
            match o {
                Ok(o) => {
                    for i in (j..n).step_by(producers) {
                        if let Err(e) = cancel(pool, &mut o.ledger, i, keys[i]) {
                            res = Err(e);
                        }
                        fired[i] = o.ledger.fired[i];
                    }
                }
                Err(e) => res = Err(e.clone()),
            }
        }
        stop_o.store(true, Ordering::Release);
        let owner = owner
            .join()
            .unwrap_or_else(|_| Err(fail(IMP, "owner panicked")));
        let out = conclude(IMP, Variant::Pool, threads, res, owner, &fired, outs)?;
        if events.available() != events.capacity() {
            return Err(fail(
                IMP,
                format!(
                    "{} of {} events not back",
                    events.capacity() - events.available(),
                    events.capacity()
                ),
            ));
        }
        Ok(out)
    })
}

/// Sets timer `i` with a new event, learning the fate of its previous
/// arming from the replaced event.
#[inline]
fn arm_new<S: hrwheel::Sharing>(
    pool: &TimerPool<S>,
    events: &TimeoutPool,
    led: &mut Ledger,
    i: usize,
    t: TimerKey,
    ticks: u64,
) -> Result<(), CheckError> {
    let ev = events
        .alloc()
        .map_err(|e| fail("M2 pool", format!("event: {e}")))?;
    match pool.set_rel(t, ticks, Some(ev)) {
        Ok(a) => {
            if a.replaced.is_none() {
                led.resolve_fired(i);
            }
            led.outstanding[i] = true;
            Ok(())
        }
        Err(e) => Err(fail("M2 pool", format!("set of timer {i}: {e}"))),
    }
}

#[inline]
fn cancel<S: hrwheel::Sharing>(
    pool: &TimerPool<S>,
    led: &mut Ledger,
    i: usize,
    t: TimerKey,
) -> Result<(), CheckError> {
    match pool.cancel(t) {
        Ok(_ev) if led.outstanding[i] => {}
        Err(Error::AlreadyExpired) => led.resolve_fired(i),
        Err(Error::NotArmed) if !led.outstanding[i] => {}
        other => {
            return Err(fail(
                "M2 pool",
                format!(
                    "cancel of timer {i} (outstanding {}): {:?}",
                    led.outstanding[i],
                    other.map(|e| e.id())
                ),
            ))
        }
    }
    led.outstanding[i] = false;
    Ok(())
}

/// The heap baseline's shared state: entries (tick, id, generation), and
/// per timer its generation and whether it is armed.
struct Heap {
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    gen: Vec<u32>,
    armed: Vec<bool>,
}

impl Heap {
    /// Arms `i` at `tick`; whether it was armed.
    #[inline]
    fn arm(&mut self, i: usize, tick: u64) -> bool {
        let g = self.gen[i].wrapping_add(1);
        self.gen[i] = g;
        self.heap.push(Reverse((tick, i as u32, g)));
        std::mem::replace(&mut self.armed[i], true)
    }

    /// Disarms `i`; whether it was armed.
    #[inline]
    fn disarm(&mut self, i: usize) -> bool {
        self.gen[i] = self.gen[i].wrapping_add(1);
        std::mem::replace(&mut self.armed[i], false)
    }
}

fn heap_run(p: &Params, threads: usize) -> Result<Outcome, CheckError> {
    const IMP: &str = "M2 heap";
    let n = p.timers;
    let producers = threads - 1;
    let heap = Mutex::new(Heap {
        heap: BinaryHeap::with_capacity(8 * n),
        gen: vec![0; n],
        armed: vec![false; n],
    });
    let clock = quanta::Clock::new();
    let origin = clock.now();
    let res = p.resolution_ns;
    let tick = || clock.now().duration_since(origin).as_nanos() as u64 / res;
    let lock = || heap.lock().map_err(|_| fail(IMP, "poisoned"));
    let stop_producers = AtomicBool::new(false);
    let stop_owner = AtomicBool::new(false);
    let barrier = Barrier::new(threads + 1);
    let (stop_p, stop_o, barrier, tick, lock) =
        (&stop_producers, &stop_owner, &barrier, &tick, &lock);

    std::thread::scope(|s| {
        let owner = s.spawn(move || -> Result<_, CheckError> {
            let mut delivered = vec![0u64; n];
            let (mut popped, mut early, mut passes) = (0u64, 0u64, 0u64);
            let (mut late_sum, mut late_max) = (0u64, 0u64);
            let mut due: Vec<(u64, u32)> = Vec::new();
            barrier.wait();
            let (t0, c0) = (Instant::now(), ThreadTime::now());
            let (mut wall, mut cpu) = (0.0, 0.0);
            let mut last = false;
            loop {
                let done = stop_o.load(Ordering::Acquire);
                let now = tick();
                {
                    let mut h = lock()?;
                    while let Some(&Reverse((d, id, g))) = h.heap.peek() {
                        if d > now {
                            break;
                        }
                        h.heap.pop();
                        let i = id as usize;
                        if h.gen[i] == g && h.armed[i] {
                            h.armed[i] = false;
                            due.push((d, id));
                        }
                    }
                    if h.heap.len() > 4 * n + 1_024 {
                        let Heap { heap, gen, .. } = &mut *h;
                        heap.retain(|Reverse((_, id, g))| gen[*id as usize] == *g);
                    }
                }
                if !due.is_empty() {
                    passes += 1;
                    for (d, id) in due.drain(..) {
                        early += u64::from(d > now);
                        let late = now.saturating_sub(d);
                        late_sum += late;
                        late_max = late_max.max(late);
                        delivered[id as usize] += 1;
                        popped += 1;
                    }
                }
                if stop_p.load(Ordering::Relaxed) && wall == 0.0 {
                    wall = t0.elapsed().as_secs_f64();
                    cpu = c0.elapsed().as_secs_f64();
                }
                if done {
                    if last {
                        break;
                    }
                    last = true;
                }
            }
            if early > 0 {
                return Err(fail(IMP, format!("{early} timers fired early")));
            }
            Ok(OwnerOut {
                delivered,
                popped,
                passes,
                wall,
                late_sum,
                late_max,
                cpu,
            })
        });
        let hs: Vec<_> = (0..producers)
            .map(|j| {
                s.spawn(move || -> Result<ProducerOut, CheckError> {
                    let mine: Vec<usize> = (j..n).step_by(producers).collect();
                    let mut led = Ledger::new(n);
                    let mut rng = producer_rng(p, j);
                    let (mut ops, mut sets) = (0u64, 0u64);
                    barrier.wait();
                    let (t0, c0) = (Instant::now(), ThreadTime::now());
                    while !stop_p.load(Ordering::Relaxed) {
                        for _ in 0..256 {
                            let i = mine[rng.random_range(0..mine.len())];
                            let ticks = rng.random_range(p.min_ticks..=p.max_ticks);
                            if rng.random_range(0..3u8) < 2 {
                                sets += 1;
                                let d = tick() + ticks;
                                let was = lock()?.arm(i, d);
                                if !was {
                                    led.resolve_fired(i);
                                }
                                led.outstanding[i] = true;
                            } else {
                                let was = lock()?.disarm(i);
                                if !was {
                                    led.resolve_fired(i);
                                }
                                led.outstanding[i] = false;
                            }
                        }
                        ops += 256;
                    }
                    Ok(ProducerOut {
                        ledger: led,
                        ops,
                        sets,
                        wall: t0.elapsed().as_secs_f64(),
                        cpu: c0.elapsed().as_secs_f64(),
                    })
                })
            })
            .collect();
        barrier.wait();
        let outs = run_producers(p, stop_p, hs, IMP);
        let mut fired = vec![0u64; n];
        let mut res: Result<(), CheckError> = Ok(());
        for (j, o) in outs.iter().enumerate() {
            match o {
                Ok(o) => {
                    for i in (j..n).step_by(producers) {
                        fired[i] = o.ledger.fired[i];
                        let was = match lock() {
                            Ok(mut h) => h.disarm(i),
                            Err(e) => {
                                res = Err(e);
                                continue;
                            }
                        };
                        if o.ledger.outstanding[i] && !was {
                            fired[i] += 1;
                        }
                    }
                }
                Err(e) => res = Err(e.clone()),
            }
        }
        stop_o.store(true, Ordering::Release);
        let owner = owner
            .join()
            .unwrap_or_else(|_| Err(fail(IMP, "owner panicked")));
        conclude(IMP, Variant::MutexHeap, threads, res, owner, &fired, outs)
    })
}

/// Every run of both variants at every thread count (interleaved).
pub fn run(p: &Params, mut progress: impl FnMut(&str)) -> Result<Vec<Outcome>, CheckError> {
    let mut all = Vec::new();
    for &t in &p.threads {
        for r in 0..p.runs {
            for k in 0..Variant::ALL.len() {
                let v = Variant::ALL[(k + r) % Variant::ALL.len()];
                progress(&format!("M2 · {} · T = {t} · run {}", v.label(), r + 1));
                all.push(run_once(p, v, t)?);
            }
        }
    }
    Ok(all)
}

/// Steps `run` takes.
pub fn steps(p: &Params) -> usize {
    p.threads.len() * p.runs * Variant::ALL.len()
}

/// The M2 table.
pub fn markdown(p: &Params, all: &[Outcome]) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### M2 arm on one thread, run on another (DPDK stress 2)\n\n\
         One owner thread runs expiry in a loop (`expire_shard(0)`, then pops its queue); \
         T − 1 producers set / reset / cancel (equal odds) {} timers that live on the \
         owner's shard (`alloc_on(0, ..)`), real clock (TSC), {} µs ticks, timeouts \
         uniform [{}, {}] ticks, {} ms per run, median of {} runs. Producer ns/op: wall \
         and CPU time per set, reset or cancel (each a remote operation on the owner's \
         shard). Checked every run: each timer's deliveries on the owner = the armings \
         its producer saw fire (from `Armed::replaced`, `NoEvent` and \
         `cancel` → `AlreadyExpired`), no event's tick later than the owner's \
         `current_tick()` after the pass that delivered it, the owner popped exactly \
         what its passes reported, every event back in its pool. This machine has {cores} \
         cores: at T = 3 the threads share them (the owner spins), so the T = 3 rows \
         measure the scheduler as much as the pool.\n",
        p.timers,
        p.resolution_ns / 1_000,
        p.min_ticks,
        p.max_ticks,
        p.duration_ms,
        p.runs
    );
    let _ = writeln!(
        s,
        "| variant | T | producer ns/op (wall) | min–max | producer ns/op (CPU) | producer ops/s | expiries/s on the owner | owner passes with work/s | owner on CPU | lateness mean / max, ticks | delivered exactly once, never early |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for &t in &p.threads {
        for v in Variant::ALL {
            let runs: Vec<&Outcome> = all
                .iter()
                .filter(|o| o.variant == v && o.threads == t)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let m = |f: &dyn Fn(&Outcome) -> f64| {
                median(&runs.iter().map(|o| f(o)).collect::<Vec<_>>())
            };
            let ns: Vec<f64> = runs.iter().map(|o| o.ns_per_op()).collect();
            let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ns.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "| {} | {t} | {:.1} | {lo:.1}–{hi:.1} | {:.1} | {:.2} M | {:.0} k | {:.1} k | {:.0} % | {:.1} / {:.0} | yes ({} runs) |",
                v.label(),
                m(&Outcome::ns_per_op),
                m(&Outcome::cpu_ns_per_op),
                m(&|o| o.ops as f64 / (o.producer_wall / (o.threads - 1) as f64)) / 1e6,
                m(&Outcome::expiries_per_sec) / 1e3,
                m(&|o| o.passes as f64 / o.owner_wall.max(1e-9)) / 1e3,
                m(&|o| 100.0 * o.owner_cpu / o.owner_wall.max(1e-9)),
                m(&Outcome::mean_late),
                m(&|o| o.late_max as f64),
                runs.len(),
            );
        }
    }
    let _ = writeln!(s, "\n{M2_NOTES}");
    s
}

/// What the M2 figures mean on a shared machine, and where the pool's
/// producer time goes (perf, T = 2, 1.5 s run).
pub const M2_NOTES: &str = "Reading the figures: wall ns/op is 3–4× the CPU ns/op for both \
variants because on this shared 2-core machine (load average ≈ 10 from parallel builds) \
the producer and the owner are each on a CPU only part of the time (the owner's \
share is in the table: it spins, so on an idle core it would be 100 %); when the owner is \
descheduled, what falls due waits for its next pass, hence few passes per second, each \
delivering many events, and the lateness column (in 10 µs ticks): scheduler gaps, not \
the pool (expiry is checked never early and exactly once either way). CPU ns/op is the \
comparable figure. Where the pool's producer time goes (perf, T = 2): the pool's own \
set/cancel path (`ShardCore::set` 11 %, `TimerPool::set_with` 8 %, `ShardCore::cancel` \
6 % of all samples, owner included), the event round trip through the shared \
`TimeoutPool` (`arm_new`: `TimeoutPool::alloc` on the producer, the owner dropping the \
delivered event back: 7 %), the TSC read (`quanta::Clock::raw` 13 %, mostly the \
owner's spinning `expire_shard` fast path, and one per producer set), and the wheel \
itself (link/unlink/arm under 6 %); `std` mutex contention does not show \
(no samples in `lock_contended`). The `Mutex<BinaryHeap>` producer does a push or a \
generation bump (≈ 50 ns CPU); the pool's remote set is ≈ 3.5–4× that, which is the \
per-call instruction cost seen in F (≈ 400 instructions per set) plus events that are \
allocated on one core and freed on another.";

/// Every timer delivered on the owner as often as its producer saw an
/// arming fire.
fn exactly_once<T: PartialEq + std::fmt::Display>(
    imp: &'static str,
    delivered: &[T],
    fired: &[T],
) -> Result<(), CheckError> {
    match delivered.iter().zip(fired).position(|(d, f)| d != f) {
        None => Ok(()),
        Some(i) => Err(fail(
            imp,
            format!(
                "timer {i}: {} deliveries on the owner, {} armings fired",
                delivered[i], fired[i]
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_run_delivers_exactly_once() {
        let p = Params {
            timers: 512,
            duration_ms: 50,
            ..Params::reference()
        };
        for v in Variant::ALL {
            for t in [2, 3] {
                // Every run must account for every expiry (`run_once` checks
                // exactly-once and never-early itself); on a saturated
                // machine the owner may not get a CPU within 50 ms of real
                // time, so a run without expiries is retried, a few times.
                let mut last = None;
                for _ in 0..5 {
                    let o = run_once(&p, v, t).unwrap();
                    assert!(o.ops > 0, "{o:?}");
                    let done = o.expiries > 0;
                    last = Some(o);
                    if done {
                        break;
                    }
                }
                let o = last.unwrap();
                assert!(o.expiries > 0, "no expiry in 5 runs: {o:?}");
            }
        }
    }
}
