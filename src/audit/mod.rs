//! Violation records and where they go. Each breach found on the request path becomes one
//! [`ViolationRecord`]; a [`ViolationSink`] receives it. The default sink emits a structured
//! `tracing` event (target `consentry::violation`); the tamper-evident audit log plugs in here.

mod aggregate;
pub mod chain;
mod file;
mod record;
pub mod report;
pub mod verify;
mod writer;

pub use record::{describe_detail, format_time, ViolationRecord};
pub use writer::{AuditHandle, AuditLog, AuditState};

/// Receives every violation record. Implementations must be cheap and must not block the
/// request path for long.
pub trait ViolationSink: Send + Sync {
    fn record(&self, record: &ViolationRecord);
}

/// Emits each record as one structured event, target `consentry::violation`.
#[derive(Debug, Default)]
pub struct TracingSink;

impl ViolationSink for TracingSink {
    fn record(&self, r: &ViolationRecord) {
        tracing::warn!(
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
        );
    }
}
