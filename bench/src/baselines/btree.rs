//! `BTreeMap<(deadline, seq), id>` with exact removal (async-io's timer
//! map). The key *is* the handle; cancel removes the entry at once.

use std::collections::BTreeMap;

use crate::queue::TimerQueue;

/// Ordered-map timer queue.
#[derive(Debug, Default)]
pub struct TreeQueue {
    map: BTreeMap<(u64, u64), u64>,
    seq: u64,
}

impl TreeQueue {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TimerQueue for TreeQueue {
    type Key = (u64, u64);

    fn name(&self) -> &'static str {
        "BTreeMap"
    }

    fn insert(&mut self, deadline: u64, id: u64) -> (u64, u64) {
        self.seq += 1;
        let key = (deadline, self.seq);
        self.map.insert(key, id);
        key
    }

    fn cancel(&mut self, key: (u64, u64)) -> bool {
        self.map.remove(&key).is_some()
    }

    fn reset(&mut self, key: (u64, u64), deadline: u64) -> Option<(u64, u64)> {
        let id = self.map.remove(&key)?;
        Some(self.insert(deadline, id))
    }

    fn advance(&mut self, to: u64, out: &mut Vec<(u64, u64)>) {
        while let Some(entry) = self.map.first_entry() {
            if entry.key().0 > to {
                break;
            }
            let ((deadline, _), id) = entry.remove_entry();
            out.push((deadline, id));
        }
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.map.first_key_value().map(|(&(d, _), _)| d)
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}
