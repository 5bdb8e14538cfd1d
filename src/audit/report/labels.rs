//! The words of the text and HTML reports, in English and French, and how numbers are written.

use crate::cli::Lang;

/// Every fixed string a person reads in the report.
#[derive(Debug)]
pub struct Labels {
    pub lang_code: &'static str,
    pub title: &'static str,
    pub generated: &'static str,
    pub files: &'static str,
    pub period: &'static str,
    pub whole_log: &'static str,
    pub since: &'static str,
    pub until: &'static str,
    pub chain: &'static str,
    pub chain_intact: &'static str,
    pub chain_broken: &'static str,
    pub chain_broken_note: &'static str,
    pub records_in_files: &'static str,
    pub instances_word: &'static str,
    pub problems: &'static str,
    pub warnings: &'static str,
    pub totals: &'static str,
    pub violations: &'static str,
    pub lines: &'static str,
    pub first_seen: &'static str,
    pub last_seen: &'static str,
    pub unreadable_lines: &'static str,
    pub outside_period: &'static str,
    pub no_violations: &'static str,
    pub by_instance: &'static str,
    pub instance: &'static str,
    pub by_kind: &'static str,
    pub kind: &'static str,
    pub meaning: &'static str,
    pub by_category: &'static str,
    pub category: &'static str,
    pub uncategorised: &'static str,
    pub by_consent: &'static str,
    pub consent_state: &'static str,
    pub enforcement: &'static str,
    pub mode: &'static str,
    pub enforced: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub top_cookies: &'static str,
    pub by_cookie: &'static str,
    pub cookie: &'static str,
    pub declaration: &'static str,
    pub undeclared: &'static str,
    pub kinds_column: &'static str,
    pub top_paths: &'static str,
    pub path: &'static str,
    pub other_paths: &'static str,
    pub per_day: &'static str,
    pub day: &'static str,
    pub earlier_days: &'static str,
    pub more_rows: &'static str,
    pub chart_per_day: &'static str,
    pub chart_top_cookies: &'static str,
}

pub const EN: Labels = Labels {
    lang_code: "en",
    title: "consentry audit report",
    generated: "Generated",
    files: "Files",
    period: "Period",
    whole_log: "the whole log",
    since: "from",
    until: "until (excluded)",
    chain: "Audit chain",
    chain_intact: "INTACT",
    chain_broken: "BROKEN",
    chain_broken_note: "the log may have been altered or be incomplete: the figures below cannot be trusted as complete",
    records_in_files: "records in",
    instances_word: "instances",
    problems: "Problems",
    warnings: "Warnings",
    totals: "Totals",
    violations: "violations",
    lines: "lines",
    first_seen: "First seen",
    last_seen: "Last seen",
    unreadable_lines: "Unreadable lines",
    outside_period: "Lines outside the period",
    no_violations: "No violations in this period.",
    by_instance: "By instance",
    instance: "instance",
    by_kind: "By kind of violation",
    kind: "kind",
    meaning: "meaning",
    by_category: "By category",
    category: "category",
    uncategorised: "(no category)",
    by_consent: "By consent state at the time of the breach",
    consent_state: "consent",
    enforcement: "Enforcement",
    mode: "mode",
    enforced: "enforced",
    yes: "yes",
    no: "no",
    top_cookies: "Top cookies",
    by_cookie: "By cookie",
    cookie: "cookie",
    declaration: "declaration",
    undeclared: "undeclared",
    kinds_column: "by kind",
    top_paths: "Top paths",
    path: "path",
    other_paths: "other paths",
    per_day: "Violations per day (UTC)",
    day: "day",
    earlier_days: "earlier days not shown (see --format json, csv or html)",
    more_rows: "more rows in --format json or csv",
    chart_per_day: "Violations per day, stacked by kind",
    chart_top_cookies: "Cookies with the most violations",
};

