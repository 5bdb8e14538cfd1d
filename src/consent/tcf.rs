//! The `tcf` consent format: an IAB TCF v2.2/v2.3 TC string, as CMPs store it in the
//! `euconsent-v2` cookie (IAB Tech Lab, "Consent string and vendor list formats v2";
//! `consent-formats.md` §3).
//!
//! Answers, in the format's own vocabulary:
//! - `"1"` … `"11"`: the consent bit of each purpose defined by GVL v3 / TCF policy 4.
//!   Purpose 1 ("Store and/or access information on a device") is the ePrivacy consent every
//!   cookie needs, so without it every purpose is answered `false`, whatever its own bit says.
//!   `PurposeOneTreatment` does not change this: it records that purpose 1 was not asked, which
//!   for cookie gating is still no consent.
//! - `"vendor:<id>"` → `true` for each vendor with consent (only when purpose 1 is granted), in
//!   ascending id order and at most [`MAX_VENDOR_ANSWERS`] of them: a range entry can name 65535
//!   vendors in a few bytes, and the GVL lists about a thousand, so the cap bounds the work per
//!   request without losing real vendors.
//!
//! Strings the TCF policy now calls invalid (`IsServiceSpecific` 0, `TcfPolicyVersion` < 4,
//! which includes the spec's own v2.3 example) are still read: the proxy gates cookies on what
//! the visitor chose, and refusing them would only make every such visitor "no choice".

mod bits;
mod decode;

use percent_encoding::percent_decode_str;

pub use decode::{decode_tc_string, TcString, VendorSet};

use super::format::{ConsentFormat, Reading, Unreadable};

/// The most `vendor:<id>` answers one value produces (see the module documentation).
pub const MAX_VENDOR_ANSWERS: usize = 2000;

/// The purposes of GVL v3 / TCF policy 4, as answer keys (purpose `i` at index `i - 1`).
const PURPOSE_KEYS: [&str; 11] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];

#[derive(Debug, Default)]
pub struct TcfFormat;

impl ConsentFormat for TcfFormat {
    fn name(&self) -> &'static str {
        "tcf"
    }

    fn read(&self, value: &str, answer: &mut dyn FnMut(&str, bool)) -> Result<Reading, Unreadable> {
        // The TC string alphabet has no '%'; a '%' means the value was percent-encoded.
        let decoded;
        let mut text = value;
        if value.contains('%') {
            decoded = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| Unreadable("not UTF-8 once percent-decoded"))?;
            text = &decoded;
        }
        // RFC 6265 allows a cookie value in double quotes.
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        // Decoding finishes before the first answer, so an unreadable value answers nothing.
        let tc = decode_tc_string(text).map_err(Unreadable)?;
        let storage_granted = tc.purposes_consent & 1 == 1;
        for (bit, key) in PURPOSE_KEYS.iter().enumerate() {
            answer(
                key,
                storage_granted && tc.purposes_consent & (1 << bit) != 0,
            );
        }
        if storage_granted {
            let mut key = String::new();
            for id in tc.vendor_consents.ids().take(MAX_VENDOR_ANSWERS) {
                key.clear();
                key.push_str("vendor:");
                key.push_str(&id.to_string());
                answer(&key, true);
            }
        }
        Ok(Reading::Decided)
    }
}

#[cfg(test)]
mod tests {
    use super::decode::tests::{VECTOR_1, VECTOR_2, VECTOR_3, VECTOR_4, VECTOR_5};
    use super::*;

    const VECTORS: [&str; 5] = [VECTOR_1, VECTOR_2, VECTOR_3, VECTOR_4, VECTOR_5];

    fn read(value: &str) -> Result<Vec<(String, bool)>, Unreadable> {
        let mut answers = Vec::new();
        let reading = TcfFormat.read(value, &mut |k, g| answers.push((k.to_owned(), g)))?;
        assert_eq!(reading, Reading::Decided);
        Ok(answers)
    }

    /// A `0`/`1` string as base64url, zero-padded to whole characters.
    fn encode(bits: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut padded = bits.to_owned();
        while padded.len() % 6 != 0 {
            padded.push('0');
        }
        (0..padded.len() / 6)
            .map(|i| {
                let sextet = usize::from_str_radix(&padded[i * 6..i * 6 + 6], 2).unwrap();
                char::from(ALPHABET[sextet])
            })
            .collect()
    }

