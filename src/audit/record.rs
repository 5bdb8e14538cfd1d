//! The violation record: one breach, with the request it happened on. Designed to be the line
//! the audit log stores; it never holds a cookie value or a query string.

use std::borrow::Cow;

use serde::Serialize;

use super::shared::{SharedList, SharedStr};
use crate::policy::{Detail, Violation};
use crate::registry::MaxLifetime;

/// The fields every record of a response (or of the process) repeats are shared strings, so
/// that building one record per violation and handing it to the sink and the audit queue costs
/// reference-count bumps; they serialise exactly as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViolationRecord {
    /// RFC 3339, UTC, milliseconds.
    pub time: SharedStr,
    pub request_id: SharedStr,
    pub method: SharedStr,
    pub host: SharedStr,
    /// Path only: the query string may carry tokens.
    pub path: SharedStr,
    pub status: u16,
    /// `response` (a `Set-Cookie` line) or `request` (a `Cookie` the browser sent).
    pub direction: &'static str,
    /// The cookie's name; never its value.
    pub cookie: SharedStr,
    pub cookie_domain: Option<SharedStr>,
    pub cookie_path: Option<SharedStr>,
    pub kind: &'static str,
    /// The matching declaration, described (`name "sessionid"`, `glob "_ga_*"`).
    pub declaration: Option<SharedStr>,
    pub category: Option<SharedStr>,
    pub consent_state: &'static str,
    /// `format:cookie` of the consent source that answered.
    pub consent_source: Option<SharedStr>,
    pub granted: SharedList,
    pub gpc: bool,
    pub action: &'static str,
    pub mode: &'static str,
    /// Whether the action was carried out (false in report-only, or for `log`).
    pub enforced: bool,
    pub detail: Option<SharedStr>,
    /// The visitor's network (/24 or /48), never a full address.
    pub client: Option<SharedStr>,
}

/// A human-readable account of what exactly was wrong, or `None` when the kind says it all.
/// The fixed texts are borrowed: only a lifetime or a missing attribute needs formatting.
pub fn describe_detail(violation: &Violation) -> Option<Cow<'static, str>> {
    match violation.detail {
        Detail::None => None,
        Detail::Malformed(reason) => Some(Cow::Borrowed(reason)),
        Detail::GpcDenied => Some(Cow::Borrowed("denied by Sec-GPC: 1")),
        Detail::VendorRefused => Some(Cow::Borrowed("a TCF vendor it needs has no consent")),
        Detail::Lifetime {
            declared,
            actual_secs,
        } => Some(Cow::Owned(match declared {
            MaxLifetime::Session => format!("declared session-only, set for {actual_secs} s"),
            MaxLifetime::Duration(max) => {
                format!(
                    "declared at most {} s, set for {actual_secs} s",
                    max.as_secs()
                )
            }
        })),
        Detail::Missing(missing) => {
            let mut text = String::from("missing ");
            let mut separator = "";
            if missing.secure {
                text.push_str("Secure");
                separator = ", ";
            }
            if missing.http_only {
                text.push_str(separator);
                text.push_str("HttpOnly");
                separator = ", ";
            }
            if let Some(same_site) = missing.same_site {
                text.push_str(separator);
                text.push_str("SameSite=");
                text.push_str(same_site.as_str());
            }
            Some(Cow::Owned(text))
        }
    }
}

/// What a time that cannot be formatted is written as.
const UNFORMATTABLE_TIME: &str = "1970-01-01T00:00:00.000Z";

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-29T05:12:03.042Z`.
pub fn format_time(time: std::time::SystemTime) -> String {
    let mut buf = [0; TIME_BUF];
    write_time(time, &mut buf)
        .unwrap_or(UNFORMATTABLE_TIME)
        .to_owned()
}

/// [`format_time`], shared by every record of a response. Under load many responses fall in the
/// same millisecond: each thread keeps the last one formatted and hands it out again.
pub fn format_shared_time(time: std::time::SystemTime) -> SharedStr {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(u128, SharedStr)>> =
            const { std::cell::RefCell::new(None) };
    }
    let millis = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    LAST.with_borrow_mut(|last| match last {
        Some((at, text)) if *at == millis => text.clone(),
        _ => {
            let mut buf = [0; TIME_BUF];
            let text = SharedStr::from(write_time(time, &mut buf).unwrap_or(UNFORMATTABLE_TIME));
            *last = Some((millis, text.clone()));
            text
        }
    })
}

/// Room for the 24 bytes of the format (years have four digits), with some to spare.
const TIME_BUF: usize = 32;

fn write_time(time: std::time::SystemTime, buf: &mut [u8; TIME_BUF]) -> Option<&str> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let len = time::OffsetDateTime::from(time)
        .format_into(&mut cursor, &format)
        .ok()?;
    std::str::from_utf8(buf.get(..len)?).ok()
}

/// One record for unit tests to start from: each test sets only the fields it is about.
#[cfg(test)]
impl ViolationRecord {
    pub fn sample() -> ViolationRecord {
        ViolationRecord {
            time: "2026-01-01T00:00:00.000Z".into(),
            request_id: "r1".into(),
            method: "GET".into(),
            host: "127.0.0.1".into(),
            path: "/".into(),
            status: 200,
            direction: "response",
            cookie: "_ga".into(),
            cookie_domain: None,
            cookie_path: None,
            kind: "no-consent",
            declaration: None,
            category: None,
            consent_state: "none",
            consent_source: None,
            granted: SharedList::default(),
            gpc: false,
            action: "drop",
            mode: "enforce",
            enforced: true,
            detail: None,
            client: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The enforcer makes room for three records per response at once: glibc serves blocks up
    /// to 1,032 bytes from its per-thread cache and larger ones by a slower path.
    #[test]
    fn three_records_fit_the_allocators_fast_cache() {
        assert!(3 * std::mem::size_of::<ViolationRecord>() <= 1032);
    }

    #[test]
    fn formats_time_as_rfc3339_utc_with_milliseconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_764_393_123_042);
        assert_eq!(format_time(time), "2025-11-29T05:12:03.042Z");
        assert_eq!(format_shared_time(time), "2025-11-29T05:12:03.042Z");
    }

    /// The per-thread reuse must never hand out another millisecond's text.
    #[test]
    fn shared_time_follows_each_millisecond() {
        let first = UNIX_EPOCH + Duration::from_millis(1_764_393_123_042);
        assert_eq!(format_shared_time(first), "2025-11-29T05:12:03.042Z");
        assert_eq!(format_shared_time(first), "2025-11-29T05:12:03.042Z");
        let next = first + Duration::from_micros(1_000);
        assert_eq!(format_shared_time(next), "2025-11-29T05:12:03.043Z");
        let earlier = first - Duration::from_secs(3_600);
        assert_eq!(format_shared_time(earlier), "2025-11-29T04:12:03.042Z");
    }
}
