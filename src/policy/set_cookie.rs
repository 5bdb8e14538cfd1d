//! One `Set-Cookie` line, parsed the way a browser reads it (RFC 6265 §5.2), for judging.
//!
//! The proxy judges every `Set-Cookie` line of every response, so a verdict must cost no more
//! than a bare `cookie::Cookie::parse`: one pass over the bytes, no allocation, borrowed slices
//! and byte spans. It is also stricter than the `cookie` crate where a fail-closed filter needs
//! to know: a malformed `Max-Age`, `Expires` or `SameSite` is kept as `Invalid` rather than
//! silently dropped, and control characters or a nameless cookie are errors.

use std::fmt;
use std::ops::Range;

use http::HeaderValue;

use super::cookie_date::parse_cookie_date;
use words::{bytes_equal, find_delimiter, has_control_chars, load_word, Folded};

/// Longest attribute value a browser honours (RFC 6265bis §5.6: a longer cookie-av is
/// ignored). A longer lifetime value is `Invalid`, so `Max-Age=000…0` cannot pass as a deletion
/// while the browser ignores it and keeps an `Expires` years away.
const MAX_ATTRIBUTE_VALUE: usize = 1024;

/// One parsed Set-Cookie line (RFC 6265 §5.2), borrowing from the input.
///
/// Repeated attributes: the LAST one wins, because §5.3 step 3 reads "the last attribute in the
/// cookie-attribute-list" for `Max-Age` and `Expires`, and browsers overwrite earlier values in
/// list order for the others too. Browsers (Chrome, Firefox) keep the last *raw* value and
/// only then find it unparsable, falling back to `Expires` or a session; §5.2.2 would instead
/// drop the invalid one and keep an earlier valid one. Callers that refuse any `Invalid` are
/// right under both readings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie<'a> {
    /// The cookie name, trimmed of SP and HTAB (§5.2 step 4); never empty.
    pub name: &'a str,
    /// The value, trimmed; outer DQUOTEs kept, since the proxy never needs to decode it.
    pub value: &'a str,
    /// The last `Max-Age` attribute (§5.2.2).
    pub max_age: Option<MaxAge>,
    /// The last `Expires` attribute (§5.2.1).
    pub expires: Option<Expires>,
    /// The last non-empty `Domain` value, trimmed, leading `.` kept (§5.2.3 says an empty
    /// value SHOULD be ignored entirely, so `Domain=` leaves an earlier one in place).
    pub domain: Option<&'a str>,
    /// The last `Path` value when it starts with `/`; `None` when absent, empty or not
    /// starting with `/`, all of which mean the default-path (§5.2.4).
    pub path: Option<&'a str>,
    /// A `Secure` attribute is present, whatever its value (§5.2.5).
    pub secure: bool,
    /// An `HttpOnly` attribute is present, whatever its value (§5.2.6).
    pub http_only: bool,
    /// The last `SameSite` attribute (RFC 6265bis §5.6.7).
    pub same_site: Option<SameSite>,
    /// A `Partitioned` attribute (CHIPS) is present.
    pub partitioned: bool,
    /// Spans of every `Max-Age` and `Expires` attribute, in order, so a caller can rewrite
    /// the lifetime by removing exactly these spans (see [`Spans`]).
    pub lifetime_spans: Spans,
    /// Spans of every `SameSite` attribute, in order, for replacing a wrong one.
    pub same_site_spans: Spans,
}

/// A `Max-Age` attribute (RFC 6265 §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAge {
    /// `-`? 1*DIGIT, clamped to the `i64` range (a huge positive value is still longer than any
    /// declared lifetime; a huge negative one is a deletion); `<= 0` deletes the cookie.
    Seconds(i64),
    /// Anything else (`+5`, `5s`, empty, over 1024 bytes): the browser ignores it.
    Invalid,
}

/// An `Expires` attribute (RFC 6265 §5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expires {
    /// Seconds since the Unix epoch, UTC, as read by the §5.1.1 algorithm.
    At(i64),
    /// Not a cookie-date (or over 1024 bytes): the browser ignores it.
    Invalid,
}

