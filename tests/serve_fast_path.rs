//! The connection's fast path for kept answers (issue 22: a large cached page at 256
//! connections), over raw sockets: what it writes is what hyper writes for the same kept
//! answer, pipelined requests are answered in order, HEAD and 304 carry no body, and the
//! first request it does not take (a miss, a malformed head, a request with a body) is
//! answered by hyper on the same connection, followed by the requests after it.

mod common;

use common::TestServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One answer read off a connection: status, headers (names lowercase), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The headers less `date`, which moves with the clock, and `connection` (the
    /// `close` that hyper echoes to the request that asked for it), sorted.
    fn stable_headers(&self) -> Vec<(String, String)> {
        let mut h: Vec<_> = self
            .headers
            .iter()
            .filter(|(n, _)| n != "date" && n != "connection")
            .cloned()
            .collect();
        h.sort();
        h
    }
}

/// A connection that reads answers one by one (the body by `content-length`, none for
/// a HEAD or a 304).
struct Conn {
    s: TcpStream,
    read: Vec<u8>,
}

impl Conn {
    fn open(server: &TestServer) -> Conn {
        let s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn { s, read: vec![] }
    }

    fn send(&mut self, raw: &str) {
        self.s.write_all(raw.as_bytes()).unwrap();
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = self.s.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed the connection");
        self.read.extend_from_slice(&chunk[..n]);
    }

    fn answer(&mut self, head_only: bool) -> Answer {
        let end = loop {
            if let Some(at) = self.read.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            self.fill();
        };
        let head = String::from_utf8(self.read[..end].to_vec()).unwrap();
        self.read.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| l.split_once(':').unwrap())
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut answer = Answer {
            status,
            headers,
            body: vec![],
        };
        let length: usize = if head_only || status == 304 {
            0
        } else {
            answer
                .header("content-length")
                .expect("a content-length")
                .parse()
                .unwrap()
        };
        while self.read.len() < length {
            self.fill();
        }
        answer.body = self.read.drain(..length).collect();
        answer
    }
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n")
}

/// The answer hyper gives (a `Connection: close` request is never the fast path's).
fn through_hyper(server: &TestServer, path: &str) -> Answer {
    let mut c = Conn::open(server);
    c.send(&get(path, "Connection: close\r\n"));
    c.answer(false)
}

const PAGES: [&str; 3] = [
    "/dossiers/nato-russia",
    "/documents/founding-act-1997",
    "/bodies/nato",
];

#[test]
fn pipelined_hits_are_what_hyper_sends() {
    let server = TestServer::builtin();
    for path in PAGES {
        assert_eq!(through_hyper(&server, path).status, 200, "{path}");
    }
    // All three in one write, twice over: answered in order, each a hit.
    let mut c = Conn::open(&server);
    let all: String = PAGES.iter().chain(&PAGES).map(|p| get(p, "")).collect();
    c.send(&all);
    for path in PAGES.iter().chain(&PAGES) {
        let fast = c.answer(false);
        let hyper = through_hyper(&server, path);
        assert_eq!(fast.status, 200, "{path}");
        assert_eq!(fast.header("x-cache"), Some("hit"), "{path}");
        assert_eq!(fast.body, hyper.body, "{path}");
        assert_eq!(fast.stable_headers(), hyper.stable_headers(), "{path}");
        assert!(fast.header("date").is_some_and(|d| d.ends_with(" GMT")));
        assert_eq!(
            fast.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    // The dossier's page is large enough to be sent from its memory file.
    assert!(through_hyper(&server, PAGES[0]).body.len() >= 16 * 1024);
}

#[test]
fn head_and_304_carry_no_body_and_the_connection_goes_on() {
    let server = TestServer::builtin();
    let page = through_hyper(&server, PAGES[0]);
    let tag = page.header("etag").unwrap().to_string();
    let mut c = Conn::open(&server);
    c.send(&format!(
        "HEAD {} HTTP/1.1\r\nHost: t\r\n\r\n{}{}",
        PAGES[0],
        get(PAGES[0], &format!("If-None-Match: {tag}\r\n")),
        get(PAGES[0], "")
    ));
    let head = c.answer(true);
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(page.body.len().to_string().as_str())
    );
    let not_modified = c.answer(false);
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.header("etag"), Some(tag.as_str()));
    let again = c.answer(false);
    assert_eq!((again.status, &again.body), (200, &page.body));
}

#[test]
fn what_the_fast_path_does_not_take_goes_to_hyper_on_the_same_connection() {
    let server = TestServer::builtin();
    let page = through_hyper(&server, PAGES[1]);
    // A hit, a miss (never asked before), then a hit: the miss and everything after it
    // are hyper's, the answers the same.
    let mut c = Conn::open(&server);
    c.send(&format!(
        "{}{}{}",
        get(PAGES[1], ""),
        get("/bodies/pjc", ""),
        get(PAGES[1], "")
    ));
    let first = c.answer(false);
    assert_eq!((first.status, first.header("x-cache")), (200, Some("hit")));
    let miss = c.answer(false);
    assert_eq!((miss.status, miss.header("x-cache")), (200, Some("miss")));
    assert!(String::from_utf8_lossy(&miss.body).contains("Permanent Joint Council"));
    let third = c.answer(false);
    assert_eq!((third.status, &third.body), (200, &page.body));

    // A request with a body after a hit: hyper reads its body, then answers the next.
    let mut c = Conn::open(&server);
    c.send(&format!(
        "{}GET {} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello{}",
        get(PAGES[1], ""),
        PAGES[1],
        get(PAGES[1], "")
    ));
    for _ in 0..3 {
        assert_eq!(c.answer(false).status, 200);
    }

    // A malformed head after a hit is hyper's 400, not a hang or a dropped connection.
    let mut c = Conn::open(&server);
    c.send(&format!(
        "{}GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n",
        get(PAGES[1], "")
    ));
    assert_eq!(c.answer(false).status, 200);
    assert_eq!(c.answer(false).status, 400);

    // A request that carries credentials is never answered from the cache.
    let mut c = Conn::open(&server);
    c.send(&get(PAGES[1], "Cookie: dossier_session=forged\r\n"));
    let answer = c.answer(false);
    assert_ne!(answer.header("x-cache"), Some("hit"));
}

#[test]
fn a_change_shows_on_the_next_request_of_a_fast_connection() {
    let server = TestServer::builtin();
    let path = "/documents/founding-act-1997";
    assert_eq!(through_hyper(&server, path).status, 200);
    let mut c = Conn::open(&server);
    c.send(&get(path, ""));
    let before = c.answer(false);
    assert_eq!(before.header("x-cache"), Some("hit"));
    let mut archive = dossier_ingest::builtin::archive().unwrap();
    let doc = archive
        .documents
        .iter_mut()
        .find(|d| d.slug == "founding-act-1997")
        .unwrap();
    doc.title = "A title changed while the connection stayed open".into();
    dossier_store::Store::write(server.store.as_ref(), &archive).unwrap();
    c.send(&get(path, ""));
    let after = c.answer(false);
    assert_eq!(after.status, 200);
    assert_ne!(after.header("x-cache"), Some("hit"));
    assert!(String::from_utf8_lossy(&after.body).contains("A title changed while"));
}
