//! The client's address behind a reverse proxy (`X-Forwarded-For`).
//!
//! Behind nginx every connection comes from nginx, so login limits per address would hold
//! back everyone at once and the audit log would name the proxy. `X-Forwarded-For` says
//! who the client was, but any client can send one: it is read only when the connection
//! comes from a proxy the operator named (`--trusted-proxy`), and then from the right,
//! the way proxies append to it: each trusted hop is passed over, and the first address
//! that is not a trusted proxy is the client. What a client wrote to the left of that is
//! never believed. This is what nginx's `real_ip_recursive on` does.

use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The header proxies append the address they were connected from to.
const HEADER: &str = "x-forwarded-for";

/// Entries read from the right at most: more than a few proxies is a forged header.
const MAX_HOPS: usize = 32;

/// The proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    pub fn new(addresses: Vec<IpAddr>) -> Self {
        TrustedProxies(addresses)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|t| t.to_canonical() == ip)
    }

    /// The client of a request that came over a connection from `peer`: `peer` itself
    /// unless it is a trusted proxy that said (in `X-Forwarded-For`) whom it serves.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if !self.trusts(peer.ip()) {
            return peer;
        }
        // Every header line, in order, is one list (RFC 9110 §5.3), read from its end.
        let mut client = peer.ip();
        let mut hops = 0;
        'walk: for line in headers.get_all(HEADER).iter().rev() {
            // A line that is not text is not an address either: it ends the walk.
            let Ok(line) = line.to_str() else { break };
            for entry in line.rsplit(',') {
                hops += 1;
                if hops > MAX_HOPS {
                    break 'walk;
                }
                match parse(entry) {
                    // The hop before a trusted one: believed, and if trusted too, read on.
                    Some(ip) => {
                        client = ip;
                        if !self.trusts(ip) {
                            break 'walk;
                        }
                    }
                    // Not an address: what is to its left is not believed either.
                    None => break 'walk,
                }
            }
        }
        SocketAddr::new(client, peer.port())
    }
}

/// An entry: an IPv4 or IPv6 address, also `[v6]:port` or `v4:port` as some proxies
/// write them; anything else (`unknown`, a name, script) is not an address.
fn parse(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 40000)
    }

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(HEADER, HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn nginx() -> TrustedProxies {
        TrustedProxies::new(vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()])
    }

    fn client(t: &TrustedProxies, from: &str, lines: &[&str]) -> String {
        t.client(peer(from), &headers(lines)).ip().to_string()
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        assert_eq!(
            client(&nginx(), "127.0.0.1", &["203.0.113.5"]),
            "203.0.113.5"
        );
        assert_eq!(client(&nginx(), "::1", &["2001:db8::7"]), "2001:db8::7");
        assert_eq!(
            client(&nginx(), "::ffff:127.0.0.1", &["203.0.113.5"]),
            "203.0.113.5"
        );
        // Without the header the proxy is the client.
        assert_eq!(client(&nginx(), "127.0.0.1", &[]), "127.0.0.1");
    }

    #[test]
    fn the_header_is_not_believed_from_anyone_else() {
        assert_eq!(
            client(&nginx(), "198.51.100.9", &["203.0.113.5"]),
            "198.51.100.9"
        );
        let none = TrustedProxies::default();
        assert_eq!(client(&none, "127.0.0.1", &["203.0.113.5"]), "127.0.0.1");
    }

    #[test]
    fn what_the_client_wrote_to_the_left_is_not_believed() {
        // The client sent `X-Forwarded-For: 10.9.9.9`; nginx appended the real address.
        assert_eq!(
            client(&nginx(), "127.0.0.1", &["10.9.9.9, 203.0.113.5"]),
            "203.0.113.5"
        );
        // Even when it claims to be a trusted proxy itself, only its own hop is read.
        assert_eq!(
            client(
                &nginx(),
                "127.0.0.1",
                &["203.0.113.1", "127.0.0.1, 203.0.113.5"]
            ),
            "203.0.113.5"
        );
        // Two trusted proxies in a row: the hop before both.
        assert_eq!(
            client(&nginx(), "127.0.0.1", &["10.9.9.9, 203.0.113.5, 127.0.0.1"]),
            "203.0.113.5"
        );
    }

    #[test]
    fn hostile_entries_end_the_walk_at_the_last_believed_hop() {
        for forged in [
            "<script>alert(1)</script>",
            "unknown",
            "",
            "999.1.1.1",
            "evil.example",
            "203.0.113.5 203.0.113.6",
        ] {
            assert_eq!(
                client(&nginx(), "127.0.0.1", &[forged]),
                "127.0.0.1",
                "{forged}"
            );
            assert_eq!(
                client(&nginx(), "127.0.0.1", &[&format!("{forged}, 127.0.0.1")]),
                "127.0.0.1",
                "{forged}"
            );
        }
        assert_eq!(
            client(&nginx(), "127.0.0.1", &["[2001:db8::7]:4711"]),
            "2001:db8::7"
        );
        assert_eq!(
            client(&nginx(), "127.0.0.1", &["203.0.113.5:4711"]),
            "203.0.113.5"
        );
        // A line that is not text (obs-text bytes) between trusted hops ends the walk:
        // the line to its left is not believed.
        let mut h = headers(&["203.0.113.9"]);
        h.append(HEADER, HeaderValue::from_bytes(b"\xff").unwrap());
        h.append(HEADER, HeaderValue::from_static("127.0.0.1"));
        assert_eq!(
            nginx().client(peer("127.0.0.1"), &h).ip().to_string(),
            "127.0.0.1"
        );
        // A header of many trusted hops is read only so far.
        let long = vec!["127.0.0.1"; 10_000].join(",");
        assert_eq!(client(&nginx(), "127.0.0.1", &[&long]), "127.0.0.1");
    }
}
