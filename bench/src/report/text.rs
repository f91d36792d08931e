//! The prose and tables of `hrwheel-report` that are not a plain
//! [`Section`]: workload notes, the crossover table, the W5 table.

use std::fmt::Write as _;

use super::{fmt_ratio, median, Section, Work};
use crate::imps::Imp;
use crate::scale::Sizes;
use crate::workloads::{w2, w5};

/// W1–W3 workload unit: 1 ms ticks.
const MS: u64 = 1_000_000;

/// Adds the workload's parameters as a note under its table.
pub fn annotate(section: &mut Section, w: &Work) {
    let note = match w {
        Work::W1(p) => format!(
            "{} timers always armed, timeouts {}–{} ticks (1 tick = 1 ms), {} random resets \
             per tick, {} timed ticks after a {}-tick warm-up. The facade row is the same \
             wheel behind the ODP-style pool API (timer handles, timeout events delivered to \
             a queue, mock clock): the API layer's cost.",
            p.timers, p.min_timeout, p.max_timeout, p.resets_per_tick, p.ticks, p.warmup_ticks
        ),
        Work::W2(p) => format!(
            "{} timers outstanding at deadlines in [1, {}]; {} timed insert+cancel pairs. \
             The lazy heap compacts when stale entries outnumber live ones.",
            p.outstanding,
            w2::MAX_AHEAD,
            p.pairs
        ),
        Work::W3(p) => format!(
            "{} timers at deadlines in [1, 2^20] ticks; timed: advancing to next_deadline() \
             until empty (arming is untimed).",
            p.timers
        ),
        Work::W4(p) => format!(
            "{} periodic timers, periods {}–{} µs, {} ms of virtual time. The wheel runs at \
             1 µs ticks and DelayQueue at its 1 ms granularity: both fire up to one granule \
             late (never early) and re-arm from the exact deadline, so their expiries match \
             the exact structures'. HiresQueue appears twice: driven like the baselines \
             (one-shot re-arm) and with its native insert_periodic.",
            p.timers,
            p.min_period / 1_000,
            p.max_period / 1_000,
            p.duration / 1_000_000
        ),
        Work::Shape(p) if p.shape == crate::workloads::shapes::Shape::Small => format!(
            "{} timers in batches of {}; timed: each batch armed at the current tick, then \
             advancing to next_deadline() until it has all fired, before the next batch. See \
             bench/src/workloads/shapes.rs for how the deadlines are drawn.",
            p.timers(),
            crate::workloads::shapes::SMALL_BATCH
        ),
        Work::Shape(p) => format!(
            "{} timers; timed: advancing to next_deadline() until empty, as in W3 (arming is \
             untimed). See bench/src/workloads/shapes.rs for how the deadlines are drawn.",
            p.timers()
        ),
    };
    section.notes.push(note);
}

/// One crossover point: (target fraction, measured fraction, resets per
/// tick, median ns/op per implementation).
pub type CrossRow = (f64, f64, usize, Vec<(Imp, f64)>);

