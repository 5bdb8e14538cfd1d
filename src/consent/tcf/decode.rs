//! Decodes a TCF v2 TC string (the `euconsent-v2` value) into its fields.
//!
//! Layout: IAB Tech Lab, "Consent string and vendor list formats v2" (TCF v2.2/v2.3),
//! sections "The core string", "Vendor Consent / Legitimate Interest Section",
//! "Publisher Restrictions", "Disclosed Vendors" and "Publisher Purposes Transparency and
//! Consent"; offsets in docs `consent-formats.md` §3. Every count read from the string is
//! checked against the bits that remain before anything is allocated, so the work and memory
//! are bounded by the input length, and a string that ends early is an error, never a panic.

use super::bits::{decode_base64url, BitReader};

/// A set of vendor ids, kept as sorted, disjoint, non-adjacent inclusive ranges: a range entry
/// may name up to 65535 vendors in 33 bits, so expanding it would let a short string allocate a
/// lot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorSet {
    max_vendor_id: u16,
    ranges: Vec<(u16, u16)>,
}

impl VendorSet {
    /// The section's declared `MaxVendorId` (the highest id the CMP encoded).
    pub fn max_vendor_id(&self) -> u16 {
        self.max_vendor_id
    }

    pub fn contains(&self, id: u16) -> bool {
        let index = self.ranges.partition_point(|&(_, end)| end < id);
        self.ranges
            .get(index)
            .is_some_and(|&(start, _)| start <= id)
    }

    /// The ids, ascending, each once.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges.iter().flat_map(|&(start, end)| start..=end)
    }

    pub fn len(&self) -> usize {
        self.ranges
            .iter()
            .map(|&(start, end)| usize::from(end - start) + 1)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Sorts and merges ranges: range entries may come in any order and may overlap.
    fn from_ranges(max_vendor_id: u16, mut ranges: Vec<(u16, u16)>) -> Self {
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if u32::from(start) <= u32::from(last.1) + 1 => {
                    last.1 = last.1.max(end);
                }
                _ => merged.push((start, end)),
            }
        }
        VendorSet {
            max_vendor_id,
            ranges: merged,
        }
    }
}

/// The decoded TC string. Bit flags put item `i` at bit `i - 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcString {
    pub version: u8,
    /// Deciseconds since the Unix epoch (the spec's unit, see iabtcf-es `DateEncoder`).
    pub created_ds: u64,
    pub last_updated_ds: u64,
    pub cmp_id: u16,
    pub cmp_version: u16,
    pub consent_screen: u8,
    /// Upper-case ASCII, e.g. `*b"EN"`.
    pub consent_language: [u8; 2],
    pub vendor_list_version: u16,
    pub policy_version: u8,
    pub is_service_specific: bool,
    pub use_non_standard_texts: bool,
    /// 12 bits.
    pub special_feature_opt_ins: u16,
    /// 24 bits.
    pub purposes_consent: u32,
    /// 24 bits.
    pub purposes_li: u32,
    pub purpose_one_treatment: bool,
    /// Upper-case ASCII, e.g. `*b"FR"`.
    pub publisher_cc: [u8; 2],
    pub vendor_consents: VendorSet,
    pub vendor_li: VendorSet,
    /// The Disclosed Vendors segment (type 1), mandatory from TCF v2.3.
    pub disclosed_vendors: Option<VendorSet>,
    /// The Publisher TC segment (type 3): `PubPurposesConsent`.
    pub publisher_purposes_consent: Option<u32>,
    /// The Publisher TC segment (type 3): `PubPurposesLITransparency`.
    pub publisher_purposes_li: Option<u32>,
}

/// The spec's `SegmentType` values ("TC String Format", segment table).
const DISCLOSED_VENDORS: u64 = 1;
const ALLOWED_VENDORS: u64 = 2;
const PUBLISHER_TC: u64 = 3;

