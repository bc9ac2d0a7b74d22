//! Issue 20, finding 9: absolute links come from configuration, never from a request's
//! `Host` header (which the client chooses). Without `--base-url` they use the address the
//! server listens on.

mod common;

use common::TestServer;
use std::io::{Read, Write};
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::builtin);

const EVIL: &str = "evil.example";

/// A raw HTTP/1.1 GET with the given `Host` (ureq sets its own); returns status and body.
fn get_with_host(path: &str, host: &str, accept: &str) -> (u16, String) {
    let addr = SERVER.base.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{path}: no status line in {raw:?}"));
    (status, raw)
}

#[test]
fn a_hostile_host_header_reaches_no_link() {
    let paths = [
        "/feed.atom",
        "/dossiers/nato-russia/feed.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/oai?verb=Identify",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/citations/founding-act-1997.bib",
        "/citations/founding-act-1997.ris",
        "/citations/founding-act-1997.csl.json",
        "/dossiers/nato-russia/bibliography.bib",
        "/",
        "/dossiers/nato-russia",
        "/documents/founding-act-1997",
        "/search?q=founding",
        "/api/v1",
        "/api/v1/documents/founding-act-1997",
        "/api/v1/documents?per_page=2",
        "/no-such-page",
    ];
    for host in [EVIL, "evil.example:8443", "EVIL.EXAMPLE"] {
        for path in paths {
            for accept in ["text/html", "application/json", "*/*"] {
                let (status, raw) = get_with_host(path, host, accept);
                assert!(status < 500, "{path} ({host}, {accept}): {status}");
                assert!(
                    !raw.to_ascii_lowercase().contains(EVIL),
                    "{path} ({host}, {accept}) carries the Host header:\n{raw}"
                );
            }
        }
    }
}

#[test]
fn without_a_base_url_absolute_links_use_the_listening_address() {
    let (status, atom) = get_with_host("/feed.atom", EVIL, "*/*");
    assert_eq!(status, 200);
    assert!(atom.contains(&format!("{}/", SERVER.base)), "{atom}");
    let (_, sitemap) = get_with_host("/sitemap.xml", EVIL, "*/*");
    assert!(
        sitemap.contains(&format!("<loc>{}/", SERVER.base)),
        "{sitemap}"
    );
    let (_, identify) = get_with_host("/oai?verb=Identify", EVIL, "*/*");
    assert!(
        identify.contains(&format!("<baseURL>{}/oai</baseURL>", SERVER.base)),
        "{identify}"
    );
}