/// A `SameSite` attribute (RFC 6265bis §5.6.7); values match case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Also sent on top-level cross-site navigations.
    Lax,
    /// Sent on cross-site requests too (browsers require `Secure` with it).
    None,
    /// Any other value: browsers then apply their default (Lax).
    Invalid,
}

/// When a cookie ends, relative to a given now (RFC 6265 §5.3 step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Neither a valid `Max-Age` nor a valid `Expires`: the cookie ends with the session.
    Session,
    /// The line deletes the cookie (`Max-Age <= 0`, or `Expires` not after now).
    Expired,
    /// The cookie persists this many seconds (> 0).
    Seconds(i64),
}

/// Byte spans within the original line, each from the `;` that precedes an attribute up to,
/// not including, the next `;` or the end, so that cutting them out leaves a well-formed line.
/// Fixed capacity of four: no heap allocation on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spans {
    stored: [(u32, u32); 4],
    len: u8,
    /// More spans than fit (or one past 4 GiB). `parse_set_cookie` fails with
    /// [`ParseError::TooManyAttributes`] instead of returning such a line, so this is always
    /// false in a parsed [`SetCookie`].
    pub too_many: bool,
}

impl Spans {
    /// The spans in line order.
    pub fn iter(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let stored = self.stored.iter().take(usize::from(self.len));
        stored.map(|&(start, end)| start as usize..end as usize)
    }

    /// How many spans are stored.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when no span is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records one more span, or marks the set as overflowing.
    fn push(&mut self, span: Range<usize>) -> Result<(), ParseError> {
        let slot = self.stored.get_mut(usize::from(self.len));
        match (slot, u32::try_from(span.start), u32::try_from(span.end)) {
            (Some(slot), Ok(start), Ok(end)) => {
                *slot = (start, end);
                self.len += 1;
                Ok(())
            }
            _ => {
                self.too_many = true;
                Err(ParseError::TooManyAttributes)
            }
        }
    }
}

/// Why a line is refused. A browser ignores most of these lines; the filter fails closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The line is empty or only SP/HTAB.
    Empty,
    /// The first pair has no `=`: RFC 6265 §5.2 step 2 ignores the line, RFC 6265bis makes it
    /// a nameless cookie; either way it is not something to let through.
    NoEquals,
    /// The name is empty after trimming (§5.2 step 5).
    EmptyName,
    /// A CTL byte (0x00-0x1F except HTAB, or 0x7F) anywhere in the line: RFC 6265bis §5.6
    /// step 1 aborts and ignores the whole line.
    InvalidChars,
    /// More than four `Max-Age`/`Expires`, or more than four `SameSite`, attributes.
    TooManyAttributes,
}

impl ParseError {
    /// A short, stable description, for logs and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty Set-Cookie line",
            Self::NoEquals => "Set-Cookie name-value pair has no '='",
            Self::EmptyName => "Set-Cookie name is empty",
            Self::InvalidChars => "Set-Cookie line contains a control character",
            Self::TooManyAttributes => "too many Max-Age, Expires or SameSite attributes",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ParseError {}

/// Parses one Set-Cookie field value (RFC 6265 §5.2) without allocating: one word-at-a-time
/// read for control characters, then one walk that splits at `;` and the first `=` of each
/// part, eight bytes at a time, with byte offsets until a field is stored (every line of every
/// response comes through here, so the walk avoids re-checking `str` boundaries at each step).
/// Attribute names match case-insensitively (§5.2 "case-insensitive match"); unknown and
/// empty (`;;`) attributes are skipped; SP and HTAB around `=` and `;` are trimmed; a comma is
/// not a separator (an `Expires` date contains one).
pub fn parse_set_cookie(line: &str) -> Result<SetCookie<'_>, ParseError> {
    if has_control_chars(line.as_bytes()) {
        return Err(ParseError::InvalidChars);
    }
    parse_clean_line(line)
}

