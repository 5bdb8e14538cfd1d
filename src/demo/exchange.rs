//! One request of the scripted visit as the visitor and the audit trail saw it: which cookies
//! passed (and whether consentry rewrote them), which were dropped and why, which the browser
//! sent but consentry stripped from the request, which the response deleted from the browser,
//! and the table rows that show it.

use http::StatusCode;

use super::jar::ReceivedCookie;
use super::visitor::Reply;
use crate::audit::ViolationRecord;

/// What happened to the cookies of one request and to the `Set-Cookie` lines of its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: &'static str,
    pub path: &'static str,
    pub form: Option<&'static str>,
    pub status: StatusCode,
    pub passed: Vec<Passed>,
    /// `(cookie, kind)` of every `Set-Cookie` line consentry removed.
    pub dropped: Vec<(String, &'static str)>,
    /// `(cookie, kind)` of violations recorded but not acted on, on either side.
    pub logged: Vec<(String, &'static str)>,
    /// `(cookie, kind)` of every cookie consentry stripped from the request.
    pub stripped: Vec<(String, &'static str)>,
    /// The names the response's deletions named, once each (a name may have several forms).
    pub deleted: Vec<String>,
    /// The names the visitor's jar holds after the response.
    pub held: Vec<String>,
    /// The names the portal says it received, when it says so.
    pub portal_received: Option<Vec<String>>,
}

/// A cookie that reached the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    pub name: String,
    pub max_age: Option<i64>,
    /// consentry shortened its lifetime.
    pub capped: bool,
    /// consentry added a required attribute.
    pub fixed: bool,
}

impl Exchange {
    /// Joins what reached the visitor with the violations recorded during the request.
    pub fn summarise(
        method: &'static str,
        path: &'static str,
        form: Option<&'static str>,
        reply: &Reply,
        records: &[ViolationRecord],
    ) -> Exchange {
        let passed = reply
            .cookies
            .iter()
            .filter(|cookie| !cookie.deletes)
            .map(|ReceivedCookie { name, max_age, .. }| Passed {
                name: name.clone(),
                max_age: *max_age,
                capped: was_rewritten(records, name, "cap"),
                fixed: was_rewritten(records, name, "add"),
            })
            .collect();
        Exchange {
            method,
            path,
            form,
            status: reply.status,
            passed,
            dropped: list_enforced_drops(records, "response"),
            logged: records
                .iter()
                .filter(|r| !r.enforced)
                .map(|r| (r.cookie.to_string(), r.kind))
                .collect(),
            stripped: list_enforced_drops(records, "request"),
            deleted: list_deleted_names(&reply.cookies),
            held: reply.held.clone(),
            portal_received: reply.portal_received.clone(),
        }
    }

    pub fn find_passed(&self, name: &str) -> Option<&Passed> {
        self.passed.iter().find(|p| p.name == name)
    }

    /// Dropped with this kind, and indeed absent from the response.
    pub fn was_dropped_as(&self, name: &str, kind: &str) -> bool {
        self.find_passed(name).is_none()
            && self
                .dropped
                .iter()
                .any(|(cookie, k)| cookie == name && *k == kind)
    }

    /// Stripped from the request with this kind, and indeed not received by the portal (which
    /// must say what it received: a strip nobody can see is not counted).
    pub fn was_stripped_as(&self, name: &str, kind: &str) -> bool {
        self.stripped
            .iter()
            .any(|(cookie, k)| cookie == name && *k == kind)
            && self
                .portal_received
                .as_ref()
                .is_some_and(|names| !names.iter().any(|n| n == name))
    }

    /// The response deleted it, and the browser no longer holds it.
    pub fn was_deleted(&self, name: &str) -> bool {
        self.deleted.iter().any(|n| n == name) && !self.is_held(name)
    }

    /// The visitor's jar holds it after the response.
    pub fn is_held(&self, name: &str) -> bool {
        self.held.iter().any(|n| n == name)
    }

    /// The portal says it received it.
    pub fn reached_portal(&self, name: &str) -> bool {
        self.portal_received
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| n == name))
    }

    /// The table rows: `passed`, `dropped` and `logged`, each only when not empty, then one
    /// row per cookie stripped from the request or deleted from the browser.
    pub fn render_rows(&self) -> Vec<String> {
        let mut rows = Vec::new();
        let passed: Vec<String> = self.passed.iter().map(describe_passed).collect();
        push_row(&mut rows, "passed", &passed);
        let dropped: Vec<String> = self.dropped.iter().map(describe_kind).collect();
        push_row(&mut rows, "dropped", &dropped);
        let logged: Vec<String> = self.logged.iter().map(describe_kind).collect();
        push_row(&mut rows, "logged", &logged);
        let cleanup = self.describe_cleanup();
        let width = cleanup
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0);
        for (name, what) in cleanup {
            rows.push(format!("     {name:<width$} {what}"));
        }
        rows
    }

    /// `(cookie, what happened)` for each cookie stripped from the request, then each other
    /// cookie the response deleted (the portal's own deletions, say at log-out).
    fn describe_cleanup(&self) -> Vec<(&str, String)> {
        let mut lines: Vec<(&str, String)> = self
            .stripped
            .iter()
            .map(|(name, kind)| {
                let mut what = format!("stripped from the request ({kind})");
                if let Some(deletion) = self.describe_deletion(name) {
                    what.push_str(", ");
                    what.push_str(deletion);
                }
                (name.as_str(), what)
            })
            .collect();
        for name in &self.deleted {
            if !self.stripped.iter().any(|(stripped, _)| stripped == name) {
                let what = self.describe_deletion(name).unwrap_or_default().to_owned();
                lines.push((name.as_str(), what));
            }
        }
        lines
    }

    /// Whether the deletion took: a deletion that missed the cookie's path or domain leaves it
    /// in the browser, and the table must not claim otherwise.
    fn describe_deletion(&self, name: &str) -> Option<&'static str> {
        if !self.deleted.iter().any(|n| n == name) {
            None
        } else if self.is_held(name) {
            Some("deletion sent, but still in the browser")
        } else {
            Some("deleted from the browser")
        }
    }

    /// `POST /consent  choice=refuse  → 303`
    pub fn render_request(&self) -> String {
        let form = self.form.map(|f| format!("  {f}")).unwrap_or_default();
        format!(
            "{:<4} {}{form}  → {}",
            self.method,
            self.path,
            self.status.as_u16()
        )
    }
}

