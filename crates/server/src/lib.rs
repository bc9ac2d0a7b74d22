//! The HTTP server: one router, thin handlers, one error type at the edge.
//!
//! Every page answers HTML, or JSON when the request's `Accept` header prefers
//! `application/json`; both come from the same view struct (see `dossier-publish`).

mod api;
mod error;
mod negotiate;
mod publishing;
mod routes;

pub use error::HttpError;
pub use routes::{router, AppState};

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

/// Serves with a state built by the caller (site address, OAI-PMH key).
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
