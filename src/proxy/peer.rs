//! The visitor's end of one connection, and what every request on it writes about that end
//! (the address in the forwarding fields, the truncated address in audit records), made once
//! per connection rather than once per request.

use std::net::SocketAddr;

use http::header::HeaderValue;

use super::headers::forwarded::{ip_value, ElementMemo};
use crate::audit::SharedStr;
use crate::privacy::truncate_ip;

/// Shared by the connection's requests through an `Arc`, never copied: what it keeps for them
/// (the `Forwarded` element) is the connection's.
pub struct Peer {
    pub addr: SocketAddr,
    /// The address as `X-Real-IP` and `X-Forwarded-For` carry it (an IPv4-mapped IPv6 address
    /// in its IPv4 form).
    pub ip_value: HeaderValue,
    /// The address as audit records keep it: truncated, never whole.
    pub truncated: SharedStr,
    /// The `Forwarded` element its requests carry.
    pub forwarded: ElementMemo,
}

impl Peer {
    pub fn new(addr: SocketAddr) -> Peer {
        Peer {
            addr,
            ip_value: ip_value(addr.ip().to_canonical()),
            truncated: SharedStr::display(truncate_ip(addr.ip())),
            forwarded: ElementMemo::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_an_ipv4_mapped_visitor_by_its_ipv4_address_and_truncates_it_for_records() {
        let peer = Peer::new("[::ffff:192.0.2.77]:4242".parse().unwrap());
        assert_eq!(peer.ip_value, "192.0.2.77");
        assert_eq!(peer.truncated, "192.0.2.0/24");
    }

    #[test]
    fn names_an_ipv6_visitor_by_its_address() {
        let peer = Peer::new("[2001:db8::1]:443".parse().unwrap());
        assert_eq!(peer.ip_value, "2001:db8::1");
        assert_eq!(peer.truncated, "2001:db8::/48");
    }
}
