//! Reaching the upstream: over TLS with a private CA, WebSocket pass-through, and the errors a
//! visitor sees when the upstream is down (502) or too slow (504).

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use http::{Response, StatusCode};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn forwards_to_an_https_upstream_trusted_through_upstream_ca() {
    let pki = generate_pki();
    let mut upstream = start_tls_upstream(
        |_req| async { Response::new(full("over tls")) },
        pki.acceptor.clone(),
    )
    .await;
    let url = format!("https://localhost:{}", upstream.addr.port());
    let proxy = start_proxy_in(&url, "upstream_ca = \"ca.pem\"", pki.dir.path()).await;
    let response = get(&http1_client(), &proxy, "/api/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "over tls");
    let seen = upstream.next_seen().await;
    assert_eq!(
        seen.headers["host"],
        format!("localhost:{}", upstream.addr.port())
    );
}

/// A certificate from an unknown CA is refused: the visitor gets 502, not the portal.
#[tokio::test]
async fn refuses_an_https_upstream_with_an_untrusted_certificate() {
    let pki = generate_pki();
    let upstream = start_tls_upstream(
        |_req| async { Response::new(full("x")) },
        pki.acceptor.clone(),
    )
    .await;
    let url = format!("https://localhost:{}", upstream.addr.port());
    let proxy = start_proxy(&url, "").await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn passes_a_websocket_through_both_ways() {
    let upstream = start_upstream(|mut req| async move {
        let key = req.headers()["sec-websocket-key"].clone();
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let upgraded = on_upgrade.await.unwrap();
            let io = hyper_util::rt::TokioIo::new(upgraded);
            let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
                io,
                tokio_tungstenite::tungstenite::protocol::Role::Server,
                None,
            )
            .await;
            while let Some(Ok(message)) = ws.next().await {
                if message.is_text() {
                    let text = format!("echo: {}", message.into_text().unwrap());
                    ws.send(Message::text(text)).await.unwrap();
                }
            }
        });
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-accept", accept)
            .body(empty())
            .unwrap()
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let url = format!("ws://{}/ws", proxy.local_addr());
    let (mut ws, response) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    for text in ["bonjour", "au revoir"] {
        ws.send(Message::text(text)).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(reply.into_text().unwrap().as_str(), format!("echo: {text}"));
    }
}

#[tokio::test]
async fn answers_502_with_the_request_id_when_the_upstream_refuses_connections() {
    // Bind then drop: the port is free and nothing listens on it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = start_proxy(&format!("http://{closed}"), "").await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let text = body_text(response).await;
    assert!(text.starts_with("502 Bad Gateway"), "{text}");
    assert!(text.contains(&id), "{text}");
}

#[tokio::test]
async fn answers_504_when_the_upstream_is_too_slow() {
    let upstream = start_upstream(|_req| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Response::new(full("too late"))
    })
    .await;
    let proxy = start_proxy(
        &upstream.url(),
        "[proxy.timeouts]\nupstream_headers = \"300ms\"",
    )
    .await;
    let started = std::time::Instant::now();
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(body_text(response).await.starts_with("504 Gateway Timeout"));
}

/// An upstream that dies mid-request (closes without answering) is a bad gateway, and the
/// proxy keeps serving.
#[tokio::test]
async fn answers_502_when_the_upstream_closes_without_answering() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut tcp, &mut buf).await;
            drop(tcp);
        }
    });
    let proxy = start_proxy(&format!("http://{addr}"), "").await;
    let client = http1_client();
    for _ in 0..2 {
        let response = get(&client, &proxy, "/").await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    }
}
