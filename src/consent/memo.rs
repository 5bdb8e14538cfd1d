//! What a consent source made of the values it read lately, per thread.
//!
//! A consent cookie holds a choice, not an identity: every visitor who accepted statistics and
//! refused marketing sends the same `cookies_preferences` value, and one visitor sends the same
//! TCF string with every request of a visit. Decoding it again (percent-decoding, JSON, base64
//! bits) is most of what reading consent costs, so each source remembers its last readings.
//!
//! A reading is a pure function of the value and the source's configuration (format and keys,
//! fixed for the source's life), so a remembered one is exactly what reading again would give.
//! The memo is per thread (no lock and no shared cache line on the request path) and bounded:
//! values longer than [`MAX_VALUE`] are not kept, and a full memo starts afresh, so a client
//! sending a new value with every request costs one lookup more than before, and no memory.

use std::cell::RefCell;
use std::collections::HashMap;

use thread_local::ThreadLocal;

use crate::registry::CategorySet;

/// A source's reading of one value: granted categories, no choice yet, or why it is unreadable.
pub type Reading = Result<Option<CategorySet>, &'static str>;

/// The most readings a thread keeps per source.
const MAX_ENTRIES: usize = 256;
/// Longer values are read every time: real consent values are a few hundred bytes at most.
const MAX_VALUE: usize = 1024;

#[derive(Debug, Default)]
pub struct Memo {
    threads: ThreadLocal<RefCell<Readings>>,
}

#[derive(Debug, Default)]
struct Readings(HashMap<Box<str>, Reading, foldhash::fast::RandomState>);

impl Memo {
    /// The reading of `value`: remembered, or made by `read` and remembered.
    pub fn read_with(&self, value: &str, read: impl FnOnce(&str) -> Reading) -> Reading {
        if value.len() > MAX_VALUE {
            return read(value);
        }
        let readings = self.threads.get_or_default();
        if let Some(known) = readings.borrow().0.get(value) {
            return *known;
        }
        // Read with no borrow held: `read` never comes back here, but nothing needs it to.
        let reading = read(value);
        let mut readings = readings.borrow_mut();
        if readings.0.len() >= MAX_ENTRIES {
            readings.0.clear();
        }
        readings.0.insert(value.into(), reading);
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn reads_a_value_once_and_answers_it_again_from_memory() {
        let memo = Memo::default();
        let reads = Cell::new(0);
        let read = |_: &str| {
            reads.set(reads.get() + 1);
            Ok(Some(CategorySet::EMPTY))
        };
        assert_eq!(memo.read_with("a", read), Ok(Some(CategorySet::EMPTY)));
        assert_eq!(memo.read_with("a", read), Ok(Some(CategorySet::EMPTY)));
        assert_eq!(reads.get(), 1);
        assert_eq!(memo.read_with("b", read), Ok(Some(CategorySet::EMPTY)));
        assert_eq!(reads.get(), 2);
    }

    #[test]
    fn remembers_unreadable_values_with_their_reason() {
        let memo = Memo::default();
        assert_eq!(memo.read_with("x", |_| Err("not JSON")), Err("not JSON"));
        assert_eq!(memo.read_with("x", |_| Ok(None)), Err("not JSON"));
    }

    #[test]
    fn reads_long_values_every_time() {
        let memo = Memo::default();
        let long = "x".repeat(MAX_VALUE + 1);
        assert_eq!(memo.read_with(&long, |_| Ok(None)), Ok(None));
        assert_eq!(
            memo.read_with(&long, |_| Err("read again")),
            Err("read again")
        );
    }

    #[test]
    fn starts_afresh_when_full_rather_than_growing() {
        let memo = Memo::default();
        for i in 0..=MAX_ENTRIES {
            let _ = memo.read_with(&i.to_string(), |_| Ok(None));
        }
        let kept = memo.threads.get().map(|r| r.borrow().0.len());
        assert_eq!(kept, Some(1));
        // The first value was forgotten with the rest: it is read again.
        assert_eq!(
            memo.read_with("0", |_| Err("read again")),
            Err("read again")
        );
    }
}
