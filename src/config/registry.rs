//! Validating `[[category]]` and `[[cookie]]` into a [`Registry`].
//!
//! Checks: unique, non-empty category ids (at most 64); every declaration has exactly one
//! non-empty pattern, a known category, a lifetime and valid attributes; no declaration uses
//! `unclassified` (CookieBlock M4); no two declarations that match the same name disagree on the
//! category (M6); every regex compiles.

use std::collections::HashSet;

use toml::Spanned;

use super::raw::{RawCategory, RawCookie, Text};
use super::{parse_duration, ConfigError, Source};
use crate::policy::Mode;
use crate::registry::{
    Category, CategoryId, CategorySet, Declaration, MaxLifetime, Pattern, Registry,
    RequiredAttributes, RequiredSameSite, Text as Label, MAX_CATEGORIES,
};

/// The category CookieBlock calls "unclassified" (M4): a cookie nobody looked at.
const UNCLASSIFIED: &str = "unclassified";

/// The validated registry, and the per-category modes for the policy.
pub struct Validated {
    pub registry: Registry,
    pub category_modes: Vec<(CategoryId, Mode)>,
}

pub fn validate_registry(
    categories: &[Spanned<RawCategory>],
    cookies: &[Spanned<RawCookie>],
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Validated> {
    let before = errors.len();
    let (mut categories, category_modes) = validate_categories(categories, source, errors);
    add_vendor_categories(&mut categories, cookies, source, errors);
    let lookup = |name: &str| {
        categories
            .iter()
            .position(|c| c.id == name)
            .map(|i| CategoryId(i as u8))
    };
    let declarations: Vec<Declaration> = cookies
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| validate_cookie(i, raw, &lookup, source, errors))
        .collect();
    if errors.len() > before {
        return None;
    }
    let registry = match Registry::new(categories, declarations) {
        Ok(registry) => registry,
        Err(matcher_errors) => {
            for error in matcher_errors {
                let (id, message) = match error {
                    crate::registry::matcher::MatcherError::EmptyPattern { id } => {
                        (id, "the pattern is empty".to_owned())
                    }
                    crate::registry::matcher::MatcherError::InvalidRegex { id, message } => {
                        (id, format!("invalid regex: {message}"))
                    }
                };
                let span = cookies.get(id).map(|c| c.span());
                errors.push(source.error_at(&format!("cookie[{id}]"), span, message));
            }
            return None;
        }
    };
    check_contradictions(&registry, cookies, source, errors);
    (errors.len() == before).then_some(Validated {
        registry,
        category_modes,
    })
}

