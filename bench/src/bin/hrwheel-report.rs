//! `cargo run --release --bin hrwheel-report [--quick | --full]`
//!
//! Runs the reference workloads W1–W5 (docs/WORKLOADS.md) on hrwheel's
//! wheel and high-resolution queue and on the baselines (`BinaryHeap` with
//! lazy cancel, `BTreeMap`, tokio `DelayQueue` on a paused clock, and the
//! published wheels `bitwheel` and `nexus-timer`), all in one process,
//! cross-checking every result (a published wheel that cannot run a
//! workload honestly gets an n/a row saying why); then F (W1–W4 through the
//! pool API beside the bare engine), M1 (per-core churn, threads) and M2
//! (arm on one thread, expire on another); prints the tables and writes
//! `target/report/report.md` plus SVG charts. Exits non-zero if any two
//! implementations disagree or any timer fires early or late.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use hrwheel::Local;
use hrwheel_bench::adapters::FacadeAdapter;
use hrwheel_bench::report::text::{
    annotate, crossover_markdown, w5_driver_markdown, w5_markdown, CrossRow,
};
use hrwheel_bench::report::{charts, measure_hires_periodic, peers, utc_now, Section, Work};
use hrwheel_bench::scale::{Mode, Sizes};
use hrwheel_bench::workloads::{crossover, facade, m1, m2, shapes, w2, w5};
use hrwheel_bench::Imp;
use indicatif::{ProgressBar, ProgressStyle};

/// W1–W3 workload unit: 1 ms ticks.
const MS: u64 = 1_000_000;

const USAGE: &str = "usage: hrwheel-report [--quick | --full]
  (default)  scaled to about 2 minutes on 2 cores
  --quick    about 10x smaller (under 30 s)
  --full     the exact WORKLOADS.md sizes (about 10 minutes on 2 cores)";

fn main() -> ExitCode {
    let mut mode = Mode::Default;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" => mode = Mode::Quick,
            "--full" => mode = Mode::Full,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("hrwheel-report: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(mode) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nhrwheel-report: FAILED: {e}");
            ExitCode::from(1)
        }
    }
}

/// `$CARGO_TARGET_DIR` or the workspace's `target/` (not yet canonical).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} logical cores, {}", std::env::consts::OS)
}

