//! Global Privacy Control (W3C GPC): `Sec-GPC: 1` is the only value that carries the preference;
//! with several fields, any `1` counts. The header is never removed on the way upstream (the
//! spec forbids intermediaries to drop `Sec-GPC: 1`).

use http::header::HeaderName;

use crate::fields::FieldAccess;

static SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");

pub fn has_gpc(headers: &impl FieldAccess) -> bool {
    headers
        .values_of(&SEC_GPC)
        .any(|value| value.as_bytes() == b"1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("sec-gpc", HeaderValue::from_static(v));
        }
        map
    }

    /// GPC §5.1: only the exact value `1` expresses the preference.
    #[test]
    fn only_the_exact_value_1_counts() {
        assert!(has_gpc(&headers(&["1"])));
        for other in ["0", " 1", "1 ", "true", "yes", ""] {
            assert!(!has_gpc(&headers(&[other])), "{other:?}");
        }
        assert!(!has_gpc(&headers(&[])));
    }

    /// GPC §5.1: with several fields, any `1` means the preference is set.
    #[test]
    fn any_of_several_fields_set_to_1_counts() {
        assert!(has_gpc(&headers(&["0", "1"])));
    }
}
