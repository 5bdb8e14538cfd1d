//! The upstream's response body, decoded off its connection as the visitor's connection asks
//! for it (no copy beyond the read, no task of its own), and the connection given back to the
//! pool the moment the body's last byte has been read.

use std::io;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::exchange::{poll_read_some, UpstreamIo, Wire};
use super::h1::{Decoder, Step};
use super::pool::{Conn, Shared};

/// Streams the body; dropped before its end (the visitor left), the connection is closed
/// instead of reused, as its remaining bytes would be taken for the next response.
pub struct UpstreamBody {
    conn: Option<Conn>,
    decoder: Decoder,
    /// The connection can carry another request once this body is read.
    reusable: bool,
    pool: Weak<Shared>,
}

impl UpstreamBody {
    pub fn new(conn: Conn, decoder: Decoder, reusable: bool, pool: Weak<Shared>) -> Self {
        let mut body = UpstreamBody {
            conn: Some(conn),
            decoder,
            reusable,
            pool,
        };
        if decoder == Decoder::Done {
            body.release();
        }
        body
    }

    /// No body (a switched protocol's response).
    pub fn empty() -> Self {
        UpstreamBody {
            conn: None,
            decoder: Decoder::Done,
            reusable: false,
            pool: Weak::new(),
        }
    }

    /// Back to the pool when the connection is fit for another request (nothing unread left
    /// on it), else closed.
    fn release(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.reusable && conn.wire.buf.is_empty() {
            if let Some(pool) = self.pool.upgrade() {
                pool.put_back(conn);
            }
        }
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let step = match this.decoder.step(&mut conn.wire.buf) {
                Ok(step) => step,
                Err(error) => {
                    this.reusable = false;
                    this.release();
                    return Poll::Ready(Some(Err(error)));
                }
            };
            match step {
                Step::Frame(frame) => {
                    if this.decoder == Decoder::Done {
                        this.release();
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                Step::End => {
                    this.release();
                    return Poll::Ready(None);
                }
                Step::NeedMore => {
                    let Wire { io, buf } = &mut *conn.wire;
                    match ready!(poll_read_some(io, buf, cx)) {
                        Ok(0) if this.decoder == Decoder::UntilClose => {
                            this.decoder = Decoder::Done;
                            this.reusable = false;
                            this.release();
                            return Poll::Ready(None);
                        }
                        Ok(0) => {
                            this.reusable = false;
                            this.release();
                            let eof = io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "the upstream closed the connection mid-body",
                            );
                            return Poll::Ready(Some(Err(eof)));
                        }
                        Ok(_) => {}
                        Err(error) => {
                            this.reusable = false;
                            this.release();
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                }
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

/// The upstream's side of a switched protocol (WebSocket): its connection and what it sent
/// past the `101` head already. Boxed as the pool keeps it: every response carries this
/// field, and an unboxed connection (over a KiB with its TLS state) would be copied with the
/// response at each move.
pub struct UpstreamUpgrade(Box<Wire>);

impl UpstreamUpgrade {
    pub fn new(wire: Box<Wire>) -> Self {
        UpstreamUpgrade(wire)
    }

    /// The connection and the bytes already read from it, for the tunnel.
    pub fn into_parts(self) -> (UpstreamIo, Bytes) {
        let Wire { io, buf } = *self.0;
        (io, buf.freeze())
    }
}
