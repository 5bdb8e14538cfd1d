//! The scripted visitor: a real HTTP client talking to consentry, with a cookie jar that keeps
//! what actually reached it and applies deletions as a browser does (see [`super::jar`]), so
//! each request carries the cookies a browser would send back (including the consent cookie
//! after a choice, and the analytics cookies once accepted, until a deletion removes them).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::jar::{CookieJar, ReceivedCookie};
use super::portal::RECEIVED_COOKIES_HEADER;
use super::random::unix_now;

/// Long enough for a loaded CI machine, short enough that a hung proxy fails the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the visitor got back from one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    /// Every `Set-Cookie` line the browser took, deletions included, in order.
    pub cookies: Vec<ReceivedCookie>,
    /// The names of the cookies the jar holds once the response is applied.
    pub held: Vec<String>,
    /// The names of the cookies the portal says it received, when it says so.
    pub portal_received: Option<Vec<String>>,
}

pub struct Visitor {
    client: Client<HttpConnector, Full<Bytes>>,
    origin: String,
    /// The host the jar's cookies belong to (the proxy's address, without the port).
    host: String,
    jar: CookieJar,
}

impl Visitor {
    pub fn new(proxy: SocketAddr) -> Visitor {
        Visitor {
            client: Client::builder(TokioExecutor::new()).build_http(),
            origin: format!("http://{proxy}"),
            host: proxy.ip().to_string(),
            jar: CookieJar::default(),
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
        if let Some(cookies) = self.jar.render_cookie_header(path) {
            builder = builder.header(COOKIE, cookies);
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
        let cookies = self.store_cookies(&parts.headers, path);
        Ok(Reply {
            status: parts.status,
            cookies,
            held: self.jar.list_names(),
            portal_received: read_received_names(&parts.headers),
        })
    }

    /// Applies every `Set-Cookie` line to the jar, in order, as a browser does (a deletion
    /// removes the cookie), and returns the names and lifetimes of those it took.
    fn store_cookies(&mut self, headers: &HeaderMap, path: &str) -> Vec<ReceivedCookie> {
        let now = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|line| line.to_str().ok())
            .filter_map(|line| self.jar.apply_set_cookie(line, &self.host, path, now))
            .collect()
    }
}

/// The portal's list of the cookies it received (names only), absent on a page that does not
/// come from the portal (an error page of consentry's own).
fn read_received_names(headers: &HeaderMap) -> Option<Vec<String>> {
    let line = headers.get(RECEIVED_COOKIES_HEADER)?.to_str().ok()?;
    Some(
        line.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}
