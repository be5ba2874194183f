//! Client IP allow and deny lists of addresses and CIDR ranges.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address range: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`. An IPv4-mapped IPv6
    /// range (`::ffff:10.0.0.0/104`) is kept as the IPv4 range it names.
    pub fn parse(text: &str) -> Result<IpNet, String> {
        let text = text.trim();
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("`{text}` has a prefix length outside 0..={max}")),
            },
        };
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (addr, prefix),
            },
            _ => (addr, prefix),
        };
        Ok(IpNet {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` (IPv4-mapped IPv6 taken as IPv4) is in this range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(_), ip @ IpAddr::V4(_)) | (IpAddr::V6(_), ip @ IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            _ => false,
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = if prefix == 0 {
                0
            } else {
                bits & (u32::MAX << (32 - prefix as u32))
            };
            IpAddr::V4(Ipv4Addr::from(kept))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = if prefix == 0 {
                0
            } else {
                bits & (u128::MAX << (128 - prefix as u32))
            };
            IpAddr::V6(Ipv6Addr::from(kept))
        }
    }
}

/// Allow and deny lists. Deny wins; a non-empty allow list admits only what
/// it names; with any rule at all, a request whose address is unknown is
/// refused (a missing header must not open the gate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRules {
    /// Ranges admitted; when any, only these are.
    pub allow: Vec<IpNet>,
    /// Ranges refused, whatever the allow list says.
    pub deny: Vec<IpNet>,
}

impl IpRules {
    /// Parses both lists (see [`IpNet::parse`]); the first bad entry is the error.
    pub fn parse(allow: &[String], deny: &[String]) -> Result<IpRules, String> {
        let parse_all = |items: &[String]| {
            let mut nets = Vec::with_capacity(items.len());
            for item in items {
                nets.push(IpNet::parse(item)?);
            }
            Ok::<_, String>(nets)
        };
        Ok(IpRules {
            allow: parse_all(allow)?,
            deny: parse_all(deny)?,
        })
    }

    /// Whether there are no rules (every request passes).
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Whether a client at this address may call (`None`: its address is unknown).
    pub fn permits(&self, client: Option<IpAddr>) -> bool {
        if self.is_empty() {
            return true;
        }
        let Some(ip) = client else { return false };
        if self.deny.iter().any(|net| net.contains(ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allow: &[&str], deny: &[&str]) -> IpRules {
        let owned = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        IpRules::parse(&owned(allow), &owned(deny)).unwrap()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn cidr_ranges_match_by_prefix() {
        let net = IpNet::parse("203.0.113.77/24").unwrap();
        assert_eq!(net.to_string(), "203.0.113.0/24");
        assert!(net.contains("203.0.113.1".parse().unwrap()));
        assert!(!net.contains("203.0.114.1".parse().unwrap()));
        let v6 = IpNet::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn bad_rules_are_errors() {
        assert!(IpNet::parse("10.0.0.0/33").is_err());
        assert!(IpNet::parse("10.0.0").is_err());
        assert!(IpNet::parse("example.com").is_err());
        assert!(IpNet::parse("::/129").is_err());
    }

    #[test]
    fn deny_wins_and_allow_lists_are_exclusive() {
        let r = rules(&["10.0.0.0/8"], &["10.1.0.0/16"]);
        assert!(r.permits(ip("10.2.3.4")));
        assert!(!r.permits(ip("10.1.2.3")));
        assert!(!r.permits(ip("192.168.0.1")));
        assert!(rules(&[], &[]).permits(None));
        assert!(rules(&[], &["1.2.3.4"]).permits(ip("1.2.3.5")));
    }

    #[test]
    fn unknown_clients_are_refused_once_any_rule_exists() {
        assert!(!rules(&[], &["1.2.3.4"]).permits(None));
        assert!(!rules(&["0.0.0.0/0"], &[]).permits(None));
    }

    #[test]
    fn ipv4_mapped_ipv6_follows_ipv4_rules() {
        let r = rules(&[], &["192.0.2.0/24"]);
        assert!(!r.permits(ip("::ffff:192.0.2.9")));
        assert!(r.permits(ip("::ffff:192.0.3.9")));
        let mapped_rule = rules(&["::ffff:198.51.100.0/120"], &[]);
        assert!(mapped_rule.permits(ip("198.51.100.20")));
        assert!(!mapped_rule.permits(ip("198.51.101.20")));
    }
}
