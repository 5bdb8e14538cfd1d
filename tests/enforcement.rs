//! Cookie enforcement through the running proxy: each consent state and mode, with every
//! violation counted as the sink receives it.

mod common;

use common::*;
use http::{Method, Response};

/// The seed portal's registry, with its statistics trackers switched on.
const REGISTRY: &str = r#"
[[category]]
id = "necessary"
needs_consent = false
[[category]]
id = "statistics"

[[cookie]]
name = "sessionid"
category = "necessary"
max_lifetime = "2w"
[[cookie]]
name = "csrftoken"
category = "necessary"
max_lifetime = "12mo"
[[cookie]]
name = "cookies_preferences"
category = "necessary"
max_lifetime = "6mo"
[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"
[[cookie]]
glob = "_pk_id.*"
category = "statistics"
max_lifetime = "13mo"

[[consent.source]]
format = "json"
cookie = "cookies_preferences"
keys = { statistics = "statistics" }

[consent.gpc]
deny = ["statistics"]
"#;

const PORTAL_COOKIES: [&str; 5] = [
    "sessionid=SESSION-CANARY; HttpOnly; Max-Age=1209600; Path=/",
    "csrftoken=CSRF-CANARY; Max-Age=31449600; Path=/; SameSite=Lax",
    "_ga=GA1.1.GA-CANARY; Max-Age=3600; Path=/",
    "_pk_id.1.abcd=PK-CANARY; Max-Age=3600; Path=/",
    "ab_test=UNDECLARED-CANARY; Path=/",
];

async fn portal() -> Upstream {
    start_upstream(|_req| async {
        let mut response = Response::builder();
        for line in PORTAL_COOKIES {
            response = response.header("set-cookie", line);
        }
        response.body(full("portal page")).unwrap()
    })
    .await
}

async fn visit(
    proxy: &consentry::proxy::server::RunningServer,
    cookie: Option<&str>,
    gpc: bool,
) -> Vec<String> {
    let mut req = request(proxy, Method::GET, "/explore/?q=secret");
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    if gpc {
        req = req.header("sec-gpc", "1");
    }
    let response = http1_client()
        .request(req.body(empty()).unwrap())
        .await
        .unwrap();
    let lines = set_cookies(&response);
    assert_eq!(body_text(response).await, "portal page");
    lines
}

fn names(lines: &[String]) -> Vec<&str> {
    lines.iter().map(|l| l.split('=').next().unwrap()).collect()
}

#[tokio::test]
async fn without_a_choice_only_necessary_cookies_reach_the_visitor() {
    let upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let lines = visit(&proxy, None, false).await;
    assert_eq!(names(&lines), ["sessionid", "csrftoken"]);
    // Allowed lines are forwarded byte for byte.
    assert_eq!(lines[0], PORTAL_COOKIES[0]);
    assert_eq!(lines[1], PORTAL_COOKIES[1]);
    let records = sink.records();
    let kinds: Vec<_> = records
        .iter()
        .map(|r| (r.cookie.as_str(), r.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("_ga", "no-consent"),
            ("_pk_id.1.abcd", "no-consent"),
            ("ab_test", "undeclared")
        ]
    );
    let first = &records[0];
    assert_eq!(first.path, "/explore/");
    assert_eq!(first.method, "GET");
    assert_eq!(first.status, 200);
    assert_eq!(first.direction, "response");
    assert_eq!(first.category.as_deref(), Some("statistics"));
    assert_eq!(first.declaration.as_deref(), Some("name \"_ga\""));
    assert_eq!(first.consent_state, "none");
    assert_eq!(first.action, "drop");
    assert_eq!(first.mode, "enforce");
    assert!(first.enforced);
    assert_eq!(first.request_id.len(), 36);
}

#[tokio::test]
async fn a_given_consent_lets_statistics_through_but_not_undeclared_cookies() {
    let upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let lines = visit(
        &proxy,
        Some(r#"cookies_preferences={"statistics":true}"#),
        false,
    )
    .await;
    assert_eq!(
        names(&lines),
        ["sessionid", "csrftoken", "_ga", "_pk_id.1.abcd"]
    );
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, "undeclared");
    assert_eq!(records[0].consent_state, "given");
    assert_eq!(
        records[0].consent_source.as_deref(),
        Some("json:cookies_preferences")
    );
    assert_eq!(records[0].granted, ["statistics"]);
}

#[tokio::test]
async fn a_refusal_drops_statistics_cookies() {
    let upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    // Percent-encoded, as a browser stores it.
    let lines = visit(
        &proxy,
        Some("cookies_preferences=%7B%22statistics%22%3Afalse%7D"),
        false,
    )
    .await;
    assert_eq!(names(&lines), ["sessionid", "csrftoken"]);
    let kinds: Vec<_> = sink.records().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["refused", "refused", "undeclared"]);
}

