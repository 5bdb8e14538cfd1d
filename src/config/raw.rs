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
