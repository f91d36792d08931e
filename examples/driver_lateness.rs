//! W5 through the pool's driver thread (issue 10): 1,000 high-resolution
//! periodic timers (rbtree engine, 1 µs ticks by default) with periods
//! uniform in [50 µs, 5 ms], each re-armed by the consumer at
//! `first + k * period` (drift-free, `set_at_ns`) from the events it pops,
//! for 2 s of TSC time; once with a spinning driver, once with a parking
//! one.
//!
//! ```text
//! cargo run --release --example driver_lateness [-- --secs 2 --res-ns 1000 --mode both]
//! ```
//!
//! Lateness = the pool clock read by the consumer right after `pop` minus
//! the requested ns `first + k * period`: end to end, including the tick
//! rounding (< 1 resolution), the driver waking, the pass, and the consumer
//! noticing the event. An event popped before its requested ns is *early*
//! (must be 0). A period already behind the clock when its event is popped
//! is skipped (an *overrun*), as in the W5 bench.
//!
//! The driver's observer records every delivering pass (when it was due,
//! when it started and ended, how many events it delivered, whether the
//! driver had slept before it); each event in the lateness tail (above p99)
//! is then attributed to the pass that delivered it and split into the
//! driver starting late (`start - due`), the pass itself (`end - start`,
//! i.e. the batch) and the consumer (`pop - end`). The involuntary context
//! switches of both threads (`/proc/self/task/*/status`) are printed too.
//!
//! ## Findings (2-core VM shared with other builds, load average 10-16)
//!
//! See the figures printed by a run and the table in the branch's report
//! reply; the tail attribution is what matters:
//!
//! - **Spinning driver** (`Spin { last_ns: 200 µs }`, never parks here:
//!   deadlines are ~1 µs apart): the median is the tick rounding plus a
//!   pop (< 1 µs). The tail is not batches: passes deliver 1-3 events and
//!   take well under a µs; tail events are dominated by the *driver
//!   starting late while it was spinning* or by the *consumer popping
//!   late*, i.e. one of the two busy threads being descheduled, and their
//!   involuntary context switches match the number of tail clusters. The
//!   max is one scheduler time slice (ms). On an idle or isolated core the
//!   p99 target (≤ 2 µs) holds; on this loaded VM it cannot be met by any
//!   user-space design without real-time priority.
//! - **Parking driver**: every wait is shorter than the OS timer slack
//!   (50 µs on Linux for normal threads), so each `park_timeout` of a few
//!   µs sleeps ~50-60 µs; the events due meanwhile are delivered in one
//!   batch. p50 is therefore the wake-up overshoot (tens of µs), the tail
//!   is the scheduler again. A parking driver is for coarse pools.

use std::error::Error;
use std::sync::{Arc, Mutex};

use hrwheel::{
    Backend, Driver, DriverMode, PassRecord, PoolParams, TimeoutPool, TimeoutQueue, TimerKey,
    TimerPool,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const MIN_PERIOD: u64 = 50_000;
const MAX_PERIOD: u64 = 5_000_000;
/// Time between arming and the first deadline window.
const LEAD: u64 = 2_000_000;

struct Cfg {
    timers: usize,
    secs: f64,
    res_ns: u64,
    modes: Vec<DriverMode>,
}

fn parse() -> Result<Cfg, Box<dyn Error>> {
    let mut cfg = Cfg {
        timers: 1_000,
        secs: 2.0,
        res_ns: 1_000,
        modes: vec![DriverMode::spin(), DriverMode::Park],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--secs" => cfg.secs = val()?.parse()?,
            "--res-ns" => cfg.res_ns = val()?.parse()?,
            "--timers" => cfg.timers = val()?.parse()?,
            "--mode" => {
                cfg.modes = match val()?.as_str() {
                    "spin" => vec![DriverMode::spin()],
                    "park" => vec![DriverMode::Park],
                    "both" => vec![DriverMode::spin(), DriverMode::Park],
                    m => return Err(format!("unknown mode {m}").into()),
                }
            }
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    Ok(cfg)
}

struct Periodic {
    key: TimerKey,
    first: u64,
    period: u64,
    k: u64,
}

/// One popped event: requested ns and pop time.
#[derive(Clone, Copy, Default)]
struct Sample {
    want: u64,
    due: u64,
    pop: u64,
}

struct Outcome {
    samples: Vec<Sample>,
    passes: Vec<PassRecord>,
    early: u64,
    overruns: u64,
    /// Per thread: voluntary and involuntary context switches, ns on CPU,
    /// ns runnable but waiting for a CPU, during the run.
    ctxsw: Vec<(String, [u64; 4])>,
    /// How long each re-arm (`set_at_ns`) took, ns: the shard lock's wait.
    set_ns: Vec<u64>,
}

/// An empty vector whose `cap` elements' memory has been written once.
fn prefaulted<T: Default + Clone>(cap: usize) -> Vec<T> {
    let mut v = vec![T::default(); cap];
    v.clear();
    v
}

fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn us(ns: u64) -> String {
    format!("{:.2} µs", ns as f64 / 1_000.0)
}

/// Per thread of this process, by name: voluntary and involuntary context
/// switches, ns on a CPU and ns waiting in a run queue (`schedstat`);
/// Linux only, empty elsewhere.
fn sched_counters() -> Vec<(String, [u64; 4])> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in dir.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
        };
        let name = field("Name:").unwrap_or_default();
        let num = |name: &str| field(name).and_then(|v| v.parse().ok()).unwrap_or(0);
        let sched = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        let mut it = sched.split_whitespace().map(|v| v.parse().unwrap_or(0));
        let (cpu, wait) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        out.push((
            name,
            [
                num("voluntary_ctxt_switches:"),
                num("nonvoluntary_ctxt_switches:"),
                cpu,
                wait,
            ],
        ));
    }
    out
}