    fn field(value: u64, width: usize) -> String {
        format!("{value:0width$b}")
    }

    /// The 213 fixed bits of a core segment: version 2, language EN, purpose 1 consented.
    fn header() -> String {
        let mut bits = field(2, 6) + &field(0, 72) + &field(1, 24) + &field(0, 6);
        bits += &(field(4, 6) + &field(13, 6) + &field(1, 12) + &field(4, 6) + "10");
        bits += &(field(0, 12) + "1" + &field(0, 23) + &field(0, 24) + "0" + &field(0, 12));
        assert_eq!(bits.len(), 213);
        bits
    }

    const EMPTY_SECTION: &str = "00000000000000000";
    const NO_RESTRICTIONS: &str = "000000000000";

    /// A vendor section: MaxVendorId 10, one range entry.
    fn one_range(start: u64, end: u64) -> String {
        field(10, 16) + "1" + &field(1, 12) + "1" + &field(start, 16) + &field(end, 16)
    }

    fn with_vendors(section: &str) -> String {
        encode(&(header() + section + EMPTY_SECTION + NO_RESTRICTIONS))
    }

    #[test]
    fn reports_each_purpose_and_the_consented_vendors() {
        let answers = read(VECTOR_4).unwrap();
        let granted: Vec<&str> = answers
            .iter()
            .filter(|(_, g)| *g)
            .map(|(k, _)| k.as_str())
            .collect();
        let expected = ["1", "2", "3", "4", "5", "6", "9", "10"];
        let vendors = [
            "vendor:25",
            "vendor:32",
            "vendor:53",
            "vendor:285",
            "vendor:436",
        ];
        assert_eq!(granted, [&expected[..], &vendors[..]].concat());
        assert_eq!(answers.iter().filter(|(_, g)| !*g).count(), 3);
        assert_eq!(read(VECTOR_3).unwrap().len(), 11 + 56);
    }

    #[test]
    fn without_purpose_one_every_answer_is_false() {
        // Vector 5 has vendor consents but no purpose consent at all.
        for value in [VECTOR_2, VECTOR_5] {
            let answers = read(value).unwrap();
            assert_eq!(answers.len(), 11, "{value}");
            assert!(answers.iter().all(|(_, granted)| !granted), "{value}");
        }
        // Purposes 2.. consented but not 1: still nothing.
        let mut bits = header();
        bits.replace_range(152..176, &format!("0{}{}", "1".repeat(10), "0".repeat(13)));
        let value = encode(&(bits + &one_range(1, 10) + EMPTY_SECTION + NO_RESTRICTIONS));
        assert!(read(&value).unwrap().iter().all(|(_, granted)| !granted));
    }

    #[test]
    fn caps_the_number_of_vendor_answers() {
        let section = field(65_535, 16) + "1" + &field(1, 12) + "1" + &field(1, 16);
        let value = with_vendors(&(section + &field(65_535, 16)));
        let answers = read(&value).unwrap();
        assert_eq!(answers.len(), 11 + MAX_VENDOR_ANSWERS);
        assert_eq!(answers.last().unwrap().0, "vendor:2000");
    }

    #[test]
    fn reads_percent_encoded_and_quoted_values() {
        let expected = read(VECTOR_5).unwrap();
        let encoded = VECTOR_5.replace('.', "%2E");
        assert_eq!(read(&encoded), Ok(expected.clone()));
        assert_eq!(read(&format!("\"{VECTOR_5}\"")), Ok(expected));
        assert!(read("%FF%FE").is_err());
    }

