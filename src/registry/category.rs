//! Categories (purpose classes such as `necessary` or `statistics`) and small sets of them.

use std::fmt;

/// Index of a category in the registry. At most [`MAX_CATEGORIES`] exist, so a set of them is
/// one machine word and checking a cookie against consent is a bit test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId(pub(crate) u8);

pub const MAX_CATEGORIES: usize = 64;

impl CategoryId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// French and English text, as the registry publishes labels and purposes in both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: String,
    pub label: Text,
    /// `false` for strictly necessary cookies (ePrivacy art. 5(3) exemption).
    pub needs_consent: bool,
}

/// A set of categories, as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(u64);

impl CategorySet {
    pub const EMPTY: CategorySet = CategorySet(0);

    pub fn insert(&mut self, id: CategoryId) {
        self.0 |= 1 << id.0;
    }

    pub fn contains(self, id: CategoryId) -> bool {
        self.0 & (1 << id.0) != 0
    }

    pub fn union(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 | other.0)
    }

    pub fn intersection(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & other.0)
    }

    pub fn difference(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_superset(self, other: CategorySet) -> bool {
        other.0 & !self.0 == 0
    }

    /// The members, in registry order.
    pub fn iter(self) -> impl Iterator<Item = CategoryId> {
        (0..MAX_CATEGORIES as u8)
            .filter(move |i| self.0 & (1u64 << i) != 0)
            .map(CategoryId)
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|c| c.0)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_behave_like_sets() {
        let (a, b, c) = (CategoryId(0), CategoryId(5), CategoryId(63));
        let mut ab = CategorySet::EMPTY;
        ab.insert(a);
        ab.insert(b);
        let mut bc = CategorySet::EMPTY;
        bc.insert(b);
        bc.insert(c);
        assert!(ab.contains(a) && ab.contains(b) && !ab.contains(c));
        assert_eq!(ab.intersection(bc).iter().collect::<Vec<_>>(), [b]);
        assert_eq!(ab.union(bc).iter().collect::<Vec<_>>(), [a, b, c]);
        assert_eq!(ab.difference(bc).iter().collect::<Vec<_>>(), [a]);
        assert!(ab.union(bc).is_superset(ab));
        assert!(!ab.is_superset(bc));
        assert!(CategorySet::EMPTY.is_empty());
    }
}
