//! Runs one workload on one implementation, for profilers and quick A/B:
//! `valgrind --tool=callgrind --toggle-collect='*one::timed*'
//! target/release/examples/one w3 wheel 25000` counts only `timed` (the
//! workload's timed phase); run natively it prints thread CPU ns per op.
//! Workloads: `w1`, `w2`, `w3`, `s1`..`s7` (as in the report, size `n`),
//! `x0`/`x50`/`x80` (the crossover sweep's W1 at that cancelled fraction),
//! `run` (`n <= 4096` timers in one level-2 slot: one sorted run).
//! Implementations: `wheel`, `btree`, `heap`.

use hrwheel_bench::adapters::WheelAdapter;
use hrwheel_bench::baselines::LazyHeap;
use hrwheel_bench::baselines::TreeQueue;
use hrwheel_bench::workloads::{shapes, w1, w2, w3};
use hrwheel_bench::TimerQueue;

static NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[inline(never)]
fn timed<R>(f: impl FnOnce() -> R) -> R {
    let t = cpu_time::ThreadTime::now();
    let r = f();
    NS.store(
        t.elapsed().as_nanos() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    r
}

fn go<Q: TimerQueue>(q: &mut Q, what: &str, n: usize) {
    let ops = match what {
        "w1" => {
            let p = w1::Params::scaled(n as f64 / 400_000.0, 0.125);
            let mut st = w1::setup(q, p).unwrap();
            timed(|| w1::run(q, &mut st)).unwrap().ops
        }
        "x0" | "x50" | "x80" => {
            // The crossover sweep's W1 at a cancelled fraction.
            let f = match what {
                "x0" => 0.0,
                "x50" => 0.5,
                _ => 0.8,
            };
            let p = w1::Params::scaled(n as f64 / 400_000.0, 0.0625).with_cancel_fraction(f);
            let mut st = w1::setup(q, p).unwrap();
            timed(|| w1::run(q, &mut st)).unwrap().ops
        }
        "w2" => {
            // `W2_PAIRS=k` times k pairs instead of the report's 20,000
            // (steadier A/B figures on a noisy machine).
            let pairs = std::env::var("W2_PAIRS").map_or(20_000, |v| v.parse().unwrap());
            let p = w2::Params::new(n, pairs);
            let mut st = w2::setup(q, p);
            timed(|| w2::run(q, &mut st)).unwrap();
            p.pairs
        }
        "w3" => {
            w3::setup(q, w3::Params::new(n));
            timed(|| w3::run(q)).unwrap().ops
        }
        "run" => {
            // One level-2 slot of `n` (<= 4096) timers: a single sorted
            // run, then one expiry per advance.
            q.scope(|q| {
                for i in 0..n as u64 {
                    q.insert(4096 + (i * 2_654_435_761) % 4096, i);
                }
            });
            timed(|| w3::run(q)).unwrap().ops
        }
        s => {
            let shape = match s {
                "s1" => shapes::Shape::Sparse,
                "s2" => shapes::Shape::Burst,
                "s3" => shapes::Shape::Boundary,
                "s4" => shapes::Shape::NearFar,
                "s5" => shapes::Shape::Cluster,
                "s6" => shapes::Shape::FarBurst,
                "s7" => shapes::Shape::Small,
                _ => panic!("workload {s}?"),
            };
            let p = shapes::Params::new(shape, n);
            shapes::setup(q, p);
            timed(|| shapes::run(q, p)).unwrap().ops
        }
    };
    let ns = NS.load(std::sync::atomic::Ordering::Relaxed) as f64 / ops as f64;
    println!("{what} {} ns/op {ns:.1} ops {ops}", q.name());
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a[3].parse().unwrap();
    match a[2].as_str() {
        "wheel" => go(&mut WheelAdapter::with_capacity(n), &a[1], n),
        "btree" => go(&mut TreeQueue::new(), &a[1], n),
        "heap" => go(&mut LazyHeap::with_capacity(n), &a[1], n),
        i => panic!("imp {i}?"),
    }
}
