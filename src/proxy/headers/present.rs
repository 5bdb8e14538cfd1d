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

/// A quick test a name must pass to be one of a few candidates: one bit per candidate, picked
/// from its length and first byte. A message's names mostly fail it (of the common request and
/// response names, three pass the hop-by-hop sieve and two the forwarding one), and only those
/// that pass are compared with each candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sieve(u64);

impl Sieve {
    /// The sieve every one of `candidates` passes.
    pub fn of(candidates: &[HeaderName]) -> Sieve {
        Sieve(
            candidates
                .iter()
                .fold(0, |bits, name| bits | sieve_bit(name)),
        )
    }

    fn passes(self, name: &HeaderName) -> bool {
        self.0 & sieve_bit(name) != 0
    }
}

fn sieve_bit(name: &HeaderName) -> u64 {
    let name = name.as_str().as_bytes();
    let first = name.first().map_or(0, |&byte| usize::from(byte));
    1 << ((name.len() + first * 5) % 64)
}

/// Which of `candidates` (at most 64; later ones are never found) `headers` carries; `sieve` is
/// the candidates' own ([`Sieve::of`]), made once.
pub fn find_present(
    headers: &impl FieldAccess,
    candidates: &[HeaderName],
    sieve: Sieve,
) -> Present {
    let mut found = 0u64;
    for name in headers.names().filter(|name| sieve.passes(name)) {
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
        let present = find_present(&headers, &candidates, Sieve::of(&candidates));
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
        let sieve = Sieve::of(&candidates());
        assert!(find_present(&headers, &candidates(), sieve).is_empty());
        assert!(find_present(&HeaderMap::<HeaderValue>::new(), &candidates(), sieve).is_empty());
    }

    /// The sieve only spares comparisons: with it, each of many names is found exactly when
    /// it is a candidate.
    #[test]
    fn the_sieve_never_hides_a_candidate() {
        let candidates = [
            CONNECTION,
            HeaderName::from_static("keep-alive"),
            HeaderName::from_static("x-forwarded-for"),
            TE,
            HeaderName::from_static("x-real-ip"),
        ];
        let sieve = Sieve::of(&candidates);
        let others = [
            "host",
            "cookie",
            "set-cookie",
            "content-length",
            "date",
            "server",
            "sec-gpc",
            "expires",
            "last-modified",
            "via",
            "x-request-id",
            "Keep-Alive",
            "CONNECTION",
        ];
        for name in others
            .iter()
            .map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap())
        {
            let mut headers = HeaderMap::new();
            headers.insert(name.clone(), HeaderValue::from_static("v"));
            let expected = candidates.iter().position(|c| *c == name);
            let present = find_present(&headers, &candidates, sieve);
            let found: Vec<usize> = (0..candidates.len()).filter(|&i| present.has(i)).collect();
            assert_eq!(found, expected.into_iter().collect::<Vec<_>>(), "{name}");
        }
    }
}
