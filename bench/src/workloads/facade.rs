//! F: W1, W2 (both P), W3 and W4 through the public pool API, beside the
//! bare engine in the same run (WORKLOADS.md "F").
//!
//! Each workload runs its usual driver (`w1`..`w4`, through
//! [`TimerQueue`](crate::TimerQueue)) on four structures, interleaved run
//! by run (the order rotates each run, so machine noise spreads over all
//! of them):
//! - the bare engine: `hrwheel_wheel::Wheel` at the workload's tick for
//!   W1–W3, `hrwheel_hires::HiresQueue` (one-shot re-arm) for W4;
//! - a private pool ([`LocalTimerPool`](hrwheel::LocalTimerPool), no lock);
//! - a shared pool ([`TimerPool`](hrwheel::TimerPool), **one shard**: a
//!   single-threaded run uses one shard whatever the count; the lock is an
//!   uncontended mutex);
//! - the private pool again, its events popped from the `TimeoutQueue`
//!   instead of handed over by `expire_into` (what the queue costs).
//!
//! Both pools use the bare engine's backend (`Backend::Wheel` at 1 ms
//! ticks for W1–W3; `Backend::Hires` at 1 ns for W4) and a mock clock
//! moved to each `advance` target. They are driven as a user would drive
//! them (see [`FacadeAdapter`]): arm = `set_abs(timer, tick,
//! Some(event))`, reset = `reset_abs(timer, tick)`, cancel =
//! `cancel(timer)` (event back), time moves to `pool.next_deadline()` (W3,
//! W4; W1 moves one tick at a time by definition, W2 never), then
//! `expire_into` hands the expired timers' events over (a thread handling
//! its own timers; the fourth row pops them from the queue after
//! `expire()`), and the expired timers are re-armed from them. W4's timers
//! are periodic pool timers (`start_periodic`; each event is handed back
//! with `ack`, the pool re-arming on the exact ns grid), beside the bare
//! `HiresQueue` re-armed one-shot at `deadline + period`. Every run's
//! digest is cross-checked against the bare engine's.

use std::fmt::Write as _;

use hrwheel::{Backend, Local, Shared};

use crate::adapters::FacadeAdapter;
use crate::check::CheckError;
use crate::imps::Imp;
use crate::report::{measure, Sample, Section, Work};
use crate::scale::Sizes;
use crate::workloads::{w2, w3};

/// Target: the pool at most this many times the bare engine's ns/op.
pub const TARGET: f64 = 1.25;

/// One workload's three rows.
#[derive(Clone, Debug)]
pub struct Row {
    /// Short workload name ("W1 churn", ...).
    pub workload: String,
    /// What one operation is.
    pub op: &'static str,
    /// The bare engine's label.
    pub bare_label: &'static str,
    /// Samples of the bare engine, the private pool and the shared pool,
    /// cross-checked (same digests).
    pub section: Section,
}

const BARE: &str = "bare";
const LOCAL: &str = "private pool";
const SHARED: &str = "shared pool";
const QUEUED: &str = "private pool, events via queue";
const LABELS: [&str; 4] = [BARE, LOCAL, SHARED, QUEUED];

impl Row {
    fn median(&self, label: &str) -> f64 {
        self.section
            .rows
            .iter()
            .find(|r| r.label == label)
            .map_or(f64::NAN, |r| r.median_ns())
    }

    fn samples(&self, label: &str) -> &[Sample] {
        self.section
            .rows
            .iter()
            .find(|r| r.label == label)
            .map_or(&[], |r| r.samples.as_slice())
    }

    /// Median ns/op of (bare, private pool, shared pool).
    pub fn medians(&self) -> (f64, f64, f64) {
        (self.median(BARE), self.median(LOCAL), self.median(SHARED))
    }

    /// Median ns/op of the private pool driven through its queue.
    pub fn queued_median(&self) -> f64 {
        self.median(QUEUED)
    }

    /// Per-run ratios pool / bare (runs are measured side by side), for the
    /// private and the shared pool.
    pub fn run_ratios(&self) -> (Vec<f64>, Vec<f64>) {
        let bare = self.samples(BARE);
        let ratio = |label| {
            self.samples(label)
                .iter()
                .zip(bare)
                .map(|(p, b)| p.ns_per_op() / b.ns_per_op())
                .collect::<Vec<_>>()
        };
        (ratio(LOCAL), ratio(SHARED))
    }
}

