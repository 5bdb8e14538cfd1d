//! Header fields as `httparse` found them, turned into a field list whose values share the
//! head's bytes (no copy): for request heads here and for response heads on the upstream side.

use std::mem::MaybeUninit;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use smallvec::SmallVec;

use super::names::name_from_bytes;
use crate::fields::{FieldAccess, Fields};
use crate::proxy::spare::take_field_list;

/// The most fields a head may carry (as hyper and nginx bound them): more gets 431 from the
/// visitor's side and a 502 from the upstream's.
pub const MAX_FIELDS: usize = 100;

/// Where each field of one head lies. On the stack and never initialised beyond the fields
/// the head holds: zeroing room for a hundred fields per head cost more than parsing it.
pub type FieldRanges = SmallVec<[FieldRange; MAX_FIELDS]>;

/// Room for `httparse` to write the fields it finds, left uninitialised for the same reason.
pub type FieldSlots<'b> = [MaybeUninit<httparse::Header<'b>>; MAX_FIELDS];

/// Empty slots for one parse.
pub const fn field_slots<'b>() -> FieldSlots<'b> {
    [const { MaybeUninit::uninit() }; MAX_FIELDS]
}

/// Notes in `ranges` where each of `fields` lies in the buffer that starts at address `base`
/// (filled in place: returning the ranges would copy their whole room).
pub fn locate_fields(fields: &[httparse::Header<'_>], base: usize, ranges: &mut FieldRanges) {
    ranges.extend(fields.iter().map(|field| FieldRange::locate(field, base)));
}

/// Writes `name: value` lines (names as `http` stores them, lower case).
pub fn write_fields<'a>(
    out: &mut Vec<u8>,
    fields: impl IntoIterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) {
    for (name, value) in fields {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A `Content-Length` value: digits only (no sign, no space inside), at most 19 of them so
/// that it fits a `u64` (RFC 9110 §8.6).
pub fn parse_length(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        text.iter()
            .fold(0, |n, digit| n * 10 + u64::from(digit - b'0')),
    )
}

/// Byte ranges of one field inside the head, taken while `httparse` borrows the buffer (the
/// head is frozen into `Bytes` only afterwards).
#[derive(Clone, Copy, Default)]
pub struct FieldRange {
    name: (usize, usize),
    value: (usize, usize),
}

impl FieldRange {
    /// Where `field` lies in the buffer that starts at address `base`.
    pub fn locate(field: &httparse::Header<'_>, base: usize) -> Self {
        FieldRange {
            name: span(field.name.as_bytes(), base),
            value: span(field.value, base),
        }
    }
}

impl FieldRange {
    /// The field's name and value; the value shares `head`'s bytes.
    fn field(&self, head: &Bytes) -> Result<(HeaderName, HeaderValue), &'static str> {
        let (at, len) = self.name;
        let name = name_from_bytes(&head[at..at + len]).map_err(|_| "malformed field name")?;
        let (at, len) = self.value;
        let value = HeaderValue::from_maybe_shared(head.slice(at..at + len))
            .map_err(|_| "malformed field value")?;
        Ok((name, value))
    }
}

/// `(offset, length)` of `part` inside the buffer that starts at address `base`.
pub fn span(part: &[u8], base: usize) -> (usize, usize) {
    (part.as_ptr() as usize - base, part.len())
}

/// The fields of `head` as a list in wire order, with room for `room`
/// more; the reason when a name or value is not a valid field.
pub fn build_fields(
    head: &Bytes,
    ranges: &[FieldRange],
    room: usize,
) -> Result<Fields, &'static str> {
    let mut fields = take_field_list(ranges.len() + room);
    for range in ranges {
        let (name, value) = range.field(head)?;
        fields.add(name, value);
    }
    Ok(fields)
}
