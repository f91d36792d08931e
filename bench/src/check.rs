//! Result digests and the per-advance correctness check.
//!
//! # Tie order, batching, and what the digest covers
//! Implementations disagree on the order of timers that fire in the same
//! `advance` call: the wheel and the tree fire ties in insertion order,
//! `DelayQueue` fires a slot's list in its own order, and a coarse structure
//! (1 µs wheel or 1 ms `DelayQueue` in W4) merges deadlines that an exact
//! one fires separately — and may even fire, in a later batch, a timer
//! re-armed inside the granule it is firing. So:
//!
//! - the [`Checker`] sorts each batch by `(deadline, id)` before the
//!   workload acts on it (re-arms draw random numbers in that order, which
//!   keeps every run deterministic whatever the structure's tie order);
//! - the digest hash is a *multiset* hash (wrapping sum of a 64-bit mix of
//!   each `(deadline, id)`), equal for the same expiries in any order;
//! - order is checked per timer instead: a timer fired by `advance(to)`
//!   must have `deadline <= to` (never early) and must not have been due at
//!   the previous target by more than the resolution
//!   (`deadline + resolution - 1 > previous to`; never late). For an exact
//!   structure that pins every timer to the one `advance` call that must
//!   fire it.

use std::fmt;

/// What a workload run produced; equal digests mean the same multiset of
/// `(deadline, id)` expiries (up to 64-bit hash collisions) and the same
/// operation count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest {
    /// Timers that fired.
    pub expiries: u64,
    /// Timed operations the workload performed (its ns/op denominator).
    pub ops: u64,
    /// Multiset hash of every `(deadline, id)` fired.
    pub hash: u64,
}

/// A workload detected a wrong answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// A timer fired before its deadline.
    Early {
        /// Implementation name.
        imp: &'static str,
        /// Timer deadline.
        deadline: u64,
        /// The `advance` target that fired it.
        to: u64,
    },
    /// A timer fired after an earlier `advance` should have fired it.
    Late {
        /// Implementation name.
        imp: &'static str,
        /// Timer deadline.
        deadline: u64,
        /// The earlier `advance` target that should have fired it.
        missed_at: u64,
    },
    /// A live key was rejected by `reset` or `cancel`.
    StaleKey {
        /// Implementation name.
        imp: &'static str,
        /// Timer id.
        id: u64,
    },
    /// The structure stopped making progress (next_deadline went nowhere).
    Stuck {
        /// Implementation name.
        imp: &'static str,
        /// Time at which it got stuck.
        at: u64,
    },
    /// A fired id that was not armed, or timers left over at the end.
    Bookkeeping {
        /// Implementation name.
        imp: &'static str,
        /// What went wrong.
        what: String,
    },
    /// Two implementations disagree on a workload's result.
    Mismatch {
        /// Workload name.
        workload: String,
        /// Reference implementation and its digest.
        reference: (String, Digest),
        /// Disagreeing implementation and its digest.
        other: (String, Digest),
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Early { imp, deadline, to } => {
                write!(
                    f,
                    "{imp}: timer with deadline {deadline} fired early, at {to}"
                )
            }
            CheckError::Late {
                imp,
                deadline,
                missed_at,
            } => write!(
                f,
                "{imp}: timer with deadline {deadline} should have fired at {missed_at}"
            ),
            CheckError::StaleKey { imp, id } => write!(f, "{imp}: live timer {id} rejected"),
            CheckError::Stuck { imp, at } => write!(f, "{imp}: no progress at time {at}"),
            CheckError::Bookkeeping { imp, what } => write!(f, "{imp}: {what}"),
            CheckError::Mismatch {
                workload,
                reference,
                other,
            } => write!(
                f,
                "RESULT MISMATCH in {workload}: {} gave {:?} but {} gave {:?}",
                reference.0, reference.1, other.0, other.1
            ),
        }
    }
}

impl std::error::Error for CheckError {}

