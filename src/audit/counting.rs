//! The open aggregates, shared by the request path and the audit writer.
//!
//! Under load the same few violations repeat on every response. Each used to travel the queue to
//! the writer's thread only to add one to a count there: a copy of the record in and out of the
//! queue, and a thread switch on the request path's core every few milliseconds. Here the request
//! path counts a violation whose aggregate is open itself, under a lock held for one key
//! comparison; only what the aggregates cannot take goes through the queue. The writer takes the
//! aggregates whose window has closed, writes them and seals them exactly as before, so the lines,
//! their counts and their order are those one aggregator gave (docs/audit-log.md, "Aggregation").
//!
//! The lock is one for the process, as the aggregation is (one line per key and window, whatever
//! the thread): with `workers = 1` it is never contended, and with more it is held for a key
//! comparison, about as long as the queue's own atomic operations took.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::aggregate::{Aggregated, Aggregator};
use super::key::ViolationKey;
use super::record::ViolationRecord;
use super::shared::SharedStr;

pub struct SharedAggregator {
    state: Mutex<State>,
    /// Aggregation is off: every record goes through the queue, the lock is never taken.
    off: bool,
    /// How many aggregates the request path may open. Past it, a new violation goes through the
    /// queue, which applies backpressure when the writer falls behind (a disk that refuses), so
    /// that a stalled writer cannot make the open aggregates grow without bound.
    limit: usize,
}

struct State {
    aggregator: Aggregator,
    /// The writer took everything for the last time: a record counted now would never be
    /// written, so it is given back (and the queue, closed too, says so in the log).
    closed: bool,
}

impl SharedAggregator {
    pub fn new(window: Duration, limit: usize) -> SharedAggregator {
        SharedAggregator {
            state: Mutex::new(State {
                aggregator: Aggregator::new(window),
                closed: false,
            }),
            off: window.is_zero(),
            limit,
        }
    }

    /// Counts `record` into its open aggregate, or opens one; gives it back when it has to go
    /// through the queue instead (aggregation off, `limit` aggregates open, or the writer closed).
    pub fn count(&self, record: ViolationRecord) -> Option<ViolationRecord> {
        if self.off {
            return Some(record);
        }
        let mut state = self.lock();
        if state.closed {
            return Some(record);
        }
        state.aggregator.count(record, self.limit, Instant::now)
    }

    /// Counts one more occurrence, at `time`, of a violation whose aggregate is open: true. False
    /// when none is open (or aggregation is off, or the writer closed): the caller then builds the
    /// record and hands it to [`SharedAggregator::count`] or the queue.
    pub fn count_repeat(&self, key: &ViolationKey<'_>, time: &SharedStr) -> bool {
        if self.off {
            return false;
        }
        let mut state = self.lock();
        !state.closed && state.aggregator.count_repeat(key, time)
    }

    /// Counts a record the writer took from the queue, with no limit; returns it at once when
    /// aggregation is off.
    pub fn add(&self, record: ViolationRecord, now: Instant) -> Option<Aggregated> {
        self.lock().aggregator.add(record, now)
    }

    /// The first `max` aggregates whose window has closed, in first-seen order.
    pub fn take_due(&self, now: Instant, max: usize) -> Vec<Aggregated> {
        if self.off || max == 0 {
            return Vec::new();
        }
        self.lock().aggregator.take_due(now, max)
    }

    /// Everything still open, for the last time: from now on every record is given back.
    pub fn close(&self) -> Vec<Aggregated> {
        let mut state = self.lock();
        state.closed = true;
        state.aggregator.take_all()
    }

    /// How many aggregates are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.lock().aggregator.open_count()
    }

    // A panic while the lock was held (none is expected) leaves counts that are still whole
    // numbers of violations: carrying on loses none of them.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cookie: &str, time: &str) -> ViolationRecord {
        ViolationRecord {
            cookie: cookie.into(),
            time: time.into(),
            ..ViolationRecord::sample()
        }
    }

    #[test]
    fn repeats_are_counted_where_they_happen_and_come_out_as_one_line() {
        let shared = SharedAggregator::new(Duration::from_secs(10), 100);
        assert!(shared.count(record("_ga", "t1")).is_none());
        assert!(shared.count(record("_ga", "t2")).is_none());
        assert!(shared.count(record("_fbp", "t2")).is_none());
        let lines = shared.close();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].record.cookie.as_str(), lines[0].count),
            ("_ga", 2)
        );
        assert_eq!(lines[0].last_time, "t2");
        assert_eq!(
            (lines[1].record.cookie.as_str(), lines[1].count),
            ("_fbp", 1)
        );
    }

    #[test]
    fn a_new_violation_past_the_limit_is_given_back_but_a_repeat_is_still_counted() {
        let shared = SharedAggregator::new(Duration::from_secs(10), 1);
        assert!(shared.count(record("_ga", "t1")).is_none());
        let given_back = shared.count(record("_fbp", "t1"));
        assert_eq!(given_back.map(|r| r.cookie), Some("_fbp".into()));
        assert!(shared.count(record("_ga", "t2")).is_none());
        // The writer adds what came through the queue without a limit.
        assert!(shared.add(record("_fbp", "t1"), Instant::now()).is_none());
        assert_eq!(shared.open_count(), 2);
    }

    #[test]
    fn after_close_every_record_is_given_back() {
        let shared = SharedAggregator::new(Duration::from_secs(10), 100);
        assert!(shared.count(record("_ga", "t1")).is_none());
        assert_eq!(shared.close().len(), 1);
        assert!(shared.count(record("_ga", "t2")).is_some());
        assert_eq!(shared.open_count(), 0);
    }

    #[test]
    fn with_aggregation_off_every_record_goes_through_the_queue() {
        let shared = SharedAggregator::new(Duration::ZERO, 100);
        assert!(shared.count(record("_ga", "t1")).is_some());
        let line = shared.add(record("_ga", "t1"), Instant::now());
        assert_eq!(line.map(|l| l.count), Some(1));
    }

    #[test]
    fn the_writer_takes_only_as_many_due_lines_as_it_has_room_for_in_first_seen_order() {
        let shared = SharedAggregator::new(Duration::from_millis(1), 100);
        for cookie in ["_a", "_b", "_c"] {
            assert!(shared.count(record(cookie, "t1")).is_none());
        }
        let later = Instant::now() + Duration::from_secs(1);
        assert!(shared.take_due(later, 0).is_empty());
        let first: Vec<_> = shared
            .take_due(later, 2)
            .into_iter()
            .map(|l| l.record.cookie)
            .collect();
        assert_eq!(first, ["_a", "_b"]);
        // The one left is still open and still counting.
        assert!(shared.count(record("_c", "t2")).is_none());
        let rest = shared.take_due(later, 2);
        assert_eq!((rest[0].record.cookie.as_str(), rest[0].count), ("_c", 2));
    }
}
