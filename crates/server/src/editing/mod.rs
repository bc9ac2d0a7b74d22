//! Editing the archive on the web: the forms of every record type, drafts and their
//! review, each record's history and recent changes, the dossiers' outline editor, and
//! merging two bodies or two people.
//! The rules are `dossier-editing`'s; here is the HTTP around them. Every page answers
//! `Cache-Control: no-store`; anonymous readers are sent to log in, accounts without the
//! right get a 403 page.

mod drafts;
mod fields;
mod forms;
mod history;
mod merge;
mod outline;
mod preview;
pub(crate) mod web;

use crate::routes::AppState;
use axum::Router;

/// Every editing page's route.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(forms::router())
        .merge(drafts::router())
        .merge(history::router())
        .merge(outline::router())
        .merge(merge::router())
}
