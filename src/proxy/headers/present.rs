//! Which of a few field names a message carries, found in one pass over its names.
//!
//! Looking a name up in a `HeaderMap` hashes it; the rules that remove or replace a fixed set
//! of fields (seven hop-by-hop names, five forwarding names) would hash each of them on every
//! message, though a message usually carries one of them or none. Walking the message's own
//! names once and comparing them (a byte compare for the standard ones) costs less, and then only
//! the names actually present are touched.

use http::header::HeaderName;

use crate::fields::FieldAccess;

/// A set of indices into a list of at most 64 candidate names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present(u64);

impl Present {
    /// Whether candidate `index` is in the message.
    pub fn has(self, index: usize) -> bool {
        index < 64 && self.0 & (1 << index) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The candidates found, in candidate order.
    pub fn names(self, candidates: &[HeaderName]) -> impl Iterator<Item = &HeaderName> {
        candidates
            .iter()
            .enumerate()
            .filter(move |(index, _)| self.has(*index))
            .map(|(_, name)| name)
    }
}

/// Which of `candidates` (at most 64; later ones are never found) `headers` carries.
pub fn find_present(headers: &impl FieldAccess, candidates: &[HeaderName]) -> Present {
    let mut found = 0u64;
    for name in headers.names() {
        if let Some(index) = candidates.iter().take(64).position(|c| c == name) {
            found |= 1 << index;
        }
    }
    Present(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONNECTION, COOKIE, HOST, TE};
    use http::HeaderMap;
    use http::HeaderValue;

    fn candidates() -> [HeaderName; 3] {
        [CONNECTION, HeaderName::from_static("x-forwarded-for"), TE]
    }

    #[test]
    fn finds_standard_and_custom_names_whatever_else_the_message_carries() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("a"));
        headers.append(TE, HeaderValue::from_static("trailers"));
        headers.append(TE, HeaderValue::from_static("gzip"));
        headers.insert("X-Forwarded-For", HeaderValue::from_static("1.2.3.4"));
        headers.insert(COOKIE, HeaderValue::from_static("a=1"));
        let candidates = candidates();
        let present = find_present(&headers, &candidates);
        assert!(!present.has(0));
        assert!(present.has(1));
        assert!(present.has(2));
        let names: Vec<&HeaderName> = present.names(&candidates).collect();
        assert_eq!(names, [&candidates[1], &candidates[2]]);
    }

    #[test]
    fn finds_nothing_in_a_message_without_the_names() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("a"));
        assert!(find_present(&headers, &candidates()).is_empty());
        assert!(find_present(&HeaderMap::<HeaderValue>::new(), &candidates()).is_empty());
    }
}