/// A field value's text: UTF-8, and free of control characters other than HTAB, since a
/// `HeaderValue` refuses them (RFC 9110 §5.5). Every response's lines are such values, so their
/// parse need not look for control characters again.
#[derive(Debug, Clone, Copy)]
pub struct FieldText<'a>(&'a str);

impl<'a> FieldText<'a> {
    /// The value's text, or `None` when it is not UTF-8 (obs-text that is not).
    pub fn of(value: &'a HeaderValue) -> Option<FieldText<'a>> {
        std::str::from_utf8(value.as_bytes()).ok().map(FieldText)
    }

    pub fn as_str(self) -> &'a str {
        self.0
    }
}

/// [`parse_set_cookie`] for a field value's text.
pub fn parse_field_text(line: FieldText<'_>) -> Result<SetCookie<'_>, ParseError> {
    parse_clean_line(line.0)
}

/// The parse itself, for a line known to hold no control character.
fn parse_clean_line(line: &str) -> Result<SetCookie<'_>, ParseError> {
    let bytes = line.as_bytes();
    // The cookie's value may be long (a token, a JWT): a vectorised search finds its end.
    let end = memchr::memchr(b';', bytes).unwrap_or(bytes.len());
    let pair = bytes.get(..end).unwrap_or_default();
    let Some(equals) = memchr::memchr(b'=', pair) else {
        return Err(match trim_wsp(bytes, 0, bytes.len()) {
            (start, end) if start == end => ParseError::Empty,
            _ => ParseError::NoEquals,
        });
    };
    let name = trim_wsp(bytes, 0, equals);
    if name.0 == name.1 {
        return Err(ParseError::EmptyName);
    }
    let mut cookie = SetCookie {
        name: slice(line, name),
        value: slice(line, trim_wsp(bytes, equals + 1, end)),
        max_age: None,
        expires: None,
        domain: None,
        path: None,
        secure: false,
        http_only: false,
        same_site: None,
        partitioned: false,
        lifetime_spans: Spans::default(),
        same_site_spans: Spans::default(),
    };
    // `semicolon` is the index of the `;` that opens the next attribute (§5.2 step 1 of the
    // unparsed-attributes loop).
    let mut semicolon = end;
    while semicolon < bytes.len() {
        let attribute = read_attribute(bytes, semicolon + 1);
        cookie.apply_attribute(line, &attribute, semicolon..attribute.end)?;
        semicolon = attribute.end;
    }
    Ok(cookie)
}

/// One attribute of the line: its name folded for matching, and the spans of its trimmed name
/// and value; `end` is the offset of the `;` that ends it, or the line's length.
struct Attribute {
    folded: Folded,
    name: Span,
    value: Span,
    end: usize,
}

/// Reads the attribute that starts at `start` (just after its `;`). The usual attribute, a name
/// of one to eight bytes right before its `=`, `;` or the end of the line, is read from one word
/// that also gives its folded name; anything else (a longer name, whitespace before the `=`, an
/// empty name) takes the general way, which splits first and trims after (§5.2).
fn read_attribute(bytes: &[u8], start: usize) -> Attribute {
    let name_start = skip_wsp(bytes, start);
    let word = load_word(bytes, name_start);
    let found = bytes_equal(word, b'=') | bytes_equal(word, b';');
    let name_len = match found {
        0 => bytes.len().saturating_sub(name_start).min(8),
        found => (found.trailing_zeros() / 8) as usize,
    };
    let name_end = name_start + name_len;
    let ends_name = matches!(bytes.get(name_end), None | Some(b'=' | b';'));
    let last_is_wsp = matches!(bytes.get(name_end.wrapping_sub(1)), Some(b' ' | b'\t'));
    if name_len == 0 || !ends_name || last_is_wsp {
        return read_attribute_generally(bytes, start);
    }
    let folded = Folded::of_word(word, name_len);
    let (value, end) = match bytes.get(name_end) {
        Some(b'=') => {
            let end = find_delimiter(bytes, name_end + 1, false);
            (trim_wsp(bytes, name_end + 1, end), end)
        }
        _ => ((name_end, name_end), name_end),
    };
    Attribute {
        folded,
        name: (name_start, name_end),
        value,
        end,
    }
}

