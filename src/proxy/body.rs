//! One body type for everything the proxy answers: the upstream's body streamed through as it
//! arrives (no copy, no box), or a small synthetic body (error pages).

use bytes::Bytes;
use http_body_util::{Either, Full};

use super::pool::UpstreamBody;

pub type ProxyBody = Either<UpstreamBody, Full<Bytes>>;

/// A complete in-memory body, for synthetic responses.
pub fn full(text: impl Into<Bytes>) -> ProxyBody {
    Either::Right(Full::new(text.into()))
}

/// The upstream's body, streamed frame by frame.
pub fn streamed(body: UpstreamBody) -> ProxyBody {
    Either::Left(body)
}
