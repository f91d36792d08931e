//! Runs the three examples' `main` so their assertions are checked by
//! `cargo test`, not only when someone runs `cargo run --example`.

#[path = "../examples/flow_teardown.rs"]
mod flow_teardown;
#[path = "../examples/periodic_1733hz.rs"]
mod periodic_1733hz;
#[path = "../examples/tcp_retransmit.rs"]
mod tcp_retransmit;

#[test]
fn tcp_retransmit_example() {
    tcp_retransmit::main().unwrap();
}

#[test]
fn flow_teardown_example() {
    flow_teardown::main().unwrap();
}

#[test]
fn periodic_1733hz_example() {
    periodic_1733hz::main().unwrap();
}
