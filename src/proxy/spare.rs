//! Read buffers, write buffers and field lists kept for the next request, per thread.
//!
//! A visitor's connection holds no read buffer while it waits (a thousand idle keep-alive
//! connections would otherwise hold megabytes), so every request used to take a fresh 4 KiB one
//! and give it back to the allocator; and every request and response head needs a field list
//! of about one KiB (72 bytes a field), and every head sent (the request's upstream, the
//! response's with the start of its page) a write buffer of one to five KiB. Blocks that size
//! miss glibc's per-thread cache and take its slow path, which also consolidates its small free
//! lists each time: a few percent of the CPU a request costs. A drained buffer and a cleared
//! list go here instead, and the next request on this thread takes them. At most
//! [`MAX_SPARES`] of each are kept per thread, so what this holds is bounded whatever the
//! number of connections. (An upstream connection keeps its own read
//! buffer: there are at most `max_upstream_connections` of them.)

use std::cell::RefCell;

use bytes::BytesMut;

use crate::fields::{Field, Fields};

use super::h1::{HEAD_READ, MAX_FIELDS};

/// The most spares of each kind a thread keeps (256 KiB of head buffers; field lists of a usual
/// head's room, a KiB or so, and never more than twice [`MAX_FIELDS`] fields' room).
const MAX_SPARES: usize = 64;

/// Spares of one kind.
pub struct Spares<T> {
    list: RefCell<Vec<T>>,
}

