//! Runs the examples' `main` so their assertions are checked by
//! `cargo test`, not only when someone runs `cargo run --example`.
// The examples are modules here, their `pub fn main` only reachable from
// this file.
#![allow(unreachable_pub)]

// Two threads spinning on the TSC for 400 real ms: not under miri (the
// TSC, as below; the same paths run there in tests/callbacks.rs).
#[cfg(not(miri))]
#[path = "../examples/dpdk_basic.rs"]
mod dpdk_basic;
#[path = "../examples/flow_teardown.rs"]
mod flow_teardown;
// Reads the TSC (quanta's calibration runs `cpuid`/`rdtsc`, inline
// assembly that miri cannot run) and busy-polls for one real second: not
// under miri.
#[cfg(not(miri))]
#[path = "../examples/periodic_1733hz.rs"]
mod periodic_1733hz;
// 1300 polls of a 1024-timer pool: three and a half minutes under miri,
// for paths that odp_validation, regressions and model run there already.
#[cfg(not(miri))]
#[path = "../examples/tcp_retransmit.rs"]
mod tcp_retransmit;
#[path = "../examples/vbox_interval.rs"]
mod vbox_interval;

#[cfg(not(miri))]
#[test]
fn dpdk_basic_example() {
    dpdk_basic::main().unwrap();
}

#[test]
fn vbox_interval_example() {
    vbox_interval::main().unwrap();
}

#[cfg(not(miri))]
#[test]
fn tcp_retransmit_example() {
    tcp_retransmit::main().unwrap();
}

#[test]
fn flow_teardown_example() {
    flow_teardown::main().unwrap();
}

#[cfg(not(miri))]
#[test]
fn periodic_1733hz_example() {
    periodic_1733hz::main().unwrap();
}