fn validate_categories(
    raw: &[Spanned<RawCategory>],
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> (Vec<Category>, Vec<(CategoryId, Mode)>) {
    let mut categories = Vec::new();
    let mut modes = Vec::new();
    let mut seen = HashSet::new();
    for (i, entry) in raw.iter().enumerate() {
        let field = |name: &str| format!("category[{i}].{name}");
        let category = entry.get_ref();
        let id = category.id.get_ref().trim();
        if id.is_empty() {
            errors.push(source.error(&field("id"), Some(&category.id), "must not be empty"));
            continue;
        }
        if !seen.insert(id.to_owned()) {
            errors.push(source.error(
                &field("id"),
                Some(&category.id),
                format!("`{id}` is declared twice"),
            ));
            continue;
        }
        if categories.len() == MAX_CATEGORIES {
            errors.push(source.error(
                &field("id"),
                Some(&category.id),
                format!("more than {MAX_CATEGORIES} categories"),
            ));
            continue;
        }
        let index = CategoryId(categories.len() as u8);
        if let Some(mode) = &category.mode {
            match Mode::parse(mode.get_ref()) {
                Some(mode) => modes.push((index, mode)),
                None => errors.push(source.error(
                    &field("mode"),
                    Some(mode),
                    "must be \"enforce\" or \"report-only\"",
                )),
            }
        }
        categories.push(Category {
            id: id.to_owned(),
            label: Label {
                fr: category.label.fr.clone(),
                en: category.label.en.clone(),
            },
            // Exempt only when the file says so, or for the conventional `necessary`.
            needs_consent: category.needs_consent.unwrap_or(id != "necessary"),
        });
    }
    (categories, modes)
}

/// A hidden, exempt category per TCF vendor named by a declaration: a `tcf` source grants it when
/// the TC string gives that vendor consent, and the verdict requires it for those cookies.
fn add_vendor_categories(
    categories: &mut Vec<Category>,
    cookies: &[Spanned<RawCookie>],
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    for (i, cookie) in cookies.iter().enumerate() {
        for &vendor in &cookie.get_ref().tcf_vendors {
            let id = Registry::vendor_category_name(vendor);
            if categories.iter().any(|c| c.id == id) {
                continue;
            }
            if categories.len() == MAX_CATEGORIES {
                errors.push(source.error_at(
                    &format!("cookie[{i}].tcf_vendors"),
                    Some(cookie.span()),
                    format!(
                        "too many categories and TCF vendors together (at most {MAX_CATEGORIES})"
                    ),
                ));
                return;
            }
            categories.push(Category {
                label: Label {
                    fr: format!("Fournisseur TCF {vendor}"),
                    en: format!("TCF vendor {vendor}"),
                },
                id,
                needs_consent: false,
            });
        }
    }
}

fn validate_cookie(
    index: usize,
    entry: &Spanned<RawCookie>,
    lookup: &dyn Fn(&str) -> Option<CategoryId>,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Declaration> {
    let raw = entry.get_ref();
    let field = |name: &str| format!("cookie[{index}].{name}");
    let before = errors.len();

    let patterns = [
        raw.name
            .as_ref()
            .map(|t| (t, Pattern::Exact(t.get_ref().clone()))),
        raw.prefix
            .as_ref()
            .map(|t| (t, Pattern::Prefix(t.get_ref().clone()))),
        raw.glob
            .as_ref()
            .map(|t| (t, Pattern::Glob(t.get_ref().clone()))),
        raw.regex
            .as_ref()
            .map(|t| (t, Pattern::Regex(t.get_ref().clone()))),
    ];
    let mut given = patterns.into_iter().flatten();
    let pattern = match (given.next(), given.next()) {
        (Some((text, pattern)), None) => {
            if text.get_ref().is_empty() {
                errors.push(source.error(&field("name"), Some(text), "the pattern is empty"));
            }
            Some(pattern)
        }
        (None, _) => {
            errors.push(source.error_at(
                &format!("cookie[{index}]"),
                Some(entry.span()),
                "needs one of name, prefix, glob or regex",
            ));
            None
        }
        (Some(_), Some((second, _))) => {
            errors.push(source.error(
                &format!("cookie[{index}]"),
                Some(second),
                "give only one of name, prefix, glob or regex",
            ));
            None
        }
    };

    let category_name = raw.category.get_ref().as_str();
    let category = if category_name == UNCLASSIFIED {
        errors.push(source.error(
            &field("category"),
            Some(&raw.category),
            "`unclassified` is not a category: classify the cookie (CookieBlock M4)",
        ));
        None
    } else {
        let found = lookup(category_name);
        if found.is_none() {
            errors.push(source.error(
                &field("category"),
                Some(&raw.category),
                format!("unknown category `{category_name}` (declare it in a [[category]] table)"),
            ));
        }
        found
    };

    let max_lifetime = parse_lifetime(&raw.max_lifetime)
        .map_err(|m| errors.push(source.error(&field("max_lifetime"), Some(&raw.max_lifetime), m)))
        .ok();
    let same_site = raw.same_site.as_ref().and_then(|text| {
        parse_same_site(text.get_ref())
            .map_err(|m| errors.push(source.error(&field("same_site"), Some(text), m)))
            .ok()
    });
    let domain = raw.domain.as_ref().map(|text| {
        let domain = text
            .get_ref()
            .trim()
            .trim_start_matches('.')
            .to_ascii_lowercase();
        if domain.is_empty() {
            errors.push(source.error(&field("domain"), Some(text), "must not be empty"));
        }
        domain
    });
    let path = raw.path.as_ref().map(|text| {
        let path = text.get_ref().trim().to_owned();
        if !path.starts_with('/')
            || path
                .bytes()
                .any(|b| b == b';' || !(0x21..0x7f).contains(&b))
        {
            errors.push(source.error(
                &field("path"),
                Some(text),
                "must start with `/` and hold no `;`, space or control character",
            ));
        }
        path
    });

    if errors.len() > before {
        return None;
    }
    Some(Declaration {
        pattern: pattern?,
        provider: raw.provider.clone(),
        service: raw.service.clone(),
        category: category?,
        purpose: Label {
            fr: raw.purpose.fr.clone(),
            en: raw.purpose.en.clone(),
        },
        max_lifetime: max_lifetime?,
        domain,
        path,
        required: RequiredAttributes {
            secure: raw.secure.unwrap_or(false),
            http_only: raw.http_only.unwrap_or(false),
            same_site,
        },
        vendors: raw
            .tcf_vendors
            .iter()
            .filter_map(|&v| lookup(&Registry::vendor_category_name(v)))
            .fold(CategorySet::EMPTY, |mut set, id| {
                set.insert(id);
                set
            }),
    })
}

/// `"session"` or a duration such as `"14d"`, `"13mo"`.
fn parse_lifetime(text: &Text) -> Result<MaxLifetime, String> {
    let value = text.get_ref().trim();
    if value.eq_ignore_ascii_case("session") {
        return Ok(MaxLifetime::Session);
    }
    parse_duration(value)
        .map(MaxLifetime::Duration)
        .map_err(|m| format!("{m}; or \"session\""))
}

fn parse_same_site(text: &str) -> Result<RequiredSameSite, String> {
    match text.to_ascii_lowercase().as_str() {
        "strict" => Ok(RequiredSameSite::Strict),
        "lax" => Ok(RequiredSameSite::Lax),
        "none" => Ok(RequiredSameSite::None),
        _ => Err(format!("`{text}` is not \"strict\", \"lax\" or \"none\"")),
    }
}

/// Two declarations that can match the same cookie name must agree on its category, or the
/// registry says two things about one cookie (CookieBlock M6). Overlaps are probed with sample
/// names made from each pattern (a regex is probed by the others' samples).
fn check_contradictions(
    registry: &Registry,
    cookies: &[Spanned<RawCookie>],
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    let declarations = registry.declarations();
    let mut reported = HashSet::new();
    for declaration in declarations {
        for name in crate::registry::NameMatcher::sample_names(&declaration.pattern) {
            let matches = registry.find_all(&name);
            for &a in &matches {
                for &b in &matches {
                    let (Some(da), Some(db)) = (declarations.get(a), declarations.get(b)) else {
                        continue;
                    };
                    if a < b && da.category != db.category && reported.insert((a, b)) {
                        let line_a = cookies
                            .get(a)
                            .map(|c| super::error::line_of(source.text, c.span().start))
                            .unwrap_or(0);
                        errors.push(source.error_at(
                            &format!("cookie[{b}]"),
                            cookies.get(b).map(|c| c.span()),
                            format!(
                                "{} (category `{}`) and {} on line {line_a} (category `{}`) both match `{name}`: contradictory declarations (CookieBlock M6)",
                                db.pattern.describe(),
                                registry.category(db.category).id,
                                da.pattern.describe(),
                                registry.category(da.category).id,
                            ),
                        ));
                    }
                }
            }
        }
    }
}