impl<T> Spares<T> {
    pub const fn new() -> Spares<T> {
        Spares {
            list: RefCell::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<T> {
        self.list.borrow_mut().pop()
    }

    fn keep(&self, spare: T) {
        let mut list = self.list.borrow_mut();
        if list.len() < MAX_SPARES {
            list.push(spare);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.list.borrow().len()
    }
}

impl Spares<BytesMut> {
    /// A spare buffer, or an empty one (which allocates on its first `reserve`).
    fn take_buffer(&self) -> BytesMut {
        self.take().unwrap_or_default()
    }

    /// Keeps `buf` when it is drained and holds `size` bytes of room that no `Bytes` still
    /// shares (so the next read writes into it without allocating); otherwise lets it go.
    fn keep_buffer(&self, mut buf: BytesMut, size: usize) {
        if buf.is_empty() && buf.try_reclaim(size) {
            self.keep(buf);
        }
    }
}

impl Spares<Vec<Field>> {
    /// An empty list with room for `fields`, a spare one when there is.
    fn take_list(&self, fields: usize) -> Fields {
        let mut list = self.take().unwrap_or_default();
        list.reserve_exact(fields);
        Fields::from(list)
    }

    /// Keeps the room of `fields`, cleared, unless an outsized head grew it past what a spare
    /// may hold.
    fn keep_list(&self, fields: Fields) {
        let mut list = fields.into_list();
        if list.capacity() <= 2 * MAX_FIELDS {
            list.clear();
            self.keep(list);
        }
    }
}

/// The largest write buffer kept: a head and the start of a page. A buffer a long body grew
/// goes back to the allocator.
const MAX_WRITE_BUFFER: usize = 16 * 1024;

thread_local! {
    /// Buffers for reading visitors' request heads.
    static HEAD_BUFFERS: Spares<BytesMut> = const { Spares::new() };
    /// Buffers for writing heads and the bodies gathered after them.
    static WRITE_BUFFERS: Spares<Vec<u8>> = const { Spares::new() };
    /// Field lists of request and response heads.
    static FIELD_LISTS: Spares<Vec<Field>> = const { Spares::new() };
}

/// A buffer to read a request head into.
pub fn take_head_buffer() -> BytesMut {
    HEAD_BUFFERS.with(Spares::take_buffer)
}

/// Gives back a head buffer the connection is done with.
pub fn give_back_head_buffer(buf: BytesMut) {
    HEAD_BUFFERS.with(|spares| spares.keep_buffer(buf, HEAD_READ));
}

/// A buffer to write a head (and what follows it) into, with room for `capacity` bytes; it
/// goes back to this thread's spares when dropped.
pub fn take_write_buffer(capacity: usize) -> WriteBuffer {
    let mut buf = WRITE_BUFFERS
        .try_with(Spares::take)
        .ok()
        .flatten()
        .unwrap_or_default();
    buf.reserve_exact(capacity);
    WriteBuffer(buf)
}

/// A write buffer from [`take_write_buffer`], kept for the next head once dropped.
#[derive(Debug)]
pub struct WriteBuffer(Vec<u8>);

impl std::ops::Deref for WriteBuffer {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for WriteBuffer {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for WriteBuffer {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        if buf.capacity() <= MAX_WRITE_BUFFER {
            buf.clear();
            // Gone with the thread's spares at thread exit: then the buffer is simply freed.
            let _ = WRITE_BUFFERS.try_with(|spares| spares.keep(buf));
        }
    }
}

/// An empty field list with room for `fields`.
pub fn take_field_list(fields: usize) -> Fields {
    FIELD_LISTS.with(|spares| spares.take_list(fields))
}

/// Gives back the field list of a head that has been sent on.
pub fn give_back_field_list(fields: Fields) {
    FIELD_LISTS.with(|spares| spares.keep_list(fields));
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderValue, HOST};

    use crate::fields::FieldAccess;

    #[test]
    fn hands_a_drained_buffer_to_the_next_read_without_allocating() {
        let spares = Spares::new();
        let mut buf = BytesMut::with_capacity(4096);
        let at = buf.as_ptr();
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        buf.clear();
        spares.keep_buffer(buf, 4096);
        let mut again = spares.take_buffer();
        again.reserve(4096);
        assert_eq!(again.as_ptr(), at);
    }

    #[test]
    fn lets_go_of_a_buffer_a_head_still_shares() {
        let spares = Spares::new();
        let mut buf = BytesMut::with_capacity(4096);
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        let head = buf.split().freeze();
        spares.keep_buffer(buf, 4096);
        assert_eq!(spares.len(), 0);
        drop(head);
    }

    #[test]
    fn lets_go_of_a_buffer_with_unread_bytes() {
        let spares = Spares::new();
        let mut buf = BytesMut::with_capacity(4096);
        buf.extend_from_slice(b"GET");
        spares.keep_buffer(buf, 4096);
        assert_eq!(spares.len(), 0);
    }

    #[test]
    fn hands_out_a_given_back_list_empty_with_its_room() {
        let spares = Spares::new();
        let mut fields = spares.take_list(16);
        fields.add(HOST, HeaderValue::from_static("a"));
        spares.keep_list(fields);
        let again = spares.take_list(8);
        assert!(again.is_empty());
        assert!(again.into_list().capacity() >= 16);
        assert_eq!(spares.len(), 0);
    }

    #[test]
    fn lets_go_of_an_outsized_list() {
        let spares = Spares::new();
        spares.keep_list(spares.take_list(2 * MAX_FIELDS + 1));
        assert_eq!(spares.len(), 0);
    }

    #[test]
    fn a_dropped_write_buffer_serves_the_next_head_empty_with_its_room() {
        let mut out = take_write_buffer(5000);
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        let at = out.as_ptr();
        drop(out);
        let again = take_write_buffer(100);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at);
        assert!(again.capacity() >= 5000);
    }

    #[test]
    fn lets_go_of_a_write_buffer_a_long_body_grew() {
        let mut out = take_write_buffer(64);
        out.extend_from_slice(&[b'x'; MAX_WRITE_BUFFER + 1]);
        drop(out);
        assert_eq!(WRITE_BUFFERS.with(Spares::len), 0);
    }

    #[test]
    fn keeps_at_most_its_bound() {
        let spares = Spares::new();
        for _ in 0..MAX_SPARES + 5 {
            spares.keep_buffer(BytesMut::with_capacity(64), 64);
        }
        assert_eq!(spares.len(), MAX_SPARES);
    }
}
