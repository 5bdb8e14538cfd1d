//! Cleanup in a real browser: headless Chromium holds cookies written by script (one on the
//! parent domain, one on a sub-path, one never declared), and a single page through the proxy
//! after a refusal or a withdrawal leaves none of them in its jar. With consent they stay.

#[path = "support/cdp.rs"]
mod cdp;
mod common;

use std::path::Path;

use cdp::{Browser, JarCookie, CHROMIUM};
use common::*;
use http::Response;

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
[[cookie]]
glob = "_pk_id.*"
category = "statistics"
max_lifetime = "13mo"

[[consent.source]]
format = "json"
cookie = "cookies_preferences"
keys = { statistics = "statistics" }
"#;

/// What an analytics script and a consent manager would write: `_ga` on the parent domain (as
/// Google Analytics does), Matomo's id on a sub-path, an undeclared A/B test cookie, and the
/// session; the consent cookie is written separately.
const TRACKERS: &str = r#"
document.cookie = "_ga=GA1.1.42.1700000000; domain=portal.test; path=/; max-age=3600";
document.cookie = "_pk_id.1.abcd=0123456789abcdef.1700000000; path=/explore; max-age=3600";
document.cookie = "ab_test=B; path=/; max-age=3600";
document.cookie = "sessionid=S1; path=/; max-age=3600";
"#;

fn consent_script(statistics: bool) -> String {
    format!(
        r#"document.cookie = 'cookies_preferences={{"statistics":{statistics}}}; path=/; max-age=3600'"#
    )
}

fn holds(jar: &[JarCookie], name: &str, domain: &str, path: &str) -> bool {
    jar.iter()
        .any(|c| c.name == name && c.domain == domain && c.path == path)
}

fn names(jar: &[JarCookie]) -> Vec<&str> {
    let mut names: Vec<&str> = jar.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names
}

/// Chromium on a developer's machine may be missing; under CI (which installs it) it may not.
fn chromium_is_here() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    let message = "/usr/bin/chromium is missing: this test checks the cleanup in a real browser; .ci/run installs Debian's `chromium` package (apt-get install chromium)";
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("NOT RUN: {message}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_or_a_withdrawal_empties_the_browser_of_every_cookie_it_does_not_cover() {
    if !chromium_is_here() {
        return;
    }
    let mut upstream = start_upstream(|_req| async {
        Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            // No favicon request: it would carry the cookies the test writes and clean them up
            // before the test looks (as it should, but out of the test's order).
            .body(full(
                "<!doctype html><title>portal</title><link rel=\"icon\" href=\"data:,\"><p>page</p>",
            ))
            .unwrap()
    })
    .await;
    let (proxy, sink) = start_proxy_collecting(&upstream.url(), REGISTRY).await;
    let port = proxy.local_addr().port();
    let rules = "--host-resolver-rules=MAP portal.test 127.0.0.1, MAP *.portal.test 127.0.0.1";
    let mut browser = Browser::launch(&[rules.to_owned()]).await;
    let page = |path: &str| format!("http://data.portal.test:{port}{path}");

    // Refused from the start: the scripts wrote their cookies anyway.
    browser.navigate(&page("/explore/")).await;
    browser.evaluate(TRACKERS).await;
    browser.evaluate(&consent_script(false)).await;
    let jar = browser.cookies_once(|jar| jar.len() == 5).await;
    assert!(
        holds(&jar, "_ga", ".portal.test", "/"),
        "the parent-domain cookie is in the jar: {jar:?}"
    );
    assert!(
        holds(&jar, "_pk_id.1.abcd", "data.portal.test", "/explore"),
        "the sub-path cookie is in the jar: {jar:?}"
    );

    browser.navigate(&page("/explore/dataset/budget/")).await;
    assert_eq!(
        names(&browser.cookies_once(|jar| jar.len() == 2).await),
        ["cookies_preferences", "sessionid"],
        "one page through the proxy removed every refused or undeclared cookie"
    );
    let seen = loop {
        let seen = upstream.next_seen().await;
        if seen.uri.path() == "/explore/dataset/budget/" {
            break seen;
        }
    };
    assert_eq!(
        seen.headers["cookie"].to_str().unwrap(),
        r#"sessionid=S1; cookies_preferences={"statistics":false}"#,
        "the portal never received them either"
    );

    // Given: the statistics cookies stay; the undeclared one goes all the same.
    browser.clear_cookies().await;
    browser.evaluate(TRACKERS).await;
    browser.evaluate(&consent_script(true)).await;
    browser.cookies_once(|jar| jar.len() == 5).await;
    browser.navigate(&page("/explore/dataset/budget/")).await;
    assert_eq!(
        names(&browser.cookies_once(|jar| jar.len() == 4).await),
        ["_ga", "_pk_id.1.abcd", "cookies_preferences", "sessionid"]
    );

    // Withdrawn (the consent manager rewrites its cookie): the very next page cleans up.
    browser.evaluate(&consent_script(false)).await;
    browser
        .cookies_once(|jar| {
            jar.iter()
                .any(|c| c.name == "cookies_preferences" && c.value.contains("false"))
        })
        .await;
    browser.navigate(&page("/explore/dataset/budget/")).await;
    assert_eq!(
        names(&browser.cookies_once(|jar| jar.len() == 2).await),
        ["cookies_preferences", "sessionid"]
    );
    let records = sink.records();
    assert!(!records.is_empty());
    assert!(records
        .iter()
        .all(|r| r.direction == "request" && r.enforced));
}
