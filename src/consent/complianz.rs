//! The `complianz` format (Complianz for WordPress): one cookie per category, `cmplz_functional`,
//! `cmplz_preferences`, `cmplz_statistics`, `cmplz_marketing`, each `allow` or `deny`
//! (verified in complianz-gdpr's `cookiebanner/js/complianz.js`). Configure the source with the
//! cookie prefix, `cookie = "cmplz_"` (or `"cmplz_rt_"` on a multisite main site): the source
//! hands this adapter every cookie of that family as `suffix=value` pairs.
//!
//! Keys reported: the category suffixes (`functional`, `preferences`, `statistics`,
//! `marketing`), `allow` → granted, `deny` → refused. Complianz's other cookies of the family
//! (`banner-status`, `consented_services`, `policy_id`, `saved_categories`…) are not choices and
//! are skipped. No category cookie at all means the banner was not answered: undecided. Complianz
//! counts an absent cookie as consent in opt-out regions; consentry does not (silence is refusal).

use super::format::{ConsentFormat, Reading, Unreadable};

const CATEGORIES: [&str; 4] = ["functional", "preferences", "statistics", "marketing"];

#[derive(Debug, Default)]
pub struct ComplianzFormat;

impl ConsentFormat for ComplianzFormat {
    fn name(&self) -> &'static str {
        "complianz"
    }

    fn reads_cookie_family(&self) -> bool {
        true
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let mut answers = Vec::with_capacity(CATEGORIES.len());
        for pair in value.split(';') {
            let (key, choice) = pair
                .split_once('=')
                .ok_or(Unreadable("a cookie of the family has no value"))?;
            if !CATEGORIES.contains(&key) {
                continue;
            }
            let granted = match choice {
                "allow" => true,
                "deny" => false,
                _ => return Err(Unreadable("a category cookie is neither allow nor deny")),
            };
            answers.push((key, granted));
        }
        if answers.is_empty() {
            return Ok(Reading::Undecided);
        }
        for (key, granted) in answers {
            answer(key, granted);
        }
        Ok(Reading::Decided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Result<(Reading, Vec<(String, bool)>), Unreadable> {
        let mut answers = Vec::new();
        let reading = ComplianzFormat.read(value, &mut |k, g| answers.push((k.to_owned(), g)))?;
        Ok((reading, answers))
    }

    #[test]
    fn reads_allow_and_deny_per_category() {
        let (reading, answers) =
            read("functional=allow;statistics=allow;marketing=deny;banner-status=dismissed")
                .unwrap();
        assert_eq!(reading, Reading::Decided);
        assert_eq!(
            answers,
            [
                ("functional".to_owned(), true),
                ("statistics".to_owned(), true),
                ("marketing".to_owned(), false)
            ]
        );
    }

    /// Only the banner's bookkeeping cookies: no choice was made.
    #[test]
    fn no_category_cookie_is_undecided() {
        assert_eq!(
            read("banner-status=show;policy_id=12"),
            Ok((Reading::Undecided, vec![]))
        );
    }

    /// Fail closed: an unknown choice makes the whole family unread.
    #[test]
    fn refuses_values_other_than_allow_or_deny() {
        for value in [
            "statistics=yes",
            "statistics=",
            "statistics=ALLOW",
            "statistics",
        ] {
            assert!(read(value).is_err(), "{value}");
        }
        let mut answered = 0;
        assert!(ComplianzFormat
            .read("marketing=allow;statistics=maybe", &mut |_, _| answered +=
                1)
            .is_err());
        assert_eq!(answered, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_or_refused_without_panicking(value in ".{0,300}") {
            let mut answered = 0;
            if ComplianzFormat.read(&value, &mut |_, _| answered += 1).is_err() {
                proptest::prop_assert_eq!(answered, 0);
            }
        }
    }
}
