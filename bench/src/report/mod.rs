//! Timing and presentation for `hrwheel-report`.
//!
//! [`measure`] runs one workload on one implementation and times only the
//! workload's `run` phase (setup and drop are outside the clock). It reads
//! two clocks: wall time, and the thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`, via `cpu-time`). The report ranks by CPU
//! time, which leaves out the time the thread spent descheduled — on a
//! shared 2-core machine that is most of the noise; cache pollution by
//! other processes stays in. The criterion benches use wall time.
//! [`Section`] holds the rows of one workload, computes medians and the
//! ratio to the best baseline, and renders a markdown table; [`charts`]
//! draws the SVGs.

pub mod charts;
pub mod peers;
mod table;
pub mod text;

use std::time::Instant;

use cpu_time::ThreadTime;

use crate::adapters::HiresPeriodic;
use crate::check::{CheckError, Digest};
use crate::imps::{Imp, Visitor};
use crate::queue::TimerQueue;
use crate::workloads::{shapes, w1, w2, w3, w4};

pub use table::{fmt_ratio, utc_now, Row, Section};

/// One timed run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Thread CPU time of the timed phase, seconds.
    pub secs: f64,
    /// Wall time of the timed phase, seconds.
    pub wall_secs: f64,
    /// What the run produced (ops is the ns/op denominator).
    pub digest: Digest,
    /// Wheel levels crossed during the timed phase (wheels only).
    pub cascade_moves: Option<u64>,
    /// The most moves any one arming of a timer took (hrwheel's wheel only).
    pub max_moves: Option<u64>,
    /// What cascade moves are divided by (expired timers in the timed
    /// phase; all timers for W3).
    pub cascade_per: u64,
    /// Resets performed in the timed phase (W1; 0 elsewhere).
    pub resets: u64,
}

impl Sample {
    /// Nanoseconds of thread CPU time per operation.
    pub fn ns_per_op(&self) -> f64 {
        self.secs * 1e9 / self.digest.ops.max(1) as f64
    }

    /// Nanoseconds of wall time per operation.
    pub fn wall_ns_per_op(&self) -> f64 {
        self.wall_secs * 1e9 / self.digest.ops.max(1) as f64
    }

    /// Cascade moves per timer (see [`Sample::cascade_per`]).
    pub fn moves_per_timer(&self) -> Option<f64> {
        self.cascade_moves
            .map(|m| m as f64 / self.cascade_per.max(1) as f64)
    }

    /// Cascade moves per arming, for a workload that resets timers (W1):
    /// every reset and every re-arm after an expiry is an arming, so this
    /// is moves / operations, the figure that
    /// [`max_moves`](Sample::max_moves) (per arming) bounds. `None` if the
    /// run reset nothing.
    pub fn moves_per_arming(&self) -> Option<f64> {
        let m = self.cascade_moves?;
        (self.resets > 0).then(|| m as f64 / self.digest.ops.max(1) as f64)
    }
}

/// Which workload to measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Work {
    /// W1 churn (also the crossover points).
    W1(w1::Params),
    /// W2 insert-cancel.
    W2(w2::Params),
    /// W3 expire-all.
    W3(w3::Params),
    /// W4 precise periodic.
    W4(w4::Params),
    /// An extra expiry-heavy shape.
    Shape(shapes::Params),
}

impl Work {
    /// Workload unit in ns: 1 ms ticks for W1–W3, ns for W4.
    pub fn unit_ns(&self) -> u64 {
        match self {
            Work::W4(_) => 1,
            _ => 1_000_000,
        }
    }

    /// Sizing hint for the structures.
    pub fn capacity(&self) -> usize {
        match self {
            Work::W1(p) => p.timers,
            Work::W2(p) => p.outstanding + 1,
            Work::W3(p) => p.timers,
            Work::W4(p) => p.timers,
            Work::Shape(p) => p.timers(),
        }
    }
}

impl Visitor for Work {
    type Out = Result<Sample, CheckError>;

    fn visit<Q: TimerQueue, F: FnMut() -> Q>(self, mut make: F) -> Self::Out {
        self.run_on(make())
    }
}

