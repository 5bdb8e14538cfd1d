use super::*;
use crate::registry::CategoryId;
use http::header::{HeaderMap, HeaderValue, COOKIE};

const STATISTICS: CategoryId = CategoryId(1);
const MARKETING: CategoryId = CategoryId(2);

fn set(ids: &[CategoryId]) -> CategorySet {
    let mut set = CategorySet::EMPTY;
    for id in ids {
        set.insert(*id);
    }
    set
}

fn needs() -> CategorySet {
    set(&[STATISTICS, MARKETING])
}

fn json_source(cookie: &str) -> ConsentSource {
    ConsentSource::new(
        make_format("json").unwrap(),
        cookie.to_owned(),
        HashMap::from([
            ("analytics".to_owned(), set(&[STATISTICS])),
            ("ads".to_owned(), set(&[MARKETING])),
            ("all".to_owned(), set(&[STATISTICS, MARKETING])),
        ]),
    )
}

fn config() -> ConsentConfig {
    ConsentConfig {
        sources: vec![json_source("primary"), json_source("fallback")],
        gpc_deny: set(&[MARKETING]),
    }
}

fn request(cookie: &'static str, gpc: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if !cookie.is_empty() {
        headers.insert(COOKIE, HeaderValue::from_static(cookie));
    }
    if gpc {
        headers.insert("sec-gpc", HeaderValue::from_static("1"));
    }
    headers
}

/// Silence is refusal: no consent cookie is state `none`, nothing granted.
#[test]
fn no_cookie_means_no_consent() {
    let consent = config().read(&request("sessionid=x", false), needs());
    assert_eq!(consent, Consent::NONE);
}

