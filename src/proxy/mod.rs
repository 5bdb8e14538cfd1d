//! The proxy: one request goes through named phases (after Pingora's `ProxyHttp`), each a short
//! function, with a small per-request [`Ctx`] carried between them:
//!
//! `request_filter` → `upstream_request_filter` → `forward` → `response_filter` → `logging`.
//!
//! Bodies are never buffered: the visitor's body streams to the upstream and the upstream's body
//! streams back. Only headers are read and edited.

mod arena;
pub mod body;
mod cleanup;
mod client;
mod ctx;
mod deadline;
mod enforce;
pub mod error;
mod exchange;
mod h1;
mod h2;
pub mod headers;
mod log;
mod peer;
mod pool;
mod reply;
mod request;
mod rewrite;
pub mod server;
mod set_cookie_lines;
mod spare;
mod tunnel;
mod upstream_body;
mod withdrawal;

use std::sync::Arc;
use std::time::Instant;

use http::header::{HeaderValue, CONNECTION, HOST};
use http::uri::{PathAndQuery, Uri};
use http::{Method, StatusCode, Version};

use crate::admin::Counters;
use crate::audit::{AuditHandle, ViolationSink};
use crate::config::{Enforcement, ProxyConfig};
use crate::fields::{FieldAccess, Fields};
use body::{streamed, ProxyBody, RequestBody};
use client::build_client;
use ctx::Ctx;
use enforce::Enforcer;
use error::ProxyError;
use headers::forwarded::{self, Hop, ViaEntries, X_REQUEST_ID};
use headers::hop;
use headers::rewrite::HostRewrite;
pub use peer::Peer;
use pool::UpstreamPool;
use reply::Reply;
use request::ProxyRequest;
use upstream_body::{UpstreamBody, UpstreamUpgrade};

/// The pseudonym this proxy writes in `Via` (RFC 9110 §7.6.3).
const VIA_PSEUDONYM: &str = "consentry";

/// Everything a request needs, shared by all connections.
pub struct Proxy {
    config: ProxyConfig,
    client: UpstreamPool,
    /// Built once when `public_host` is configured; otherwise per response from the visitor's host.
    rewrite: Option<HostRewrite>,
    /// The cookie rules, when the configuration declares any.
    enforcer: Option<Enforcer>,
    /// The upstream's own `Host`, built once.
    upstream_host: HeaderValue,
    /// This proxy's `Via` entries, built once.
    via: ViaEntries,
}

impl Proxy {
    pub fn new(
        config: ProxyConfig,
        enforcement: Option<Enforcement>,
        sink: Arc<dyn ViolationSink>,
        audit: Option<AuditHandle>,
        counters: Arc<Counters>,
    ) -> Result<Self, String> {
        let client = build_client(&config, counters.clone())?;
        let rewrite = config
            .public_host
            .as_deref()
            .map(|public| host_rewrite(&config, public));
        let upstream_host = HeaderValue::from_str(config.upstream.authority.as_str())
            .map_err(|_| "the upstream's authority is not a valid Host value".to_owned())?;
        Ok(Proxy {
            upstream_host,
            via: ViaEntries::new(VIA_PSEUDONYM),
            config,
            client,
            rewrite,
            enforcer: enforcement.map(|rules| Enforcer::new(rules, sink, audit, counters)),
        })
    }

    /// Answers one request; never fails: every error becomes a synthetic response here.
    pub async fn handle(
        &self,
        peer: &Arc<Peer>,
        req: ProxyRequest<RequestBody>,
    ) -> Reply<ProxyBody> {
        let mut ctx = Ctx::new(peer, &req);
        let response = match self.proxy_request(&mut ctx, req).await {
            Ok(response) => response,
            Err(error) => {
                let mut response = error.to_response(&ctx.request_id);
                // Cookies stripped from a request whose upstream then failed are still breaches,
                // and still to be deleted: an error page is a response the browser applies too.
                if let Some(enforcer) = &self.enforcer {
                    let public_host = self.config.public_host.as_deref();
                    enforcer.add_deletions(&ctx, public_host, &mut response.fields);
                    let records = enforcer.request_records(&mut ctx, response.status.as_u16());
                    enforcer.record_violations(records).await;
                }
                ctx.error = Some(error);
                response
            }
        };
        log::log_request(&ctx, response.status);
        response
    }

