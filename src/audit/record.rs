//! The violation record: one breach, with the request it happened on. Designed to be the line
//! the audit log stores; it never holds a cookie value or a query string.

use serde::Serialize;

use crate::policy::{Detail, Violation};
use crate::registry::MaxLifetime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationRecord {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub request_id: String,
    pub method: String,
    pub host: String,
    /// Path only: the query string may carry tokens.
    pub path: String,
    pub status: u16,
    /// `response` (a `Set-Cookie` line) or `request` (a `Cookie` the browser sent).
    pub direction: &'static str,
    /// The cookie's name; never its value.
    pub cookie: String,
    pub cookie_domain: Option<String>,
    pub cookie_path: Option<String>,
    pub kind: &'static str,
    /// The matching declaration, described (`name "sessionid"`, `glob "_ga_*"`).
    pub declaration: Option<String>,
    pub category: Option<String>,
    pub consent_state: &'static str,
    /// `format:cookie` of the consent source that answered.
    pub consent_source: Option<String>,
    pub granted: Vec<String>,
    pub gpc: bool,
    pub action: &'static str,
    pub mode: &'static str,
    /// Whether the action was carried out (false in report-only, or for `log`).
    pub enforced: bool,
    pub detail: Option<String>,
    /// The visitor's network (/24 or /48), never a full address.
    pub client: Option<String>,
}

/// A human-readable account of what exactly was wrong, or `None` when the kind says it all.
pub fn describe_detail(violation: &Violation) -> Option<String> {
    match violation.detail {
        Detail::None => None,
        Detail::Malformed(reason) => Some(reason.to_owned()),
        Detail::GpcDenied => Some("denied by Sec-GPC: 1".to_owned()),
        Detail::VendorRefused => Some("a TCF vendor it needs has no consent".to_owned()),
        Detail::Lifetime {
            declared,
            actual_secs,
        } => Some(match declared {
            MaxLifetime::Session => format!("declared session-only, set for {actual_secs} s"),
            MaxLifetime::Duration(max) => {
                format!(
                    "declared at most {} s, set for {actual_secs} s",
                    max.as_secs()
                )
            }
        }),
        Detail::Missing(missing) => {
            let mut parts = Vec::new();
            if missing.secure {
                parts.push("Secure".to_owned());
            }
            if missing.http_only {
                parts.push("HttpOnly".to_owned());
            }
            if let Some(same_site) = missing.same_site {
                parts.push(format!("SameSite={}", same_site.as_str()));
            }
            Some(format!("missing {}", parts.join(", ")))
        }
    }
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T05:12:03.042Z`.
pub fn format_time(time: std::time::SystemTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from(time)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_time_as_rfc3339_utc_with_milliseconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_764_393_123_042);
        assert_eq!(format_time(time), "2025-11-29T05:12:03.042Z");
    }
}
