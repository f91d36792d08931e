//! Structural self-check used by the tests ([`Wheel::check_invariants`]).

use crate::entry::{DUE, NIL};
use crate::level::{fire_key, slot_start, LEVELS, SLOTS};
use crate::Wheel;

impl<T> Wheel<T> {
    /// Walks every list and checks the wheel's invariants: links are
    /// consistent, bitmaps match the lists, the due list is sorted by
    /// `(deadline, seq)` unless flagged otherwise, every filed timer sits in a slot
    /// that starts after `now` and no later than its firing tick, due timers
    /// have deadlines `<= now`, and every pending timer is in exactly one list.
    /// O(timers); for tests and debugging (the model tests and the fuzz
    /// target call it after every step).
    ///
    /// ```
    /// let mut wheel = hrwheel_wheel::Wheel::new();
    /// wheel.insert(70, ());
    /// assert_eq!(wheel.check_invariants(), Ok(()));
    /// ```
    ///
    /// # Errors
    /// A description of the first broken invariant found.
    pub fn check_invariants(&self) -> Result<(), String> {
        let now = self.now;
        let mut seen = 0usize;
        let walk = |head: u32,
                    tail: u32,
                    level: u8,
                    slot: usize,
                    way: Option<usize>|
         -> Result<usize, String> {
            let (mut prev, mut cur, mut n) = (NIL, head, 0usize);
            let mut last: Option<(u64, u64)> = None;
            while cur != NIL {
                let e = self
                    .arena
                    .get(cur)
                    .ok_or_else(|| format!("list {level}/{slot} links vacant entry {cur}"))?;
                if way.is_some_and(|w| usize::from(e.way) != w) {
                    return Err(format!("entry {cur} in way {way:?} of {level}/{slot}"));
                }
                if e.prev != prev {
                    return Err(format!("entry {cur}: prev {} != {prev}", e.prev));
                }
                if e.level != level || (level != DUE && e.slot as usize != slot) {
                    return Err(format!(
                        "entry {cur} in list {level}/{slot} says {}/{}",
                        e.level, e.slot
                    ));
                }
                let order = (e.deadline, e.seq);
                if level == DUE && !self.due_unsorted && last.is_some_and(|l| l >= order) {
                    return Err(format!("due list not sorted at entry {cur}"));
                }
                last = Some(order);
                if level == DUE {
                    if e.deadline > now || e.deadline < self.due_min {
                        return Err(format!(
                            "due entry {cur}: deadline {} now {now} due_min {}",
                            e.deadline, self.due_min
                        ));
                    }
                } else {
                    let start = slot_start(now, level as usize, slot);
                    let key = fire_key(e.deadline, e.slack);
                    let min = self.levels[level as usize].min_key[slot];
                    let max = self.levels[level as usize].max_key[slot];
                    if start <= now
                        || start > key
                        || key <= now
                        || min > key
                        || min < start
                        || max < key
                    {
                        return Err(format!(
                            "entry {cur} in {level}/{slot}: start {start} now {now} key {key} min {min} deadline {}",
                            e.deadline
                        ));
                    }
                }
                if u64::from(e.moves) > LEVELS as u64 {
                    return Err(format!("entry {cur} moved {} times", e.moves));
                }
                prev = cur;
                cur = e.next;
                n += 1;
            }
            if prev != tail {
                return Err(format!("list {level}/{slot}: tail {tail} != last {prev}"));
            }
            Ok(n)
        };
        seen += walk(self.due.head, self.due.tail, DUE, 0, None)?;
        for (l, level) in self.levels.iter().enumerate() {
            for s in 0..SLOTS {
                let mut n = 0;
                for (w, list) in level.slots[s].iter().enumerate() {
                    n += walk(list.head, list.tail, l as u8, s, Some(w))?;
                }
                if (n > 0) != (level.occupied >> s & 1 == 1)
                    || level.count[s] as usize != n
                    || (n == 0
                        && (level.min_key[s] != u64::MAX
                            || level.max_key[s] != 0
                            || level.next_way[s] != 0))
                {
                    return Err(format!("bitmap of level {l} wrong at slot {s}"));
                }
                seen += n;
            }
            if (level.occupied != 0) != (self.nonempty >> l & 1 == 1) {
                return Err(format!("level bitmap wrong at level {l}"));
            }
        }
        if seen + self.idle != self.arena.len() {
            return Err(format!(
                "{} entries linked, {} pending",
                seen,
                self.arena.len()
            ));
        }
        Ok(())
    }
}
