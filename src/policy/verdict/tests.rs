//! Table-driven tests of every rule and every precedence of the verdict.

use std::path::Path;

use super::*;
use crate::config::{Config, Enforcement, Overrides};
use crate::registry::CategorySet;

/// 2027-01-15T08:00:00Z.
const NOW: i64 = 1_800_000_000;
const THIRTEEN_MONTHS: i64 = 13 * 2_629_746;

fn enforcement(extra: &str) -> Enforcement {
    let text = format!(
        r#"
[proxy]
upstream = "http://127.0.0.1:1"

[[category]]
id = "necessary"
needs_consent = false
[[category]]
id = "statistics"
[[category]]
id = "marketing"

[[cookie]]
name = "sessionid"
category = "necessary"
max_lifetime = "2w"
http_only = true
[[cookie]]
name = "lang"
category = "necessary"
max_lifetime = "session"
[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"
[[cookie]]
glob = "_ga_*"
category = "statistics"
max_lifetime = "13mo"
[[cookie]]
regex = "ads_[0-9]+"
category = "marketing"
max_lifetime = "30d"
secure = true
same_site = "lax"

[[consent.source]]
format = "json"
cookie = "consent"
keys = {{ stats = "statistics", ads = "marketing" }}
[consent.gpc]
deny = ["marketing"]
{extra}
"#
    );
    Config::from_toml(&text, "test.toml", Path::new("."), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .enforcement
        .expect("enforcement")
}

fn consent(rules: &Enforcement, state: ConsentState, granted: &[&str]) -> Consent {
    let mut set = CategorySet::EMPTY;
    for name in granted {
        set.insert(rules.registry.category_id(name).unwrap());
    }
    Consent {
        state,
        granted: set,
        ..Consent::NONE
    }
}

fn judge_line(rules: &Enforcement, consent: &Consent, line: &str) -> (Outcome, Vec<Violation>) {
    let judge = Judge {
        registry: &rules.registry,
        policy: &rules.policy,
        consent,
        now: NOW,
    };
    let verdict = judge_set_cookie(&judge, line.as_bytes());
    (
        verdict.outcome,
        verdict.violations.iter().copied().collect(),
    )
}

fn kinds(violations: &[Violation]) -> Vec<ViolationKind> {
    violations.iter().map(|v| v.kind).collect()
}

use ViolationKind::*;

#[derive(Debug)]
enum Expect {
    Forward,
    Drop,
    Rewrite(&'static str),
}

fn check(rules: &Enforcement, consent: &Consent, cases: &[(&str, Expect, &[ViolationKind])]) {
    for (line, expect, expected_kinds) in cases {
        let (outcome, violations) = judge_line(rules, consent, line);
        match (expect, &outcome) {
            (Expect::Forward, Outcome::Forward) | (Expect::Drop, Outcome::Drop) => {}
            (Expect::Rewrite(want), Outcome::Rewrite(got)) => assert_eq!(got, want, "{line}"),
            _ => panic!("{line}: expected {expect:?}, got {outcome:?}"),
        }
        assert_eq!(kinds(&violations), *expected_kinds, "{line}");
    }
}

/// Fail closed: a line a browser would not store as written is dropped.
#[test]
fn malformed_lines_are_dropped() {
    let rules = enforcement("");
    let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
    check(
        &rules,
        &given,
        &[
            ("novalue", Expect::Drop, &[Malformed]),
            ("=orphan", Expect::Drop, &[Malformed]),
            ("", Expect::Drop, &[Malformed]),
            ("sessionid=a\u{1}b; HttpOnly", Expect::Drop, &[Malformed]),
        ],
    );
    let judge = Judge {
        registry: &rules.registry,
        policy: &rules.policy,
        consent: &given,
        now: NOW,
    };
    let verdict = judge_set_cookie(&judge, b"sessionid=\xff\xfe; HttpOnly");
    assert_eq!(verdict.outcome, Outcome::Drop);
    assert_eq!(
        verdict.violations.iter().next().unwrap().detail,
        Detail::Malformed("not UTF-8")
    );
}

/// Removing a cookie never hurts privacy: deletions pass whatever else is wrong.
#[test]
fn deletions_always_pass() {
    let rules = enforcement("");
    let none = Consent::NONE;
    check(
        &rules,
        &none,
        &[
            ("_ga=; Max-Age=0", Expect::Forward, &[]),
            ("_ga=; Max-Age=-1; Path=/", Expect::Forward, &[]),
            (
                "tracker=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                Expect::Forward,
                &[],
            ),
            // RFC 6265 §5.3: Max-Age wins, even over a future Expires.
            (
                "ads_1=; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Max-Age=0",
                Expect::Forward,
                &[],
            ),
            // Duplicate attributes: the last one counts.
            ("lang=fr; Max-Age=10; Max-Age=0", Expect::Forward, &[]),
        ],
    );
}

#[test]
fn undeclared_cookies_are_dropped() {
    let rules = enforcement("");
    let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
    check(
        &rules,
        &given,
        &[
            ("tracker=1", Expect::Drop, &[Undeclared]),
            // Cookie names are case-sensitive (RFC 6265 §5.3 step 11 compares them exactly).
            ("SessionId=1", Expect::Drop, &[Undeclared]),
            // A regex must match the whole name.
            ("xads_1=1", Expect::Drop, &[Undeclared]),
        ],
    );
}

/// Silence is refusal: before any choice only exempt categories pass (M7).
#[test]
fn without_a_choice_only_exempt_cookies_pass() {
    let rules = enforcement("");
    check(
        &rules,
        &Consent::NONE,
        &[
            (
                "sessionid=abc; Max-Age=1209600; HttpOnly",
                Expect::Forward,
                &[],
            ),
            ("lang=fr", Expect::Forward, &[]),
            ("_ga=GA1.1.1.1; Max-Age=100", Expect::Drop, &[NoConsent]),
            ("_ga_XYZ=GS1; Max-Age=100", Expect::Drop, &[NoConsent]),
            ("ads_42=1; Secure; SameSite=Lax", Expect::Drop, &[NoConsent]),
        ],
    );
}

#[test]
fn refused_categories_are_dropped_and_granted_ones_pass() {
    let rules = enforcement("");
    let partial = consent(&rules, ConsentState::Partial, &["statistics"]);
    check(
        &rules,
        &partial,
        &[
            ("_ga=GA1; Max-Age=100", Expect::Forward, &[]),
            ("ads_42=1; Secure; SameSite=Lax", Expect::Drop, &[Refused]),
        ],
    );
    let refused = consent(&rules, ConsentState::Refused, &[]);
    check(
        &rules,
        &refused,
        &[("_ga=GA1; Max-Age=100", Expect::Drop, &[Refused])],
    );
}

#[test]
fn a_gpc_denial_is_reported_as_such() {
    let rules = enforcement("");
    let mut gpc = consent(&rules, ConsentState::Partial, &["statistics"]);
    gpc.gpc = true;
    gpc.gpc_denied
        .insert(rules.registry.category_id("marketing").unwrap());
    let (outcome, violations) = judge_line(&rules, &gpc, "ads_1=1; Secure; SameSite=Lax");
    assert_eq!(outcome, Outcome::Drop);
    assert_eq!(violations[0].kind, Refused);
    assert_eq!(violations[0].detail, Detail::GpcDenied);
}

/// M3: a lifetime beyond the declared maximum is capped, keeping the attribute forms used.
#[test]
fn lifetimes_beyond_the_declaration_are_capped() {
    let rules = enforcement("");
    let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
    let capped_expires = {
        let mut buf = [0u8; 29];
        format!(
            "_ga_X=1; Path=/; Expires={}",
            crate::policy::cookie_date::format_http_date(NOW + THIRTEEN_MONTHS, &mut buf)
        )
    };
    let capped_expires: &'static str = Box::leak(capped_expires.into_boxed_str());
    let ga_capped: &'static str =
        Box::leak(format!("_ga=GA1; Path=/; Max-Age={THIRTEEN_MONTHS}").into_boxed_str());
    check(
        &rules,
        &given,
        &[
            (
                "_ga=GA1; Max-Age=63072000; Path=/",
                Expect::Rewrite(ga_capped),
                &[LifetimeExceeded],
            ),
            // Max-Age wins over Expires (RFC 6265 §5.3): a short Max-Age with a far Expires is fine.
            (
                "_ga=GA1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Max-Age=100",
                Expect::Forward,
                &[],
            ),
            // 4-digit and 2-digit Expires years (RFC 6265 §5.1.1: 37 → 2037).
            (
                "_ga_X=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/",
                Expect::Rewrite(capped_expires),
                &[LifetimeExceeded],
            ),
            (
                "_ga_X=1; expires=Wednesday, 21-Oct-37 07:28:00 GMT; Path=/",
                Expect::Rewrite(capped_expires),
                &[LifetimeExceeded],
            ),
            // Max-Age overflow is still "longer than declared".
            (
                "_ga=GA1; Max-Age=99999999999999999999999; Path=/",
                Expect::Rewrite(ga_capped),
                &[LifetimeExceeded],
            ),
            // Within the clock-skew allowance.
            ("_ga=GA1; Max-Age=34186728", Expect::Forward, &[]),
        ],
    );
}

#[test]
fn a_session_only_declaration_loses_its_lifetime_attributes() {
    let rules = enforcement("");
    check(
        &rules,
        &Consent::NONE,
        &[
            (
                "lang=fr; Max-Age=10; Path=/",
                Expect::Rewrite("lang=fr; Path=/"),
                &[LifetimeExceeded],
            ),
            (
                "lang=fr; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
                Expect::Rewrite("lang=fr; Path=/"),
                &[LifetimeExceeded],
            ),
        ],
    );
}

#[test]
fn missing_required_attributes_are_added() {
    let rules = enforcement("");
    let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
    check(
        &rules,
        &given,
        &[
            (
                "sessionid=abc; Path=/",
                Expect::Rewrite("sessionid=abc; Path=/; HttpOnly"),
                &[AttributeMissing],
            ),
            // Attribute names are case-insensitive (RFC 6265 §5.2).
            ("sessionid=abc; HTTPONLY", Expect::Forward, &[]),
            ("sessionid=abc; httponly; Path=/", Expect::Forward, &[]),
            // A wrong SameSite is replaced, and Secure added.
            (
                "ads_1=x; SameSite=None; Path=/",
                Expect::Rewrite("ads_1=x; Path=/; Secure; SameSite=Lax"),
                &[AttributeMissing],
            ),
            // Empty and quoted values are values like any other.
            ("sessionid=; HttpOnly", Expect::Forward, &[]),
            ("sessionid=\"a b\"; HttpOnly", Expect::Forward, &[]),
        ],
    );
}

#[test]
fn a_lifetime_and_an_attribute_violation_are_both_fixed() {
    let rules = enforcement("");
    check(
        &rules,
        &Consent::NONE,
        &[(
            "sessionid=abc; Max-Age=99999999",
            Expect::Rewrite("sessionid=abc; Max-Age=1209600; HttpOnly"),
            &[LifetimeExceeded, AttributeMissing],
        )],
    );
}

/// Report-only passes every line and records what enforce would have done.
#[test]
fn report_only_forwards_everything_and_records_the_would_be_action() {
    let rules = enforcement("[policy]\nmode = \"report-only\"");
    let (outcome, violations) = judge_line(&rules, &Consent::NONE, "tracker=1");
    assert_eq!(outcome, Outcome::Forward);
    assert_eq!(violations[0].kind, Undeclared);
    assert_eq!(violations[0].action, Action::Drop);
    assert_eq!(violations[0].mode, Mode::ReportOnly);
    assert!(!violations[0].is_enforced());
    let (outcome, _) = judge_line(&rules, &Consent::NONE, "sessionid=abc");
    assert_eq!(outcome, Outcome::Forward);
}

#[test]
fn a_per_kind_action_overrides_the_default() {
    let rules = enforcement("[policy.kinds.undeclared]\naction = \"log\"");
    let (outcome, violations) = judge_line(&rules, &Consent::NONE, "tracker=1");
    assert_eq!(outcome, Outcome::Forward);
    assert_eq!(violations[0].action, Action::Log);
    assert_eq!(violations[0].mode, Mode::Enforce);
    assert!(!violations[0].is_enforced());
}

/// A `log` action lets the next checks run: a refused cookie also gets its lifetime checked.
#[test]
fn a_logged_violation_does_not_stop_the_next_checks() {
    let rules = enforcement("[policy.kinds.refused]\naction = \"log\"");
    let refused = consent(&rules, ConsentState::Refused, &[]);
    let (outcome, violations) = judge_line(&rules, &refused, "_ga=1; Max-Age=63072000");
    assert_eq!(kinds(&violations), [Refused, LifetimeExceeded]);
    assert!(matches!(outcome, Outcome::Rewrite(_)));
}

#[test]
fn a_category_in_report_only_passes_while_the_rest_is_enforced() {
    let mut rules = enforcement("");
    let statistics = rules.registry.category_id("statistics").unwrap();
    rules.policy.set_category_mode(statistics, Mode::ReportOnly);
    let (outcome, violations) = judge_line(&rules, &Consent::NONE, "_ga=1; Max-Age=10");
    assert_eq!(outcome, Outcome::Forward);
    assert_eq!(violations[0].mode, Mode::ReportOnly);
    let (outcome, _) = judge_line(&rules, &Consent::NONE, "tracker=1");
    assert_eq!(outcome, Outcome::Drop);
    // A kind override beats the category one.
    rules.policy.set_kind_mode(NoConsent, Mode::Enforce);
    let (outcome, _) = judge_line(&rules, &Consent::NONE, "_ga=1; Max-Age=10");
    assert_eq!(outcome, Outcome::Drop);
}

#[test]
fn the_verdict_names_the_most_specific_declaration() {
    let rules = enforcement("");
    let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
    let judge = Judge {
        registry: &rules.registry,
        policy: &rules.policy,
        consent: &given,
        now: NOW,
    };
    let verdict = judge_set_cookie(&judge, b"_ga=1; Max-Age=10");
    assert_eq!(
        verdict.declaration.unwrap().1.pattern.describe(),
        "name \"_ga\""
    );
    let verdict = judge_set_cookie(&judge, b"_ga_ABC=1; Max-Age=10");
    assert_eq!(
        verdict.declaration.unwrap().1.pattern.describe(),
        "glob \"_ga_*\""
    );
}

proptest::proptest! {
    /// Bad input never panics: any bytes get a verdict, and a dropped line always says why.
    #[test]
    fn any_line_gets_a_verdict_without_panicking(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let rules = enforcement("");
        for consent in [Consent::NONE, consent(&rules, ConsentState::Given, &["statistics", "marketing"])] {
            let judge = Judge { registry: &rules.registry, policy: &rules.policy, consent: &consent, now: NOW };
            let verdict = judge_set_cookie(&judge, &line);
            if verdict.outcome == Outcome::Drop {
                proptest::prop_assert!(!verdict.violations.is_empty());
            }
        }
    }

    /// A field value is judged exactly as its bytes are: skipping the control-character check
    /// a `HeaderValue` already made changes no verdict.
    #[test]
    fn a_field_value_gets_the_verdict_of_its_bytes(
        name in "(_ga|sessionid|lang|)=",
        rest in proptest::collection::vec(proptest::prop_oneof![8 => 0x20_u8..0x7f, 1 => proptest::strategy::Just(b'\t'), 1 => 0x80_u8..=0xff], 0..100),
    ) {
        let line = [name.as_bytes(), &rest].concat();
        let value = HeaderValue::from_bytes(&line).unwrap();
        let rules = enforcement("");
        for consent in [Consent::NONE, consent(&rules, ConsentState::Given, &["statistics", "marketing"])] {
            let judge = Judge { registry: &rules.registry, policy: &rules.policy, consent: &consent, now: NOW };
            proptest::prop_assert_eq!(judge_field_value(&judge, &value), judge_set_cookie(&judge, &line));
        }
    }

    /// Cookie-shaped lines with random attributes: a rewrite is itself a line that parses and,
    /// judged again, needs no further rewrite.
    #[test]
    fn a_rewritten_line_is_stable(
        name in "(sessionid|lang|_ga|_ga_[A-Z]{1,4}|ads_[0-9]{1,3})",
        attrs in proptest::collection::vec("(Max-Age=-?[0-9]{1,12}|Expires=Wed, 21 Oct 20[0-9]{2} 07:28:00 GMT|Secure|HttpOnly|SameSite=(Lax|None|Strict)|Path=/)", 0..5),
    ) {
        let rules = enforcement("");
        let given = consent(&rules, ConsentState::Given, &["statistics", "marketing"]);
        let judge = Judge { registry: &rules.registry, policy: &rules.policy, consent: &given, now: NOW };
        let line = std::iter::once(format!("{name}=v")).chain(attrs).collect::<Vec<_>>().join("; ");
        if let Outcome::Rewrite(new) = judge_set_cookie(&judge, line.as_bytes()).outcome {
            let again = judge_set_cookie(&judge, new.as_bytes());
            proptest::prop_assert_eq!(again.outcome, Outcome::Forward, "{} -> {}", line, new);
        }
    }
}
