//! The adapter interface every consent format implements.
//!
//! An adapter only decodes: it turns the raw cookie value into per-key choices, in the format's
//! own vocabulary (`analytics`, `C0002`, purpose `1`…). Mapping keys to registry categories,
//! precedence between sources and GPC are done once, in [`super::source`], for every format.

use std::fmt::Debug;

/// What a value said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The visitor made a choice; the per-key answers were reported.
    Decided,
    /// The value is well-formed but records no choice yet (e.g. a banner not answered).
    Undecided,
}

/// A value the adapter does not fully understand. Fail closed: it counts as no choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable(pub &'static str);

pub trait ConsentFormat: Send + Sync + Debug {
    /// The name used in `format = "…"`.
    fn name(&self) -> &'static str;

    /// Formats that keep one cookie per category (Complianz: `cmplz_statistics=allow`) read
    /// every cookie whose name starts with the source's `cookie`; `read` then gets them as
    /// `suffix=value` pairs joined by `;` (`statistics=allow;marketing=deny`).
    fn reads_cookie_family(&self) -> bool {
        false
    }

    /// Reads one raw cookie value (as sent, possibly percent-encoded). Each `(key, granted)`
    /// answer is reported through `answer`; answers reported before an `Err` are discarded by
    /// the caller.
    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable>;
}

/// What the adapters' unit tests share: every answer a format gives, and expected answers, both
/// sorted so that the order of keys in a cookie does not matter.
#[cfg(test)]
pub mod testing {
    use super::{ConsentFormat, Reading, Unreadable};

    pub type Answers = Vec<(String, bool)>;

    pub fn read_sorted(
        format: &dyn ConsentFormat,
        value: &str,
    ) -> Result<(Reading, Answers), Unreadable> {
        let mut answers = Vec::new();
        let reading = format.read(value, &mut |k, g| answers.push((k.to_owned(), g)))?;
        answers.sort();
        Ok((reading, answers))
    }

    pub fn sorted(pairs: &[(&str, bool)]) -> Answers {
        let mut owned: Answers = pairs.iter().map(|(k, g)| (k.to_string(), *g)).collect();
        owned.sort();
        owned
    }
}
