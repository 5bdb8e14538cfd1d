//! A response on its way to the visitor: the upstream's (once the response rules have run) or
//! one the proxy makes itself (an error page). Its fields are a [`Fields`] list in wire order,
//! which the HTTP/1.1 side writes as it is; hyper's HTTP/2 side gets an `http::Response`.

use http::{Response, StatusCode, Version};

use super::upstream_body::UpstreamUpgrade;
use crate::fields::Fields;

pub struct Reply<B> {
    pub status: StatusCode,
    /// The upstream's HTTP version (for `Via`); HTTP/1.1 for the proxy's own responses.
    pub version: Version,
    pub fields: Fields,
    pub body: B,
    /// A switched protocol's upstream side, for the tunnel (`101` only).
    pub upgrade: Option<UpstreamUpgrade>,
}

impl<B> Reply<B> {
    /// A response of the proxy's own.
    pub fn new(status: StatusCode, fields: Fields, body: B) -> Reply<B> {
        Reply {
            status,
            version: Version::HTTP_11,
            fields,
            body,
            upgrade: None,
        }
    }

    /// The same response with its body turned by `f`.
    pub fn map<C>(self, f: impl FnOnce(B) -> C) -> Reply<C> {
        Reply {
            status: self.status,
            version: self.version,
            fields: self.fields,
            body: f(self.body),
            upgrade: self.upgrade,
        }
    }

    /// As an `http::Response`, for hyper (the tunnel's side, if any, is dropped: HTTP/2 does
    /// not switch protocols this way).
    pub fn into_http(self) -> Response<B> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.fields.into_header_map();
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every response is moved several times between the pool, the phases and the writer; the
    /// upstream connection a `101` hands over must not ride along inline (it is over a KiB).
    #[test]
    fn a_reply_holds_the_upgraded_connection_by_pointer() {
        assert_eq!(
            std::mem::size_of::<Option<UpstreamUpgrade>>(),
            std::mem::size_of::<usize>()
        );
    }
}