/// Decodes a whole TC string: the core segment, then optional typed segments.
pub fn decode_tc_string(s: &str) -> Result<TcString, &'static str> {
    let mut segments = s.split('.');
    let core = decode_base64url(segments.next().unwrap_or_default())?;
    if core.is_empty() {
        return Err("empty TC string");
    }
    let mut tc = decode_core(&mut BitReader::new(&core))?;
    let mut seen_allowed = false;
    for segment in segments {
        let sextets = decode_base64url(segment)?;
        let mut reader = BitReader::new(&sextets);
        // A segment type may appear once; a repeated one would be ambiguous.
        match reader.read(3)? {
            DISCLOSED_VENDORS if tc.disclosed_vendors.is_none() => {
                tc.disclosed_vendors = Some(read_vendor_section(&mut reader)?);
            }
            // Obsolete since TCF v2.2; still checked so a malformed one is not waved through.
            ALLOWED_VENDORS if !seen_allowed => {
                seen_allowed = true;
                read_vendor_section(&mut reader)?;
            }
            PUBLISHER_TC if tc.publisher_purposes_consent.is_none() => {
                tc.publisher_purposes_consent = Some(reader.read_flags(24)?);
                tc.publisher_purposes_li = Some(reader.read_flags(24)?);
                // NumCustomPurposes, then a consent bit and an LI bit per custom purpose.
                let custom = reader.read(6)?;
                for _ in 0..custom * 2 {
                    reader.read_bool()?;
                }
            }
            DISCLOSED_VENDORS | ALLOWED_VENDORS | PUBLISHER_TC => {
                return Err("a segment type appears twice");
            }
            _ => return Err("unknown segment type"),
        }
    }
    Ok(tc)
}