impl Work {
    /// Sets the workload up on `q` (untimed) and times its run.
    pub fn run_on<Q: TimerQueue>(self, mut q: Q) -> Result<Sample, CheckError> {
        match self {
            Work::W1(p) => {
                let mut st = w1::setup(&mut q, p)?;
                let s = timed(&mut q, |q| w1::run(q, &mut st))?;
                Ok(Sample {
                    cascade_per: s.digest.ops - st.resets(),
                    resets: st.resets(),
                    ..s
                })
            }
            Work::W2(p) => {
                let mut st = w2::setup(&mut q, p);
                let t = Stopwatch::start();
                w2::run(&mut q, &mut st)?;
                let (secs, wall_secs) = t.stop();
                let digest = w2::finish(&mut q, &st)?;
                Ok(Sample {
                    secs,
                    wall_secs,
                    digest,
                    cascade_moves: None,
                    max_moves: None,
                    cascade_per: 0,
                    resets: 0,
                })
            }
            Work::W3(p) => {
                w3::setup(&mut q, p);
                let s = timed(&mut q, w3::run)?;
                Ok(Sample {
                    cascade_per: p.timers as u64,
                    ..s
                })
            }
            Work::Shape(p) => {
                shapes::setup(&mut q, p);
                let s = timed(&mut q, |q| shapes::run(q, p))?;
                Ok(Sample {
                    cascade_per: p.timers() as u64,
                    ..s
                })
            }
            Work::W4(p) => {
                let periods = w4::setup(&mut q, p);
                let s = timed(&mut q, |q| w4::run(q, p, &periods))?;
                Ok(Sample {
                    cascade_per: s.digest.expiries,
                    ..s
                })
            }
        }
    }
}

/// Wall and thread-CPU clocks started together.
struct Stopwatch {
    wall: Instant,
    cpu: ThreadTime,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: ThreadTime::now(),
        }
    }

    /// (thread CPU seconds, wall seconds) since `start`.
    fn stop(self) -> (f64, f64) {
        let cpu = self.cpu.elapsed().as_secs_f64();
        (cpu, self.wall.elapsed().as_secs_f64())
    }
}

/// Times `run` on `q` with the cascade moves it made; the caller sets
/// what the moves are divided by (`cascade_per`, 0 here) and `resets`.
fn timed<Q: TimerQueue>(
    q: &mut Q,
    run: impl FnOnce(&mut Q) -> Result<Digest, CheckError>,
) -> Result<Sample, CheckError> {
    let c0 = q.cascade_moves();
    let t = Stopwatch::start();
    let digest = run(q)?;
    let (secs, wall_secs) = t.stop();
    Ok(Sample {
        secs,
        wall_secs,
        digest,
        cascade_moves: delta(q.cascade_moves(), c0),
        max_moves: q.max_moves(),
        cascade_per: 0,
        resets: 0,
    })
}

fn delta(after: Option<u64>, before: Option<u64>) -> Option<u64> {
    Some(after? - before?)
}

/// Runs `work` once on `imp` and times it.
pub fn measure(imp: Imp, work: Work) -> Result<Sample, CheckError> {
    imp.visit(work.unit_ns(), work.capacity(), work)
}

/// W4 on the hires queue with native periodic timers, timed.
pub fn measure_hires_periodic(p: w4::Params) -> Result<Sample, CheckError> {
    let mut q = HiresPeriodic::new();
    q.setup(p)?;
    let t = Stopwatch::start();
    let digest = q.run(p)?;
    let (secs, wall_secs) = t.stop();
    Ok(Sample {
        secs,
        wall_secs,
        digest,
        cascade_moves: None,
        max_moves: None,
        cascade_per: 0,
        resets: 0,
    })
}

/// Median of `xs` (mean of the middle two for an even count; NaN if empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn measure_counts_ops_and_cascades() {
        let p = w3::Params::new(2_000);
        let s = measure(Imp::Wheel, Work::W3(p)).unwrap();
        assert_eq!(s.digest.ops, 2_000);
        assert!(s.cascade_moves.is_some());
        assert!(s.ns_per_op() > 0.0);
        let h = measure(Imp::Heap, Work::W3(p)).unwrap();
        assert_eq!(h.cascade_moves, None);
        assert_eq!(h.digest, s.digest);
    }
}
