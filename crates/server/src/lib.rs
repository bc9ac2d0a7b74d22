//! The HTTP server: one router, thin handlers, one error type at the edge.
//!
//! Every page answers HTML, or JSON when the request's `Accept` header prefers
//! `application/json`; both come from the same view struct (see `dossier-publish`).

mod api;
mod api_write;
mod archive;
mod auth;
mod browse;
mod cache;
mod eac;
mod editing;
mod error;
mod fast_path;
mod forwarded;
mod gaps;
mod health;
mod links;
mod metrics;
mod negotiate;
mod pictures;
mod publishing;
mod reconcile;
mod redirects;
mod routes;
pub mod security;
mod workers;

pub use cache::{ResponseCache, DEFAULT_CACHE_MB};
pub use error::HttpError;
pub use links::LinkSchedule;
pub use metrics::{CacheCounters, CacheStats};
pub use routes::{router, AppState};
pub use workers::{DEFAULT_QUEUE, MAX_QUEUE, MAX_WORKERS};

pub use connections::{Limits, DEFAULT_MAX_CONNECTIONS};

mod connections;

use std::net::SocketAddr;
use std::sync::Arc;

/// Serves the archive on `addr` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    store: Arc<dyn dossier_store::Store>,
    search: Arc<dossier_search::SearchIndex>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, store, search, shutdown).await
}

/// Serves on a listener that is already bound (tests bind port 0 and read it back).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Arc<dyn dossier_store::Store>,
    search: Arc<dossier_search::SearchIndex>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, AppState::new(store, search), shutdown).await
}

/// Serves with a state built by the caller (site address, OAI-PMH key), with the default
/// [`Limits`].
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_limits(listener, state, Limits::default(), shutdown).await
}

/// Serves with a state built by the caller and the given connection limits (how many
/// connections at once, how long a client may take to send its headers, how long a
/// connection may stand still, how long a request may take). A state without a configured
/// site gets the listener's address for its absolute links.
///
/// When `shutdown` resolves, no new connection is accepted; open connections finish the
/// request they are answering and close, and the function returns once all have closed.
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = state.with_listen_address(listener.local_addr()?);
    no_huge_pages();
    connections::serve(
        listener,
        router(state.clone()),
        Some(state),
        limits,
        shutdown,
    )
    .await
}

/// Turns transparent huge pages off for the serving process. The allocator hands idle
/// memory back to the system and takes it again on the next burst of work; with huge
/// pages it takes it back 2 MB at a time, each zeroed whole on its first touch, and that
/// was an eighth of the request worker's time on the first page built after a quiet
/// spell (`perf`, BENCHMARKS.md, issue 22). Pages of 4 KB are zeroed as they are touched.
/// Many servers ask for the same (databases, caches); a kept page is a few tens of KB.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(error = %e, "transparent huge pages stay as the system sets them");
    }
}
