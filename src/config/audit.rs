//! Validating `[audit]`: where the tamper-evident log goes and how it is written.

use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use super::raw::RawAudit;
use super::size::parse_size;
use super::{parse_duration, ConfigError, Source};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditPath {
    File(PathBuf),
    Stdout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every batch of lines.
    Always,
    /// At most this long after a line was written.
    Every(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddress {
    /// /24 for IPv4, /48 for IPv6.
    Truncate,
    Omit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    pub path: AuditPath,
    pub instance: String,
    pub max_size: u64,
    pub rotate_daily: bool,
    pub fsync: Fsync,
    pub client: ClientAddress,
    pub aggregate: Duration,
    /// Records waiting for the writer before the request path waits (backpressure).
    pub queue: usize,
    /// Records kept in memory while the log cannot be written, before backpressure.
    pub max_pending: usize,
}

pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;
pub const DEFAULT_FSYNC: Duration = Duration::from_secs(1);
pub const DEFAULT_AGGREGATE: Duration = Duration::from_secs(10);
pub const DEFAULT_QUEUE: usize = 10_000;
pub const DEFAULT_MAX_PENDING: usize = 100_000;

pub fn validate_audit(
    raw: &Spanned<RawAudit>,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<AuditConfig> {
    let before = errors.len();
    let audit = raw.get_ref();
    let path = match &audit.path {
        None => {
            errors.push(source.error_at("audit.path", Some(raw.span()), "missing: a file such as \"/var/log/consentry/audit.jsonl\", or \"-\" for standard output"));
            AuditPath::Stdout
        }
        Some(text) if text.get_ref() == "-" => AuditPath::Stdout,
        Some(text) => AuditPath::File(source.base.join(text.get_ref())),
    };
    let instance = match &audit.instance {
        Some(text) if text.get_ref().trim().is_empty() => {
            errors.push(source.error("audit.instance", Some(text), "must not be empty"));
            String::new()
        }
        Some(text) => text.get_ref().trim().to_owned(),
        None => default_instance(),
    };
    let max_size = audit
        .max_size
        .as_ref()
        .map_or(Ok(DEFAULT_MAX_SIZE), |text| {
            parse_size(text.get_ref())
                .map_err(|m| errors.push(source.error("audit.max_size", Some(text), m)))
        });
    let fsync = match &audit.fsync {
        None => Fsync::Every(DEFAULT_FSYNC),
        Some(text) if text.get_ref() == "always" => Fsync::Always,
        Some(text) => match parse_duration(text.get_ref()) {
            Ok(d) if !d.is_zero() => Fsync::Every(d),
            Ok(_) => Fsync::Always,
            Err(m) => {
                errors.push(source.error("audit.fsync", Some(text), format!("{m}; or \"always\"")));
                Fsync::Always
            }
        },
    };
    let client = match audit.client.as_ref().map(|t| (t, t.get_ref().as_str())) {
        None | Some((_, "truncate")) => ClientAddress::Truncate,
        Some((_, "omit")) => ClientAddress::Omit,
        Some((text, _)) => {
            errors.push(source.error(
                "audit.client",
                Some(text),
                "must be \"truncate\" or \"omit\" (a full address is never written)",
            ));
            ClientAddress::Truncate
        }
    };
    let aggregate = audit.aggregate.as_ref().map_or(DEFAULT_AGGREGATE, |text| {
        parse_duration(text.get_ref()).unwrap_or_else(|m| {
            errors.push(source.error("audit.aggregate", Some(text), m));
            DEFAULT_AGGREGATE
        })
    });
    let count = |value: &Option<Spanned<u64>>,
                 field: &str,
                 default: usize,
                 errors: &mut Vec<ConfigError>| match value {
        None => default,
        Some(v) if *v.get_ref() == 0 => {
            errors.push(source.error_at(field, Some(v.span()), "must be at least 1"));
            default
        }
        Some(v) => usize::try_from(*v.get_ref()).unwrap_or(usize::MAX),
    };
    let queue = count(&audit.queue, "audit.queue", DEFAULT_QUEUE, errors);
    let max_pending = count(
        &audit.max_pending,
        "audit.max_pending",
        DEFAULT_MAX_PENDING,
        errors,
    );
    let max_size = max_size.ok()?;
    (errors.len() == before).then_some(AuditConfig {
        path,
        instance,
        max_size,
        rotate_daily: audit.rotate_daily.unwrap_or(true),
        fsync,
        client,
        aggregate,
        queue,
        max_pending,
    })
}

/// The host name, so that several instances' logs are told apart without configuration.
fn default_instance() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "consentry".to_owned())
}
