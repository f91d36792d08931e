//! `hrwheel_hires::HiresQueue` behind [`TimerQueue`].
//!
//! [`HiresAdapter`] arms one-shot timers (`insert`) and lets the workload
//! re-arm, exactly as the heap and tree baselines are driven.
//! [`HiresPeriodic`] is W4 the way a hires user would write it: each timer
//! is armed once with `insert_periodic` and the queue forwards it itself
//! (drift-free, `hrtimer_forward` style) inside `expire`.

use hrwheel_hires::{HiresQueue, TimerKey};

use crate::check::{CheckError, Checker, Digest};
use crate::queue::TimerQueue;
use crate::workloads::w4;

/// The hires queue with one-shot timers.
#[derive(Debug)]
pub struct HiresAdapter {
    q: HiresQueue<u64>,
}

impl HiresAdapter {
    /// A queue with room for `n` timers.
    pub fn with_capacity(n: usize) -> Self {
        HiresAdapter {
            q: HiresQueue::with_capacity(n),
        }
    }
}

impl TimerQueue for HiresAdapter {
    type Key = TimerKey;

    fn name(&self) -> &'static str {
        "hrwheel HiresQueue"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> TimerKey {
        self.q.insert(deadline, id)
    }

    fn cancel(&mut self, key: TimerKey) -> bool {
        self.q.cancel(key).is_some()
    }

    fn reset(&mut self, key: TimerKey, deadline: u64) -> Option<TimerKey> {
        self.q.reset(key, deadline).ok().map(|()| key)
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        self.q.expire(to, |f| {
            let d = f.deadline();
            out.push((d, f.take()));
        });
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.q.next_deadline()
    }

    fn len(&self) -> usize {
        self.q.len()
    }
}

/// W4 on the hires queue with native periodic timers.
#[derive(Debug)]
pub struct HiresPeriodic {
    q: HiresQueue<u64>,
}

impl Default for HiresPeriodic {
    fn default() -> Self {
        Self::new()
    }
}

impl HiresPeriodic {
    /// An empty queue.
    pub fn new() -> Self {
        HiresPeriodic {
            q: HiresQueue::with_capacity(w4::Params::reference().timers),
        }
    }

    /// Arms every W4 timer as a periodic timer (untimed).
    pub fn setup(&mut self, p: w4::Params) -> Result<(), CheckError> {
        for (id, (first, period)) in p.schedule().into_iter().enumerate() {
            self.q
                .insert_periodic(first, period, id as u64)
                .map_err(|e| CheckError::Bookkeeping {
                    imp: "hrwheel HiresQueue (periodic)",
                    what: format!("insert_periodic failed: {e}"),
                })?;
        }
        Ok(())
    }

    /// Runs the virtual second (timed); same digest as [`w4::run`].
    pub fn run(&mut self, p: w4::Params) -> Result<Digest, CheckError> {
        let imp = "hrwheel HiresQueue (periodic)";
        let mut c = Checker::new(imp, 1);
        let mut batch = Vec::new();
        let mut overruns = 0u64;
        while let Some(next) = self.q.next_deadline() {
            if next > p.duration {
                break;
            }
            batch.clear();
            self.q.expire(next, |f| {
                overruns += f.overruns();
                batch.push((f.deadline(), *f.value()));
            });
            c.batch(next, &mut batch)?;
        }
        if overruns != 0 {
            return Err(CheckError::Bookkeeping {
                imp,
                what: format!("{overruns} overruns although every deadline was visited"),
            });
        }
        let n = c.digest().expiries;
        c.ops(n);
        Ok(c.digest())
    }
}
