//! Periodic re-arming without drift: the `hrtimer_forward()` arithmetic.
//!
//! A periodic timer has a schedule `first + k * period`. When it fires at
//! time `now` (possibly late), the next expiry is the first point of the
//! *original* schedule strictly after `now`, never `now + period` (that would
//! accumulate the callback's lateness as drift):
//!
//! ```text
//!   expires      now                   next
//!      |----P----|----P----|-----P-----|
//!      ^ fired here, late by 2.x periods: overruns = 2, next = expires + 3P
//! ```
//!
//! `overruns` is the number of whole periods that passed unserved between
//! the scheduled expiry and `now` (`(now - expires) / period`), the POSIX
//! `timer_getoverrun()` count; `hrtimer_forward()` returns `overruns + 1`.
//! If the next expiry is not representable in `u64` nanoseconds (beyond year
//! 2554 from the clock's epoch) there is none: the timer stops after the
//! callback, see [`Expired::next_deadline`](crate::Expired::next_deadline).

/// Periods missed by a timer scheduled at `expires` that fires at `now`.
#[inline]
pub(crate) fn overruns(expires: u64, period: u64, now: u64) -> u64 {
    if period == 0 || now <= expires {
        0
    } else if now - expires < period {
        // The common on-time case, without a 64-bit division.
        0
    } else {
        (now - expires) / period
    }
}

/// The first point of the schedule `expires + k * period` (k >= 1) strictly
/// after `now`, or `expires` itself if it is still in the future; `None` if
/// that point overflows `u64`. `period` must be non-zero.
#[inline]
pub(crate) fn forward(expires: u64, period: u64, now: u64) -> Option<u64> {
    debug_assert!(period > 0);
    if now < expires {
        return Some(expires);
    }
    let late = now - expires;
    if late < period {
        // On time (the common case): the next point, without a division.
        return expires.checked_add(period);
    }
    let k = (late / period).checked_add(1)?;
    k.checked_mul(period)?.checked_add(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_fires_next_period() {
        assert_eq!(forward(100, 10, 100), Some(110));
        assert_eq!(overruns(100, 10, 100), 0);
        assert_eq!(forward(100, 10, 109), Some(110));
        assert_eq!(overruns(100, 10, 109), 0);
    }

    #[test]
    fn late_counts_overruns_without_drift() {
        // exactly one period late: the missed expiry is folded into this one
        assert_eq!(forward(100, 10, 110), Some(120));
        assert_eq!(overruns(100, 10, 110), 1);
        assert_eq!(forward(100, 10, 135), Some(140));
        assert_eq!(overruns(100, 10, 135), 3);
    }

    #[test]
    fn future_expiry_is_kept() {
        assert_eq!(forward(100, 10, 50), Some(100));
        assert_eq!(overruns(100, 10, 50), 0);
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(forward(u64::MAX - 5, 10, u64::MAX - 5), None);
        assert_eq!(forward(u64::MAX, 1, u64::MAX), None);
        assert_eq!(forward(0, u64::MAX, 0), Some(u64::MAX));
        assert_eq!(forward(1, u64::MAX, 1), None);
        assert_eq!(overruns(0, 1, u64::MAX), u64::MAX);
        assert_eq!(forward(0, 1, u64::MAX), None);
        assert_eq!(forward(0, 2, u64::MAX), None);
        assert_eq!(forward(0, 2, u64::MAX - 1), None);
        assert_eq!(forward(1, 2, u64::MAX - 1), Some(u64::MAX));
    }
}
