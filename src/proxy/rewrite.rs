//! Applies the public-host rewrite rules of [`super::headers::rewrite`] to a response's headers:
//! `Location`, `Content-Location` and every `Set-Cookie` line, keeping the lines' order.

use http::header::{HeaderName, CONTENT_LOCATION, LOCATION, SET_COOKIE};

use super::headers::rewrite::HostRewrite;
use super::set_cookie_lines::{edit_set_cookie_lines, LineChange};
use crate::fields::FieldAccess;

/// Cheap pre-check, so the rewrite is only prepared for responses that could need it: a
/// redirect, or a `Set-Cookie` line with a `Domain` attribute (most lines have none). One walk
/// over the fields, comparing names, costs less than hashing three names to look them up.
pub fn needs_rewrite(headers: &impl FieldAccess) -> bool {
    headers.fields().any(|(name, value)| {
        is_location(name) || (*name == SET_COOKIE && names_a_domain(value.as_bytes()))
    })
}

/// Whether the response is a redirect or names its content's location: the rewrite's other
/// half, for when the `Set-Cookie` verdicts already told whether a line names a domain.
pub fn has_location(headers: &impl FieldAccess) -> bool {
    headers.names().any(is_location)
}

/// `Location` or `Content-Location`, the fields whose URL the rewrite moves.
fn is_location(name: &HeaderName) -> bool {
    *name == LOCATION || *name == CONTENT_LOCATION
}

/// `domain=` anywhere in the line, in any case (a value may contain it too: then the rewrite
/// looks closer and leaves the line alone).
fn names_a_domain(line: &[u8]) -> bool {
    // Every response's lines go through this: look only where an `=` is, not at every offset.
    memchr::memchr_iter(b'=', line).any(|i| {
        i >= 6
            && line
                .get(i - 6..i)
                .is_some_and(|name| name.eq_ignore_ascii_case(b"domain"))
    })
}

pub fn rewrite_headers(headers: &mut impl FieldAccess, rewrite: &HostRewrite, public_scheme: &str) {
    for name in [LOCATION, CONTENT_LOCATION] {
        rewrite_location(headers, name, rewrite, public_scheme);
    }
    rewrite_cookie_domains(headers, rewrite);
}

fn rewrite_location(
    headers: &mut impl FieldAccess,
    name: HeaderName,
    rewrite: &HostRewrite,
    public_scheme: &str,
) {
    let rewritten = headers
        .first(&name)
        .and_then(|value| rewrite.rewrite_location(value, public_scheme));
    if let Some(value) = rewritten {
        headers.set(name, value);
    }
}

/// Rewrites the `Domain` of every `Set-Cookie` line that names the upstream. Untouched lines
/// keep their exact bytes.
fn rewrite_cookie_domains(headers: &mut impl FieldAccess, rewrite: &HostRewrite) {
    edit_set_cookie_lines(headers, |line| match rewrite.rewrite_cookie_domain(line) {
        Some(new) => LineChange::Replace(new),
        None => LineChange::Keep,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http::HeaderValue;

    #[test]
    fn only_redirects_and_lines_with_a_domain_need_the_rewrite() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("a=1; Path=/; Max-Age=60"),
        );
        assert!(!needs_rewrite(&headers));
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("b=2; DOMAIN=portal.example.org"),
        );
        assert!(needs_rewrite(&headers));
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_static("/next"));
        assert!(needs_rewrite(&headers));
    }

    fn rewrite() -> HostRewrite {
        HostRewrite::new("https", "portal.example.org", None, "data.city.fr")
    }

    #[test]
    fn rewrites_only_the_cookie_lines_that_name_the_upstream_and_keeps_order() {
        let mut headers = HeaderMap::new();
        for line in [
            "a=1; Path=/",
            "b=2; Domain=portal.example.org; Path=/",
            "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
        ] {
            headers.append(SET_COOKIE, HeaderValue::from_static(line));
        }
        rewrite_headers(&mut headers, &rewrite(), "https");
        let lines: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
        assert_eq!(
            lines,
            [
                "a=1; Path=/",
                "b=2; Domain=data.city.fr; Path=/",
                "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT"
            ]
        );
    }

    #[test]
    fn rewrites_location_and_content_location() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://portal.example.org/login?next=/"),
        );
        headers.insert(
            CONTENT_LOCATION,
            HeaderValue::from_static("https://portal.example.org/a"),
        );
        rewrite_headers(&mut headers, &rewrite(), "https");
        assert_eq!(headers[LOCATION], "https://data.city.fr/login?next=/");
        assert_eq!(headers[CONTENT_LOCATION], "https://data.city.fr/a");
    }

    #[test]
    fn leaves_other_hosts_alone() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://elsewhere.example/"),
        );
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("a=1; Domain=elsewhere.example"),
        );
        rewrite_headers(&mut headers, &rewrite(), "https");
        assert_eq!(headers[LOCATION], "https://elsewhere.example/");
        assert_eq!(headers[SET_COOKIE], "a=1; Domain=elsewhere.example");
    }
}
