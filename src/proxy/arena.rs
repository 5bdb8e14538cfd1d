//! Small byte strings that must outlive the buffer they were read or written into (a request's
//! head, its request id), copied into one shared block per thread rather than each into an
//! allocation of its own.
//!
//! A request head is copied out of its read buffer so that the buffer can serve the next read
//! (see `h1::head`), and the request id is a fresh value on every request. Each used to be a
//! `Bytes` of its own: one `malloc` for the bytes, a second for the shared header the first
//! `slice` of them adds (every field value of a head is such a slice), and two `free`s when the
//! request ends; about 600 instructions a request on the load benchmark (docs/performance.md).
//! Copied into a block, each is a slice of the block: its slices and its drop only count
//! references, and a block is allocated once per few dozen requests. A block lives until the last
//! string copied into it is dropped, so a slow request keeps at most one block
//! ([`BLOCK_SIZE`]) alive besides its own bytes.

use std::cell::RefCell;

use bytes::{Bytes, BytesMut};

/// Room of one block: about thirty request heads of a browser's usual size.
pub const BLOCK_SIZE: usize = 8 * 1024;

/// Strings longer than this get an allocation of their own, so that one large head does not
/// leave most of a block unused.
const LARGEST_SHARED: usize = BLOCK_SIZE / 4;

thread_local! {
    /// The block being filled on this thread; what was copied before is split off it.
    static BLOCK: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// A copy of `bytes` that shares this thread's current block.
pub fn copy_to_shared(bytes: &[u8]) -> Bytes {
    if bytes.len() > LARGEST_SHARED {
        return Bytes::copy_from_slice(bytes);
    }
    BLOCK.with(|block| {
        let mut block = block.borrow_mut();
        // The room left in the block: `split` hands out what was written and keeps the rest.
        if block.capacity() < bytes.len() {
            *block = BytesMut::with_capacity(BLOCK_SIZE);
        }
        block.extend_from_slice(bytes);
        block.split().freeze()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_one_block_and_outlive_it() {
        let first = copy_to_shared(b"GET / HTTP/1.1\r\n\r\n");
        let second = copy_to_shared(b"0f8fad5b-d9cb-469f-a165-70867728950e");
        assert_eq!(&first[..], b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(&second[..], b"0f8fad5b-d9cb-469f-a165-70867728950e");
        assert_eq!(second.as_ptr(), first.as_ptr().wrapping_add(first.len()));
        // Filling blocks past their room starts new ones; the early copies keep their bytes.
        let filler = vec![b'x'; LARGEST_SHARED];
        let later: Vec<Bytes> = (0..2 * BLOCK_SIZE / LARGEST_SHARED + 2)
            .map(|_| copy_to_shared(&filler))
            .collect();
        assert!(later.iter().all(|copy| copy[..] == filler[..]));
        assert_eq!(&first[..], b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(&second.slice(0..8)[..], b"0f8fad5b");
    }

    #[test]
    fn copies_a_large_string_on_its_own() {
        let before = copy_to_shared(b"ab");
        let large = vec![b'h'; LARGEST_SHARED + 1];
        let copy = copy_to_shared(&large);
        let after = copy_to_shared(b"cd");
        assert_eq!(copy[..], large[..]);
        // The large copy took no room in the block: the next small one follows the last.
        assert_eq!(after.as_ptr(), before.as_ptr().wrapping_add(2));
        assert_eq!(&after[..], b"cd");
    }

    #[test]
    fn an_empty_string_copies_to_an_empty_one() {
        assert!(copy_to_shared(b"").is_empty());
    }
}
