//! The `cookieconsent` consent format: orestbida/cookieconsent's `cc_cookie`, a JSON object,
//! percent-encoded by v3 (and by v2 with `rfc_cookie: true`), raw otherwise.
//!
//! v3 lists the accepted categories in `categories` and the accepted services per category in
//! `services` (`{"analytics":["matomo"]}`); v2 lists the accepted categories in `level`. Each
//! accepted category is reported as granted under its own name, each accepted service as
//! `<category>.<service>`, so operators may map either. Categories not listed are simply not
//! reported: silence is refusal.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct CookieConsentFormat;

impl ConsentFormat for CookieConsentFormat {
    fn name(&self) -> &'static str {
        "cookieconsent"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let map = parse(value)?;
        let categories = match (map.get("categories"), map.get("level")) {
            (Some(list), None) | (None, Some(list)) => names(list)?,
            (None, None) => return Err(Unreadable("neither categories nor level")),
            // The two versions never write both; which one is meant is unknown.
            (Some(_), Some(_)) => return Err(Unreadable("both categories and level")),
        };
        // Check everything before answering anything: a half-understood value is unread.
        let mut services = Vec::new();
        match map.get("services") {
            None => {}
            Some(Value::Object(per_category)) => {
                for (category, list) in per_category {
                    let accepted = names(list)?;
                    // The library empties a refused category's services; anything else is a
                    // value it did not write, and granting those services would bypass the refusal.
                    if !accepted.is_empty() && !categories.contains(&category.as_str()) {
                        return Err(Unreadable("services accepted in a refused category"));
                    }
                    for service in accepted {
                        services.push(format!("{category}.{service}"));
                    }
                }
            }
            Some(_) => return Err(Unreadable("services is not an object")),
        }
        for category in categories {
            answer(category, true);
        }
        for service in &services {
            answer(service, true);
        }
        Ok(Reading::Decided)
    }
}

/// The JSON object, from a raw value (v2 without `rfc_cookie`) or a percent-encoded one.
fn parse(value: &str) -> Result<Map<String, Value>, Unreadable> {
    // Raw first: percent-decoding a raw value would alter any `%` inside its strings.
    let parsed = match serde_json::from_str::<Value>(value) {
        Ok(parsed) => parsed,
        Err(_) => {
            let decoded = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
            serde_json::from_str(&decoded).map_err(|_| Unreadable("not JSON"))?
        }
    };
    match parsed {
        Value::Object(map) => Ok(map),
        _ => Err(Unreadable("not a JSON object")),
    }
}

fn names(list: &Value) -> Result<Vec<&str>, Unreadable> {
    let Value::Array(items) = list else {
        return Err(Unreadable("a category or service list is not an array"));
    };
    items
        .iter()
        .map(|item| {
            item.as_str()
                .ok_or(Unreadable("a list item is not a string"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&CookieConsentFormat, value)
    }

    fn granted(keys: &[&str]) -> Vec<(String, bool)> {
        let mut owned: Vec<_> = keys.iter().map(|k| (k.to_string(), true)).collect();
        owned.sort();
        owned
    }

    fn encode(raw: &str) -> String {
        percent_encoding::utf8_percent_encode(raw, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    /// The v3 example from consent-formats.md §2 (partial: analytics, not marketing).
    const V3_PARTIAL: &str = r#"{"categories":["necessary","analytics"],"revision":0,"data":null,"consentTimestamp":"2025-01-10T09:00:00.000Z","consentId":"0b8e","services":{"necessary":[],"analytics":["matomo"],"marketing":[]},"languageCode":"fr","lastConsentTimestamp":"2025-01-10T09:00:00.000Z","expirationTime":1752138000000}"#;

    #[test]
    fn reads_v3_categories_and_services_percent_encoded_or_raw() {
        let expected = granted(&["necessary", "analytics", "analytics.matomo"]);
        for value in [encode(V3_PARTIAL), V3_PARTIAL.to_owned()] {
            assert_eq!(read(&value), Ok((Reading::Decided, expected.clone())));
        }
    }

    #[test]
    fn reads_v3_accept_all() {
        let value = r#"{"categories":["necessary","analytics","marketing"],"services":{"analytics":["matomo","ga"],"marketing":["ads"]}}"#;
        let expected = granted(&[
            "necessary",
            "analytics",
            "marketing",
            "analytics.matomo",
            "analytics.ga",
            "marketing.ads",
        ]);
        assert_eq!(read(&encode(value)), Ok((Reading::Decided, expected)));
    }

    /// The v2 value from consent-formats.md §2: a refusal of everything but `necessary`.
    #[test]
    fn reads_v2_level_raw_or_percent_encoded() {
        let value = r#"{"level":["necessary"],"revision":0,"data":null,"rfc_cookie":false}"#;
        for value in [value.to_owned(), encode(value)] {
            assert_eq!(
                read(&value),
                Ok((Reading::Decided, granted(&["necessary"])))
            );
        }
    }

    #[test]
    fn keeps_a_percent_sign_inside_a_raw_value() {
        let value = r#"{"level":["a%20b"],"data":"100%"}"#;
        assert_eq!(read(value), Ok((Reading::Decided, granted(&["a%20b"]))));
    }

    #[test]
    fn an_empty_list_is_a_choice_granting_nothing() {
        assert_eq!(
            read(r#"{"categories":[],"services":{}}"#),
            Ok((Reading::Decided, vec![]))
        );
        assert_eq!(read(r#"{"level":[]}"#), Ok((Reading::Decided, vec![])));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "",
            "{}",
            r#"{"revision":0}"#,
            r#"{"categories":["a"],"level":["a"]}"#,
            r#"{"categories":"analytics"}"#,
            r#"{"categories":["a",1]}"#,
            r#"{"categories":null}"#,
            r#"{"categories":["a"],"services":[]}"#,
            r#"{"categories":["a"],"services":{"a":"x"}}"#,
            r#"{"categories":["a"],"services":{"a":[true]}}"#,
            r#"{"categories":["a"],"services":{"b":["x"]}}"#,
            "%7B%22categories%22%3A%5B%22a%22",
            "%7B%22level%22%3A%5B%22%FF%22%5D%7D",
            "%FF",
            "[]",
            "garbage",
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let value = r#"{"categories":["a","b"],"services":{"a":["x",2]}}"#;
        let result = CookieConsentFormat.read(value, &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                r#"\{"(categories|level)":\[("[a-z]{1,3}",?){0,3}\](,"services":\{"[a-z]{1,3}":\[("[a-z]",?|1,?){0,2}\]\})?\}"#
            ]
        ) {
            let mut answers = 0;
            let result = CookieConsentFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
