//! The connection's fast path: a connection's requests answered from the response cache
//! by the connection itself, without hyper, while they are plain GET or HEAD hits; the
//! first request that is not one, and everything after it, goes to hyper.
//!
//! Why: at 256 connections a large kept page (the dossier page, 59 KB) cost the server
//! about a third more CPU than nginx sending the exported file (BENCHMARKS.md, issue 22),
//! and `perf` put the largest part in the kernel copying each answer's bytes into the
//! socket (`_copy_from_iter`, 23 % of the server's samples). nginx sends a file with
//! `sendfile(2)`: the socket takes the file's pages by reference. hyper writes from memory
//! only, so a kept body of [`BODY_FILE_MIN`] bytes or more is also put in a sealed memory
//! file ([`BodyFile`], made on its first hit here, counted in the cache's bound) and sent
//! the same way: the head with `MSG_MORE`, then the file.
//!
//! What the fast path takes is deliberately narrow, so that hyper keeps every case where
//! HTTP/1.1 is subtle: HTTP/1.1 GET or HEAD in origin form, no request body or framing
//! headers (`Content-Length`, `Transfer-Encoding`), no `Expect` or `Upgrade`, no
//! `Connection` other than `keep-alive`, at most [`MAX_HEADERS`] headers in a head of at
//! most [`MAX_HEAD`] bytes, and an answer the cache holds
//! ([`crate::cache::early_hit`]: no credentials, the store's latest change). Anything else,
//! a malformed head included, is handed to hyper with the bytes already read, and hyper
//! answers it (a 400, a routed page…) as it would have. The answers are those of the
//! cache's early answer through hyper: the same status, headers (the security headers are
//! in every kept entry's), `content-length` and `date`. The connection's limits hold: the
//! header-read timeout while a head is awaited (also the keep-alive idle time), the idle
//! timeout on a write that does not move, and a stopping server closes a connection that
//! is between requests.

use crate::cache::{early_hit, Hit};
use crate::connections::{Activity, Limits};
use crate::routes::AppState;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Bodies shorter than this are written from memory with the head (one `writev`): a
/// memory file's extra system call costs more than the copy it saves.
pub(crate) const BODY_FILE_MIN: usize = 16 * 1024;

/// Memory files kept at most by default; a server lowers it to a quarter of its
/// connection cap ([`limit_body_files`]), so that they cannot use up the file descriptors
/// the cap leaves to the store and the index. Past it a body is written from memory.
const BODY_FILES_MAX: usize = 256;

/// The cap on memory files in force (see [`BODY_FILES_MAX`]).
static BODY_FILES_LIMIT: AtomicUsize = AtomicUsize::new(BODY_FILES_MAX);

/// Sets the cap on memory files from the server's connection cap, which is half the
/// process's open-file limit: a quarter of it (an eighth of the open files), at most
/// [`BODY_FILES_MAX`].
pub(crate) fn limit_body_files(max_connections: usize) {
    BODY_FILES_LIMIT.store((max_connections / 4).min(BODY_FILES_MAX), Ordering::Relaxed);
}

/// Answers a connection gives in a row before it lets the runtime's other tasks run: a
/// client pipelining many requests must not hold a runtime thread.
const ANSWERS_BEFORE_YIELD: u32 = 16;

/// Memory files alive now.
static BODY_FILES: AtomicUsize = AtomicUsize::new(0);

/// The longest request head the fast path reads before handing the connection to hyper.
const MAX_HEAD: usize = 16 * 1024;

/// The most headers the fast path parses; a request with more goes to hyper.
const MAX_HEADERS: usize = 64;

/// A kept body in a sealed memory file (`memfd_create`, sealed against writes and
/// resizing, so the pages a socket holds can never change), sent with `sendfile(2)`.
pub(crate) struct BodyFile {
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
    len: usize,
}

