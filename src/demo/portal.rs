//! The demo portal: an in-process HTTP/1.1 server that sets cookies the way the seed's
//! Opendatasoft portal does, with its trackers switched on and one cookie nobody declared, so
//! that consentry in front of it has every decision to make: pass, drop for lack of consent,
//! drop after a refusal, drop as undeclared, and cap an over-long lifetime.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::random::{unix_now, Xorshift};
use super::{form, pages};

/// The Matomo site cookie the portal sets (site 1, a made-up domain hash).
pub const MATOMO_COOKIE: &str = "_pk_id.1.a1b2";
/// Google Analytics' visitor cookie, set for GA's default two years.
pub const GA_COOKIE: &str = "_ga";
/// An A/B-testing cookie the portal's cookie policy forgot to declare.
pub const UNDECLARED_COOKIE: &str = "ods_ab_test";
/// The consent banner's choice.
pub const CONSENT_COOKIE: &str = "cookies_preferences";

/// The names (never the values) of the cookies the request brought, on every response, so that
/// the scripted visit sees what consentry let through to the portal. A demo aid: a real portal
/// says no such thing.
pub const RECEIVED_COOKIES_HEADER: &str = "x-demo-cookies-received";

/// Forms are a few fields; anything bigger is not a visitor clicking a button.
const MAX_FORM_BYTES: usize = 16 * 1024;

type PortalBody = Full<Bytes>;

/// The portal, serving in the background until stopped or dropped.
pub struct Portal {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Portal {
    /// Starts the portal on `127.0.0.1:0`: it is only ever reached through the proxy.
    pub async fn start() -> io::Result<Portal> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let local_addr = listener.local_addr()?;
        let rng = Arc::new(Xorshift::seed_from_time());
        let task = tokio::spawn(accept_connections(listener, rng));
        Ok(Portal { local_addr, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting and closes every open connection.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connections live in a `JoinSet` owned by this task, so aborting the task closes them all.
async fn accept_connections(listener: TcpListener, rng: Arc<Xorshift>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    connections.spawn(serve_connection(tcp, rng.clone()));
                }
                // Out of file descriptors: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(tcp: TcpStream, rng: Arc<Xorshift>) {
    let service = service_fn(move |req| {
        let rng = rng.clone();
        async move { Ok::<_, Infallible>(route_request(req, &rng).await) }
    });
    // An aborted connection is the visitor's business, not the demo's.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(tcp), service)
        .await;
}

async fn route_request(req: Request<Incoming>, rng: &Xorshift) -> Response<PortalBody> {
    let (parts, body) = req.into_parts();
    let received = sent_cookie_names(&parts.headers);
    let mut response = match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/") => html(StatusCode::OK, pages::render_home(&received)),
        (&Method::GET, "/login") => html(StatusCode::OK, pages::render_login()),
        (&Method::POST, "/login") => {
            // Any credentials will do: the portal's point is the session cookie.
            let _ = read_form(body).await;
            let mut response = redirect_home();
            let session = format!(
                "sessionid={}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax",
                rng.hex(16)
            );
            append_set_cookie(response.headers_mut(), session);
            response
        }
        (&Method::GET, "/consent") => html(StatusCode::OK, pages::render_consent()),
        (&Method::POST, "/consent") => {
            match read_form(body).await.and_then(|f| decide_statistics(&f)) {
                Ok(statistics) => {
                    let mut response = redirect_home();
                    append_set_cookie(response.headers_mut(), encode_preferences(statistics));
                    response
                }
                Err(reason) => html(StatusCode::BAD_REQUEST, pages::render_bad_request(reason)),
            }
        }
        _ => html(StatusCode::NOT_FOUND, pages::render_not_found()),
    };
    append_page_cookies(response.headers_mut(), rng);
    announce_received_cookies(response.headers_mut(), &received);
    response
}

fn announce_received_cookies(headers: &mut HeaderMap, names: &[String]) {
    // The names came in a header value, so they make one again; should one not, the list is
    // left out rather than shown incomplete.
    if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
        headers.insert(RECEIVED_COOKIES_HEADER, value);
    }
}

/// What every page sets, as a Django portal with Matomo and Google Analytics switched on does
/// (the trackers' server-side cookies, before any consent check: exactly what consentry is for).
fn append_page_cookies(headers: &mut HeaderMap, rng: &Xorshift) {
    let now = unix_now();
    let variant = if rng.next_u64() % 2 == 0 { "a" } else { "b" };
    for line in [
        format!(
            "csrftoken={}; Max-Age=31449600; Path=/; SameSite=Lax",
            rng.hex(16)
        ),
        "django_language=fr; Path=/".to_owned(),
        format!("{UNDECLARED_COOKIE}={variant}; Max-Age=2592000; Path=/"),
        format!(
            "{MATOMO_COOKIE}={}.{now}; Max-Age=34128000; Path=/",
            rng.hex(8)
        ),
        format!(
            "{GA_COOKIE}=GA1.1.{}.{now}; Max-Age=63072000; Path=/",
            rng.digits(9)
        ),
    ] {
        append_set_cookie(headers, line);
    }
}

/// The banner's choice as the portal stores it: percent-encoded JSON, e.g.
/// `{"statistics":true}`.
pub fn encode_preferences(statistics: bool) -> String {
    let json = format!("{{\"statistics\":{statistics}}}");
    format!(
        "{CONSENT_COOKIE}={}; Max-Age=15552000; Path=/; SameSite=Lax",
        utf8_percent_encode(&json, NON_ALPHANUMERIC)
    )
}

/// `choice=accept|refuse|custom` (with `statistics=on` when ticked) → whether statistics are
/// granted.
fn decide_statistics(form: &[(String, String)]) -> Result<bool, &'static str> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("choice") {
        Some("accept") => Ok(true),
        Some("refuse") => Ok(false),
        Some("custom") => Ok(field("statistics") == Some("on")),
        _ => Err("choice must be accept, refuse or custom"),
    }
}