fn run(mode: Mode) -> Result<(), Box<dyn Error>> {
    let t0 = Instant::now();
    let sizes = Sizes::of(mode);
    let out_dir = target_dir().join("report");
    std::fs::create_dir_all(&out_dir)?;
    // Absolute and canonical (no `..` from the manifest-relative default,
    // no `.` from a relative CARGO_TARGET_DIR), so the printed paths are
    // clean and work from any directory.
    let out_dir = std::fs::canonicalize(&out_dir)?;

    let work: Vec<(Section, Work)> = vec![
        (
            Section::new("W1 churn (ktimers profile)", "reset or expiry"),
            Work::W1(sizes.w1),
        ),
        (
            Section::new(
                format!("W2 insert-cancel, P = {}", sizes.w2_outstanding[0]),
                "insert+cancel pair",
            ),
            Work::W2(w2::Params::new(sizes.w2_outstanding[0], sizes.w2_pairs)),
        ),
        (
            Section::new(
                format!("W2 insert-cancel, P = {}", sizes.w2_outstanding[1]),
                "insert+cancel pair",
            ),
            Work::W2(w2::Params::new(sizes.w2_outstanding[1], sizes.w2_pairs)),
        ),
        (
            Section::new("W3 expire-all", "expired timer"),
            Work::W3(sizes.w3),
        ),
        (
            Section::new("W4 precise periodic (ns)", "expiry + re-arm"),
            Work::W4(sizes.w4),
        ),
    ];
    // The extra expiry-heavy shapes: where a wheel must not lose to a tree.
    let work: Vec<(Section, Work)> = work
        .into_iter()
        .chain(shapes::Shape::ALL.iter().map(|&shape| {
            (
                Section::new(shape.title(), "expired timer"),
                Work::Shape(shapes::Params::new(shape, sizes.shapes_n)),
            )
        }))
        .collect();
    let fractions = crossover::params(sizes.crossover);
    let steps =
        (work.len() * Imp::ALL.len() + 1) * sizes.runs + fractions.len() * Imp::ALL.len() + 1;
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40.cyan/blue}] {pos}/{len} {msg}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );

    // W1–W4: runs interleaved across implementations, so machine noise
    // spreads over all of them.
    let mut sections = Vec::new();
    for (mut section, w) in work {
        bar.set_message(format!("{} · published wheels as shipped", section.title));
        let probes = peers::probe_as_shipped(w);
        for run in 0..sizes.runs {
            for imp in Imp::ALL {
                let label = imp.label(w.unit_ns());
                bar.set_message(format!("{} · {label} · run {}", section.title, run + 1));
                peers::measure_into(&mut section, imp, w)
                    .map_err(|e| format!("{}: {e}", section.title))?;
                bar.inc(1);
            }
            if let Work::W1(p) = w {
                let label = "hrwheel facade (LocalTimerPool, wheel backend)";
                bar.set_message(format!("{} · {label} · run {}", section.title, run + 1));
                let q = FacadeAdapter::<Local>::new(p.timers)
                    .map_err(|e| format!("creating the facade pool: {e}"))?;
                let s = w.run_on(q).map_err(|e| format!("{}: {e}", section.title))?;
                section.push(label, false, s);
                bar.inc(1);
            }
            if let Work::W4(p) = w {
                bar.set_message(format!(
                    "{} · hires periodic · run {}",
                    section.title,
                    run + 1
                ));
                let s = measure_hires_periodic(p)?;
                section.push("hrwheel HiresQueue (insert_periodic)", false, s);
                bar.inc(1);
            }
        }
        peers::conclude(&mut section, w, &probes);
        section.check()?;
        annotate(&mut section, &w);
        sections.push(section);
    }

    // The ktimers crossover: each point's runs interleaved too.
    let mut cross: Vec<CrossRow> = Vec::new();
    for &(target, p) in &fractions {
        let mut section = Section::new(
            format!("crossover at {:.0} % cancelled", target * 100.0),
            "reset or expiry",
        );
        let mut measured = 0.0;
        for run in 0..sizes.runs {
            for imp in Imp::ALL {
                bar.set_message(format!(
                    "crossover {:.0} % cancelled · {} · run {}",
                    target * 100.0,
                    imp.label(MS),
                    run + 1
                ));
                let label = imp.label(MS);
                peers::measure_into(&mut section, imp, Work::W1(p))
                    .map_err(|e| format!("crossover: {e}"))?;
                if let Some(s) = section
                    .rows
                    .iter()
                    .find(|r| r.label == label)
                    .and_then(|r| r.samples.last())
                {
                    let expired = s.digest.ops - s.resets;
                    measured = s.resets as f64 / (s.resets + expired).max(1) as f64;
                }
                bar.inc(1);
            }
        }
        peers::conclude(&mut section, Work::W1(p), &Vec::new());
        section.check()?;
        let row = Imp::ALL
            .iter()
            .zip(&section.rows)
            .map(|(&imp, r)| (imp, r.median_ns()))
            .collect();
        cross.push((target, measured, p.resets_per_tick, row));
    }

    bar.set_message("W5 real-time lateness (driver thread on the TSC clock)");
    let w5p = w5::Params::with_duration_ms(sizes.w5_ms);
    let lat = w5::run(w5p)?;
    bar.inc(1);

    // F (through the pool API), M1 and M2 (threads on the real clock).
    let (m1p, m2p) = (m1::Params::of(mode), m2::Params::of(mode));
    bar.inc_length(
        (facade::works(&sizes).len() * 4 * sizes.runs + m1::steps(&m1p) + m2::steps(&m2p)) as u64,
    );
    let f_rows = facade::run(&sizes, |m| {
        bar.set_message(m.to_string());
        bar.inc(1);
    })?;
    let m1_out = m1::run(&m1p, |m| {
        bar.set_message(m.to_string());
        bar.inc(1);
    })?;
    let m2_out = m2::run(&m2p, |m| {
        bar.set_message(m.to_string());
        bar.inc(1);
    })?;
    bar.finish_and_clear();

    // Output.
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# hrwheel report\n\n{} · mode `{}` · {}\n\n\
         ns per operation are medians of {} runs of the timed phase, in thread CPU time \
         (time descheduled left out), all in one process; \"vs best \
         baseline\" divides by the fastest of BinaryHeap (lazy cancel), BTreeMap, \
         tokio DelayQueue, bitwheel and nexus-timer in the same table (below 1 = faster); \
         a structure that cannot run a workload honestly is n/a there, with the reason. Cascade moves per \
         timer: how often the wheel moved a timer between levels (cascades, and re-filings \
         of lazily reset timers), per expired timer (W1, W4) or per armed timer (W3, S1–S7), \
         with the most any one arming of a timer took; W1 also gives the mean per arming \
         (each reset, each re-arm after an expiry), which that most bounds: its mean per \
         expired timer counts the re-filings of the timers reset before they fired too. \
         Every implementation's result digest was cross-checked; a mismatch aborts the \
         report, except for the published wheels, whose row then says n/a and why. The machine may be shared: compare rows within a table, and read the \
         min–max column as the noise.\n",
        utc_now(),
        match mode {
            Mode::Quick => "--quick",
            Mode::Default => "default",
            Mode::Full => "--full",
        },
        machine(),
        sizes.runs
    );
    for s in &sections {
        let _ = writeln!(md, "{}", s.markdown());
    }
    let _ = writeln!(md, "{}", crossover_markdown(&cross, &sizes));
    let _ = writeln!(md, "{}", w5_markdown(&lat, &w5p));
    let mut driven = Vec::new();
    for (name, mode) in [
        ("Spin (last 200 µs)", hrwheel::DriverMode::spin()),
        ("Park", hrwheel::DriverMode::Park),
    ] {
        let (o, t) = w5::run_driver(w5p, mode)?;
        driven.push((name, o, t));
    }
    let _ = writeln!(md, "{}", w5_driver_markdown(&driven, &w5p));
    let _ = writeln!(md, "{}", facade::markdown(&f_rows, &sizes));
    let _ = writeln!(md, "{}", m1::markdown(&m1p, &m1_out));
    let _ = writeln!(md, "{}", m2::markdown(&m2p, &m2_out));

    let series: Vec<(String, Vec<(f64, f64)>)> = Imp::ALL
        .iter()
        .map(|&imp| {
            let pts = cross
                .iter()
                .map(|(t, _, _, row)| {
                    let ns = row
                        .iter()
                        .find(|(i, _)| *i == imp)
                        .map_or(f64::NAN, |r| r.1);
                    (t * 100.0, ns)
                })
                .collect();
            (imp.label(MS), pts)
        })
        .collect();
    let cross_svg = out_dir.join("crossover.svg");
    charts::crossover(&cross_svg, &series)?;
    let ratio_rows: Vec<(String, Vec<(String, f64)>)> = sections
        .iter()
        .map(|sec| {
            let r = Imp::ALL
                .iter()
                .map(|imp| {
                    let label = sec
                        .rows
                        .iter()
                        .find(|r| r.label.starts_with(&imp.label(MS)))
                        .map(|r| r.label.clone())
                        .unwrap_or_default();
                    let ratio = sec.ratio(&label).unwrap_or(f64::NAN);
                    (imp.label(MS), ratio)
                })
                .collect();
            (sec.title.clone(), r)
        })
        .collect();
    let ratios_svg = out_dir.join("ratios.svg");
    charts::ratios(&ratios_svg, &ratio_rows)?;
    let w5_svg = out_dir.join("w5_lateness.svg");
    charts::lateness(&w5_svg, &lat.lateness, "W5 lateness of HiresQueue timers")?;
    let _ = writeln!(
        md,
        "## Charts\n\n![ratios to the best baseline](ratios.svg)\n\n\
         ![crossover](crossover.svg)\n\n![W5 lateness](w5_lateness.svg)\n"
    );
    let md_path = out_dir.join("report.md");
    std::fs::write(&md_path, &md)?;
    println!("{md}");
    println!(
        "report: {}\ncharts: {}, {}, {}\n(total {:.1} s)",
        md_path.display(),
        ratios_svg.display(),
        cross_svg.display(),
        w5_svg.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
