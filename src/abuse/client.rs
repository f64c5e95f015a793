//! [`Client`]: who is asking, for the limits that span sessions. The
//! connecting address; only when it is a trusted proxy, the rightmost
//! `X-Forwarded-For` address that is not itself a trusted proxy.

use std::net::IpAddr;

use rocket::request::{FromRequest, Outcome, Request};

use crate::config::Settings;

/// Headers longer than this are not read (a client cannot make us parse
/// megabytes; the proxy's own address counts instead).
const MAX_FORWARDED: usize = 4096;

/// The client a request comes from (an IP address, or `unknown` when the
/// server has no peer address, as in in-process tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client(pub String);

/// The client of a connection from `peer` carrying `forwarded` (the
/// `X-Forwarded-For` values in order), trusting `trusted` proxies.
pub fn client_address(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    if !trusted.contains(&peer) || forwarded.iter().map(|v| v.len()).sum::<usize>() > MAX_FORWARDED {
        return Some(peer);
    }
    let mut hops = forwarded.iter().flat_map(|value| value.split(',')).map(str::trim).rev();
    let mut client = peer;
    for hop in &mut hops {
        // NOTE: a hop that is not an address means the header cannot be
        // trusted past it: the last trusted address seen counts.
        let Ok(address) = hop.parse::<IpAddr>().map(canonical) else { return Some(client) };
        client = address;
        if !trusted.contains(&address) {
            return Some(address);
        }
    }
    Some(client)
}

/// IPv4 addresses written as IPv6 (`::ffff:1.2.3.4`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Client {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let trusted = req.rocket().state::<Settings>().map(|s| s.abuse.trusted_proxies.as_slice()).unwrap_or_default();
        let forwarded: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
        let address = client_address(req.remote().map(|r| r.ip()), &forwarded, trusted);
        Outcome::Success(Client(address.map_or_else(|| "unknown".to_string(), |a| a.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy = [ip("10.0.0.1")];
        // An untrusted peer's header is ignored.
        assert_eq!(client_address(Some(ip("203.0.113.9")), &["1.2.3.4"], &proxy), Some(ip("203.0.113.9")));
        // Behind the proxy: the rightmost address that is not a proxy.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &["1.2.3.4, 198.51.100.7"], &proxy), Some(ip("198.51.100.7")));
        let two = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), &["5.6.7.8", "198.51.100.7, 10.0.0.2"], &two),
            Some(ip("198.51.100.7"))
        );
        // No header: the proxy itself.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &[], &proxy), Some(ip("10.0.0.1")));
        // A malformed hop stops the walk; never a failure.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &["1.2.3.4, junk"], &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &[&"9".repeat(10_000)], &proxy), Some(ip("10.0.0.1")));
        // IPv4 written as IPv6 is the same client.
        assert_eq!(client_address(Some(ip("::ffff:203.0.113.9")), &[], &proxy), Some(ip("203.0.113.9")));
        assert_eq!(client_address(None, &["1.2.3.4"], &proxy), None);
    }
}
