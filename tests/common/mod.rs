//! The integration-test harness: a real upstream server and the real proxy, both on
//! `127.0.0.1:0`, and real clients (HTTP/1.1 and HTTP/2 prior knowledge) talking to them.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use consentry::config::{Config, Overrides};
use consentry::proxy::server::{self, RunningServer};
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What the upstream saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
}

/// An in-process HTTP/1.1 upstream that records every request head it receives.
pub struct Upstream {
    pub addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Upstream {
    /// The next request the upstream received (fails the test after 5 s).
    pub async fn next_seen(&mut self) -> Seen {
        tokio::time::timeout(Duration::from_secs(5), self.seen.recv())
            .await
            .expect("the upstream received no request")
            .expect("the upstream stopped")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// Starts an HTTP/1.1 upstream (with upgrades) answering with `handler`.
pub async fn start_upstream<F, Fut>(handler: F) -> Upstream
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    start_upstream_with(handler, None).await
}

/// Starts an upstream behind TLS with the given acceptor.
pub async fn start_tls_upstream<F, Fut>(handler: F, tls: tokio_rustls::TlsAcceptor) -> Upstream
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    start_upstream_with(handler, Some(tls)).await
}

async fn start_upstream_with<F, Fut>(handler: F, tls: Option<tokio_rustls::TlsAcceptor>) -> Upstream
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("upstream addr");
    let (tx, seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let handler = handler.clone();
            let tx = tx.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let _ = tx.send(Seen {
                        method: req.method().clone(),
                        uri: req.uri().clone(),
                        version: req.version(),
                        headers: req.headers().clone(),
                    });
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let http = hyper::server::conn::http1::Builder::new();
                match tls {
                    Some(tls) => {
                        let Ok(stream) = tls.accept(tcp).await else {
                            return;
                        };
                        let _ = http
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    }
                    None => {
                        let _ = http
                            .serve_connection(TokioIo::new(tcp), service)
                            .with_upgrades()
                            .await;
                    }
                }
            });
        }
    });
    Upstream { addr, seen }
}

/// An upstream that answers every request with 200 and a short body.
pub async fn start_ok_upstream() -> Upstream {
    start_upstream(|_req| async { Response::new(full("hello from the portal")) }).await
}

/// A proxy built from `[proxy]` TOML lines (without the table header), listening on port 0.
pub async fn start_proxy(upstream: &str, proxy_lines: &str) -> RunningServer {
    start_proxy_in(upstream, proxy_lines, Path::new(".")).await
}

/// Same, resolving relative paths (e.g. `upstream_ca`) against `base`.
pub async fn start_proxy_in(upstream: &str, proxy_lines: &str, base: &Path) -> RunningServer {
    let text =
        format!("[proxy]\nlisten = \"127.0.0.1:0\"\nupstream = \"{upstream}\"\n{proxy_lines}\n");
    let config = Config::from_toml(&text, "test.toml", base, &Overrides::default())
        .unwrap_or_else(|e| panic!("bad test config:\n{e}\n---\n{text}"));
    server::start(config).await.expect("start proxy")
}

pub type TestClient = Client<HttpConnector, Body>;

/// A pooled HTTP/1.1 client.
pub fn http1_client() -> TestClient {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

/// An HTTP/2 client speaking prior knowledge (h2c), as a load balancer in front would.
pub fn http2_client() -> TestClient {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build(HttpConnector::new())
}

/// A request to the proxy at `path` (with query, if any).
pub fn request(proxy: &RunningServer, method: Method, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", proxy.local_addr()))
}

pub async fn get(client: &TestClient, proxy: &RunningServer, path: &str) -> Response<Incoming> {
    let req = request(proxy, Method::GET, path)
        .body(empty())
        .expect("request");
    client.request(req).await.expect("response")
}

pub async fn body_text(response: Response<Incoming>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A private CA and a `localhost` certificate it signed, written as PEM files in a temp dir.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub acceptor: tokio_rustls::TlsAcceptor,
}

impl TestPki {
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

pub fn generate_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key"))
        .expect("ca cert");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf cert");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write ca");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes()).expect("key");
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server cert");
    TestPki {
        dir,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

/// A sink that keeps every violation record, so tests can count and inspect them.
#[derive(Default)]
pub struct CollectingSink(std::sync::Mutex<Vec<consentry::audit::ViolationRecord>>);

impl consentry::audit::ViolationSink for CollectingSink {
    fn record(&self, record: &consentry::audit::ViolationRecord) {
        self.0.lock().expect("sink lock").push(record.clone());
    }
}

impl CollectingSink {
    pub fn records(&self) -> Vec<consentry::audit::ViolationRecord> {
        self.0.lock().expect("sink lock").clone()
    }

    pub fn take(&self) -> Vec<consentry::audit::ViolationRecord> {
        std::mem::take(&mut *self.0.lock().expect("sink lock"))
    }
}

/// A proxy whose violations go to a [`CollectingSink`].
pub async fn start_proxy_collecting(
    upstream: &str,
    config_lines: &str,
) -> (RunningServer, Arc<CollectingSink>) {
    let text =
        format!("[proxy]\nlisten = \"127.0.0.1:0\"\nupstream = \"{upstream}\"\n{config_lines}\n");
    let config = Config::from_toml(&text, "test.toml", Path::new("."), &Overrides::default())
        .unwrap_or_else(|e| panic!("bad test config:\n{e}\n---\n{text}"));
    let sink = Arc::new(CollectingSink::default());
    let server = server::start_with_sink(config, sink.clone())
        .await
        .expect("start proxy");
    (server, sink)
}

/// Every `Set-Cookie` line of a response, as text.
pub fn set_cookies(response: &Response<Incoming>) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}
