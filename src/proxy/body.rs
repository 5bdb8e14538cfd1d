//! The body types of the proxy: what it answers (the upstream's body streamed through as it
//! arrives, no copy, no box; or a small synthetic body for error pages), and what it forwards
//! (a visitor's body off its own HTTP/1.1 connection, or hyper's for HTTP/2).

use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};

use super::h1::WireBody;
use super::upstream_body::UpstreamBody;

pub type ProxyBody = Either<UpstreamBody, Full<Bytes>>;

/// A complete in-memory body, for synthetic responses.
pub fn full(text: impl Into<Bytes>) -> ProxyBody {
    Either::Right(Full::new(text.into()))
}

/// The upstream's body, streamed frame by frame.
pub fn streamed(body: UpstreamBody) -> ProxyBody {
    Either::Left(body)
}

/// A visitor's request body, whichever connection it came on.
///
/// Kept small: every request's future, and so every connection with a request in flight,
/// holds one.
pub enum RequestBody {
    /// No body (most requests): nothing to read, nothing allocated.
    Empty,
    /// Off consentry's own HTTP/1.1 connection (boxed: the decoder and the connection's reader).
    Wire(Box<WireBody>),
    /// Off an HTTP/2 connection (hyper's).
    Http2(Incoming),
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Box<dyn StdError + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            RequestBody::Empty => Poll::Ready(None),
            RequestBody::Wire(body) => Pin::new(&mut **body).poll_frame(cx).map_err(Into::into),
            RequestBody::Http2(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Empty => true,
            RequestBody::Wire(body) => body.is_end_stream(),
            RequestBody::Http2(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Empty => SizeHint::with_exact(0),
            RequestBody::Wire(body) => body.size_hint(),
            RequestBody::Http2(body) => body.size_hint(),
        }
    }
}
