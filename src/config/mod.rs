//! Configuration in two stages: the TOML file is read into the raw structs of [`raw`] (unknown
//! keys refused), then [`validate`] checks every value and builds the runtime [`Config`]. A bad file
//! fails at start with one line per problem naming the file, the line and the field; nothing is
//! checked per request.

mod audit;
mod consent;
mod duration;
mod error;
mod raw;
mod registry;
mod size;
mod upstream;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

pub use audit::{AuditConfig, AuditPath, ClientAddress, Fsync};
pub use duration::parse_duration;
pub use error::{ConfigError, ConfigErrors};
pub use size::parse_size;
pub use upstream::{Scheme, Upstream};

use crate::consent::ConsentConfig;
use crate::policy::{Cleanup, Policy};
use crate::registry::Registry;
use raw::{RawConfig, RawProxy, Text};

/// Where consentry listens unless told otherwise: loopback, so a fresh install exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_UPSTREAM_HEADERS_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
pub const DEFAULT_CLIENT_HEADERS_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);

/// The validated runtime configuration.
#[derive(Debug)]
pub struct Config {
    pub proxy: ProxyConfig,
    /// The cookie rules; `None` when the file declares no cookie at all (a plain proxy).
    pub enforcement: Option<Enforcement>,
    /// The tamper-evident audit log; `None` without an `[audit]` table.
    pub audit: Option<AuditConfig>,
    /// Where `/healthz`, `/readyz` and `/metrics` are served; `None` without `[admin] listen`.
    pub admin_listen: Option<SocketAddr>,
}

/// What cookie enforcement needs: the registry, where consent is read, and what to do.
#[derive(Debug)]
pub struct Enforcement {
    pub registry: Registry,
    pub consent: ConsentConfig,
    pub policy: Policy,
    /// Deleting from the browser the cookies stripped from requests.
    pub cleanup: Cleanup,
}

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listen: SocketAddr,
    pub upstream: Upstream,
    /// Send the visitor's `Host` upstream instead of the upstream's own.
    pub preserve_host: bool,
    /// The host (and port) visitors use, when it differs from the upstream's.
    pub public_host: Option<String>,
    /// A PEM file of extra roots to trust for an `https://` upstream.
    pub upstream_ca: Option<PathBuf>,
    pub trusted_proxies: Vec<IpNet>,
    pub timeouts: Timeouts,
    /// How long in-flight requests may run after SIGINT/SIGTERM.
    pub grace_period: Duration,
    /// Threads serving requests; `None`: one per core.
    pub workers: Option<usize>,
    /// Connections open to the upstream at most; requests beyond wait for one to come back.
    pub max_upstream_connections: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP (and TLS) connection to the upstream.
    pub connect: Duration,
    /// From sending the request to receiving the upstream's response head.
    pub upstream_headers: Duration,
    /// How long an idle pooled upstream connection is kept.
    pub idle: Duration,
    /// How long a client may take to send a request head, which also bounds an idle HTTP/1
    /// keep-alive connection waiting for its next request.
    pub client_headers: Duration,
}

/// Command-line values that replace the file's (`--listen`, `--upstream`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub upstream: Option<String>,
    /// `--mode`: replaces `policy.mode`.
    pub mode: Option<crate::policy::Mode>,
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Config, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&file, None, format!("cannot read the file: {e}")))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Self::from_toml(&text, &file, base, overrides)
    }

    /// Validates configuration text; `file` names it in errors and `base` resolves relative paths.
    pub fn from_toml(
        text: &str,
        file: &str,
        base: &Path,
        overrides: &Overrides,
    ) -> Result<Config, ConfigErrors> {
        let raw = parse_raw(text, file)?;
        validate(raw, &Source { text, file, base }, overrides)
    }
}

/// The file being validated, for error positions and relative paths.
struct Source<'a> {
    text: &'a str,
    file: &'a str,
    base: &'a Path,
}

impl Source<'_> {
    fn error(&self, field: &str, text: Option<&Text>, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, Some(field.to_owned()), message)
            .at(self.text, text.map(|t| t.span()))
    }

    fn error_at(
        &self,
        field: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.file, Some(field.to_owned()), message).at(self.text, span)
    }
}

fn parse_raw(text: &str, file: &str) -> Result<RawConfig, ConfigError> {
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| ConfigError::new(file, None, first_line(e.message())).at(text, e.span()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = field_path(&e.path().to_string());
        let inner = e.into_inner();
        let field = (!path.is_empty()).then_some(path);
        ConfigError::new(file, field, first_line(inner.message())).at(text, inner.span())
    })
}

