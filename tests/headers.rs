//! Header rules through the running proxy: hop-by-hop removal (RFC 9110 §7.6.1), forwarding
//! headers and their trust rule, `Host` in both `preserve_host` settings, `Via`, request ids.

mod common;

use common::*;
use http::{Method, Response, Version};

#[tokio::test]
async fn removes_hop_by_hop_headers_from_the_request() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let req = request(&proxy, Method::GET, "/")
        .header("connection", "x-session-hint")
        .header("connection", "keep-alive")
        .header("x-session-hint", "private")
        .header("keep-alive", "timeout=5")
        .header("proxy-connection", "keep-alive")
        .header("te", "gzip")
        .header("trailer", "x-sum")
        .header("x-end-to-end", "kept")
        .body(empty())
        .unwrap();
    http1_client().request(req).await.unwrap();
    let seen = upstream.next_seen().await;
    for name in [
        "x-session-hint",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
    ] {
        assert!(
            !seen.headers.contains_key(name),
            "{name} reached the upstream"
        );
    }
    assert_eq!(seen.headers["x-end-to-end"], "kept");
}

#[tokio::test]
async fn removes_hop_by_hop_headers_from_the_response() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .header("connection", "x-internal-route")
            .header("x-internal-route", "backend-7")
            .header("keep-alive", "timeout=60")
            .header("x-end-to-end", "kept")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert!(!response.headers().contains_key("x-internal-route"));
    assert!(!response.headers().contains_key("keep-alive"));
    assert_eq!(response.headers()["x-end-to-end"], "kept");
}

/// A client that is not a trusted proxy cannot forge its address: its forwarding headers are
/// replaced by a chain that starts with the real peer.
#[tokio::test]
async fn replaces_forwarding_headers_from_an_untrusted_client() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "trusted_proxies = [\"10.0.0.0/8\"]").await;
    let req = request(&proxy, Method::GET, "/")
        .header("x-forwarded-for", "203.0.113.9")
        .header("forwarded", "for=203.0.113.9;proto=https")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .header("x-real-ip", "203.0.113.9")
        .body(empty())
        .unwrap();
    http1_client().request(req).await.unwrap();
    let seen = upstream.next_seen().await;
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen.headers["x-real-ip"], "127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
    assert_eq!(
        seen.headers["x-forwarded-host"],
        proxy.local_addr().to_string()
    );
    let forwarded = seen.headers["forwarded"].to_str().unwrap();
    assert!(
        forwarded.starts_with("for=127.0.0.1;proto=http"),
        "{forwarded}"
    );
    assert!(!forwarded.contains("203.0.113.9"), "{forwarded}");
}

/// A trusted proxy in front (a TLS terminator) has its chain extended, and what it reports
/// about the visitor's scheme and host is kept.
#[tokio::test]
async fn extends_the_chain_of_a_trusted_proxy() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "trusted_proxies = [\"127.0.0.1\"]").await;
    let req = request(&proxy, Method::GET, "/")
        .header("x-forwarded-for", "203.0.113.9")
        .header("forwarded", "for=203.0.113.9;proto=https;host=data.city.fr")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "data.city.fr")
        .body(empty())
        .unwrap();
    http1_client().request(req).await.unwrap();
    let seen = upstream.next_seen().await;
    assert_eq!(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "https");
    assert_eq!(seen.headers["x-forwarded-host"], "data.city.fr");
    let forwarded = seen.headers["forwarded"].to_str().unwrap();
    assert!(
        forwarded.starts_with("for=203.0.113.9;proto=https;host=data.city.fr, for=127.0.0.1"),
        "{forwarded}"
    );
}

/// By default the upstream gets its own host (a SaaS portal routes on it).
#[tokio::test]
async fn sends_the_upstream_host_by_default() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let req = request(&proxy, Method::GET, "/")
        .header("host", "data.city.fr")
        .body(empty())
        .unwrap();
    http1_client().request(req).await.unwrap();
    let seen = upstream.next_seen().await;
    assert_eq!(seen.headers["host"], upstream.addr.to_string());
    assert_eq!(seen.headers.get_all("host").iter().count(), 1);
    assert_eq!(seen.headers["x-forwarded-host"], "data.city.fr");
}

#[tokio::test]
async fn sends_the_visitor_host_when_preserve_host_is_set() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "preserve_host = true").await;
    let req = request(&proxy, Method::GET, "/")
        .header("host", "data.city.fr")
        .body(empty())
        .unwrap();
    http1_client().request(req).await.unwrap();
    assert_eq!(upstream.next_seen().await.headers["host"], "data.city.fr");
}

/// HTTP/2 carries the host in `:authority`, not in a `Host` field: it must still be preserved.
#[tokio::test]
async fn preserves_the_http2_authority_as_host() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "preserve_host = true").await;
    let req = http::Request::builder()
        .uri(format!("http://{}/", proxy.local_addr()))
        .version(Version::HTTP_2)
        .body(empty())
        .unwrap();
    http2_client().request(req).await.unwrap();
    let seen = upstream.next_seen().await;
    assert_eq!(seen.headers["host"], proxy.local_addr().to_string());
}

/// RFC 9110 §7.6.3: each proxy appends itself to `Via`, on the request and the response.
#[tokio::test]
async fn adds_via_both_ways() {
    let mut upstream = start_upstream(|_req| async {
        Response::builder()
            .header("via", "1.1 origin-cache")
            .body(full("ok"))
            .unwrap()
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let req = request(&proxy, Method::GET, "/")
        .header("via", "1.1 cdn")
        .body(empty())
        .unwrap();
    let response = http1_client().request(req).await.unwrap();
    assert_eq!(response.headers()["via"], "1.1 origin-cache, 1.1 consentry");
    assert_eq!(
        upstream.next_seen().await.headers["via"],
        "1.1 cdn, 1.1 consentry"
    );
}

#[tokio::test]
async fn propagates_a_request_id_or_generates_one() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let client = http1_client();
    let req = request(&proxy, Method::GET, "/")
        .header("x-request-id", "lb-42")
        .body(empty())
        .unwrap();
    let response = client.request(req).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "lb-42");
    assert_eq!(upstream.next_seen().await.headers["x-request-id"], "lb-42");

    let response = get(&client, &proxy, "/").await;
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    assert_eq!(
        upstream.next_seen().await.headers["x-request-id"],
        generated.as_str()
    );
}
