//! What a pure function made of the inputs it saw lately, per thread.
//!
//! Some work on the request path is a pure function of a value that takes few distinct values
//! across visitors: a consent cookie holds a choice, not an identity (every visitor who accepted
//! statistics and refused marketing sends the same value, and one visitor sends the same TCF
//! string with every request of a visit), and the list of categories a visitor granted is one of
//! a handful. A [`Memo`] keeps each answer for the next request that asks the same.
//!
//! It is per thread (no lock and no shared cache line on the request path) and bounded: a full
//! memo starts afresh, so inputs that never repeat cost one lookup more, and no memory.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;

use foldhash::fast::RandomState;
use thread_local::ThreadLocal;

/// The most answers a thread keeps.
const MAX_ENTRIES: usize = 256;

pub struct Memo<K: Send, V: Send> {
    threads: ThreadLocal<RefCell<HashMap<K, V, RandomState>>>,
}

impl<K: Send, V: Send> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            threads: ThreadLocal::new(),
        }
    }
}

impl<K: Send, V: Send> std::fmt::Debug for Memo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl<K, V> Memo<K, V>
where
    K: Eq + Hash + Send,
    V: Clone + Send,
{
    /// The answer for `input`: remembered, or made by `make` and remembered. `make` must be a
    /// pure function of `input`, so that a remembered answer is exactly what making it again
    /// would give.
    pub fn answer<Q>(&self, input: &Q, make: impl FnOnce(&Q) -> V) -> V
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned + ?Sized,
        Q::Owned: Into<K>,
    {
        let answers = self.threads.get_or_default();
        if let Some(known) = answers.borrow().get(input) {
            return known.clone();
        }
        // Made with no borrow held: `make` never comes back here, but nothing needs it to.
        let answer = make(input);
        let mut answers = answers.borrow_mut();
        if answers.len() >= MAX_ENTRIES {
            answers.clear();
        }
        answers.insert(input.to_owned().into(), answer.clone());
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn makes_an_answer_once_and_gives_it_again_from_memory() {
        let memo: Memo<Box<str>, Result<u32, &str>> = Memo::default();
        let made = Cell::new(0);
        let make = |input: &str| {
            made.set(made.get() + 1);
            Ok(input.len() as u32)
        };
        assert_eq!(memo.answer("ab", make), Ok(2));
        assert_eq!(memo.answer("ab", make), Ok(2));
        assert_eq!(made.get(), 1);
        assert_eq!(memo.answer("abc", make), Ok(3));
        assert_eq!(made.get(), 2);
    }

    #[test]
    fn remembers_failures_with_their_reason() {
        let memo: Memo<Box<str>, Result<(), &str>> = Memo::default();
        assert_eq!(memo.answer("x", |_| Err("not JSON")), Err("not JSON"));
        assert_eq!(memo.answer("x", |_| Ok(())), Err("not JSON"));
    }

    #[test]
    fn starts_afresh_when_full_rather_than_growing() {
        let memo: Memo<u64, u64> = Memo::default();
        for i in 0..=MAX_ENTRIES as u64 {
            memo.answer(&i, |i| *i);
        }
        let kept = memo.threads.get().map(|answers| answers.borrow().len());
        assert_eq!(kept, Some(1));
        // The first input was forgotten with the rest: it is made again.
        assert_eq!(memo.answer(&0, |_| 99), 99);
    }

    #[test]
    fn keeps_one_memory_per_thread() {
        let memo: Memo<u64, u64> = Memo::default();
        memo.answer(&1, |_| 10);
        std::thread::scope(|scope| {
            scope.spawn(|| assert_eq!(memo.answer(&1, |_| 20), 20));
        });
        assert_eq!(memo.answer(&1, |_| 30), 10);
    }
}
