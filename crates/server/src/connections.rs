//! Connections: how many at once, how long each may take, and what a client gets when the
//! server is full.
//!
//! `axum::serve` has no such limits: one client holding many idle or slow connections
//! could use up the process's file descriptors, and then the server answered no one
//! (issue 20). Here every connection holds a permit of a semaphore sized to the cap; a
//! connection past the cap is answered `503 Service Unavailable` with `Retry-After` and
//! closed, so the accept loop never stops and the server answers again as soon as
//! connections close. Each connection is served by hyper's HTTP/1 server with a
//! header-read timeout (a client that trickles its headers, or keeps an idle keep-alive
//! connection, is dropped), a watchdog closes a connection on which nothing has moved for
//! the idle timeout (a client that stops reading its answer), and a request that takes
//! too long is answered 503.

use crate::routes::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// The most connections served at once when nothing else is said (`dossier serve`
/// derives its default from the process's file-descriptor limit, at most this).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// The highest cap accepted (the semaphore counts in `u32` when the server waits for its
/// connections to close).
const MAX_CONNECTIONS_CEILING: usize = 1 << 20;

/// Connections past the cap being answered 503 at once (each waits up to
/// [`REFUSAL_TIME`] for the client); past this a refusal is written without waiting and
/// the connection closed at once, so that refusals too use a bounded number of file
/// descriptors.
const REFUSALS_AT_ONCE: usize = 32;

/// How long a refusal may take (writing the 503, reading what the client sent).
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// What a refusal reads from the client at most before closing (see [`answer_busy`]).
const REFUSAL_DRAIN_BYTES: usize = 64 * 1024;

/// How long a stopping server waits for its open connections to finish; a client that
/// keeps one busy longer is not waited for (the process exits and the kernel closes it).
const DRAIN_TIME: Duration = Duration::from_secs(20);

/// The limits on the server's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; one more is answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, counted from when the
    /// server starts waiting for them: the first request's from the connection's start,
    /// later ones' from the end of the previous answer. So it is also how long a
    /// keep-alive connection may stay idle between requests. A client that trickles its
    /// headers (slowloris) is dropped when it runs out.
    pub header_read_timeout: Duration,
    /// A connection on which nothing is read or written for this long is closed: a client
    /// that stops reading its answer. Keep it above `request_timeout`, which is how long
    /// a request may be worked on without any bytes moving.
    pub idle_timeout: Duration,
    /// A request not answered within this is answered `503 Service Unavailable` (the
    /// server was slow, not the client).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// The default connection cap for a process that may have `nofile` files open (its
    /// soft `RLIMIT_NOFILE`; `None`: unlimited): half of them, at most
    /// [`DEFAULT_MAX_CONNECTIONS`] and at least 1. The other half is left for the store,
    /// the search index, refusals and the logs.
    pub fn max_connections_for(nofile: Option<u64>) -> usize {
        match nofile {
            None => DEFAULT_MAX_CONNECTIONS,
            Some(n) => usize::try_from(n / 2)
                .unwrap_or(usize::MAX)
                .clamp(1, DEFAULT_MAX_CONNECTIONS),
        }
    }
}

/// What every answer gets as it leaves: the security headers, and on a 503 when to try
/// again (the timeout layer's answer has no headers of its own).
fn finish(response: &mut Response) {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("1"));
    }
    crate::security::add_security_headers(response.headers_mut());
}

/// A connection's service: a kept answer from the response cache when there is one
/// ([`crate::cache::answer_early`]), else the router; [`finish`] on whatever it answers.
#[derive(Clone)]
struct Site {
    app: TowerToHyperService<Router>,
    /// The state whose cache answers before the router (`None`: every request is routed).
    state: Option<AppState>,
    /// The connection's TCP peer, put on each routed request as `ConnectInfo` (the client
    /// address of login limits and the audit log), or behind a trusted proxy the client
    /// the proxy names.
    peer: Option<std::net::SocketAddr>,
}

/// What [`Site`] answers: at once, or when the router has.
enum Answer {
    Ready(std::future::Ready<Result<Response, Infallible>>),
    Routed(Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>),
}

