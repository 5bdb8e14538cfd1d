//! The demo's live view: every violation printed on standard output as one readable line while
//! the visitor clicks around, and also sent on as the usual `tracing` event (stderr, shown with
//! `RUST_LOG=info`), so the demo shows both what a person watches and what an operator's log
//! collector would get.

use std::io::Write;

use crate::audit::{TracingSink, ViolationRecord, ViolationSink};

/// Prints each record as one line, then forwards it to [`TracingSink`].
#[derive(Debug, Default)]
pub struct ConsoleSink {
    tracing: TracingSink,
}

impl ViolationSink for ConsoleSink {
    fn record(&self, record: &ViolationRecord) {
        let line = describe_violation(record);
        // A closed stdout (`consentry demo | head`) must not take the proxy down.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
        self.tracing.record(record);
    }
}

/// One line: what was done, the cookie's name (never its value), why, and on which request.
pub fn describe_violation(record: &ViolationRecord) -> String {
    let side = if record.direction == "request" {
        "  (sent by the browser)"
    } else {
        ""
    };
    format!(
        "{:<10} {:<20} {:<21} {}  {} {}{side}",
        describe_action(record),
        record.cookie,
        record.kind,
        describe_reason(record),
        record.method,
        record.path,
    )
}

/// The marker and verb: only an enforced action changed the request or the response; anything
/// else was logged. A cookie the browser sent is not dropped from a response but stripped from
/// the request (and, with cleanup, deleted from the browser by the response).
pub fn describe_action(record: &ViolationRecord) -> &'static str {
    match (record.enforced, record.action) {
        (true, "drop") if record.direction == "request" => "✗ stripped",
        (true, "drop") => "✗ dropped",
        (true, "cap") => "~ capped",
        (true, "add") => "+ fixed",
        _ => "· logged",
    }
}

fn describe_reason(record: &ViolationRecord) -> String {
    match record.kind {
        "no-consent" | "refused" | "request-not-consented" => {
            let category = record.category.as_deref().unwrap_or("?");
            let gpc = if record.gpc { ", Sec-GPC: 1" } else { "" };
            format!("({category}; consent: {}{gpc})", record.consent_state)
        }
        "undeclared" | "request-undeclared" => "(not in the cookie registry)".to_owned(),
        _ => record
            .detail
            .as_ref()
            .map(|detail| detail.to_string())
            .unwrap_or_else(|| format!("({})", record.category.as_deref().unwrap_or("-"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &'static str, action: &'static str, enforced: bool) -> ViolationRecord {
        ViolationRecord {
            cookie: "_pk_id.1.a1b2".into(),
            cookie_path: Some("/".into()),
            kind,
            declaration: Some("glob \"_pk_id.*\"".into()),
            category: Some("statistics".into()),
            action,
            enforced,
            client: Some("127.0.0.0/24".into()),
            ..ViolationRecord::sample()
        }
    }

    #[test]
    fn a_dropped_cookie_names_its_category_and_the_consent() {
        let line = describe_violation(&record("no-consent", "drop", true));
        assert!(line.starts_with("✗ dropped"), "{line}");
        assert!(line.contains("_pk_id.1.a1b2"), "{line}");
        assert!(line.contains("(statistics; consent: none)"), "{line}");
        assert!(line.ends_with("GET /"), "{line}");
    }

    #[test]
    fn a_capped_cookie_shows_the_lifetimes() {
        let mut capped = record("lifetime-exceeded", "cap", true);
        capped.detail = Some("declared at most 34186698 s, set for 63072000 s".into());
        let line = describe_violation(&capped);
        assert!(line.starts_with("~ capped"), "{line}");
        assert!(line.contains("set for 63072000 s"), "{line}");
    }

    /// A withdrawal as the live view shows it: the cookie the browser still sent, stripped, and
    /// why, with the consent that no longer covers it.
    #[test]
    fn a_stripped_request_cookie_says_so_and_why() {
        let mut stripped = record("request-not-consented", "drop", true);
        stripped.direction = "request";
        stripped.consent_state = "refused";
        let line = describe_violation(&stripped);
        assert!(line.starts_with("✗ stripped"), "{line}");
        assert!(line.contains("(statistics; consent: refused)"), "{line}");
        assert!(line.ends_with("GET /  (sent by the browser)"), "{line}");
        let mut undeclared = record("request-undeclared", "drop", true);
        undeclared.direction = "request";
        let line = describe_violation(&undeclared);
        assert!(line.contains("(not in the cookie registry)"), "{line}");
    }

    /// Report-only, or a `log` action: nothing was changed, and the line must not claim it was.
    #[test]
    fn an_unenforced_violation_is_only_logged() {
        assert_eq!(
            describe_action(&record("refused", "drop", false)),
            "· logged"
        );
        assert_eq!(describe_action(&record("refused", "log", true)), "· logged");
    }
}
