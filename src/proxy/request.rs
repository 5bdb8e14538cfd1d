//! A visitor's request on its way through the proxy: the request line's parts, the fields as a
//! [`Fields`] list in wire order (as the HTTP/1.1 side read them, or as hyper's HTTP/2 side
//! handed them over), the body, and the visitor's side of a protocol switch.

use http::{Method, Request, Uri, Version};
use tokio::sync::oneshot;

use super::h1::Upgraded;
use crate::fields::Fields;

pub struct ProxyRequest<B> {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub fields: Fields,
    pub body: B,
    /// Where the visitor's HTTP/1.1 connection sends its socket once a `101` is out, when the
    /// request asks for an upgrade (HTTP/2 has no `Upgrade`, RFC 9113 §8.2.2).
    pub upgrade: Option<oneshot::Receiver<Upgraded>>,
}

impl<B> ProxyRequest<B> {
    /// The same request with its body turned by `f`.
    pub fn map<C>(self, f: impl FnOnce(B) -> C) -> ProxyRequest<C> {
        ProxyRequest {
            method: self.method,
            uri: self.uri,
            version: self.version,
            fields: self.fields,
            body: f(self.body),
            upgrade: self.upgrade,
        }
    }
}

impl<B> ProxyRequest<B> {
    /// The head alone, and the body.
    pub fn into_parts(self) -> (ProxyRequest<()>, B) {
        let ProxyRequest {
            method,
            uri,
            version,
            fields,
            body,
            upgrade,
        } = self;
        let head = ProxyRequest {
            method,
            uri,
            version,
            fields,
            body: (),
            upgrade,
        };
        (head, body)
    }
}

impl<B> From<Request<B>> for ProxyRequest<B> {
    /// A request from hyper (HTTP/2).
    fn from(request: Request<B>) -> ProxyRequest<B> {
        let (parts, body) = request.into_parts();
        ProxyRequest {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            fields: Fields::from(parts.headers),
            body,
            upgrade: None,
        }
    }
}