impl Future for Answer {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answer::Ready(ready) => Pin::new(ready).poll(cx),
            Answer::Routed(routed) => routed.as_mut().poll(cx),
        }
    }
}

impl hyper::service::Service<hyper::Request<Incoming>> for Site {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: hyper::Request<Incoming>) -> Answer {
        if let Some(state) = &self.state {
            let (method, uri, headers) = (request.method(), request.uri(), request.headers());
            if let Some(mut response) = crate::cache::answer_early(state, method, uri, headers) {
                finish(&mut response);
                return Answer::Ready(std::future::ready(Ok(response)));
            }
        }
        let mut request = request;
        if let Some(peer) = self.peer {
            // Behind a trusted proxy, the client it names (`X-Forwarded-For`).
            let client = match &self.state {
                Some(state) if !state.trusted_proxies.is_empty() => {
                    state.trusted_proxies.client(peer, request.headers())
                }
                _ => peer,
            };
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(client));
        }
        let routed = self.app.call(request);
        Answer::Routed(Box::pin(async move {
            let mut response = match routed.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            finish(&mut response);
            Ok(response)
        }))
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then waits for
/// the open connections to finish their requests and close.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    state: Option<AppState>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits.max_connections.clamp(1, MAX_CONNECTIONS_CEILING);
    crate::fast_path::limit_body_files(max);
    let site = Site {
        app: TowerToHyperService::new(app.layer(
            tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                limits.request_timeout,
            ),
        )),
        state,
        peer: None,
    };
    let open = Arc::new(Semaphore::new(max));
    let refusing = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let socket = match accepted {
            Ok((socket, _)) => socket,
            Err(e) => {
                accept_failed(e).await;
                continue;
            }
        };
        match open.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(connection(
                    socket,
                    site.clone(),
                    limits,
                    permit,
                    stopped.clone(),
                ));
            }
            Err(_) => refuse(socket, &refusing, max),
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it closes: all of them back means all closed.
    // A client that keeps its connection busy past the drain time is not waited for.
    if tokio::time::timeout(DRAIN_TIME, open.acquire_many(max as u32))
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after the stop; closing them",
            DRAIN_TIME.as_secs()
        );
    }
    Ok(())
}

/// An error from `accept`: one about a single connection (reset before it was accepted)
/// is passed over; one about the process (out of file descriptors or memory) is logged
/// and the loop waits a moment, so that it does not spin while connections close.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection (out of file descriptors?); retrying");
    tokio::time::sleep(Duration::from_millis(250)).await;
}

/// Serves one connection until it closes, the server stops, or it stands still too long.
async fn connection(
    socket: TcpStream,
    site: Site,
    limits: Limits,
    _permit: OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = socket.set_nodelay(true);
    let site = Site {
        peer: socket.peer_addr().ok(),
        ..site
    };
    let activity = Activity::new();
    // Kept answers first, written by the connection itself while the requests are plain
    // hits; hyper takes the connection at the first request that is not one.
    let read = match &site.state {
        Some(state) => {
            match crate::fast_path::serve_hits(&socket, state, &activity, &limits, &mut stopped)
                .await
            {
                crate::fast_path::Handoff::Closed => return,
                crate::fast_path::Handoff::Rest(read) => read,
            }
        }
        None => Vec::new(),
    };
    let io = TokioIo::new(Watched {
        inner: crate::fast_path::Prefixed::new(read, socket),
        activity: activity.clone(),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut conn = pin!(http.serve_connection(io, site));
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "a connection ended with an error");
                }
                return;
            }
            _ = stopped.wait_for(|s| *s), if !stopping => {
                // Finish the request in hand (if any), then close.
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            () = activity.stalled(limits.idle_timeout) => {
                tracing::debug!(idle = ?limits.idle_timeout, "closing a connection on which nothing moved");
                return;
            }
        }
    }
}