/// A consent cookie that does not parse counts as no choice.
#[tokio::test]
async fn an_unreadable_consent_cookie_counts_as_no_choice() {
    let upstream = portal().await;
    let config = format!("{REGISTRY}\n[admin]\nlisten = \"127.0.0.1:0\"\n");
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let lines = visit(&proxy, Some("cookies_preferences=%7Bbroken"), false).await;
    assert_eq!(names(&lines), ["sessionid", "csrftoken"]);
    assert!(sink.records().iter().all(|r| r.consent_state == "none"));
    // Counted, for operators: /metrics shows how many consent cookies could not be read.
    let metrics = format!("http://{}/metrics", proxy.admin_addr().unwrap());
    let req = http::Request::get(metrics).body(empty()).unwrap();
    let text = body_text(http1_client().request(req).await.unwrap()).await;
    assert!(
        text.contains("consentry_consent_unreadable_total 1"),
        "{text}"
    );
}

/// `Sec-GPC: 1` withdraws statistics even after an "accept all", and reaches the portal.
#[tokio::test]
async fn gpc_denies_its_categories_and_is_forwarded_unchanged() {
    let mut upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let lines = visit(
        &proxy,
        Some(r#"cookies_preferences={"statistics":true}"#),
        true,
    )
    .await;
    assert_eq!(names(&lines), ["sessionid", "csrftoken"]);
    let records = sink.records();
    assert_eq!(records[0].kind, "refused");
    assert!(records[0].gpc);
    assert_eq!(records[0].detail.as_deref(), Some("denied by Sec-GPC: 1"));
    assert_eq!(upstream.next_seen().await.headers["sec-gpc"], "1");
}

/// Report-only forwards every line and records what enforce would have done.
#[tokio::test]
async fn report_only_mode_forwards_everything_and_records_it() {
    let upstream = portal().await;
    let config = format!("{REGISTRY}\n[policy]\nmode = \"report-only\"\n");
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let lines = visit(&proxy, None, false).await;
    assert_eq!(lines, PORTAL_COOKIES);
    let records = sink.records();
    assert_eq!(records.len(), 3);
    assert!(records
        .iter()
        .all(|r| r.mode == "report-only" && !r.enforced && r.action == "drop"));
}

#[tokio::test]
async fn a_lifetime_beyond_the_declaration_is_capped_and_a_malformed_line_dropped() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "sessionid=abc; Max-Age=31536000; Path=/")
            .header("set-cookie", "nameless")
            .header("set-cookie", "csrftoken=x;  Path=/ ;Priority=High")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(
        set_cookies(&response),
        [
            "sessionid=abc; Path=/; Max-Age=1209600",
            "csrftoken=x;  Path=/ ;Priority=High"
        ]
    );
    let records = sink.records();
    let kinds: Vec<_> = records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["lifetime-exceeded", "malformed"]);
    assert_eq!(records[0].action, "cap");
    assert_eq!(
        records[0].detail.as_deref(),
        Some("declared at most 1209600 s, set for 31536000 s")
    );
}

/// No record, and no log line, ever holds a cookie value or the query string.
#[tokio::test]
async fn violation_records_never_hold_cookie_values_or_query_strings() {
    let upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    visit(
        &proxy,
        Some(r#"cookies_preferences={"statistics":false}; sessionid=REQUEST-CANARY"#),
        true,
    )
    .await;
    let dump = serde_json::to_string(&sink.records()).unwrap();
    for canary in ["CANARY", "secret", "q="] {
        assert!(!dump.contains(canary), "{canary} in {dump}");
    }
}

/// Without a registry the proxy forwards every cookie (and says so at start).
#[tokio::test]
async fn without_a_registry_every_cookie_passes() {
    let upstream = portal().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), "").await;
    let lines = visit(&proxy, None, false).await;
    assert_eq!(lines, PORTAL_COOKIES);
    assert!(sink.records().is_empty());
}

