//! The global pool limit (own test binary: it must see every pool of the
//! process).

use hrwheel::{capability, ClockSource, Error, PoolParams, TimerPool, MAX_POOLS};

fn params() -> PoolParams {
    PoolParams {
        num_timers: 1,
        clock: ClockSource::mock().0,
        ..PoolParams::default()
    }
}

#[test]
fn too_many_pools_and_release_on_destroy_and_drop() {
    let clock = ClockSource::mock().0;
    assert_eq!(capability(&clock).available_pools, MAX_POOLS);
    let mut pools: Vec<TimerPool> = (0..MAX_POOLS)
        .map(|i| TimerPool::new(&format!("p{i}"), params()).unwrap())
        .collect();
    assert_eq!(capability(&clock).available_pools, 0);
    assert_eq!(
        TimerPool::new("one more", params()).unwrap_err(),
        Error::TooManyPools
    );
    assert_eq!(
        hrwheel::LocalTimerPool::new_local("one more", params()).unwrap_err(),
        Error::TooManyPools
    );
    // Destroy gives a place back...
    pools.pop().unwrap().destroy().unwrap();
    assert_eq!(capability(&clock).available_pools, 1);
    let again = TimerPool::new("again", params()).unwrap();
    // ...and so does a refused parameter set not take one.
    let bad = PoolParams {
        resolution_ns: 0,
        ..params()
    };
    assert_eq!(
        TimerPool::new("bad", bad).unwrap_err(),
        Error::ZeroResolution
    );
    drop(again);
    drop(pools);
    assert_eq!(capability(&clock).available_pools, MAX_POOLS);
}
