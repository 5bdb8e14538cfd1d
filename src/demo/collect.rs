//! A sink that keeps every violation record in memory, so the scripted visit (and the tests) can
//! read back what consentry did to each response.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::audit::{ViolationRecord, ViolationSink};

/// Keeps every violation record, in the order the proxy emitted them. Unbounded: meant for a
/// scripted visit or a test, not for a long-running server.
#[derive(Debug, Default)]
pub struct RecordCollector {
    records: Mutex<Vec<ViolationRecord>>,
}

impl RecordCollector {
    /// How many records have arrived so far; pass it to [`RecordCollector::records_since`].
    pub fn count_records(&self) -> usize {
        self.lock_records().len()
    }

    /// Every record that arrived after the first `start`.
    pub fn records_since(&self, start: usize) -> Vec<ViolationRecord> {
        self.lock_records()
            .get(start..)
            .unwrap_or_default()
            .to_vec()
    }

    /// A copy of every record so far.
    pub fn snapshot_records(&self) -> Vec<ViolationRecord> {
        self.records_since(0)
    }

    // A panic elsewhere while holding the lock cannot leave a Vec half-pushed, so the records
    // stay usable after poisoning.
    fn lock_records(&self) -> MutexGuard<'_, Vec<ViolationRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ViolationSink for RecordCollector {
    fn record(&self, record: &ViolationRecord) {
        self.lock_records().push(record.clone());
    }
}
