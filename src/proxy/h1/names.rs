//! Field names as a head spells them, turned into `HeaderName`s through a small per-thread table.
//!
//! A portal and its visitors' browsers send the same few names, in the same spelling, on every
//! head. `HeaderName::from_bytes` lowers each byte and matches the name against the standard
//! ones (about a hundred instructions a field), and allocates for any other name (`sec-fetch-*`,
//! `x-*`...). The table keeps the last name seen in each of its slots, by its exact bytes: a name
//! seen before costs a comparison of its bytes and a clone.

use std::cell::RefCell;

use http::header::{HeaderName, InvalidHeaderName};

/// Slots in each thread's table: a power of two, and more than a head's usual names.
const SLOTS: usize = 128;
/// Longer names are not kept (rare, and they would make every slot larger).
const MAX_KEPT: usize = 32;

struct Slot {
    spelling: [u8; MAX_KEPT],
    len: u8,
    name: HeaderName,
}

thread_local! {
    static TABLE: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
}

/// `HeaderName::from_bytes(spelling)`, from the table when this thread saw the same bytes last
/// in their slot. Exactly the same answer: the table holds only names `from_bytes` made of the
/// same bytes, and a refused name is never kept.
pub fn name_from_bytes(spelling: &[u8]) -> Result<HeaderName, InvalidHeaderName> {
    if spelling.len() > MAX_KEPT || spelling.is_empty() {
        return HeaderName::from_bytes(spelling);
    }
    let index = slot_of(spelling);
    TABLE.with_borrow_mut(|table| {
        if table.is_empty() {
            table.resize_with(SLOTS, || None);
        }
        let slot = table.get_mut(index);
        if let Some(Some(kept)) = &slot {
            if kept.spelling.get(..usize::from(kept.len)) == Some(spelling) {
                return Ok(kept.name.clone());
            }
        }
        let name = HeaderName::from_bytes(spelling)?;
        if let Some(slot) = slot {
            let mut kept = [0; MAX_KEPT];
            kept[..spelling.len()].copy_from_slice(spelling);
            *slot = Some(Slot {
                spelling: kept,
                // At most MAX_KEPT (32), checked above.
                len: spelling.len() as u8,
                name: name.clone(),
            });
        }
        Ok(name)
    })
}

/// A slot from the length and the first and last two bytes: cheap, and enough to tell apart the
/// few dozen names a thread sees.
fn slot_of(spelling: &[u8]) -> usize {
    let first = spelling.first().copied().unwrap_or(0) as usize;
    let second = spelling.get(1).copied().unwrap_or(0) as usize;
    let last = spelling.last().copied().unwrap_or(0) as usize;
    let len = spelling.len();
    (len.wrapping_mul(31) ^ first.wrapping_mul(7) ^ second.wrapping_mul(3) ^ last.wrapping_mul(13))
        % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_seen_again_is_the_same_name() {
        for _ in 0..3 {
            for spelling in [
                "Set-Cookie",
                "set-cookie",
                "X-Custom-Thing",
                "Content-Length",
            ] {
                assert_eq!(
                    name_from_bytes(spelling.as_bytes()).unwrap(),
                    HeaderName::from_bytes(spelling.as_bytes()).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_refused_name_is_refused_every_time() {
        for _ in 0..2 {
            assert!(name_from_bytes(b"bad name").is_err());
            assert!(name_from_bytes(b"").is_err());
        }
    }

    proptest::proptest! {
        /// Whatever the names and their order (colliding slots included), the table answers
        /// what `from_bytes` answers.
        #[test]
        fn answers_what_from_bytes_answers(
            spellings in proptest::collection::vec("[A-Za-z0-9 :_-]{0,40}", 0..80),
        ) {
            for spelling in spellings.iter().chain(spellings.iter()) {
                let expected = HeaderName::from_bytes(spelling.as_bytes());
                let got = name_from_bytes(spelling.as_bytes());
                proptest::prop_assert_eq!(got.is_ok(), expected.is_ok());
                if let (Ok(got), Ok(expected)) = (got, expected) {
                    proptest::prop_assert_eq!(got, expected);
                }
            }
        }
    }
}