impl BodyFile {
    /// A memory file holding `body`; `None` for a short body, past [`BODY_FILES_MAX`], on
    /// a system without memory files, or if one cannot be made (the body is then written
    /// from memory).
    pub(crate) fn make(body: &[u8]) -> Option<Arc<BodyFile>> {
        if body.len() < BODY_FILE_MIN {
            return None;
        }
        if BODY_FILES.fetch_add(1, Ordering::Relaxed) >= BODY_FILES_LIMIT.load(Ordering::Relaxed) {
            BODY_FILES.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let made = Self::write(body);
        if made.is_none() {
            BODY_FILES.fetch_sub(1, Ordering::Relaxed);
        }
        made.map(Arc::new)
    }

    #[cfg(target_os = "linux")]
    fn write(body: &[u8]) -> Option<BodyFile> {
        use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};
        use std::io::Write;
        let fd = memfd_create(
            "dossier-page",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )
        .map_err(|e| tracing::debug!(error = %e, "no memory file for a kept page"))
        .ok()?;
        let mut file = std::fs::File::from(fd);
        file.write_all(body).ok()?;
        fcntl_add_seals(
            &file,
            SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
        )
        .ok()?;
        Some(BodyFile {
            fd: file.into(),
            len: body.len(),
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn write(_body: &[u8]) -> Option<BodyFile> {
        None
    }

    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for BodyFile {
    fn drop(&mut self) {
        BODY_FILES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How the fast path left a connection.
pub(crate) enum Handoff {
    /// Closed (by the client, a timeout, an error, or the server stopping).
    Closed,
    /// A request that is not a plain hit, or not whole yet: these bytes, read from the
    /// socket and not answered, go to hyper with the connection.
    Rest(Vec<u8>),
}

/// A request the fast path may answer.
struct Request {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

/// What a head in the buffer is. (One lives on the stack at a time, briefly: boxing the
/// request would add an allocation per request for nothing.)
#[allow(clippy::large_enum_variant)]
enum Parsed {
    /// A whole request the fast path takes, and the bytes its head used.
    Ours(Request, usize),
    /// Not whole yet.
    Partial,
    /// One for hyper.
    NotOurs,
}

/// Answers the connection's requests while they are kept GET or HEAD answers (see the
/// module's documentation).
pub(crate) async fn serve_hits(
    socket: &TcpStream,
    state: &AppState,
    activity: &Activity,
    limits: &Limits,
    stopped: &mut watch::Receiver<bool>,
) -> Handoff {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut answered: u32 = 0;
    loop {
        let waiting_since = Instant::now();
        let (request, used) = loop {
            if !buf.is_empty() {
                match parse(&buf) {
                    Parsed::Ours(request, used) => break (request, used),
                    Parsed::Partial if buf.len() < MAX_HEAD => {}
                    _ => return Handoff::Rest(buf),
                }
            }
            let deadline = tokio::time::Instant::from(waiting_since + limits.header_read_timeout);
            tokio::select! {
                ready = tokio::time::timeout_at(deadline, socket.readable()) => {
                    if !matches!(ready, Ok(Ok(()))) {
                        return Handoff::Closed;
                    }
                }
                _ = stopped.wait_for(|s| *s), if buf.is_empty() => return Handoff::Closed,
            }
            match socket.try_read_buf(&mut buf) {
                Ok(0) => return Handoff::Closed,
                Ok(_) => activity.touch(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return Handoff::Closed,
            }
        };
        let Some(hit) = early_hit(state, &request.method, &request.uri, &request.headers) else {
            return Handoff::Rest(buf);
        };
        let head_only = request.method == Method::HEAD;
        // A stopping server answers the request in hand and closes, saying so, however
        // many more the client has sent: pipelined bytes must not keep it open.
        let closing = *stopped.borrow();
        if write_hit(
            socket,
            &hit,
            head_only,
            closing,
            activity,
            limits.idle_timeout,
        )
        .await
        .is_err()
            || closing
        {
            return Handoff::Closed;
        }
        buf.drain(..used);
        answered = answered.wrapping_add(1);
        if answered.is_multiple_of(ANSWERS_BEFORE_YIELD) {
            tokio::task::yield_now().await;
        }
    }
}

/// Parses the head at the start of `buf`.
fn parse(buf: &[u8]) -> Parsed {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Request::new(&mut slots);
    let used = match head.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::NotOurs,
    };
    let method = match head.method {
        Some("GET") => Method::GET,
        Some("HEAD") => Method::HEAD,
        _ => return Parsed::NotOurs,
    };
    let (Some(1), Some(path)) = (head.version, head.path) else {
        return Parsed::NotOurs;
    };
    if !path.starts_with('/') {
        return Parsed::NotOurs;
    }
    let Ok(uri) = path.parse::<Uri>() else {
        return Parsed::NotOurs;
    };
    let mut headers = HeaderMap::with_capacity(head.headers.len());
    for h in head.headers.iter() {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) else {
            return Parsed::NotOurs;
        };
        let framing = [
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::EXPECT,
            header::UPGRADE,
        ];
        if framing.contains(&name)
            || (name == header::CONNECTION && !value.as_bytes().eq_ignore_ascii_case(b"keep-alive"))
        {
            return Parsed::NotOurs;
        }
        headers.append(name, value);
    }
    Parsed::Ours(
        Request {
            method,
            uri,
            headers,
        },
        used,
    )
}

/// The answer's head as hyper writes it: the status line, the headers, `content-length`
/// (not on a 304), `connection: close` when the connection closes after it, and `date`.
fn head_of(hit: &Hit, closing: bool) -> Vec<u8> {
    let mut head = Vec::with_capacity(1024);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(hit.status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(
        hit.status
            .canonical_reason()
            .unwrap_or("Unknown")
            .as_bytes(),
    );
    head.extend_from_slice(b"\r\n");
    for (name, value) in &hit.headers {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if hit.status != StatusCode::NOT_MODIFIED {
        let length = hit.file.as_ref().map_or(hit.body.len(), |f| f.len());
        head.extend_from_slice(b"content-length: ");
        head.extend_from_slice(length.to_string().as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if closing {
        head.extend_from_slice(b"connection: close\r\n");
    }
    head.extend_from_slice(b"date: ");
    with_date(|date| head.extend_from_slice(date));
    head.extend_from_slice(b"\r\n\r\n");
    head
}

/// The `Date` value of this second, made once a second per thread.
fn with_date(f: impl FnOnce(&[u8])) {
    thread_local! {
        static DATE: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        if d.0 != secs {
            *d = (secs, httpdate::fmt_http_date(now));
        }
        f(d.1.as_bytes());
    });
}

/// Writes one answer: the head and body from memory in one `writev`, or the head (held
/// back with `MSG_MORE`) and then the body's memory file with `sendfile(2)`.
async fn write_hit(
    socket: &TcpStream,
    hit: &Hit,
    head_only: bool,
    closing: bool,
    activity: &Activity,
    idle: Duration,
) -> io::Result<()> {
    let head = head_of(hit, closing);
    let with_body = !head_only && hit.status == StatusCode::OK;
    #[cfg(target_os = "linux")]
    if let (true, Some(file)) = (with_body, &hit.file) {
        let mut sent = 0;
        while sent < head.len() {
            sent += writing(socket, activity, idle, || {
                rustix::net::send(socket, &head[sent..], rustix::net::SendFlags::MORE)
                    .map_err(io::Error::from)
            })
            .await?;
        }
        let mut offset = 0u64;
        while (offset as usize) < file.len {
            let left = file.len - offset as usize;
            writing(socket, activity, idle, || {
                rustix::fs::sendfile(socket, &file.fd, Some(&mut offset), left)
                    .map_err(io::Error::from)
            })
            .await?;
        }
        return Ok(());
    }
    let body: &[u8] = if with_body { &hit.body } else { &[] };
    let total = head.len() + body.len();
    let mut sent = 0;
    while sent < total {
        sent += writing(socket, activity, idle, || {
            let (h, b) = if sent < head.len() {
                (&head[sent..], body)
            } else {
                (&[][..], &body[sent - head.len()..])
            };
            socket.try_write_vectored(&[IoSlice::new(h), IoSlice::new(b)])
        })
        .await?;
    }
    Ok(())
}

/// Runs one non-blocking write on the socket when it is writable, waiting at most `idle`
/// for it to become so; a write of nothing is an error (the peer is gone).
async fn writing(
    socket: &TcpStream,
    activity: &Activity,
    idle: Duration,
    mut write: impl FnMut() -> io::Result<usize>,
) -> io::Result<usize> {
    loop {
        match socket.try_io(Interest::WRITABLE, &mut write) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                activity.touch();
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                tokio::time::timeout(idle, socket.writable())
                    .await
                    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A socket with bytes already read from it put back in front: what the fast path read
/// of a request it handed to hyper.
pub(crate) struct Prefixed {
    prefix: Bytes,
    inner: TcpStream,
}

impl Prefixed {
    pub(crate) fn new(prefix: Vec<u8>, inner: TcpStream) -> Self {
        Prefixed {
            prefix: Bytes::from(prefix),
            inner,
        }
    }
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let taken = self.prefix.split_to(n);
            buf.put_slice(&taken);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(raw: &str) -> Option<(Request, usize)> {
        match parse(raw.as_bytes()) {
            Parsed::Ours(r, used) => Some((r, used)),
            _ => None,
        }
    }

    #[test]
    fn takes_only_plain_gets_and_heads() {
        let (r, used) =
            ours("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nGET /next").unwrap();
        assert_eq!(
            (r.method, r.uri.path(), r.uri.query()),
            (Method::GET, "/a", Some("b=1"))
        );
        assert_eq!(r.headers.get(header::ACCEPT).unwrap(), "*/*");
        assert_eq!(
            used,
            "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n".len()
        );
        assert!(ours("HEAD / HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n").is_some());
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Parsed::Partial
        ));
        for refused in [
            "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            "GET / HTTP/1.0\r\n\r\n",
            "GET http://x/ HTTP/1.1\r\n\r\n",
            "GET * HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
            "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
            "GET /\x01 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        ] {
            assert!(
                matches!(parse(refused.as_bytes()), Parsed::NotOurs),
                "{refused:?}"
            );
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert!(matches!(
            parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()),
            Parsed::NotOurs
        ));
    }

    #[test]
    fn the_head_is_what_hyper_writes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let hit = Hit {
            status: StatusCode::OK,
            headers,
            body: Bytes::from_static(b"hello"),
            file: None,
        };
        let head = String::from_utf8(head_of(&hit, false)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n"));
        assert!(!head.contains("connection:"), "{head}");
        let closing = String::from_utf8(head_of(&hit, true)).unwrap();
        assert!(closing.contains("\r\nconnection: close\r\n"), "{closing}");
        assert!(head.contains("\r\ncontent-length: 5\r\n"), "{head}");
        assert!(
            head.contains("\r\ndate: ") && head.ends_with(" GMT\r\n\r\n"),
            "{head}"
        );
        let not_modified = Hit {
            status: StatusCode::NOT_MODIFIED,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            file: None,
        };
        let head = String::from_utf8(head_of(&not_modified, false)).unwrap();
        assert!(head.starts_with("HTTP/1.1 304 Not Modified\r\n"));
        assert!(!head.contains("content-length"), "{head}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_body_file_holds_the_body_sealed() {
        use std::io::{Read, Seek, Write};
        assert!(BodyFile::make(&[7u8; BODY_FILE_MIN - 1]).is_none());
        let body: Vec<u8> = (0..BODY_FILE_MIN * 2).map(|i| (i % 251) as u8).collect();
        let file = BodyFile::make(&body).unwrap();
        assert_eq!(file.len(), body.len());
        let mut f = std::fs::File::from(file.fd.try_clone().unwrap());
        let mut back = Vec::new();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut back).unwrap();
        assert_eq!(back, body);
        // Sealed: the bytes a socket may still hold can never change.
        assert!(f.write_all(b"x").is_err());
        assert!(f.set_len(1).is_err());
    }
}
