//! A choice written by the portal's own response (a consent form posted to the server, whose
//! answer sets the consent cookie) takes effect on that very response when it withdraws
//! something: the response's other `Set-Cookie` lines are judged with the narrowed consent, and
//! the cookies the browser sent that the new choice no longer covers are deleted (cleanup). The
//! consent is never widened this way: a portal cannot grant itself consent by writing the cookie.

use http::header::{HeaderMap, HeaderName, HeaderValue, COOKIE, SET_COOKIE};

use super::ctx::{Ctx, StrippedCookie};
use super::enforce::{unix_now, Enforcer};
use crate::consent::Consent;
use crate::fields::FieldAccess;
use crate::policy::set_cookie::parse_set_cookie;
use crate::policy::{cookie_pairs, judge_request_cookie, Judge};
use crate::split::{is_trimmed, trim};

static SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");

impl Enforcer {
    /// Narrows `ctx.consent` to the choice the response writes, if it writes one that withdraws
    /// a category, and plans the deletions that follow from it.
    pub fn apply_consent_set_by_response(&self, ctx: &mut Ctx, headers: &impl FieldAccess) {
        let Some(newer) = self.consent_set_by(headers, ctx.consent.gpc) else {
            return;
        };
        let narrowed = ctx
            .consent
            .narrowed_to(&newer, self.rules.registry.needs_consent());
        if narrowed == ctx.consent {
            return;
        }
        ctx.consent = narrowed;
        self.delete_cookies_no_longer_covered(ctx);
    }

    /// Whether a `Set-Cookie` line's name (the bytes before its first `=`, untrimmed) is a
    /// consent source's cookie. Names are trimmed as `str::trim` does; one that already starts
    /// and ends with visible ASCII, as nearly all do, is compared as it is.
    fn names_a_consent_cookie(&self, name: &[u8]) -> bool {
        let consent = &self.rules.consent;
        if is_trimmed(name) {
            return consent.owns_cookie_bytes(name);
        }
        std::str::from_utf8(name).is_ok_and(|name| consent.owns_cookie(trim(name)))
    }

    /// The consent the response's consent cookies express, read as a request carrying them would
    /// be (with the request's `Sec-GPC`); `None` when the response sets no consent cookie. A
    /// consent cookie the response deletes is a choice reset: it reads as no choice.
    fn consent_set_by(&self, headers: &impl FieldAccess, gpc: bool) -> Option<Consent> {
        // Only a consent cookie's line needs the clock (to tell a deletion).
        let mut now = None;
        let mut pairs = String::new();
        let mut found = false;
        for line in headers.values_of(&SET_COOKIE) {
            // Most lines are not a consent cookie: their name says so before the whole line is
            // checked or parsed.
            let bytes = line.as_bytes();
            let name = memchr::memchr(b'=', bytes).and_then(|at| bytes.get(..at));
            if !name.is_some_and(|name| self.names_a_consent_cookie(name)) {
                continue;
            }
            let Some(text) = line.to_str().ok() else {
                continue;
            };
            let Ok(cookie) = parse_set_cookie(text) else {
                continue;
            };
            found = true;
            if !cookie.is_deletion(*now.get_or_insert_with(unix_now)) {
                if !pairs.is_empty() {
                    pairs.push_str("; ");
                }
                pairs.push_str(cookie.name);
                pairs.push('=');
                pairs.push_str(cookie.value);
            }
        }
        if !found {
            return None;
        }
        let mut as_request = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&pairs) {
            as_request.insert(COOKIE, value);
        }
        if gpc {
            as_request.insert(SEC_GPC.clone(), HeaderValue::from_static("1"));
        }
        Some(
            self.rules
                .consent
                .read(&as_request, self.rules.registry.needs_consent()),
        )
    }

    /// Plans deletions for the cookies the browser sent (and the portal received, under the
    /// earlier consent) that the narrowed consent no longer covers.
    fn delete_cookies_no_longer_covered(&self, ctx: &mut Ctx) {
        if !self.rules.cleanup.enabled {
            return;
        }
        let Some(sent) = ctx.request_cookie.clone() else {
            return;
        };
        let Ok(text) = sent.to_str() else {
            return;
        };
        let consent = ctx.consent;
        let judge = Judge {
            registry: &self.rules.registry,
            policy: &self.rules.policy,
            consent: &consent,
            now: 0,
        };
        for (name, _) in cookie_pairs(text) {
            let verdict = judge_request_cookie(&judge, name, self.rules.consent.owns_cookie(name));
            if !verdict.keep && !ctx.stripped.iter().any(|s| s.name == name) {
                ctx.stripped.push(StrippedCookie {
                    name: name.to_owned(),
                    declaration: verdict.declaration.map(|(i, _)| i),
                });
            }
        }
    }
}
