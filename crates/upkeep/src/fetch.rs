//! The one HTTP client that reaches outside the archive, safe by construction.
//!
//! A link checker or capturer fetches addresses that anyone who can edit a record chose,
//! so it must not become a way to reach the network it runs in (SSRF): the loopback
//! interface, the private LAN, a cloud's metadata service. Every rule is enforced here, in
//! one place, for every hop:
//!
//! - only `http` and `https`; no proxy from the environment;
//! - the host is resolved by [`SafeResolver`], which drops every address in a forbidden
//!   range ([`forbidden_reason`]) and hands the connector only the addresses it checked, so
//!   the connection goes to a checked address (no DNS rebinding between check and use);
//! - a host written as an IP literal is checked before the request (the connector does not
//!   resolve those);
//! - redirects are followed here, hop by hop, each target checked like the first address,
//!   and recorded; loops and over-long chains stop with an error;
//! - the whole fetch (all hops, the body included) has one deadline and the body a size cap.
//!
//! An explicit allow list of hosts ([`FetchPolicy::allow_hosts`]) lifts the address rules
//! for those hosts only: the tests' local servers, and nothing else by default.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION, USER_AGENT};
use reqwest::redirect::Policy;
pub use reqwest::Method;
use url::{Host, Url};

/// The user agent every request sends, so a site's operator can tell who is asking.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "dossier-linkcheck/",
    env!("CARGO_PKG_VERSION"),
    " (+archive link checker; robots.txt obeyed)"
);

/// What a fetch may do: limits and the hosts exempt from the address rules.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Hosts (names or IP literals, lowercase, without port) whose addresses are not
    /// checked. Empty by default; tests add `127.0.0.1`.
    pub allow_hosts: Vec<String>,
    /// The deadline for one whole fetch: every redirect hop and the body.
    pub timeout: Duration,
    /// The deadline for one TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Bytes of body kept; the rest is not read and the result says `truncated`.
    pub max_body: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    pub user_agent: String,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allow_hosts: Vec::new(),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_body: 8 * 1024 * 1024,
            max_redirects: 10,
            user_agent: DEFAULT_USER_AGENT.to_string(),
        }
    }
}

impl FetchPolicy {
    /// Whether `host` (as the URL spells it) is on the allow list.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_hosts.iter().any(|a| {
            a.trim_start_matches('[')
                .trim_end_matches(']')
                .eq_ignore_ascii_case(host)
        })
    }
}

/// One request to make.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub url: Url,
    pub method: Method,
    /// Follow redirects (recorded in [`Fetched::hops`]) or return the first answer.
    pub follow_redirects: bool,
    /// Whether to read the body (a checker that only wants the status does not).
    pub read_body: bool,
    /// Extra request headers (e.g. `Accept`).
    pub headers: Vec<(String, String)>,
    /// A smaller body cap than the policy's for this request (a checker reads only the
    /// beginning of a page).
    pub max_body: Option<usize>,
}

impl FetchRequest {
    pub fn get(url: Url) -> Self {
        FetchRequest {
            url,
            method: Method::GET,
            follow_redirects: true,
            read_body: true,
            headers: Vec::new(),
            max_body: None,
        }
    }

    pub fn head(url: Url) -> Self {
        FetchRequest {
            url,
            method: Method::HEAD,
            follow_redirects: true,
            read_body: false,
            headers: Vec::new(),
            max_body: None,
        }
    }
}

/// One redirect that was followed: the address asked, its status and where it pointed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hop {
    pub url: String,
    pub status: u16,
    pub location: String,
}

