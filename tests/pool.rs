//! The upstream connection pool, seen from a real upstream that counts its connections: reuse,
//! the `max_upstream_connections` bound, connections the upstream closed, and the idle timeout.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Connections an upstream has accepted, has open now, and had open at most at once.
#[derive(Default)]
struct Connections {
    accepted: AtomicUsize,
    open: AtomicUsize,
    peak: AtomicUsize,
}

impl Connections {
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// An HTTP/1.1 upstream answering after `delay`, serving at most `per_connection` requests on
/// a connection before closing it without notice (no `Connection: close`).
async fn start_counting_upstream(
    delay: Duration,
    per_connection: usize,
) -> (SocketAddr, Arc<Connections>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(Connections::default());
    let counts = connections.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            counts.accepted.fetch_add(1, Ordering::SeqCst);
            let open = counts.open.fetch_add(1, Ordering::SeqCst) + 1;
            counts.peak.fetch_max(open, Ordering::SeqCst);
            let counts = counts.clone();
            tokio::spawn(async move {
                let served = Arc::new(AtomicUsize::new(0));
                let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
                let done_tx = std::sync::Mutex::new(Some(done_tx));
                let service = service_fn(move |_req: Request<Incoming>| {
                    let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                    if n >= per_connection {
                        if let Some(tx) = done_tx.lock().unwrap().take() {
                            let _ = tx.send(());
                        }
                    }
                    async move {
                        tokio::time::sleep(delay).await;
                        Ok::<_, Infallible>(Response::new(full("counted")))
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = async {
                        let _ = done.await;
                        // Let the last response go out, then drop the socket mid keep-alive.
                        tokio::time::sleep(delay + Duration::from_millis(50)).await;
                    } => {}
                }
                counts.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (addr, connections)
}

async fn get_ok(client: &TestClient, proxy: &consentry::proxy::server::RunningServer) {
    let response = get(client, proxy, "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "counted");
}

#[tokio::test]
async fn reuses_one_upstream_connection_for_requests_one_after_another() {
    let (addr, connections) = start_counting_upstream(Duration::ZERO, usize::MAX).await;
    let proxy = start_proxy(&format!("http://{addr}"), "").await;
    let client = http1_client();
    for _ in 0..5 {
        get_ok(&client, &proxy).await;
    }
    assert_eq!(connections.accepted(), 1);
}

#[tokio::test]
async fn never_opens_more_upstream_connections_than_the_bound() {
    let (addr, connections) = start_counting_upstream(Duration::from_millis(50), usize::MAX).await;
    let lines = "max_upstream_connections = 2\n[admin]\nlisten = \"127.0.0.1:0\"";
    let (proxy, _sink) = start_proxy_collecting(&format!("http://{addr}"), lines).await;
    let proxy = Arc::new(proxy);
    let mut visitors = Vec::new();
    for _ in 0..8 {
        let proxy = proxy.clone();
        // A client each: eight visitors at once, not one client's queue.
        visitors.push(tokio::spawn(async move {
            get_ok(&http1_client(), &proxy).await;
        }));
    }
    for visitor in visitors {
        visitor.await.unwrap();
    }
    assert_eq!(connections.peak(), 2);
    assert_eq!(connections.accepted(), 2);
    // Operators see the bound being reached: two open, and the others waited (all six when the
    // eight arrive before the first answer, which a slow machine may not manage).
    let metrics = format!("http://{}/metrics", proxy.admin_addr().unwrap());
    let req = http::Request::get(metrics).body(empty()).unwrap();
    let text = body_text(http1_client().request(req).await.unwrap()).await;
    assert!(
        text.contains("consentry_upstream_connections 2\n"),
        "{text}"
    );
    let waits: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("consentry_upstream_waits_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no upstream_waits in {text}"));
    assert!((1..=6).contains(&waits), "{text}");
}

/// A request waiting for a free connection is still bounded by `upstream_headers`: 504.
#[tokio::test]
async fn a_wait_for_a_free_connection_counts_against_the_upstream_timeout() {
    let (addr, _connections) =
        start_counting_upstream(Duration::from_millis(700), usize::MAX).await;
    let lines = "max_upstream_connections = 1\n[proxy.timeouts]\nupstream_headers = \"1s\"";
    let proxy = Arc::new(start_proxy(&format!("http://{addr}"), lines).await);
    let first = {
        let proxy = proxy.clone();
        tokio::spawn(async move { get(&http1_client(), &proxy, "/").await.status() })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = get(&http1_client(), &proxy, "/").await.status();
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second, StatusCode::GATEWAY_TIMEOUT);
}

/// Each request on a reused connection has its own `upstream_headers`, counted from when it was
/// sent: a slow answer 700 ms after a fast one on the same connection goes on past the first
/// request's deadline, and one slower than the timeout is still cut at its own.
#[tokio::test]
async fn each_request_on_a_reused_connection_has_its_own_upstream_timeout() {
    let upstream = start_upstream(|req| async move {
        let delay = match req.uri().path() {
            "/slow" => 600,
            "/too-slow" => 3000,
            _ => 0,
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Response::new(full("answer"))
    })
    .await;
    let lines = "max_upstream_connections = 1\n[proxy.timeouts]\nupstream_headers = \"1s\"";
    let proxy = start_proxy(&upstream.url(), lines).await;
    let client = http1_client();
    assert_eq!(get(&client, &proxy, "/fast").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(get(&client, &proxy, "/slow").await.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    let late = get(&client, &proxy, "/too-slow").await.status();
    assert_eq!(late, StatusCode::GATEWAY_TIMEOUT);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "cut after {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "cut after {elapsed:?}");
}

/// An upstream that drops idle keep-alive connections (as most do after a while) costs the
/// visitor nothing: the next request goes on a new connection.
#[tokio::test]
async fn does_not_reuse_a_connection_the_upstream_closed() {
    let (addr, connections) = start_counting_upstream(Duration::ZERO, 1).await;
    let proxy = start_proxy(&format!("http://{addr}"), "").await;
    let client = http1_client();
    for round in 1..=3 {
        get_ok(&client, &proxy).await;
        wait_until(|| connections.open() == 0).await;
        assert_eq!(connections.accepted(), round);
    }
}

#[tokio::test]
async fn closes_upstream_connections_idle_longer_than_the_idle_timeout() {
    let (addr, connections) = start_counting_upstream(Duration::ZERO, usize::MAX).await;
    let lines = "[proxy.timeouts]\nidle = \"300ms\"";
    let proxy = start_proxy(&format!("http://{addr}"), lines).await;
    get_ok(&http1_client(), &proxy).await;
    assert_eq!(connections.open(), 1);
    wait_until(|| connections.open() == 0).await;
}

/// Polls `done` for up to 5 s.
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met within 5 s");
}
