//! The `axeptio` consent format, for either of Axeptio's cookies:
//!
//! - `axeptio_cookies`: percent-encoded JSON whose `$$`-prefixed keys are bookkeeping
//!   (`$$token`, `$$date`, `$$cookiesVersion`, `$$completed`). Until `$$completed` is `true` the
//!   visitor has not chosen. Every other key is read as a vendor (`google_analytics`…) with a
//!   boolean choice. No Axeptio documentation was found: only no-choice values were seen, and
//!   these per-vendor booleans are commonly described but NOT confirmed, so any other shape is
//!   refused rather than guessed.
//! - `axeptio_authorized_vendors`: the granted vendors as a percent-encoded comma list with a
//!   leading and a trailing comma (`,google_ads,Youtube,`; `,,` when none). A value starting with
//!   `,` is read this way.

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct AxeptioFormat;

impl ConsentFormat for AxeptioFormat {
    fn name(&self) -> &'static str {
        "axeptio"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        if decoded.starts_with(',') {
            read_vendor_list(&decoded, answer)
        } else {
            read_cookies_object(&decoded, answer)
        }
    }
}

/// `axeptio_authorized_vendors`: every listed vendor is granted.
fn read_vendor_list(list: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
    let inner = list
        .strip_prefix(',')
        .and_then(|l| l.strip_suffix(','))
        .ok_or(Unreadable("the vendor list does not end with ','"))?;
    if inner.is_empty() {
        return Ok(Reading::Decided);
    }
    let vendors: Vec<&str> = inner.split(',').collect();
    // Check everything before answering anything: a half-understood value is unread.
    if vendors.iter().any(|vendor| vendor.is_empty()) {
        return Err(Unreadable("the vendor list has an empty name"));
    }
    for vendor in vendors {
        answer(vendor, true);
    }
    Ok(Reading::Decided)
}

/// `axeptio_cookies`: vendor booleans, once `$$completed` is true.
fn read_cookies_object(
    text: &str,
    answer: &mut dyn FnMut(&str, bool),
) -> Result<Reading, Unreadable> {
    let parsed: Value = serde_json::from_str(text).map_err(|_| Unreadable("not JSON"))?;
    let Value::Object(map) = parsed else {
        return Err(Unreadable("not a JSON object"));
    };
    let completed = match map.get("$$completed") {
        None => false,
        Some(Value::Bool(completed)) => *completed,
        Some(_) => return Err(Unreadable("$$completed is not a boolean")),
    };
    // Check everything before answering anything: a half-understood value is unread.
    let mut answers = Vec::new();
    for (key, choice) in &map {
        if key.starts_with("$$") {
            continue;
        }
        let granted = choice
            .as_bool()
            .ok_or(Unreadable("a vendor choice is not a boolean"))?;
        answers.push((key.as_str(), granted));
    }
    if !completed {
        return Ok(Reading::Undecided);
    }
    for (key, granted) in answers {
        answer(key, granted);
    }
    Ok(Reading::Decided)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&AxeptioFormat, value)
    }

    /// The real no-choice value of consent-formats.md §2, as stored and fully decoded.
    #[test]
    fn an_incomplete_choice_records_no_choice() {
        for value in [
            "{%22$$token%22:%22t1v1w821zpyn4r5rvtwdd%22%2C%22$$date%22:%222024-06-16T05:19:22.179Z%22%2C%22$$cookiesVersion%22:{}%2C%22$$completed%22:false}",
            r#"{"$$token":"t","$$date":"2024-06-16T05:19:22.179Z","$$cookiesVersion":{},"$$completed":false}"#,
            r#"{"$$token":"t","google_analytics":true}"#,
            "{}",
        ] {
            assert_eq!(read(value), Ok((Reading::Undecided, vec![])), "{value:?}");
        }
    }

    #[test]
    fn reads_vendor_booleans_once_completed_raw_or_percent_encoded() {
        let expected = owned(&[("google_analytics", true), ("facebook_pixel", false)]);
        for value in [
            r#"{"$$token":"t","$$cookiesVersion":{"name":"fr","identifier":"x"},"$$completed":true,"google_analytics":true,"facebook_pixel":false}"#,
            "%7B%22%24%24completed%22%3Atrue%2C%22google_analytics%22%3Atrue%2C%22facebook_pixel%22%3Afalse%7D",
        ] {
            assert_eq!(read(value), Ok((Reading::Decided, expected.clone())), "{value:?}");
        }
    }

    #[test]
    fn reads_accept_all_and_refuse_all_objects() {
        assert_eq!(
            read(r#"{"$$completed":true,"google_analytics":true,"Youtube":true}"#),
            Ok((
                Reading::Decided,
                owned(&[("google_analytics", true), ("Youtube", true)])
            ))
        );
        assert_eq!(
            read(r#"{"$$completed":true,"google_analytics":false,"Youtube":false}"#),
            Ok((
                Reading::Decided,
                owned(&[("google_analytics", false), ("Youtube", false)])
            ))
        );
    }

    /// The real `axeptio_authorized_vendors` value of consent-formats.md §2, and its raw form.
    #[test]
    fn reads_the_authorized_vendor_list_as_granted() {
        let expected = owned(&[
            ("facebook_pixel", true),
            ("google_ads", true),
            ("Gmaps", true),
            ("Youtube", true),
            ("google_analytics", true),
            ("Bing", true),
        ]);
        for value in [
            "%2Cfacebook_pixel%2Cgoogle_ads%2CGmaps%2CYoutube%2Cgoogle_analytics%2CBing%2C",
            ",facebook_pixel,google_ads,Gmaps,Youtube,google_analytics,Bing,",
        ] {
            assert_eq!(
                read(value),
                Ok((Reading::Decided, expected.clone())),
                "{value:?}"
            );
        }
    }

    #[test]
    fn an_empty_vendor_list_is_a_choice_granting_nothing() {
        assert_eq!(read("%2C%2C"), Ok((Reading::Decided, vec![])));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "",
            ",",
            ",google_ads",
            ",google_ads,,Bing,",
            ",google_ads,%FF,",
            r#"{"$$completed":"true","google_analytics":true}"#,
            r#"{"$$completed":true,"google_analytics":1}"#,
            r#"{"$$completed":false,"google_analytics":"yes"}"#,
            r#"{"$$completed":true,"google_analytics":null}"#,
            "%7B%22%24%24completed%22%3Atrue",
            r#"["google_analytics"]"#,
            "true",
            "%FF",
            "garbage",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let value = r#"{"$$completed":true,"a":true,"b":"perhaps"}"#;
        let result = AxeptioFormat.read(value, &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                "(,[a-z]{0,3}){0,4},?",
                r#"\{"\$\$completed":(true|false|1)(,"[a-z$]{1,3}":(true|false|1|"x")){0,4}\}"#
            ]
        ) {
            let mut answers = 0;
            let result = AxeptioFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
