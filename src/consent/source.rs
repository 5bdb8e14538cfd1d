//! Reading consent from the configured sources, in order of precedence, then applying GPC.

use std::collections::HashMap;

use crate::fields::FieldAccess;
use tracing::debug;

use super::cookies::collect_cookie_family;
use super::format::{ConsentFormat, Reading};
use super::{find_request_cookie, has_gpc, Consent, ConsentState, MAX_CONSENT_VALUE};
use crate::memo::Memo;
use crate::registry::CategorySet;

/// One `[[consent.source]]`: a cookie, its format, and the format's keys mapped to categories.
#[derive(Debug)]
pub struct ConsentSource {
    pub format: Box<dyn ConsentFormat>,
    pub cookie: String,
    pub keys: HashMap<String, CategorySet>,
    /// The readings of the values this source saw lately: a reading is a pure function of the
    /// value and of this source's format and keys, fixed for its life (see [`Memo`]).
    readings: Memo<Box<str>, Result<Option<CategorySet>, &'static str>>,
}

/// Longer consent values are decoded every time rather than remembered: real ones are a few
/// hundred bytes at most.
const MAX_REMEMBERED_VALUE: usize = 1024;

/// Every source, in order of precedence, and the categories `Sec-GPC: 1` denies.
#[derive(Debug, Default)]
pub struct ConsentConfig {
    pub sources: Vec<ConsentSource>,
    pub gpc_deny: CategorySet,
}

/// The names of the known formats, for configuration errors.
pub const FORMATS: &[&str] = &[
    "json",
    "tarteaucitron",
    "klaro",
    "cookieconsent",
    "cookieyes",
    "axeptio",
    "tcf",
    "complianz",
    "onetrust",
    "cookiebot",
    "didomi",
];

/// Builds the adapter for `format = "…"`.
pub fn make_format(name: &str) -> Option<Box<dyn ConsentFormat>> {
    match name {
        "json" => Some(Box::new(super::json::JsonFormat)),
        "tarteaucitron" => Some(Box::new(super::tarteaucitron::TarteaucitronFormat)),
        "klaro" => Some(Box::new(super::klaro::KlaroFormat)),
        "cookieconsent" => Some(Box::new(super::cookieconsent::CookieConsentFormat)),
        "cookieyes" => Some(Box::new(super::cookieyes::CookieYesFormat)),
        "axeptio" => Some(Box::new(super::axeptio::AxeptioFormat)),
        "tcf" => Some(Box::new(super::tcf::TcfFormat)),
        "complianz" => Some(Box::new(super::complianz::ComplianzFormat)),
        "onetrust" => Some(Box::new(super::onetrust::OneTrustFormat)),
        "cookiebot" => Some(Box::new(super::cookiebot::CookieBotFormat)),
        "didomi" => Some(Box::new(super::didomi::DidomiFormat)),
        _ => None,
    }
}

impl ConsentConfig {
    /// Whether `name` is a consent source's own cookie, which always reaches the portal: it
    /// needs it to show the banner, or not.
    pub fn owns_cookie(&self, name: &str) -> bool {
        self.owns_cookie_bytes(name.as_bytes())
    }

    /// [`Self::owns_cookie`] for a name not yet checked to be text (the configured names are).
    pub fn owns_cookie_bytes(&self, name: &[u8]) -> bool {
        self.sources.iter().any(|source| {
            if source.format.reads_cookie_family() {
                name.starts_with(source.cookie.as_bytes())
            } else {
                name == source.cookie.as_bytes()
            }
        })
    }

    /// The consent a request carries. The first source whose cookie is present and readable
    /// decides; an unreadable cookie is passed over (and flagged); GPC then withdraws its
    /// categories. `needs_consent` is the registry's set of non-exempt categories.
    pub fn read(&self, headers: &impl FieldAccess, needs_consent: CategorySet) -> Consent {
        let mut consent = Consent::NONE;
        for (index, source) in self.sources.iter().enumerate() {
            let family;
            let value = if source.format.reads_cookie_family() {
                family = collect_cookie_family(headers, &source.cookie);
                family.as_deref()
            } else {
                find_request_cookie(headers, &source.cookie)
            };
            let Some(value) = value else {
                continue;
            };
            match source.read(value) {
                Ok(Some(granted)) => {
                    consent.source = Some(index);
                    consent.granted = granted;
                    consent.state = state_of(granted, needs_consent);
                    break;
                }
                Ok(None) => {
                    consent.source = Some(index);
                    break;
                }
                Err(reason) => {
                    consent.unreadable = true;
                    debug!(
                        target: "consentry::consent",
                        cookie = %source.cookie,
                        format = source.format.name(),
                        reason,
                        "consent cookie not understood; treated as no choice"
                    );
                }
            }
        }
        if has_gpc(headers) {
            consent.gpc = true;
            consent.gpc_denied = self.gpc_deny;
            if consent.state != ConsentState::None {
                consent.granted = consent.granted.difference(self.gpc_deny);
                consent.state = state_of(consent.granted, needs_consent);
            }
        }
        consent
    }
}

impl Consent {
    /// The consent for the rest of a response that sets a newer choice (`newer`, read from the
    /// response's own consent cookie): narrower when the newer choice withdraws a category the
    /// request's consent granted, never wider, so that a portal cannot grant itself consent by
    /// writing the cookie. A newer choice that withdraws nothing leaves the consent as it was.
    pub fn narrowed_to(&self, newer: &Consent, needs_consent: CategorySet) -> Consent {
        let granted = self.granted.intersection(newer.granted);
        if granted == self.granted {
            return *self;
        }
        Consent {
            state: match newer.state {
                ConsentState::None => ConsentState::None,
                _ => state_of(granted, needs_consent),
            },
            granted,
            source: newer.source.or(self.source),
            ..*self
        }
    }
}

impl ConsentSource {
    pub fn new(
        format: Box<dyn ConsentFormat>,
        cookie: String,
        keys: HashMap<String, CategorySet>,
    ) -> ConsentSource {
        ConsentSource {
            format,
            cookie,
            keys,
            readings: Memo::default(),
        }
    }

    /// `Ok(Some(granted))` for a choice, `Ok(None)` for "no choice yet", `Err` when unreadable;
    /// remembered for the next visitor who sends the same value.
    fn read(&self, value: &str) -> Result<Option<CategorySet>, &'static str> {
        if value.len() > MAX_REMEMBERED_VALUE {
            return self.decode(value);
        }
        self.readings.answer(value, |value| self.decode(value))
    }

    fn decode(&self, value: &str) -> Result<Option<CategorySet>, &'static str> {
        if value.len() > MAX_CONSENT_VALUE {
            return Err("value too long");
        }
        let mut granted = CategorySet::EMPTY;
        let mut denied = CategorySet::EMPTY;
        let reading = self
            .format
            .read(value, &mut |key, yes| {
                if let Some(categories) = self.keys.get(key) {
                    if yes {
                        granted = granted.union(*categories);
                    } else {
                        denied = denied.union(*categories);
                    }
                }
            })
            .map_err(|e| e.0)?;
        Ok(match reading {
            // Fail closed when keys disagree about a category: a refusal wins.
            Reading::Decided => Some(granted.difference(denied)),
            Reading::Undecided => None,
        })
    }
}

fn state_of(granted: CategorySet, needs_consent: CategorySet) -> ConsentState {
    let granted = granted.intersection(needs_consent);
    if granted.is_superset(needs_consent) {
        ConsentState::Given
    } else if granted.is_empty() {
        ConsentState::Refused
    } else {
        ConsentState::Partial
    }
}

#[cfg(test)]
mod tests;
