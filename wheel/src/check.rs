//! Structural self-check used by the tests ([`Wheel::check_invariants`]).

use crate::bag::CHUNK;
use crate::entry::{DUE, NIL, RUN};
use crate::level::{fire_key, slot_start, LEVELS, SLOTS};
use crate::Wheel;

impl<T> Wheel<T> {
    /// Walks every list and slot and checks the wheel's invariants: links
    /// and slot positions are consistent, bitmaps match the slots, every
    /// chunk taken from the pool is in some slot, the due list is sorted by
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
        // The due list.
        let (mut prev, mut cur) = (NIL, self.due.head);
        let mut last: Option<(u64, u64)> = None;
        while cur != NIL {
            let e = self
                .arena
                .get(cur)
                .ok_or_else(|| format!("due list links vacant entry {cur}"))?;
            if e.prev != prev {
                return Err(format!("entry {cur}: prev {} != {prev}", e.prev));
            }
            if e.level != DUE {
                return Err(format!("entry {cur} in the due list says {}", e.level));
            }
            let order = (e.deadline, e.seq);
            if !self.due_unsorted && last.is_some_and(|l| l >= order) {
                return Err(format!("due list not sorted at entry {cur}"));
            }
            last = Some(order);
            if e.deadline > now || e.deadline < self.due_min {
                return Err(format!(
                    "due entry {cur}: deadline {} now {now} due_min {}",
                    e.deadline, self.due_min
                ));
            }
            if u64::from(e.moves) > LEVELS as u64 {
                return Err(format!("entry {cur} moved {} times", e.moves));
            }
            prev = cur;
            cur = e.next;
            seen += 1;
        }
        if prev != self.due.tail {
            return Err(format!("due list: tail {} != last {prev}", self.due.tail));
        }
        // The run: sorted descending, last item live, entries agree.
        for (i, r) in self.run.iter().enumerate() {
            if i > 0 {
                let p = &self.run[i - 1];
                if p.key < r.key {
                    return Err(format!("run not sorted at {i}"));
                }
            }
            if r.idx == NIL {
                if i + 1 == self.run.len() {
                    return Err("run ends with a cancelled timer".into());
                }
                continue;
            }
            let e = self
                .arena
                .get(r.idx)
                .ok_or_else(|| format!("run holds vacant entry {}", r.idx))?;
            let pos = self.run_pos.get(e.next as usize).map(|&p| p as usize);
            if e.level != RUN || e.next != r.pre || pos != Some(i) {
                return Err(format!("run item {i}: entry {} disagrees", r.idx));
            }
            if fire_key(e.deadline, e.slack) != r.key || r.key <= now {
                return Err(format!("run item {i}: key {} now {now}", r.key));
            }
            if u64::from(e.moves) > LEVELS as u64 {
                return Err(format!("entry {} moved {} times", r.idx, e.moves));
            }
            seen += 1;
        }
        // The slots' bags.
        let mut chunks = 0usize;
        for (l, level) in self.levels.iter().enumerate() {
            for s in 0..SLOTS {
                let bag = level.slots[s];
                let n = bag.len() as usize;
                // A spare (an empty tail chunk, see `bag.rs`) follows `n`
                // timers, a non-zero multiple of CHUNK.
                let spare = bag.fill == 0;
                if spare && (n == 0 || n % CHUNK != 0 || bag.rest as usize != n) {
                    return Err(format!("bag {l}/{s}: spare after {n} timers"));
                }
                let (mut c, mut prev_c, mut left) = (bag.head, NIL, n);
                let mut spare_seen = false;
                while c != NIL {
                    let chunk = self
                        .chunks
                        .chunks
                        .get(c as usize)
                        .ok_or_else(|| format!("bag {l}/{s}: chunk {c} out of range"))?;
                    if chunk.prev != prev_c {
                        return Err(format!("bag {l}/{s}: chunk {c} prev {}", chunk.prev));
                    }
                    if left == 0 && spare && !spare_seen && chunk.next == NIL {
                        spare_seen = true;
                    } else if left == 0 || (chunk.next != NIL && left <= CHUNK && !spare) {
                        return Err(format!("bag {l}/{s}: {n} timers, wrong chunk count"));
                    }
                    let k = left.min(CHUNK);
                    for (off, &idx) in chunk.items[..k].iter().enumerate() {
                        let e = self
                            .arena
                            .get(idx)
                            .ok_or_else(|| format!("bag {l}/{s} holds vacant entry {idx}"))?;
                        if usize::from(e.level) != l
                            || usize::from(e.slot) != s
                            || e.next != c
                            || usize::from(e.pos) != off
                        {
                            return Err(format!(
                                "entry {idx} at {l}/{s} chunk {c}+{off} says {}/{} chunk {}+{}",
                                e.level, e.slot, e.next, e.pos
                            ));
                        }
                        let start = slot_start(now, l, s);
                        let key = fire_key(e.deadline, e.slack);
                        let min = level.min_key[s];
                        let max = level.max_key[s];
                        if start <= now
                            || start > key
                            || key <= now
                            || min > key
                            || min < start
                            || max < key
                        {
                            return Err(format!(
                                "entry {idx} in {l}/{s}: start {start} now {now} key {key} min {min} deadline {}",
                                e.deadline
                            ));
                        }
                        if u64::from(e.moves) > LEVELS as u64 {
                            return Err(format!("entry {idx} moved {} times", e.moves));
                        }
                    }
                    left -= k;
                    chunks += 1;
                    prev_c = c;
                    c = chunk.next;
                }
                let fill = if spare {
                    0
                } else if n == 0 {
                    CHUNK
                } else {
                    (n - 1) % CHUNK + 1
                };
                if left != 0
                    || prev_c != bag.tail
                    || spare != spare_seen
                    || bag.fill as usize != fill
                    || (n == 0 && bag.rest != 0)
                {
                    return Err(format!("bag {l}/{s}: chain does not hold its {n} timers"));
                }
                if (n > 0) != (level.occupied >> s & 1 == 1)
                    || (n == 0 && (level.min_key[s] != u64::MAX || level.max_key[s] != 0))
                {
                    return Err(format!("bitmap of level {l} wrong at slot {s}"));
                }
                seen += n;
            }
            if (level.occupied != 0) != (self.nonempty >> l & 1 == 1) {
                return Err(format!("level bitmap wrong at level {l}"));
            }
        }
        if chunks != self.chunks.used {
            return Err(format!(
                "{chunks} chunks in bags, {} taken from the pool",
                self.chunks.used
            ));
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
