//! The `json` consent format: a cookie whose (percent-decoded) value is a JSON object of
//! `key: true|false` or `key: "yes"|"no"|"allow"|"deny"`, or a JSON array of granted keys.
//!
//! It serves GOV.UK-style `cookies_policy` cookies (`{"essential":true,"usage":false}`) and
//! Opendatasoft's `cookies_preferences`, whose exact value is not published: operators map its
//! keys in `[consent.source.keys]` after looking at their own portal's cookie with
//! `consentry explain` (see docs/configuration.md).

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct JsonFormat;

impl ConsentFormat for JsonFormat {
    fn name(&self) -> &'static str {
        "json"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let decoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        // RFC 6265 allows a cookie value in double quotes; the JSON is inside.
        let text = decoded
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(&decoded);
        let parsed: Value = serde_json::from_str(text).map_err(|_| Unreadable("not JSON"))?;
        match parsed {
            Value::Object(map) => {
                if map.is_empty() {
                    return Ok(Reading::Undecided);
                }
                // Check everything before answering anything: a half-understood value is unread.
                let mut answers = Vec::with_capacity(map.len());
                for (key, value) in &map {
                    answers.push((key.as_str(), read_choice(value)?));
                }
                for (key, granted) in answers {
                    answer(key, granted);
                }
                Ok(Reading::Decided)
            }
            Value::Array(items) => {
                let keys = items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .ok_or(Unreadable("an array item is not a string"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                for key in keys {
                    answer(key, true);
                }
                Ok(Reading::Decided)
            }
            _ => Err(Unreadable("neither a JSON object nor an array")),
        }
    }
}

fn read_choice(value: &Value) -> Result<bool, Unreadable> {
    match value {
        Value::Bool(granted) => Ok(*granted),
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "yes" | "allow" => Ok(true),
            "no" | "deny" => Ok(false),
            _ => Err(Unreadable("a string choice is not yes, no, allow or deny")),
        },
        _ => Err(Unreadable("a choice is neither a boolean nor a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&JsonFormat, value)
    }

    /// GOV.UK `cookies_policy`, raw and percent-encoded as browsers store it.
    #[test]
    fn reads_an_object_of_booleans_raw_or_percent_encoded() {
        let expected = owned(&[("essential", true), ("usage", false)]);
        for value in [
            r#"{"essential":true,"usage":false}"#,
            "%7B%22essential%22%3Atrue%2C%22usage%22%3Afalse%7D",
            r#""{"essential":true,"usage":false}""#,
        ] {
            assert_eq!(
                read(value),
                Ok((Reading::Decided, expected.clone())),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_yes_no_allow_deny_in_any_case() {
        let (_, answers) = read(r#"{"a":"yes","b":"NO","c":"Allow","d":"deny"}"#).unwrap();
        assert_eq!(
            answers,
            owned(&[("a", true), ("b", false), ("c", true), ("d", false)])
        );
    }

    #[test]
    fn reads_an_array_as_the_granted_keys() {
        let (reading, answers) = read(r#"["analytics","video"]"#).unwrap();
        assert_eq!(reading, Reading::Decided);
        assert_eq!(answers, owned(&[("analytics", true), ("video", true)]));
        assert_eq!(read("[]"), Ok((Reading::Decided, vec![])));
    }

    #[test]
    fn an_empty_object_records_no_choice() {
        assert_eq!(read("{}"), Ok((Reading::Undecided, vec![])));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        for value in [
            "",
            "yes",
            "{",
            r#"{"a":true,"b":1}"#,
            r#"{"a":"maybe"}"#,
            r#"{"a":null}"#,
            r#"["a",2]"#,
            "42",
            "%FF%FE",
            r#"{"a":{"nested":true}}"#,
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let result = JsonFormat.read(r#"{"a":true,"b":"perhaps"}"#, &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }
}
