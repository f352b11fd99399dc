//! Address binding of terminals: an IPv4/IPv6 address or CIDR, parsed by hand (a dozen lines;
//! not worth a dependency).

use std::net::IpAddr;

/// A network: an address with the prefix length that must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `10.1.2.0/24`, `10.1.2.3` (= /32), `fd00::/8`, `::1` (= /128). Host bits are cleared.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.trim(), Some(p.trim())),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
        };
        if prefix > max {
            return None;
        }
        Some(Cidr { net: mask(ip, prefix), prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.net, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            (_, ip) => ip,
        };
        self.net.is_ipv4() == ip.is_ipv4() && mask(ip, self.prefix) == self.net
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// Whether a request from `ip` may speak for a terminal bound to `bound` (unbound: always; an
/// unknown address or an unreadable binding: never).
pub fn allowed(bound: Option<&str>, ip: Option<&str>) -> bool {
    let Some(bound) = bound else { return true };
    let Some(c) = Cidr::parse(bound) else { return false };
    ip.and_then(|ip| ip.parse::<IpAddr>().ok()).is_some_and(|ip| c.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_match() {
        let c = Cidr::parse("10.1.2.77/24").unwrap();
        assert_eq!(c.to_string(), "10.1.2.0/24");
        assert!(c.contains(ip("10.1.2.200")) && !c.contains(ip("10.1.3.1")));
        assert!(c.contains(ip("::ffff:10.1.2.9")), "IPv4-mapped");
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert_eq!(one.to_string(), "127.0.0.1/32");
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        for bad in ["", "10.1.2.0/33", "10.1.2/24", "10.1.2.0/", "10.1.2.0/-1", "x/8", "::/129", "10.0.0.0/+8"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
        assert!(allowed(None, None));
        assert!(!allowed(Some("10.0.0.0/8"), None));
        assert!(allowed(Some("10.0.0.0/8"), Some("10.9.9.9")));
        assert!(!allowed(Some("garbage"), Some("10.9.9.9")));
    }
}
