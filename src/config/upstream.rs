//! The upstream address (`http://` or `https://`) and the public host visitors use.

use http::uri::{Authority, Scheme as UriScheme, Uri};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Where requests are forwarded: an origin, without path or query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub scheme: Scheme,
    /// Lowercase host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// The explicit port, if the URL named one.
    pub port: Option<u16>,
    /// `host[:port]` as the upstream expects it in `Host`.
    pub authority: Authority,
}

impl Upstream {
    /// Parses `http://host[:port]` or `https://host[:port]`, with an optional trailing `/`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let uri: Uri = text
            .parse()
            .map_err(|e| format!("`{text}` is not a URL: {e}"))?;
        let scheme = match uri.scheme() {
            Some(s) if *s == UriScheme::HTTP => Scheme::Http,
            Some(s) if *s == UriScheme::HTTPS => Scheme::Https,
            Some(s) => {
                return Err(format!(
                    "`{text}`: scheme `{s}` is not supported (use http:// or https://)"
                ))
            }
            None => return Err(format!("`{text}` has no scheme (use http:// or https://)")),
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("`{text}` has no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!(
                "`{text}`: credentials in the upstream URL are not supported"
            ));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!(
                "`{text}`: the upstream must be an origin without path or query (e.g. https://portal.example.org)"
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host.is_empty() {
            return Err(format!("`{text}` has no host"));
        }
        Ok(Upstream {
            scheme,
            host,
            port: authority.port_u16(),
            authority,
        })
    }

    /// The port the connection goes to.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }
}

/// The public host is `host` or `host:port`, as it appears in a visitor's `Host` header.
pub fn parse_public_host(text: &str) -> Result<String, String> {
    let authority: Authority = text
        .parse()
        .map_err(|_| format!("`{text}` is not a host name such as \"data.example.fr\""))?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err(format!(
            "`{text}` is not a host name such as \"data.example.fr\""
        ));
    }
    Ok(authority.as_str().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_https_origin_with_default_port() {
        let up = Upstream::parse("https://Portal.Example.org/").unwrap();
        assert_eq!(up.scheme, Scheme::Https);
        assert_eq!(up.host, "portal.example.org");
        assert_eq!(up.port, None);
        assert_eq!(up.effective_port(), 443);
    }

    #[test]
    fn parses_http_origin_with_explicit_port_and_ipv6() {
        let up = Upstream::parse("http://[::1]:8081").unwrap();
        assert_eq!(up.scheme, Scheme::Http);
        assert_eq!(up.host, "::1");
        assert_eq!(up.authority.as_str(), "[::1]:8081");
        assert_eq!(up.effective_port(), 8081);
    }

    #[test]
    fn refuses_other_schemes_paths_credentials_and_bare_hosts() {
        for bad in [
            "ftp://portal.example.org",
            "portal.example.org",
            "https://portal.example.org/api",
            "https://portal.example.org/?a=1",
            "https://user:pw@portal.example.org",
            "",
        ] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_host_accepts_host_and_port_and_refuses_urls() {
        assert_eq!(
            parse_public_host("Data.Example.fr").unwrap(),
            "data.example.fr"
        );
        assert_eq!(
            parse_public_host("data.example.fr:8443").unwrap(),
            "data.example.fr:8443"
        );
        assert!(parse_public_host("https://data.example.fr/").is_err());
        assert!(parse_public_host("a b").is_err());
    }
}