/// Whether consentry carried out `action` on the line setting `name`.
fn was_rewritten(records: &[ViolationRecord], name: &str, action: &str) -> bool {
    records
        .iter()
        .any(|r| r.direction == "response" && r.cookie == name && r.enforced && r.action == action)
}

/// `(cookie, kind)` of the cookies consentry removed on one side: `"response"` for `Set-Cookie`
/// lines, `"request"` for cookies the browser sent.
fn list_enforced_drops(
    records: &[ViolationRecord],
    direction: &str,
) -> Vec<(String, &'static str)> {
    records
        .iter()
        .filter(|r| r.direction == direction && r.enforced && r.action == "drop")
        .map(|r| (r.cookie.to_string(), r.kind))
        .collect()
}

/// The names the response's deletions named, in order, once each.
fn list_deleted_names(cookies: &[ReceivedCookie]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for cookie in cookies.iter().filter(|c| c.deletes) {
        if !names.contains(&cookie.name) {
            names.push(cookie.name.clone());
        }
    }
    names
}

fn describe_passed(passed: &Passed) -> String {
    let mut text = passed.name.clone();
    match (passed.capped, passed.max_age) {
        (true, Some(seconds)) => text.push_str(&format!(" (capped to Max-Age={seconds})")),
        (true, None) => text.push_str(" (capped)"),
        (false, _) => {}
    }
    if passed.fixed {
        text.push_str(" (attribute added)");
    }
    text
}

