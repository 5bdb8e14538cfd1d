//! Graceful shutdown: in-flight requests finish, new connections are refused.

mod common;

use std::time::Duration;

use common::*;
use http::{Response, StatusCode};

#[tokio::test]
async fn lets_an_in_flight_request_finish_then_stops_accepting() {
    let upstream = start_upstream(|_req| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Response::new(full("finished"))
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "grace_period = \"10s\"").await;
    let addr = proxy.local_addr();
    let client = http1_client();
    let in_flight = {
        let client = client.clone();
        let req = http::Request::get(format!("http://{addr}/slow"))
            .body(empty())
            .unwrap();
        tokio::spawn(async move { client.request(req).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    proxy.shutdown();
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request was cut");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "finished");
    tokio::time::timeout(Duration::from_secs(5), proxy.wait())
        .await
        .expect("shutdown did not complete");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// The grace period bounds the wait: a request that never ends does not hold the process.
#[tokio::test]
async fn the_grace_period_bounds_the_wait() {
    let upstream = start_upstream(|_req| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Response::new(full("never"))
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "grace_period = \"300ms\"").await;
    let addr = proxy.local_addr();
    let req = http::Request::get(format!("http://{addr}/"))
        .body(empty())
        .unwrap();
    let client = http1_client();
    let _in_flight = tokio::spawn(async move { client.request(req).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = std::time::Instant::now();
    proxy.shutdown();
    tokio::time::timeout(Duration::from_secs(5), proxy.wait())
        .await
        .expect("shutdown ignored the grace period");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// `timeouts.client_headers`: a client that opens a connection and never sends a request head
/// is disconnected, so idle or slow-loris connections cannot pile up.
#[tokio::test]
async fn closes_a_connection_that_sends_no_request_head_in_time() {
    use tokio::io::AsyncReadExt;
    let upstream = start_ok_upstream().await;
    let proxy = start_proxy(
        &upstream.url(),
        "[proxy.timeouts]\nclient_headers = \"300ms\"",
    )
    .await;
    let mut tcp = tokio::net::TcpStream::connect(proxy.local_addr())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut tcp, b"GET / HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    // The read ends (with EOF or a reset) only when the proxy closes the connection.
    let _closed = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf))
        .await
        .expect("the connection was not closed by client_headers");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}
