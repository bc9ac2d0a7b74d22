//! Editing on the web (issue 24): forms, drafts and review, history and recent changes.
//!
//! Each part keeps its routes in its own module; [`router`] merges them.

mod history;

use crate::routes::AppState;
use axum::Router;

/// The routes of editing, merged into the site's router.
pub(crate) fn router() -> Router<AppState> {
    Router::new().merge(history::router())
}