fn describe_kind((cookie, kind): &(String, &'static str)) -> String {
    format!("{cookie} ({kind})")
}

fn push_row(rows: &mut Vec<String>, label: &str, items: &[String]) {
    if !items.is_empty() {
        rows.push(format!("     {label:<8} {}", items.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(direction: &'static str, cookie: &str, kind: &'static str) -> ViolationRecord {
        ViolationRecord {
            direction,
            cookie: cookie.into(),
            kind,
            category: Some("statistics".into()),
            consent_state: "refused",
            ..ViolationRecord::sample()
        }
    }

    fn received(name: &str, deletes: bool) -> ReceivedCookie {
        ReceivedCookie {
            name: name.to_owned(),
            max_age: deletes.then_some(0),
            deletes,
        }
    }

    /// The page after a withdrawal: `_ga` sent, stripped, and deleted (twice: two forms).
    fn withdrawal(held: &[&str], portal_received: &[&str]) -> Exchange {
        let reply = Reply {
            status: StatusCode::OK,
            cookies: vec![
                received("csrftoken", false),
                received("_ga", true),
                received("_ga", true),
            ],
            held: held.iter().map(|n| n.to_string()).collect(),
            portal_received: Some(portal_received.iter().map(|n| n.to_string()).collect()),
        };
        let records = [
            record("response", "_ga", "refused"),
            record("request", "_ga", "request-not-consented"),
        ];
        Exchange::summarise("GET", "/", None, &reply, &records)
    }

    #[test]
    fn keeps_the_request_side_apart_from_the_response_side() {
        let exchange = withdrawal(&["csrftoken"], &["csrftoken"]);
        assert_eq!(exchange.dropped, [("_ga".to_owned(), "refused")]);
        assert_eq!(
            exchange.stripped,
            [("_ga".to_owned(), "request-not-consented")]
        );
        assert_eq!(exchange.deleted, ["_ga"]);
        // A deletion is not a cookie that passed.
        assert!(exchange.find_passed("_ga").is_none());
        assert!(exchange.was_dropped_as("_ga", "refused"));
        assert!(exchange.was_stripped_as("_ga", "request-not-consented"));
        assert!(exchange.was_deleted("_ga"));
    }

    #[test]
    fn shows_one_row_per_cleaned_up_cookie() {
        let rows = withdrawal(&["csrftoken"], &["csrftoken"]).render_rows();
        assert_eq!(
            rows.last().map(String::as_str),
            Some(
                "     _ga stripped from the request (request-not-consented), deleted from the browser"
            ),
            "{rows:#?}"
        );
    }

    /// The checks must not take consentry's word for it: the portal and the jar are asked too.
    #[test]
    fn a_strip_the_portal_saw_or_a_deletion_the_browser_kept_does_not_count() {
        let exchange = withdrawal(&["csrftoken", "_ga"], &["csrftoken", "_ga"]);
        assert!(!exchange.was_stripped_as("_ga", "request-not-consented"));
        assert!(!exchange.was_deleted("_ga"));
        assert!(exchange.render_rows().iter().any(|row| row
            .ends_with("_ga stripped from the request (request-not-consented), deletion sent, but still in the browser")));
    }

    #[test]
    fn a_deletion_of_the_portal_s_own_shows_as_such() {
        let reply = Reply {
            status: StatusCode::SEE_OTHER,
            cookies: vec![received("sessionid", true)],
            held: Vec::new(),
            portal_received: None,
        };
        let exchange = Exchange::summarise("POST", "/logout", None, &reply, &[]);
        assert_eq!(
            exchange.render_rows(),
            ["     sessionid deleted from the browser"]
        );
        assert!(!exchange.was_stripped_as("sessionid", "request-not-consented"));
    }
}
