//! Strings shared between violation records. Every record of a response repeats the request's
//! time, id, method, host, path, consent and client, and every record of the process repeats the
//! same few declaration, category and consent-source names: holding them behind a reference count
//! makes building and cloning a record a handful of counter bumps instead of a dozen allocations.
//!
//! Both types behave exactly like the `str` / list of `str` they hold: they serialise, compare,
//! hash, order and print (`Display` and `Debug`) as the text, never as a pointer, so the audit log,
//! the aggregation keys and every JSON output are byte for byte what `String`s gave.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// An immutable string, cheap to clone.
#[derive(Clone, Eq, PartialOrd, Ord)]
pub struct SharedStr(Arc<str>);

// Two clones of one text are equal at once, before any byte is compared (the standard
// library's shortcut for `Arc` does not apply to unsized contents such as `str`). The
// aggregation key (`key.rs`) borrows the texts and takes the same shortcut by address.
impl PartialEq for SharedStr {
    fn eq(&self, other: &SharedStr) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

// The text's hash, as `Borrow<str>` requires (and as equality, which is the text's, allows).
impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Formats `value` once, on the stack when it is short (a client network, a time), so the
    /// only allocation is the shared one.
    pub fn display(value: impl fmt::Display) -> SharedStr {
        let mut text = StackText::default();
        if fmt::write(&mut text, format_args!("{value}")).is_ok() {
            if let Some(text) = text.as_str() {
                return SharedStr::from(text);
            }
        }
        // Longer than the buffer: take the ordinary way.
        SharedStr::from(value.to_string())
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// `Hash`, `Eq` and `Ord` are those of the `str` inside, as `Borrow` requires.
impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> SharedStr {
        SharedStr(Arc::from(text))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> SharedStr {
        SharedStr(Arc::from(text))
    }
}

impl From<Arc<str>> for SharedStr {
    fn from(text: Arc<str>) -> SharedStr {
        SharedStr(text)
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> String {
        text.as_str().to_owned()
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// Quoted, as a `String` prints: a record's `Debug` output stays what it was.
impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

/// An immutable list of shared strings (the categories a visitor granted), cheap to clone.
#[derive(Clone, Default, Eq, PartialOrd, Ord)]
pub struct SharedList(Arc<[SharedStr]>);

// As for `SharedStr`: one list shared by two records is equal at once.
impl PartialEq for SharedList {
    fn eq(&self, other: &SharedList) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Hash for SharedList {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl SharedList {
    pub fn as_slice(&self) -> &[SharedStr] {
        &self.0
    }
}

impl Deref for SharedList {
    type Target = [SharedStr];

    fn deref(&self) -> &[SharedStr] {
        &self.0
    }
}

impl FromIterator<SharedStr> for SharedList {
    fn from_iter<I: IntoIterator<Item = SharedStr>>(items: I) -> SharedList {
        SharedList(items.into_iter().collect())
    }
}

impl From<Vec<SharedStr>> for SharedList {
    fn from(items: Vec<SharedStr>) -> SharedList {
        SharedList(Arc::from(items))
    }
}

impl From<Vec<String>> for SharedList {
    fn from(items: Vec<String>) -> SharedList {
        items.into_iter().map(SharedStr::from).collect()
    }
}

/// A list, as a `Vec<String>` prints.
impl fmt::Debug for SharedList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for SharedList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

// Compared item by item with lists of text, as `Vec<String>` compares.
impl<S: AsRef<str>> PartialEq<[S]> for SharedList {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|(a, b)| a.as_str() == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for SharedList {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<&[S]> for SharedList {
    fn eq(&self, other: &&[S]) -> bool {
        *self == **other
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for SharedList {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

/// A short text formatted on the stack.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl Default for StackText {
    fn default() -> StackText {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..self.len)?).ok()
    }
}

impl fmt::Write for StackText {
    /// Refuses (rather than truncates) what does not fit.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn hash(value: &impl Hash) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn serialises_and_prints_as_the_string_it_holds() {
        let text = "name \"_ga\"\u{e9}";
        let shared = SharedStr::from(text);
        assert_eq!(
            serde_json::to_string(&shared).unwrap(),
            serde_json::to_string(text).unwrap()
        );
        assert_eq!(format!("{shared}"), text);
        assert_eq!(format!("{shared:?}"), format!("{:?}", text.to_owned()));
        assert_eq!(format!("{shared:>14}|"), format!("{text:>14}|"));
        assert_eq!(hash(&shared), hash(&text));
        assert_eq!(shared, text);
        assert_eq!(text, shared);
    }

    #[test]
    fn clones_and_separate_copies_of_a_text_are_equal_and_hash_alike() {
        let one = SharedStr::from("_ga");
        let copy = SharedStr::from("_ga");
        assert_eq!(one, one.clone());
        assert_eq!(one, copy);
        assert_eq!(hash(&one), hash(&copy));
        assert_ne!(one, SharedStr::from("_gb"));
        let list: SharedList = [one.clone(), copy].into_iter().collect();
        let separate: SharedList = [SharedStr::from("_ga"), one].into_iter().collect();
        assert_eq!(list, list.clone());
        assert_eq!(list, separate);
        assert_eq!(hash(&list), hash(&separate));
        assert_ne!(list, SharedList::default());
    }

    #[test]
    fn a_list_serialises_and_prints_as_a_vec_of_strings() {
        let strings = vec!["statistics".to_owned(), "marketing".to_owned()];
        let shared = SharedList::from(strings.clone());
        assert_eq!(
            serde_json::to_string(&shared).unwrap(),
            serde_json::to_string(&strings).unwrap()
        );
        assert_eq!(format!("{shared:?}"), format!("{strings:?}"));
        assert_eq!(shared.join(","), strings.join(","));
        assert_eq!(shared, ["statistics", "marketing"]);
        assert_eq!(shared, strings);
        assert_ne!(shared, ["statistics"]);
        let empty = SharedList::default();
        assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
        assert_eq!(format!("{empty:?}"), "[]");
    }

    #[test]
    fn displays_short_and_long_values_alike() {
        assert_eq!(SharedStr::display("192.0.2.0/24"), "192.0.2.0/24");
        let long = "x".repeat(200);
        assert_eq!(SharedStr::display(&long), long.as_str());
        let exact = "y".repeat(64);
        assert_eq!(SharedStr::display(&exact), exact.as_str());
    }
}
