//! The `cookieyes` consent format: CookieYes's `cookieyes-consent` cookie, `key:value` pairs
//! joined by `,` (`consentid:…,consent:yes,action:yes,necessary:yes,analytics:no`), possibly
//! percent-encoded.
//!
//! `action:yes` records that the visitor answered the banner; without it nothing was chosen.
//! `consentid` (a random id), `consent` (a summary) and `lastRenewedDate` (a millisecond
//! timestamp the banner script appends) are bookkeeping; every other key is a category slug of
//! the site (`necessary`, `functional`, `analytics`, `performance`, `advertisement`, `other`…)
//! with value `yes` or `no`. The banner script stores empty values until the visitor answers, so
//! an empty value is accepted only while `action` is not `yes`.

use std::collections::HashSet;

use percent_encoding::percent_decode_str;

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct CookieYesFormat;

impl ConsentFormat for CookieYesFormat {
    fn name(&self) -> &'static str {
        "cookieyes"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        if decoded.is_empty() {
            return Ok(Reading::Undecided);
        }
        // Check everything before answering anything: a half-understood value is unread.
        let mut seen = HashSet::new();
        let mut acted = false;
        let mut categories = Vec::new();
        for pair in decoded.split(',') {
            let (key, value) = pair
                .split_once(':')
                .ok_or(Unreadable("a pair has no ':'"))?;
            if key.is_empty() {
                return Err(Unreadable("a pair has an empty key"));
            }
            // A repeated key (`action:no,action:yes`) has no single meaning.
            if !seen.insert(key) {
                return Err(Unreadable("a key is repeated"));
            }
            match key {
                "consentid" => {}
                "lastRenewedDate" => {
                    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(Unreadable("lastRenewedDate is not a number"));
                    }
                }
                "consent" => {
                    read_choice(value)?;
                }
                "action" => acted = read_choice(value)? == Some(true),
                _ => categories.push((key, read_choice(value)?)),
            }
        }
        if !acted {
            return Ok(Reading::Undecided);
        }
        let answers = categories
            .into_iter()
            .map(|(key, choice)| {
                choice.map(|granted| (key, granted)).ok_or(Unreadable(
                    "a category has no value after the visitor acted",
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (key, granted) in answers {
            answer(key, granted);
        }
        Ok(Reading::Decided)
    }
}

/// `yes`/`no`, or `None` for the empty value the banner stores before any answer.
fn read_choice(value: &str) -> Result<Option<bool>, Unreadable> {
    match value {
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        "" => Ok(None),
        _ => Err(Unreadable("a value is not yes or no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&CookieYesFormat, value)
    }

    const ACCEPT_ALL: &str = "consentid:OHNOck5kY2gzQjJ6UFlmN2dPUGFkZjVNM2hWRm9lZU4,consent:yes,\
                              action:yes,necessary:yes,functional:yes,analytics:yes,\
                              performance:yes,advertisement:yes";

    /// The accept-all value of consent-formats.md §2, raw and percent-encoded.
    #[test]
    fn reads_accept_all_raw_or_percent_encoded() {
        let expected = owned(&[
            ("necessary", true),
            ("functional", true),
            ("analytics", true),
            ("performance", true),
            ("advertisement", true),
        ]);
        let encoded = ACCEPT_ALL.replace(',', "%2C").replace(':', "%3A");
        for value in [ACCEPT_ALL, &encoded] {
            assert_eq!(read(value), Ok((Reading::Decided, expected.clone())));
        }
    }

    /// The reject-all value of consent-formats.md §2.
    #[test]
    fn reads_refuse_all() {
        let value = "consent:no,action:yes,necessary:yes,functional:no,analytics:no,\
                     performance:no,advertisement:no,other:no";
        let expected = owned(&[
            ("necessary", true),
            ("functional", false),
            ("analytics", false),
            ("performance", false),
            ("advertisement", false),
            ("other", false),
        ]);
        assert_eq!(read(value), Ok((Reading::Decided, expected)));
    }

    #[test]
    fn reads_a_partial_choice_with_the_renewal_date() {
        let value = "consentid:abc,consent:yes,action:yes,necessary:yes,analytics:yes,\
                     advertisement:no,lastRenewedDate:1734509533000";
        let expected = owned(&[
            ("necessary", true),
            ("analytics", true),
            ("advertisement", false),
        ]);
        assert_eq!(read(value), Ok((Reading::Decided, expected)));
    }

    /// Before the visitor answers, the banner stores `action` empty (or `no`) and empty values.
    #[test]
    fn records_no_choice_until_the_visitor_acts() {
        for value in [
            "",
            "consentid:abc,consent:,action:,necessary:,analytics:,lastRenewedDate:1734509533000",
            "consentid:abc,consent:no,action:no,necessary:yes,analytics:no",
            "consentid:abc,necessary:yes,analytics:yes",
        ] {
            assert_eq!(read(value), Ok((Reading::Undecided, vec![])), "{value:?}");
        }
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "action:yes,analytics",
            "action:yes,analytics:maybe",
            "action:yes,analytics:YES",
            "action:yes,analytics:",
            "action:yes,analytics:yes,",
            "action:yes,:yes",
            "action:yes,analytics:yes:no",
            "action:maybe,analytics:yes",
            "consent:1,action:yes",
            "action:no,action:yes,analytics:yes",
            "action:yes,analytics:yes,analytics:no",
            "action:yes,lastRenewedDate:soon",
            "action:yes,lastRenewedDate:",
            "action%3Ayes%2Canalytics%3A%FF",
            "%FF",
            "garbage",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let result = CookieYesFormat.read("action:yes,a:yes,b:perhaps", &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                "(action|consent|consentid|[a-z]{1,3}):(yes|no|x|)(,(action|[a-z]{1,3}):(yes|no|x|)){0,5}"
            ]
        ) {
            let mut answers = 0;
            let result = CookieYesFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
