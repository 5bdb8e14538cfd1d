//! One request and its response head on an upstream HTTP/1.1 connection, in the request's own
//! task (no connection task, no channel between the two): the head and the body written, while
//! the response head is read, so that an upstream answering before the body is all sent (413,
//! say) is heard at once (RFC 9112 §9.5).
//!
//! The response body is then read by [`super::upstream_body::UpstreamBody`] as the visitor's
//! connection asks for it.

use std::error::Error as StdError;
use std::future::poll_fn;
use std::io::{self, Write as _};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::BytesMut;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};
use hyper::body::Body;
use hyper_rustls::MaybeHttpsStream;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;

use super::body::RequestBody;
use super::h1::{
    build_fields, field_slots, locate_fields, parse_length, write_fields, Decoder, FieldRanges,
};
use super::headers::hop::{keeps_alive, split_list_elements};
use super::request::ProxyRequest;
use super::spare::{take_write_buffer, WriteBuffer};
use crate::fields::{FieldAccess, Fields};

pub type UpstreamIo = TokioIo<MaybeHttpsStream<TokioIo<TcpStream>>>;
type BoxError = Box<dyn StdError + Send + Sync>;

/// The most an upstream response head may take.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How much is read at once from the upstream.
pub const READ_CHUNK: usize = 8 * 1024;

/// An open upstream connection and the bytes read from it but not used yet.
pub struct Wire {
    pub io: UpstreamIo,
    pub buf: BytesMut,
}

