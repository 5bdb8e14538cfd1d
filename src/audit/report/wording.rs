//! Phrases built from the labels and the report's figures, shared by the text and HTML reports.

use super::labels::Labels;
use super::summary::{ChainOut, PeriodOut};
use crate::cli::Lang;

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

/// A kind's column header in the text report: three letters, or the (cut) name of a kind this
/// version does not know.
pub fn abbreviate_kind(kind: &str) -> String {
    match kind {
        "malformed" => "MAL".to_owned(),
        "undeclared" => "UND".to_owned(),
        "no-consent" => "NOC".to_owned(),
        "refused" => "REF".to_owned(),
        "lifetime-exceeded" => "LIF".to_owned(),
        "attribute-missing" => "ATT".to_owned(),
        other => super::table::sanitise_cell(other, 12),
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

/// `from 2026-11-01T00:00:00.000Z until (excluded) …`, or "the whole log".
pub fn describe_period(period: &PeriodOut, l: &Labels) -> String {
    let bounds: Vec<String> = [(l.since, &period.since), (l.until, &period.until)]
        .into_iter()
        .filter_map(|(word, bound)| bound.as_ref().map(|b| format!("{word} {b}")))
        .collect();
    if bounds.is_empty() {
        l.whole_log.to_owned()
    } else {
        bounds.join(" ")
    }
}

/// `11 records in 3 files (instances web-1, web-2)`.
pub fn describe_chain(chain: &ChainOut, lang: Lang, french_separator: char) -> String {
    let records = format_count(chain.records, lang, french_separator);
    let instances = chain.instances.join(", ");
    let (one_instance, one_record, one_file) = (
        chain.instances.len() == 1,
        chain.records == 1,
        chain.files == 1,
    );
    let mut text = match lang {
        Lang::En => format!(
            "{records} record{} in {} file{}",
            plural_s(!one_record),
            chain.files,
            plural_s(!one_file)
        ),
        // French keeps 0 singular.
        Lang::Fr => format!(
            "{records} enregistrement{} dans {} fichier{}",
            plural_s(chain.records > 1),
            chain.files,
            plural_s(chain.files > 1)
        ),
    };
    if !instances.is_empty() {
        text += &format!(" (instance{} {instances})", plural_s(!one_instance));
    }
    text
}

fn plural_s(plural: bool) -> &'static str {
    if plural {
        "s"
    } else {
        ""
    }
}

/// `Sentence` from `sentence`: labels are written to sit mid-sentence too.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Lang;

    #[test]
    fn the_chain_summary_agrees_in_number_in_both_languages() {
        let chain = |records, files, instances: &[&str]| ChainOut {
            status: "intact",
            records,
            files,
            instances: instances.iter().map(|i| (*i).to_owned()).collect(),
            problem_count: 0,
            problems: Vec::new(),
            warning_count: 0,
            warnings: Vec::new(),
        };
        assert_eq!(
            describe_chain(&chain(1, 1, &["web-1"]), Lang::En, ' '),
            "1 record in 1 file (instance web-1)"
        );
        assert_eq!(
            describe_chain(&chain(1200, 3, &["a", "b"]), Lang::En, ' '),
            "1,200 records in 3 files (instances a, b)"
        );
        assert_eq!(
            describe_chain(&chain(0, 1, &[]), Lang::Fr, ' '),
            "0 enregistrement dans 1 fichier"
        );
        assert_eq!(
            describe_chain(&chain(1200, 2, &["a", "b"]), Lang::Fr, ' '),
            "1 200 enregistrements dans 2 fichiers (instances a, b)"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands_per_language() {
        assert_eq!(format_count(0, Lang::En, ' '), "0");
        assert_eq!(format_count(999, Lang::En, ' '), "999");
        assert_eq!(format_count(1_234_567, Lang::En, ' '), "1,234,567");
        assert_eq!(format_count(1_234, Lang::Fr, '\u{202f}'), "1\u{202f}234");
    }
}
