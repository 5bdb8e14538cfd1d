//! The request `Cookie` field across protocol versions.
//!
//! HTTP/2 lets a client send each cookie pair as its own `cookie` field (RFC 9113 §8.2.3), but an
//! HTTP/1.1 origin expects exactly one `Cookie` line (RFC 6265 §5.4), so before an HTTP/2 request
//! goes to an HTTP/1.1 upstream the lines are joined with `"; "`, as RFC 9113 §8.2.3 prescribes.

use http::header::{HeaderValue, COOKIE};

use crate::fields::FieldAccess;

/// Joins several `Cookie` lines into one, keeping their order. One line or none: no change.
pub fn merge_cookie_lines(headers: &mut impl FieldAccess) {
    let first_of_several = {
        let mut lines = headers.values_of(&COOKIE);
        match (lines.next(), lines.next()) {
            (Some(first), Some(_)) => Some(first.len()),
            _ => None,
        }
    };
    let Some(first) = first_of_several else {
        return;
    };
    let mut joined = Vec::with_capacity(first * 4);
    for (i, line) in headers.values_of(&COOKIE).enumerate() {
        if i > 0 {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(line.as_bytes());
    }
    // Every part was a valid field value and "; " is too, so this cannot fail; if it somehow
    // did, the separate lines are left as they were rather than losing the cookies.
    if let Ok(value) = HeaderValue::from_bytes(&joined) {
        headers.set(COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    /// RFC 9113 §8.2.3: split crumbs are concatenated with "; " before an HTTP/1.1 hop.
    #[test]
    fn joins_split_cookie_fields_in_order() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1"));
        headers.append(COOKIE, HeaderValue::from_static("b=2; c=3"));
        headers.append(COOKIE, HeaderValue::from_static("d=4"));
        merge_cookie_lines(&mut headers);
        let lines: Vec<_> = headers.get_all(COOKIE).iter().collect();
        assert_eq!(lines, ["a=1; b=2; c=3; d=4"]);
    }

    #[test]
    fn leaves_a_single_line_untouched() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1;b=2"));
        merge_cookie_lines(&mut headers);
        assert_eq!(headers[COOKIE], "a=1;b=2");
    }

    #[test]
    fn does_nothing_without_cookies() {
        let mut headers = HeaderMap::new();
        merge_cookie_lines(&mut headers);
        assert!(headers.is_empty());
    }
}