/// Cookies written by scripts come back on requests: without consent the portal never receives
/// them; the consent cookie and necessary cookies always pass.
#[tokio::test]
async fn cookies_without_consent_are_stripped_from_the_request() {
    let mut upstream = start_ok_upstream().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let cookie = r#"_ga=GA1.1.1; _pk_id.1.abcd=x.1; sessionid=abc; cookies_preferences={"statistics":false}; ab_test=B"#;
    let req = request(&proxy, Method::GET, "/explore/")
        .header("cookie", cookie)
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    body_text(response).await;
    let seen = upstream.next_seen().await;
    assert_eq!(
        seen.headers["cookie"],
        r#"sessionid=abc; cookies_preferences={"statistics":false}"#
    );
    let records = sink.records();
    let kinds: Vec<_> = records
        .iter()
        .map(|r| (r.cookie.as_str(), r.kind, r.direction))
        .collect();
    assert_eq!(
        kinds,
        [
            ("_ga", "request-not-consented", "request"),
            ("_pk_id.1.abcd", "request-not-consented", "request"),
            ("ab_test", "request-undeclared", "request"),
        ]
    );
    assert!(records
        .iter()
        .all(|r| r.status == 200 && r.enforced && r.consent_state == "refused"));

    // With consent, the statistics cookies reach the portal; the undeclared one still does not.
    let cookie = r#"_ga=GA1.1.1; cookies_preferences={"statistics":true}; ab_test=B"#;
    let req = request(&proxy, Method::GET, "/")
        .header("cookie", cookie)
        .body(empty())
        .unwrap();
    body_text(http1_client().request(req).await.unwrap()).await;
    assert_eq!(
        upstream.next_seen().await.headers["cookie"],
        r#"_ga=GA1.1.1; cookies_preferences={"statistics":true}"#
    );
}

/// Report-only: every cookie reaches the portal, and the breach is recorded.
#[tokio::test]
async fn report_only_keeps_request_cookies_and_records_them() {
    let mut upstream = start_ok_upstream().await;
    let config = format!("{REGISTRY}\n[policy]\nmode = \"report-only\"\n");
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let req = request(&proxy, Method::GET, "/")
        .header("cookie", "_ga=1; ab=2")
        .body(empty())
        .unwrap();
    body_text(http1_client().request(req).await.unwrap()).await;
    assert_eq!(upstream.next_seen().await.headers["cookie"], "_ga=1; ab=2");
    assert_eq!(sink.records().len(), 2);
    assert!(sink.records().iter().all(|r| !r.enforced));
}

/// A request whose upstream is down still records the cookies it stripped.
#[tokio::test]
async fn stripped_request_cookies_are_recorded_even_when_the_upstream_fails() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (proxy, sink) = start_proxy_collecting(&format!("http://{closed}"), REGISTRY).await;
    let req = request(&proxy, Method::GET, "/")
        .header("cookie", "_ga=1")
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    assert_eq!(response.status(), 502);
    let records = sink.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, "request-not-consented");
    assert_eq!(records[0].status, 502);
}

/// HTTP/2 lets a browser send each cookie in its own `cookie` field (RFC 9113 §8.2.3): every one
/// of them is judged, and the upstream gets one joined line without the stripped ones.
#[tokio::test]
async fn cookies_split_over_http2_fields_are_each_judged_and_stripped() {
    let mut upstream = start_ok_upstream().await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let req = request(&proxy, Method::GET, "/")
        .header("cookie", "_ga=GA1.1.1")
        .header("cookie", "sessionid=abc")
        .header("cookie", r#"cookies_preferences={"statistics":false}"#)
        .header("cookie", "ab_test=B")
        .body(empty())
        .unwrap();
    let response = http2_client().request(req).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let deleted: Vec<_> = set_cookies(&response)
        .iter()
        .map(|l| l.split('=').next().unwrap().to_owned())
        .collect();
    body_text(response).await;
    let seen = upstream.next_seen().await;
    assert_eq!(seen.headers.get_all("cookie").iter().count(), 1);
    assert_eq!(
        seen.headers["cookie"],
        r#"sessionid=abc; cookies_preferences={"statistics":false}"#
    );
    let names: Vec<_> = sink.records().iter().map(|r| r.cookie.clone()).collect();
    assert_eq!(names, ["_ga", "ab_test"]);
    assert!(deleted.contains(&"_ga".to_owned()) && deleted.contains(&"ab_test".to_owned()));
}