/// Requires all `(name, digest)` pairs to agree with the first.
pub fn cross_check(workload: &str, results: &[(&str, Digest)]) -> Result<(), CheckError> {
    if let Some(&(rname, rdigest)) = results.first() {
        for &(oname, odigest) in &results[1..] {
            if odigest != rdigest {
                return Err(CheckError::Mismatch {
                    workload: workload.to_string(),
                    reference: (rname.to_string(), rdigest),
                    other: (oname.to_string(), odigest),
                });
            }
        }
    }
    Ok(())
}

/// splitmix64's finaliser: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Validates and digests the batches an implementation fires.
#[derive(Debug)]
pub struct Checker {
    imp: &'static str,
    resolution: u64,
    prev_to: Option<u64>,
    digest: Digest,
}

impl Checker {
    /// A checker for implementation `imp` with the given resolution.
    pub fn new(imp: &'static str, resolution: u64) -> Self {
        Checker {
            imp,
            resolution: resolution.max(1),
            prev_to: None,
            digest: Digest {
                expiries: 0,
                ops: 0,
                hash: 0,
            },
        }
    }

    /// Sorts `batch` (fired by `advance(to)`) by `(deadline, id)`, checks
    /// every timer against `to` and the previous target, and hashes it.
    pub fn batch(&mut self, to: u64, batch: &mut [(u64, u64)]) -> Result<(), CheckError> {
        batch.sort_unstable();
        for &(deadline, id) in batch.iter() {
            if deadline > to {
                return Err(CheckError::Early {
                    imp: self.imp,
                    deadline,
                    to,
                });
            }
            if let Some(prev) = self.prev_to {
                if deadline + (self.resolution - 1) <= prev {
                    return Err(CheckError::Late {
                        imp: self.imp,
                        deadline,
                        missed_at: prev,
                    });
                }
            }
            let h = mix(mix(deadline) ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            self.digest.hash = self.digest.hash.wrapping_add(h);
        }
        self.digest.expiries += batch.len() as u64;
        self.prev_to = Some(self.prev_to.map_or(to, |p| p.max(to)));
        Ok(())
    }

    /// Counts `n` timed operations.
    pub fn ops(&mut self, n: u64) {
        self.digest.ops += n;
    }

    /// Implementation name.
    pub fn imp(&self) -> &'static str {
        self.imp
    }

    /// The digest so far.
    pub fn digest(&self) -> Digest {
        self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batching_does_not_change_digest() {
        let mut a = Checker::new("a", 1);
        a.batch(5, &mut [(5, 1), (3, 2)]).unwrap();
        a.batch(9, &mut [(9, 0)]).unwrap();
        let mut b = Checker::new("b", 1);
        b.batch(3, &mut [(3, 2)]).unwrap();
        b.batch(4, &mut []).unwrap();
        b.batch(9, &mut [(9, 0), (5, 1)]).unwrap();
        assert_eq!(a.digest(), b.digest());
        let mut c = Checker::new("c", 1);
        c.batch(9, &mut [(9, 1), (5, 0), (3, 2)]).unwrap();
        assert_ne!(a.digest(), c.digest());
    }

    #[test]
    fn early_and_late_are_caught() {
        let mut a = Checker::new("a", 1);
        assert!(matches!(
            a.batch(4, &mut [(5, 1)]),
            Err(CheckError::Early { .. })
        ));
        let mut b = Checker::new("b", 1);
        b.batch(5, &mut []).unwrap();
        assert!(matches!(
            b.batch(6, &mut [(5, 1)]),
            Err(CheckError::Late { .. })
        ));
        // Within the resolution a late fire is allowed.
        let mut c = Checker::new("c", 10);
        c.batch(5, &mut []).unwrap();
        c.batch(10, &mut [(5, 1)]).unwrap();
    }

    #[test]
    fn cross_check_reports_mismatch() {
        let d = |h| Digest {
            expiries: 1,
            ops: 1,
            hash: h,
        };
        assert!(cross_check("w", &[("a", d(1)), ("b", d(1))]).is_ok());
        let err = cross_check("w", &[("a", d(1)), ("b", d(2))]).unwrap_err();
        assert!(err.to_string().contains("MISMATCH"));
    }
}