/// A response head, how its body is framed, and whether the connection can serve another
/// request once that body has been read.
pub struct ResponseHead {
    pub status: StatusCode,
    pub version: Version,
    pub fields: Fields,
    pub decoder: Decoder,
    pub reusable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The connection closed or failed before any byte of a response: on a reused connection,
    /// the upstream closed it meanwhile, and a request without body can go again elsewhere.
    #[error("the upstream closed the connection before answering")]
    NoResponse(#[source] Option<io::Error>),
    #[error("reading from the upstream failed")]
    Io(#[source] io::Error),
    #[error("malformed response from the upstream: {0}")]
    Malformed(&'static str),
    /// The visitor's body failed while it was being forwarded.
    #[error("the request body failed")]
    RequestBody(#[source] BoxError),
}

impl Wire {
    pub fn new(io: UpstreamIo) -> Self {
        Wire {
            io,
            buf: BytesMut::new(),
        }
    }

    /// Whether a pooled connection still looks usable: nothing arrived on it while it was idle
    /// (an end of stream or stray bytes both mean it cannot carry a request). For plain TCP this
    /// asks the reactor, without a system call.
    pub fn is_reusable(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.io.inner() {
            MaybeHttpsStream::Http(tcp) => tcp.inner().poll_read_ready(&mut cx).is_pending(),
            MaybeHttpsStream::Https(_) => {
                poll_read_some(&mut self.io, &mut self.buf, &mut cx).is_pending()
            }
        }
    }
}

/// Reads what the connection has into `buf`: `Ok(0)` at the end of the stream.
pub fn poll_read_some(
    io: &mut UpstreamIo,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    buf.reserve(READ_CHUNK);
    tokio_util::io::poll_read_buf(Pin::new(io), cx, buf)
}

/// Writes the request and reads the response head (skipping `100 Continue` and other interim
/// responses; a `101` is returned, for the tunnel).
pub async fn exchange(
    wire: &mut Wire,
    request: &ProxyRequest<()>,
    body: RequestBody,
) -> Result<ResponseHead, ExchangeError> {
    let head_request = request.method == Method::HEAD;
    let mut sender = BodySender::new(request, body);
    let mut sent = false;
    let mut received = false;
    let head = poll_fn(|cx| {
        if !sent {
            match sender.poll_send(&mut wire.io, cx) {
                Poll::Ready(Ok(())) => sent = true,
                Poll::Ready(Err(Sending::Body(error))) => {
                    return Poll::Ready(Err(ExchangeError::RequestBody(error)))
                }
                // The upstream may have answered and closed: what it said is read below.
                Poll::Ready(Err(Sending::Io(error))) if received => {
                    return Poll::Ready(Err(ExchangeError::Io(error)))
                }
                Poll::Ready(Err(Sending::Io(error))) => {
                    sent = true;
                    sender.failed = Some(error);
                }
                Poll::Pending => {}
            }
        }
        loop {
            match parse_response_head(&mut wire.buf, head_request) {
                Ok(Some(head)) => return Poll::Ready(Ok(head)),
                Ok(None) => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
            match ready!(poll_read_some(&mut wire.io, &mut wire.buf, cx)) {
                Ok(0) if !received => {
                    return Poll::Ready(Err(ExchangeError::NoResponse(sender.failed.take())))
                }
                Ok(0) => return Poll::Ready(Err(ExchangeError::Malformed("response cut short"))),
                Ok(_) => received = true,
                Err(error) if !received => {
                    return Poll::Ready(Err(ExchangeError::NoResponse(Some(error))))
                }
                Err(error) => return Poll::Ready(Err(ExchangeError::Io(error))),
            }
        }
    })
    .await?;
    // An answer that came before the whole body was sent leaves the connection mid-request.
    Ok(ResponseHead {
        reusable: head.reusable && sent && sender.failed.is_none() && sender.done,
        ..head
    })
}

enum Sending {
    Io(io::Error),
    Body(BoxError),
}

/// The request head, then the body as its frames come, chunked when its length is unknown.
struct BodySender {
    body: RequestBody,
    chunked: bool,
    out: WriteBuffer,
    written: usize,
    /// The body's end was reached and written.
    done: bool,
    /// The write that failed, kept for the error if no response arrives either.
    failed: Option<io::Error>,
    trailers: Option<HeaderMap>,
}

impl BodySender {
    fn new(parts: &ProxyRequest<()>, body: RequestBody) -> Self {
        let mut headers_extra: Option<(HeaderName, HeaderValue)> = None;
        let declared = parts.fields.has(&CONTENT_LENGTH);
        let chunked = match body.size_hint().exact() {
            _ if declared => false,
            Some(0) if matches!(body, RequestBody::Empty) => {
                // RFC 9110 §8.6: a POST, PUT or PATCH without a body says so.
                if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
                    headers_extra = Some((CONTENT_LENGTH, HeaderValue::from_static("0")));
                }
                false
            }
            Some(length) => {
                headers_extra = Some((CONTENT_LENGTH, HeaderValue::from(length)));
                false
            }
            None => {
                headers_extra = Some((TRANSFER_ENCODING, HeaderValue::from_static("chunked")));
                true
            }
        };
        let out = encode_request_head(parts, headers_extra.as_ref());
        BodySender {
            body,
            chunked,
            out,
            written: 0,
            done: false,
            failed: None,
            trailers: None,
        }
    }

    fn poll_send(
        &mut self,
        io: &mut UpstreamIo,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Sending>> {
        loop {
            while self.written < self.out.len() {
                let n = ready!(Pin::new(&mut *io).poll_write(cx, &self.out[self.written..]))
                    .map_err(Sending::Io)?;
                if n == 0 {
                    return Poll::Ready(Err(Sending::Io(io::ErrorKind::WriteZero.into())));
                }
                self.written += n;
            }
            self.out.clear();
            self.written = 0;
            if self.done {
                // TLS holds written bytes until flushed.
                return Pin::new(&mut *io).poll_flush(cx).map_err(Sending::Io);
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => {
                    if self.chunked {
                        self.out.extend_from_slice(b"0\r\n");
                        if let Some(trailers) = self.trailers.take() {
                            write_fields(&mut self.out, &trailers);
                        }
                        self.out.extend_from_slice(b"\r\n");
                    }
                    self.done = true;
                }
                Some(Err(error)) => return Poll::Ready(Err(Sending::Body(error))),
                Some(Ok(frame)) => {
                    let data = match frame.into_data() {
                        Ok(data) => data,
                        // Only chunked coding can carry trailers; a sized body drops them.
                        Err(frame) => {
                            self.trailers = frame.into_trailers().ok();
                            continue;
                        }
                    };
                    if data.is_empty() {
                        continue;
                    }
                    if self.chunked {
                        // Writing to a Vec cannot fail.
                        let _ = write!(self.out, "{:x}\r\n", data.len());
                        self.out.extend_from_slice(&data);
                        self.out.extend_from_slice(b"\r\n");
                    } else {
                        self.out.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// `METHOD /target HTTP/1.1`, the fields (and the framing field the body needs), the empty line.
fn encode_request_head(
    parts: &ProxyRequest<()>,
    extra: Option<&(HeaderName, HeaderValue)>,
) -> WriteBuffer {
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let fields: usize = parts
        .fields
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let mut out = take_write_buffer(parts.method.as_str().len() + target.len() + fields + 64);
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let extra = extra.map(|(name, value)| (name, value));
    write_fields(&mut out, parts.fields.iter().chain(extra));
    out.extend_from_slice(b"\r\n");
    out
}

/// Takes a final response head off `buf` (interim `1xx` heads other than `101` are dropped):
/// `Ok(None)` when more bytes are needed.
fn parse_response_head(
    buf: &mut BytesMut,
    head_request: bool,
) -> Result<Option<ResponseHead>, ExchangeError> {
    loop {
        let mut slots = field_slots();
        let mut parsed = httparse::Response::new(&mut []);
        let base = buf.as_ptr() as usize;
        let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut parsed,
            buf,
            &mut slots,
        ) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD_BYTES => {
                return Err(ExchangeError::Malformed("response head too large"))
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(ExchangeError::Malformed("unparsable response head")),
        };
        let (Some(code), Some(minor)) = (parsed.code, parsed.version) else {
            return Err(ExchangeError::Malformed("unparsable status line"));
        };
        let status =
            StatusCode::from_u16(code).map_err(|_| ExchangeError::Malformed("bad status code"))?;
        let mut ranges = FieldRanges::new();
        locate_fields(parsed.headers, base, &mut ranges);
        let head = buf.split_to(len).freeze();
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            continue;
        }
        // Room for what the response filter adds (Via, the request id, deletions).
        let mut fields = build_fields(&head, &ranges, 6).map_err(ExchangeError::Malformed)?;
        let version = if minor == 1 {
            Version::HTTP_11
        } else {
            Version::HTTP_10
        };
        let (decoder, delimited) = response_framing(&fields, status, head_request)?;
        if fields.has(&TRANSFER_ENCODING) {
            // RFC 9112 §6.3 item 3: the coding wins, and the length must not be passed on
            // (the visitor's side would frame the body by it).
            fields.remove_all(&CONTENT_LENGTH);
        }
        let reusable = delimited && keeps_alive(&fields, version);
        return Ok(Some(ResponseHead {
            status,
            version,
            fields,
            decoder,
            reusable,
        }));
    }
}

/// RFC 9112 §6.3 for responses: none for HEAD, 1xx, 204 and 304; chunked; a length; or the
/// connection's end (then `false`: the connection cannot be reused).
fn response_framing(
    headers: &Fields,
    status: StatusCode,
    head_request: bool,
) -> Result<(Decoder, bool), ExchangeError> {
    if head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok((Decoder::Done, true));
    }
    if let Some(last) = split_list_elements(headers, &TRANSFER_ENCODING).last() {
        let chunked = last.eq_ignore_ascii_case(b"chunked");
        // With both, the length is ignored and the connection not trusted again (§6.3 item 3).
        let trusted = !headers.has(&CONTENT_LENGTH);
        return Ok(match chunked {
            true => (Decoder::ChunkSize, trusted),
            false => (Decoder::UntilClose, false),
        });
    }
    let mut lengths = headers.values_of(&CONTENT_LENGTH);
    match (lengths.next(), lengths.next()) {
        (None, _) => Ok((Decoder::UntilClose, false)),
        (Some(value), None) => {
            let length = parse_length(value.as_bytes())
                .ok_or(ExchangeError::Malformed("bad Content-Length"))?;
            Ok((
                match length {
                    0 => Decoder::Done,
                    length => Decoder::Length(length),
                },
                true,
            ))
        }
        (Some(_), Some(_)) => Err(ExchangeError::Malformed("several Content-Length fields")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, head_request: bool) -> Result<Option<ResponseHead>, ExchangeError> {
        parse_response_head(&mut BytesMut::from(text), head_request)
    }

    #[test]
    fn skips_interim_responses_and_reads_the_final_head() {
        let mut buf = BytesMut::from(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\n\r\nhello",
        );
        let head = parse_response_head(&mut buf, false).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.fields.first(&http::header::SET_COOKIE).unwrap(), "a=1");
        assert_eq!(head.decoder, Decoder::Length(5));
        assert!(head.reusable);
        assert_eq!(&buf[..], b"hello");
    }

    #[test]
    fn frames_responses_as_rfc_9112_says() {
        let framing = |text: &str, head: bool| {
            let head = parse(text, head).unwrap().unwrap();
            (head.decoder, head.reusable)
        };
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(framing(chunked, false), (Decoder::ChunkSize, true));
        let both = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(framing(both, false), (Decoder::ChunkSize, false));
        let head = parse(both, false).unwrap().unwrap();
        assert!(!head.fields.has(&CONTENT_LENGTH));
        let until_close = "HTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(framing(until_close, false), (Decoder::UntilClose, false));
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
        assert_eq!(framing(head, true), (Decoder::Done, true));
        let not_modified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n";
        assert_eq!(framing(not_modified, false), (Decoder::Done, true));
        let closing = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
        assert_eq!(framing(closing, false), (Decoder::Length(2), false));
        let old = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n";
        assert_eq!(framing(old, false), (Decoder::Length(2), false));
    }

    #[test]
    fn refuses_malformed_response_heads() {
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "NOT HTTP\r\n\r\n",
        ] {
            assert!(parse(bad, false).is_err(), "{bad:?}");
        }
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", false)
            .unwrap()
            .is_none());
    }

    #[test]
    fn writes_the_framing_field_the_body_needs() {
        let request = |method: Method| {
            let mut request = http::Request::new(());
            *request.method_mut() = method;
            *request.uri_mut() = "/a?b".parse().unwrap();
            ProxyRequest::from(request)
        };
        let head = |sender: BodySender| String::from_utf8(sender.out.to_vec()).unwrap();
        let get = head(BodySender::new(&request(Method::GET), RequestBody::Empty));
        assert_eq!(get, "GET /a?b HTTP/1.1\r\n\r\n");
        let post = head(BodySender::new(&request(Method::POST), RequestBody::Empty));
        assert_eq!(post, "POST /a?b HTTP/1.1\r\ncontent-length: 0\r\n\r\n");
    }
}
