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
