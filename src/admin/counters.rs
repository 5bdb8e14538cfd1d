//! Counters kept on the request path and shown on `/metrics`: plain atomics, incremented with
//! relaxed ordering (a count, not a synchronisation point).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Counters {
    /// Requests whose consent cookie was present but not understood (counted as no choice).
    pub consent_unreadable: AtomicU64,
    /// Cookie deletions sent to browsers (cleanup).
    pub cleanup_deletions: AtomicU64,
    /// Deletions a response could not carry (over `max_per_response`), left for later responses.
    pub cleanup_left_out: AtomicU64,
    /// Connections open to the upstream now (a gauge: the pool adds and takes away).
    pub upstream_open: AtomicU64,
    /// Requests that found every upstream connection busy at the bound and waited for one.
    pub upstream_waits: AtomicU64,
}

impl Counters {
    pub fn count_unreadable_consent(&self) {
        self.consent_unreadable.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_cleanup(&self, sent: usize, left_out: usize) {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.cleanup_deletions
            .fetch_add(as_u64(sent), Ordering::Relaxed);
        self.cleanup_left_out
            .fetch_add(as_u64(left_out), Ordering::Relaxed);
    }
}
