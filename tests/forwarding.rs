//! Transparency: what the visitor sends reaches the upstream, and what the upstream answers
//! reaches the visitor, over real sockets, with bodies streamed rather than buffered.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use futures_util::StreamExt;
use http::{Method, Response, StatusCode, Version};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

#[tokio::test]
async fn forwards_method_path_and_query_unchanged() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let client = http1_client();
    let req = request(&proxy, Method::DELETE, "/api/records/42?lang=fr&x=%20y")
        .body(empty())
        .unwrap();
    let response = client.request(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "hello from the portal");
    let seen = upstream.next_seen().await;
    assert_eq!(seen.method, Method::DELETE);
    assert_eq!(seen.uri.path(), "/api/records/42");
    assert_eq!(seen.uri.query(), Some("lang=fr&x=%20y"));
    assert_eq!(seen.version, Version::HTTP_11);
}

#[tokio::test]
async fn forwards_the_upstream_status_and_headers() {
    let upstream = start_upstream(|_req| async {
        Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .header("x-portal", "ods")
            .body(full("short and stout"))
            .unwrap()
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let response = get(&http1_client(), &proxy, "/").await;
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(response.headers()["x-portal"], "ods");
    assert!(response.headers().contains_key("x-request-id"));
}

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// A body sent in 64 KiB chunks from a channel, so the test decides when each chunk leaves.
fn channel_body() -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let stream = ReceiverStream::new(rx).map(|chunk| Ok::<_, hyper::Error>(Frame::data(chunk)));
    (tx, BodyExt::boxed(StreamBody::new(stream)))
}

/// The visitor's upload reaches the upstream while it is still being sent: the upstream must see
/// the first chunk before the client sends the second, which a buffering proxy would never allow
/// (the test would time out). Then all 10 MiB arrive intact.
#[tokio::test]
async fn streams_a_10_mib_request_body_without_buffering_it() {
    let (first_seen_tx, first_seen_rx) = oneshot::channel::<()>();
    let first_seen_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(first_seen_tx)));
    let upstream = start_upstream(move |req| {
        let first_seen_tx = first_seen_tx.clone();
        async move {
            let mut body = req.into_body();
            let mut total = 0usize;
            let mut checksum = 0u64;
            while let Some(frame) = body.frame().await {
                let Ok(data) = frame.unwrap().into_data() else {
                    continue;
                };
                if total == 0 {
                    if let Some(tx) = first_seen_tx.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                }
                total += data.len();
                checksum = data.iter().fold(checksum, |acc, &b| {
                    acc.wrapping_mul(31).wrapping_add(b as u64)
                });
            }
            Response::new(full(format!("{total} {checksum}")))
        }
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let (tx, body) = channel_body();
    let req = request(&proxy, Method::POST, "/upload").body(body).unwrap();
    let client = http1_client();
    let response = tokio::spawn(async move { client.request(req).await.unwrap() });

    let pattern = |i: usize| Bytes::from(vec![(i % 251) as u8; CHUNK]);
    tx.send(pattern(0)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), first_seen_rx)
        .await
        .expect("the upstream did not see the first chunk while the upload was in progress")
        .unwrap();
    let mut expected = 0u64;
    for i in 0..(10 * MIB / CHUNK) {
        if i > 0 {
            tx.send(pattern(i)).await.unwrap();
        }
        expected = pattern(i).iter().fold(expected, |acc, &b| {
            acc.wrapping_mul(31).wrapping_add(b as u64)
        });
    }
    drop(tx);
    let response = response.await.unwrap();
    assert_eq!(
        body_text(response).await,
        format!("{} {expected}", 10 * MIB)
    );
}

/// The upstream's download reaches the visitor while it is still being produced: the client
/// must receive the first chunk before the upstream sends the second.
#[tokio::test]
async fn streams_a_10_mib_response_body_without_buffering_it() {
    let (client_got_first_tx, client_got_first_rx) = oneshot::channel::<()>();
    let gate = std::sync::Arc::new(std::sync::Mutex::new(Some(client_got_first_rx)));
    let upstream = start_upstream(move |_req| {
        let client_got_first = gate.lock().unwrap().take();
        async move {
            let (tx, body) = channel_body();
            tokio::spawn(async move {
                if tx.send(Bytes::from(vec![0u8; CHUNK])).await.is_err() {
                    return;
                }
                // Hold the rest back until the visitor has the first chunk.
                if let Some(rx) = client_got_first {
                    let _ = rx.await;
                }
                send_rest(tx).await;
            });
            Response::new(body)
        }
    })
    .await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let response = get(&http1_client(), &proxy, "/export.csv").await;
    let mut body = response.into_body();
    let mut total = 0usize;
    let mut signal = Some(client_got_first_tx);
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("the download stalled: the proxy is buffering the response")
    {
        if let Ok(data) = frame.unwrap().into_data() {
            assert!(data.iter().all(|&b| b == ((total / CHUNK) % 7) as u8) || data.is_empty());
            total += data.len();
            if let Some(tx) = signal.take() {
                let _ = tx.send(());
            }
        }
    }
    assert_eq!(total, 10 * MIB);
}

async fn send_rest(tx: mpsc::Sender<Bytes>) {
    for i in 1..(10 * MIB / CHUNK) {
        if tx
            .send(Bytes::from(vec![(i % 7) as u8; CHUNK]))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// An HTTP/2 visitor (prior knowledge) is served by an HTTP/1.1 upstream: the request is
/// downgraded, `Host` is set, and split `cookie` fields are joined (RFC 9113 §8.2.3).
#[tokio::test]
async fn downgrades_an_http2_request_for_an_http1_upstream() {
    let mut upstream = start_ok_upstream().await;
    let proxy = start_proxy(&upstream.url(), "").await;
    let req = request(&proxy, Method::GET, "/explore/?q=1")
        .version(Version::HTTP_2)
        .header("cookie", "a=1")
        .header("cookie", "b=2")
        .body(empty())
        .unwrap();
    let response = http2_client().request(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(body_text(response).await, "hello from the portal");
    let seen = upstream.next_seen().await;
    assert_eq!(seen.version, Version::HTTP_11);
    assert_eq!(seen.uri.path(), "/explore/");
    assert_eq!(seen.headers["host"], upstream.addr.to_string());
    let cookies: Vec<_> = seen.headers.get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=1; b=2"]);
}
