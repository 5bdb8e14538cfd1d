//! Editing a response's `Set-Cookie` lines one by one, in order, without folding them (commas
//! live inside `Expires`). Nothing is copied until the first line actually changes.

use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use smallvec::SmallVec;

pub enum LineChange {
    Keep,
    Remove,
    Replace(HeaderValue),
}

/// Calls `change` on every `Set-Cookie` line and applies the answers; returns whether any line
/// changed.
pub fn edit_set_cookie_lines(
    headers: &mut HeaderMap,
    mut change: impl FnMut(&HeaderValue) -> LineChange,
) -> bool {
    // On the stack for a response's usual few lines.
    let mut edited: Option<SmallVec<[HeaderValue; 8]>> = None;
    for (i, line) in headers.get_all(SET_COOKIE).iter().enumerate() {
        let answer = change(line);
        if edited.is_none() && !matches!(answer, LineChange::Keep) {
            edited = Some(
                headers
                    .get_all(SET_COOKIE)
                    .iter()
                    .take(i)
                    .cloned()
                    .collect(),
            );
        }
        if let Some(lines) = edited.as_mut() {
            match answer {
                LineChange::Keep => lines.push(line.clone()),
                LineChange::Remove => {}
                LineChange::Replace(new) => lines.push(new),
            }
        }
    }
    let Some(lines) = edited else {
        return false;
    };
    headers.remove(SET_COOKIE);
    for line in lines {
        headers.append(SET_COOKIE, line);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

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