    #[test]
    fn a_hand_built_string_decodes_so_the_malformed_ones_test_one_thing() {
        let tc = decode_tc_string(&with_vendors(&one_range(3, 5))).unwrap();
        assert_eq!(tc.vendor_consents.ids().collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(&tc.consent_language, b"EN");
    }

    #[test]
    fn refuses_malformed_vendor_ranges() {
        for (section, why) in [
            (one_range(5, 3), "end before start"),
            (one_range(0, 3), "vendor id 0"),
            (one_range(3, 11), "beyond MaxVendorId"),
            (
                field(10, 16) + "1" + &field(4095, 12),
                "more entries than bits",
            ),
            (field(65_535, 16) + "0", "bit field longer than the string"),
        ] {
            assert!(decode_tc_string(&with_vendors(&section)).is_err(), "{why}");
        }
    }

    #[test]
    fn reads_publisher_restrictions_and_refuses_type_3() {
        let restriction = |kind| field(1, 12) + &field(2, 6) + &field(kind, 2) + &field(0, 12);
        let with = |kind| encode(&(header() + EMPTY_SECTION + EMPTY_SECTION + &restriction(kind)));
        assert!(decode_tc_string(&with(1)).is_ok());
        assert!(decode_tc_string(&with(3)).is_err());
        // Restrictions announced but missing.
        let missing = header() + EMPTY_SECTION + EMPTY_SECTION + &field(5, 12);
        assert!(decode_tc_string(&encode(&missing)).is_err());
    }

    #[test]
    fn refuses_unknown_repeated_or_empty_segments() {
        for suffix in [
            ".",
            ".AAAA",
            ".gAAA",
            ".YAAAAAAAAAAA.YAAAAAAAAAAA",
            "..YAAAAAAAAAAA",
        ] {
            let value = format!("{VECTOR_1}{suffix}");
            assert!(decode_tc_string(&value).is_err(), "{suffix}");
        }
        // Type 2 (AllowedVendors, obsolete) is read and ignored.
        assert!(decode_tc_string(&format!("{VECTOR_1}.QAAA")).is_ok());
    }

    #[test]
    fn refuses_other_versions() {
        // The first character holds the 6-bit version: 'C' = 2.
        for first in ["A", "B", "D", "_"] {
            let value = format!("{first}{}", &VECTOR_1[1..]);
            assert_eq!(decode_tc_string(&value), Err("not a version 2 TC string"));
        }
    }

    #[test]
    fn refuses_empty_values_and_bad_characters() {
        for value in [
            "",
            ".",
            " ",
            "C+vFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA",
        ] {
            assert!(read(value).is_err(), "{value:?}");
        }
        for bad in ["=", "/", " ", "é", "\0", "%3D"] {
            assert!(read(&format!("{VECTOR_4}{bad}")).is_err(), "{bad:?}");
        }
    }

    /// A cut string either fails or decodes exactly as its whole segments would: only
    /// trailing padding was cut, or the cut fell just before a '.'.
    #[test]
    fn truncated_strings_fail_unless_only_padding_was_cut() {
        for value in VECTORS {
            for cut in 0..value.len() {
                let prefix = &value[..cut];
                let segments = prefix.split('.').count();
                let whole: Vec<&str> = value.split('.').take(segments).collect();
                let result = decode_tc_string(prefix);
                assert!(
                    result.is_err() || result == decode_tc_string(&whole.join(".")),
                    "{value} cut at {cut}"
                );
            }
            for cut in [1, 10, 20, 36] {
                assert!(
                    decode_tc_string(&value[..cut]).is_err(),
                    "{value} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn huge_values_do_not_panic() {
        for value in [
            "A".repeat(1_000_000),
            "C".repeat(1_000_000),
            format!("C{}", "_".repeat(1_000_000)),
            format!("{VECTOR_1}{}", "A".repeat(1_000_000)),
            format!("{VECTOR_1}{}", ".QAAA".repeat(10_000)),
        ] {
            let _ = read(&value);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(value in ".{0,300}") {
            let _ = read(&value);
        }

        #[test]
        fn arbitrary_base64url_strings_never_panic(
            value in "C?[A-Za-z0-9_-]{0,400}(\\.[A-Za-z0-9_-]{0,60}){0,3}"
        ) {
            let _ = read(&value);
        }

        #[test]
        fn altered_vectors_never_panic(index in 0..5usize, at in 0..200usize, c in "[A-Za-z0-9_.-]") {
            let mut value = VECTORS[index % 5].to_owned();
            let at = at.min(value.len() - 1);
            value.replace_range(at..at + 1, &c);
            let _ = read(&value);
        }
    }
}
