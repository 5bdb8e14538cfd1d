//! What consentry itself may keep about a visitor: never a full client address.

use std::net::IpAddr;

use ipnet::IpNet;

/// Truncates a client address to its /24 (IPv4) or /48 (IPv6) network, the usual anonymisation
/// for logs (it keeps the network an operator may need to block, not the person). IPv4-mapped
/// IPv6 addresses are treated as IPv4.
pub fn truncate_ip(ip: IpAddr) -> IpNet {
    let ip = ip.to_canonical();
    let prefix = match ip {
        IpAddr::V4(_) => 24,
        IpAddr::V6(_) => 48,
    };
    // The prefix is in range for the family, so this cannot fail; fall back to the host route
    // type-safely rather than panicking.
    IpNet::new(ip, prefix)
        .map(|net| net.trunc())
        .unwrap_or_else(|_| IpNet::from(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_ipv4_to_its_24() {
        let ip: IpAddr = "192.0.2.77".parse().unwrap();
        assert_eq!(truncate_ip(ip).to_string(), "192.0.2.0/24");
    }

    #[test]
    fn truncates_ipv6_to_its_48() {
        let ip: IpAddr = "2001:db8:1234:5678::1".parse().unwrap();
        assert_eq!(truncate_ip(ip).to_string(), "2001:db8:1234::/48");
    }

    #[test]
    fn treats_ipv4_mapped_ipv6_as_ipv4() {
        let ip: IpAddr = "::ffff:198.51.100.9".parse().unwrap();
        assert_eq!(truncate_ip(ip).to_string(), "198.51.100.0/24");
    }
}
