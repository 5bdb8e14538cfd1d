//! What can go wrong on the request path, and the one place where each failure becomes a status.
//!
//! Handlers return `Result<_, ProxyError>`; [`ProxyError::to_response`] is the only code that
//! turns a failure into a synthetic response, so the server's handler itself never fails.

use std::error::Error as StdError;
use std::io;

use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;

use super::body::{full, ProxyBody};
use super::exchange::ExchangeError;
use super::headers::forwarded::X_REQUEST_ID;
use super::pool::UpstreamError;
use super::reply::Reply;
use crate::fields::Fields;

/// Which side a failure came from (pingora's `ErrorSource`): it is what an operator looks at first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Upstream,
    Downstream,
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream refused the connection, could not be resolved, or TLS failed.
    #[error("cannot connect to the upstream")]
    UpstreamUnreachable(#[source] UpstreamError),
    /// Connecting took longer than `timeouts.connect`.
    #[error("timed out connecting to the upstream")]
    UpstreamConnectTimeout,
    /// The upstream accepted the request but sent no response head within `timeouts.upstream_headers`.
    #[error("the upstream did not answer in time")]
    UpstreamTimeout,
    /// The upstream closed the connection or sent something that is not HTTP.
    #[error("the upstream failed")]
    UpstreamFailed(#[source] UpstreamError),
    /// The upstream switched protocols although the visitor asked for no upgrade.
    #[error("the upstream switched protocols without being asked to")]
    BadUpgrade,
    /// The client's request cannot be forwarded as it is.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
}

impl ProxyError {
    /// Classifies a client error: a connect timeout is a timeout (504, as nginx answers), any
    /// other connect failure is unreachable (502), the rest is an upstream failure (502).
    pub fn from_client(error: UpstreamError) -> Self {
        match error {
            UpstreamError::Connect(ref cause) if is_caused_by_timeout(cause.as_ref()) => {
                ProxyError::UpstreamConnectTimeout
            }
            UpstreamError::Connect(_) => ProxyError::UpstreamUnreachable(error),
            UpstreamError::Timeout => ProxyError::UpstreamTimeout,
            // The visitor's own body broke its framing while it was being forwarded.
            UpstreamError::Failed(ExchangeError::RequestBody(ref cause))
                if is_malformed_body(cause.as_ref()) =>
            {
                ProxyError::BadRequest("malformed request body")
            }
            UpstreamError::Failed(_) => ProxyError::UpstreamFailed(error),
        }
    }

    /// The one error-to-status map.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::UpstreamUnreachable(_)
            | ProxyError::UpstreamFailed(_)
            | ProxyError::BadUpgrade => StatusCode::BAD_GATEWAY,
            ProxyError::UpstreamConnectTimeout | ProxyError::UpstreamTimeout => {
                StatusCode::GATEWAY_TIMEOUT
            }
            ProxyError::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }

    pub fn side(&self) -> Side {
        match self {
            ProxyError::UpstreamUnreachable(_)
            | ProxyError::UpstreamConnectTimeout
            | ProxyError::UpstreamTimeout
            | ProxyError::UpstreamFailed(_)
            | ProxyError::BadUpgrade => Side::Upstream,
            ProxyError::BadRequest(_) => Side::Downstream,
        }
    }

    /// A short plain-text page naming the request id, so a visitor can quote it to support.
    pub fn to_response(&self, request_id: &HeaderValue) -> Reply<ProxyBody> {
        let status = self.status();
        let reason = status.canonical_reason().unwrap_or("Error");
        let id = request_id.to_str().unwrap_or("-");
        let text = format!("{} {reason}\nrequest id: {id}\n", status.as_u16());
        let fields = Fields::from_iter([
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (X_REQUEST_ID.clone(), request_id.clone()),
        ]);
        Reply::new(status, fields, full(text))
    }
}

/// The request body decoder reports broken chunking as `InvalidData`.
fn is_malformed_body(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::InvalidData)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

fn is_caused_by_timeout(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return true;
            }
            // `io::Error::source` skips the error it wraps; look at that one too.
            if let Some(inner) = io.get_ref() {
                if is_caused_by_timeout(inner) {
                    return true;
                }
            }
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldAccess;

    /// The upstream being slow is a gateway timeout (RFC 9110 §15.6.5), not a bad gateway.
    #[test]
    fn maps_timeouts_to_504() {
        assert_eq!(
            ProxyError::UpstreamTimeout.status(),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(
            ProxyError::UpstreamConnectTimeout.status(),
            StatusCode::GATEWAY_TIMEOUT
        );
    }

    #[test]
    fn maps_bad_requests_to_400_on_the_downstream_side() {
        let error = ProxyError::BadRequest("no host");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.side(), Side::Downstream);
    }

    #[test]
    fn synthetic_response_is_short_plain_text_with_the_request_id() {
        let id = HeaderValue::from_static("abc-123");
        let response = ProxyError::UpstreamTimeout.to_response(&id);
        assert_eq!(response.status, StatusCode::GATEWAY_TIMEOUT);
        let fields = &response.fields;
        assert_eq!(fields.first(&X_REQUEST_ID).unwrap(), "abc-123");
        assert_eq!(
            fields.first(&CONTENT_TYPE).unwrap(),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn finds_a_timeout_anywhere_in_the_cause_chain() {
        let inner = io::Error::new(io::ErrorKind::TimedOut, "slow");
        let outer = io::Error::other(inner);
        assert!(is_caused_by_timeout(&outer));
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "no");
        assert!(!is_caused_by_timeout(&refused));
    }
}