pub const FR: Labels = Labels {
    lang_code: "fr",
    title: "Rapport d’audit consentry",
    generated: "Produit le",
    files: "Fichiers",
    period: "Période",
    whole_log: "tout le journal",
    since: "du",
    until: "au (exclu)",
    chain: "Chaîne d’audit",
    chain_intact: "INTACTE",
    chain_broken: "ROMPUE",
    chain_broken_note: "le journal a pu être modifié ou être incomplet : les chiffres ci-dessous ne peuvent pas être tenus pour complets",
    records_in_files: "enregistrements dans",
    instances_word: "instances",
    problems: "Problèmes",
    warnings: "Avertissements",
    totals: "Totaux",
    violations: "violations",
    lines: "lignes",
    first_seen: "Première",
    last_seen: "Dernière",
    unreadable_lines: "Lignes illisibles",
    outside_period: "Lignes hors période",
    no_violations: "Aucune violation sur cette période.",
    by_instance: "Par instance",
    instance: "instance",
    by_kind: "Par type de violation",
    kind: "type",
    meaning: "signification",
    by_category: "Par catégorie",
    category: "catégorie",
    uncategorised: "(sans catégorie)",
    by_consent: "Par état du consentement au moment de la violation",
    consent_state: "consentement",
    enforcement: "Application",
    mode: "mode",
    enforced: "appliquée",
    yes: "oui",
    no: "non",
    top_cookies: "Cookies les plus en cause",
    by_cookie: "Par cookie",
    cookie: "cookie",
    declaration: "déclaration",
    undeclared: "non déclaré",
    kinds_column: "par type",
    top_paths: "Chemins les plus touchés",
    path: "chemin",
    other_paths: "autres chemins",
    per_day: "Violations par jour (UTC)",
    day: "jour",
    earlier_days: "jours antérieurs non affichés (voir --format json, csv ou html)",
    more_rows: "lignes de plus dans --format json ou csv",
    chart_per_day: "Violations par jour, empilées par type",
    chart_top_cookies: "Cookies ayant le plus de violations",
};

pub fn labels_for(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    }
}

/// What a violation kind means, for people who do not know the CookieBlock numbering.
pub fn describe_kind(lang: Lang, kind: &str) -> &'static str {
    match (lang, kind) {
        (Lang::En, "malformed") => "not a cookie a browser would store",
        (Lang::En, "undeclared") => "no declaration matches (M5)",
        (Lang::En, "no-consent") => "needs consent, no choice made (M7)",
        (Lang::En, "refused") => "refused by the visitor or GPC (M8)",
        (Lang::En, "lifetime-exceeded") => "lives longer than declared (M3)",
        (Lang::En, "attribute-missing") => "Secure, HttpOnly or SameSite wrong",
        (Lang::Fr, "malformed") => "cookie qu’un navigateur ne garderait pas",
        (Lang::Fr, "undeclared") => "aucune déclaration ne correspond (M5)",
        (Lang::Fr, "no-consent") => "soumis au consentement, pas de choix (M7)",
        (Lang::Fr, "refused") => "refusé par le visiteur ou GPC (M8)",
        (Lang::Fr, "lifetime-exceeded") => "vit plus longtemps que déclaré (M3)",
        (Lang::Fr, "attribute-missing") => "Secure, HttpOnly ou SameSite incorrect",
        _ => "",
    }
}

/// What a consent state means.
pub fn describe_consent(lang: Lang, state: &str) -> &'static str {
    match (lang, state) {
        (Lang::En, "none") => "no choice yet (or unreadable)",
        (Lang::En, "given") => "every category granted",
        (Lang::En, "refused") => "every category refused",
        (Lang::En, "partial") => "some categories granted",
        (Lang::Fr, "none") => "pas encore de choix (ou illisible)",
        (Lang::Fr, "given") => "toutes les catégories acceptées",
        (Lang::Fr, "refused") => "toutes les catégories refusées",
        (Lang::Fr, "partial") => "certaines catégories acceptées",
        _ => "",
    }
}

/// `1234567` as `1,234,567` (English) or with `separator` between thousands (French).
pub fn format_count(n: u64, lang: Lang, french_separator: char) -> String {
    let separator = match lang {
        Lang::En => ',',
        Lang::Fr => french_separator,
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands_per_language() {
        assert_eq!(format_count(0, Lang::En, ' '), "0");
        assert_eq!(format_count(999, Lang::En, ' '), "999");
        assert_eq!(format_count(1_234_567, Lang::En, ' '), "1,234,567");
        assert_eq!(format_count(1_234, Lang::Fr, '\u{202f}'), "1\u{202f}234");
    }
}