/// The answer at the end of the redirect chain.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The address asked first.
    pub url: Url,
    /// The address that gave this answer (after redirects).
    pub final_url: Url,
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/2.0`…, as the answer came.
    pub version: String,
    pub headers: HeaderMap,
    /// The headers sent with the last request (as far as this client sets them).
    pub request_headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than [`FetchPolicy::max_body`] and was cut there.
    pub truncated: bool,
    /// The redirects followed, in order (empty when the first answer was final).
    pub hops: Vec<Hop>,
    /// The address the last answer came from.
    pub remote_addr: Option<SocketAddr>,
    pub elapsed: Duration,
}

impl Fetched {
    /// The `Content-Type` header without parameters, lowercase (empty when absent).
    pub fn content_type(&self) -> String {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }
}

/// Why a fetch gave no answer. Each says what and where, for a person reading a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not a valid address ({reason})")]
    BadUrl { url: String, reason: String },
    #[error("{url}: only http and https addresses are fetched, not {scheme}:")]
    Scheme { url: String, scheme: String },
    #[error("{url}: refused: {}", blocked_text(host, addr, reason))]
    Blocked {
        url: String,
        host: String,
        addr: IpAddr,
        reason: &'static str,
    },
    #[error("{url}: {host} could not be resolved ({message})")]
    Dns {
        url: String,
        host: String,
        message: String,
    },
    #[error("{url}: could not connect ({message})")]
    Connect { url: String, message: String },
    #[error("{url}: no complete answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects {
        url: String,
        max: usize,
        hops: Vec<Hop>,
    },
    #[error("{url}: redirect loop back to {again}")]
    RedirectLoop {
        url: String,
        again: String,
        hops: Vec<Hop>,
    },
    #[error("{url}: redirect ({status}) with an unusable Location {location:?}")]
    BadRedirect {
        url: String,
        status: u16,
        location: String,
    },
    #[error("{url}: {message}")]
    Http { url: String, message: String },
}

impl FetchError {
    /// The redirects followed before the error, where there were any.
    pub fn hops(&self) -> &[Hop] {
        match self {
            FetchError::TooManyRedirects { hops, .. } | FetchError::RedirectLoop { hops, .. } => {
                hops
            }
            _ => &[],
        }
    }

    /// Whether the safety rules refused the address (rather than the site failing).
    pub fn is_refused(&self) -> bool {
        matches!(self, FetchError::Blocked { .. } | FetchError::Scheme { .. })
    }

    /// Whether the deadline ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, FetchError::Timeout { .. })
    }
}

/// The address ranges a fetch must never reach, with why, or `None` for a public address.
///
/// IPv4 embedded in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`) is judged as the IPv4 address it carries.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: u32, net: [u8; 4], prefix: u32) -> bool {
    let net = u32::from_be_bytes(net);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    ip & mask == net & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([169, 254, 169, 254], 32, "cloud metadata"),
        ([0, 0, 0, 0], 8, "unspecified (\"this network\")"),
        ([10, 0, 0, 0], 8, "private (RFC 1918)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (shared)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private (RFC 1918)"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast"),
        ([192, 168, 0, 0], 16, "private (RFC 1918)"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved (and broadcast)"),
    ];
    let n = u32::from(ip);
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(n, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn in_v6(ip: u128, net: [u16; 8], prefix: u32) -> bool {
    let net = u128::from(Ipv6Addr::from(net));
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    ip & mask == net & mask
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let n = u128::from(ip);
    if n == 0 {
        return Some("unspecified");
    }
    if n == 1 {
        return Some("loopback");
    }
    // IPv4 carried in IPv6: judge the IPv4 address.
    let embedded_low = Ipv4Addr::from((n & 0xffff_ffff) as u32);
    if in_v6(n, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96)
        || in_v6(n, [0, 0, 0, 0, 0, 0, 0, 0], 96)
        || in_v6(n, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96)
    {
        return forbidden_v4(embedded_low).or(if in_v6(n, [0, 0, 0, 0, 0, 0, 0, 0], 96) {
            Some("IPv4-compatible (deprecated)")
        } else {
            None
        });
    }
    if in_v6(n, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let v4 = Ipv4Addr::from(((n >> 80) & 0xffff_ffff) as u32);
        if let Some(why) = forbidden_v4(v4) {
            return Some(why);
        }
    }
    const RANGES: &[([u16; 8], u32, &str)] = &[
        ([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128, "cloud metadata"),
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use NAT64"),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            "IETF protocol assignment (Teredo included)",
        ),
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            "unique local (ULA, private)",
        ),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
        (
            [0xfec0, 0, 0, 0, 0, 0, 0, 0],
            10,
            "site-local (deprecated, private)",
        ),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(n, *net, *prefix))
        .map(|(_, _, why)| *why)
}

/// The error the resolver hands the connector when every address of a host is forbidden;
/// found again in the error chain to report [`FetchError::Blocked`].
#[derive(Debug)]
struct BlockedAddress {
    host: String,
    addr: IpAddr,
    reason: &'static str,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&blocked_text(&self.host, &self.addr, self.reason))
    }
}

/// "10.0.0.1 is a private address", "intranet.example is 10.0.0.1, a private address".
fn blocked_text(host: &str, addr: &IpAddr, reason: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok_and(|h| h == *addr) {
        format!("{host} is a {reason} address")
    } else {
        format!("{host} is {addr}, a {reason} address")
    }
}

impl std::error::Error for BlockedAddress {}

/// Resolves names for the connector, keeping only addresses outside the forbidden ranges
/// (all of them for an allowed host). The connector connects only to what this returns.
#[derive(Debug, Clone)]
pub struct SafeResolver {
    policy: Arc<FetchPolicy>,
}

impl Resolve for SafeResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                .collect();
            if policy.allows(&host) {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let mut first_refused = None;
            let good: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match forbidden_reason(a.ip()) {
                    None => true,
                    Some(why) => {
                        first_refused.get_or_insert((a.ip(), why));
                        false
                    }
                })
                .collect();
            if good.is_empty() {
                if let Some((addr, reason)) = first_refused {
                    return Err(Box::new(BlockedAddress { host, addr, reason })
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(good.into_iter()) as Addrs)
        })
    }
}

