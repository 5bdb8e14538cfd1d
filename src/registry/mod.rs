//! The declared cookie registry: the categories, and one declaration per cookie (or cookie name
//! pattern) with its provider, purpose, maximum lifetime and required attributes.
//!
//! Lookups go through [`matcher::NameMatcher`]: exact names, then the most specific prefix or glob,
//! then regexes. The registry is built and validated once, at configuration load.

mod category;
pub mod matcher;

use std::time::Duration;

pub use category::{Category, CategoryId, CategorySet, Text, MAX_CATEGORIES};
pub use matcher::{NameMatcher, Pattern};

/// Prefix of the hidden categories that stand for TCF vendors' consent.
pub const VENDOR_CATEGORY_PREFIX: &str = "tcf-vendor:";

/// The longest a declared cookie may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxLifetime {
    /// Must not outlive the browser session: no `Max-Age`, no `Expires`.
    Session,
    Duration(Duration),
}

impl MaxLifetime {
    pub fn seconds(self) -> Option<u64> {
        match self {
            MaxLifetime::Session => None,
            MaxLifetime::Duration(d) => Some(d.as_secs()),
        }
    }
}

/// A `SameSite` value a declaration may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequiredSameSite {
    Strict,
    Lax,
    None,
}

impl RequiredSameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            RequiredSameSite::Strict => "Strict",
            RequiredSameSite::Lax => "Lax",
            RequiredSameSite::None => "None",
        }
    }
}

/// Attributes a declared cookie must carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequiredAttributes {
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<RequiredSameSite>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub pattern: Pattern,
    pub provider: String,
    pub service: String,
    pub category: CategoryId,
    pub purpose: Text,
    pub max_lifetime: MaxLifetime,
    pub domain: Option<String>,
    /// The `Path` the cookie is set with, when the policy says (used to delete it).
    pub path: Option<String>,
    pub required: RequiredAttributes,
    /// TCF vendors whose consent the cookie also needs, as the hidden `tcf-vendor:<id>`
    /// categories a `tcf` source grants (empty for most declarations).
    pub vendors: CategorySet,
}

/// Categories and declarations, with the name index built over them.
#[derive(Debug)]
pub struct Registry {
    categories: Vec<Category>,
    declarations: Vec<Declaration>,
    matcher: NameMatcher,
    needs_consent: CategorySet,
}

impl Registry {
    /// Builds the index. Validation (unknown categories, contradictions, empty patterns) is the
    /// config loader's job; this only reports patterns the matcher cannot compile.
    pub fn new(
        categories: Vec<Category>,
        declarations: Vec<Declaration>,
    ) -> Result<Registry, Vec<matcher::MatcherError>> {
        let patterns: Vec<(usize, Pattern)> = declarations
            .iter()
            .enumerate()
            .map(|(i, d)| (i, d.pattern.clone()))
            .collect();
        let matcher = NameMatcher::build(&patterns)?;
        let mut needs_consent = CategorySet::EMPTY;
        for (i, category) in categories.iter().enumerate().take(MAX_CATEGORIES) {
            if category.needs_consent {
                needs_consent.insert(CategoryId(i as u8));
            }
        }
        Ok(Registry {
            categories,
            declarations,
            matcher,
            needs_consent,
        })
    }

    /// The most specific declaration for a cookie name (exact > longest prefix/glob > regex).
    pub fn find(&self, name: &str) -> Option<(usize, &Declaration)> {
        let index = self.matcher.find(name)?;
        self.declarations.get(index).map(|d| (index, d))
    }

    /// Every declaration matching a name (for load-time contradiction checks and `explain`).
    pub fn find_all(&self, name: &str) -> Vec<usize> {
        self.matcher.find_all(name)
    }

    pub fn declarations(&self) -> &[Declaration] {
        &self.declarations
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn category(&self, id: CategoryId) -> &Category {
        // Ids are only ever made by the loader from this registry's own list.
        &self.categories[id.index()]
    }

    pub fn category_id(&self, name: &str) -> Option<CategoryId> {
        self.categories
            .iter()
            .position(|c| c.id == name)
            .map(|i| CategoryId(i as u8))
    }

    /// The categories that need the visitor's consent.
    /// The hidden category standing for a TCF vendor's consent.
    pub fn vendor_category_name(vendor: u16) -> String {
        format!("{VENDOR_CATEGORY_PREFIX}{vendor}")
    }

    pub fn needs_consent(&self) -> CategorySet {
        self.needs_consent
    }
}
