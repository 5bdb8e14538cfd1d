//! The `didomi` consent format: Didomi's `didomi_token` cookie, base64 of a JSON object
//! (`{"purposes":{"enabled":["cookies"],"disabled":["market_research"]},"vendors":{…},…}`),
//! sometimes percent-encoded on top.
//!
//! Keys are `purpose:<id>` (`purpose:cookies`, `purpose:measure_content_performance`…) and
//! `vendor:<id>` (`vendor:google`, custom vendors as `vendor:c:googleana-XMqagawa`). Legitimate
//! interest (`purposes_li`, `vendors_li`) is not consent and is ignored.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::format::{ConsentFormat, Reading, Unreadable};

#[derive(Debug, Default)]
pub struct DidomiFormat;

impl ConsentFormat for DidomiFormat {
    fn name(&self) -> &'static str {
        "didomi"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        let encoded = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
        let bytes = decode_base64(&encoded)?;
        let parsed: Value =
            serde_json::from_slice(&bytes).map_err(|_| Unreadable("not JSON once decoded"))?;
        let Value::Object(token) = parsed else {
            return Err(Unreadable("not a JSON object once decoded"));
        };
        // Check everything before answering anything: a half-understood value is unread.
        let mut answers = Vec::new();
        let purposes = collect(&token, "purposes", "purpose:", &mut answers)?;
        let vendors = collect(&token, "vendors", "vendor:", &mut answers)?;
        if !purposes && !vendors {
            return Ok(Reading::Undecided);
        }
        for (key, granted) in &answers {
            answer(key, *granted);
        }
        Ok(Reading::Decided)
    }
}

/// Adds `prefix<id>` answers from `token[field].enabled` and `.disabled`; false if absent.
fn collect(
    token: &Map<String, Value>,
    field: &str,
    prefix: &str,
    answers: &mut Vec<(String, bool)>,
) -> Result<bool, Unreadable> {
    let Some(section) = token.get(field) else {
        return Ok(false);
    };
    let Value::Object(section) = section else {
        return Err(Unreadable("purposes or vendors is not an object"));
    };
    for (list, granted) in [("enabled", true), ("disabled", false)] {
        let Some(ids) = section.get(list) else {
            continue;
        };
        let Value::Array(ids) = ids else {
            return Err(Unreadable("an enabled or disabled list is not an array"));
        };
        for id in ids {
            let id = id.as_str().ok_or(Unreadable("an id is not a string"))?;
            answers.push((format!("{prefix}{id}"), granted));
        }
    }
    Ok(true)
}