fn decode_core(reader: &mut BitReader<'_>) -> Result<TcString, &'static str> {
    let version = reader.read_u8(6)?;
    if version != 2 {
        return Err("not a version 2 TC string");
    }
    let tc = TcString {
        version,
        created_ds: reader.read(36)?,
        last_updated_ds: reader.read(36)?,
        cmp_id: reader.read_u16(12)?,
        cmp_version: reader.read_u16(12)?,
        consent_screen: reader.read_u8(6)?,
        consent_language: reader.read_letters()?,
        vendor_list_version: reader.read_u16(12)?,
        policy_version: reader.read_u8(6)?,
        is_service_specific: reader.read_bool()?,
        use_non_standard_texts: reader.read_bool()?,
        special_feature_opt_ins: flags_u16(reader.read_flags(12)?),
        purposes_consent: reader.read_flags(24)?,
        purposes_li: reader.read_flags(24)?,
        purpose_one_treatment: reader.read_bool()?,
        publisher_cc: reader.read_letters()?,
        vendor_consents: read_vendor_section(reader)?,
        vendor_li: read_vendor_section(reader)?,
        disclosed_vendors: None,
        publisher_purposes_consent: None,
        publisher_purposes_li: None,
    };
    skip_publisher_restrictions(reader)?;
    Ok(tc)
}

/// 12 flags always fit in 16 bits.
fn flags_u16(flags: u32) -> u16 {
    u16::try_from(flags & 0x0fff).unwrap_or_default()
}

/// A vendor section ("Vendor Consent Section"): `MaxVendorId` (16), `IsRangeEncoding` (1),
/// then a bit field of `MaxVendorId` bits or a range section.
fn read_vendor_section(reader: &mut BitReader<'_>) -> Result<VendorSet, &'static str> {
    let max_vendor_id = reader.read_u16(16)?;
    if reader.read_bool()? {
        let ranges = read_ranges(reader)?;
        // Fail closed: an id beyond the declared maximum means the string is inconsistent.
        if ranges.iter().any(|&(_, end)| end > max_vendor_id) {
            return Err("a vendor range goes beyond MaxVendorId");
        }
        return Ok(VendorSet::from_ranges(max_vendor_id, ranges));
    }
    if usize::from(max_vendor_id) > reader.remaining() {
        return Err("the vendor bit field is longer than the string");
    }
    let mut ranges = Vec::new();
    let mut run_start = None;
    for id in 1..=max_vendor_id {
        if reader.read_bool()? {
            run_start.get_or_insert(id);
        } else if let Some(start) = run_start.take() {
            ranges.push((start, id - 1));
        }
    }
    if let Some(start) = run_start {
        ranges.push((start, max_vendor_id));
    }
    Ok(VendorSet {
        max_vendor_id,
        ranges,
    })
}

/// A range section: `NumEntries` (12), each `IsARange` (1), `StartOrOnlyVendorId` (16) and,
/// for a range, `EndVendorId` (16).
fn read_ranges(reader: &mut BitReader<'_>) -> Result<Vec<(u16, u16)>, &'static str> {
    let entries = usize::from(reader.read_u16(12)?);
    // Each entry takes at least 17 bits; refuse a count the string cannot hold before
    // reserving room for it.
    if entries.saturating_mul(17) > reader.remaining() {
        return Err("more range entries than the string holds");
    }
    let mut ranges = Vec::with_capacity(entries);
    for _ in 0..entries {
        let is_range = reader.read_bool()?;
        let start = reader.read_u16(16)?;
        let end = if is_range {
            reader.read_u16(16)?
        } else {
            start
        };
        // Vendor ids start at 1 (GVL).
        if start == 0 {
            return Err("vendor id 0");
        }
        if end < start {
            return Err("a vendor range ends before it starts");
        }
        ranges.push((start, end));
    }
    Ok(ranges)
}

/// "Publisher Restrictions": `NumPubRestrictions` (12) × {`PurposeId` (6), `RestrictionType`
/// (2), range section}. Consentry does not act on them, but they end the core segment, so they
/// are read to check the string is whole.
fn skip_publisher_restrictions(reader: &mut BitReader<'_>) -> Result<(), &'static str> {
    let count = reader.read(12)?;
    for _ in 0..count {
        reader.read(6)?;
        // 0 not allowed, 1 require consent, 2 require LI; 3 is undefined.
        if reader.read(2)? == 3 {
            return Err("undefined publisher restriction type");
        }
        read_ranges(reader)?;
    }
    Ok(())
}

/// The decoded values are those listed in `consent-formats.md` §3 (checked there against
/// lib_tcstring 0.5.0 and a separate bit-level decoder).
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) const VECTOR_1: &str = "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA";
    pub(crate) const VECTOR_2: &str = "COrVd1pOrVd1pACABCENAHCAAAAAAAAAAAiQAAAAAAAA";
    pub(crate) const VECTOR_3: &str = "CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA.argAC0gAAAAAAAAAAAA";
    pub(crate) const VECTOR_4: &str =
        "COxSKBCOxSKCCBcABCENAgCMAPzAAEPAAAqIDaQBQAMgAgABqAR0A2gDaQAwAMgAgANoAAA";
    pub(crate) const VECTOR_5: &str =
        "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA";

    /// Item `i` at bit `i - 1`.
    fn flags(items: &[u32]) -> u32 {
        items.iter().map(|i| 1 << (i - 1)).sum()
    }

    fn ids(set: &VendorSet) -> Vec<u16> {
        set.ids().collect()
    }

    #[test]
    fn decodes_vector_1_with_bit_field_vendors() {
        let tc = decode_tc_string(VECTOR_1).unwrap();
        assert_eq!(tc.version, 2);
        assert_eq!(tc.created_ds, 15_822_430_593);
        assert_eq!(tc.last_updated_ds, 15_822_430_593);
        assert_eq!((tc.cmp_id, tc.cmp_version, tc.consent_screen), (27, 0, 0));
        assert_eq!(&tc.consent_language, b"EN");
        assert_eq!(tc.vendor_list_version, 15);
        assert_eq!(tc.policy_version, 2);
        assert!(!tc.is_service_specific);
        assert_eq!(tc.purposes_consent, flags(&[1, 2, 3]));
        assert_eq!(tc.purposes_li, 0);
        assert_eq!(&tc.publisher_cc, b"AA");
        assert_eq!(tc.vendor_consents.max_vendor_id(), 8);
        assert_eq!(ids(&tc.vendor_consents), [2, 6, 8]);
        assert_eq!(ids(&tc.vendor_li), [2, 6, 8]);
        assert_eq!(tc.disclosed_vendors, None);
        assert_eq!(tc.publisher_purposes_consent, None);
    }

    #[test]
    fn decodes_vector_2_with_no_purposes_or_vendors() {
        let tc = decode_tc_string(VECTOR_2).unwrap();
        assert_eq!(tc.version, 2);
        assert_eq!(tc.created_ds, 15_759_433_065);
        assert_eq!((tc.cmp_id, tc.cmp_version, tc.consent_screen), (2, 1, 2));
        assert_eq!(&tc.consent_language, b"EN");
        assert_eq!(tc.vendor_list_version, 7);
        assert_eq!(tc.policy_version, 2);
        assert!(!tc.is_service_specific);
        assert_eq!(&tc.publisher_cc, b"ES");
        assert_eq!((tc.purposes_consent, tc.purposes_li), (0, 0));
        assert!(tc.vendor_consents.is_empty() && tc.vendor_li.is_empty());
    }

    #[test]
    fn decodes_vector_3_with_a_publisher_tc_segment() {
        let tc = decode_tc_string(VECTOR_3).unwrap();
        assert_eq!(tc.created_ds, 12_286_442_577);
        assert_eq!(tc.last_updated_ds, 13_262_154_134);
        assert_eq!((tc.cmp_id, tc.cmp_version, tc.consent_screen), (21, 7, 2));
        assert_eq!(&tc.consent_language, b"EN");
        assert_eq!(tc.vendor_list_version, 23);
        assert_eq!(tc.policy_version, 2);
        assert!(tc.is_service_specific);
        assert_eq!(tc.special_feature_opt_ins, 0b10);
        assert_eq!(tc.purposes_consent, flags(&[1, 3, 9, 10]));
        assert_eq!(tc.purposes_li, flags(&[3, 4, 5, 8, 9, 10]));
        assert_eq!(&tc.publisher_cc, b"KM");
        assert_eq!(tc.vendor_consents.max_vendor_id(), 115);
        assert_eq!(tc.vendor_consents.len(), 56);
        let first: Vec<u16> = tc.vendor_consents.ids().take(12).collect();
        assert_eq!(first, [2, 3, 6, 7, 8, 10, 12, 13, 14, 15, 16, 21]);
        assert_eq!(tc.vendor_li.max_vendor_id(), 113);
        assert_eq!(
            ids(&tc.vendor_li),
            [1, 9, 26, 27, 30, 36, 37, 43, 86, 97, 110, 113]
        );
        assert_eq!(
            tc.publisher_purposes_consent,
            Some(flags(&[2, 4, 6, 8, 9, 10]))
        );
        assert_eq!(tc.disclosed_vendors, None);
    }

    #[test]
    fn decodes_vector_4_with_range_encoded_vendors() {
        let tc = decode_tc_string(VECTOR_4).unwrap();
        assert_eq!((tc.cmp_id, tc.cmp_version, tc.consent_screen), (92, 1, 2));
        assert_eq!(&tc.consent_language, b"EN");
        assert_eq!(tc.vendor_list_version, 32);
        assert_eq!(tc.policy_version, 2);
        assert_eq!(tc.special_feature_opt_ins, 0b11);
        assert_eq!(tc.purposes_consent, flags(&[1, 2, 3, 4, 5, 6, 9, 10]));
        assert_eq!(tc.purposes_li, flags(&[2, 7, 8, 9, 10]));
        assert_eq!(&tc.publisher_cc, b"FR");
        assert_eq!(tc.vendor_consents.max_vendor_id(), 436);
        assert_eq!(ids(&tc.vendor_consents), [25, 32, 53, 285, 436]);
        assert_eq!(ids(&tc.vendor_li), [25, 32, 436]);
        assert!(tc.vendor_consents.contains(285) && !tc.vendor_consents.contains(35));
    }

    #[test]
    fn decodes_the_v2_3_spec_example_with_disclosed_vendors() {
        let tc = decode_tc_string(VECTOR_5).unwrap();
        // 2025-06-03T00:00:00Z, day-level as required since Dec 2021.
        assert_eq!(tc.created_ds, 17_489_088_000);
        assert_eq!(tc.last_updated_ds, 17_489_088_000);
        assert_eq!(tc.cmp_id, 880);
        assert_eq!(&tc.consent_language, b"EN");
        assert_eq!(tc.vendor_list_version, 48);
        assert_eq!(tc.policy_version, 2);
        assert!(tc.is_service_specific);
        assert_eq!((tc.purposes_consent, tc.purposes_li), (0, 0));
        assert_eq!(&tc.publisher_cc, b"DE");
        assert_eq!(ids(&tc.vendor_consents), [1, 2, 3, 4]);
        let disclosed = tc.disclosed_vendors.as_ref().map(ids);
        assert_eq!(disclosed, Some(vec![1, 2, 3, 4, 5, 100, 404]));
        assert_eq!(tc.publisher_purposes_consent, Some(0));
        assert_eq!(tc.publisher_purposes_li, Some(0));
    }

    #[test]
    fn merges_overlapping_and_unordered_ranges() {
        let set = VendorSet::from_ranges(9, vec![(5, 9), (1, 2), (3, 3), (6, 7)]);
        assert_eq!(set.ranges, [(1, 3), (5, 9)]);
        assert_eq!(set.len(), 8);
        assert!(set.contains(3) && !set.contains(4) && set.contains(9) && !set.contains(10));
        let whole = VendorSet::from_ranges(u16::MAX, vec![(1, u16::MAX)]);
        assert_eq!(whole.len(), 65_535);
        assert!(whole.contains(u16::MAX) && !whole.contains(0));
    }
}
