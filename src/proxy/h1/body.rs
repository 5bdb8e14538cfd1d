//! A visitor's request body, decoded off the wire as the upstream client asks for it
//! (`Content-Length` or chunked, RFC 9112 §6–§7), never buffered whole.
//!
//! The body borrows the connection's read side for as long as it is being read, and gives it
//! back when it ends or is dropped; the connection serves its next request only when the body
//! was read to its end (otherwise the next bytes would be the rest of this body).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

use super::head::Framing;
use super::reader::{Reader, BODY_READ};

/// A chunk-size line longer than this is refused (extensions are ignored, not stored).
const MAX_CHUNK_LINE: usize = 1024;
/// The trailer section is bounded like a head.
const MAX_TRAILERS: usize = 16 * 1024;
const MAX_TRAILER_FIELDS: usize = 32;

/// The read side, back from a body: `complete` when the body was read to its end.
pub struct Returned {
    pub reader: Reader,
    pub complete: bool,
}

pub struct WireBody {
    reader: Option<Reader>,
    decoder: Decoder,
    hand_back: Option<oneshot::Sender<Returned>>,
    /// `Expect: 100-continue`: told when the body is first read, so the connection can send
    /// `100 Continue` (and only then: a request refused first never needs its body).
    go_ahead: Option<oneshot::Sender<()>>,
}

/// Where a body decoder stands; shared with the upstream side (`upstream_body.rs`), whose
/// responses are framed the same way, plus by the connection's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    /// Everything until the connection closes (a response without length or chunking).
    UntilClose,
    Done,
}

pub enum Step {
    Frame(Frame<Bytes>),
    NeedMore,
    End,
}

impl WireBody {
    /// A body read from `reader`, which goes back through `hand_back`.
    pub fn new(
        reader: Reader,
        framing: Framing,
        hand_back: oneshot::Sender<Returned>,
        go_ahead: Option<oneshot::Sender<()>>,
    ) -> Self {
        let decoder = match framing {
            Framing::None => Decoder::Done,
            Framing::Length(length) => Decoder::Length(length),
            Framing::Chunked => Decoder::ChunkSize,
        };
        WireBody {
            reader: Some(reader),
            decoder,
            hand_back: Some(hand_back),
            go_ahead,
        }
    }

    fn give_back(&mut self) {
        let complete = self.decoder == Decoder::Done;
        if let (Some(reader), Some(hand_back)) = (self.reader.take(), self.hand_back.take()) {
            // The connection may be gone already; then so is the reader.
            let _ = hand_back.send(Returned { reader, complete });
        }
    }
}

impl Drop for WireBody {
    fn drop(&mut self) {
        self.give_back();
    }
}