    async fn proxy_request(
        &self,
        ctx: &mut Ctx,
        mut req: ProxyRequest<RequestBody>,
    ) -> Result<Reply<ProxyBody>, ProxyError> {
        self.request_filter(ctx, &mut req)?;
        let client_upgrade = ctx
            .upgrade
            .is_some()
            .then(|| tunnel::claim_client(&mut req))
            .flatten();
        self.upstream_request_filter(ctx, &mut req)?;
        let mut res = self.forward(ctx, req).await?;
        let mut violations = self.response_filter(ctx, &mut res);
        if let Some(enforcer) = &self.enforcer {
            violations.extend(enforcer.request_records(ctx, res.status.as_u16()));
            enforcer.record_violations(violations).await;
        }
        if res.status == StatusCode::SWITCHING_PROTOCOLS {
            match client_upgrade {
                Some(client_upgrade) => {
                    let upstream = res.upgrade.take().map(UpstreamUpgrade::into_parts);
                    tunnel::spawn(client_upgrade, upstream);
                }
                // An upgrade nobody asked for cannot be honoured (RFC 9110 §15.2.2).
                None => return Err(ProxyError::BadUpgrade),
            }
        }
        Ok(res.map(streamed))
    }

    /// Reads what the rest of the pipeline needs from the visitor's request. The request id is
    /// settled first so that every later error can quote it.
    fn request_filter(
        &self,
        ctx: &mut Ctx,
        req: &mut ProxyRequest<RequestBody>,
    ) -> Result<(), ProxyError> {
        ctx.request_id = forwarded::ensure_request_id(&mut req.fields);
        if req.method == Method::CONNECT {
            return Err(ProxyError::BadRequest(
                "CONNECT is not supported by a reverse proxy",
            ));
        }
        ctx.upgrade = hop::requested_upgrade(&req.fields);
        if let Some(enforcer) = &self.enforcer {
            ctx.consent = enforcer.read_consent(&req.fields);
        }
        Ok(())
    }

    /// Turns the visitor's request into the upstream's: hop-by-hop fields out (RFC 9110 §7.6.1),
    /// forwarding fields in, the origin-form target, HTTP/1.1, and the right `Host`.
    fn upstream_request_filter(
        &self,
        ctx: &mut Ctx,
        req: &mut ProxyRequest<RequestBody>,
    ) -> Result<(), ProxyError> {
        let keep_trailers = hop::accepts_trailers(&req.fields);
        let version = req.version;
        let headers = &mut req.fields;
        hop::remove_hop_by_hop_headers(headers);
        if keep_trailers {
            hop::restore_te_trailers(headers);
            // RFC 9110 §10.1.4: over HTTP/1.1, TE must be listed as a connection option.
            headers.add(CONNECTION, HeaderValue::from_static("te"));
        }
        if let Some(upgrade) = &ctx.upgrade {
            hop::restore_upgrade(headers, upgrade.clone());
        }
        // HTTP/2 may split `Cookie` over several fields; an HTTP/1.1 upstream must get one
        // (RFC 9113 §8.2.3, RFC 6265 §5.4).
        headers::cookie_lines::merge_cookie_lines(headers);
        if let Some(enforcer) = &self.enforcer {
            enforcer.filter_request_cookies(ctx, headers);
        }
        let peer = ctx.peer.addr.ip();
        let trusted = forwarded::is_trusted_proxy(peer, &self.config.trusted_proxies);
        let origin = forwarded::add_forwarding_headers(
            headers,
            &Hop {
                peer,
                peer_value: &ctx.peer.ip_value,
                proto: "http",
                host: ctx.host.as_ref(),
                trusted,
                element: &ctx.peer.forwarded,
            },
        );
        self.via.append(headers, version);
        ctx.remember_public_origin(origin, self.config.public_host.as_deref());

        let host_value = match (&ctx.host, self.config.preserve_host) {
            (Some(host), true) => host.clone(),
            _ => self.upstream_host.clone(),
        };
        headers.set(HOST, host_value);

        // The request line carries the origin form (`/path?query`): the pool knows where to go.
        let path = req
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        req.uri = Uri::from(path);
        // The pool speaks HTTP/1.1 upstream; an HTTP/2 request would be refused by it.
        req.version = Version::HTTP_11;
        Ok(())
    }

