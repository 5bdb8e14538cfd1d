//! Finding one cookie in the request's `Cookie` fields (all of them: HTTP/2 may split the field,
//! RFC 9113 §8.2.3), without allocating.

use http::header::COOKIE;

use crate::fields::FieldAccess;

use crate::split::{split_at, split_once_at, trim};

/// The value of the first cookie called `name` (browsers send the most specific path first,
/// RFC 6265 §5.4 step 2). Pairs without `=` and non-UTF-8 fields are skipped.
pub fn find_request_cookie<'h>(headers: &'h impl FieldAccess, name: &str) -> Option<&'h str> {
    headers
        .values_of(&COOKIE)
        .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
        .flat_map(|line| split_at(line, b';'))
        .find_map(|pair| {
            let (key, value) = split_once_at(pair, b'=')?;
            (trim(key) == name).then(|| trim(value))
        })
}

/// Every cookie whose name starts with `prefix`, as `suffix=value` pairs joined by `;`, in the
/// order sent; `None` when there is none. Only the first of same-name cookies counts.
pub fn collect_cookie_family(headers: &impl FieldAccess, prefix: &str) -> Option<String> {
    let mut joined = String::new();
    let mut seen: Vec<&str> = Vec::new();
    let pairs = headers
        .values_of(&COOKIE)
        .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
        .flat_map(|line| line.split(';'));
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        let Some(suffix) = key.trim().strip_prefix(prefix) else {
            continue;
        };
        if suffix.is_empty() || seen.contains(&suffix) {
            continue;
        }
        seen.push(suffix);
        if !joined.is_empty() {
            joined.push(';');
        }
        joined.push_str(suffix);
        joined.push('=');
        joined.push_str(value.trim());
    }
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http::HeaderValue;

    fn headers(lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(COOKIE, HeaderValue::from_static(line));
        }
        map
    }

    #[test]
    fn finds_a_cookie_among_several_pairs() {
        let map = headers(&["csrftoken=a; cookies_preferences=%7B%7D; sessionid=b"]);
        assert_eq!(
            find_request_cookie(&map, "cookies_preferences"),
            Some("%7B%7D")
        );
        assert_eq!(find_request_cookie(&map, "missing"), None);
    }

    /// RFC 9113 §8.2.3: an HTTP/2 request may carry one `cookie` field per pair.
    #[test]
    fn finds_a_cookie_in_any_of_several_fields() {
        let map = headers(&["a=1", "consent=yes"]);
        assert_eq!(find_request_cookie(&map, "consent"), Some("yes"));
    }

    /// RFC 6265 §5.4: the first of several same-name cookies is the most specific one.
    #[test]
    fn takes_the_first_of_same_name_cookies() {
        let map = headers(&["c=first; c=second"]);
        assert_eq!(find_request_cookie(&map, "c"), Some("first"));
    }

    #[test]
    fn does_not_match_a_name_that_only_contains_the_wanted_one() {
        let map = headers(&["xconsent=1; consentx=2"]);
        assert_eq!(find_request_cookie(&map, "consent"), None);
    }

    #[test]
    fn collects_a_cookie_family_by_prefix_first_of_each_name() {
        let map = headers(&[
            "cmplz_statistics=allow; a=1",
            "cmplz_marketing=deny; cmplz_statistics=deny",
        ]);
        assert_eq!(
            collect_cookie_family(&map, "cmplz_").as_deref(),
            Some("statistics=allow;marketing=deny")
        );
        assert_eq!(collect_cookie_family(&map, "other_"), None);
    }

    #[test]
    fn keeps_an_empty_value_and_skips_pairs_without_equals() {
        let map = headers(&["flag; consent="]);
        assert_eq!(find_request_cookie(&map, "consent"), Some(""));
        assert_eq!(find_request_cookie(&map, "flag"), None);
    }
}
