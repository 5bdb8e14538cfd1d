//! Validating `[consent]` (sources and GPC) and `[policy]` (mode, per-kind actions and modes).

use std::collections::HashMap;

use toml::Spanned;

use super::raw::{RawConsent, RawPolicy};
use super::{ConfigError, Source};
use crate::consent::source::{make_format, FORMATS};
use crate::consent::{ConsentConfig, ConsentSource};
use crate::policy::{Action, Cleanup, Mode, Policy, ViolationKind, KINDS};
use crate::registry::{CategoryId, CategorySet, Registry, VENDOR_CATEGORY_PREFIX};

pub fn validate_consent(
    raw: &RawConsent,
    registry: &Registry,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> ConsentConfig {
    let mut sources = Vec::new();
    for (i, entry) in raw.source.iter().enumerate() {
        let field = |name: &str| format!("consent.source[{i}].{name}");
        let raw_source = entry.get_ref();
        let format = make_format(raw_source.format.get_ref());
        if format.is_none() {
            errors.push(source.error(
                &field("format"),
                Some(&raw_source.format),
                format!(
                    "unknown format `{}` (known: {})",
                    raw_source.format.get_ref(),
                    FORMATS.join(", ")
                ),
            ));
        }
        let cookie = raw_source.cookie.get_ref().trim().to_owned();
        if cookie.is_empty() {
            errors.push(source.error(
                &field("cookie"),
                Some(&raw_source.cookie),
                "must not be empty",
            ));
        }
        let mut keys = HashMap::new();
        for (key, categories) in &raw_source.keys {
            let mut set = CategorySet::EMPTY;
            for name in categories.iter() {
                match registry.category_id(name) {
                    Some(id) => set.insert(id),
                    None => errors.push(source.error_at(
                        &field(&format!("keys.{key}")),
                        Some(entry.span()),
                        format!("unknown category `{name}`"),
                    )),
                }
            }
            keys.insert(key.clone(), set);
        }
        // A `tcf` source reports `vendor:<id>`; the vendors declarations name map to their
        // hidden categories without being listed in `keys`.
        if raw_source.format.get_ref() == "tcf" {
            for category in registry.categories() {
                if let Some(vendor) = category.id.strip_prefix(VENDOR_CATEGORY_PREFIX) {
                    if let Some(id) = registry.category_id(&category.id) {
                        keys.entry(format!("vendor:{vendor}"))
                            .or_insert(CategorySet::EMPTY)
                            .insert(id);
                    }
                }
            }
        }
        if let Some(format) = format {
            sources.push(ConsentSource::new(format, cookie, keys));
        }
    }
    let mut gpc_deny = CategorySet::EMPTY;
    for name in &raw.gpc.deny {
        match registry.category_id(name.get_ref()) {
            Some(id) if registry.category(id).needs_consent => gpc_deny.insert(id),
            Some(_) => errors.push(source.error(
                "consent.gpc.deny",
                Some(name),
                format!(
                    "`{}` is exempt from consent, so GPC cannot deny it",
                    name.get_ref()
                ),
            )),
            None => errors.push(source.error(
                "consent.gpc.deny",
                Some(name),
                format!("unknown category `{}`", name.get_ref()),
            )),
        }
    }
    ConsentConfig { sources, gpc_deny }
}

pub fn validate_policy(
    raw: &RawPolicy,
    category_modes: &[(CategoryId, Mode)],
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Policy {
    let mode = match &raw.mode {
        None => Mode::Enforce,
        Some(text) => Mode::parse(text.get_ref()).unwrap_or_else(|| {
            errors.push(source.error(
                "policy.mode",
                Some(text),
                "must be \"enforce\" or \"report-only\"",
            ));
            Mode::Enforce
        }),
    };
    let mut policy = Policy::new(mode);
    for &(category, mode) in category_modes {
        policy.set_category_mode(category, mode);
    }
    for (name, rule) in &raw.kinds {
        validate_kind_rule(&mut policy, name, rule, source, errors);
    }
    policy
}

/// Cap on `max_per_response`: beyond it a response head outgrows what proxies in front accept
/// (nginx's default `proxy_buffer_size` is 4 or 8 KiB; a deletion line is about 100 bytes).
const MAX_DELETIONS: u64 = 500;

pub fn validate_cleanup(
    raw: &super::raw::RawCleanup,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Cleanup {
    let default = Cleanup::default();
    let max_per_response = match &raw.max_per_response {
        None => default.max_per_response,
        Some(max) if (1..=MAX_DELETIONS).contains(max.get_ref()) => {
            usize::try_from(*max.get_ref()).unwrap_or(default.max_per_response)
        }
        Some(max) => {
            errors.push(source.error_at(
                "policy.cleanup.max_per_response",
                Some(max.span()),
                format!("must be between 1 and {MAX_DELETIONS}"),
            ));
            default.max_per_response
        }
    };
    Cleanup {
        enabled: raw.enabled.unwrap_or(default.enabled),
        max_per_response,
    }
}

fn validate_kind_rule(
    policy: &mut Policy,
    name: &str,
    rule: &Spanned<super::raw::RawKindPolicy>,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    let field = format!("policy.kinds.{name}");
    let Some(kind) = ViolationKind::parse(name) else {
        let known: Vec<_> = KINDS.iter().map(|k| k.as_str()).collect();
        errors.push(source.error_at(
            &field,
            Some(rule.span()),
            format!(
                "unknown violation kind `{name}` (known: {})",
                known.join(", ")
            ),
        ));
        return;
    };
    let rule = rule.get_ref();
    if let Some(text) = &rule.action {
        let allowed = || {
            kind.allowed_actions()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match Action::parse(text.get_ref()) {
            Some(action) if policy.set_action(kind, action) => {}
            _ => errors.push(source.error(
                &format!("{field}.action"),
                Some(text),
                format!(
                    "`{}` is not an action for `{kind}` (use {})",
                    text.get_ref(),
                    allowed()
                ),
            )),
        }
    }
    if let Some(text) = &rule.mode {
        match Mode::parse(text.get_ref()) {
            Some(mode) => policy.set_kind_mode(kind, mode),
            None => errors.push(source.error(
                &format!("{field}.mode"),
                Some(text),
                "must be \"enforce\" or \"report-only\"",
            )),
        }
    }
}