    /// Sends the request through the pool, bounded by `timeouts.upstream_headers` (a wait for
    /// a free connection included).
    async fn forward(
        &self,
        ctx: &mut Ctx,
        req: ProxyRequest<RequestBody>,
    ) -> Result<Reply<UpstreamBody>, ProxyError> {
        let started = Instant::now();
        let deadline =
            tokio::time::Instant::from_std(started) + self.config.timeouts.upstream_headers;
        let sent = self.client.send(req, deadline).await;
        ctx.upstream_latency = Some(started.elapsed());
        sent.map_err(ProxyError::from_client)
    }

    /// Turns the upstream's response into the visitor's: hop-by-hop fields out, `Via`, the
    /// request id, every `Set-Cookie` judged, and redirects and cookie domains moved to the
    /// public host (after judging, so verdicts see the upstream's own lines).
    fn response_filter(
        &self,
        ctx: &mut Ctx,
        res: &mut Reply<UpstreamBody>,
    ) -> Vec<crate::audit::ViolationRecord> {
        let upgrade = (res.status == StatusCode::SWITCHING_PROTOCOLS)
            .then(|| hop::requested_upgrade(&res.fields))
            .flatten();
        let version = res.version;
        let status = res.status.as_u16();
        let headers = &mut res.fields;
        hop::remove_hop_by_hop_headers(headers);
        if let Some(upgrade) = upgrade {
            hop::restore_upgrade(headers, upgrade);
        }
        self.via.append(headers, version);
        headers.set(X_REQUEST_ID.clone(), ctx.request_id.clone());
        let Some(enforcer) = &self.enforcer else {
            if rewrite::needs_rewrite(headers) {
                self.rewrite_public_host(ctx, headers);
            }
            return Vec::new();
        };
        enforcer.apply_consent_set_by_response(ctx, headers);
        let filtered = enforcer.filter_set_cookies(ctx, status, headers);
        if filtered.names_a_domain || rewrite::has_location(headers) {
            self.rewrite_public_host(ctx, headers);
        }
        // A switched protocol is no page: its response carries no cookies.
        if status != StatusCode::SWITCHING_PROTOCOLS.as_u16() {
            enforcer.add_deletions(ctx, self.config.public_host.as_deref(), headers);
        }
        filtered.records
    }

    /// Points redirects and cookie domains at the public host; for the responses that may need
    /// it (see `rewrite::needs_rewrite`).
    fn rewrite_public_host(&self, ctx: &Ctx, headers: &mut Fields) {
        let built;
        let rewrite = match &self.rewrite {
            Some(rewrite) => rewrite,
            None => match ctx.public_host_str() {
                Some(public)
                    if !public.eq_ignore_ascii_case(self.config.upstream.authority.as_str()) =>
                {
                    built = host_rewrite(&self.config, public);
                    &built
                }
                _ => return,
            },
        };
        rewrite::rewrite_headers(headers, rewrite, ctx.public_scheme);
    }
}

fn host_rewrite(config: &ProxyConfig, public_host: &str) -> HostRewrite {
    let upstream = &config.upstream;
    HostRewrite::new(
        upstream.scheme.as_str(),
        &upstream.host,
        upstream.port,
        public_host,
    )
}
