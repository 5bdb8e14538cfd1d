//! One `Set-Cookie` line, parsed the way a browser reads it (RFC 6265 §5.2), for judging.
//!
//! The proxy judges every `Set-Cookie` line of every response, so a verdict must cost no more
//! than a bare `cookie::Cookie::parse`: one pass over the bytes, no allocation, borrowed slices
//! and byte spans. It is also stricter than the `cookie` crate where a fail-closed filter needs
//! to know: a malformed `Max-Age`, `Expires` or `SameSite` is kept as `Invalid` rather than
//! silently dropped, and control characters or a nameless cookie are errors.

use std::fmt;
use std::ops::Range;

use super::cookie_date::parse_cookie_date;

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

/// Parses one Set-Cookie field value (RFC 6265 §5.2) without allocating: one vectorised read
/// for control characters, then one walk that splits at `;` and the first `=` of each part.
/// Attribute names match case-insensitively (§5.2 "case-insensitive match"); unknown and
/// empty (`;;`) attributes are skipped; SP and HTAB around `=` and `;` are trimmed; a comma is
/// not a separator (an `Expires` date contains one).
pub fn parse_set_cookie(line: &str) -> Result<SetCookie<'_>, ParseError> {
    if has_control_chars(line.as_bytes()) {
        return Err(ParseError::InvalidChars);
    }
    let (end, equals) = scan_segment(line, 0);
    let Some(equals) = equals else {
        return Err(match trim_wsp(line) {
            "" => ParseError::Empty,
            _ => ParseError::NoEquals,
        });
    };
    let name = trim_wsp(slice(line, 0..equals));
    if name.is_empty() {
        return Err(ParseError::EmptyName);
    }
    let mut cookie = SetCookie {
        name,
        value: trim_wsp(slice(line, equals + 1..end)),
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
    while semicolon < line.len() {
        let (end, equals) = scan_segment(line, semicolon + 1);
        let name = slice(line, semicolon + 1..equals.unwrap_or(end));
        let value = equals.map_or("", |equals| slice(line, equals + 1..end));
        cookie.apply_attribute(trim_wsp(name), trim_wsp(value), semicolon..end)?;
        semicolon = end;
    }
    Ok(cookie)
}

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

    /// Applies one trimmed attribute (RFC 6265 §5.2.1-§5.2.6, RFC 6265bis §5.6.7); `span` runs
    /// from its `;` to the next `;` or the end.
    fn apply_attribute(
        &mut self,
        name: &str,
        value: &'a str,
        span: Range<usize>,
    ) -> Result<(), ParseError> {
        let is = |expected: &str| name.eq_ignore_ascii_case(expected);
        if is("max-age") {
            self.lifetime_spans.push(span)?;
            self.max_age = Some(parse_max_age(value));
        } else if is("expires") {
            self.lifetime_spans.push(span)?;
            self.expires = Some(parse_expires(value));
        } else if is("samesite") {
            self.same_site_spans.push(span)?;
            self.same_site = Some(parse_same_site(value));
        } else if is("domain") {
            if !value.is_empty() {
                self.domain = Some(value);
            }
        } else if is("path") {
            self.path = Some(value).filter(|path| path.starts_with('/'));
        } else if is("secure") {
            self.secure = true;
        } else if is("httponly") {
            self.http_only = true;
        } else if is("partitioned") {
            self.partitioned = true;
        }
        Ok(())
    }
}

/// Finds the end of the part that starts at `start` (the next `;`, or the end) and the first
/// `=` in it (§5.2: name and value split there). The name is short, so it is walked byte by
/// byte; the value, which may be long, is left to `str::find`, which searches a word at a time.
fn scan_segment(line: &str, start: usize) -> (usize, Option<usize>) {
    let rest = line.get(start..).unwrap_or_default();
    for (offset, byte) in rest.bytes().enumerate() {
        match byte {
            b';' => return (start + offset, None),
            b'=' => {
                let after = start + offset + 1;
                let tail = line.get(after..).unwrap_or_default();
                let end = tail.find(';').map_or(line.len(), |end| after + end);
                return (end, Some(start + offset));
            }
            _ => {}
        }
    }
    (line.len(), None)
}

