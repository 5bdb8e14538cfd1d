//! Counters kept on the request path and shown on `/metrics`: plain atomics, incremented with
//! relaxed ordering (a count, not a synchronisation point).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Counters {
    /// Requests whose consent cookie was present but not understood (counted as no choice).
    pub consent_unreadable: AtomicU64,
}

impl Counters {
    pub fn count_unreadable_consent(&self) {
        self.consent_unreadable.fetch_add(1, Ordering::Relaxed);
    }
}
