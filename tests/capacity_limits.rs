//! Huge capacities are refused with a typed error, not a panic.

use hrwheel::{Error, TimeoutPool, TimeoutQueue, MAX_CAPACITY};

#[test]
fn timeout_queue_capacity_above_the_limit_is_refused() {
    for cap in [usize::MAX, usize::MAX / 2, MAX_CAPACITY + 1] {
        assert_eq!(
            TimeoutQueue::new(cap).err(),
            Some(Error::CapacityTooLarge),
            "{cap}"
        );
    }
    assert_eq!(TimeoutQueue::new(0).err(), Some(Error::ZeroCapacity));
    if !cfg!(miri) {
        let q = TimeoutQueue::new(MAX_CAPACITY).unwrap();
        assert_eq!(q.capacity(), MAX_CAPACITY);
    }
}

#[test]
fn timeout_pool_capacity_above_the_limit_is_refused() {
    for cap in [usize::MAX, usize::MAX / 2, MAX_CAPACITY + 1] {
        assert_eq!(
            TimeoutPool::new(cap).err(),
            Some(Error::CapacityTooLarge),
            "{cap}"
        );
    }
    assert_eq!(TimeoutPool::new(0).err(), Some(Error::ZeroCapacity));
    assert_eq!(
        Error::CapacityTooLarge.to_string(),
        "capacity is above the supported limit"
    );
}
