//! The demo's configuration: the shipped `config/opendatasoft.toml` with its tracker
//! declarations switched on, pointed at the demo portal. Building the demo from the shipped file
//! (rather than a copy) means a commented declaration that no longer validates breaks the demo
//! and its tests, instead of breaking the first operator who uncomments it.

use std::net::SocketAddr;
use std::path::Path;

use crate::config::{Config, Overrides};

/// The shipped configuration, as operators get it.
pub const SHIPPED_CONFIG: &str = include_str!("../../config/opendatasoft.toml");

/// What errors call the embedded file.
const CONFIG_NAME: &str = "config/opendatasoft.toml (embedded, trackers uncommented)";

const TRACKERS_START: &str = "# --- trackers: uncomment";
const TRACKERS_END: &str = "# --- end of trackers ---";

/// The shipped configuration with every tracker declaration uncommented.
pub fn uncomment_trackers(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let (mut saw_start, mut saw_end) = (false, false);
    for line in text.split_inclusive('\n') {
        if !inside && line.starts_with(TRACKERS_START) {
            inside = true;
            saw_start = true;
            out.push_str(line);
            continue;
        }
        if inside && line.starts_with(TRACKERS_END) {
            inside = false;
            saw_end = true;
        }
        if inside {
            out.push_str(&uncomment_line(line));
        } else {
            out.push_str(line);
        }
    }
    match (saw_start, saw_end) {
        (true, true) => Ok(out),
        _ => Err(format!(
            "the embedded configuration has no `{TRACKERS_START}` … `{TRACKERS_END}` block"
        )),
    }
}

/// `# name = "_ga"` → `name = "_ga"`, `#` → ``. A line of prose between the markers stays a
/// comment: uncommented, it would not be TOML.
fn uncomment_line(line: &str) -> String {
    let Some(rest) = line.strip_prefix('#') else {
        return line.to_owned();
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    if rest.trim().is_empty() || is_toml_statement(rest) {
        rest.to_owned()
    } else {
        line.to_owned()
    }
}

/// A table header (`[[cookie]]`) or a `key = value` line.
fn is_toml_statement(text: &str) -> bool {
    let text = text.trim_start();
    if text.starts_with('[') {
        return true;
    }
    match text.split_once('=') {
        Some((key, _)) => {
            let key = key.trim();
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        }
        None => false,
    }
}

/// The demo configuration: consentry listening on `listen`, in front of the portal at `portal`.
pub fn build_demo_config(listen: &str, portal: SocketAddr) -> Result<Config, String> {
    let text = uncomment_trackers(SHIPPED_CONFIG)?;
    let overrides = Overrides {
        listen: Some(listen.to_owned()),
        upstream: Some(format!("http://{portal}")),
        mode: None,
    };
    Config::from_toml(&text, CONFIG_NAME, Path::new("."), &overrides).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_declarations(text: &str) -> usize {
        let config = Config::from_toml(text, "test.toml", Path::new("."), &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}"));
        config
            .enforcement
            .map(|rules| rules.registry.declarations().len())
            .unwrap_or(0)
    }

    /// The point of the demo config: the shipped, commented declarations stay valid.
    #[test]
    fn uncommented_shipped_config_parses_with_more_declarations() {
        let text = uncomment_trackers(SHIPPED_CONFIG).unwrap();
        let before = count_declarations(SHIPPED_CONFIG);
        let after = count_declarations(&text);
        assert!(after > before, "{after} declarations, {before} before");
        assert!(text.contains("\nglob = \"_pk_id.*\"\n"));
    }

    #[test]
    fn uncomments_only_between_the_markers_and_keeps_prose_commented() {
        let text = "# a = 1\n# --- trackers: uncomment these ---\n# Prose, not TOML.\n#\n# [[cookie]]\n# name = \"_ga\"\n# --- end of trackers ---\n# b = 2\n";
        let expected = "# a = 1\n# --- trackers: uncomment these ---\n# Prose, not TOML.\n\n[[cookie]]\nname = \"_ga\"\n# --- end of trackers ---\n# b = 2\n";
        assert_eq!(uncomment_trackers(text).unwrap(), expected);
    }

    #[test]
    fn refuses_a_file_without_the_markers() {
        assert!(uncomment_trackers("# [[cookie]]\n").is_err());
        assert!(uncomment_trackers("# --- trackers: uncomment\n# a = 1\n").is_err());
    }

    #[test]
    fn points_the_proxy_at_the_portal() {
        let portal: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        let config = build_demo_config("127.0.0.1:0", portal).unwrap();
        assert_eq!(
            config.proxy.upstream.authority.to_string(),
            "127.0.0.1:4321"
        );
        assert_eq!(config.proxy.listen.port(), 0);
    }
}
