//! The `klaro` consent format: Klaro's `klaro` cookie, `encodeURIComponent` of a JSON object
//! `{<service name>: true|false}` (`%7B%22matomo%22%3Atrue%2C%22youtube%22%3Afalse%7D`).
//!
//! Keys are the service names of the site's Klaro configuration; purposes live only in that
//! configuration, so operators map services to categories in `[consent.source.keys]`.

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct KlaroFormat;

impl ConsentFormat for KlaroFormat {
    fn name(&self) -> &'static str {
        "klaro"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        let parsed: Value = serde_json::from_str(&decoded).map_err(|_| Unreadable("not JSON"))?;
        let Value::Object(map) = parsed else {
            return Err(Unreadable("not a JSON object"));
        };
        if map.is_empty() {
            return Ok(Reading::Undecided);
        }
        // Check everything before answering anything: a half-understood value is unread.
        let answers = map
            .iter()
            .map(|(key, choice)| {
                choice
                    .as_bool()
                    .map(|granted| (key.as_str(), granted))
                    .ok_or(Unreadable("a service choice is not a boolean"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (key, granted) in answers {
            answer(key, granted);
        }
        Ok(Reading::Decided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&KlaroFormat, value)
    }

    /// The example from consent-formats.md §2, as Klaro writes it and decoded.
    #[test]
    fn reads_a_partial_choice_percent_encoded_or_raw() {
        let expected = owned(&[("matomo", true), ("youtube", false)]);
        for value in [
            "%7B%22matomo%22%3Atrue%2C%22youtube%22%3Afalse%7D",
            r#"{"matomo":true,"youtube":false}"#,
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
        assert_eq!(
            read("%7B%22matomo%22%3Atrue%2C%22youtube%22%3Atrue%7D"),
            Ok((
                Reading::Decided,
                owned(&[("matomo", true), ("youtube", true)])
            ))
        );
        assert_eq!(
            read("%7B%22matomo%22%3Afalse%2C%22youtube%22%3Afalse%7D"),
            Ok((
                Reading::Decided,
                owned(&[("matomo", false), ("youtube", false)])
            ))
        );
    }

    #[test]
    fn an_empty_object_records_no_choice() {
        assert_eq!(read("%7B%7D"), Ok((Reading::Undecided, vec![])));
        assert_eq!(read("{}"), Ok((Reading::Undecided, vec![])));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "",
            "%7B%22matomo%22%3Atrue",
            "%7B%22matomo%22%3A1%7D",
            r#"{"matomo":"yes"}"#,
            r#"{"matomo":null}"#,
            r#"{"matomo":{"a":true}}"#,
            r#"["matomo"]"#,
            "true",
            "%FF",
            "%7B%22%FF%22%3Atrue%7D",
            "garbage",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let result = KlaroFormat.read(r#"{"a":true,"b":"perhaps"}"#, &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                r#"\{("[a-z]{1,4}":(true|false|1|null),){0,4}"[a-z]{1,4}":(true|false|"x")\}"#
            ]
        ) {
            let mut answers = 0;
            let result = KlaroFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
