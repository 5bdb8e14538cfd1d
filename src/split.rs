//! Splitting header text at an ASCII separator (`;` between cookies, `=` between a name and its
//! value) with a vectorised byte search. Every request's `Cookie` line and every response's
//! `Set-Cookie` lines are split this way, and `str::split(';')` walks them a char at a time.

/// The parts of `text` between `separator`s, in order (as `str::split` gives them, empty parts
/// included). `separator` is ASCII, so every cut falls on a char boundary.
pub fn split_at(text: &str, separator: u8) -> impl Iterator<Item = &str> + '_ {
    let mut start = 0;
    let mut cuts = memchr::memchr_iter(separator, text.as_bytes());
    std::iter::from_fn(move || {
        if start > text.len() {
            return None;
        }
        let end = cuts.next().unwrap_or(text.len());
        let part = text.get(start..end).unwrap_or_default();
        start = end + 1;
        Some(part)
    })
}

/// `text` cut at its first `separator`: what comes before and what comes after.
pub fn split_once_at(text: &str, separator: u8) -> Option<(&str, &str)> {
    let at = memchr::memchr(separator, text.as_bytes())?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// `str::trim`, answered at once when neither end can be whitespace (a visible ASCII byte at
/// both ends, as in nearly every cookie name and pair): `str::trim` decodes chars from both ends
/// and asks Unicode about each.
pub fn trim(text: &str) -> &str {
    if is_trimmed(text.as_bytes()) {
        return text;
    }
    text.trim()
}

/// True when `bytes` starts and ends with visible ASCII, so that `str::trim` would leave them as
/// they are (false for an empty text, and whenever a full trim must decide).
pub fn is_trimmed(bytes: &[u8]) -> bool {
    let visible = |byte: &u8| (b'!'..=b'~').contains(byte);
    bytes.first().is_some_and(visible) && bytes.last().is_some_and(visible)
}

/// Where the first `separator` at or after `from` is.
pub fn find_from(text: &str, separator: u8, from: usize) -> Option<usize> {
    let rest = text.as_bytes().get(from..)?;
    memchr::memchr(separator, rest).map(|at| from + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_as_str_trim_does() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta b\t",
            "\u{a0}a",
            "a\u{3000}",
            "é",
            "=x=",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn splits_as_str_split_does_empty_parts_included() {
        for text in ["", ";", "a", "a;b", ";a;;b;", "é;ü=1; x"] {
            let ours: Vec<&str> = split_at(text, b';').collect();
            let std: Vec<&str> = text.split(';').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn cuts_at_the_first_separator_only() {
        assert_eq!(split_once_at("a=b=c", b'='), Some(("a", "b=c")));
        assert_eq!(split_once_at("abc", b'='), None);
        assert_eq!(find_from("a;b;c", b';', 2), Some(3));
        assert_eq!(find_from("a;b", b';', 9), None);
    }

    proptest! {
        #[test]
        fn agrees_with_the_standard_library_on_any_text(text in "[a-c;=é ]{0,24}") {
            let ours: Vec<&str> = split_at(&text, b';').collect();
            let std: Vec<&str> = text.split(';').collect();
            prop_assert_eq!(ours, std);
            prop_assert_eq!(split_once_at(&text, b'='), text.split_once('='));
            prop_assert_eq!(find_from(&text, b';', 0), text.find(';'));
        }

        #[test]
        fn trims_as_the_standard_library_on_any_text(text in any::<String>()) {
            prop_assert_eq!(trim(&text), text.trim());
        }
    }
}
