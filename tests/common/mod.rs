//! Helpers shared by the integration tests: pools on a mock clock, for each
//! backend and each sharing kind.
#![allow(dead_code)]
// Shared by several test binaries as `mod common`: `pub` is for them.
#![allow(unreachable_pub)]

use std::sync::Arc;

use hrwheel::{Backend, ClockSource, PoolParams, Sharing, TimeoutPool, TimeoutQueue, TimerPool};

pub const BACKENDS: [Backend; 2] = [Backend::Wheel, Backend::Hires];

/// A pool on a fresh mock clock: `res` ns ticks, timeouts
/// `min_ticks..=max_ticks`, `n` timers.
pub fn pool<S: Sharing>(
    backend: Backend,
    res: u64,
    min_ticks: u64,
    max_ticks: u64,
    n: usize,
) -> (TimerPool<S>, Arc<quanta::Mock>) {
    let (clock, mock) = ClockSource::mock();
    let p = TimerPool::<S>::create(
        "test",
        PoolParams::default()
            .resolution_ns(res)
            .min_timeout_ns(min_ticks * res)
            .max_timeout_ns(max_ticks * res)
            .num_timers(n)
            .clock(clock)
            .backend(backend),
    )
    .expect("valid params");
    (p, mock)
}

pub fn events(n: usize) -> TimeoutPool {
    TimeoutPool::new(n).expect("n > 0")
}

pub fn queue(n: usize) -> TimeoutQueue {
    TimeoutQueue::new(n).expect("n > 0")
}

/// Generates one `#[test]` per (sharing kind, backend) for a generic test
/// function `fn name<S: Sharing>(backend: Backend)`.
#[macro_export]
macro_rules! for_all_pools {
    ($($name:ident),* $(,)?) => {
        mod shared_wheel {
            $(#[test] fn $name() { super::$name::<hrwheel::Shared>(hrwheel::Backend::Wheel) })*
        }
        mod shared_highres {
            $(#[test] fn $name() { super::$name::<hrwheel::Shared>(hrwheel::Backend::Hires) })*
        }
        mod local_wheel {
            $(#[test] fn $name() { super::$name::<hrwheel::Local>(hrwheel::Backend::Wheel) })*
        }
        mod local_highres {
            $(#[test] fn $name() { super::$name::<hrwheel::Local>(hrwheel::Backend::Hires) })*
        }
    };
}

/// `default` cases, or `PROPTEST_CASES` when it is set (a soak run with
/// more cases than CI's; `ProptestConfig::with_cases` alone ignores the
/// variable).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
