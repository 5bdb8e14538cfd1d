//! URL-safe base64 (RFC 4648 §5, no padding) and a big-endian bit reader, as the TC string
//! container requires (TCF "Consent string and vendor list formats v2", "TC String Format":
//! each segment is base64url-encoded separately; fields are read most significant bit first).

/// The 6-bit values of one base64url segment, one per character.
///
/// The TC string is a bit string cut into 6-bit characters, so reading the sextets directly
/// keeps every bit the encoder wrote and needs no byte re-packing or padding rules.
pub(super) fn decode_base64url(segment: &str) -> Result<Vec<u8>, &'static str> {
    segment
        .bytes()
        .map(|c| match c {
            b'A'..=b'Z' => Ok(c - b'A'),
            b'a'..=b'z' => Ok(c - b'a' + 26),
            b'0'..=b'9' => Ok(c - b'0' + 52),
            b'-' => Ok(62),
            b'_' => Ok(63),
            // The spec says "no padding"; '+', '/', '=' and everything else are refused.
            _ => Err("a character outside the base64url alphabet"),
        })
        .collect()
}

/// Reads fields of up to 64 bits from a segment's sextets, failing (never panicking) at the end.
#[derive(Debug)]
pub(super) struct BitReader<'a> {
    sextets: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(sextets: &'a [u8]) -> Self {
        BitReader { sextets, pos: 0 }
    }

    /// Bits not read yet; used to bound counts before allocating.
    pub(super) fn remaining(&self) -> usize {
        (self.sextets.len() * 6).saturating_sub(self.pos)
    }

    pub(super) fn read_bool(&mut self) -> Result<bool, &'static str> {
        let sextet = self
            .sextets
            .get(self.pos / 6)
            .ok_or("the string ends in the middle of a field")?;
        let bit = (sextet >> (5 - self.pos % 6)) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// An unsigned big-endian integer of `width` bits (at most 64).
    pub(super) fn read(&mut self, width: u32) -> Result<u64, &'static str> {
        debug_assert!(width <= 64);
        let mut value = 0u64;
        for _ in 0..width {
            value = (value << 1) | u64::from(self.read_bool()?);
        }
        Ok(value)
    }

    pub(super) fn read_u8(&mut self, width: u32) -> Result<u8, &'static str> {
        u8::try_from(self.read(width.min(8))?).map_err(|_| "field too wide")
    }

    pub(super) fn read_u16(&mut self, width: u32) -> Result<u16, &'static str> {
        u16::try_from(self.read(width.min(16))?).map_err(|_| "field too wide")
    }

    /// `count` (at most 32) one-bit flags where the first bit read is item 1: returned with item
    /// `i` at bit `i - 1`, the layout of `PurposesConsent` and `SpecialFeatureOptIns`.
    pub(super) fn read_flags(&mut self, count: u32) -> Result<u32, &'static str> {
        let mut flags = 0u32;
        for i in 0..count.min(32) {
            if self.read_bool()? {
                flags |= 1 << i;
            }
        }
        Ok(flags)
    }

    /// Two letters of 6 bits each, `0` = A … `25` = Z (ConsentLanguage, PublisherCC).
    pub(super) fn read_letters(&mut self) -> Result<[u8; 2], &'static str> {
        let mut letters = [0u8; 2];
        for letter in &mut letters {
            let value = self.read_u8(6)?;
            if value > 25 {
                return Err("a letter code is not A-Z");
            }
            *letter = b'A' + value;
        }
        Ok(letters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_whole_url_safe_alphabet() {
        let sextets = decode_base64url("AZaz09-_").unwrap();
        assert_eq!(sextets, vec![0, 25, 26, 51, 52, 61, 62, 63]);
    }

    #[test]
    fn refuses_standard_base64_padding_and_other_characters() {
        for segment in ["ab+c", "ab/c", "abc=", "a b", "é", "a.b", "%41"] {
            assert!(decode_base64url(segment).is_err(), "{segment:?}");
        }
    }

    #[test]
    fn reads_fields_most_significant_bit_first_across_characters() {
        // "C" = 000010, "O" = 001110: version 2 then the top 6 bits of Created.
        let sextets = decode_base64url("CO").unwrap();
        let mut reader = BitReader::new(&sextets);
        assert_eq!(reader.read(6), Ok(2));
        assert_eq!(reader.read(3), Ok(1));
        assert_eq!(reader.remaining(), 3);
        assert_eq!(reader.read(3), Ok(6));
        assert!(reader.read_bool().is_err());
    }

    #[test]
    fn fails_instead_of_reading_past_the_end() {
        let mut reader = BitReader::new(&[]);
        assert!(reader.read(1).is_err());
        assert!(reader.read_flags(24).is_err());
        assert_eq!(reader.read(0), Ok(0));
    }

    #[test]
    fn reads_flags_with_item_one_at_bit_zero() {
        // 100000 001000: items 1 and 9.
        let sextets = [0b100000, 0b001000];
        assert_eq!(BitReader::new(&sextets).read_flags(12), Ok(1 | 1 << 8));
    }

    #[test]
    fn refuses_letter_codes_beyond_z() {
        assert!(BitReader::new(&[26, 0]).read_letters().is_err());
        assert_eq!(BitReader::new(&[4, 13]).read_letters(), Ok(*b"EN"));
    }
}
