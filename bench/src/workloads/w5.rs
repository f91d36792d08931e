//! W5 real-time lateness: a driver thread on the real clock (TSC, via
//! `quanta`), 1,000 periodic high-resolution timers with periods uniform in
//! [50 µs, 5 ms], for 2 s. For every expiry, lateness = the clock read in
//! the callback minus the timer's deadline; p50, p99, max are reported and
//! an expiry delivered *before* its deadline is an error.
//!
//! The driver is tickless: after each `expire` it waits for
//! `next_deadline()`, sleeping while more than 200 µs remain (OS sleeps
//! overshoot by tens of µs) and spinning after that. Lateness therefore
//! measures the queue plus the driver, on a shared 2-core machine: expect
//! scheduler noise in the tail.

use std::time::Duration;

use hrwheel_hires::HiresQueue;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::check::CheckError;

/// W5 parameters (times in ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Periodic timers.
    pub timers: usize,
    /// Shortest period.
    pub min_period: u64,
    /// Longest period.
    pub max_period: u64,
    /// Real time to run.
    pub duration: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Params {
    /// WORKLOADS.md: 1,000 timers, [50 µs, 5 ms], 2 s.
    pub fn reference() -> Self {
        Params {
            timers: 1_000,
            min_period: 50_000,
            max_period: 5_000_000,
            duration: 2_000_000_000,
            seed: super::SEED,
        }
    }

    /// The reference with another duration.
    pub fn with_duration_ms(ms: u64) -> Self {
        Params {
            duration: ms * 1_000_000,
            ..Self::reference()
        }
    }
}

/// What the driver measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Lateness of every on-time-or-late expiry, ns, sorted.
    pub lateness: Vec<u64>,
    /// Expiries delivered before their deadline (must be 0).
    pub early: u64,
    /// Periods skipped because the driver was more than a period late.
    pub overruns: u64,
}

impl Outcome {
    /// The `q`-quantile (0..=1) of the lateness, ns.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.lateness.is_empty() {
            return 0;
        }
        let i = ((self.lateness.len() - 1) as f64 * q).round() as usize;
        self.lateness[i]
    }

    /// Expiries delivered.
    pub fn expiries(&self) -> u64 {
        self.lateness.len() as u64 + self.early
    }
}

/// Runs W5 on a driver thread and returns its measurements; an early
/// expiry is a [`CheckError`].
pub fn run(p: Params) -> Result<Outcome, CheckError> {
    let driver = std::thread::Builder::new()
        .name("w5-driver".into())
        .spawn(move || drive(p))
        .map_err(|e| CheckError::Bookkeeping {
            imp: "hrwheel HiresQueue",
            what: format!("cannot spawn the driver thread: {e}"),
        })?;
    let out = driver.join().map_err(|_| CheckError::Bookkeeping {
        imp: "hrwheel HiresQueue",
        what: "the W5 driver thread panicked".into(),
    })??;
    if out.early > 0 {
        return Err(CheckError::Bookkeeping {
            imp: "hrwheel HiresQueue",
            what: format!("{} expiries delivered before their deadline", out.early),
        });
    }
    Ok(out)
}

fn drive(p: Params) -> Result<Outcome, CheckError> {
    let clock = quanta::Clock::new();
    let mut rng = SmallRng::seed_from_u64(p.seed);
    let mut q = HiresQueue::with_capacity(p.timers);
    // Start 1 ms in, so the first deadlines are not already behind us.
    const LEAD: u64 = 1_000_000;
    let mut expected = 0.0f64;
    for id in 0..p.timers as u64 {
        let period = rng.random_range(p.min_period..=p.max_period);
        let first = LEAD + rng.random_range(1..=period);
        expected += p.duration as f64 / period as f64;
        q.insert_periodic(first, period, id)
            .map_err(|e| CheckError::Bookkeeping {
                imp: "hrwheel HiresQueue",
                what: format!("insert_periodic: {e}"),
            })?;
    }
    let mut lateness = Vec::with_capacity(expected as usize + expected as usize / 8 + 1024);
    let mut early = 0u64;
    let mut overruns = 0u64;
    let start = clock.now();
    let now_ns = || clock.now().duration_since(start).as_nanos() as u64;
    let end = LEAD + p.duration;
    loop {
        let now = now_ns();
        if now >= end {
            break;
        }
        q.expire(now, |f| {
            let t = now_ns();
            let d = f.deadline();
            if t < d {
                early += 1;
            } else {
                lateness.push(t - d);
            }
            overruns += f.overruns();
        });
        let Some(next) = q.next_deadline() else {
            break;
        };
        let next = next.min(end);
        loop {
            let now = now_ns();
            if now >= next {
                break;
            }
            let left = next - now;
            if left > 200_000 {
                std::thread::sleep(Duration::from_nanos(left - 150_000));
            } else {
                std::hint::spin_loop();
            }
        }
    }
    lateness.sort_unstable();
    Ok(Outcome {
        lateness,
        early,
        overruns,
    })
}

