//! The read side of a visitor's connection and the bytes received but not yet used.
//!
//! The buffer is sized by what arrives: it is empty between requests (an idle keep-alive
//! connection holds no buffer at all: a drained one goes back to the thread's spares), and a
//! request head keeps only its own bytes alive.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::BytesMut;
use tokio::net::tcp::OwnedReadHalf;

use crate::proxy::spare::{give_back_head_buffer, take_head_buffer};

/// How much is read at once when a request head starts (most heads fit).
pub const HEAD_READ: usize = 4 * 1024;
/// How much is read at once of a request body.
pub const BODY_READ: usize = 16 * 1024;

pub struct Reader {
    pub io: OwnedReadHalf,
    pub buf: BytesMut,
}

impl Reader {
    pub fn new(io: OwnedReadHalf) -> Self {
        Reader {
            io,
            buf: BytesMut::new(),
        }
    }

    /// Reads what the socket has into the buffer (up to `chunk` bytes more): `Ok(0)` at the end
    /// of the stream.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>, chunk: usize) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.io.as_ref().poll_read_ready(cx))?;
            // Reserved only once there is something to read: a connection waiting for its next
            // request holds no memory for it.
            if self.buf.capacity() == 0 {
                self.buf = take_head_buffer();
            }
            self.buf.reserve(chunk);
            // A read through `AsyncRead` (not `try_read_buf`): a short read clears the socket's
            // readiness, so the next request's wait starts with no `EAGAIN` read (strace: half a
            // wasted `recvfrom` per request otherwise).
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf) {
                Poll::Pending => continue,
                read => return read,
            }
        }
    }

    /// Same, as a future.
    pub async fn fill(&mut self, chunk: usize) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx, chunk)).await
    }

    /// Lets go of a drained buffer's memory before waiting for the next request.
    pub fn release_buffer(&mut self) {
        if self.buf.is_empty() {
            give_back_head_buffer(std::mem::take(&mut self.buf));
        }
    }
}