#[test]
fn every_consent_state_is_derived_from_the_granted_categories() {
    let cases = [
        (
            r#"primary={"analytics":true,"ads":true}"#,
            ConsentState::Given,
        ),
        (r#"primary={"all":true}"#, ConsentState::Given),
        (
            r#"primary={"analytics":false,"ads":false}"#,
            ConsentState::Refused,
        ),
        (
            r#"primary={"analytics":true,"ads":false}"#,
            ConsentState::Partial,
        ),
        (r#"primary={"analytics":true}"#, ConsentState::Partial),
        (r#"primary=["ads"]"#, ConsentState::Partial),
        (r#"primary=[]"#, ConsentState::Refused),
        (r#"primary={"unmapped":true}"#, ConsentState::Refused),
        ("primary={}", ConsentState::None),
    ];
    for (cookie, state) in cases {
        let consent = config().read(&request(cookie, false), needs());
        assert_eq!(consent.state, state, "{cookie}");
        assert_eq!(consent.source, Some(0), "{cookie}");
    }
}

/// A refusal for a category wins over a grant of the same category by another key.
#[test]
fn a_refusal_wins_over_a_grant_of_the_same_category() {
    let consent = config().read(
        &request(r#"primary={"all":true,"ads":false}"#, false),
        needs(),
    );
    assert_eq!(consent.granted, set(&[STATISTICS]));
    assert_eq!(consent.state, ConsentState::Partial);
}

#[test]
fn the_first_source_present_takes_precedence() {
    let consent = config().read(
        &request(r#"fallback={"all":true}; primary={"all":false}"#, false),
        needs(),
    );
    assert_eq!(consent.source, Some(0));
    assert_eq!(consent.state, ConsentState::Refused);
}

/// An unreadable cookie counts as no choice, and the next source is consulted.
#[test]
fn an_unreadable_source_is_flagged_and_passed_over() {
    let consent = config().read(
        &request(r#"primary=garbage; fallback={"all":true}"#, false),
        needs(),
    );
    assert!(consent.unreadable);
    assert_eq!(consent.source, Some(1));
    assert_eq!(consent.state, ConsentState::Given);

    let consent = config().read(&request("primary=garbage", false), needs());
    assert!(consent.unreadable);
    assert_eq!(consent.state, ConsentState::None);
    assert_eq!(consent.granted, CategorySet::EMPTY);
}

#[test]
fn an_oversized_value_is_not_decoded() {
    let big: &'static str =
        Box::leak(format!("primary=[{}\"ads\"]", "\"x\",".repeat(1200)).into_boxed_str());
    let consent = config().read(&request(big, false), needs());
    assert!(consent.unreadable);
    assert_eq!(consent.state, ConsentState::None);
}

/// GPC withdraws its categories from a given consent, which becomes partial.
#[test]
fn gpc_withdraws_its_categories_from_the_consent() {
    let consent = config().read(&request(r#"primary={"all":true}"#, true), needs());
    assert!(consent.gpc);
    assert_eq!(consent.granted, set(&[STATISTICS]));
    assert_eq!(consent.state, ConsentState::Partial);
    assert_eq!(consent.gpc_denied, set(&[MARKETING]));
}

/// Without any choice GPC changes nothing about the state: it stays `none`.
#[test]
fn gpc_without_a_choice_leaves_the_state_none() {
    let consent = config().read(&request("", true), needs());
    assert_eq!(consent.state, ConsentState::None);
    assert!(consent.gpc);
}

/// Complianz keeps one cookie per category; the source gathers the family by prefix.
#[test]
fn a_cookie_family_source_reads_every_cookie_with_its_prefix() {
    let config = ConsentConfig {
        sources: vec![ConsentSource::new(
            make_format("complianz").unwrap(),
            "cmplz_".to_owned(),
            HashMap::from([
                ("statistics".to_owned(), set(&[STATISTICS])),
                ("marketing".to_owned(), set(&[MARKETING])),
            ]),
        )],
        gpc_deny: CategorySet::EMPTY,
    };
    let consent = config.read(
        &request(
            "cmplz_statistics=allow; cmplz_banner-status=dismissed; cmplz_marketing=deny",
            false,
        ),
        needs(),
    );
    assert_eq!(consent.state, ConsentState::Partial);
    assert_eq!(consent.granted, set(&[STATISTICS]));
    let consent = config.read(&request("cmplz_banner-status=show", false), needs());
    assert_eq!(consent.state, ConsentState::None);
    assert_eq!(consent.source, Some(0));
}

fn consent(state: ConsentState, granted: &[CategoryId]) -> Consent {
    Consent {
        state,
        granted: set(granted),
        source: Some(0),
        ..Consent::NONE
    }
}

#[test]
fn a_newer_choice_narrows_the_consent_but_never_widens_it() {
    let given = consent(ConsentState::Given, &[STATISTICS, MARKETING]);
    let refused = consent(ConsentState::Refused, &[]);
    let partial = consent(ConsentState::Partial, &[STATISTICS]);
    let narrowed = given.narrowed_to(&partial, needs());
    assert_eq!(
        (narrowed.state, narrowed.granted),
        (ConsentState::Partial, set(&[STATISTICS]))
    );
    let narrowed = given.narrowed_to(&refused, needs());
    assert_eq!(
        (narrowed.state, narrowed.granted),
        (ConsentState::Refused, CategorySet::EMPTY)
    );
    // A refusal followed by a consent the portal writes stays a refusal for this response.
    assert_eq!(refused.narrowed_to(&given, needs()), refused);
    assert_eq!(Consent::NONE.narrowed_to(&given, needs()), Consent::NONE);
    // A reset (the consent cookie deleted) withdraws everything: no choice any more.
    let reset = given.narrowed_to(&Consent::NONE, needs());
    assert_eq!(
        (reset.state, reset.granted),
        (ConsentState::None, CategorySet::EMPTY)
    );
}

/// The memo of readings changes nothing but the cost: a value read a second time, from the
/// same source, gives the same consent, an unreadable one included (still flagged, so still
/// counted and logged), and the fallback order is kept.
#[test]
fn a_remembered_reading_gives_the_same_consent_as_the_first() {
    let config = config();
    let cookies = [
        r#"primary={"analytics":true,"ads":false}"#,
        r#"primary=not-json; fallback={"all":true}"#,
        "primary={}",
        "primary=%ZZ",
    ];
    for cookie in cookies {
        for gpc in [false, true] {
            let first = config.read(&request(cookie, gpc), needs());
            let again = config.read(&request(cookie, gpc), needs());
            assert_eq!(first, again, "{cookie}, gpc {gpc}");
            let fresh = self::config().read(&request(cookie, gpc), needs());
            assert_eq!(first, fresh, "{cookie}, gpc {gpc}");
        }
    }
    let unreadable = config.read(&request("primary=not-json", false), needs());
    assert!(unreadable.unreadable);
}
