//! Issue 20, finding 8: the server's connections are bounded. A client that trickles its
//! headers or keeps an idle connection is dropped after the header-read timeout; past the
//! connection cap a client is answered 503 with `Retry-After` and the server answers again
//! once connections close. Over real TCP, with short limits set through `Limits`.

mod common;
use common::TestServer;
use dossier_server::Limits;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A server over an empty store with `limits`, until the value is dropped.
struct Server {
    addr: SocketAddr,
    _server: TestServer,
}

impl Server {
    fn start(limits: Limits) -> Server {
        let server = TestServer::with_limits(|_| {}, |state| state, limits);
        Server {
            addr: server.addr,
            _server: server,
        }
    }

    /// A new connection, with a read timeout that keeps a failing test from hanging.
    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    }

    /// A GET of `/robots.txt` on a new connection; its status.
    fn get(&self) -> u16 {
        let mut s = self.connect();
        request(&mut s, "close");
        read_response(&mut s).0
    }
}

fn request(s: &mut TcpStream, connection: &str) {
    write!(
        s,
        "GET /robots.txt HTTP/1.1\r\nHost: test\r\nConnection: {connection}\r\n\r\n"
    )
    .unwrap();
}

/// Reads one response: status, head, body (by `Content-Length`).
fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            other => panic!(
                "the connection ended before a whole response ({other:?}): {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    let head = String::from_utf8(raw).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).unwrap();
    (status, head, String::from_utf8(body).unwrap())
}

/// Reads until the server closes the connection; what it sent before closing. Fails if the
/// server keeps the connection open past the read timeout.
fn read_until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open ({e})"),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn slow_and_idle_clients_are_dropped_after_the_header_timeout() {
    let server = Server::start(Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    });
    // Half a header line, then nothing.
    let mut stalled = server.connect();
    stalled
        .write_all(b"GET /robots.txt HTTP/1.1\r\nHo")
        .unwrap();
    // Headers trickled a byte at a time: bytes keep moving, but the headers never end.
    let mut trickle = server.connect();
    let mut writer = trickle.try_clone().unwrap();
    let trickler = std::thread::spawn(move || {
        let header = format!(
            "GET /robots.txt HTTP/1.1\r\nX-Long: {}",
            "a".repeat(100_000)
        );
        for b in header.bytes() {
            if writer.write_all(&[b]).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    });
    // A keep-alive connection answered once, then idle.
    let mut idle = server.connect();
    request(&mut idle, "keep-alive");
    assert_eq!(read_response(&mut idle).0, 200);
    // Meanwhile the server answers others.
    assert_eq!(server.get(), 200);
    for (what, s) in [
        ("stalled", &mut stalled),
        ("trickling", &mut trickle),
        ("idle", &mut idle),
    ] {
        let said = read_until_closed(s);
        assert!(
            said.is_empty() || said.starts_with("HTTP/1.1 408"),
            "{what}: {said:?}"
        );
    }
    assert!(trickler.join().unwrap(), "the trickling client was cut off");
    assert_eq!(server.get(), 200);
}

#[test]
fn past_the_cap_clients_are_told_to_retry_and_served_once_connections_close() {
    const CAP: usize = 4;
    let server = Server::start(Limits {
        max_connections: CAP,
        header_read_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(240),
        ..Limits::default()
    });
    // CAP keep-alive connections, each answered once, so each is surely being served.
    let mut held: Vec<TcpStream> = (0..CAP)
        .map(|_| {
            let mut s = server.connect();
            request(&mut s, "keep-alive");
            assert_eq!(read_response(&mut s).0, 200);
            s
        })
        .collect();
    // One more is answered 503 with Retry-After, and closed; again and again.
    for _ in 0..3 {
        let mut s = server.connect();
        request(&mut s, "keep-alive");
        let (status, head, body) = read_response(&mut s);
        assert_eq!(status, 503, "{head}");
        assert!(head.contains("Retry-After: 1\r\n"), "{head}");
        assert!(body.contains("Try again"), "{body}");
        assert_eq!(read_until_closed(&mut s), "");
    }
    // The connections already open are still served.
    for s in &mut held {
        request(s, "keep-alive");
        assert_eq!(read_response(s).0, 200);
    }
    drop(held);
    // Once they have closed, a new client is served again; until then it is told to
    // retry, never left unanswered.
    let mut answers = Vec::new();
    loop {
        let status = server.get();
        answers.push(status);
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{answers:?}");
        assert!(answers.len() < 1000, "never served again: {answers:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // And the cap is whole again: CAP connections at once are served (the probes above
    // may take a moment to close on the server's side: until then, a retry).
    let again: Vec<TcpStream> = (0..CAP)
        .map(|_| {
            for _ in 0..1000 {
                let mut s = server.connect();
                request(&mut s, "keep-alive");
                match read_response(&mut s).0 {
                    200 => return s,
                    503 => std::thread::sleep(Duration::from_millis(10)),
                    other => panic!("{other}"),
                }
            }
            panic!("the cap never came back whole");
        })
        .collect();
    assert_eq!(again.len(), CAP);
}
