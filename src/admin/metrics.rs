//! `/metrics`: the audit writer's state in the OpenMetrics text format (prometheus-client). The
//! values live in the writer's atomics; a registry is filled from them at each scrape, which is
//! rare enough for that to cost nothing that matters.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::AdminState;

pub fn render(state: &AdminState) -> String {
    let mut registry = Registry::with_prefix("consentry");
    let gauge = |value: i64| {
        let gauge: Gauge<i64, AtomicI64> = Gauge::default();
        gauge.set(value);
        gauge
    };
    let counter = |value: u64| {
        let counter: Counter<u64, AtomicU64> = Counter::default();
        counter.inc_by(value);
        counter
    };
    registry.register(
        "consent_unreadable",
        "Requests whose consent cookie could not be read (treated as no choice)",
        counter(state.counters.consent_unreadable.load(Ordering::Relaxed)),
    );
    registry.register(
        "cleanup_deletions",
        "Set-Cookie deletions sent to remove cookies the visitor's consent does not cover",
        counter(state.counters.cleanup_deletions.load(Ordering::Relaxed)),
    );
    registry.register(
        "cleanup_left_out",
        "Deletions a response could not carry (policy.cleanup.max_per_response), sent later",
        counter(state.counters.cleanup_left_out.load(Ordering::Relaxed)),
    );
    registry.register(
        "upstream_connections",
        "Connections open to the upstream (at most proxy.max_upstream_connections)",
        gauge(
            i64::try_from(state.counters.upstream_open.load(Ordering::Relaxed)).unwrap_or(i64::MAX),
        ),
    );
    registry.register(
        "upstream_waits",
        "Requests that waited for an upstream connection (every one busy at the bound)",
        counter(state.counters.upstream_waits.load(Ordering::Relaxed)),
    );
    if let Some(audit) = &state.audit {
        registry.register(
            "audit_healthy",
            "1 while the audit log can be written, 0 while it cannot",
            gauge(i64::from(audit.healthy.load(Ordering::Relaxed))),
        );
        registry.register(
            "audit_pending_records",
            "Audit lines held in memory, waiting for the disk",
            gauge(i64::try_from(audit.pending.load(Ordering::Relaxed)).unwrap_or(i64::MAX)),
        );
        registry.register(
            "audit_write_failures",
            "Failed attempts to write the audit log",
            counter(audit.write_failures.load(Ordering::Relaxed)),
        );
        registry.register(
            "audit_lines_written",
            "Violation lines written to the audit log",
            counter(audit.lines_written.load(Ordering::Relaxed)),
        );
        registry.register(
            "audit_violations_written",
            "Violations written to the audit log (the sum of the lines' counts)",
            counter(audit.violations_written.load(Ordering::Relaxed)),
        );
    }
    let mut text = String::new();
    if encode(&mut text, &registry).is_err() {
        text = "# metrics could not be encoded\n".to_owned();
    }
    text
}