/// The safe client. Cheap to clone (one connection pool shared by the clones).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<FetchPolicy>,
}

impl Fetcher {
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let policy = Arc::new(FetchPolicy {
            allow_hosts: policy
                .allow_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            ..policy
        });
        let mut default_headers = HeaderMap::new();
        if let Ok(ua) = HeaderValue::from_str(&policy.user_agent) {
            default_headers.insert(USER_AGENT, ua);
        }
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(SafeResolver {
                policy: policy.clone(),
            }))
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .pool_max_idle_per_host(8)
            .default_headers(default_headers)
            .build()
            .map_err(|e| FetchError::Http {
                url: String::new(),
                message: format!("the HTTP client could not be set up: {e}"),
            })?;
        Ok(Fetcher { client, policy })
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Checks an address before any request: scheme, and an IP-literal host's range.
    /// (Named hosts are checked by the resolver, at connection time.)
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(FetchError::Scheme {
                url: url.to_string(),
                scheme: scheme.to_string(),
            });
        }
        let Some(host) = url.host() else {
            return Err(FetchError::BadUrl {
                url: url.to_string(),
                reason: "no host".into(),
            });
        };
        let host_str = url.host_str().unwrap_or_default();
        if self.policy.allows(host_str) {
            return Ok(());
        }
        let ip = match host {
            Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            Host::Domain(d) => d.parse::<IpAddr>().ok(),
        };
        if let Some(ip) = ip {
            if let Some(reason) = forbidden_reason(ip) {
                return Err(FetchError::Blocked {
                    url: url.to_string(),
                    host: host_str.to_string(),
                    addr: ip,
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Parses and fetches an address with GET, following redirects.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        self.fetch(FetchRequest::get(parse_url(url)?)).await
    }

    /// Fetches, following redirects when asked, every hop checked; one deadline for all.
    pub async fn fetch(&self, req: FetchRequest) -> Result<Fetched, FetchError> {
        let secs = self.policy.timeout.as_secs().max(1);
        let first = req.url.to_string();
        match tokio::time::timeout(self.policy.timeout, self.fetch_inner(req)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout { url: first, secs }),
        }
    }

    async fn fetch_inner(&self, req: FetchRequest) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let mut url = req.url.clone();
        let mut method = req.method.clone();
        let mut hops: Vec<Hop> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        seen.insert(strip_fragment(&url));
        loop {
            self.check_url(&url)?;
            let mut builder = self.client.request(method.clone(), url.clone());
            let mut request_headers =
                vec![("User-Agent".to_string(), self.policy.user_agent.clone())];
            for (k, v) in &req.headers {
                builder = builder.header(k.as_str(), v.as_str());
                request_headers.push((k.clone(), v.clone()));
            }
            let resp = builder.send().await.map_err(|e| self.classify(&url, e))?;
            let status = resp.status().as_u16();
            if req.follow_redirects && resp.status().is_redirection() && status != 304 {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                if let Some(location) = location {
                    let next = url.join(&location).map_err(|_| FetchError::BadRedirect {
                        url: url.to_string(),
                        status,
                        location: location.clone(),
                    })?;
                    hops.push(Hop {
                        url: url.to_string(),
                        status,
                        location: next.to_string(),
                    });
                    if !seen.insert(strip_fragment(&next)) {
                        return Err(FetchError::RedirectLoop {
                            url: req.url.to_string(),
                            again: next.to_string(),
                            hops,
                        });
                    }
                    if hops.len() > self.policy.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: req.url.to_string(),
                            max: self.policy.max_redirects,
                            hops,
                        });
                    }
                    // 303, and 301/302 after a POST, turn into GET; HEAD stays HEAD.
                    if status == 303 && method != Method::HEAD {
                        method = Method::GET;
                    }
                    url = next;
                    continue;
                }
            }
            let version = format!("{:?}", resp.version());
            let headers = resp.headers().clone();
            let remote_addr = resp.remote_addr();
            let (body, truncated) = if req.read_body && method != Method::HEAD {
                let cap = req.max_body.unwrap_or(usize::MAX).min(self.policy.max_body);
                read_capped(&url, resp, cap, self.policy.timeout.as_secs().max(1)).await?
            } else {
                (Vec::new(), false)
            };
            return Ok(Fetched {
                url: req.url,
                final_url: url,
                status,
                version,
                headers,
                request_headers,
                body,
                truncated,
                hops,
                remote_addr,
                elapsed: started.elapsed(),
            });
        }
    }

    /// Turns the client's error into one that says what happened, finding the resolver's
    /// refusal in the chain of causes.
    fn classify(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        let mut io_dns = None;
        while let Some(s) = source {
            if let Some(b) = s.downcast_ref::<BlockedAddress>() {
                return FetchError::Blocked {
                    url: url.to_string(),
                    host: b.host.clone(),
                    addr: b.addr,
                    reason: b.reason,
                };
            }
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                io_dns.get_or_insert(io.to_string());
            }
            source = s.source();
        }
        if e.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                secs: self.policy.timeout.as_secs().max(1),
            };
        }
        let chain = error_chain(&e);
        if e.is_connect() {
            if chain.contains("dns error") {
                return FetchError::Dns {
                    url: url.to_string(),
                    host: url.host_str().unwrap_or_default().to_string(),
                    message: io_dns.unwrap_or(chain),
                };
            }
            // The innermost cause says it best ("Connection refused (os error 111)").
            let inner = chain.rsplit(": ").next().unwrap_or(&chain).to_string();
            return FetchError::Connect {
                url: url.to_string(),
                message: inner,
            };
        }
        FetchError::Http {
            url: url.to_string(),
            message: chain,
        }
    }
}