/// [`read_attribute`] for any attribute: split at the first `=`, then trim both sides.
fn read_attribute_generally(bytes: &[u8], start: usize) -> Attribute {
    let (end, equals) = scan_attribute(bytes, start);
    let (name, value) = match equals {
        Some(equals) => (
            trim_wsp(bytes, start, equals),
            trim_wsp(bytes, equals + 1, end),
        ),
        None => (trim_wsp(bytes, start, end), (end, end)),
    };
    Attribute {
        folded: Folded::of(bytes, name),
        name,
        value,
        end,
    }
}

/// A byte range of the line, as start and end offsets (cheaper to pass around than a `Range`,
/// which is not `Copy`).
type Span = (usize, usize);

impl<'a> SetCookie<'a> {
    /// The cookie's expiry relative to `now` (Unix seconds). RFC 6265 §5.3 step 3: `Max-Age`
    /// wins over `Expires`, whatever their order. An `Invalid` one is ignored, exactly as a
    /// browser ignores it: `Max-Age` falls back to `Expires`, `Expires` to a session.
    pub fn lifetime(&self, now: i64) -> Lifetime {
        match (self.max_age, self.expires) {
            (Some(MaxAge::Seconds(secs)), _) if secs <= 0 => Lifetime::Expired,
            (Some(MaxAge::Seconds(secs)), _) => Lifetime::Seconds(secs),
            (_, Some(Expires::At(at))) if at <= now => Lifetime::Expired,
            (_, Some(Expires::At(at))) => Lifetime::Seconds(at.saturating_sub(now)),
            _ => Lifetime::Session,
        }
    }

    /// True when the line deletes a cookie (its lifetime is [`Lifetime::Expired`]).
    pub fn is_deletion(&self, now: i64) -> bool {
        self.lifetime(now) == Lifetime::Expired
    }

    /// Applies one trimmed attribute (RFC 6265 §5.2.1-§5.2.6, RFC 6265bis §5.6.7), read from
    /// `line`; `span` runs from its `;` to the next `;` or the end.
    fn apply_attribute(
        &mut self,
        line: &'a str,
        attribute: &Attribute,
        span: Range<usize>,
    ) -> Result<(), ParseError> {
        let (name, value) = (attribute.name, attribute.value);
        let has_value = value.0 != value.1;
        match attribute.folded {
            MAX_AGE => {
                self.lifetime_spans.push(span)?;
                self.max_age = Some(parse_max_age(slice(line, value)));
            }
            EXPIRES => {
                self.lifetime_spans.push(span)?;
                self.expires = Some(parse_expires(slice(line, value)));
            }
            SAME_SITE => {
                self.same_site_spans.push(span)?;
                self.same_site = Some(parse_same_site(slice(line, value)));
            }
            HTTP_ONLY => self.http_only = true,
            // An empty `Domain=` leaves an earlier one in place (§5.2.3).
            DOMAIN if has_value => self.domain = Some(slice(line, value)),
            SECURE => self.secure = true,
            PATH => self.path = Some(slice(line, value)).filter(|path| path.starts_with('/')),
            _ if is_partitioned(line.as_bytes(), name) => self.partitioned = true,
            _ => {}
        }
        Ok(())
    }
}

/// The attribute names and `SameSite` values the parse recognises, folded (`words::Folded`).
const MAX_AGE: Folded = Folded::of_name(b"max-age");
const EXPIRES: Folded = Folded::of_name(b"expires");
const SAME_SITE: Folded = Folded::of_name(b"samesite");
const HTTP_ONLY: Folded = Folded::of_name(b"httponly");
const DOMAIN: Folded = Folded::of_name(b"domain");
const SECURE: Folded = Folded::of_name(b"secure");
const PATH: Folded = Folded::of_name(b"path");
const STRICT: Folded = Folded::of_name(b"strict");
const LAX: Folded = Folded::of_name(b"lax");
const NONE: Folded = Folded::of_name(b"none");

