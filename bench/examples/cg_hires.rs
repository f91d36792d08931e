//! A/B driver for the hires queue (`cargo build --release -p hrwheel-bench
//! --example cg_hires`).
//!
//! Instruction counts: `valgrind --tool=callgrind --toggle-collect='*cg_timed*'
//! target/release/examples/cg_hires MODE` with MODE one of `w4` (W4, 10 ms,
//! one-shot re-arm), `w4p` (W4 with `insert_periodic`), `heap` (W4 on the
//! lazy `BinaryHeap`), `w2` (P = 1,000, 200,000 pairs), `w3` and `s1`–`s7`
//! (25,000 timers); only the `cg_timed` closure is counted (setup is
//! excluded); divide by the operation count it prints.
//!
//! Timing (thread CPU time, so descheduling is left out): `t4` runs the
//! three W4 variants interleaved 25 times and prints the minimum and 20th
//! percentile, for A/B between two builds on a shared machine; `time` adds
//! W2 and W3 medians; `ts` times S1–S7 (expire-all).

use hrwheel_bench::adapters::{HiresAdapter, HiresPeriodic};
use hrwheel_bench::baselines::LazyHeap;
use hrwheel_bench::workloads::{w2, w3, w4};
use hrwheel_bench::TimerQueue;

#[inline(never)]
fn cg_timed<R>(f: impl FnOnce() -> R) -> R {
    f()
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "w4".into());
    let p = w4::Params::scaled(0.01);
    match what.as_str() {
        "w4" | "heap" => {
            fn go<Q: TimerQueue>(mut q: Q, p: w4::Params) {
                let periods = w4::setup(&mut q, p);
                let d = cg_timed(|| w4::run(&mut q, p, &periods)).unwrap();
                println!("{} expiries {}", q.name(), d.expiries);
            }
            if what == "w4" {
                go(HiresAdapter::with_capacity(p.timers), p);
            } else {
                go(LazyHeap::with_capacity(p.timers), p);
            }
        }
        "w4p" => {
            let mut q = HiresPeriodic::new();
            q.setup(p).unwrap();
            let d = cg_timed(|| q.run(p)).unwrap();
            println!("periodic expiries {}", d.expiries);
        }
        "w2" => {
            let mut q = HiresAdapter::with_capacity(1000);
            let mut st = w2::setup(&mut q, w2::Params::new(1000, 200_000));
            cg_timed(|| w2::run(&mut q, &mut st)).unwrap();
            println!("w2 done");
        }
        "w3" => {
            let mut q = HiresAdapter::with_capacity(25_000);
            w3::setup(&mut q, w3::Params::new(25_000));
            let d = cg_timed(|| w3::run(&mut q)).unwrap();
            println!("w3 expiries {}", d.expiries);
        }
        "s1" | "s2" | "s3" | "s4" | "s5" | "s6" | "s7" => {
            use hrwheel_bench::workloads::shapes::{self, Shape};
            let shape = Shape::ALL[(what.as_bytes()[1] - b'1') as usize];
            let p = shapes::Params::new(shape, 25_000);
            let mut q = HiresAdapter::with_capacity(p.timers());
            shapes::setup(&mut q, p);
            let d = cg_timed(|| shapes::run(&mut q, p)).unwrap();
            println!("{what} expiries {}", d.expiries);
        }
        "t4" => {
            // W4 only, many short interleaved trials: min and 20th percentile.
            let r = w4_trio(w4::Params::scaled(0.01), 25);
            for (name, mut v) in ["hires", "hires periodic", "heap"].into_iter().zip(r) {
                v.sort_by(f64::total_cmp);
                println!("{name:16} p20 {:.1} ns  min {:.1}", v[v.len() / 5], v[0]);
            }
        }
        "ts" => {
            // S1-S7 expire-all, thread CPU ns per timer: min of 15 interleaved runs.
            use hrwheel_bench::workloads::shapes::{self, Shape};
            let mut r: [Vec<f64>; Shape::ALL.len()] = Default::default();
            for _ in 0..15 {
                for (i, shape) in Shape::ALL.into_iter().enumerate() {
                    let p = shapes::Params::new(shape, 25_000);
                    let mut q = HiresAdapter::with_capacity(p.timers());
                    shapes::setup(&mut q, p);
                    let t = cpu_time::ThreadTime::now();
                    let d = shapes::run(&mut q, p).unwrap();
                    r[i].push(t.elapsed().as_nanos() as f64 / d.expiries as f64);
                }
            }
            for (name, mut v) in ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]
                .into_iter()
                .zip(r)
            {
                v.sort_by(f64::total_cmp);
                println!("{name} hires p20 {:.1} ns  min {:.1}", v[v.len() / 5], v[0]);
            }
        }
        "time" => {
            // Interleaved wall-clock medians (ns per expiry + re-arm).
            let p = w4::Params::scaled(0.02);
            let r = w4_trio(p, 9);
            let mut w23: [Vec<f64>; 2] = Default::default();
            for _ in 0..5 {
                let mut q = HiresAdapter::with_capacity(1000);
                let mut st = w2::setup(&mut q, w2::Params::new(1000, 400_000));
                let t = cpu_time::ThreadTime::now();
                w2::run(&mut q, &mut st).unwrap();
                w23[0].push(t.elapsed().as_nanos() as f64 / 400_000.0);
                let mut q = HiresAdapter::with_capacity(25_000);
                w3::setup(&mut q, w3::Params::new(25_000));
                let t = cpu_time::ThreadTime::now();
                let d = w3::run(&mut q).unwrap();
                w23[1].push(t.elapsed().as_nanos() as f64 / d.expiries as f64);
            }
            let r = r.into_iter().chain(w23);
            for (name, mut v) in ["hires", "hires periodic", "heap", "W2 hires", "W3 hires"]
                .into_iter()
                .zip(r)
            {
                v.sort_by(f64::total_cmp);
                println!("{name:16} median {:.1} ns  min {:.1}", v[v.len() / 2], v[0]);
            }
        }
        other => panic!("unknown workload {other}"),
    }
}

/// W4's thread CPU ns per expiry + re-arm, `rounds` interleaved trials
/// each of the one-shot `HiresQueue`, its `insert_periodic` and the lazy
/// heap.
fn w4_trio(p: w4::Params, rounds: usize) -> [Vec<f64>; 3] {
    fn one<Q: TimerQueue>(mut q: Q, p: w4::Params) -> f64 {
        let periods = w4::setup(&mut q, p);
        let t = cpu_time::ThreadTime::now();
        let d = w4::run(&mut q, p, &periods).unwrap();
        t.elapsed().as_nanos() as f64 / d.expiries as f64
    }
    let mut r: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        r[0].push(one(HiresAdapter::with_capacity(p.timers), p));
        r[1].push({
            let mut q = HiresPeriodic::new();
            q.setup(p).unwrap();
            let t = cpu_time::ThreadTime::now();
            let d = q.run(p).unwrap();
            t.elapsed().as_nanos() as f64 / d.expiries as f64
        });
        r[2].push(one(LazyHeap::with_capacity(p.timers), p));
    }
    r
}
