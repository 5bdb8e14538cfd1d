//! consentry's own HTTP/1.1 server side: one task per visitor connection reads a head, runs the
//! proxy, writes the response, and reads the next head (pipelined requests are answered in
//! order); a connection that opens with the HTTP/2 preface is handed over to hyper's HTTP/2.
//!
//! Why not hyper's HTTP/1 server: measured on the load benchmark (docs/performance.md), it kept a
//! 16 KiB read buffer, an 8 KiB write buffer and a boxed in-flight future per connection, about
//! 31 KiB for each of a thousand visitors, and cost a bare proxy as much CPU as all of nginx. Here
//! an idle connection holds no buffer, a request keeps only its own head's bytes, and a response
//! is gathered and written in one piece.

mod body;
mod fields;
mod head;
mod names;
mod reader;
mod response;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::UPGRADE;
use http::{Method, StatusCode};
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tracing::debug;

use super::body::RequestBody;
use super::deadline::within;
use super::reply::Reply;
use super::{Peer, Proxy};
use crate::fields::{FieldAccess, Fields};
use crate::privacy::truncate_ip;
use crate::proxy::request::ProxyRequest;
use body::Returned;
pub use body::{Decoder, Step, WireBody};
pub use fields::MAX_FIELDS;
pub use fields::{
    build_fields, field_slots, locate_fields, parse_length, write_fields, FieldRanges,
};
use head::{parse_head, Framing, Head, Rejection};
use reader::Reader;
pub use reader::HEAD_READ;
use response::{write_head_only, write_refusal, write_response, Exchange};

/// What an HTTP/2 connection opens with (RFC 9113 §3.4).
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// How long, and how much of, an unread request body is read and thrown away before closing, so
/// that the visitor reads the response instead of a reset (nginx's lingering close).
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: u64 = 1024 * 1024;

/// The visitor's side of a protocol switch, for the tunnel: the socket and what was already
/// received past the request head.
pub struct Upgraded {
    pub stream: TcpStream,
    pub received: Bytes,
}

/// How a connection ended: closed, or found to be HTTP/2.
pub enum Ended {
    Closed,
    Http2 { stream: TcpStream, received: Bytes },
}

/// What the connection does after an exchange.
enum After {
    Next(Reader),
    Close,
    Upgrade(Reader, oneshot::Sender<Upgraded>),
}

// Moved once per request; boxing the head would allocate for every request instead.
#[allow(clippy::large_enum_variant)]
enum Next {
    Request(Head),
    Http2,
    Refused(Rejection),
    Closed,
}

/// Serves one visitor connection until it closes, fails, idles out, or `stop` is raised (then
/// the request in flight is finished first, and answered with `Connection: close`).
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    proxy: &Proxy,
    header_timeout: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let visitor = Arc::new(Peer::new(peer));
    let (read, mut write) = stream.into_split();
    let mut reader = Reader::new(read);
    let mut first = true;
    // One timer for the connection's life times the waits for a request head (`deadline.rs`).
    let timer = tokio::time::sleep(header_timeout);
    tokio::pin!(timer);
    // One wait for the stop for the connection's life too: made afresh before every request, it
    // joined and left the channel's list of waiters each time (about 250 instructions a
    // request). Requests read the flag from their own receiver.
    let stopping = stop.clone();
    let stopped = stop.wait_for(|stop| *stop);
    tokio::pin!(stopped);
    loop {
        reader.release_buffer();
        // `client_headers` bounds both the wait for a request and the time its head takes.
        let deadline = Instant::now() + header_timeout;
        let read = read_head(&mut reader, first);
        let next = tokio::select! {
            biased;
            _ = &mut stopped => return Ended::Closed,
            next = within(read, timer.as_mut(), deadline) => next,
        };
        first = false;
        let head = match next {
            Some(Next::Request(head)) => head,
            Some(Next::Closed) => return Ended::Closed,
            None => {
                debug!(client = %truncate_ip(peer.ip()), "no complete request head in time: closing");
                return Ended::Closed;
            }
            Some(Next::Refused(rejection)) => {
                debug!(client = %truncate_ip(peer.ip()), status = rejection.status.as_u16(), reason = rejection.reason, "request head refused");
                if write_refusal(&mut write, rejection.status).await.is_ok() {
                    // The rest of what it sent (an oversized head) must not reset the answer.
                    linger(reader).await;
                }
                return Ended::Closed;
            }
            Some(Next::Http2) => {
                let received = reader.buf.split().freeze();
                return match reader.io.reunite(write) {
                    Ok(stream) => Ended::Http2 { stream, received },
                    Err(_) => Ended::Closed,
                };
            }
        };
        match serve_request(head, reader, &mut write, &visitor, proxy, &stopping).await {
            After::Next(kept) => reader = kept,
            After::Close => return Ended::Closed,
            After::Upgrade(reader, upgrade) => {
                // The tunnel owns the socket from here on.
                if let Ok(stream) = reader.io.reunite(write) {
                    let received = reader.buf.freeze();
                    let _ = upgrade.send(Upgraded { stream, received });
                }
                return Ended::Closed;
            }
        }
    }
}

