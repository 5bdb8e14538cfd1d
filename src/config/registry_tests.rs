//! Load-time validation of the registry, consent sources and policy.

use std::path::Path;

use crate::config::{Config, ConfigErrors, Overrides};

const BASE: &str = "[proxy]\nupstream = \"http://127.0.0.1:1\"\n[[category]]\nid = \"necessary\"\n[[category]]\nid = \"statistics\"\n";

fn load(extra: &str) -> Result<Config, ConfigErrors> {
    let text = format!("{BASE}{extra}");
    Config::from_toml(&text, "site.toml", Path::new("."), &Overrides::default())
}

fn errors(extra: &str) -> Vec<String> {
    match load(extra) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(errors) => errors.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn the_shipped_opendatasoft_registry_has_exactly_the_four_cookies_of_the_policy() {
    let config = Config::load(Path::new("config/opendatasoft.toml"), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let rules = config.enforcement.expect("a registry");
    let names: Vec<String> = rules
        .registry
        .declarations()
        .iter()
        .map(|d| d.pattern.describe())
        .collect();
    assert_eq!(
        names,
        [
            "name \"sessionid\"",
            "name \"django_language\"",
            "name \"csrftoken\"",
            "name \"cookies_preferences\""
        ]
    );
    let necessary = rules.registry.category_id("necessary").unwrap();
    assert!(rules
        .registry
        .declarations()
        .iter()
        .all(|d| d.category == necessary && d.provider == "Opendatasoft"));
    assert!(!rules.registry.category(necessary).needs_consent);
    assert_eq!(
        config.proxy.upstream.host,
        "evrycourcouronnes-grandparissud.opendatasoft.com"
    );
}

#[test]
fn necessary_is_exempt_by_default_and_other_categories_need_consent() {
    let config = load("").unwrap();
    let registry = &config.enforcement.unwrap().registry;
    assert!(
        !registry
            .category(registry.category_id("necessary").unwrap())
            .needs_consent
    );
    assert!(
        registry
            .category(registry.category_id("statistics").unwrap())
            .needs_consent
    );
}

#[test]
fn an_unknown_category_is_named_with_its_line() {
    let errors =
        errors("[[cookie]]\nname = \"_ga\"\ncategory = \"analytics\"\nmax_lifetime = \"13mo\"\n");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("site.toml:9: cookie[0].category: unknown category `analytics`"),
        "{}",
        errors[0]
    );
}

#[test]
fn an_empty_pattern_is_refused() {
    let errors =
        errors("[[cookie]]\nprefix = \"\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n");
    assert!(errors[0].contains("the pattern is empty"), "{errors:?}");
}

#[test]
fn an_invalid_regex_is_refused_with_the_regex_error() {
    let errors = errors(
        "[[cookie]]\nregex = \"_hj(\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n",
    );
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("cookie[0]: invalid regex"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_declaration_needs_exactly_one_pattern() {
    let errors = errors("[[cookie]]\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n[[cookie]]\nname = \"a\"\nglob = \"a*\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("needs one of name, prefix, glob or regex"));
    assert!(errors[1].contains("give only one of"));
}

/// CookieBlock M4: a cookie left unclassified has not been looked at.
#[test]
fn the_unclassified_category_cannot_be_used() {
    let errors = errors("[[category]]\nid = \"unclassified\"\n[[cookie]]\nname = \"x\"\ncategory = \"unclassified\"\nmax_lifetime = \"1d\"\n");
    assert!(
        errors[0].contains("`unclassified` is not a category"),
        "{errors:?}"
    );
}

/// CookieBlock M6: two declarations that both match `_ga_X` disagree on its category.
#[test]
fn contradictory_declarations_are_refused() {
    let errors = errors(
        "[[cookie]]\nglob = \"_ga*\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n\
         [[cookie]]\nprefix = \"_ga_\"\ncategory = \"necessary\"\nmax_lifetime = \"13mo\"\n",
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("contradictory declarations (CookieBlock M6)"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("prefix \"_ga_\""), "{}", errors[0]);
}

/// Overlapping declarations that agree on the category are fine (most specific wins).
#[test]
fn overlapping_declarations_of_one_category_are_accepted() {
    load(
        "[[cookie]]\nglob = \"_pk_*\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n\
          [[cookie]]\nglob = \"_pk_id.*\"\ncategory = \"statistics\"\nmax_lifetime = \"13mo\"\n",
    )
    .unwrap();
}

#[test]
fn a_bad_lifetime_or_same_site_is_named() {
    let errors = errors("[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"forever\"\nsame_site = \"sometimes\"\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("cookie[0].max_lifetime"));
    assert!(errors[1].contains("cookie[0].same_site"));
}

#[test]
fn consent_sources_must_name_a_known_format_and_known_categories() {
    let errors = errors(
        "[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\n\
         [[consent.source]]\nformat = \"quantcast\"\ncookie = \"addtl_consent\"\n\
         [[consent.source]]\nformat = \"json\"\ncookie = \"prefs\"\nkeys = { a = \"ads\" }\n",
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("unknown format `quantcast`"));
    assert!(errors[1].contains("consent.source[1].keys.a: unknown category `ads`"));
}

#[test]
fn gpc_cannot_deny_an_exempt_category() {
    let errors = errors(
        "[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\n[consent.gpc]\ndeny = [\"necessary\"]\n",
    );
    assert!(errors[0].contains("exempt from consent"), "{errors:?}");
}

#[test]
fn policy_kinds_and_actions_are_checked() {
    let errors = errors(
        "[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\n\
         [policy.kinds.undeclared]\naction = \"cap\"\n[policy.kinds.spooky]\nmode = \"enforce\"\n",
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("policy.kinds.spooky: unknown violation kind"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("`cap` is not an action for `undeclared`"),
        "{errors:?}"
    );
}

#[test]
fn the_mode_override_replaces_the_file_mode() {
    let overrides = Overrides {
        mode: Some(crate::policy::Mode::ReportOnly),
        ..Overrides::default()
    };
    let text = format!(
        "{BASE}[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\n"
    );
    let config = Config::from_toml(&text, "site.toml", Path::new("."), &overrides).unwrap();
    assert_eq!(
        config.enforcement.unwrap().policy.mode,
        crate::policy::Mode::ReportOnly
    );
}

#[test]
fn a_category_mode_reaches_the_policy() {
    let text = "[proxy]\nupstream = \"http://127.0.0.1:1\"\n[[category]]\nid = \"statistics\"\nmode = \"report-only\"\n[[category]]\nid = \"marketing\"\n[[cookie]]\nname = \"a\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\n";
    let config =
        Config::from_toml(text, "site.toml", Path::new("."), &Overrides::default()).unwrap();
    let rules = config.enforcement.unwrap();
    let statistics = rules.registry.category_id("statistics");
    let marketing = rules.registry.category_id("marketing");
    let kind = crate::policy::ViolationKind::Refused;
    assert_eq!(
        rules.policy.mode(kind, statistics),
        crate::policy::Mode::ReportOnly
    );
    assert_eq!(
        rules.policy.mode(kind, marketing),
        crate::policy::Mode::Enforce
    );
}

#[test]
fn cleanup_is_on_by_default_and_its_bound_is_checked() {
    let rules = load("").unwrap().enforcement.unwrap();
    assert_eq!(rules.cleanup, crate::policy::Cleanup::default());
    assert!(rules.cleanup.enabled);
    let rules = load("[policy.cleanup]\nenabled = false\nmax_per_response = 8\n")
        .unwrap()
        .enforcement
        .unwrap();
    assert!(!rules.cleanup.enabled);
    assert_eq!(rules.cleanup.max_per_response, 8);
    for bad in ["0", "501"] {
        let errors = errors(&format!("[policy.cleanup]\nmax_per_response = {bad}\n"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("policy.cleanup.max_per_response: must be between 1 and 500"),
            "{errors:?}"
        );
    }
}

#[test]
fn a_declared_path_must_be_absolute_and_attribute_safe() {
    let declaration = |path: &str| {
        format!("[[cookie]]\nname = \"x\"\ncategory = \"statistics\"\nmax_lifetime = \"1d\"\npath = \"{path}\"\n")
    };
    let rules = load(&declaration("/portail")).unwrap().enforcement.unwrap();
    let (_, x) = rules.registry.find("x").unwrap();
    assert_eq!(x.path.as_deref(), Some("/portail"));
    for bad in ["portail", "/a;b", "/a b"] {
        let errors = errors(&declaration(bad));
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        assert!(
            errors[0].contains("cookie[0].path: must start with `/`"),
            "{bad}: {errors:?}"
        );
    }
}
