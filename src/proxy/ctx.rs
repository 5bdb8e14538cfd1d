//! The per-request context carried between the phases (Pingora's `CTX`).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderValue, HOST};
use http::{Method, Uri, Version};

use super::error::ProxyError;
use super::headers::forwarded::Origin;
use super::peer::Peer;
use super::request::ProxyRequest;
use crate::consent::Consent;
use crate::fields::FieldAccess;

/// One cookie of the request that broke a rule (its name only, never its value).
pub struct RequestViolation {
    pub cookie: String,
    pub declaration: Option<usize>,
    pub violation: crate::policy::Violation,
}

/// A cookie stripped from the request, to be deleted from the browser (cleanup).
pub struct StrippedCookie {
    pub name: String,
    pub declaration: Option<usize>,
}

pub struct Ctx {
    /// The connection's visitor end, shared by its requests.
    pub peer: Arc<Peer>,
    /// The visitor: the peer, or the address a trusted proxy in front reported.
    pub client: IpAddr,
    pub started: Instant,
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    /// The authority the visitor asked for: `Host`, or the HTTP/2 `:authority`.
    pub host: Option<HeaderValue>,
    pub request_id: HeaderValue,
    /// The protocol the visitor asked to switch to (WebSocket), if any.
    pub upgrade: Option<HeaderValue>,
    /// How the visitor reached the portal, for rewriting redirects: `"http"` or `"https"`.
    pub public_scheme: &'static str,
    /// The host the visitor uses, when no `public_host` is configured.
    pub public_host: Option<HeaderValue>,
    /// The visitor's consent, read in `request_filter` (none when nothing is enforced).
    pub consent: Consent,
    /// Cookies the browser sent that broke a rule: recorded once the response status is known.
    pub request_violations: Vec<RequestViolation>,
    /// Cookies stripped from the request, once each: the response deletes them (cleanup).
    pub stripped: Vec<StrippedCookie>,
    /// The request's (merged) `Cookie` line as the browser sent it, before stripping.
    pub request_cookie: Option<HeaderValue>,
    pub upstream_latency: Option<Duration>,
    pub error: Option<ProxyError>,
}

impl Ctx {
    pub fn new<B>(peer: &Arc<Peer>, req: &ProxyRequest<B>) -> Self {
        let host = req.fields.first(&HOST).cloned().or_else(|| {
            req.uri
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        });
        Ctx {
            peer: Arc::clone(peer),
            client: peer.addr.ip(),
            started: Instant::now(),
            method: req.method.clone(),
            uri: req.uri.clone(),
            version: req.version,
            host,
            request_id: HeaderValue::from_static("-"),
            upgrade: None,
            public_scheme: "http",
            public_host: None,
            consent: Consent::NONE,
            request_violations: Vec::new(),
            stripped: Vec::new(),
            request_cookie: None,
            upstream_latency: None,
            error: None,
        }
    }

    pub fn host_str(&self) -> Option<&str> {
        self.host.as_ref().and_then(|h| h.to_str().ok())
    }

    pub fn public_host_str(&self) -> Option<&str> {
        self.public_host.as_ref().and_then(|h| h.to_str().ok())
    }

    /// Records the visitor's scheme, host and address once the forwarding rules have settled them
    /// (`origin`, what `add_forwarding_headers` set): `X-Forwarded-Proto`/`-Host` then hold either
    /// what a trusted proxy in front reported or what this hop saw, never what an untrusted client
    /// claimed.
    pub fn remember_public_origin(&mut self, origin: Origin, configured_host: Option<&str>) {
        let https = origin
            .proto
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        self.public_scheme = if https { "https" } else { "http" };
        if configured_host.is_none() {
            self.public_host = origin.host;
        }
        let real_ip = origin.real_ip.as_ref();
        // Most often the field holds this connection's own peer, as this hop wrote it.
        if real_ip == Some(&self.peer.ip_value) {
            self.client = self.peer.addr.ip().to_canonical();
        } else if let Some(client) = real_ip
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
        {
            self.client = client;
        }
    }
}