impl Body for WireBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(go_ahead) = this.go_ahead.take() {
            let _ = go_ahead.send(());
        }
        loop {
            let Some(reader) = this.reader.as_mut() else {
                return Poll::Ready(None);
            };
            let step = match this.decoder.step(&mut reader.buf) {
                Ok(step) => step,
                Err(error) => {
                    this.give_back();
                    return Poll::Ready(Some(Err(error)));
                }
            };
            match step {
                Step::Frame(frame) => {
                    if this.decoder == Decoder::Done {
                        this.give_back();
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                Step::End => {
                    this.give_back();
                    return Poll::Ready(None);
                }
                Step::NeedMore => match ready!(reader.poll_fill(cx, BODY_READ)) {
                    Ok(0) => {
                        this.give_back();
                        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "body cut short");
                        return Poll::Ready(Some(Err(eof)));
                    }
                    Ok(_) => {}
                    Err(error) => {
                        this.give_back();
                        return Poll::Ready(Some(Err(error)));
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.decoder == Decoder::Done
    }

    fn size_hint(&self) -> SizeHint {
        match self.decoder {
            Decoder::Length(left) => SizeHint::with_exact(left),
            Decoder::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

impl Decoder {
    /// Decodes what `buf` holds: a frame, or the end, or a request for more bytes.
    pub fn step(&mut self, buf: &mut BytesMut) -> io::Result<Step> {
        loop {
            match *self {
                Decoder::Done => return Ok(Step::End),
                Decoder::UntilClose if buf.is_empty() => return Ok(Step::NeedMore),
                Decoder::UntilClose => return Ok(Step::Frame(Frame::data(buf.split().freeze()))),
                Decoder::Length(left) | Decoder::ChunkData(left) => {
                    if buf.is_empty() {
                        return Ok(Step::NeedMore);
                    }
                    let taken = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let left = left - taken as u64;
                    *self = match (*self, left) {
                        (Decoder::Length(_), 0) => Decoder::Done,
                        (Decoder::Length(_), left) => Decoder::Length(left),
                        (_, 0) => Decoder::ChunkEnd,
                        (_, left) => Decoder::ChunkData(left),
                    };
                    return Ok(Step::Frame(Frame::data(buf.split_to(taken).freeze())));
                }
                Decoder::ChunkSize => {
                    let Some(size) = take_chunk_size(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    *self = match size {
                        0 => Decoder::Trailers,
                        size => Decoder::ChunkData(size),
                    };
                }
                Decoder::ChunkEnd => {
                    if buf.len() < 2 {
                        return Ok(Step::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(invalid("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    *self = Decoder::ChunkSize;
                }
                Decoder::Trailers => {
                    let Some(trailers) = take_trailers(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    *self = Decoder::Done;
                    if !trailers.is_empty() {
                        return Ok(Step::Frame(Frame::trailers(trailers)));
                    }
                }
            }
        }
    }
}

/// The chunk-size line (`1a;ext=v\r\n`): its size, once the whole line is there.
fn take_chunk_size(buf: &mut BytesMut) -> io::Result<Option<u64>> {
    if buf.is_empty() {
        return Ok(None);
    }
    // httparse reads an empty size as 0, which would end the body early: a size has digits.
    if !buf[0].is_ascii_hexdigit() {
        return Err(invalid("chunk size without digits"));
    }
    match httparse::parse_chunk_size(buf) {
        Ok(httparse::Status::Complete((used, size))) => {
            buf.advance(used);
            Ok(Some(size))
        }
        Ok(httparse::Status::Partial) if buf.len() > MAX_CHUNK_LINE => {
            Err(invalid("chunk-size line too long"))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(_) => Err(invalid("malformed chunk size")),
    }
}

/// The trailer section after the last chunk, up to its empty line.
fn take_trailers(buf: &mut BytesMut) -> io::Result<Option<HeaderMap>> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_TRAILER_FIELDS];
    let (used, fields) = match httparse::parse_headers(buf, &mut slots) {
        Ok(httparse::Status::Complete(done)) => done,
        Ok(httparse::Status::Partial) if buf.len() > MAX_TRAILERS => {
            return Err(invalid("trailer section too large"))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(invalid("malformed trailer section")),
    };
    let mut trailers = HeaderMap::new();
    for field in fields {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| invalid("malformed trailer name"))?;
        let value =
            HeaderValue::from_bytes(field.value).map_err(|_| invalid("malformed trailer value"))?;
        trailers.append(name, value);
    }
    buf.advance(used);
    Ok(Some(trailers))
}

fn invalid(reason: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the decoder over `wire` fed in pieces of `step` bytes; the data, the trailers and what
    /// is left after the body.
    fn decode(
        framing: Decoder,
        wire: &[u8],
        step: usize,
    ) -> io::Result<(Vec<u8>, HeaderMap, Vec<u8>)> {
        let mut decoder = framing;
        let mut buf = BytesMut::new();
        let mut fed = 0;
        let (mut data, mut trailers) = (Vec::new(), HeaderMap::new());
        loop {
            match decoder.step(&mut buf)? {
                Step::Frame(frame) => match frame.into_data() {
                    Ok(bytes) => data.extend_from_slice(&bytes),
                    Err(frame) => trailers = frame.into_trailers().unwrap_or_default(),
                },
                Step::End => return Ok((data, trailers, buf.to_vec())),
                Step::NeedMore if fed == wire.len() => {
                    return Err(io::Error::from(io::ErrorKind::UnexpectedEof))
                }
                Step::NeedMore => {
                    let next = (fed + step).min(wire.len());
                    buf.extend_from_slice(&wire[fed..next]);
                    fed = next;
                }
            }
        }
    }

    const CHUNKED: &[u8] = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\nGET /next";

    #[test]
    fn decodes_chunks_extensions_and_trailers_in_any_split() {
        for step in [1, 2, 3, 7, CHUNKED.len()] {
            let (data, trailers, rest) = decode(Decoder::ChunkSize, CHUNKED, step).unwrap();
            assert_eq!(data, b"hello, world", "step {step}");
            assert_eq!(trailers["x-sum"], "12");
            // The decoder stops at the body's end: the next request is left alone.
            assert!(
                rest.is_empty() || b"GET /next".starts_with(&rest),
                "step {step}"
            );
        }
    }

    #[test]
    fn stops_a_length_body_at_its_length() {
        let (data, _, rest) = decode(Decoder::Length(5), b"helloGET", 8).unwrap();
        assert_eq!(data, b"hello");
        assert_eq!(rest, b"GET");
    }

    #[test]
    fn refuses_malformed_chunking() {
        for bad in [
            &b"\r\n"[..],
            b";ext\r\nabc\r\n0\r\n\r\n",
            b"zz\r\n",
            b"3\r\nabcX\r\n0\r\n\r\n",
            b"fffffffffffffffff\r\n",
        ] {
            let decoded = decode(Decoder::ChunkSize, bad, bad.len());
            assert_eq!(
                decoded.map(|_| ()).unwrap_err().kind(),
                io::ErrorKind::InvalidData,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long_line = [b"1;".as_slice(), &[b'x'; MAX_CHUNK_LINE]].concat();
        let decoded = decode(Decoder::ChunkSize, &long_line, long_line.len());
        assert_eq!(decoded.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn reports_a_body_cut_short() {
        let decoded = decode(Decoder::Length(10), b"hello", 5);
        assert_eq!(decoded.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let decoded = decode(Decoder::ChunkSize, b"5\r\nhel", 3);
        assert_eq!(decoded.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }
}
