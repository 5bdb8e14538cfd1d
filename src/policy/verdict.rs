//! The verdict on one `Set-Cookie` line: pure, no I/O, no allocation unless a line is rewritten.
//!
//! Checks run in this order, and the first violation whose action is `drop` ends them (once
//! `enforce` would drop the line, nothing else about it matters):
//!
//! 1. not UTF-8, or not a cookie a browser would store as written → `malformed`;
//! 2. a deletion (`Max-Age<=0`, or `Expires` in the past) → passes, always;
//! 3. no declaration matches the name → `undeclared`;
//! 4. the category needs consent and the visitor made no choice → `no-consent`;
//! 5. the visitor refused the category, or GPC denies it → `refused`;
//! 6. it would live longer than declared (`Max-Age` wins over `Expires`, RFC 6265 §5.3) →
//!    `lifetime-exceeded`;
//! 7. a required attribute is missing → `attribute-missing`.
//!
//! Allowed lines are forwarded byte for byte; only a `cap` or `add` in `enforce` rewrites one.

use http::HeaderValue;

use super::edit::{apply_edits, Edits};
use super::rules::{Action, Mode, Policy, ViolationKind};
use super::set_cookie::{
    parse_field_text, parse_set_cookie, FieldText, Lifetime, ParseError, SameSite, SetCookie,
};
use crate::consent::{Consent, ConsentState};
use crate::registry::{
    CategoryId, Declaration, MaxLifetime, Registry, RequiredAttributes, RequiredSameSite,
};

/// Allowance for clocks: an `Expires` computed by the upstream a little ahead of ours must not
/// count as a lifetime breach.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Everything a verdict depends on besides the line itself.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    pub registry: &'a Registry,
    pub policy: &'a Policy,
    pub consent: &'a Consent,
    /// Unix seconds, UTC.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send the original bytes.
    Forward,
    /// Remove the line.
    Drop,
    /// Send this line instead.
    Rewrite(String),
}

/// Which required attributes a line lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Missing {
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<RequiredSameSite>,
}

impl Missing {
    pub fn is_empty(&self) -> bool {
        !self.secure && !self.http_only && self.same_site.is_none()
    }
}

/// What an auditor needs to understand a violation, beyond its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detail {
    None,
    Malformed(&'static str),
    /// Refused because `Sec-GPC: 1` denies the category.
    GpcDenied,
    /// Refused because a TCF vendor the declaration names has no consent.
    VendorRefused,
    Lifetime {
        declared: MaxLifetime,
        actual_secs: i64,
    },
    Missing(Missing),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The configured action (what `enforce` does).
    pub action: Action,
    pub mode: Mode,
    pub detail: Detail,
}

impl Violation {
    /// Whether the action was carried out on the line.
    pub fn is_enforced(&self) -> bool {
        self.mode == Mode::Enforce && self.action != Action::Log
    }
}

/// At most two violations per line: one that drops it, or a lifetime and an attribute one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Violations([Option<Violation>; 2]);

