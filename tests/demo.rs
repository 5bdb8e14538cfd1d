//! `consentry demo`: the scripted visit run as the real binary, and the demo stack driven
//! in-process by a real client. Every server binds `127.0.0.1:0`.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use consentry::demo::{
    start_demo, RecordCollector, CONSENT_COOKIE, GA_COOKIE, MATOMO_COOKIE, UNDECLARED_COOKIE,
};
use http::header::{COOKIE, SET_COOKIE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The binary's own smoke test: it checks its expectations and says so through the exit status.
#[test]
fn demo_once_runs_the_scripted_visit_and_succeeds() {
    let output = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["demo", "--once"])
        .output()
        .expect("run consentry demo --once");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    for phase in [
        "no choice",
        "refuse",
        "accept",
        "log in",
        "withdraw",
        "with the withdrawal",
    ] {
        assert!(stdout.contains(phase), "no `{phase}` phase in:\n{stdout}");
    }
    assert!(
        stdout.contains("all 20 expectations hold"),
        "not the 20 expectations:\n{stdout}"
    );
    // The response to the withdrawal deletes what the browser holds.
    let row = "deleted from the browser";
    for cookie in [GA_COOKIE, MATOMO_COOKIE] {
        assert!(
            stdout
                .lines()
                .any(|line| line.trim_start().starts_with(cookie) && line.ends_with(row)),
            "no withdrawal row for {cookie}:\n{stdout}"
        );
    }
    assert!(stdout.contains(MATOMO_COOKIE), "{stdout}");
    assert!(stdout.contains("127.0.0.1:"), "{stdout}");
    assert!(
        !stdout.contains(":8080"),
        "--once must not bind the default port:\n{stdout}"
    );
    assert!(stdout.lines().count() <= 40, "too long:\n{stdout}");
}

/// Cookie values must never be printed: the analytics ids the portal sets look like these.
#[test]
fn demo_once_prints_no_cookie_value() {
    let output = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["demo", "--once"])
        .output()
        .expect("run consentry demo --once");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for leak in ["GA1.1.", "%7B", "statistics%22", "sessionid="] {
        assert!(!stdout.contains(leak), "`{leak}` printed:\n{stdout}");
    }
}

/// Before any choice, the portal's analytics cookies never reach the browser and each drop is
/// recorded as `no-consent`; a choice-free visitor still gets the necessary cookies.
#[tokio::test]
async fn demo_stack_drops_analytics_before_any_choice() {
    let records = Arc::new(RecordCollector::default());
    let stack = start_demo("127.0.0.1:0", records.clone())
        .await
        .expect("start the demo");
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(format!("http://{}/", stack.proxy_addr()))
        .body(Empty::new())
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .expect("an answer in time")
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let names: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| {
            let line = line.to_str().unwrap();
            line.split_once('=').unwrap().0.to_owned()
        })
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&body).contains("Portail"),
        "not the portal's home page"
    );

    assert!(names.iter().any(|n| n == "csrftoken"), "{names:?}");
    assert!(names.iter().any(|n| n == "django_language"), "{names:?}");
    for dropped in [MATOMO_COOKIE, GA_COOKIE, UNDECLARED_COOKIE] {
        assert!(
            !names.iter().any(|n| n == dropped),
            "{dropped} passed: {names:?}"
        );
    }
    let recorded = records.snapshot_records();
    let matomo = recorded
        .iter()
        .find(|r| r.cookie == MATOMO_COOKIE)
        .expect("a record for the Matomo cookie");
    assert_eq!(matomo.kind, "no-consent");
    assert_eq!(matomo.action, "drop");
    assert!(matomo.enforced);
    assert_eq!(matomo.category.as_deref(), Some("statistics"));
    assert!(recorded
        .iter()
        .any(|r| r.cookie == UNDECLARED_COOKIE && r.kind == "undeclared"));

    stack.shutdown().await;
}

/// After accepting on the consent page, the same request carries the consent cookie and the
/// analytics cookies pass, `_ga` with its lifetime capped.
#[tokio::test]
async fn demo_stack_caps_ga_once_statistics_are_accepted() {
    let records = Arc::new(RecordCollector::default());
    let stack = start_demo("127.0.0.1:0", records.clone())
        .await
        .expect("start the demo");
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(format!("http://{}/", stack.proxy_addr()))
        .header(COOKIE, "cookies_preferences=%7B%22statistics%22%3Atrue%7D")
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await.expect("a response");
    let lines: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| line.to_str().unwrap().to_owned())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{MATOMO_COOKIE}="))),
        "{lines:?}"
    );
    let ga = lines
        .iter()
        .find(|l| l.starts_with("_ga="))
        .expect("_ga passes once accepted");
    assert!(!ga.contains("Max-Age=63072000"), "not capped: {ga}");
    assert!(records
        .snapshot_records()
        .iter()
        .any(|r| r.cookie == GA_COOKIE && r.kind == "lifetime-exceeded" && r.action == "cap"));
    stack.shutdown().await;
}

/// A withdrawal as the browser brings it: the refused consent cookie with the analytics cookies
/// it still holds. They are stripped before the portal (which says what it received), each is
/// recorded as `request-not-consented`, and the response deletes them; the consent cookie and
/// the necessary cookies reach the portal and are not deleted.
#[tokio::test]
async fn demo_stack_strips_and_deletes_analytics_after_a_withdrawal() {
    let records = Arc::new(RecordCollector::default());
    let stack = start_demo("127.0.0.1:0", records.clone())
        .await
        .expect("start the demo");
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let sent = format!(
        "{CONSENT_COOKIE}=%7B%22statistics%22%3Afalse%7D; csrftoken=abc; \
         {MATOMO_COOKIE}=0123456789abcdef.1700000000; {GA_COOKIE}=GA1.1.123456789.1700000000"
    );
    let request = Request::get(format!("http://{}/", stack.proxy_addr()))
        .header(COOKIE, sent)
        .body(Empty::new())
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .expect("an answer in time")
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let received = response
        .headers()
        .get("x-demo-cookies-received")
        .expect("the portal says what it received")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(received, format!("{CONSENT_COOKIE}, csrftoken"));
    let deletions: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| line.to_str().unwrap().to_owned())
        .filter(|line| line.contains("Max-Age=0"))
        .collect();
    for cookie in [MATOMO_COOKIE, GA_COOKIE] {
        let deletion =
            format!("{cookie}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/");
        assert!(deletions.contains(&deletion), "{deletions:?}");
        assert!(records.snapshot_records().iter().any(|r| r.cookie == cookie
            && r.direction == "request"
            && r.kind == "request-not-consented"
            && r.enforced));
    }
    assert_eq!(
        deletions.len(),
        2,
        "only the analytics cookies: {deletions:?}"
    );
    stack.shutdown().await;
}
