//! Violation records and where they go. Each breach found on the request path becomes one
//! [`ViolationRecord`]; a [`ViolationSink`] receives it. The default sink emits a structured
//! `tracing` event (target `consentry::violation`); the tamper-evident audit log plugs in here.

mod aggregate;
pub mod chain;
mod counting;
mod file;
mod key;
mod record;
pub mod report;
mod shared;
pub mod verify;
mod writer;

pub use key::{Text, ViolationKey};
pub use record::{describe_detail, format_shared_time, format_time, ViolationRecord};
pub use shared::{SharedList, SharedStr};
pub use writer::{AuditHandle, AuditLog, AuditState};

/// Receives every violation record. Implementations must be cheap and must not block the
/// request path for long.
pub trait ViolationSink: Send + Sync {
    fn record(&self, record: &ViolationRecord);

    /// Whether this sink does anything with a record. When it does not and the audit log counts
    /// a violation as a repeat of an open line, no record is built for it.
    fn wants_records(&self) -> bool {
        true
    }
}

/// One structured event for a record, target `consentry::violation`, at the given level
/// (tracing needs the level at compile time, hence a macro).
macro_rules! violation_event {
    ($level:ident, $r:expr) => {{
        let r = $r;
        tracing::$level!(
            target: "consentry::violation",
            time = %r.time,
            request_id = %r.request_id,
            method = %r.method,
            host = %r.host,
            path = %r.path,
            status = r.status,
            direction = r.direction,
            cookie = %r.cookie,
            cookie_domain = r.cookie_domain.as_deref(),
            cookie_path = r.cookie_path.as_deref(),
            kind = r.kind,
            declaration = r.declaration.as_deref(),
            category = r.category.as_deref(),
            consent_state = r.consent_state,
            consent_source = r.consent_source.as_deref(),
            granted = %r.granted.join(","),
            gpc = r.gpc,
            action = r.action,
            mode = r.mode,
            enforced = r.enforced,
            detail = r.detail.as_deref(),
            "cookie violation"
        )
    }};
}

/// Emits each record as one `warn` event: without an audit log, the log is where violations go.
#[derive(Debug, Default)]
pub struct TracingSink;

impl ViolationSink for TracingSink {
    fn record(&self, r: &ViolationRecord) {
        violation_event!(warn, r);
    }
}

/// Emits each record as one `debug` event: with an audit log, which holds every record, the
/// process log stays readable (one line per request) and does not pay twice for each violation.
/// `RUST_LOG=consentry::violation=debug` shows them again.
#[derive(Debug, Default)]
pub struct AuditedTracingSink;

impl ViolationSink for AuditedTracingSink {
    fn record(&self, r: &ViolationRecord) {
        // Skip building the `granted` join when nobody listens.
        if self.wants_records() {
            violation_event!(debug, r);
        }
    }

    fn wants_records(&self) -> bool {
        tracing::enabled!(target: "consentry::violation", tracing::Level::DEBUG)
    }
}