impl Violations {
    fn push(&mut self, violation: Violation) {
        if let Some(slot) = self.0.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(violation);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0[0].is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'r, 'l> {
    pub outcome: Outcome,
    /// The parsed line (absent when malformed).
    pub cookie: Option<SetCookie<'l>>,
    pub declaration: Option<(usize, &'r Declaration)>,
    pub violations: Violations,
}

impl Verdict<'_, '_> {
    fn new() -> Self {
        Verdict {
            outcome: Outcome::Forward,
            cookie: None,
            declaration: None,
            violations: Violations::default(),
        }
    }

    pub fn category(&self) -> Option<CategoryId> {
        self.declaration.map(|(_, d)| d.category)
    }
}

/// Whether the checks go on after a violation.
enum Flow {
    Continue,
    Stop,
}

/// Judges one `Set-Cookie` line given as bytes.
pub fn judge_set_cookie<'r, 'l>(judge: &Judge<'r>, line: &'l [u8]) -> Verdict<'r, 'l> {
    match std::str::from_utf8(line) {
        Ok(text) => judge_parsed(judge, text, parse_set_cookie(text)),
        Err(_) => not_utf8(judge),
    }
}

/// Judges one `Set-Cookie` field value: as [`judge_set_cookie`] its bytes, without looking
/// again for the control characters a field value cannot hold.
pub fn judge_field_value<'r, 'l>(judge: &Judge<'r>, line: &'l HeaderValue) -> Verdict<'r, 'l> {
    match FieldText::of(line) {
        Some(text) => judge_parsed(judge, text.as_str(), parse_field_text(text)),
        None => not_utf8(judge),
    }
}

fn not_utf8<'r, 'l>(judge: &Judge<'r>) -> Verdict<'r, 'l> {
    let mut verdict = Verdict::new();
    record(
        judge,
        &mut verdict,
        ViolationKind::Malformed,
        Detail::Malformed("not UTF-8"),
    );
    verdict
}

/// The verdict on a line of `text`, parsed as `parsed`.
fn judge_parsed<'r, 'l>(
    judge: &Judge<'r>,
    text: &'l str,
    parsed: Result<SetCookie<'l>, ParseError>,
) -> Verdict<'r, 'l> {
    let mut verdict = Verdict::new();
    let cookie = match parsed {
        Ok(cookie) => cookie,
        Err(error) => {
            record(
                judge,
                &mut verdict,
                ViolationKind::Malformed,
                Detail::Malformed(error.as_str()),
            );
            return verdict;
        }
    };
    let lifetime = cookie.lifetime(judge.now);
    // Removing a cookie never hurts privacy.
    if lifetime == Lifetime::Expired {
        verdict.cookie = Some(cookie);
        return verdict;
    }
    let Some((index, declaration)) = judge.registry.find(cookie.name) else {
        verdict.cookie = Some(cookie);
        record(judge, &mut verdict, ViolationKind::Undeclared, Detail::None);
        return verdict;
    };
    verdict.declaration = Some((index, declaration));
    if let Flow::Stop = check_consent(judge, &mut verdict, declaration) {
        verdict.cookie = Some(cookie);
        return verdict;
    }
    let mut edits = Edits::default();
    if let Some(detail) = exceeded_lifetime(lifetime, declaration.max_lifetime) {
        if let Flow::Stop = record(judge, &mut verdict, ViolationKind::LifetimeExceeded, detail) {
            verdict.cookie = Some(cookie);
            return verdict;
        }
        edits.cap = enforced_last(&verdict, Action::Cap).then_some(declaration.max_lifetime);
    }
    let missing = missing_attributes(&cookie, declaration.required);
    if !missing.is_empty() {
        let detail = Detail::Missing(missing);
        if let Flow::Stop = record(judge, &mut verdict, ViolationKind::AttributeMissing, detail) {
            verdict.cookie = Some(cookie);
            return verdict;
        }
        if enforced_last(&verdict, Action::Add) {
            edits.add = missing;
        }
    }
    if !edits.is_empty() {
        verdict.outcome = Outcome::Rewrite(apply_edits(text, &cookie, &edits, judge.now));
    }
    verdict.cookie = Some(cookie);
    verdict
}

/// `no-consent` when the visitor made no choice, `refused` when the category is not granted.
fn check_consent(
    judge: &Judge<'_>,
    verdict: &mut Verdict<'_, '_>,
    declaration: &Declaration,
) -> Flow {
    let category = declaration.category;
    let consent = judge.consent;
    // TCF vendors named by the declaration need their own consent, whatever the category.
    if !declaration.vendors.is_empty() && !consent.granted.is_superset(declaration.vendors) {
        return match consent.state {
            ConsentState::None => record(judge, verdict, ViolationKind::NoConsent, Detail::None),
            _ => record(
                judge,
                verdict,
                ViolationKind::Refused,
                Detail::VendorRefused,
            ),
        };
    }
    if !judge.registry.category(category).needs_consent {
        return Flow::Continue;
    }
    if consent.state == ConsentState::None {
        return record(judge, verdict, ViolationKind::NoConsent, Detail::None);
    }
    if !consent.granted.contains(category) {
        let detail = if consent.gpc_denied.contains(category) {
            Detail::GpcDenied
        } else {
            Detail::None
        };
        return record(judge, verdict, ViolationKind::Refused, detail);
    }
    Flow::Continue
}

/// Records a violation with its configured action and mode; a `drop` ends the checks.
fn record(
    judge: &Judge<'_>,
    verdict: &mut Verdict<'_, '_>,
    kind: ViolationKind,
    detail: Detail,
) -> Flow {
    let action = judge.policy.action(kind);
    let mode = judge.policy.mode(kind, verdict.category());
    verdict.violations.push(Violation {
        kind,
        action,
        mode,
        detail,
    });
    if action == Action::Drop {
        if mode == Mode::Enforce {
            verdict.outcome = Outcome::Drop;
        }
        return Flow::Stop;
    }
    Flow::Continue
}

/// Whether the violation just recorded is to be carried out with `action`.
fn enforced_last(verdict: &Verdict<'_, '_>, action: Action) -> bool {
    verdict
        .violations
        .iter()
        .last()
        .is_some_and(|v| v.action == action && v.mode == Mode::Enforce)
}

fn exceeded_lifetime(lifetime: Lifetime, declared: MaxLifetime) -> Option<Detail> {
    let Lifetime::Seconds(actual_secs) = lifetime else {
        return None;
    };
    let exceeded = match declared.seconds() {
        None => true,
        Some(max) => {
            actual_secs
                > i64::try_from(max)
                    .unwrap_or(i64::MAX)
                    .saturating_add(CLOCK_SKEW_SECS)
        }
    };
    exceeded.then_some(Detail::Lifetime {
        declared,
        actual_secs,
    })
}

fn missing_attributes(cookie: &SetCookie<'_>, required: RequiredAttributes) -> Missing {
    let same_site_ok = |want: RequiredSameSite| {
        matches!(
            (want, cookie.same_site),
            (RequiredSameSite::Strict, Some(SameSite::Strict))
                | (RequiredSameSite::Lax, Some(SameSite::Lax))
                | (RequiredSameSite::None, Some(SameSite::None))
        )
    };
    Missing {
        secure: required.secure && !cookie.secure,
        http_only: required.http_only && !cookie.http_only,
        same_site: required.same_site.filter(|want| !same_site_ok(*want)),
    }
}

#[cfg(test)]
mod tests;