/// Reads until a whole head is buffered (or the connection turns out to be HTTP/2, or ends).
async fn read_head(reader: &mut Reader, first: bool) -> Next {
    loop {
        if !reader.buf.is_empty() {
            let seen = reader.buf.len().min(HTTP2_PREFACE.len());
            if first && reader.buf[..seen] == HTTP2_PREFACE[..seen] {
                if seen == HTTP2_PREFACE.len() {
                    return Next::Http2;
                }
            } else {
                match parse_head(&mut reader.buf) {
                    Ok(Some(head)) => {
                        // Nothing pipelined behind it: the buffer is not kept through the request.
                        reader.release_buffer();
                        return Next::Request(head);
                    }
                    Ok(None) => {}
                    Err(rejection) => return Next::Refused(rejection),
                }
            }
        }
        match reader.fill(HEAD_READ).await {
            Ok(0) | Err(_) => return Next::Closed,
            Ok(_) => {}
        }
    }
}

/// One exchange: the request through the proxy, the response out.
async fn serve_request(
    head: Head,
    reader: Reader,
    write: &mut OwnedWriteHalf,
    peer: &Arc<Peer>,
    proxy: &Proxy,
    stop: &watch::Receiver<bool>,
) -> After {
    let Head {
        request,
        framing,
        keep_alive,
        expects_continue,
    } = head;
    let exchange = Exchange {
        head_request: request.method == Method::HEAD,
        version: request.version,
        keep_alive,
    };
    let mut kept = Some(reader);
    let (body, returned, go_ahead) = match (framing, kept.take()) {
        (Framing::Length(_) | Framing::Chunked, Some(reader)) => {
            let (hand_back, returned) = oneshot::channel();
            let (go, go_ahead) = match expects_continue {
                true => {
                    let (go, go_ahead) = oneshot::channel();
                    (Some(go), Some(go_ahead))
                }
                false => (None, None),
            };
            let body = WireBody::new(reader, framing, hand_back, go);
            (RequestBody::Wire(Box::new(body)), Some(returned), go_ahead)
        }
        (_, reader) => {
            kept = reader;
            (RequestBody::Empty, None, None)
        }
    };
    let mut request = request.map(|()| body);
    let upgrade = request.fields.has(&UPGRADE).then(|| {
        let (upgraded, pending) = oneshot::channel();
        request.upgrade = Some(pending);
        upgraded
    });
    let response = match go_ahead {
        None => proxy.handle(peer, request).await,
        Some(go_ahead) => answer_expecting_continue(proxy, peer, request, go_ahead, write).await,
    };

    if response.status == StatusCode::SWITCHING_PROTOCOLS {
        // The proxy answers 101 only to a request that asked for an upgrade.
        let Some(upgrade) = upgrade else {
            return After::Close;
        };
        if write_head_only(write, response.status, &response.fields)
            .await
            .is_err()
        {
            return After::Close;
        }
        return match take_back(kept, returned).await {
            Some((reader, true)) => After::Upgrade(reader, upgrade),
            _ => After::Close,
        };
    }

    let exchange = Exchange {
        keep_alive: exchange.keep_alive && !*stop.borrow(),
        ..exchange
    };
    let keep_alive = match write_response(write, response, exchange).await {
        Ok(keep_alive) => keep_alive,
        Err(error) => {
            debug!(client = %peer.truncated, %error, "response cut short");
            false
        }
    };
    match take_back(kept, returned).await {
        Some((reader, true)) if keep_alive => After::Next(reader),
        Some((reader, false)) => {
            linger(reader).await;
            After::Close
        }
        _ => After::Close,
    }
}

/// The reader, kept or back from the body (once the body is done with it), and whether the body
/// was read to its end.
async fn take_back(
    kept: Option<Reader>,
    returned: Option<oneshot::Receiver<Returned>>,
) -> Option<(Reader, bool)> {
    match (kept, returned) {
        (Some(reader), _) => Some((reader, true)),
        (None, Some(returned)) => {
            let Returned { reader, complete } = returned.await.ok()?;
            Some((reader, complete))
        }
        (None, None) => None,
    }
}

/// Runs the request while waiting for its body to be wanted: `100 Continue` goes out then, so a
/// visitor that waits for it sends the body (RFC 9110 §10.1.1).
async fn answer_expecting_continue(
    proxy: &Proxy,
    peer: &Arc<Peer>,
    request: ProxyRequest<RequestBody>,
    mut go_ahead: oneshot::Receiver<()>,
    write: &mut OwnedWriteHalf,
) -> Reply<super::body::ProxyBody> {
    let handled = proxy.handle(peer, request);
    tokio::pin!(handled);
    let mut waiting = true;
    loop {
        tokio::select! {
            response = &mut handled => return response,
            wanted = &mut go_ahead, if waiting => {
                waiting = false;
                if wanted.is_ok() {
                    // A visitor gone meanwhile shows on the body's read; nothing to do here.
                    let _ = write_head_only(write, StatusCode::CONTINUE, &Fields::new()).await;
                }
            }
        }
    }
}

/// Reads and drops what the visitor still sends of a body nobody read, for a moment, so that
/// closing does not reset the connection under the response it has not read yet.
async fn linger(reader: Reader) {
    let mut io = reader.io.take(LINGER_BYTES);
    let _ = tokio::time::timeout(LINGER, tokio::io::copy(&mut io, &mut tokio::io::sink())).await;
}