/// The F workloads of a run of `sizes`.
pub fn works(sizes: &Sizes) -> Vec<(String, &'static str, Work)> {
    vec![
        ("W1 churn".into(), "reset or expiry", Work::W1(sizes.w1)),
        (
            format!("W2 insert-cancel, P = {}", sizes.w2_outstanding[0]),
            "insert+cancel pair",
            Work::W2(w2::Params::new(sizes.w2_outstanding[0], sizes.w2_pairs)),
        ),
        (
            format!("W2 insert-cancel, P = {}", sizes.w2_outstanding[1]),
            "insert+cancel pair",
            Work::W2(w2::Params::new(sizes.w2_outstanding[1], sizes.w2_pairs)),
        ),
        ("W3 expire-all".into(), "expired timer", Work::W3(sizes.w3)),
        (
            "W4 precise periodic (ns)".into(),
            "expiry + re-arm",
            Work::W4(sizes.w4),
        ),
    ]
}

/// Runs `work` once through a pool of kind `S`, its events handed over
/// by `expire_into` (`direct`) or popped from the `TimeoutQueue`.
pub fn measure_pool<S: hrwheel::Sharing>(work: Work, direct: bool) -> Result<Sample, CheckError> {
    let name = "hrwheel pool";
    let made = match work {
        Work::W1(p) => {
            FacadeAdapter::<S>::configured(name, Backend::Wheel, MS, 10_000, p.timers, 0)
        }
        Work::W2(p) => FacadeAdapter::<S>::configured(
            name,
            Backend::Wheel,
            MS,
            w2::MAX_AHEAD,
            p.outstanding,
            1,
        ),
        Work::W3(p) => {
            FacadeAdapter::<S>::configured(name, Backend::Wheel, MS, w3::MAX_DEADLINE, p.timers, 0)
        }
        Work::W4(p) => {
            FacadeAdapter::<S>::configured(name, Backend::Hires, 1, 2 * p.max_period, p.timers, 0)
                .map(|q| q.periodic(p.schedule().into_iter().map(|(_, period)| period).collect()))
        }
        // The extra shapes reach 2^35 ticks ahead.
        Work::Shape(p) => FacadeAdapter::<S>::configured(name, Backend::Wheel, MS, 1 << 36, p.n, 0),
    };
    let q = made.map_err(|e| CheckError::Bookkeeping {
        imp: name,
        what: format!("creating the pool: {e}"),
    })?;
    if direct {
        work.run_on(q.direct())
    } else {
        work.run_on(q)
    }
}

/// The bare engine of `work`: the wheel for W1–W3, HiresQueue for W4.
pub fn bare(work: &Work) -> (Imp, &'static str) {
    match work {
        Work::W4(_) => (Imp::Hires, "HiresQueue"),
        _ => (Imp::Wheel, "Wheel"),
    }
}

/// Measures every F workload `sizes.runs` times on the bare engine, a
/// private pool and a shared pool; `progress` is told what runs next.
pub fn run(sizes: &Sizes, mut progress: impl FnMut(&str)) -> Result<Vec<Row>, CheckError> {
    let mut rows = Vec::new();
    for (title, op, work) in works(sizes) {
        let (imp, bare_label) = bare(&work);
        let mut section = Section::new(format!("F {title}"), op);
        for run in 0..sizes.runs {
            for k in 0..LABELS.len() {
                let which = (k + run) % LABELS.len();
                let label = LABELS[which];
                progress(&format!("F {title} · {label} · run {}", run + 1));
                let s = match which {
                    0 => measure(imp, work),
                    1 => measure_pool::<Local>(work, true),
                    2 => measure_pool::<Shared>(work, true),
                    _ => measure_pool::<Local>(work, false),
                }
                .map_err(|e| annotate(e, &title))?;
                section.push(label, which == 0, s);
            }
        }
        section.check()?;
        rows.push(Row {
            workload: title,
            op,
            bare_label,
            section,
        });
    }
    Ok(rows)
}

fn annotate(e: CheckError, title: &str) -> CheckError {
    CheckError::Bookkeeping {
        imp: "F",
        what: format!("{title}: {e}"),
    }
}

const MS: u64 = 1_000_000;