fn run(cfg: &Cfg, mode: DriverMode) -> Result<Outcome, Box<dyn Error>> {
    let n = cfg.timers;
    let pool = Arc::new(TimerPool::new(
        "w5",
        PoolParams::default()
            .resolution_ns(cfg.res_ns)
            .max_timeout_ns(1_000_000_000)
            .num_timers(n)
            .backend(Backend::Hires)
            .shards(1),
    )?);
    let (q, events) = (TimeoutQueue::new(n)?, TimeoutPool::new(n)?);
    let ctx_before = sched_counters();
    let mut rng = SmallRng::seed_from_u64(5);
    let periods: Vec<u64> = (0..n)
        .map(|_| rng.gen_range(MIN_PERIOD..=MAX_PERIOD))
        .collect();
    let run_ns = (cfg.secs * 1e9) as u64;
    let expected: f64 = periods.iter().map(|&p| run_ns as f64 / p as f64).sum();
    let cap = (expected * 1.3) as usize + 1_024;

    // Every record buffer is touched before the run: a first touch of a
    // page mid-run is a page fault (and, with transparent huge pages, the
    // zeroing of 2 MiB) in the measured threads.
    let passes = Arc::new(Mutex::new(prefaulted::<PassRecord>(cap)));
    let mut samples = prefaulted::<Sample>(cap);
    let mut set_ns = prefaulted::<u64>(cap);
    let sink = passes.clone();
    let driver = Driver::spawn_observed(pool.clone(), mode, move |p| {
        if let Ok(mut v) = sink.lock() {
            v.push(*p);
        }
    })?;

    let start = pool.now_ns() + LEAD;
    let end = start + run_ns;
    let mut timers = Vec::with_capacity(n);
    for (i, &period) in periods.iter().enumerate() {
        let key = pool.alloc(&q, i as u64)?;
        let first = start + rng.gen_range(1..=period);
        pool.set_at_ns(key, first, Some(events.alloc()?))?;
        timers.push(Periodic {
            key,
            first,
            period,
            k: 0,
        });
    }

    let (mut early, mut overruns) = (0u64, 0u64);
    loop {
        let Some(ev) = q.pop() else {
            if pool.now_ns() >= end {
                break;
            }
            std::hint::spin_loop();
            continue;
        };
        let pop = pool.now_ns();
        let tm = &mut timers[ev.user_ctx() as usize];
        let want = tm.first + tm.k * tm.period;
        // (`tick_to_ns(tick) > pop` is `tick > current_tick()` without
        // writing the pool's clock word.)
        if pop < want || pool.tick_to_ns(ev.tick()) > pop {
            early += 1;
        }
        samples.push(Sample {
            want,
            due: pool.tick_to_ns(ev.tick()),
            pop,
        });
        if pop >= end {
            break;
        }
        // Next period not yet behind the clock; re-read it if the set
        // finds the clock moved past it meanwhile.
        let mut ev = Some(ev);
        let mut now = pop;
        loop {
            tm.k += 1;
            let next = tm.first + tm.k * tm.period;
            if next <= now {
                overruns += 1;
                continue;
            }
            let t = pool.now_ns();
            let r = pool.set_at_ns(tm.key, next, ev.take());
            set_ns.push(pool.now_ns().saturating_sub(t));
            match r {
                Ok(_) => break,
                Err(e) => {
                    ev = e.into_event();
                    now = pool.now_ns();
                }
            }
        }
    }
    let ctxsw = sched_counters()
        .into_iter()
        .map(|(name, now)| {
            let before = ctx_before
                .iter()
                .find(|b| b.0 == name)
                .map_or([0; 4], |b| b.1);
            let mut d = [0u64; 4];
            for i in 0..4 {
                d[i] = now[i].saturating_sub(before[i]);
            }
            (name, d)
        })
        .collect();
    driver.stop()?;
    let passes = std::mem::take(&mut *passes.lock().map_err(|_| "observer poisoned")?);
    Ok(Outcome {
        samples,
        passes,
        early,
        overruns,
        ctxsw,
        set_ns,
    })
}

