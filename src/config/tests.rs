use super::*;

fn load(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_toml(text, "site.toml", Path::new("."), &Overrides::default())
}

fn only_error(text: &str) -> String {
    let errors = load(text).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    errors.0[0].to_string()
}

#[test]
fn minimal_file_gets_the_documented_defaults() {
    let config = load("[proxy]\nupstream = \"https://portal.example.org\"\n").unwrap();
    let proxy = config.proxy;
    assert_eq!(proxy.listen.to_string(), DEFAULT_LISTEN);
    assert!(!proxy.preserve_host);
    assert_eq!(proxy.public_host, None);
    assert_eq!(proxy.timeouts.connect, DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(
        proxy.timeouts.upstream_headers,
        DEFAULT_UPSTREAM_HEADERS_TIMEOUT
    );
    assert_eq!(proxy.timeouts.idle, DEFAULT_IDLE_TIMEOUT);
    assert_eq!(
        proxy.timeouts.client_headers,
        DEFAULT_CLIENT_HEADERS_TIMEOUT
    );
    assert_eq!(proxy.grace_period, DEFAULT_GRACE_PERIOD);
}

#[test]
fn reads_every_proxy_option() {
    let text = r#"
[proxy]
listen = "0.0.0.0:9000"
upstream = "http://127.0.0.1:8081"
preserve_host = true
public_host = "data.city.fr"
trusted_proxies = ["10.0.0.0/8", "192.0.2.7"]
grace_period = "5s"

[proxy.timeouts]
connect = "2s"
upstream_headers = "20s"
idle = "1m"
client_headers = "10s"
"#;
    let proxy = load(text).unwrap().proxy;
    assert_eq!(proxy.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(proxy.upstream.authority.as_str(), "127.0.0.1:8081");
    assert!(proxy.preserve_host);
    assert_eq!(proxy.public_host.as_deref(), Some("data.city.fr"));
    assert_eq!(proxy.trusted_proxies.len(), 2);
    assert_eq!(proxy.trusted_proxies[1].to_string(), "192.0.2.7/32");
    assert_eq!(proxy.grace_period, Duration::from_secs(5));
    assert_eq!(proxy.timeouts.idle, Duration::from_secs(60));
}

#[test]
fn an_unknown_key_names_file_line_and_key() {
    let message = only_error("[proxy]\nupstream = \"http://a\"\nlisten_on = \"x\"\n");
    assert!(message.starts_with("site.toml:3: proxy"), "{message}");
    assert!(message.contains("listen_on"), "{message}");
}

#[test]
fn a_wrong_type_names_file_line_and_field() {
    let message = only_error("[proxy]\nupstream = \"http://a\"\npreserve_host = \"yes\"\n");
    assert!(
        message.starts_with("site.toml:3: proxy.preserve_host:"),
        "{message}"
    );
}

#[test]
fn a_bad_duration_names_file_line_and_field() {
    let message =
        only_error("[proxy]\nupstream = \"http://a\"\n[proxy.timeouts]\nconnect = \"5 parsecs\"\n");
    assert!(
        message.starts_with("site.toml:4: proxy.timeouts.connect: unknown unit"),
        "{message}"
    );
}

#[test]
fn a_zero_timeout_is_refused() {
    let message = only_error("[proxy]\nupstream = \"http://a\"\n[proxy.timeouts]\nidle = \"0s\"\n");
    assert!(
        message.contains("proxy.timeouts.idle: must be greater than zero"),
        "{message}"
    );
}

#[test]
fn a_missing_upstream_is_reported_with_a_hint() {
    let message = only_error("[proxy]\nlisten = \"127.0.0.1:1\"\n");
    assert!(message.contains("proxy.upstream: missing"), "{message}");
}

#[test]
fn a_bad_upstream_names_its_line() {
    let message = only_error("[proxy]\n\nupstream = \"ftp://portal\"\n");
    assert!(
        message.starts_with("site.toml:3: proxy.upstream:"),
        "{message}"
    );
}

#[test]
fn every_problem_is_listed_not_just_the_first() {
    let errors =
        load("[proxy]\nlisten = \"nowhere\"\nupstream = \"http://a\"\ntrusted_proxies = [\"x\"]\n")
            .unwrap_err();
    assert_eq!(errors.0.len(), 2, "{errors}");
}

#[test]
fn a_toml_syntax_error_is_one_line_with_its_position() {
    let message = only_error("[proxy]\nupstream = \n");
    assert!(message.starts_with("site.toml:2"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn command_line_overrides_replace_the_file_values() {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        upstream: Some("http://127.0.0.1:9".into()),
        mode: None,
    };
    let config = Config::from_toml(
        "[proxy]\nupstream = \"https://portal.example.org\"\n",
        "site.toml",
        Path::new("."),
        &overrides,
    )
    .unwrap();
    assert_eq!(config.proxy.listen.port(), 0);
    assert_eq!(config.proxy.upstream.authority.as_str(), "127.0.0.1:9");
}

#[test]
fn a_bad_override_is_named_by_its_flag() {
    let overrides = Overrides {
        upstream: Some("nope".into()),
        ..Overrides::default()
    };
    let errors =
        Config::from_toml("[proxy]\n", "site.toml", Path::new("."), &overrides).unwrap_err();
    assert!(errors.to_string().contains("--upstream"), "{errors}");
}

#[test]
fn a_missing_upstream_ca_file_is_refused() {
    let message = only_error("[proxy]\nupstream = \"https://a\"\nupstream_ca = \"nope.pem\"\n");
    assert!(
        message.contains("proxy.upstream_ca: no such file"),
        "{message}"
    );
}

#[test]
fn workers_default_to_one_per_core_and_are_bounded() {
    let base = "[proxy]\nupstream = \"http://127.0.0.1:1\"\n";
    assert_eq!(load(base).unwrap().proxy.workers, None);
    let one = load(&format!("{base}workers = 1\n")).unwrap();
    assert_eq!(one.proxy.workers, Some(1));
    let error = only_error(&format!("{base}workers = 0\n"));
    assert!(
        error.contains("site.toml:3: proxy.workers: must be between 1 and 1024"),
        "{error}"
    );
}

#[test]
fn upstream_connections_have_a_default_bound_that_can_be_set() {
    let base = "[proxy]\nupstream = \"http://127.0.0.1:1\"\n";
    assert_eq!(
        load(base).unwrap().proxy.max_upstream_connections,
        super::DEFAULT_MAX_UPSTREAM_CONNECTIONS
    );
    let set = load(&format!("{base}max_upstream_connections = 32\n")).unwrap();
    assert_eq!(set.proxy.max_upstream_connections, 32);
    let error = only_error(&format!("{base}max_upstream_connections = 0\n"));
    assert!(
        error.contains("site.toml:3: proxy.max_upstream_connections: must be between 1 and 65536"),
        "{error}"
    );
}
