//! What makes two violations "the same" for aggregation (docs/audit-log.md, "Aggregation"): every
//! field of a record but those of its first occurrence (time, request id, method, path, status).
//!
//! The key only borrows. It is taken from a record, or, before any record is built, from where the
//! violation was found (the `Set-Cookie` line, the response's consent): under load most
//! violations repeat one already open in its window, and counting such a repeat then needs no
//! record at all.

use std::hash::{Hash, Hasher};

use super::record::ViolationRecord;
use super::shared::SharedList;

/// Borrowed throughout: building one copies nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViolationKey<'r> {
    pub direction: Text<'r>,
    pub cookie: Text<'r>,
    pub cookie_domain: Option<Text<'r>>,
    pub cookie_path: Option<Text<'r>>,
    pub kind: Text<'r>,
    pub declaration: Option<Text<'r>>,
    pub category: Option<Text<'r>>,
    pub consent_state: Text<'r>,
    pub consent_source: Option<Text<'r>>,
    pub granted: &'r SharedList,
    pub gpc: bool,
    pub action: Text<'r>,
    pub mode: Text<'r>,
    pub enforced: bool,
    pub detail: Option<Text<'r>>,
    pub host: Text<'r>,
    pub client: Option<Text<'r>>,
}

impl<'r> ViolationKey<'r> {
    pub fn of(r: &'r ViolationRecord) -> ViolationKey<'r> {
        ViolationKey {
            direction: Text(r.direction),
            cookie: Text(&r.cookie),
            cookie_domain: r.cookie_domain.as_deref().map(Text),
            cookie_path: r.cookie_path.as_deref().map(Text),
            kind: Text(r.kind),
            declaration: r.declaration.as_deref().map(Text),
            category: r.category.as_deref().map(Text),
            consent_state: Text(r.consent_state),
            consent_source: r.consent_source.as_deref().map(Text),
            granted: &r.granted,
            gpc: r.gpc,
            action: Text(r.action),
            mode: Text(r.mode),
            enforced: r.enforced,
            detail: r.detail.as_deref().map(Text),
            host: Text(&r.host),
            client: r.client.as_deref().map(Text),
        }
    }
}

impl ViolationKey<'_> {
    /// Whether `r` is a record of this violation: the same as comparing with
    /// [`ViolationKey::of`]`(r)`, field by field in the order most likely to tell two apart at
    /// once (the cookie, then the kind), without building that key first. The aggregator asks
    /// this of every open line it tries, most of which are another violation.
    pub fn matches(&self, r: &ViolationRecord) -> bool {
        fn text(text: &str) -> Text<'_> {
            Text(text)
        }
        let same = self.cookie == text(&r.cookie)
            && self.kind == text(r.kind)
            && self.cookie_path == r.cookie_path.as_deref().map(text)
            && self.cookie_domain == r.cookie_domain.as_deref().map(text)
            && self.detail == r.detail.as_deref().map(text)
            && self.action == text(r.action)
            && self.declaration == r.declaration.as_deref().map(text)
            && self.category == r.category.as_deref().map(text)
            && self.direction == text(r.direction)
            && self.consent_state == text(r.consent_state)
            && self.consent_source == r.consent_source.as_deref().map(text)
            && self.granted == &r.granted
            && self.gpc == r.gpc
            && self.mode == text(r.mode)
            && self.enforced == r.enforced
            && self.host == text(&r.host)
            && self.client == r.client.as_deref().map(text);
        debug_assert_eq!(same, *self == ViolationKey::of(r));
        same
    }
}

/// A text of a key. Keys of one violation mostly borrow the same texts (a literal, a name shared
/// by its records), so two are compared by address first, and byte by byte only when that fails.
/// It hashes as the text, so a key hashes alike whatever it borrows from.
#[derive(Debug, Clone, Copy, Eq)]
pub struct Text<'r>(pub &'r str);

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Text<'_>) -> bool {
        std::ptr::eq(self.0, other.0) || self.0 == other.0
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_record_differing_in_any_field_of_the_key_does_not_match() {
        let record = ViolationRecord::sample();
        let key = ViolationKey::of(&record);
        assert!(key.matches(&record));
        let edits: [fn(&mut ViolationRecord); 17] = [
            |r| r.direction = "request",
            |r| r.cookie = "_other".into(),
            |r| r.cookie_domain = Some("other.example".into()),
            |r| r.cookie_path = Some("/other".into()),
            |r| r.kind = "other-kind",
            |r| r.declaration = Some("name \"other\"".into()),
            |r| r.category = Some("other".into()),
            |r| r.consent_state = "other-state",
            |r| r.consent_source = Some("json:other".into()),
            |r| r.granted = vec!["other".to_owned()].into(),
            |r| r.gpc = !r.gpc,
            |r| r.action = "other-action",
            |r| r.mode = "other-mode",
            |r| r.enforced = !r.enforced,
            |r| r.detail = Some("other detail".into()),
            |r| r.host = "other.example".into(),
            |r| r.client = Some("198.51.100.0/24".into()),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut other = record.clone();
            edit(&mut other);
            assert!(!key.matches(&other), "edit {i} still matches");
            assert_ne!(key, ViolationKey::of(&other), "edit {i}");
        }
        // Fields outside the key do not count.
        let later = ViolationRecord {
            time: "2030-01-01T00:00:00.000Z".into(),
            request_id: "r2".into(),
            path: "/elsewhere".into(),
            status: 404,
            ..record.clone()
        };
        assert!(key.matches(&later));
    }

    #[test]
    fn equal_texts_at_different_addresses_are_equal_and_hash_alike() {
        let record = ViolationRecord::sample();
        let cookie = String::from(record.cookie.as_str());
        let host = String::from(record.host.as_str());
        let key = ViolationKey {
            cookie: Text(&cookie),
            host: Text(&host),
            ..ViolationKey::of(&record)
        };
        assert_eq!(key, ViolationKey::of(&record));
        let hasher = foldhash::fast::RandomState::default();
        assert_eq!(
            hasher.hash_one(key),
            hasher.hash_one(ViolationKey::of(&record))
        );
        let other = String::from("_other");
        assert_ne!(
            ViolationKey {
                cookie: Text(&other),
                ..key
            },
            key
        );
    }
}
