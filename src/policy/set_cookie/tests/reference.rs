//! The parser as it stood before the walk over byte ranges (`str` slices at every step, a chain
//! of name comparisons, saturating arithmetic for every `Max-Age` digit), kept as the oracle
//! the property test holds the faster one to.

use std::ops::Range;

use super::super::{
    has_control_chars, parse_expires, parse_same_site, MaxAge, ParseError, SetCookie, Spans,
    MAX_ATTRIBUTE_VALUE,
};

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
    let mut semicolon = end;
    while semicolon < line.len() {
        let (end, equals) = scan_segment(line, semicolon + 1);
        let name = slice(line, semicolon + 1..equals.unwrap_or(end));
        let value = equals.map_or("", |equals| slice(line, equals + 1..end));
        apply_attribute(&mut cookie, trim_wsp(name), trim_wsp(value), semicolon..end)?;
        semicolon = end;
    }
    Ok(cookie)
}

fn apply_attribute<'a>(
    cookie: &mut SetCookie<'a>,
    name: &str,
    value: &'a str,
    span: Range<usize>,
) -> Result<(), ParseError> {
    let is = |expected: &str| name.eq_ignore_ascii_case(expected);
    if is("max-age") {
        cookie.lifetime_spans.push(span)?;
        cookie.max_age = Some(parse_max_age(value));
    } else if is("expires") {
        cookie.lifetime_spans.push(span)?;
        cookie.expires = Some(parse_expires(value));
    } else if is("samesite") {
        cookie.same_site_spans.push(span)?;
        cookie.same_site = Some(parse_same_site(value));
    } else if is("domain") {
        if !value.is_empty() {
            cookie.domain = Some(value);
        }
    } else if is("path") {
        cookie.path = Some(value).filter(|path| path.starts_with('/'));
    } else if is("secure") {
        cookie.secure = true;
    } else if is("httponly") {
        cookie.http_only = true;
    } else if is("partitioned") {
        cookie.partitioned = true;
    }
    Ok(())
}

fn scan_segment(line: &str, start: usize) -> (usize, Option<usize>) {
    let rest = line.get(start..).unwrap_or_default();
    for (offset, byte) in rest.bytes().enumerate() {
        match byte {
            b';' => return (start + offset, None),
            b'=' => {
                let end = line[start + offset + 1..]
                    .find(';')
                    .map_or(line.len(), |at| start + offset + 1 + at);
                return (end, Some(start + offset));
            }
            _ => {}
        }
    }
    (line.len(), None)
}

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

fn trim_wsp(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

fn slice(line: &str, range: Range<usize>) -> &str {
    line.get(range).unwrap_or_default()
}
