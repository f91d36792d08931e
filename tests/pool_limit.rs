//! No process-wide pool limit: a thread-per-core program can create as many
//! pools as it likes, and a key of one pool is refused by every other.

use hrwheel::{ClockSource, Error, LocalTimerPool, PoolParams, TimeoutQueue, TimerPool};

/// Fewer under miri, where creating a pool is slow.
const POOLS: usize = if cfg!(miri) { 60 } else { 1_000 };

fn params() -> PoolParams {
    PoolParams::default()
        .num_timers(1)
        .clock(ClockSource::mock().0)
        .shards(1)
}

#[test]
fn many_pools_coexist_and_keys_stay_foreign() {
    let q = TimeoutQueue::new(1).unwrap();
    let pools: Vec<LocalTimerPool> = (0..POOLS)
        .map(|i| LocalTimerPool::new_local(&format!("p{i}"), params()).unwrap())
        .collect();
    let keys: Vec<_> = pools.iter().map(|p| p.alloc(&q, 0).unwrap()).collect();
    // Every pool's first timer sits at the same index of the same shard:
    // only the pool id tells them apart.
    for (i, p) in pools.iter().enumerate().take(50) {
        let other = keys[(i + 1) % keys.len()];
        assert_eq!(p.cancel(other).unwrap_err(), Error::ForeignKey);
        assert_eq!(p.free(other).unwrap_err(), Error::ForeignKey);
        assert_eq!(p.cancel(keys[i]).unwrap_err(), Error::NotArmed);
    }
    let shared: Vec<TimerPool> = (0..POOLS / 5)
        .map(|i| TimerPool::new(&format!("s{i}"), params()).unwrap())
        .collect();
    assert_eq!(
        shared[0].free(keys[0]).unwrap_err(),
        Error::ForeignKey,
        "a private pool's key on a shared pool"
    );
    // A refused parameter set is refused, however many pools exist.
    assert_eq!(
        TimerPool::new("bad", params().resolution_ns(0)).unwrap_err(),
        Error::ZeroResolution
    );
    assert_eq!(
        TimerPool::new("bad", params().shards(hrwheel::MAX_SHARDS + 1)).unwrap_err(),
        Error::TooManyShards
    );
}