/// Where the pool's extra time goes, from instruction counts (callgrind,
/// release build, `valgrind --tool=callgrind` on one run of each row at
/// quick sizes; instruction counts do not depend on the machine's load).
pub const WHERE_THE_COST_IS: &str = "Where the cost comes from. Instructions (callgrind, timed \
phase only, `valgrind --tool=callgrind --toggle-collect='*workloads::w3::run*' \
target/release/examples/f_profile w3 private`, quick sizes; they do not depend on the machine's \
load), bare / private / shared / private through the queue: **W1** 242 / 370 / 383 / 377 per \
operation, **W2** 224 / 607 / 637 / 607 per pair, **W3** 373 / 699 / 721 / 878 per expired \
timer, **W4** 527 / 1,022 / 1,049 / 1,201 per period. Each `reset_abs` adds about 130 to the \
wheel's own reset (key and shard checks, a clock read — quanta's reading plus a 128-bit ns→tick \
multiply, about 45 —, the `RefCell` or the mutex, the range check, the `next_due` compare); a \
`set_abs` with an event and a `cancel` add the stamp and state machine, the event's buffer \
written as it enters the timer (so that its expiry need not touch it) and the event's hand-over; \
a W3 expiry pays about one whole pass (W3 finds about one timer per `next_deadline()`): clock, \
lock, clamp, `next_due` publish. None of these steps is large alone. But time is not only \
instructions: on W2 the pool's pair ran at 8.7 instructions per ns where a reset runs at 16, and \
sampling (`perf record -e cpu-clock`; `perf annotate`) put half of a user's set/cancel loop on \
loads that read a 32-byte event, 16 bytes at a time, right after narrower stores had written it \
(a failed store-to-load forward, about a dozen cycles each): the event was copied through each \
layer, `Option`, `Result` and the lock's closure. Now the event travels in parts (its 16-byte \
buffer handle, its tick and context) and is built once where the caller receives it, and \
`expire_into` writes each event's fields in place: W2 through the private pool 72 → 51 ns per \
pair at about the same instruction count, W3 89 → 87. Memory: a timer's hot pool state (event \
handle, stamp, context, state, flags, queue index: 40 bytes) is the value of its engine entry, \
beside the engine's 40 bytes, so a set, reset, cancel or one-shot expiry touches one 80-byte \
entry; the cold rest (the queue's handle or the closure, the period) is in a table of the \
shard. A timer names its queue by a 4-byte index into its shard's table of queues, so delivery \
to a queue reads no second line per expiry (W3 through the queue 325 → 152 ns at 250,000 timers). \
A user's table of timer keys is part of the cost too: W1's driver reads its keys at random, and \
callgrind's cache simulation put the pool's extra last-level misses over the bare wheel there \
(32-byte keys against 16); the pool's key is now 16 bytes as well (pool id, shard, and the \
engine's index and generation, the engine's key made again on use): W1 through the pool 210 → \
198 ns. The bare wheel's arena asks for transparent huge pages (its entries are touched at \
random): W3 bare 51 → 43 ns, which the pool, whose per-expiry work is mostly instructions, gains \
less of (87 → 83). A periodic timer's period was a cold-table read at each expiry: moving it into the hot state \
made that state 48 bytes and the wheel's entry 88, W4 9 % faster and W3 9 % slower; instead the \
tree keeps the period of a high-resolution pool's timers in its own slot and hands it back with \
each expiry (W4 through the pool 236 → 205 ns). Also tried and kept (earlier): the hot/cold split and the lazily written event buffer \
(W3 at 250,000 timers about −30 %), the tree re-arming a periodic timer in place, events handed \
over without the queue (`expire_into`), resets that carry no event through the lock's closure, \
one key check per call. Tried and dropped: a 16-byte `Timeout` with everything in the buffer \
(W2 a third faster, W3 half again slower: the consumer's read of the buffer misses), the buffer \
written at every leave, the queue as a mutex around a ring, entries padded to one cache line \
(64 bytes: W3 3–5 ns faster, W1 no faster). What is left is the API's own work: a clock read \
per call, checks that make bad handles and out-of-range ticks errors rather than UB, the \
freshness stamp and the event's buffer, none of which the bare engine does.";

fn verdict(r: f64) -> &'static str {
    if r <= TARGET {
        "met"
    } else {
        "**missed**"
    }
}