fn report(cfg: &Cfg, mode: DriverMode, o: &Outcome) {
    println!(
        "\n=== {mode:?}: {} timers, {} ns ticks, {} s ===",
        cfg.timers, cfg.res_ns, cfg.secs
    );
    let mut late: Vec<u64> = o
        .samples
        .iter()
        .map(|s| s.pop.saturating_sub(s.want))
        .collect();
    late.sort_unstable();
    let p99 = quantile(&late, 0.99);
    println!(
        "expiries {}  early {} (must be 0)  overruns {}",
        o.samples.len(),
        o.early,
        o.overruns
    );
    println!(
        "lateness  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        us(quantile(&late, 0.5)),
        us(quantile(&late, 0.9)),
        us(p99),
        us(quantile(&late, 0.999)),
        us(late.last().copied().unwrap_or(0))
    );
    let rounding: u64 = o.samples.iter().map(|s| s.due - s.want).max().unwrap_or(0);
    println!("  (of which tick rounding: at most {})", us(rounding));

    // The driver's passes.
    let p = &o.passes;
    let mut wake: Vec<u64> = p
        .iter()
        .map(|r| r.start_ns.saturating_sub(r.due_ns))
        .collect();
    let mut took: Vec<u64> = p.iter().map(|r| r.end_ns - r.start_ns).collect();
    let mut batch: Vec<u64> = p.iter().map(|r| r.delivered as u64).collect();
    wake.sort_unstable();
    took.sort_unstable();
    batch.sort_unstable();
    let slept = p.iter().filter(|r| r.slept).count();
    println!(
        "passes {}  (after sleeping: {})  events/pass mean {:.2} p99 {} max {}",
        p.len(),
        slept,
        o.samples.len() as f64 / p.len().max(1) as f64,
        quantile(&batch, 0.99),
        batch.last().copied().unwrap_or(0)
    );
    println!(
        "driver start - due: p50 {}  p99 {}  max {}",
        us(quantile(&wake, 0.5)),
        us(quantile(&wake, 0.99)),
        us(wake.last().copied().unwrap_or(0))
    );
    println!(
        "pass duration:      p50 {}  p99 {}  max {}",
        us(quantile(&took, 0.5)),
        us(quantile(&took, 0.99)),
        us(took.last().copied().unwrap_or(0))
    );
    let mut sets = o.set_ns.clone();
    sets.sort_unstable();
    let slow = sets.iter().filter(|&&t| t > 5_000).count();
    println!(
        "consumer re-arm (set_at_ns): p50 {}  p99 {}  max {}  > 5 µs (waited for the shard lock): {slow}",
        us(quantile(&sets, 0.5)),
        us(quantile(&sets, 0.99)),
        us(sets.last().copied().unwrap_or(0)),
    );
    let bounds = [
        1_000u64,
        2_000,
        5_000,
        10_000,
        50_000,
        100_000,
        1_000_000,
        u64::MAX,
    ];
    let mut hist = [0usize; 8];
    for &t in &took {
        hist[bounds.iter().position(|&b| t < b).unwrap_or(7)] += 1;
    }
    println!(
        "pass duration histogram: <1µs {} | 1-2µs {} | 2-5µs {} | 5-10µs {} | 10-50µs {} | 50-100µs {} | 0.1-1ms {} | >1ms {}",
        hist[0], hist[1], hist[2], hist[3], hist[4], hist[5], hist[6], hist[7]
    );

    // Tail attribution: each event above p99 to the pass that delivered it
    // (the first pass that ended at or after its tick started).
    let (mut by_wake, mut by_wake_slept, mut by_pass, mut by_consumer) = (0, 0, 0, 0);
    let (mut sum_wake, mut sum_pass, mut sum_cons, mut tail) = (0u64, 0u64, 0u64, 0u64);
    let mut tail_batch = 0u64;
    for s in o
        .samples
        .iter()
        .filter(|s| s.pop.saturating_sub(s.want) > p99)
    {
        let i = p.partition_point(|r| r.end_ns < s.due);
        let Some(r) = p.get(i) else { continue };
        let w = r.start_ns.saturating_sub(s.due);
        let d = r.end_ns - r.start_ns;
        let c = s.pop.saturating_sub(r.end_ns);
        tail += 1;
        tail_batch += r.delivered as u64;
        sum_wake += w;
        sum_pass += d;
        sum_cons += c;
        if w >= d && w >= c {
            by_wake += 1;
            if r.slept {
                by_wake_slept += 1;
            }
        } else if d >= c {
            by_pass += 1;
        } else {
            by_consumer += 1;
        }
    }
    if tail > 0 {
        println!(
            "tail (> p99): {tail} events; dominated by driver starting late {by_wake} \
             (after a sleep: {by_wake_slept}), by the pass {by_pass}, by the consumer {by_consumer}; \
             mean parts: start-due {} pass {} pop-end {}; mean batch of their passes {:.1}",
            us(sum_wake / tail.max(1)),
            us(sum_pass / tail.max(1)),
            us(sum_cons / tail.max(1)),
            tail_batch as f64 / tail as f64
        );
    }
    // Where in the run the tail is: p99 and max per 100 ms window of
    // requested time.
    let mut windows: Vec<Vec<u64>> = Vec::new();
    let t0 = o.samples.iter().map(|s| s.want).min().unwrap_or(0);
    for s in &o.samples {
        let w = ((s.want - t0) / 100_000_000) as usize;
        if windows.len() <= w {
            windows.resize_with(w + 1, Vec::new);
        }
        windows[w].push(s.pop.saturating_sub(s.want));
    }
    let mut line_p99 = String::new();
    let mut line_max = String::new();
    let mut good = 0;
    for w in &mut windows {
        w.sort_unstable();
        let (q99, max) = (quantile(w, 0.99), w.last().copied().unwrap_or(0));
        good += usize::from(q99 <= 2_000 && max <= 50_000);
        line_p99 += &format!(" {:.1}", q99 as f64 / 1e3);
        line_max += &format!(" {:.0}", max as f64 / 1e3);
    }
    println!("per 100 ms window, p99 µs:{line_p99}");
    println!("per 100 ms window, max µs:{line_max}");
    println!(
        "windows with p99 <= 2 µs and max <= 50 µs: {good} of {}",
        windows.len()
    );
    // Clusters: tail events more than 100 µs apart in pop time.
    let mut pops: Vec<u64> = o
        .samples
        .iter()
        .filter(|s| s.pop.saturating_sub(s.want) > p99)
        .map(|s| s.pop)
        .collect();
    pops.sort_unstable();
    let clusters =
        pops.windows(2).filter(|w| w[1] - w[0] > 100_000).count() + usize::from(!pops.is_empty());
    println!("tail clusters (events > 100 µs apart): {clusters}");
    for (name, [vol, invol, cpu, wait]) in &o.ctxsw {
        if name.starts_with("hrwheel-driver") || name.starts_with("driver_lateness") {
            println!(
                "thread {name}: {vol} voluntary, {invol} involuntary context switches; \
                 {:.0} ms on a CPU, {:.0} ms runnable but waiting for one",
                *cpu as f64 / 1e6,
                *wait as f64 / 1e6
            );
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let cfg = parse()?;
    let mut early = 0;
    for &mode in &cfg.modes {
        let o = run(&cfg, mode)?;
        report(&cfg, mode, &o);
        early += o.early;
    }
    if early > 0 {
        return Err(format!("{early} events delivered early").into());
    }
    Ok(())
}
