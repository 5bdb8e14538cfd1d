//! A portal served under the city's own domain: redirects and cookie domains that name the
//! upstream are moved to the public host, as nginx's `proxy_redirect` / `proxy_cookie_domain` do.

mod common;

use common::*;
use http::{Method, Response, StatusCode};

async fn redirecting_upstream() -> Upstream {
    start_upstream(|req| async move {
        let port = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.rsplit(':').next())
            .unwrap_or("80")
            .to_owned();
        Response::builder()
            .status(StatusCode::FOUND)
            .header(
                "location",
                format!("http://localhost:{port}/login/?next=%2Fexplore"),
            )
            .header(
                "set-cookie",
                "csrftoken=abc; Domain=localhost; Path=/; SameSite=Lax",
            )
            .header("set-cookie", "django_language=fr; Path=/")
            .header("set-cookie", "tracker=1; Domain=ads.example; Path=/")
            .body(empty())
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn moves_redirects_and_cookie_domains_to_the_configured_public_host() {
    let upstream = redirecting_upstream().await;
    let url = format!("http://localhost:{}", upstream.addr.port());
    let proxy = start_proxy(&url, "public_host = \"data.city.test\"").await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "http://data.city.test/login/?next=%2Fexplore"
    );
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(
        cookies,
        [
            "csrftoken=abc; Domain=data.city.test; Path=/; SameSite=Lax",
            "django_language=fr; Path=/",
            "tracker=1; Domain=ads.example; Path=/",
        ]
    );
}

/// Behind a trusted TLS terminator the visitor used https: the redirect keeps them on it.
#[tokio::test]
async fn keeps_the_visitor_scheme_reported_by_a_trusted_proxy() {
    let upstream = redirecting_upstream().await;
    let url = format!("http://localhost:{}", upstream.addr.port());
    let proxy = start_proxy(
        &url,
        "public_host = \"data.city.test\"\ntrusted_proxies = [\"127.0.0.1\"]",
    )
    .await;
    let req = request(&proxy, Method::GET, "/")
        .header("x-forwarded-proto", "https")
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    assert_eq!(
        response.headers()["location"],
        "https://data.city.test/login/?next=%2Fexplore"
    );
}

/// Without `public_host`, the host the visitor asked for is the public host.
#[tokio::test]
async fn uses_the_visitor_host_when_no_public_host_is_configured() {
    let upstream = redirecting_upstream().await;
    let url = format!("http://localhost:{}", upstream.addr.port());
    let proxy = start_proxy(&url, "").await;
    let req = request(&proxy, Method::GET, "/")
        .header("host", "portal.city.test:8080")
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    assert_eq!(
        response.headers()["location"],
        "http://portal.city.test:8080/login/?next=%2Fexplore"
    );
    let first_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .next()
        .unwrap();
    assert_eq!(
        first_cookie,
        "csrftoken=abc; Domain=portal.city.test; Path=/; SameSite=Lax"
    );
}

/// With a registry, the verdicts tell which kept lines name a domain: a page with no redirect
/// still gets its cookie domains moved, an edited line too, and a malformed line kept in
/// report-only mode is looked at as before.
#[tokio::test]
async fn moves_cookie_domains_of_judged_lines_without_a_redirect() {
    let upstream = start_upstream(|req| async move {
        let lines: &[&str] = match req.uri().path() {
            // Nothing parsed names a domain here: only the malformed line does.
            "/malformed" => &["lang=fr; Path=/", "=nameless; Domain=localhost"],
            _ => &[
                "csrftoken=abc; Domain=localhost; Path=/",
                "sessionid=s; Domain=.localhost; Max-Age=99999999; Path=/",
                "lang=fr; Path=/",
                "=nameless; Domain=localhost",
            ],
        };
        let mut response = Response::builder();
        for line in lines {
            response = response.header("set-cookie", *line);
        }
        response.body(empty()).unwrap()
    })
    .await;
    let url = format!("http://localhost:{}", upstream.addr.port());
    let registry = r#"public_host = "data.city.test"
[[category]]
id = "necessary"
needs_consent = false
[[cookie]]
name = "csrftoken"
category = "necessary"
max_lifetime = "12mo"
[[cookie]]
name = "sessionid"
category = "necessary"
max_lifetime = "2w"
[[cookie]]
name = "lang"
category = "necessary"
max_lifetime = "12mo"
"#;
    for (mode, expected) in [
        (
            "enforce",
            &[
                "csrftoken=abc; Domain=data.city.test; Path=/",
                "sessionid=s; Domain=.data.city.test; Path=/; Max-Age=1209600",
                "lang=fr; Path=/",
            ][..],
        ),
        (
            "report-only",
            &[
                "csrftoken=abc; Domain=data.city.test; Path=/",
                "sessionid=s; Domain=.data.city.test; Max-Age=99999999; Path=/",
                "lang=fr; Path=/",
                "=nameless; Domain=data.city.test",
            ][..],
        ),
    ] {
        let config = format!("{registry}\n[policy]\nmode = \"{mode}\"\n");
        let (proxy, _sink) = start_proxy_collecting(&url, &config).await;
        let response = get(&http1_client(), &proxy, "/").await;
        assert_eq!(set_cookies(&response), expected, "{mode}");
    }
    let config = format!("{registry}\n[policy]\nmode = \"report-only\"\n");
    let (proxy, _sink) = start_proxy_collecting(&url, &config).await;
    let response = get(&http1_client(), &proxy, "/malformed").await;
    assert_eq!(
        set_cookies(&response),
        ["lang=fr; Path=/", "=nameless; Domain=data.city.test"]
    );
}
