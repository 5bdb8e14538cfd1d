//! The hash chain: each line carries the SHA-256 of its own canonical form and the hash of the
//! line before it, so editing, deleting, inserting or reordering lines is detectable.
//!
//! Canonical form: the JSON object without its `hash` key, keys sorted at every level, no
//! whitespace. The sorting is done here, not left to a `serde_json` feature flag, so that a
//! dependency enabling `preserve_order` cannot change the hashes.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev` of the very first line of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Writes `value` in canonical form.
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_object(map, None, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// An object with sorted keys, leaving out `skip` (the line's own `hash`) without copying it.
fn write_object(map: &Map<String, Value>, skip: Option<&str>, out: &mut String) {
    let mut keys: Vec<&String> = map.keys().filter(|k| Some(k.as_str()) != skip).collect();
    keys.sort();
    out.push('{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        if let Some(value) = map.get(key) {
            write_canonical(value, out);
        }
    }
    out.push('}');
}

fn write_string(text: &str, out: &mut String) {
    // serde_json's string escaping, written straight into `out`.
    let mut buf = Vec::with_capacity(text.len() + 2);
    if serde_json::to_writer(&mut buf, text).is_ok() {
        out.push_str(&String::from_utf8_lossy(&buf));
    }
}

/// SHA-256 (lowercase hex) of the canonical form of `object` without its `hash` key.
pub fn hash_of(object: &Map<String, Value>) -> String {
    let mut text = String::with_capacity(768);
    write_object(object, Some("hash"), &mut text);
    to_hex(&Sha256::digest(text.as_bytes()))
}

/// Adds `hash` to a line's object and returns the line (canonical, so the written line and the
/// hashed text differ only by the hash itself).
pub fn seal(mut object: Map<String, Value>) -> (String, String) {
    object.remove("hash");
    let hash = hash_of(&object);
    object.insert("hash".to_owned(), Value::String(hash.clone()));
    let mut line = String::with_capacity(600);
    write_canonical(&Value::Object(object), &mut line);
    (line, hash)
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_at_every_level_without_whitespace() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x\"y"}});
        let mut out = String::new();
        write_canonical(&value, &mut out);
        assert_eq!(out, r#"{"a":{"c":"x\"y","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn a_sealed_line_verifies_and_any_edit_breaks_it() {
        let object = json!({"seq": 0, "prev": GENESIS, "cookie": "_ga"});
        let (line, hash) = seal(object.as_object().unwrap().clone());
        let parsed: Map<String, Value> = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["hash"], hash.as_str());
        assert_eq!(hash_of(&parsed), hash);
        let edited = line.replace("_ga", "_gb");
        let parsed: Map<String, Value> = serde_json::from_str(&edited).unwrap();
        assert_ne!(hash_of(&parsed), hash);
    }

    /// The known SHA-256 of the empty object pins the hash function and the hex encoding.
    #[test]
    fn hashes_with_sha256_in_lowercase_hex() {
        assert_eq!(
            hash_of(&Map::new()),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
