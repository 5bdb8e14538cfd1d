//! Folding identical violations into one line with a `count` (docs/audit-log.md, "Aggregation"):
//! the same cookie breaking the same rule on every page of a visit must neither flood the log nor
//! lose its count.

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::{FixedState, RandomState};
use std::time::{Duration, Instant};

use super::key::ViolationKey;
use super::record::ViolationRecord;
use super::shared::SharedStr;

/// A violation with how many times it happened in its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregated {
    pub record: ViolationRecord,
    pub count: u64,
    pub last_time: SharedStr,
}

struct Open {
    aggregated: Aggregated,
    opened: Instant,
    /// Arrival order, so lines come out in the order violations were first seen.
    order: u64,
}

pub struct Aggregator {
    window: Duration,
    /// Open aggregates by the hash of their key; a bucket holds more than one only on a collision.
    /// The keys are already hashes (of a randomly seeded hasher), so a fixed, cheap hasher
    /// serves: the default one cost as much as hashing the key itself.
    open: HashMap<u64, Vec<Open>, FixedState>,
    hasher: RandomState,
    next_order: u64,
    /// How many aggregates are open (the buckets' lengths summed).
    len: usize,
    /// The bucket hashes of the last keys counted, most recent first. Under load the same few
    /// violations come one after another: trying these first (an integer lookup, then a
    /// comparison that mostly stops at pointer equality) spares hashing every text of the key.
    /// A hash gone stale (its aggregate written out) only misses.
    recent: [Option<u64>; RECENT],
}

/// How many recent keys are tried before hashing: a page's few violations.
const RECENT: usize = 4;

impl Aggregator {
    pub fn new(window: Duration) -> Aggregator {
        Aggregator {
            window,
            open: HashMap::with_hasher(FixedState::default()),
            hasher: RandomState::default(),
            next_order: 0,
            len: 0,
            recent: [None; RECENT],
        }
    }

    /// Counts one violation; returns it at once when aggregation is off.
    pub fn add(&mut self, record: ViolationRecord, now: Instant) -> Option<Aggregated> {
        if self.window.is_zero() {
            let last_time = record.time.clone();
            return Some(Aggregated {
                record,
                count: 1,
                last_time,
            });
        }
        // No limit: nothing is given back.
        let _ = self.count(record, usize::MAX, || now);
        None
    }

    /// Counts one violation into its open aggregate, or opens one (at `now()`, read only then)
    /// while fewer than `limit` are open: `None`. Gives the record back otherwise, or when
    /// aggregation is off.
    pub fn count(
        &mut self,
        record: ViolationRecord,
        limit: usize,
        now: impl FnOnce() -> Instant,
    ) -> Option<ViolationRecord> {
        if self.window.is_zero() {
            return Some(record);
        }
        let Err(hash) = self.count_open(&ViolationKey::of(&record), &record.time) else {
            return None;
        };
        if self.len >= limit {
            return Some(record);
        }
        self.remember(RECENT - 1, hash);
        let last_time = record.time.clone();
        self.open.entry(hash).or_default().push(Open {
            aggregated: Aggregated {
                record,
                count: 1,
                last_time,
            },
            opened: now(),
            order: self.next_order,
        });
        self.next_order += 1;
        self.len += 1;
        None
    }

    /// Counts one more occurrence, at `time`, of a violation whose aggregate is open: true.
    /// False when none is open (or aggregation is off): the caller then builds the record.
    pub fn count_repeat(&mut self, key: &ViolationKey<'_>, time: &SharedStr) -> bool {
        !self.window.is_zero() && self.count_open(key, time).is_ok()
    }

    /// Counts `key` into its open aggregate, or gives back the hash to open one under.
    fn count_open(&mut self, key: &ViolationKey<'_>, time: &SharedStr) -> Result<(), u64> {
        let open = match self.find_recent(key) {
            Some(open) => open,
            None => {
                let hash = self.hasher.hash_one(key);
                let index = self.open.get(&hash).and_then(|bucket| {
                    bucket
                        .iter()
                        .position(|open| key.matches(&open.aggregated.record))
                });
                let Some(index) = index else {
                    return Err(hash);
                };
                self.remember(RECENT - 1, hash);
                self.open
                    .get_mut(&hash)
                    .and_then(|bucket| bucket.get_mut(index))
                    .ok_or(hash)?
            }
        };
        open.aggregated.count += 1;
        open.aggregated.last_time = time.clone();
        Ok(())
    }

    /// The open aggregate for `key` among the recently counted ones, moved to the front.
    fn find_recent(&mut self, key: &ViolationKey<'_>) -> Option<&mut Open> {
        let same = |open: &Open| key.matches(&open.aggregated.record);
        let (slot, hash, index) = self.recent.iter().enumerate().find_map(|(slot, hash)| {
            let hash = (*hash)?;
            let index = self.open.get(&hash)?.iter().position(same)?;
            Some((slot, hash, index))
        })?;
        self.remember(slot, hash);
        self.open.get_mut(&hash)?.get_mut(index)
    }

    /// Puts `hash` first among the recent keys, dropping the one in `slot`.
    fn remember(&mut self, slot: usize, hash: u64) {
        if let Some(moved) = self.recent.get_mut(..=slot) {
            moved.rotate_right(1);
            if let Some(first) = moved.first_mut() {
                *first = Some(hash);
            }
        }
    }

    /// The aggregates whose window has closed, in first-seen order: the first `max` of them
    /// (the writer takes only what it has room for; the others stay open, still counting).
    pub fn take_due(&mut self, now: Instant, max: usize) -> Vec<Aggregated> {
        let window = self.window;
        self.take_where(
            |open| now.saturating_duration_since(open.opened) >= window,
            max,
        )
    }

