//! The verdict on one cookie the browser sent (`Cookie` request header). Most tracking cookies
//! are written by scripts and never appear in a `Set-Cookie`; the browser still sends them back,
//! so the request is where they can be seen, and stripped before they reach the upstream.
//!
//! A cookie passes when it is a consent source's own cookie, belongs to an exempt category, or
//! to a category the visitor granted (and its TCF vendors, if any, have consent). Otherwise it is
//! `request-undeclared` (no declaration) or `request-not-consented`.

use super::rules::{Action, Mode, ViolationKind};
use super::verdict::{Detail, Judge, Violation};
use crate::registry::Declaration;
use crate::split::{split_at, split_once_at, trim};

/// What to do with one request cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestVerdict<'r> {
    /// Keep the pair in the `Cookie` header sent upstream.
    pub keep: bool,
    pub declaration: Option<(usize, &'r Declaration)>,
    pub violation: Option<Violation>,
}

/// The pairs of a `Cookie` header value, as (name, `name=value` pair), in the order sent. A
/// pair without `=` is named by its whole text.
pub fn cookie_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    split_at(text, b';')
        .map(trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            (
                split_once_at(pair, b'=').map_or(pair, |(name, _)| trim(name)),
                pair,
            )
        })
}

/// Judges the cookie `name`; `is_consent_cookie` tells whether it is a consent source's own.
pub fn judge_request_cookie<'r>(
    judge: &Judge<'r>,
    name: &str,
    is_consent_cookie: bool,
) -> RequestVerdict<'r> {
    let declaration = judge.registry.find(name);
    let pass = RequestVerdict {
        keep: true,
        declaration,
        violation: None,
    };
    if is_consent_cookie {
        return pass;
    }
    let kind = match declaration {
        None => ViolationKind::RequestUndeclared,
        Some((_, d)) => {
            let category_ok = !judge.registry.category(d.category).needs_consent
                || judge.consent.granted.contains(d.category);
            let vendors_ok = judge.consent.granted.is_superset(d.vendors);
            if category_ok && vendors_ok {
                return pass;
            }
            ViolationKind::RequestNotConsented
        }
    };
    let action = judge.policy.action(kind);
    let mode = judge
        .policy
        .mode(kind, declaration.map(|(_, d)| d.category));
    RequestVerdict {
        keep: !(action == Action::Drop && mode == Mode::Enforce),
        declaration,
        violation: Some(Violation {
            kind,
            action,
            mode,
            detail: Detail::None,
        }),
    }
}
