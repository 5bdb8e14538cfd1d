//! Editing a response's `Set-Cookie` lines one by one, in order, without folding them (commas
//! live inside `Expires`). Nothing is copied until the first line actually changes.

use http::header::{HeaderValue, SET_COOKIE};

use crate::fields::FieldAccess;
pub use crate::fields::LineChange;

/// Calls `change` on every `Set-Cookie` line and applies the answers; returns whether any line
/// changed.
pub fn edit_set_cookie_lines(
    headers: &mut impl FieldAccess,
    change: impl FnMut(&HeaderValue) -> LineChange,
) -> bool {
    headers.edit_values(&SET_COOKIE, change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn headers(lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(SET_COOKIE, HeaderValue::from_static(line));
        }
        map
    }

    fn lines(map: &HeaderMap) -> Vec<&str> {
        map.get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn keeps_every_line_when_nothing_changes() {
        let mut map = headers(&["a=1", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"]);
        assert!(!edit_set_cookie_lines(&mut map, |_| LineChange::Keep));
        assert_eq!(
            lines(&map),
            ["a=1", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT"]
        );
    }

    #[test]
    fn removes_and_replaces_lines_in_place_keeping_the_order() {
        let mut map = headers(&["a=1", "b=2", "c=3", "d=4"]);
        let changed = edit_set_cookie_lines(&mut map, |line| match line.as_bytes() {
            b"b=2" => LineChange::Remove,
            b"c=3" => LineChange::Replace(HeaderValue::from_static("c=3; Secure")),
            _ => LineChange::Keep,
        });
        assert!(changed);
        assert_eq!(lines(&map), ["a=1", "c=3; Secure", "d=4"]);
    }

    #[test]
    fn can_remove_every_line() {
        let mut map = headers(&["a=1", "b=2"]);
        edit_set_cookie_lines(&mut map, |_| LineChange::Remove);
        assert!(!map.contains_key(SET_COOKIE));
    }
}