/// The crossover table and its one-line conclusion.
pub fn crossover_markdown(cross: &[CrossRow], sizes: &Sizes) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### The ktimers crossover: W1 swept over the cancelled fraction\n\n\
         ns per operation (reset or expiry, thread CPU time), median of {} runs per point; {} timers, {} timed \
         ticks; the reset rate is solved for each target fraction.\n",
        sizes.runs, sizes.crossover.timers, sizes.crossover.ticks
    );
    let _ = write!(s, "| cancelled (target) | measured | resets/tick |");
    for imp in Imp::ALL {
        let _ = write!(s, " {} |", imp.label(MS));
    }
    let _ = writeln!(s, " wheel vs best other |");
    let _ = write!(s, "|---:|---:|---:|");
    for _ in Imp::ALL {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s, "---:|");
    // [faster by > 5 %, within ±5 %, slower by > 5 %] than the best other.
    let mut verdict: [Vec<String>; 3] = Default::default();
    for (target, measured, k, row) in cross {
        let _ = write!(
            s,
            "| {:.0} % | {:.1} % | {k} |",
            target * 100.0,
            measured * 100.0
        );
        for (_, ns) in row {
            let _ = write!(s, " {ns:.1} |");
        }
        let wheel = row
            .iter()
            .find(|(i, _)| *i == Imp::Wheel)
            .map_or(f64::NAN, |r| r.1);
        let (best_imp, best) = row
            .iter()
            .filter(|(i, _)| *i != Imp::Wheel)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or((Imp::Tree, f64::NAN), |r| *r);
        let ratio = wheel / best;
        let bucket = if ratio < 0.95 {
            0
        } else if ratio <= 1.05 {
            1
        } else {
            2
        };
        verdict[bucket].push(format!("{:.0} %", target * 100.0));
        let _ = writeln!(s, " {} ({}) |", fmt_ratio(ratio), best_imp.label(MS));
    }
    let list = |v: &Vec<String>| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(
        s,
        "\nAgainst the fastest other structure at each point, the wheel is faster by more \
         than 5 % at: {}; within ±5 % at: {}; slower by more than 5 % at: {}. Medians \
         across the sweep: {}.",
        list(&verdict[0]),
        list(&verdict[1]),
        list(&verdict[2]),
        Imp::ALL
            .iter()
            .map(|&imp| {
                let v: Vec<f64> = cross
                    .iter()
                    .filter_map(|(_, _, _, r)| r.iter().find(|(i, _)| *i == imp).map(|x| x.1))
                    .collect();
                format!("{} {:.1} ns", imp.label(MS), median(&v))
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    s
}

/// The W5 lateness table.
pub fn w5_markdown(o: &w5::Outcome, p: &w5::Params) -> String {
    let us = |ns: u64| ns as f64 / 1_000.0;
    format!(
        "### W5 real-time lateness (HiresQueue, driver thread, quanta TSC clock)\n\n\
         {} periodic timers, periods {}–{} µs, {} ms of real time. Lateness = clock read in \
         the callback − deadline. The driver sleeps until 200 µs before the next deadline, \
         then spins; on a shared machine the tail is the OS scheduler's.\n\n\
         | expiries | p50 | p99 | max | early (must be 0) | overruns (skipped periods) |\n\
         |---:|---:|---:|---:|---:|---:|\n\
         | {} | {:.2} µs | {:.2} µs | {:.1} µs | {} | {} |\n",
        p.timers,
        p.min_period / 1_000,
        p.max_period / 1_000,
        p.duration / 1_000_000,
        o.expiries(),
        us(o.quantile(0.5)),
        us(o.quantile(0.99)),
        us(o.quantile(1.0)),
        o.early,
        o.overruns
    )
}

/// W5 through the library's `Driver`: one row per driver mode, and where
/// the tail comes from.
pub fn w5_driver_markdown(rows: &[(&str, w5::Outcome, w5::PassTail)], p: &w5::Params) -> String {
    let us = |ns: u64| ns as f64 / 1_000.0;
    let mut s = format!(
        "### W5 through the pool's Driver\n\n\
         The same {} timers as periodic callback timers of a shared high-resolution pool \
         (1 ns ticks, TSC clock), re-armed by the pool on their exact grid, run by \
         `hrwheel::Driver`. Lateness = the pool clock read in the callback − the deadline. \
         *Pass start* is how late the driver began the pass after the deadline that woke it: \
         when it is small and the lateness tail is large, the tail is timers due together \
         waiting for each other in one pass; when the pass start itself is late, it is the \
         driver's sleep or the OS scheduler. *Pass length* is start to end of a pass, its \
         callbacks included; *busy* the share of the run's time the driver spent in passes \
         (the rest it spun or slept).\n\n\
         | driver | expiries | p50 | p99 | max | early (must be 0) | overruns | pass start p50 | p99 | max | pass length p99 | max | callbacks per pass (mean / max) | busy |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        p.timers
    );
    let mut verdicts = Vec::new();
    for (name, o, t) in rows {
        // Where the tail comes from: if passes start on time but expiries
        // are late, the time goes inside passes (timers due together, or
        // more expiries per second than the thread can run); if the pass
        // start itself is late, the driver's sleep or the scheduler.
        let (tail, start) = (o.quantile(0.99), t.start_p99);
        let late = format!(
            "{:.1} % of the expiries ran in passes that started {} µs or more late (the \
             driver off its CPU: everything due meanwhile ran together, late)",
            t.late_share * 100.0,
            w5::LATE_START_NS / 1_000
        );
        let why = if t.late_share >= 0.01 {
            format!("most passes start on time, but {late}: that is the p99 tail")
        } else if start.saturating_mul(4) < tail {
            format!(
                "passes start on time: the tail is inside the passes (timers due together, \
                 and more expiries than the thread runs: see the overruns); {late}"
            )
        } else {
            format!(
                "the passes themselves start late: the driver's sleep or the OS scheduler; {late}"
            )
        };
        verdicts.push(format!(
            "- {name}: p99 lateness {:.2} µs, p99 pass start {:.2} µs: {why}.",
            us(tail),
            us(start)
        ));
        s.push_str(&format!(
            "| {} | {} | {:.2} µs | {:.2} µs | {:.1} µs | {} | {} | {:.2} µs | {:.2} µs | {:.1} µs | {:.2} µs | {:.1} µs | {:.1} / {} | {:.0} % |\n",
            name,
            o.expiries(),
            us(o.quantile(0.5)),
            us(o.quantile(0.99)),
            us(o.quantile(1.0)),
            o.early,
            o.overruns,
            us(t.start_p50),
            us(t.start_p99),
            us(t.start_max),
            us(t.len_p99),
            us(t.len_max),
            t.per_pass,
            t.max_batch,
            t.busy * 100.0,
        ));
    }
    s.push_str("\nWhere the tail comes from, this run:\n\n");
    for v in verdicts {
        s.push_str(&v);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scale::Mode;

    #[test]
    fn w5_driver_verdict_tells_inside_passes_from_late_starts() {
        let p = w5::Params::reference();
        let o_again = || w5::Outcome {
            lateness: (0..100).map(|i| i * 1_000).collect(),
            early: 0,
            overruns: 0,
        };
        let o = o_again();
        let on_time = w5::PassTail {
            start_p50: 10,
            start_p99: 500,
            start_max: 900,
            passes: 10,
            ..Default::default()
        };
        let late = w5::PassTail {
            start_p99: 90_000,
            ..on_time
        };
        let md = w5_driver_markdown(&[("Spin", o.clone(), on_time), ("Park", o, late)], &p);
        assert!(md.contains(
            "- Spin: p99 lateness 98.00 µs, p99 pass start 0.50 µs: passes start on time"
        ));
        assert!(md.contains("- Park: p99 lateness 98.00 µs, p99 pass start 90.00 µs: the passes themselves start late"));
        let stalled = w5::PassTail {
            late_share: 0.03,
            ..on_time
        };
        let md = w5_driver_markdown(&[("Spin", o_again(), stalled)], &p);
        assert!(
            md.contains("most passes start on time, but 3.0 % of the expiries ran in passes that started 5 µs or more late"),
            "{md}"
        );
    }

    #[test]
    fn crossover_verdict_uses_a_five_percent_band() {
        let row = |wheel: f64| {
            vec![
                (Imp::Wheel, wheel),
                (Imp::Hires, 500.0),
                (Imp::Heap, 100.0),
                (Imp::Tree, 200.0),
                (Imp::DelayQueue, 300.0),
            ]
        };
        let cross = vec![
            (0.0, 0.0, 0, row(150.0)),
            (0.5, 0.5, 10, row(102.0)),
            (0.99, 0.99, 20, row(50.0)),
        ];
        let md = crossover_markdown(&cross, &Sizes::of(Mode::Quick));
        assert!(
            md.contains("faster by more than 5 % at: 99 %; within ±5 % at: 50 %; slower by more than 5 % at: 0 %"),
            "{md}"
        );
        assert!(md.contains("0.50× (2.0× faster)"), "{md}");
    }
}