    /// Everything still open (on shutdown or rotation).
    pub fn take_all(&mut self) -> Vec<Aggregated> {
        self.take_where(|_| true, usize::MAX)
    }

    /// How many aggregates are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.len
    }

    fn take_where(&mut self, due: impl Fn(&Open) -> bool, max: usize) -> Vec<Aggregated> {
        // Orders are unique: the first `max` due aggregates are those up to the `max`-th order.
        let mut orders: Vec<u64> = self
            .open
            .values()
            .flatten()
            .filter(|open| due(open))
            .map(|open| open.order)
            .collect();
        orders.sort_unstable();
        let Some(&last) = orders.get(max.min(orders.len()).wrapping_sub(1)) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        for bucket in self.open.values_mut() {
            let mut i = 0;
            while i < bucket.len() {
                if bucket[i].order <= last && due(&bucket[i]) {
                    taken.push(bucket.swap_remove(i));
                } else {
                    i += 1;
                }
            }
        }
        self.open.retain(|_, bucket| !bucket.is_empty());
        self.len -= taken.len();
        taken.sort_by_key(|open| open.order);
        taken.into_iter().map(|open| open.aggregated).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cookie: &str, path: &str, time: &str) -> ViolationRecord {
        ViolationRecord {
            time: time.into(),
            request_id: format!("req-{path}").into(),
            host: "portal".into(),
            path: path.into(),
            cookie: cookie.into(),
            cookie_path: Some("/".into()),
            client: Some("192.0.2.0/24".into()),
            ..ViolationRecord::sample()
        }
    }

    #[test]
    fn identical_violations_on_several_pages_become_one_line_with_a_count() {
        let start = Instant::now();
        let mut aggregator = Aggregator::new(Duration::from_secs(10));
        assert!(aggregator.add(record("_ga", "/a", "t1"), start).is_none());
        assert!(aggregator.add(record("_ga", "/b", "t2"), start).is_none());
        assert!(aggregator.add(record("_pk", "/b", "t2"), start).is_none());
        assert!(aggregator.add(record("_ga", "/c", "t3"), start).is_none());
        assert!(aggregator
            .take_due(start + Duration::from_secs(9), usize::MAX)
            .is_empty());
        let due = aggregator.take_due(start + Duration::from_secs(10), usize::MAX);
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].record.cookie, "_ga");
        assert_eq!(due[0].count, 3);
        assert_eq!(due[0].record.path, "/a");
        assert_eq!(due[0].record.time, "t1");
        assert_eq!(due[0].last_time, "t3");
        assert_eq!(due[1].count, 1);
        assert_eq!(aggregator.open_count(), 0);
    }

    #[test]
    fn a_zero_window_passes_every_violation_through() {
        let mut aggregator = Aggregator::new(Duration::ZERO);
        let out = aggregator
            .add(record("_ga", "/a", "t1"), Instant::now())
            .unwrap();
        assert_eq!(out.count, 1);
        assert_eq!(out.last_time, "t1");
    }

    #[test]
    fn take_all_flushes_what_is_still_open() {
        let mut aggregator = Aggregator::new(Duration::from_secs(60));
        aggregator.add(record("_ga", "/a", "t1"), Instant::now());
        assert_eq!(aggregator.take_all().len(), 1);
        assert_eq!(aggregator.open_count(), 0);
    }

    #[test]
    fn a_violation_seen_again_after_its_line_was_written_opens_a_new_aggregate() {
        let start = Instant::now();
        let mut aggregator = Aggregator::new(Duration::from_secs(10));
        aggregator.add(record("_ga", "/a", "t1"), start);
        assert_eq!(aggregator.take_all()[0].count, 1);
        // The key is still among the recent ones; its aggregate is gone.
        aggregator.add(record("_ga", "/b", "t2"), start);
        let due = aggregator.take_all();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].count, due[0].record.path.as_str()), (1, "/b"));
    }

    proptest::proptest! {
        /// However violations interleave (more distinct ones than the recent keys tried first)
        /// and whenever lines are written out, each line counts exactly its key's occurrences
        /// since the last write, in first-seen order.
        #[test]
        fn counts_interleaved_violations_exactly(
            steps in proptest::collection::vec(proptest::option::of(0_usize..7), 0..60),
        ) {
            let cookies = ["_ga", "_gid", "_fbp", "_pk_id", "_pk_ses", "_hjid", "_clck"];
            let start = Instant::now();
            let mut aggregator = Aggregator::new(Duration::from_secs(10));
            let mut expected: Vec<(&str, u64)> = Vec::new();
            let check = |aggregator: &mut Aggregator, expected: &mut Vec<(&str, u64)>| {
                let written: Vec<(String, u64)> = aggregator
                    .take_all()
                    .into_iter()
                    .map(|line| (line.record.cookie.to_string(), line.count))
                    .collect();
                let wanted: Vec<(String, u64)> =
                    expected.drain(..).map(|(cookie, count)| (cookie.to_owned(), count)).collect();
                proptest::prop_assert_eq!(written, wanted);
                Ok(())
            };
            for step in steps {
                match step {
                    Some(index) => {
                        let cookie = cookies[index];
                        aggregator.add(record(cookie, "/", "t"), start);
                        match expected.iter_mut().find(|(seen, _)| *seen == cookie) {
                            Some((_, count)) => *count += 1,
                            None => expected.push((cookie, 1)),
                        }
                    }
                    None => check(&mut aggregator, &mut expected)?,
                }
            }
            check(&mut aggregator, &mut expected)?;
        }
    }
}