/// Answers a connection past the cap, or closes it where too many are being answered.
fn refuse(socket: TcpStream, refusing: &Arc<Semaphore>, max: usize) {
    warn_full(max);
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        // No time to wait for the client: the answer if the socket takes it at once, what
        // the client has sent so far read (so that closing is not a reset), then close. A
        // client whose request arrives later may see a reset instead.
        let _ = socket.try_write(busy_response().as_bytes());
        let (mut sink, mut read) = ([0u8; 4096], 0);
        while read < REFUSAL_DRAIN_BYTES {
            match socket.try_read(&mut sink) {
                Ok(n) if n > 0 => read += n,
                _ => break,
            }
        }
        drop(socket);
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(REFUSAL_TIME, answer_busy(socket)).await;
    });
}

/// The answer to a connection past the cap (written by hand: hyper never sees these
/// connections), with the security headers every answer carries.
fn busy_response() -> String {
    let body = "The server has as many connections open as it allows. Try again in a moment.\n";
    let mut security = HeaderMap::new();
    crate::security::add_security_headers(&mut security);
    let security: String = security
        .iter()
        .filter_map(|(name, value)| Some(format!("{name}: {}\r\n", value.to_str().ok()?)))
        .collect();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; \
         charset=utf-8\r\nContent-Length: {}\r\n{security}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Writes the 503, then reads (and drops) what the client sends until it closes: closing
/// a socket with unread data resets the connection, and the client could lose the answer.
async fn answer_busy(mut socket: TcpStream) -> std::io::Result<()> {
    socket.write_all(busy_response().as_bytes()).await?;
    socket.shutdown().await?;
    let mut sink = [0u8; 4096];
    let mut read = 0;
    while read < REFUSAL_DRAIN_BYTES {
        let n = socket.read(&mut sink).await?;
        if n == 0 {
            break;
        }
        read += n;
    }
    Ok(())
}

/// Logs that the cap was reached, at most once a minute.
fn warn_full(max: usize) {
    static LAST: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let now = START.get_or_init(Instant::now).elapsed().as_secs() + 60;
    let last = LAST.load(Ordering::Relaxed);
    if now >= last + 60
        && LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::warn!(
            max_connections = max,
            "connection cap reached: new connections are answered 503 until some close \
             (raise it with --max-connections)"
        );
    }
}

/// When a connection last read or wrote a byte.
#[derive(Clone)]
pub(crate) struct Activity {
    start: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `idle`.
    async fn stalled(&self, idle: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let still = self.start.elapsed().saturating_sub(last);
            if still >= idle {
                return;
            }
            tokio::time::sleep(idle - still).await;
        }
    }
}

/// A socket that records in an [`Activity`] when bytes move.
struct Watched {
    inner: crate::fast_path::Prefixed,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_follows_the_file_limit() {
        assert_eq!(Limits::max_connections_for(None), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(Limits::max_connections_for(Some(1_048_576)), 1024);
        assert_eq!(Limits::max_connections_for(Some(256)), 128);
        assert_eq!(Limits::max_connections_for(Some(1)), 1);
    }

    /// A handler that never finishes is cut off by the request timeout with a 503, and
    /// the connection stays usable.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_takes_too_long_is_answered_503() {
        let app = Router::new()
            .route(
                "/never",
                axum::routing::get(std::future::pending::<&'static str>),
            )
            .route("/at-once", axum::routing::get(|| async { "done" }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            request_timeout: Duration::from_millis(50),
            ..Limits::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, app, None, limits, async {
            let _ = stopped.await;
        }));
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut statuses = Vec::new();
        for path in ["/never", "/at-once"] {
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(s.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            let mut body = vec![0; length];
            s.read_exact(&mut body).await.unwrap();
            statuses.push(head.split(' ').nth(1).unwrap().to_string());
            // Every answer, the timeout's included, leaves with the security headers.
            assert!(
                head.contains("\r\nx-content-type-options: nosniff\r\n"),
                "{head}"
            );
            assert!(head.contains("\r\ncontent-security-policy: "), "{head}");
            if path == "/never" {
                assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
            }
        }
        assert_eq!(statuses, ["503", "200"]);
        drop(s);
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    #[test]
    fn the_busy_answer_is_well_formed() {
        let r = busy_response();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("\r\nRetry-After: 1\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(head.contains("\r\nx-content-type-options: nosniff\r\n"));
        assert!(head.contains("\r\ncontent-security-policy: default-src 'none'"));
    }
}