/// The "F: through the pool API" table.
pub fn markdown(rows: &[Row], sizes: &Sizes) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### F: through the pool API\n\n\
         The same drivers as W1–W4, on the bare engine and through the public pool API in \
         the same run (runs interleaved, order rotated). Private = `LocalTimerPool` (no \
         lock); shared = `TimerPool` with **1 shard** (single thread: an uncontended \
         mutex). W1–W3 on `Backend::Wheel` at 1 ms ticks beside the bare `Wheel`; W4 on \
         `Backend::Hires` at 1 ns beside the bare `HiresQueue` (one-shot re-arm). Driven \
         as a user would: mock clock moved to `next_deadline()` (W3, W4; W1 tick by tick, \
         W2 never), `expire_into` hands the events over (the last column pops them from \
         the `TimeoutQueue` after `expire()` instead), re-arm with `set_abs` from the \
         event; resets are `reset_abs` (ODP `odp_timer_restart`), cancels `cancel()` (event \
         back). W4: \
         periodic pool timers (`start_periodic`, each event handed back with `ack`; the \
         pool re-arms on the exact ns grid) beside the bare `HiresQueue` re-armed \
         one-shot. ns/op: median of {} runs, thread CPU time; ratio = pool median / bare \
         median (in brackets the per-run ratios' min–max). Target: ≤ {TARGET:.2}× the \
         bare engine, private and shared.\n",
        sizes.runs
    );
    let _ = writeln!(
        s,
        "| workload | ns per | bare engine | bare ns | private pool ns | private / bare | shared pool ns | shared / bare | target ≤ {TARGET:.2}× | private, via queue: ns | / bare |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|");
    for r in rows {
        let (b, l, sh) = r.medians();
        let (rl, rs) = r.run_ratios();
        let span = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(0.0, f64::max);
            format!("{lo:.2}–{hi:.2}")
        };
        let (ql, qs) = (l / b, sh / b);
        let viaq = r.queued_median();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {b:.1} | {l:.1} | {ql:.2}× ({}) | {sh:.1} | {qs:.2}× ({}) | private {}, shared {} | {viaq:.1} | {:.2}× |",
            r.workload,
            r.op,
            r.bare_label,
            span(&rl),
            span(&rs),
            verdict(ql),
            verdict(qs),
            viaq / b,
        );
    }
    let missed = rows.iter().any(|r| {
        let (b, l, sh) = r.medians();
        l / b > TARGET || sh / b > TARGET
    });
    if missed {
        let _ = writeln!(s, "\n{WHERE_THE_COST_IS}");
    }
    if let Some(r) = rows.first() {
        let moves: Vec<String> = r
            .section
            .rows
            .iter()
            .map(|row| {
                format!(
                    "{} {}",
                    row.label,
                    row.moves_per_timer()
                        .map_or("—".into(), |m| format!("{m:.3}"))
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "\nEvery run of every row produced the bare engine's digest. W1 cascade moves \
             per expired timer: {} (same wheel, same moves).",
            moves.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Mode;
    use crate::workloads::{w1, w4};

    /// Every F workload at a tiny size: every pool row (events handed over
    /// or popped from the queue) produces the bare engine's digest (`run`
    /// cross-checks every row).
    #[test]
    fn pools_match_the_bare_engine() {
        let sizes = Sizes {
            w1: w1::Params {
                timers: 2_000,
                resets_per_tick: 12,
                ticks: 100,
                ..w1::Params::reference()
            },
            w2_outstanding: [100, 5_000],
            w2_pairs: 2_000,
            w3: w3::Params::new(3_000),
            w4: w4::Params {
                timers: 300,
                duration: 3_000_000,
                ..w4::Params::reference()
            },
            runs: 1,
            ..Sizes::of(Mode::Quick)
        };
        let rows = run(&sizes, |_| {}).unwrap();
        assert_eq!(rows.len(), 5);
        for r in &rows {
            assert_eq!(r.section.rows.len(), LABELS.len(), "{}", r.workload);
            let (b, l, s) = r.medians();
            assert!(b > 0.0 && l > 0.0 && s > 0.0, "{}", r.workload);
            assert!(r.queued_median() > 0.0, "{}", r.workload);
        }
        assert!(markdown(&rows, &sizes).contains("| W3 expire-all |"));
    }
}