/// W5 through the library's own [`Driver`](hrwheel::Driver): the same
/// timers as periodic *callback* timers of a shared high-resolution pool
/// (1 ns ticks, TSC clock, one shard), re-armed by the pool on the exact
/// grid (`first + k * period`), run by a driver thread in `mode`. Lateness
/// = the pool clock read in the callback minus the deadline.
///
/// Also returned, to locate the tail: how late each pass *started* after
/// the deadline that woke it (the driver and the scheduler), and the most
/// callbacks one pass ran (batches of timers due at once).
pub fn run_driver(p: Params, mode: hrwheel::DriverMode) -> Result<(Outcome, PassTail), CheckError> {
    use std::sync::{Arc, Mutex};

    use hrwheel::{Backend, ClockSource, Driver, PoolParams, TimerPool};

    let err = |what: String| CheckError::Bookkeeping {
        imp: "hrwheel pool + Driver",
        what,
    };
    let pool = Arc::new(
        TimerPool::new(
            "w5",
            PoolParams::default()
                .resolution_ns(1)
                .max_timeout_ns(p.duration + 2 * p.max_period + 10_000_000)
                .num_timers(p.timers)
                .clock(ClockSource::tsc())
                .backend(Backend::Hires)
                .shards(1),
        )
        .map_err(|e| err(format!("pool: {e}")))?,
    );
    let mut rng = SmallRng::seed_from_u64(p.seed);
    let expected = (0..p.timers).len() * (p.duration / p.min_period.max(1)) as usize / 8;
    let samples: Arc<Mutex<(Vec<u64>, u64, u64)>> = Arc::new(Mutex::new((
        Vec::with_capacity(expected.min(1 << 24)),
        0,
        0,
    )));
    const LEAD: u64 = 1_000_000;
    let t0 = pool.now_ns();
    let end = t0 + LEAD + p.duration;
    for _ in 0..p.timers {
        let period = rng.random_range(p.min_period..=p.max_period);
        let first = t0 + LEAD + rng.random_range(1..=period);
        let sink = samples.clone();
        let t = pool
            .alloc_callback_on(0, 0, move |pool, e| {
                let now = pool.now_ns();
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                if now < e.tick {
                    s.1 += 1;
                } else {
                    s.0.push(now - e.tick);
                }
                s.2 += e.overruns;
                if e.tick >= end {
                    let _ = pool.stop(e.timer);
                }
            })
            .map_err(|e| err(format!("alloc: {e}")))?;
        pool.start_periodic(t, Some(first), period, None)
            .map_err(|e| err(format!("start: {}", e.error)))?;
    }
    let passes: Arc<Mutex<PassLog>> = Arc::default();
    let sink = passes.clone();
    let driver = Driver::spawn_observed(pool.clone(), mode, move |r| {
        let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
        s.start.push(r.start_ns.saturating_sub(r.due_ns));
        s.len.push(r.end_ns.saturating_sub(r.start_ns));
        s.busy += r.end_ns.saturating_sub(r.start_ns);
        s.run += r.delivered as u64;
        if r.start_ns.saturating_sub(r.due_ns) >= LATE_START_NS {
            s.late_run += r.delivered as u64;
        }
        s.max_batch = s.max_batch.max(r.delivered);
    })
    .map_err(|e| err(format!("driver: {e}")))?;
    while pool.now_ns() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    driver.stop().map_err(|e| err(format!("driver: {e}")))?;
    let (mut lateness, early, overruns) =
        std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));
    lateness.sort_unstable();
    let mut log = std::mem::take(&mut *passes.lock().unwrap_or_else(|p| p.into_inner()));
    log.start.sort_unstable();
    log.len.sort_unstable();
    let out = Outcome {
        lateness,
        early,
        overruns,
    };
    if out.early > 0 {
        return Err(err(format!(
            "{} expiries delivered before their deadline",
            out.early
        )));
    }
    let q = |v: &[u64], q: f64| {
        v.get(((v.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    let tail = PassTail {
        start_p50: q(&log.start, 0.5),
        start_p99: q(&log.start, 0.99),
        start_max: q(&log.start, 1.0),
        passes: log.start.len() as u64,
        len_p99: q(&log.len, 0.99),
        len_max: q(&log.len, 1.0),
        per_pass: log.run as f64 / log.start.len().max(1) as f64,
        max_batch: log.max_batch as u64,
        busy: log.busy as f64 / p.duration.max(1) as f64,
        late_share: log.late_run as f64 / log.run.max(1) as f64,
    };
    Ok((out, tail))
}

/// A pass that starts this late after the deadline that woke it had the
/// driver off its CPU (a spinning driver polls far more often): whatever
/// fell due meanwhile runs late, together.
pub const LATE_START_NS: u64 = 5_000;

/// What the driver's observer saw of every pass that ran callbacks.
#[derive(Default)]
struct PassLog {
    start: Vec<u64>,
    len: Vec<u64>,
    busy: u64,
    run: u64,
    /// Callbacks run by passes that started `LATE_START_NS` late or more.
    late_run: u64,
    max_batch: usize,
}

/// When the driver's passes started, relative to the deadline that woke
/// them, and how long they took, ns.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PassTail {
    /// Median start delay.
    pub start_p50: u64,
    /// 99th percentile start delay.
    pub start_p99: u64,
    /// Largest start delay.
    pub start_max: u64,
    /// Passes observed.
    pub passes: u64,
    /// 99th percentile pass length (start to end, callbacks included).
    pub len_p99: u64,
    /// Longest pass.
    pub len_max: u64,
    /// Callbacks run per pass, mean.
    pub per_pass: f64,
    /// Most callbacks one pass ran.
    pub max_batch: u64,
    /// Fraction of the run's time the driver spent inside passes.
    pub busy: f64,
    /// Fraction of the expiries run by passes that started
    /// [`LATE_START_NS`] or more after their deadline.
    pub late_share: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn through_the_driver_never_early() {
        let p = Params {
            timers: 50,
            duration: 30_000_000,
            ..Params::reference()
        };
        for mode in [hrwheel::DriverMode::spin(), hrwheel::DriverMode::Park] {
            let (out, tail) = run_driver(p, mode).unwrap();
            assert_eq!(out.early, 0);
            // 50 timers, periods <= 5 ms, 30 ms: each fires >= 4 times
            // (delivered or folded into an overrun).
            assert!(out.expiries() + out.overruns >= 200, "{out:?}");
            assert!(tail.passes > 0);
            assert!(tail.start_p50 <= tail.start_max);
        }
    }

    #[test]
    fn short_run_is_never_early() {
        let p = Params {
            timers: 50,
            duration: 20_000_000,
            ..Params::reference()
        };
        let out = run(p).unwrap();
        assert_eq!(out.early, 0);
        // 50 timers with periods <= 5 ms, first deadline within one period
        // of the 1 ms lead: at least 3 deadlines each fall before the end
        // of the 20 ms run, and each is delivered or counted as skipped.
        assert!(out.expiries() + out.overruns >= 150, "{out:?}");
        assert!(out.quantile(0.5) <= out.quantile(0.99));
        assert!(out.quantile(0.99) <= out.quantile(1.0));
    }
}