/// `proxy.$__serde_spanned_private_value.preserve_host` → `proxy.preserve_host`: the spans kept
/// for error positions show up as path segments of their own.
fn field_path(path: &str) -> String {
    path.split('.')
        .filter(|segment| !segment.is_empty() && !segment.starts_with("$__serde_spanned"))
        .collect::<Vec<_>>()
        .join(".")
}

/// toml's messages can run over several lines; an operator gets one.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

fn validate(
    raw: RawConfig,
    source: &Source<'_>,
    overrides: &Overrides,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let proxy_span = raw.proxy.as_ref().map(|p| p.span());
    let raw_proxy = raw.proxy.map(|p| p.into_inner()).unwrap_or_default();
    let proxy = validate_proxy(raw_proxy, proxy_span, source, overrides, &mut errors);
    let mut enforcement = validate_enforcement(
        &raw.category,
        &raw.cookie,
        &raw.consent,
        &raw.policy,
        source,
        &mut errors,
    );
    if let (Some(rules), Some(mode)) = (enforcement.as_mut(), overrides.mode) {
        rules.policy.mode = mode;
    }
    let audit = raw
        .audit
        .as_ref()
        .and_then(|a| audit::validate_audit(a, source, &mut errors));
    let admin_listen = raw
        .admin
        .as_ref()
        .and_then(|a| a.listen.as_ref())
        .and_then(|text| {
            parse_listen(text.get_ref())
                .map_err(|m| errors.push(source.error("admin.listen", Some(text), m)))
                .ok()
        });
    match proxy {
        Some(proxy) if errors.is_empty() => Ok(Config {
            proxy,
            enforcement,
            audit,
            admin_listen,
        }),
        _ => Err(ConfigErrors(errors)),
    }
}