/// `Partitioned` (CHIPS), the one attribute name longer than a word.
fn is_partitioned(bytes: &[u8], (start, end): Span) -> bool {
    let name = bytes.get(start..end).unwrap_or_default();
    name.eq_ignore_ascii_case(b"partitioned")
}

/// Finds the end of the attribute that starts at `start` (the next `;`, or the end) and the
/// first `=` in it (§5.2: name and value split there).
fn scan_attribute(bytes: &[u8], start: usize) -> (usize, Option<usize>) {
    let first = find_delimiter(bytes, start, true);
    match bytes.get(first) {
        Some(b'=') => (find_delimiter(bytes, first + 1, false), Some(first)),
        _ => (first, None),
    }
}

/// Reads `Max-Age` per RFC 6265 §5.2.2: `-`? then 1*DIGIT, nothing else (no `+`, no unit),
/// clamped to the `i64` range instead of overflowing.
fn parse_max_age(value: &str) -> MaxAge {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(digits) => (true, digits.as_bytes()),
        None => (false, value.as_bytes()),
    };
    if digits.is_empty()
        || value.len() > MAX_ATTRIBUTE_VALUE
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return MaxAge::Invalid;
    }
    // Up to 18 digits cannot overflow an `i64`: the usual case needs no saturating steps.
    let seconds = if digits.len() <= 18 {
        let magnitude = digits.iter().fold(0_i64, |seconds, digit| {
            seconds * 10 + i64::from(digit - b'0')
        });
        if negative {
            -magnitude
        } else {
            magnitude
        }
    } else {
        digits.iter().fold(0_i64, |seconds, digit| {
            let shifted = seconds.saturating_mul(10);
            let digit = i64::from(digit - b'0');
            if negative {
                shifted.saturating_sub(digit)
            } else {
                shifted.saturating_add(digit)
            }
        })
    };
    MaxAge::Seconds(seconds)
}

/// Reads `Expires` per RFC 6265 §5.2.1 with the §5.1.1 date algorithm.
fn parse_expires(value: &str) -> Expires {
    if value.len() > MAX_ATTRIBUTE_VALUE {
        return Expires::Invalid;
    }
    parse_cookie_date(value).map_or(Expires::Invalid, Expires::At)
}

/// Reads `SameSite` per RFC 6265bis §5.6.7: `Strict`, `Lax` or `None`, case-insensitively.
fn parse_same_site(value: &str) -> SameSite {
    match Folded::of(value.as_bytes(), (0, value.len())) {
        STRICT => SameSite::Strict,
        LAX => SameSite::Lax,
        NONE => SameSite::None,
        _ => SameSite::Invalid,
    }
}

/// The first offset at or after `at` that is not SP or HTAB (or the length of `bytes`).
fn skip_wsp(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// Trims the whitespace RFC 6265 §5.2 removes from `start..end`: SP and HTAB only. Byte-wise,
/// since both are ASCII: `str::trim_matches` would decode chars and cost several times more.
fn trim_wsp(bytes: &[u8], mut start: usize, mut end: usize) -> Span {
    let is_wsp = |at: usize| matches!(bytes.get(at), Some(b' ' | b'\t'));
    while start < end && is_wsp(start) {
        start += 1;
    }
    while end > start && is_wsp(end - 1) {
        end -= 1;
    }
    (start, end)
}

/// A sub-slice between ASCII delimiters (`;`, `=`, SP, HTAB), so always on a char boundary;
/// the empty fallback is unreachable.
fn slice(line: &str, (start, end): Span) -> &str {
    line.get(start..end).unwrap_or_default()
}

mod words;

#[cfg(test)]
mod tests;
