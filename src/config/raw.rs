//! The configuration file as written: serde structs that mirror the TOML, with every unknown key
//! refused and every value that needs checking kept with its source span so that the validation
//! step can name the line. Nothing here is trusted; `super::validate` builds the runtime config.

use serde::Deserialize;
use toml::Spanned;

/// Text that keeps where it came from in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub proxy: Option<Spanned<RawProxy>>,
    #[serde(default)]
    pub category: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    pub cookie: Vec<Spanned<RawCookie>>,
    #[serde(default)]
    pub consent: RawConsent,
    #[serde(default)]
    pub policy: RawPolicy,
    pub audit: Option<Spanned<RawAudit>>,
    pub admin: Option<RawAdmin>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProxy {
    pub listen: Option<Text>,
    pub upstream: Option<Text>,
    #[serde(default)]
    pub preserve_host: bool,
    pub public_host: Option<Text>,
    pub upstream_ca: Option<Text>,
    #[serde(default)]
    pub trusted_proxies: Vec<Text>,
    pub grace_period: Option<Text>,
    pub workers: Option<toml::Spanned<u64>>,
    pub max_upstream_connections: Option<toml::Spanned<u64>>,
    #[serde(default)]
    pub timeouts: RawTimeouts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    pub connect: Option<Text>,
    pub upstream_headers: Option<Text>,
    pub idle: Option<Text>,
    pub client_headers: Option<Text>,
}

/// Text in French and English (labels, purposes).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawText {
    #[serde(default)]
    pub fr: String,
    #[serde(default)]
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    pub id: Text,
    #[serde(default)]
    pub label: RawText,
    /// Absent means true: a category is exempt only when the file says so.
    pub needs_consent: Option<bool>,
    pub mode: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCookie {
    pub name: Option<Text>,
    pub prefix: Option<Text>,
    pub glob: Option<Text>,
    pub regex: Option<Text>,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub service: String,
    pub category: Text,
    #[serde(default)]
    pub purpose: RawText,
    pub max_lifetime: Text,
    pub domain: Option<Text>,
    pub path: Option<Text>,
    pub secure: Option<bool>,
    pub http_only: Option<bool>,
    pub same_site: Option<Text>,
    /// TCF vendor ids whose consent the cookie also needs.
    #[serde(default)]
    pub tcf_vendors: Vec<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsent {
    #[serde(default)]
    pub source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    pub gpc: RawGpc,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub format: Text,
    pub cookie: Text,
    /// The format's keys, each mapped to one registry category or several.
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, OneOrMany>,
}

/// Plain strings: toml's spans do not survive serde's untagged buffering, so errors about these
/// point at the enclosing `[[consent.source]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one).iter(),
            OneOrMany::Many(many) => many.iter(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGpc {
    #[serde(default)]
    pub deny: Vec<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub mode: Option<Text>,
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<String, Spanned<RawKindPolicy>>,
    #[serde(default)]
    pub cleanup: RawCleanup,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCleanup {
    pub enabled: Option<bool>,
    pub max_per_response: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKindPolicy {
    pub action: Option<Text>,
    pub mode: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub path: Option<Text>,
    pub instance: Option<Text>,
    pub max_size: Option<Text>,
    pub rotate_daily: Option<bool>,
    pub fsync: Option<Text>,
    pub client: Option<Text>,
    pub aggregate: Option<Text>,
    pub queue: Option<Spanned<u64>>,
    pub max_pending: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<Text>,
}
