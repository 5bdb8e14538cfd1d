//! What the scripted visit must show for the demo to count as working: the promises consentry
//! makes about the seed portal, checked against what really crossed the proxy, reached the
//! portal, and stayed in the visitor's browser.

use super::exchange::Exchange;
use super::portal::{CONSENT_COOKIE, GA_COOKIE, MATOMO_COOKIE, UNDECLARED_COOKIE};

/// The portal's session, which a withdrawal of consent must not end.
const SESSION_COOKIE: &str = "sessionid";
/// 13 months of the mean Gregorian month, as the registry's `"13mo"` counts them.
const THIRTEEN_MONTHS_SECS: i64 = 13 * 2_629_746;
/// What the portal asks for `_ga` (GA's two-year default).
const GA_REQUESTED_SECS: i64 = 63_072_000;

/// The requests of the scripted visit, in order.
#[derive(Debug, Clone)]
pub struct Visit {
    pub no_choice: Exchange,
    pub refuse: Exchange,
    pub after_refusing: Exchange,
    pub accept: Exchange,
    pub after_accepting: Exchange,
    pub log_in: Exchange,
    pub withdraw: Exchange,
    pub after_withdrawing: Exchange,
}

/// One expectation and whether it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub expectation: String,
    pub holds: bool,
}

fn check(expectation: String, holds: bool) -> Check {
    Check { expectation, holds }
}

fn expect_pass(phase: &str, exchange: &Exchange, name: &str) -> Check {
    check(
        format!("{phase}: {name} passes"),
        exchange.find_passed(name).is_some(),
    )
}

/// A deletion for it reached the browser, and the browser let go of it.
fn expect_deletion(phase: &str, exchange: &Exchange, name: &str) -> Check {
    check(
        format!("{phase}: {name} is deleted from the browser"),
        exchange.was_deleted(name),
    )
}

fn expect_drop(phase: &str, exchange: &Exchange, name: &str, kind: &str) -> Check {
    check(
        format!("{phase}: {name} is dropped as {kind}"),
        exchange.was_dropped_as(name, kind),
    )
}

/// Every expectation of the visit, in the order of the script.
pub fn check_visit(visit: &Visit) -> Vec<Check> {
    let mut checks = check_choices(visit);
    checks.extend(check_withdrawal(&visit.withdraw, &visit.after_withdrawing));
    checks
}

/// No choice, refusal, consent and log-in: what the portal sets, and what consentry lets through.
fn check_choices(visit: &Visit) -> Vec<Check> {
    let (none, refused, accepted) = ("no choice", "after refusing", "after accepting");
    let ga_capped = visit
        .after_accepting
        .find_passed(GA_COOKIE)
        .is_some_and(|ga| {
            ga.capped
                && ga
                    .max_age
                    .is_some_and(|s| s > 0 && s < GA_REQUESTED_SECS && s <= THIRTEEN_MONTHS_SECS)
        });
    let matomo_untouched = visit
        .after_accepting
        .find_passed(MATOMO_COOKIE)
        .is_some_and(|pk| !pk.capped);
    vec![
        expect_pass(none, &visit.no_choice, "csrftoken"),
        expect_pass(none, &visit.no_choice, "django_language"),
        expect_drop(none, &visit.no_choice, MATOMO_COOKIE, "no-consent"),
        expect_drop(none, &visit.no_choice, GA_COOKIE, "no-consent"),
        expect_drop(none, &visit.no_choice, UNDECLARED_COOKIE, "undeclared"),
        expect_pass("refuse all", &visit.refuse, CONSENT_COOKIE),
        expect_drop(refused, &visit.after_refusing, MATOMO_COOKIE, "refused"),
        expect_drop(refused, &visit.after_refusing, GA_COOKIE, "refused"),
        expect_pass("accept all", &visit.accept, CONSENT_COOKIE),
        check(
            format!("{accepted}: {MATOMO_COOKIE} passes unchanged"),
            matomo_untouched,
        ),
        check(
            format!("{accepted}: {GA_COOKIE} passes, capped to at most 13 months"),
            ga_capped,
        ),
        expect_drop(
            accepted,
            &visit.after_accepting,
            UNDECLARED_COOKIE,
            "undeclared",
        ),
        expect_pass("log in", &visit.log_in, SESSION_COOKIE),
    ]
}

/// The withdrawal: the response that records it (it writes the refused consent cookie) already
/// drops the portal's new analytics lines and deletes the ones the browser holds, and nothing
/// else; the next page comes without them, and the necessary cookies still reach the portal.
fn check_withdrawal(withdraw: &Exchange, after: &Exchange) -> Vec<Check> {
    let (phase, next) = ("withdraw", "after withdrawing");
    let analytics = [GA_COOKIE, MATOMO_COOKIE];
    let kept = [CONSENT_COOKIE, "csrftoken", SESSION_COOKIE];
    let only_analytics_deleted = withdraw
        .deleted
        .iter()
        .all(|name| analytics.contains(&name.as_str()));
    let mut checks = Vec::new();
    for name in analytics {
        checks.push(expect_drop(phase, withdraw, name, "refused"));
        checks.push(expect_deletion(phase, withdraw, name));
    }
    checks.push(check(
        format!("{phase}: no other cookie is deleted"),
        only_analytics_deleted && kept.iter().all(|name| withdraw.is_held(name)),
    ));
    checks.push(check(
        format!(
            "{next}: the browser no longer sends {}",
            analytics.join(" or ")
        ),
        analytics.iter().all(|name| {
            !after.reached_portal(name) && !after.was_stripped_as(name, "request-not-consented")
        }),
    ));
    checks.push(check(
        format!("{next}: {} still reach the portal", kept.join(", ")),
        kept.iter().all(|name| after.reached_portal(name)),
    ));
    checks
}