/// An `application/x-www-form-urlencoded` body as `(name, value)` pairs.
async fn read_form(body: Incoming) -> Result<Vec<(String, String)>, &'static str> {
    let bytes = Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| "the form could not be read")?
        .to_bytes();
    let text = std::str::from_utf8(&bytes).map_err(|_| "the form is not UTF-8")?;
    Ok(form::parse_form(text))
}

/// The names in every `Cookie` line (HTTP/2 may split them, RFC 9113 §8.2.3).
fn sent_cookie_names(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty())
        .collect()
}

fn html(status: StatusCode, page: String) -> Response<PortalBody> {
    let mut response = Response::new(Full::new(Bytes::from(page)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Every visit must reach the portal (and consentry), never a cached copy.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 303 See Other after a form, so a reload does not post it again.
fn redirect_home() -> Response<PortalBody> {
    let mut response = html(StatusCode::SEE_OTHER, String::new());
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static("/"));
    response
}

fn append_set_cookie(headers: &mut HeaderMap, line: String) {
    // The lines are built from ASCII above; one that is somehow not a field value is left out.
    if let Ok(value) = HeaderValue::try_from(line) {
        headers.append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(String, String)> {
        form::parse_form(text)
    }

    #[test]
    fn reads_the_three_banner_choices() {
        assert_eq!(decide_statistics(&fields("choice=accept")), Ok(true));
        assert_eq!(decide_statistics(&fields("choice=refuse")), Ok(false));
        assert_eq!(decide_statistics(&fields("choice=custom")), Ok(false));
        assert_eq!(
            decide_statistics(&fields("choice=custom&statistics=on")),
            Ok(true)
        );
        assert!(decide_statistics(&fields("choice=maybe")).is_err());
        assert!(decide_statistics(&fields("")).is_err());
    }

    #[test]
    fn stores_the_choice_as_percent_encoded_json() {
        assert_eq!(
            encode_preferences(true),
            "cookies_preferences=%7B%22statistics%22%3Atrue%7D; Max-Age=15552000; Path=/; SameSite=Lax"
        );
    }

    #[test]
    fn lists_the_names_of_every_sent_cookie() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(sent_cookie_names(&headers), ["a", "b", "c"]);
    }
}