/// True when the line holds a CTL byte other than HTAB (RFC 6265bis §5.6 step 1). Written as
/// a branch-free fold so the compiler vectorises it: it is the one check that reads every byte.
fn has_control_chars(bytes: &[u8]) -> bool {
    let is_control = |byte: u8| ((byte < 0x20) & (byte != b'\t')) | (byte == 0x7F);
    bytes
        .iter()
        .fold(false, |found, &byte| found | is_control(byte))
}

/// Reads `Max-Age` per RFC 6265 §5.2.2: `-`? then 1*DIGIT, nothing else (no `+`, no unit),
/// clamped to the `i64` range instead of overflowing.
fn parse_max_age(value: &str) -> MaxAge {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, value),
    };
    if digits.is_empty() || value.len() > MAX_ATTRIBUTE_VALUE {
        return MaxAge::Invalid;
    }
    let seconds = digits.bytes().try_fold(0_i64, |seconds, byte| {
        let digit = i64::from(byte.checked_sub(b'0').filter(|digit| *digit <= 9)?);
        let shifted = seconds.saturating_mul(10);
        Some(if negative {
            shifted.saturating_sub(digit)
        } else {
            shifted.saturating_add(digit)
        })
    });
    seconds.map_or(MaxAge::Invalid, MaxAge::Seconds)
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
    if value.eq_ignore_ascii_case("strict") {
        SameSite::Strict
    } else if value.eq_ignore_ascii_case("lax") {
        SameSite::Lax
    } else if value.eq_ignore_ascii_case("none") {
        SameSite::None
    } else {
        SameSite::Invalid
    }
}

/// Trims the whitespace RFC 6265 §5.2 removes: SP and HTAB only. Byte-wise, since both are
/// ASCII: `str::trim_matches` would decode chars and cost several times more.
fn trim_wsp(text: &str) -> &str {
    let is_content = |byte: &u8| *byte != b' ' && *byte != b'\t';
    let bytes = text.as_bytes();
    let start = bytes.iter().position(is_content).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(is_content)
        .map_or(start, |last| last + 1);
    slice(text, start..end)
}

