//! One request of the scripted visit as the visitor and the audit trail saw it: which cookies
//! passed (and whether consentry rewrote them), which were dropped and why, and the table rows
//! that show it.

use http::StatusCode;

use super::visitor::{ReceivedCookie, Reply};
use crate::audit::ViolationRecord;

/// What happened to the `Set-Cookie` lines of one response.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: &'static str,
    pub path: &'static str,
    pub form: Option<&'static str>,
    pub status: StatusCode,
    pub passed: Vec<Passed>,
    /// `(cookie, kind)` of every line consentry removed.
    pub dropped: Vec<(String, &'static str)>,
    /// `(cookie, kind)` of violations recorded but not acted on.
    pub logged: Vec<(String, &'static str)>,
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
            .map(|ReceivedCookie { name, max_age }| Passed {
                name: name.clone(),
                max_age: *max_age,
                capped: was_rewritten(records, name, "cap"),
                fixed: was_rewritten(records, name, "add"),
            })
            .collect();
        let dropped = records
            .iter()
            .filter(|r| r.enforced && r.action == "drop")
            .map(|r| (r.cookie.clone(), r.kind))
            .collect();
        let logged = records
            .iter()
            .filter(|r| !r.enforced)
            .map(|r| (r.cookie.clone(), r.kind))
            .collect();
        Exchange {
            method,
            path,
            form,
            status: reply.status,
            passed,
            dropped,
            logged,
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

    /// The table rows: `passed`, `dropped` and `logged`, each only when not empty.
    pub fn render_rows(&self) -> Vec<String> {
        let mut rows = Vec::new();
        let passed: Vec<String> = self.passed.iter().map(describe_passed).collect();
        push_row(&mut rows, "passed", &passed);
        let dropped: Vec<String> = self.dropped.iter().map(describe_kind).collect();
        push_row(&mut rows, "dropped", &dropped);
        let logged: Vec<String> = self.logged.iter().map(describe_kind).collect();
        push_row(&mut rows, "logged", &logged);
        rows
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
        .any(|r| r.cookie == name && r.enforced && r.action == action)
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
