//! Cleanup through the running proxy: the cookies stripped from a request are deleted from the
//! browser by the response, on every domain and path they may live on, within the bound.

mod common;

use common::*;
use http::{Method, Response};

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
name = "cookies_preferences"
category = "necessary"
max_lifetime = "6mo"
[[cookie]]
name = "_ga"
category = "statistics"
max_lifetime = "13mo"
domain = ".portal.test"
[[cookie]]
glob = "_pk_id.*"
category = "statistics"
max_lifetime = "13mo"

[[consent.source]]
format = "json"
cookie = "cookies_preferences"
keys = { statistics = "statistics" }
"#;

const REFUSED: &str = r#"cookies_preferences={"statistics":false}"#;

/// Sends one request for `path` as the visitor of `host` with `cookie`; returns the response's
/// `Set-Cookie` lines and its status.
async fn visit(
    proxy: &consentry::proxy::server::RunningServer,
    host: &str,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> (u16, Vec<String>) {
    let mut req = request(proxy, Method::GET, path)
        .header("host", host)
        .header("cookie", cookie);
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    let response = http1_client()
        .request(req.body(empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let lines = set_cookies(&response);
    body_text(response).await;
    (status, lines)
}

/// The `Set-Cookie` deletions among `lines`, as (name, Domain, Path, Secure).
fn deletions(lines: &[String]) -> Vec<(String, Option<String>, String, bool)> {
    lines
        .iter()
        .filter(|l| l.contains("; Max-Age=0;"))
        .map(|line| {
            let mut parts = line.split("; ");
            let name = parts.next().unwrap().trim_end_matches('=').to_owned();
            let (mut domain, mut path, mut secure) = (None, String::new(), false);
            for part in parts {
                match part.split_once('=') {
                    Some(("Domain", d)) => domain = Some(d.to_owned()),
                    Some(("Path", p)) => path = p.to_owned(),
                    _ if part == "Secure" => secure = true,
                    _ => {}
                }
            }
            (name, domain, path, secure)
        })
        .collect()
}

fn form(name: &str, domain: Option<&str>, path: &str) -> (String, Option<String>, String, bool) {
    (name.into(), domain.map(Into::into), path.into(), false)
}

#[tokio::test]
async fn every_stripped_cookie_is_deleted_on_each_domain_and_path_it_may_live_on() {
    let upstream = start_ok_upstream().await;
    let (proxy, _sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let cookie = format!("_ga=GA1.1.1; _pk_id.1.abcd=x; sessionid=abc; {REFUSED}; ab_test=B");
    let (status, lines) = visit(&proxy, "data.portal.test", "/explore/", &cookie, &[]).await;
    assert_eq!(status, 200);
    let domains = [None, Some("portal.test"), Some("data.portal.test")];
    let mut want = Vec::new();
    for name in ["_ga", "_pk_id.1.abcd", "ab_test"] {
        for path in ["/", "/explore"] {
            want.extend(domains.iter().map(|d| form(name, *d, path)));
        }
    }
    want.sort();
    let got = deletions(&lines);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, want);
    // Round robin: each cookie's likeliest form (path `/`, its declared domain first, else
    // host-only) before anyone's rarer ones.
    assert_eq!(
        &got[..3],
        &[
            form("_ga", Some("portal.test"), "/"),
            form("_pk_id.1.abcd", None, "/"),
            form("ab_test", None, "/"),
        ]
    );
    // The necessary and the consent cookie are never touched.
    assert!(got
        .iter()
        .all(|(name, ..)| name != "sessionid" && name != "cookies_preferences"));
    assert!(lines
        .iter()
        .all(|l| l.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT")));
}

#[tokio::test]
async fn a_given_consent_deletes_nothing_but_undeclared_cookies() {
    let upstream = start_ok_upstream().await;
    let (proxy, _sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let cookie = r#"_ga=1; ab_test=B; cookies_preferences={"statistics":true}"#;
    let (_, lines) = visit(&proxy, "portal.test", "/", cookie, &[]).await;
    let names: Vec<_> = deletions(&lines).into_iter().map(|d| d.0).collect();
    assert_eq!(names, vec!["ab_test", "ab_test"]);
}

#[tokio::test]
async fn report_only_and_a_disabled_cleanup_send_no_deletion() {
    let upstream = start_ok_upstream().await;
    for extra in [
        "[policy]\nmode = \"report-only\"\n",
        "[policy.cleanup]\nenabled = false\n",
    ] {
        let config = format!("{REGISTRY}\n{extra}");
        let (proxy, sink) = start_proxy_collecting(&upstream.url(), &config).await;
        let (_, lines) = visit(
            &proxy,
            "portal.test",
            "/",
            &format!("_ga=1; {REFUSED}"),
            &[],
        )
        .await;
        assert!(lines.is_empty(), "{extra}: {lines:?}");
        assert_eq!(
            sink.records().len(),
            1,
            "{extra}: the breach is still recorded"
        );
    }
}

#[tokio::test]
async fn a_response_carries_at_most_max_per_response_deletions() {
    let upstream = start_ok_upstream().await;
    let config = format!("{REGISTRY}\n[policy.cleanup]\nmax_per_response = 4\n");
    let (proxy, _sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let cookie = format!("_ga=1; _pk_id.1.x=2; a=3; b=4; {REFUSED}");
    let (_, lines) = visit(&proxy, "www.data.portal.test", "/a/b/c", &cookie, &[]).await;
    assert_eq!(deletions(&lines).len(), 4);
    // The head of the budget is always the likeliest forms: each cookie host-only on `/`, or
    // on its declared domain.
    assert_eq!(
        deletions(&lines)[..2],
        [
            form("_ga", Some("portal.test"), "/"),
            form("_pk_id.1.x", None, "/")
        ]
    );
}

#[tokio::test]
async fn https_visitors_get_secure_deletions_and_host_prefixed_cookies_their_only_form() {
    let upstream = start_ok_upstream().await;
    let config = format!("trusted_proxies = [\"127.0.0.1\"]\n{REGISTRY}");
    let (proxy, _sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let cookie = format!("_ga=1; __Host-track=2; {REFUSED}");
    let (_, lines) = visit(
        &proxy,
        "data.portal.test",
        "/explore",
        &cookie,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let got = deletions(&lines);
    assert!(
        got.iter().all(|d| d.3),
        "every deletion is Secure: {lines:?}"
    );
    let host_prefixed: Vec<_> = got.iter().filter(|d| d.0 == "__Host-track").collect();
    assert_eq!(host_prefixed.len(), 1);
    assert_eq!(
        (&host_prefixed[0].1, host_prefixed[0].2.as_str()),
        (&None, "/")
    );
}

#[tokio::test]
async fn the_error_page_of_a_failed_upstream_still_carries_the_deletions() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (proxy, _sink) = start_proxy_collecting(&format!("http://{closed}"), REGISTRY).await;
    let (status, lines) = visit(
        &proxy,
        "portal.test",
        "/",
        &format!("_ga=1; {REFUSED}"),
        &[],
    )
    .await;
    assert_eq!(status, 502);
    assert_eq!(deletions(&lines).len(), 2);
}

/// A cookie the portal sets in this very response (allowed by the policy) is not deleted by it.
#[tokio::test]
async fn a_cookie_the_response_sets_is_not_deleted_by_the_same_response() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("set-cookie", "ab_test=B; Path=/")
            .body(full("page"))
            .unwrap()
    })
    .await;
    let config = format!("{REGISTRY}\n[policy.kinds.undeclared]\naction = \"log\"\n");
    let (proxy, _sink) = start_proxy_collecting(&upstream.url(), &config).await;
    let (_, lines) = visit(
        &proxy,
        "portal.test",
        "/",
        &format!("ab_test=A; {REFUSED}"),
        &[],
    )
    .await;
    assert_eq!(lines, vec!["ab_test=B; Path=/"]);
}

/// A portal whose consent form answers by writing the consent cookie, and sets `_ga` again.
async fn consent_form_portal(choice: &'static str) -> Upstream {
    start_upstream(move |_req| async move {
        Response::builder()
            .header(
                "set-cookie",
                format!(
                    r#"cookies_preferences={{"statistics":{choice}}}; Max-Age=15552000; Path=/"#
                ),
            )
            .header("set-cookie", "_ga=GA1.1.NEW; Max-Age=3600; Path=/")
            .body(full("choice saved"))
            .unwrap()
    })
    .await
}

/// A withdrawal posted to the portal takes effect on the response that records it: the new
/// tracker line is dropped and the cookies the browser holds are deleted, not one page later.
#[tokio::test]
async fn a_withdrawal_the_response_writes_takes_effect_on_that_response() {
    let mut upstream = consent_form_portal("false").await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let given = r#"_ga=GA1.1.OLD; cookies_preferences={"statistics":true}"#;
    let (_, lines) = visit(&proxy, "portal.test", "/consent", given, &[]).await;
    // The request went out under the consent it carried.
    assert_eq!(upstream.next_seen().await.headers["cookie"], given);
    assert!(lines[0].starts_with("cookies_preferences="), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("_ga=GA1.1.NEW")),
        "the new tracker is dropped: {lines:?}"
    );
    let deleted: Vec<_> = deletions(&lines).into_iter().map(|d| d.0).collect();
    assert!(
        deleted.iter().all(|n| n == "_ga") && deleted.len() == 4,
        "{lines:?}"
    );
    let records = sink.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        (records[0].kind, records[0].consent_state),
        ("refused", "refused")
    );
}

/// The other way round, the response cannot widen the consent the request carried.
#[tokio::test]
async fn a_consent_the_response_writes_does_not_widen_that_response() {
    let upstream = consent_form_portal("true").await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let (_, lines) = visit(&proxy, "portal.test", "/consent", REFUSED, &[]).await;
    assert_eq!(lines.len(), 1, "only the consent cookie passes: {lines:?}");
    assert!(lines[0].starts_with("cookies_preferences="));
    assert_eq!(sink.records()[0].kind, "refused");
}