/// A sub-slice between ASCII delimiters (`;`, `=`), so always on a char boundary; the empty
/// fallback is unreachable.
fn slice(line: &str, range: Range<usize>) -> &str {
    line.get(range).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;
    /// `21 Oct 2037 07:28:00` (UTC), the RFC 6265 §4.1.1 example date.
    const AT_2037: i64 = 2_139_722_880;

    fn parse(line: &str) -> SetCookie<'_> {
        parse_set_cookie(line).unwrap()
    }

    /// The line with every span of `spans` cut out.
    fn without(line: &str, spans: &Spans) -> String {
        let mut kept = String::new();
        let mut from = 0;
        for span in spans.iter() {
            kept.push_str(&line[from..span.start]);
            from = span.end;
        }
        kept + &line[from..]
    }

    /// RFC 6265 §5.2 steps 3-4: name and value split at the first `=`, SP/HTAB trimmed, the
    /// value kept verbatim otherwise (empty, quoted, containing `=`, `,` or UTF-8).
    #[test]
    fn splits_and_trims_the_name_value_pair() {
        let cases = [
            ("a=1", "a", "1"),
            (" a = 1 ; Secure", "a", "1"),
            ("\ta\t=\t1\t", "a", "1"),
            ("a=", "a", ""),
            ("a=\"x y\"", "a", "\"x y\""),
            ("a=b=c", "a", "b=c"),
            ("a=é,ü", "a", "é,ü"),
        ];
        for (line, name, value) in cases {
            let cookie = parse(line);
            assert_eq!((cookie.name, cookie.value), (name, value), "{line:?}");
        }
    }

    /// RFC 6265 §5.2.2: `-`? 1*DIGIT only, anything else `Invalid`; out-of-range values clamp.
    #[test]
    fn reads_max_age_forms() {
        let cases = [
            ("0", MaxAge::Seconds(0)),
            ("-1", MaxAge::Seconds(-1)),
            ("60", MaxAge::Seconds(60)),
            ("007", MaxAge::Seconds(7)),
            ("+5", MaxAge::Invalid),
            ("5s", MaxAge::Invalid),
            ("", MaxAge::Invalid),
            ("-", MaxAge::Invalid),
            ("1 0", MaxAge::Invalid),
            ("99999999999999999999999", MaxAge::Seconds(i64::MAX)),
            ("-99999999999999999999", MaxAge::Seconds(i64::MIN)),
        ];
        for (value, expected) in cases {
            let line = format!("a=1; Max-Age={value}");
            assert_eq!(parse(&line).max_age, Some(expected), "{line:?}");
        }
    }

    /// RFC 6265bis §5.6: browsers ignore values over 1024 bytes, so a padded `Max-Age=000…0`
    /// must not read as a deletion.
    #[test]
    fn refuses_oversized_lifetime_values() {
        let line = format!("a=1; Max-Age={}", "0".repeat(1025));
        assert_eq!(parse(&line).max_age, Some(MaxAge::Invalid));
        let line = format!("a=1; Expires=21 Oct 2037 07:28:00 {}", "x".repeat(1024));
        assert_eq!(parse(&line).expires, Some(Expires::Invalid));
    }

    /// RFC 6265 §5.3 step 3: `Max-Age` beats `Expires` whichever comes first, the last of each
    /// wins, and an expiry not after now is a deletion.
    #[test]
    fn computes_lifetime_from_the_last_winning_attribute() {
        use Lifetime::{Expired, Seconds, Session};
        let future = Seconds(AT_2037 - NOW);
        let cases = [
            ("a=1", Session),
            ("a=1; Max-Age=60", Seconds(60)),
            ("a=1; Max-Age=60; Expires=1 Jan 70 0:0:0", Seconds(60)),
            ("a=1; Expires=1 Jan 70 0:0:0; Max-Age=60", Seconds(60)),
            ("a=1; Expires=21 Oct 37 7:28:0; Max-Age=0", Expired),
            ("a=1; Max-Age=60; Max-Age=-1", Expired),
            ("a=1; Max-Age=0; Max-Age=60", Seconds(60)),
            ("a=1; Expires=21 Oct 37 7:28:0", future),
            ("a=1; Expires=1 Jan 1970 00:00:00", Expired),
            (
                "a=1; Expires=1 Jan 70 0:0:0; Expires=21 Oct 37 7:28:0",
                future,
            ),
            (
                "a=1; Expires=21 Oct 37 7:28:0; Expires=1 Jan 70 0:0:0",
                Expired,
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line).lifetime(NOW), expected, "{line:?}");
        }
    }

    /// RFC 6265 §5.2.1-§5.2.2 as browsers apply them: an invalid `Max-Age` falls back to
    /// `Expires`, an invalid `Expires` to a session, and both stay visible as `Invalid`.
    #[test]
    fn ignores_invalid_lifetimes_but_reports_them() {
        let cookie = parse("a=1; Max-Age=5s; Expires=Wed, 21 Oct 2037 07:28:00 GMT");
        assert_eq!(cookie.max_age, Some(MaxAge::Invalid));
        assert_eq!(cookie.lifetime(NOW), Lifetime::Seconds(AT_2037 - NOW));
        let cookie = parse("a=1; Max-Age=60; Max-Age=x; Expires=tomorrow");
        assert_eq!(cookie.expires, Some(Expires::Invalid));
        assert_eq!(cookie.lifetime(NOW), Lifetime::Session);
    }

    /// Edge case: lifetime arithmetic saturates instead of overflowing.
    #[test]
    fn saturates_lifetime_arithmetic() {
        let cookie = parse("a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(cookie.lifetime(i64::MIN), Lifetime::Seconds(i64::MAX));
    }

    /// RFC 6265 §5.3 step 3: a cookie whose expiry is not after now deletes it.
    #[test]
    fn detects_deletions() {
        assert!(parse("a=; Max-Age=0").is_deletion(NOW));
        assert!(parse("a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT").is_deletion(NOW));
        assert!(!parse("a=1; Max-Age=1").is_deletion(NOW));
        assert!(!parse("a=1").is_deletion(NOW));
    }

    /// RFC 6265 §5.2: attribute names match case-insensitively; flag values are ignored.
    #[test]
    fn matches_attribute_names_case_insensitively() {
        let cookie =
            parse("a=1; max-AGE=5; SECURE; httponly=yes; PARTITIONED; DOMAIN=x.fr; PATH=/p");
        assert_eq!(cookie.max_age, Some(MaxAge::Seconds(5)));
        assert!(cookie.secure && cookie.http_only && cookie.partitioned);
        assert_eq!((cookie.domain, cookie.path), (Some("x.fr"), Some("/p")));
        let cookie = parse("a=1; EXPIRES=21 Oct 2037 07:28:00; sAmEsItE=sTrIcT");
        assert_eq!(cookie.expires, Some(Expires::At(AT_2037)));
        assert_eq!(cookie.same_site, Some(SameSite::Strict));
    }

    /// RFC 6265bis §5.6.7: `Strict`/`Lax`/`None` case-insensitively, anything else
    /// `Invalid`; the last one wins.
    #[test]
    fn reads_same_site_values() {
        let cases = [
            ("a=1; SameSite=Strict", Some(SameSite::Strict)),
            ("a=1; SameSite = lax ", Some(SameSite::Lax)),
            ("a=1; SameSite=NONE", Some(SameSite::None)),
            ("a=1; SameSite=Laxx", Some(SameSite::Invalid)),
            ("a=1; SameSite", Some(SameSite::Invalid)),
            ("a=1; SameSite=None; SameSite=Lax", Some(SameSite::Lax)),
            ("a=1", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line).same_site, expected, "{line:?}");
        }
    }

    /// RFC 6265 §5.2.3-§5.2.4: `Domain=` is ignored entirely (an earlier one stays), the last
    /// `Path` wins and an empty or relative one means the default-path.
    #[test]
    fn reads_domain_and_path() {
        let cases = [
            ("a=1; Domain=", None, None),
            ("a=1; Domain=.ex.fr; Domain= ", Some(".ex.fr"), None),
            ("a=1; Domain=a.fr; Domain=b.fr", Some("b.fr"), None),
            ("a=1; Path=/a; Path=/b", None, Some("/b")),
            ("a=1; Path=/a; Path=", None, None),
            ("a=1; Path=relative", None, None),
        ];
        for (line, domain, path) in cases {
            let cookie = parse(line);
            assert_eq!((cookie.domain, cookie.path), (domain, path), "{line:?}");
        }
    }

    /// RFC 6265 §5.2: empty (`;;`), trailing and unknown attributes are skipped.
    #[test]
    fn skips_empty_and_unknown_attributes() {
        for line in [
            "a=1;;",
            "a=1; ;\t; ",
            "a=1; Foo=bar; =x; Max-Agee=5",
            "a=1;",
        ] {
            assert_eq!(parse(line), parse("a=1"), "{line:?}");
        }
    }

    /// RFC 6265 §5.2 steps 2 and 5, RFC 6265bis §5.6 step 1: lines the filter refuses.
    #[test]
    fn refuses_malformed_lines() {
        let lifetimes = "a=1; Max-Age=1; Expires=x; Max-Age=2; Expires=y; Max-Age=3";
        let same_sites = "a=1; SameSite=a; SameSite=b; SameSite=c; SameSite=d; SameSite=e";
        let cases = [
            ("", ParseError::Empty),
            (" \t ", ParseError::Empty),
            ("novalue", ParseError::NoEquals),
            ("novalue; a=b", ParseError::NoEquals),
            ("=abc", ParseError::EmptyName),
            (" =abc", ParseError::EmptyName),
            ("a=b\x01c", ParseError::InvalidChars),
            ("a\x7f=b", ParseError::InvalidChars),
            ("a=b; Path=/\n", ParseError::InvalidChars),
            (lifetimes, ParseError::TooManyAttributes),
            (same_sites, ParseError::TooManyAttributes),
        ];
        for (line, error) in cases {
            assert_eq!(parse_set_cookie(line), Err(error), "{line:?}");
        }
    }

    /// Edge case: four lifetime attributes are still accepted (the limit is "more than 4").
    #[test]
    fn accepts_four_lifetime_attributes() {
        let cookie = parse("a=1; Max-Age=1; Expires=x; Max-Age=2; Expires=y");
        assert_eq!(cookie.lifetime_spans.len(), 4);
        assert!(!cookie.lifetime_spans.too_many);
    }

    /// Spans start at the preceding `;`, so cutting them out leaves the line without those
    /// attributes and nothing else changed.
    #[test]
    fn reports_spans_that_cut_out_cleanly() {
        let line = "a=1; Max-Age=10; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT";
        assert_eq!(without(line, &parse(line).lifetime_spans), "a=1; Path=/");
        let line = "a=1;SameSite=None; Secure ;samesite=lax";
        assert_eq!(without(line, &parse(line).same_site_spans), "a=1; Secure ");
        assert!(parse("a=1; Secure").lifetime_spans.is_empty());
    }

    /// RFC 6265 §5.2: only `;` separates; the comma of an `Expires` date splits nothing.
    #[test]
    fn keeps_commas_inside_expires() {
        let cookie = parse("id=a,b; Expires=Wed, 21 Oct 2037 07:28:00 GMT, HttpOnly; Secure");
        assert_eq!(cookie.value, "a,b");
        assert_eq!(cookie.expires, Some(Expires::At(AT_2037)));
        assert!(cookie.secure && !cookie.http_only);
    }

    /// Cookie-ish lines: a valid first pair, then real attribute names (any case) or junk
    /// with arbitrary values and whitespace.
    fn cookie_lines() -> impl Strategy<Value = String> {
        let names = "(?i)(max-age|expires|samesite|domain|path|secure|httponly|partitioned)";
        let name = prop_oneof![names, "[ \t]{0,2}[a-zA-Z-]{0,8}[ \t]{0,2}"];
        let value = proptest::option::of("[ \t]{0,2}=[ \t]{0,2}[ -:<-~\t]{0,30}");
        let attributes = proptest::collection::vec((name, value), 0..8);
        ("[a-z]{1,4}=[ -:<-~]{0,12}", attributes).prop_map(|(mut line, attributes)| {
            for (name, value) in attributes {
                line = line + ";" + &name + &value.unwrap_or_default();
            }
            line
        })
    }

    proptest! {
        /// Robustness: any unicode text parses or fails without panicking.
        #[test]
        fn parses_any_text_without_panicking(line in any::<String>(), now in any::<i64>()) {
            if let Ok(cookie) = parse_set_cookie(&line) {
                let _ = cookie.lifetime(now);
            }
        }

        /// Robustness: byte soup (lossily decoded, so with CTLs and U+FFFD) never panics.
        #[test]
        fn parses_any_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(cookie) = parse_set_cookie(&String::from_utf8_lossy(&bytes)) {
                let _ = cookie.lifetime(0);
            }
        }

        /// Spans start at a `;` and end at a `;` or the end; cutting out the lifetime spans
        /// leaves a valid line with no `Max-Age`/`Expires` and the same `SameSite`.
        #[test]
        fn spans_cut_out_whole_attributes(line in cookie_lines(), now in any::<i64>()) {
            let Ok(cookie) = parse_set_cookie(&line) else { return Ok(()) };
            let _ = cookie.lifetime(now);
            for span in cookie.lifetime_spans.iter().chain(cookie.same_site_spans.iter()) {
                prop_assert_eq!(line.as_bytes().get(span.start), Some(&b';'));
                prop_assert!(matches!(line.as_bytes().get(span.end), None | Some(b';')));
            }
            let kept = without(&line, &cookie.lifetime_spans);
            let stripped = parse_set_cookie(&kept);
            prop_assert_eq!(stripped.map(|c| (c.max_age, c.expires, c.same_site)),
                Ok((None, None, cookie.same_site)));
        }
    }
}
