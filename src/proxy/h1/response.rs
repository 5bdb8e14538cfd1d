//! A response onto the wire (RFC 9112 §4, §6): the head, then the body framed by its
//! `Content-Length`, chunked, or (for an HTTP/1.0 visitor) by closing the connection.
//!
//! Small pieces are gathered and written together (a page of a few kilobytes goes out in one
//! write with its head); whatever is gathered is written before waiting on a slow body. The end
//! of a response waits for the other connections ready in the same turn of the event loop, so
//! that a turn's responses leave together (`send_last`).

use std::cell::RefCell;
use std::error::Error as StdError;
use std::future::{poll_fn, Future};
use std::io::{self, Write as _};
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::{HeaderValue, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::Body;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

use super::fields::{parse_length, write_fields};
use crate::fields::{FieldAccess, Fields};
use crate::proxy::reply::Reply;
use crate::proxy::spare::{give_back_field_list, take_write_buffer, WriteBuffer};

/// Data pieces smaller than this are copied beside the head or the pieces before them.
const GATHER_BELOW: usize = 16 * 1024;
/// Room left after the head for a small page, so that it joins the head without a regrowth.
const ROOM_FOR_PAGE: usize = 4 * 1024;

/// What the response depends on from its request.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub head_request: bool,
    pub version: Version,
    pub keep_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Writes `res`; `Ok(true)` when the connection can carry another request.
pub async fn write_response<B>(
    io: &mut OwnedWriteHalf,
    res: Reply<B>,
    exchange: Exchange,
) -> io::Result<bool>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let Reply {
        status,
        mut fields,
        mut body,
        ..
    } = res;
    let mut keep_alive = exchange.keep_alive;
    let framing = choose_framing(&mut fields, status, &body, exchange);
    if framing == Framing::UntilClose {
        keep_alive = false;
    }
    set_connection(&mut fields, keep_alive, exchange.version);
    if !fields.has(&DATE) {
        fields.add(DATE, current_date());
    }
    let mut out = encode_head(status, &fields);
    give_back_field_list(fields);
    if framing == Framing::None {
        send_last(io, &mut out).await?;
        return Ok(keep_alive);
    }
    let mut sent: u64 = 0;
    let mut trailers = None;
    loop {
        // A frame that is not there yet must not hold back what is gathered.
        let frame = match body.frame().now_or_never() {
            Some(frame) => frame,
            None => {
                flush(io, &mut out).await?;
                body.frame().await
            }
        };
        let frame = match frame {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(error)) => {
                // What arrived before the failure still goes out; the close then tells the
                // visitor the body is incomplete.
                let _ = flush(io, &mut out).await;
                return Err(io::Error::other(error));
            }
        };
        let data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => {
                trailers = frame.into_trailers().ok();
                continue;
            }
        };
        if data.is_empty() {
            continue;
        }
        sent += data.len() as u64;
        if let Framing::Length(length) = framing {
            if sent > length {
                return Err(io::Error::other("body longer than its Content-Length"));
            }
        }
        if framing == Framing::Chunked {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{:x}\r\n", data.len());
        }
        if data.len() < GATHER_BELOW {
            out.extend_from_slice(&data);
        } else {
            flush(io, &mut out).await?;
            io.write_all(&data).await?;
        }
        if framing == Framing::Chunked {
            out.extend_from_slice(b"\r\n");
        }
        if out.len() >= GATHER_BELOW {
            flush(io, &mut out).await?;
        }
    }
    match framing {
        Framing::Chunked => {
            out.extend_from_slice(b"0\r\n");
            if let Some(trailers) = &trailers {
                write_fields(&mut out, trailers);
            }
            out.extend_from_slice(b"\r\n");
        }
        Framing::Length(length) if sent < length => {
            flush(io, &mut out).await?;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body shorter than its Content-Length",
            ));
        }
        _ => {}
    }
    send_last(io, &mut out).await?;
    Ok(keep_alive)
}

/// The head of an informational or switching response, alone (`100 Continue`, `101`).
pub async fn write_head_only(
    io: &mut OwnedWriteHalf,
    status: StatusCode,
    fields: &Fields,
) -> io::Result<()> {
    io.write_all(&encode_head(status, fields)).await
}

/// A refusal before any request could be read (a malformed head): a short text, then close.
pub async fn write_refusal(io: &mut OwnedWriteHalf, status: StatusCode) -> io::Result<()> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let text = format!("{} {reason}\n", status.as_u16());
    let fields = Fields::from_iter([
        (
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        ),
        (CONTENT_LENGTH, HeaderValue::from(text.len())),
        (CONNECTION, HeaderValue::from_static("close")),
        (DATE, current_date()),
    ]);
    let mut out = encode_head(status, &fields);
    out.extend_from_slice(text.as_bytes());
    io.write_all(&out).await?;
    io.shutdown().await
}

/// RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; else the given length, the body's own
/// exact size, chunked for HTTP/1.1, or the connection's end for HTTP/1.0.
fn choose_framing<B: Body>(
    headers: &mut Fields,
    status: StatusCode,
    body: &B,
    exchange: Exchange,
) -> Framing {
    if exchange.head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Framing::None;
    }
    // The upstream's framing is its own hop's: `Transfer-Encoding` is re-decided here.
    headers.remove_all(&TRANSFER_ENCODING);
    if let Some(length) = declared_length(headers) {
        return Framing::Length(length);
    }
    headers.remove_all(&CONTENT_LENGTH);
    if let Some(length) = body.size_hint().exact() {
        headers.add(CONTENT_LENGTH, HeaderValue::from(length));
        return Framing::Length(length);
    }
    if exchange.version == Version::HTTP_11 {
        headers.add(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        Framing::Chunked
    } else {
        Framing::UntilClose
    }
}

/// One `Content-Length` that is a plain number (the upstream client has checked the upstream's
/// already, `exchange.rs`).
fn declared_length(headers: &Fields) -> Option<u64> {
    let mut values = headers.values_of(&CONTENT_LENGTH);
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    parse_length(value.as_bytes())
}

fn set_connection(headers: &mut Fields, keep_alive: bool, version: Version) {
    if !keep_alive {
        headers.set(CONNECTION, HeaderValue::from_static("close"));
    } else if version == Version::HTTP_10 {
        headers.set(CONNECTION, HeaderValue::from_static("keep-alive"));
    }
}

/// `HTTP/1.1 <status> <reason>`, the fields, the empty line; sized once.
fn encode_head(status: StatusCode, headers: &Fields) -> WriteBuffer {
    let fields: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let reason = status.canonical_reason().unwrap_or("");
    let mut out = take_write_buffer(fields + reason.len() + 16 + ROOM_FOR_PAGE);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    write_fields(&mut out, headers.iter());
    out.extend_from_slice(b"\r\n");
    out
}

/// Writes the end of a response after the other connections that are ready in this turn of the
/// event loop have been served: the responses of a turn then leave together, so a visitor's
/// process on another core of the same host (a cache, a load generator) is woken once for the
/// lot rather than once a response, and each wake-up costs the sender an interrupt to that core.
/// It made a request about 4% cheaper against nginx (docs/performance.md, eleventh round). A
/// response waits for no more than the turn's other work; alone, it goes out at once.
async fn send_last(io: &mut OwnedWriteHalf, out: &mut Vec<u8>) -> io::Result<()> {
    go_to_back_of_queue().await;
    flush(io, out).await
}

/// Puts the task at the back of the runtime's queue of ready tasks, once. Not
/// `tokio::task::yield_now`, which waits for the next poll of the sockets as well: the responses
/// would then also wait behind the requests that poll brings in (measured at -c64: p99 1.08×
/// nginx's, where this gives 0.86× to 0.95×).
fn go_to_back_of_queue() -> impl Future<Output = ()> {
    let mut queued = false;
    poll_fn(move |cx| {
        if queued {
            return Poll::Ready(());
        }
        queued = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

async fn flush(io: &mut OwnedWriteHalf, out: &mut Vec<u8>) -> io::Result<()> {
    if !out.is_empty() {
        io.write_all(out).await?;
        out.clear();
    }
    Ok(())
}

/// The `Date` an origin would send (RFC 9110 §6.6.1), for the responses the proxy makes itself;
/// formatted once a second per thread.
fn current_date() -> HeaderValue {
    thread_local! {
        static CACHED: RefCell<(u64, Option<HeaderValue>)> = const { RefCell::new((0, None)) };
    }
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        match &cached.1 {
            Some(value) if cached.0 == second => value.clone(),
            _ => {
                let value = HeaderValue::from_str(&httpdate::fmt_http_date(now))
                    .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
                *cached = (second, Some(value.clone()));
                value
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    use super::*;

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn going_to_back_of_queue_wakes_itself_once_then_finishes() {
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut turn = std::pin::pin!(go_to_back_of_queue());
        assert!(turn.as_mut().poll(&mut cx).is_pending());
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert!(turn.as_mut().poll(&mut cx).is_ready());
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
    }
}
