//! The `onetrust` consent format: OneTrust's `OptanonConsent` cookie, a URL query string
//! (`isGpcEnabled=0&…&interactionCount=1&…&groups=C0001%3A1%2CC0002%3A0&…`) whose `groups` field
//! lists `<group id>:1|0` pairs separated by commas.
//!
//! Keys are the group ids (`C0001`…`C0005` by default; tenants add custom ones, legacy numeric
//! ids and IAB stacks such as `STACK42`), so operators map them in `[consent.source.keys]`.
//! `isGpcEnabled` is ignored: consentry applies `Sec-GPC` itself, for every format alike.

use percent_encoding::percent_decode_str;

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct OneTrustFormat;

impl ConsentFormat for OneTrustFormat {
    fn name(&self) -> &'static str {
        "onetrust"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let mut groups = None;
        let mut interactions = None;
        for pair in value.split('&').filter(|pair| !pair.is_empty()) {
            let (name, field) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                // A repeated field could be read two ways; refuse rather than pick one.
                "groups" if groups.is_some() => return Err(Unreadable("groups appears twice")),
                "groups" => groups = Some(decode_field(field)?),
                "interactionCount" => interactions = Some(decode_field(field)?),
                _ => {}
            }
        }
        let groups = groups.ok_or(Unreadable("no groups field"))?;
        // Check every group before answering anything: a half-understood value is unread.
        let answers = groups
            .split(',')
            .map(read_group)
            .collect::<Result<Vec<_>, _>>()?;
        if interactions.as_deref() == Some("0") {
            // OneTrust writes its defaults before the visitor touches the banner.
            return Ok(Reading::Undecided);
        }
        for (group, granted) in answers {
            answer(group, granted);
        }
        Ok(Reading::Decided)
    }
}

/// Decodes one query-string field as `URLSearchParams` does: `+` is a space, then `%XX`.
fn decode_field(field: &str) -> Result<String, Unreadable> {
    let spaced = field.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| Unreadable("a field is not UTF-8 once percent-decoded"))
}

fn read_group(entry: &str) -> Result<(&str, bool), Unreadable> {
    let (group, choice) = entry
        .split_once(':')
        .ok_or(Unreadable("a group has no ':'"))?;
    if group.is_empty() {
        return Err(Unreadable("a group id is empty"));
    }
    match choice {
        "1" => Ok((group, true)),
        "0" => Ok((group, false)),
        _ => Err(Unreadable("a group choice is neither 0 nor 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    /// The `@commercetools-frontend/cookie-consent` README value (consent-formats.md §2).
    const README: &str = "isGpcEnabled=0&datestamp=Wed+Feb+01+2023+12%3A35%3A32+GMT%2B0100+(Central+European+Standard+Time)&version=202209.1.0&isIABGlobal=false&hosts=&consentId=7f3cf16d-b3e1-4781-8db1-61482d0a9dff&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A1%2CC0004%3A1%2CC0005%3A1&geolocation=AT%3B9&AwaitingReconsent=false";

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&OneTrustFormat, value)
    }

    #[test]
    fn reads_the_documented_partial_choice() {
        let expected = owned(&[
            ("C0001", true),
            ("C0002", false),
            ("C0003", true),
            ("C0004", true),
            ("C0005", true),
        ]);
        assert_eq!(read(README), Ok((Reading::Decided, expected)));
    }

    #[test]
    fn reads_groups_percent_encoded_or_raw() {
        let expected = owned(&[("C0001", true), ("C0002", false)]);
        for value in [
            "interactionCount=1&groups=C0001%3A1%2CC0002%3A0",
            "interactionCount=1&groups=C0001:1,C0002:0",
        ] {
            assert_eq!(
                read(value),
                Ok((Reading::Decided, expected.clone())),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_accept_all_and_refuse_all() {
        let accept = README.replace("C0002%3A0", "C0002%3A1");
        let (_, answers) = read(&accept).unwrap();
        assert!(answers.iter().all(|(_, granted)| *granted));
        let refuse = "interactionCount=2&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A0%2CC0004%3A0";
        let (reading, answers) = read(refuse).unwrap();
        assert_eq!(reading, Reading::Decided);
        assert_eq!(answers.iter().filter(|(_, granted)| *granted).count(), 1);
    }

    #[test]
    fn reads_legacy_numeric_and_stack_groups() {
        assert_eq!(
            read("groups=1%3A1%2C2%3A0%2CSTACK42%3A1"),
            Ok((
                Reading::Decided,
                owned(&[("1", true), ("2", false), ("STACK42", true)])
            ))
        );
    }

    #[test]
    fn no_interaction_yet_records_no_choice() {
        let value = README.replace("interactionCount=1", "interactionCount=0");
        assert_eq!(read(&value), Ok((Reading::Undecided, vec![])));
    }

    #[test]
    fn gpc_flag_does_not_change_the_answers() {
        let with_gpc = README.replace("isGpcEnabled=0", "isGpcEnabled=1");
        assert_eq!(read(&with_gpc), read(README));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        let huge = format!("groups={}", "C0001%3A1%2C".repeat(1000));
        for value in [
            "",
            "interactionCount=1",
            "interactionCount=0",
            "groups=",
            "groups=C0001%3A",
            "groups=C0001%3A1%2CC0002%3A2",
            "groups=C0001%3Atrue",
            "groups=C0001",
            "groups=%3A1",
            "groups=C0001%3A1%2C",
            "groups=C0001%3A1&groups=C0002%3A1",
            "groups=C0001%3A1%2CC00",
            "groups=%FF%3A1",
            "interactionCount=%FF&groups=C0001%3A1",
            huge.as_str(),
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_groups() {
        let mut answers = 0;
        let result = OneTrustFormat.read("groups=C0001:1,C0002:x", &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                "(interactionCount=[0-2]&)?groups=([A-Z0-9]{0,5}(:|%3A)[0-2x](,|%2C)){0,4}[A-Z0-9]{1,5}(:|%3A)[01]"
            ]
        ) {
            let mut answers = 0;
            let result = OneTrustFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
