//! The archived copies in the static export (issue 25): each copy replayed as a file
//! (`archive/12.html` for a page, `archive/13.png` for its image), the same bytes the
//! server's `/archive/{id}` sends, with links between copies as relative files and a CSP
//! `<meta>` in each page; and the WARC files themselves under `warc/`, so the export
//! carries the originals too.

use super::files::Writer;
use crate::html::static_file;
use crate::PublishError;
use dossier_model::html::write_escaped;
use dossier_store::{Capture, Store};
use dossier_upkeep::capture::replay::{replay_path, replay_with_head, Replayed, META_CSP};
use dossier_upkeep::warc::is_warc_name;

/// A copy's file in the export, relative to the `archive/` folder it is written in.
fn sibling(c: &Capture) -> String {
    let file = static_file(&replay_path(c));
    file.strip_prefix("archive/").unwrap_or(&file).to_string()
}

/// Writes every copy and every WARC file the store indexes; nothing when it keeps none.
pub(super) fn write_copies(store: &dyn Store, w: &Writer) -> Result<(), PublishError> {
    let Some(copies) = store.captures() else {
        return Ok(());
    };
    let all = copies.all_captures()?;
    let failed = |c: &Capture, e: &dyn std::fmt::Display| {
        PublishError::Config(format!(
            "the archived copy {} of {} cannot be exported: {e}",
            c.id, c.url
        ))
    };
    for c in &all {
        let replayed = replay_with_head(store, c.id, &sibling, META_CSP)
            .map_err(|e| failed(c, &e))?
            .ok_or_else(|| failed(c, &"it vanished during the export"))?;
        let file = static_file(&replay_path(c));
        let bytes = match replayed {
            Replayed::Copy { body, .. } => body,
            Replayed::Redirect { target, to, .. } => {
                let mut page = format!(
                    "<!doctype html><meta charset=utf-8>{META_CSP}<title>Archived redirect</title>\
                     <p>When it was captured, this address redirected to "
                );
                let _ = write_escaped(&mut page, &target);
                match to {
                    Some(to) => {
                        page.push_str(": <a href=\"");
                        let _ = write_escaped(&mut page, &to);
                        page.push_str("\">the archived copy of that page</a>.</p>");
                    }
                    None => page.push_str(", which the archive did not keep.</p>"),
                }
                page.into_bytes()
            }
        };
        w.write(&file, &bytes)?;
    }
    // The files the copies are in, from the store (a folder or a database table), each
    // once.
    let mut files: Vec<&str> = all.iter().map(|c| c.warc_file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    for name in files.into_iter().filter(|n| is_warc_name(n)) {
        let bytes = copies.read_warc_file(name)?;
        w.write(&format!("warc/{name}"), &bytes)?;
    }
    Ok(())
}
