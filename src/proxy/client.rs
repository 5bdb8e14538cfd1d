//! The client that carries every request to the upstream, over plain TCP or rustls: the
//! connector's settings, and the pool (`pool.rs`) that reuses its connections.
//!
//! Requests go upstream as HTTP/1.1 (as nginx's `proxy_pass` does): it is what every portal
//! speaks, keeps one code path for upgrades (WebSocket), and lets the pool reuse connections.

use std::sync::Arc;

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::pool::UpstreamPool;
use crate::admin::Counters;
use crate::config::ProxyConfig;

/// Builds the pool: connect timeout, idle timeout, `TCP_NODELAY`, the connection bound, and TLS
/// roots from `upstream_ca` or the system and webpki roots.
pub fn build_client(config: &ProxyConfig, counters: Arc<Counters>) -> Result<UpstreamPool, String> {
    let mut http = HttpConnector::new();
    // The https connector wraps this one and decides by scheme; plain http must stay allowed.
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(config.timeouts.connect));
    http.set_keepalive(Some(config.timeouts.idle));

    let roots = load_roots(config)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);

    let upstream = &config.upstream;
    let origin = Uri::builder()
        .scheme(upstream.scheme.as_str())
        .authority(upstream.authority.clone())
        .path_and_query("/")
        .build()
        .map_err(|e| format!("the upstream's address is not a valid URI: {e}"))?;
    Ok(UpstreamPool::new(
        connector,
        origin,
        config.max_upstream_connections,
        config.timeouts.idle,
        counters,
    ))
}

/// `upstream_ca` replaces the default roots (a private portal should not also trust every
/// public CA); without it, the system's roots plus the webpki set.
fn load_roots(config: &ProxyConfig) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    if let Some(path) = &config.upstream_ca {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("{}: cannot read upstream_ca: {e}", path.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("{}: bad PEM certificate: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: unusable certificate: {e}", path.display()))?;
        }
        if roots.is_empty() {
            return Err(format!("{}: no certificate found", path.display()));
        }
        return Ok(roots);
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(native.certs);
    Ok(roots)
}