/// The registry, consent sources and policy; absent when no cookie is declared.
fn validate_enforcement(
    categories: &[toml::Spanned<raw::RawCategory>],
    cookies: &[toml::Spanned<raw::RawCookie>],
    consent: &raw::RawConsent,
    policy: &raw::RawPolicy,
    source: &Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Enforcement> {
    if categories.is_empty() && cookies.is_empty() {
        if !consent.source.is_empty() {
            errors.push(source.error_at(
                "consent.source",
                consent.source.first().map(|s| s.span()),
                "consent sources need a registry: declare [[category]] and [[cookie]] tables",
            ));
        }
        return None;
    }
    let validated = registry::validate_registry(categories, cookies, source, errors)?;
    let consent = consent::validate_consent(consent, &validated.registry, source, errors);
    let cleanup = consent::validate_cleanup(&policy.cleanup, source, errors);
    let policy = consent::validate_policy(policy, &validated.category_modes, source, errors);
    Some(Enforcement {
        registry: validated.registry,
        consent,
        policy,
        cleanup,
    })
}

fn validate_proxy(
    raw: RawProxy,
    span: Option<std::ops::Range<usize>>,
    source: &Source<'_>,
    overrides: &Overrides,
    errors: &mut Vec<ConfigError>,
) -> Option<ProxyConfig> {
    let listen = match &overrides.listen {
        Some(text) => parse_listen(text)
            .map_err(|m| ConfigError::new(source.file, Some("--listen".into()), m)),
        None => match &raw.listen {
            Some(text) => parse_listen(text.get_ref())
                .map_err(|m| source.error("proxy.listen", Some(text), m)),
            None => {
                parse_listen(DEFAULT_LISTEN).map_err(|m| ConfigError::new(source.file, None, m))
            }
        },
    };
    let upstream = match &overrides.upstream {
        Some(text) => Upstream::parse(text).map_err(|m| ConfigError::new(source.file, Some("--upstream".into()), m)),
        None => match &raw.upstream {
            Some(text) => Upstream::parse(text.get_ref()).map_err(|m| source.error("proxy.upstream", Some(text), m)),
            None => Err(ConfigError::new(
                source.file,
                Some("proxy.upstream".into()),
                "missing: set the portal's address, e.g. upstream = \"https://portal.example.org\" (or pass --upstream)",
            )
            .at(source.text, span)),
        },
    };
    let public_host = raw.public_host.as_ref().map(|text| {
        upstream::parse_public_host(text.get_ref())
            .map_err(|m| source.error("proxy.public_host", Some(text), m))
    });
    let upstream_ca = raw.upstream_ca.as_ref().map(|text| {
        let path = source.base.join(text.get_ref());
        if path.is_file() {
            Ok(path)
        } else {
            Err(source.error(
                "proxy.upstream_ca",
                Some(text),
                format!("no such file: {}", path.display()),
            ))
        }
    });
    let trusted_proxies: Vec<Result<IpNet, ConfigError>> = raw
        .trusted_proxies
        .iter()
        .map(|text| {
            parse_network(text.get_ref())
                .map_err(|m| source.error("proxy.trusted_proxies", Some(text), m))
        })
        .collect();
    let timeouts = &raw.timeouts;
    let mut duration = |field: &str, text: &Option<Text>, default: Duration| match text {
        None => default,
        Some(t) => match parse_duration(t.get_ref()) {
            Ok(d) if d.is_zero() => {
                errors.push(source.error(field, Some(t), "must be greater than zero"));
                default
            }
            Ok(d) => d,
            Err(m) => {
                errors.push(source.error(field, Some(t), m));
                default
            }
        },
    };
    let timeouts = Timeouts {
        connect: duration(
            "proxy.timeouts.connect",
            &timeouts.connect,
            DEFAULT_CONNECT_TIMEOUT,
        ),
        upstream_headers: duration(
            "proxy.timeouts.upstream_headers",
            &timeouts.upstream_headers,
            DEFAULT_UPSTREAM_HEADERS_TIMEOUT,
        ),
        idle: duration("proxy.timeouts.idle", &timeouts.idle, DEFAULT_IDLE_TIMEOUT),
        client_headers: duration(
            "proxy.timeouts.client_headers",
            &timeouts.client_headers,
            DEFAULT_CLIENT_HEADERS_TIMEOUT,
        ),
    };
    let grace_period = duration(
        "proxy.grace_period",
        &raw.grace_period,
        DEFAULT_GRACE_PERIOD,
    );

    let mut bounded = |field: &str, value: &Option<toml::Spanned<u64>>, max: usize| {
        value
            .as_ref()
            .and_then(|n| match usize::try_from(*n.get_ref()) {
                Ok(v) if (1..=max).contains(&v) => Some(v),
                _ => {
                    errors.push(source.error_at(
                        field,
                        Some(n.span()),
                        format!("must be between 1 and {max}"),
                    ));
                    None
                }
            })
    };
    let workers = bounded("proxy.workers", &raw.workers, MAX_WORKERS);
    let max_upstream_connections = bounded(
        "proxy.max_upstream_connections",
        &raw.max_upstream_connections,
        MAX_UPSTREAM_CONNECTIONS,
    )
    .unwrap_or(DEFAULT_MAX_UPSTREAM_CONNECTIONS);
    let listen = keep_ok(listen, errors);
    let upstream = keep_ok(upstream, errors);
    let public_host = public_host.and_then(|r| keep_ok(r, errors));
    let upstream_ca = upstream_ca.and_then(|r| keep_ok(r, errors));
    let trusted_proxies = trusted_proxies
        .into_iter()
        .filter_map(|r| keep_ok(r, errors))
        .collect();
    Some(ProxyConfig {
        listen: listen?,
        upstream: upstream?,
        preserve_host: raw.preserve_host,
        public_host,
        upstream_ca,
        trusted_proxies,
        timeouts,
        grace_period,
        workers,
        max_upstream_connections,
    })
}

/// More threads than this only adds switching: a proxy is bound by its cores.
const MAX_WORKERS: usize = 1024;

/// Enough for a slow portal's requests in flight, few enough that a burst of visitors does not
/// open as many upstream connections (and their buffers) as there are visitors: with a fast
/// upstream, a core keeps far fewer than this busy.
pub const DEFAULT_MAX_UPSTREAM_CONNECTIONS: usize = 256;
const MAX_UPSTREAM_CONNECTIONS: usize = 65_536;

fn keep_ok<T>(result: Result<T, ConfigError>, errors: &mut Vec<ConfigError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("`{text}` is not an address and port such as \"127.0.0.1:8080\" or \"[::]:8080\"")
    })
}

/// A trusted proxy is an address (`10.0.0.7`) or a network (`10.0.0.0/8`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("`{text}` is neither an IP address nor a network such as \"10.0.0.0/8\"")
        })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod registry_tests;