/// Parses an address for fetching, saying what is wrong with it.
pub fn parse_url(url: &str) -> Result<Url, FetchError> {
    Url::parse(url.trim()).map_err(|e| FetchError::BadUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

fn strip_fragment(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// The error and its causes on one line, without repeats.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Reads at most `max` bytes of the body, then stops (the connection is dropped).
async fn read_capped(
    url: &Url,
    mut resp: reqwest::Response,
    max: usize,
    secs: u64,
) -> Result<(Vec<u8>, bool), FetchError> {
    let mut body = Vec::new();
    loop {
        let chunk = resp.chunk().await.map_err(|e| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url.to_string(),
                    secs,
                }
            } else {
                FetchError::Http {
                    url: url.to_string(),
                    message: format!("reading the body: {}", error_chain(&e)),
                }
            }
        })?;
        let Some(chunk) = chunk else {
            return Ok((body, false));
        };
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        forbidden_reason(s.parse().unwrap())
    }

    #[test]
    fn forbidden_ranges() {
        for (addr, why) in [
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.1.2.3", "private (RFC 1918)"),
            ("172.16.0.1", "private (RFC 1918)"),
            ("172.31.255.255", "private (RFC 1918)"),
            ("192.168.1.1", "private (RFC 1918)"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("100.64.0.1", "carrier-grade NAT (shared)"),
            ("100.127.255.255", "carrier-grade NAT (shared)"),
            ("0.0.0.0", "unspecified (\"this network\")"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved (and broadcast)"),
            ("192.0.2.5", "documentation"),
            ("198.51.100.5", "documentation"),
            ("203.0.113.5", "documentation"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "cloud metadata"),
            ("64:ff9b::a00:1", "private (RFC 1918)"),
            ("2002:7f00:1::", "loopback"),
            ("fd00:ec2::254", "cloud metadata"),
            ("fd12:3456::1", "unique local (ULA, private)"),
            ("fc00::1", "unique local (ULA, private)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
        ] {
            assert_eq!(reason(addr), Some(why), "{addr}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "2606:4700::1111",
        ] {
            assert_eq!(reason(public), None, "{public}");
        }
    }

    #[test]
    fn scheme_and_literal_checks() {
        let f = Fetcher::new(FetchPolicy::default()).unwrap();
        for bad in [
            "file:///etc/passwd",
            "ftp://example.org/",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "gopher://127.0.0.1:25/",
            "mailto:a@example.org",
        ] {
            let u = Url::parse(bad).unwrap();
            assert!(
                matches!(f.check_url(&u), Err(FetchError::Scheme { .. })),
                "{bad}"
            );
        }
        for blocked in [
            "http://127.0.0.1/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://[::1]:8080/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "https://10.0.0.1/",
        ] {
            let u = Url::parse(blocked).unwrap();
            assert!(
                matches!(f.check_url(&u), Err(FetchError::Blocked { .. })),
                "{blocked}: {:?}",
                f.check_url(&u)
            );
        }
        let allowed = Fetcher::new(FetchPolicy {
            allow_hosts: vec!["127.0.0.1".into(), "[::1]".into()],
            ..FetchPolicy::default()
        })
        .unwrap();
        assert!(allowed
            .check_url(&Url::parse("http://127.0.0.1:9/").unwrap())
            .is_ok());
        assert!(allowed
            .check_url(&Url::parse("http://[::1]:9/").unwrap())
            .is_ok());
        assert!(allowed
            .check_url(&Url::parse("http://169.254.169.254/").unwrap())
            .is_err());
    }
}
