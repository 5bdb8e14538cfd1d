//! The visitor's consent, read from the request: which consent source answered, what it granted,
//! and `Sec-GPC`. Silence is refusal: without a readable choice only exempt categories pass.
//!
//! Each consent manager stores the choice in its own format; an adapter per format
//! ([`format::ConsentFormat`]) reads a cookie value into per-key choices, and the source's `keys`
//! table maps those keys to registry categories. The format is always named by the configuration,
//! never guessed from the cookie name (products share names such as `CookieConsent`).

mod axeptio;
mod complianz;
mod cookiebot;
mod cookieconsent;
mod cookies;
mod cookieyes;
mod didomi;
pub mod format;
mod gpc;
mod json;
mod klaro;
mod onetrust;
pub mod source;
mod tarteaucitron;
pub mod tcf;

use std::fmt;

pub use cookies::find_request_cookie;
pub use format::{ConsentFormat, Reading, Unreadable};
pub use gpc::has_gpc;
pub use source::{ConsentConfig, ConsentSource};

use crate::registry::CategorySet;

/// Consent cookie values longer than this are not decoded at all (fail closed): real ones are a
/// few hundred bytes, and browsers cap a cookie at 4096 bytes.
pub const MAX_CONSENT_VALUE: usize = 4096;

/// Where the visitor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    /// No choice yet, or a consent cookie that could not be read.
    None,
    /// Every category that needs consent was granted.
    Given,
    /// None of them was.
    Refused,
    /// Some were.
    Partial,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::None => "none",
            ConsentState::Given => "given",
            ConsentState::Refused => "refused",
            ConsentState::Partial => "partial",
        }
    }
}

impl fmt::Display for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The consent read from one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    pub state: ConsentState,
    /// Categories the visitor granted (GPC already applied).
    pub granted: CategorySet,
    /// Index of the source (in `[[consent.source]]` order) that produced the choice.
    pub source: Option<usize>,
    /// `Sec-GPC: 1` was present.
    pub gpc: bool,
    /// Categories withdrawn by GPC (among those the source had granted, or would have).
    pub gpc_denied: CategorySet,
    /// A consent cookie was present but not understood (counted, and treated as no choice).
    pub unreadable: bool,
}

impl Consent {
    /// No consent at all: what a first visit looks like.
    pub const NONE: Consent = Consent {
        state: ConsentState::None,
        granted: CategorySet::EMPTY,
        source: None,
        gpc: false,
        gpc_denied: CategorySet::EMPTY,
        unreadable: false,
    };
}
