//! Reading a line eight bytes at a time: the word loads, byte tests and case folding the
//! `Set-Cookie` parse is built on. Each test is exact per byte (no carry or borrow crosses from
//! one byte into the next), so a word answers for its eight bytes at once.

use super::Span;

/// A name of up to eight bytes folded into one word for a case-insensitive comparison: its
/// bytes little-endian with each ASCII capital lowered, and its length, so that matching an
/// attribute name is one integer comparison instead of a byte loop per candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Folded(u64, usize);

impl Folded {
    /// Folds a candidate name, byte by byte (at compile time).
    pub(super) const fn of_name(name: &[u8]) -> Folded {
        let mut word = 0_u64;
        let mut index = 0;
        while index < name.len() && index < 8 {
            word |= (name[index].to_ascii_lowercase() as u64) << (8 * index);
            index += 1;
        }
        Folded(word, name.len())
    }

    /// Folds `bytes[start..end]` eight bytes at a time. Only capitals are lowered (setting
    /// bit 5 of every byte would fold CR, 0x0D, to `-`), so two names fold alike exactly when
    /// they are equal ignoring ASCII case. A name over eight bytes folds to length 0, which
    /// no candidate has.
    pub(super) fn of(bytes: &[u8], (start, end): Span) -> Folded {
        let len = end.saturating_sub(start);
        if len == 0 || len > 8 {
            return Folded(0, 0);
        }
        Folded::of_word(load_word(bytes, start), len)
    }

    /// Folds the first `len` bytes (1 to 8) of a word already loaded.
    pub(super) fn of_word(word: u64, len: usize) -> Folded {
        Folded(lower_capitals(word & low_bytes(len)), len)
    }
}

/// A mask of the low `len` bytes of a word (`len` from 1 to 8).
fn low_bytes(len: usize) -> u64 {
    u64::MAX >> (64 - 8 * len)
}

/// Sets bit 5 of each byte of `word` that is an ASCII capital. Each byte's low seven bits
/// plus a constant cannot carry into the next byte, so the two range tests are per byte.
fn lower_capitals(word: u64) -> u64 {
    let low7 = word & LOW7;
    let from_a = low7 + repeat(0x80 - b'A');
    let after_z = low7 + repeat(0x80 - b'Z' - 1);
    let capitals = from_a & !after_z & !word & HIGHS;
    word | (capitals >> 2)
}

/// The eight bytes from `at` as a little-endian word, padded with spaces past the end of
/// `bytes` (a space is neither a delimiter, nor a letter, nor a control character, so the
/// padding never matches).
#[inline]
pub(super) fn load_word(bytes: &[u8], at: usize) -> u64 {
    if let Some(eight) = bytes.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(eight);
        return u64::from_le_bytes(word);
    }
    let rest = bytes.len().saturating_sub(at);
    match bytes
        .len()
        .checked_sub(8)
        .and_then(|from| bytes.get(from..))
    {
        // The last attribute of nearly every line ends within a word of the end: its word is
        // the line's last eight bytes shifted down, rather than a copy of a variable length
        // (which is a `memcpy` call).
        Some(last) if rest > 0 => {
            let mut word = [0; 8];
            word.copy_from_slice(last);
            (u64::from_le_bytes(word) >> (8 * (8 - rest))) | (repeat(b' ') << (8 * rest))
        }
        _ => {
            let mut word = [b' '; 8];
            for (slot, byte) in word.iter_mut().zip(bytes.get(at..).unwrap_or_default()) {
                *slot = *byte;
            }
            u64::from_le_bytes(word)
        }
    }
}

const LOW7: u64 = repeat(0x7F);
const HIGHS: u64 = repeat(0x80);

/// `byte` in each of a word's eight bytes.
const fn repeat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// The high bit of each byte of `word` that equals `byte`, and no other bit (exact: no
/// borrow runs from one byte into the next).
pub(super) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let diff = word ^ repeat(byte);
    !(((diff & LOW7) + LOW7) | diff | LOW7)
}

/// The offset of the first `;` (or `=` too, when `or_equals`) at or after `from`, or the
/// length of `bytes` when there is none. Attributes are short: eight bytes at a time beats
/// both a byte loop and a vectorised search's setup.
pub(super) fn find_delimiter(bytes: &[u8], from: usize, or_equals: bool) -> usize {
    let mut at = from;
    while at < bytes.len() {
        let word = load_word(bytes, at);
        let mut found = bytes_equal(word, b';');
        if or_equals {
            found |= bytes_equal(word, b'=');
        }
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    bytes.len()
}

/// True when the line holds a CTL byte other than HTAB (RFC 6265bis §5.6 step 1). It is the
/// one check that reads every byte, so it reads eight at a time: a word with no byte below
/// 0x20 and none equal to 0x7F is clean; only a word with a candidate (usually an HTAB) is
/// looked at byte by byte.
pub(super) fn has_control_chars(bytes: &[u8]) -> bool {
    let is_control = |byte: &u8| (*byte < 0x20 && *byte != b'\t') || *byte == 0x7F;
    let mut words = bytes.chunks_exact(8);
    for chunk in words.by_ref() {
        let mut word = [0_u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        // The classic "has a byte less than n" test: no false negatives, and a false positive
        // only costs the byte-wise look.
        let below_space = word.wrapping_sub(repeat(0x20)) & !word & HIGHS;
        if below_space | bytes_equal(word, 0x7F) != 0 && chunk.iter().any(is_control) {
            return true;
        }
    }
    words.remainder().iter().any(is_control)
}
