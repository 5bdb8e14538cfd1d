//! The scripted visitor: a real HTTP client talking to consentry, with a cookie jar that keeps
//! what actually reached it, so each request carries the cookies a browser would send back
//! (including the consent cookie after a choice).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Long enough for a loaded CI machine, short enough that a hung proxy fails the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One `Set-Cookie` line as it reached the visitor: its name and lifetime, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedCookie {
    pub name: String,
    pub max_age: Option<i64>,
}

/// What the visitor got back from one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub cookies: Vec<ReceivedCookie>,
}

pub struct Visitor {
    client: Client<HttpConnector, Full<Bytes>>,
    origin: String,
    /// `(name, value)` in the order first set, as browsers send them.
    jar: Vec<(String, String)>,
}

impl Visitor {
    pub fn new(proxy: SocketAddr) -> Visitor {
        Visitor {
            client: Client::builder(TokioExecutor::new()).build_http(),
            origin: format!("http://{proxy}"),
            jar: Vec::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Result<Reply, String> {
        self.send(Method::GET, path, None).await
    }

    /// Posts an `application/x-www-form-urlencoded` form, as the portal's buttons do.
    pub async fn post_form(&mut self, path: &str, form: &str) -> Result<Reply, String> {
        self.send(Method::POST, path, Some(form)).await
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&str>,
    ) -> Result<Reply, String> {
        let what = format!("{method} {path}");
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.origin));
        if !self.jar.is_empty() {
            builder = builder.header(COOKIE, self.render_cookie_header());
        }
        if form.is_some() {
            builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let body = Full::new(Bytes::from(form.unwrap_or_default().to_owned()));
        let request = builder
            .body(body)
            .map_err(|e| format!("{what}: cannot build the request: {e}"))?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| format!("{what}: no answer within {REQUEST_TIMEOUT:?}"))?
            .map_err(|e| format!("{what}: {e}"))?;
        let (parts, body) = response.into_parts();
        // Read the page to the end so the connection goes back to the pool.
        tokio::time::timeout(REQUEST_TIMEOUT, body.collect())
            .await
            .map_err(|_| format!("{what}: the body did not finish within {REQUEST_TIMEOUT:?}"))?
            .map_err(|e| format!("{what}: reading the body: {e}"))?;
        let cookies = self.store_cookies(&parts.headers);
        Ok(Reply {
            status: parts.status,
            cookies,
        })
    }

    fn render_cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps every received cookie in the jar (a deletion removes it, RFC 6265 §5.3 step 3:
    /// `Max-Age<=0` expires it at once) and returns their names and lifetimes.
    fn store_cookies(&mut self, headers: &HeaderMap) -> Vec<ReceivedCookie> {
        let mut received = Vec::new();
        for line in headers.get_all(SET_COOKIE) {
            let Ok(line) = line.to_str() else { continue };
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let name = name.trim().to_owned();
            let max_age = parts.find_map(|attribute| {
                let (key, value) = attribute.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("max-age")
                    .then(|| value.trim().parse::<i64>().ok())?
            });
            self.jar.retain(|(kept, _)| *kept != name);
            if max_age.is_none_or(|seconds| seconds > 0) {
                self.jar.push((name.clone(), value.trim().to_owned()));
            }
            received.push(ReceivedCookie { name, max_age });
        }
        received
    }
}