/// Decodes standard or URL-safe base64, padding optional (the cookie crate and CDNs differ).
fn decode_base64(text: &str) -> Result<Vec<u8>, Unreadable> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return Err(Unreadable("base64 of impossible length"));
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return Err(Unreadable("not base64")),
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Keep the low byte only: the cast truncates on purpose.
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use crate::consent::format::testing::{read_sorted, sorted as owned, Answers};
    use proptest::strategy::Strategy;

    use super::*;

    /// The decoded real token of consent-formats.md §2, vendor list shortened to what is shown.
    const REAL: &str = r#"{"user_id":"18ad6573-df8a-6c2a-bdfe-8b9f900592d0","created":"2023-09-27T11:12:37.797Z","updated":"2023-09-27T11:12:37.797Z","vendors":{"enabled":["google","c:facebook-wDiGnJWV","c:googleana-XMqagawa"]},"purposes":{"enabled":["device_characteristics","geolocation_data"]},"vendors_li":{"enabled":["google"]},"version":2}"#;

    fn encode(json: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in json.as_bytes().chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            }
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
        out
    }

    fn read(value: &str) -> Result<(Reading, Answers), Unreadable> {
        read_sorted(&DidomiFormat, value)
    }

    #[test]
    fn decodes_base64_in_both_alphabets_with_or_without_padding() {
        assert_eq!(decode_base64("aGk/Pz8+"), Ok(b"hi???>".to_vec()));
        assert_eq!(decode_base64("aGk_Pz8-"), Ok(b"hi???>".to_vec()));
        assert_eq!(decode_base64("aGk="), Ok(b"hi".to_vec()));
        assert_eq!(decode_base64("aGk"), Ok(b"hi".to_vec()));
        assert_eq!(decode_base64(""), Ok(vec![]));
    }

    #[test]
    fn reads_the_real_token_percent_encoded_or_raw() {
        let expected = owned(&[
            ("purpose:device_characteristics", true),
            ("purpose:geolocation_data", true),
            ("vendor:c:facebook-wDiGnJWV", true),
            ("vendor:c:googleana-XMqagawa", true),
            ("vendor:google", true),
        ]);
        let raw = encode(REAL);
        let escaped = raw
            .replace('=', "%3D")
            .replace('+', "%2B")
            .replace('/', "%2F");
        let url_safe = raw
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        for value in [&raw, &escaped, &url_safe] {
            assert_eq!(
                read(value),
                Ok((Reading::Decided, expected.clone())),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_refusals_and_partial_choices() {
        let partial = r#"{"purposes":{"enabled":["cookies"],"disabled":["market_research"]},"vendors":{"enabled":[],"disabled":["google"]},"ac":"DE6AOAEYANgAlQDzAIcAiSDE4AAA.AAAA"}"#;
        assert_eq!(
            read(&encode(partial)),
            Ok((
                Reading::Decided,
                owned(&[
                    ("purpose:cookies", true),
                    ("purpose:market_research", false),
                    ("vendor:google", false),
                ])
            ))
        );
        let refuse = r#"{"purposes":{"disabled":["cookies","select_basic_ads"]},"vendors":{"disabled":["google"]}}"#;
        let (reading, answers) = read(&encode(refuse)).unwrap();
        assert_eq!(reading, Reading::Decided);
        assert!(answers.iter().all(|(_, granted)| !granted));
    }

    #[test]
    fn a_token_without_purposes_or_vendors_records_no_choice() {
        let token = encode(r#"{"user_id":"x","version":2,"vendors_li":{"enabled":["google"]}}"#);
        assert_eq!(read(&token), Ok((Reading::Undecided, vec![])));
    }

    /// Fail closed: any part that is not understood makes the whole value unread.
    #[test]
    fn refuses_values_it_does_not_fully_understand() {
        let real = encode(REAL);
        let huge = encode(&format!(
            r#"{{"purposes":{{"enabled":["{}"#,
            "a".repeat(5000)
        ));
        for value in [
            "",
            "not base64!",
            "%FF",
            "eyJ",
            &real[..real.len() / 2],
            &huge,
            &encode("[]"),
            &encode("true"),
            &encode(r#"{"purposes":["cookies"]}"#),
            &encode(r#"{"purposes":{"enabled":"cookies"}}"#),
            &encode(r#"{"purposes":{"enabled":[1]}}"#),
            &encode(r#"{"vendors":{"disabled":[null]}}"#),
            &encode(r#"{"purposes":{"enabled":["a"]},"vendors":null}"#),
        ] {
            assert!(read(value).is_err(), "{value:?} was read");
        }
    }

    #[test]
    fn reports_nothing_when_unreadable_even_after_good_keys() {
        let mut answers = 0;
        let token = encode(r#"{"purposes":{"enabled":["cookies"]},"vendors":{"enabled":[7]}}"#);
        let result = DidomiFormat.read(&token, &mut |_, _| answers += 1);
        assert!(result.is_err());
        assert_eq!(answers, 0);
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_read_without_panicking_or_answering_on_error(
            value in proptest::prop_oneof![
                ".*",
                "[A-Za-z0-9+/_=-]{0,64}",
                r#"\{"(purposes|vendors)":\{"(enabled|disabled)":\[("[a-z]{1,4}",?|1|null){0,3}\]\}\}"#
                    .prop_map(|json: String| encode(&json)),
            ]
        ) {
            let mut answers = 0;
            let result = DidomiFormat.read(&value, &mut |_, _| answers += 1);
            if result.is_err() {
                proptest::prop_assert_eq!(answers, 0);
            }
        }
    }
}
