//! The folder an export writes: a staging folder beside the target, moved into place
//! when every file is written, and the writer that refuses unsafe paths and counts what
//! it wrote.

use super::MARKER;
use crate::PublishError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Checks the target and makes the staging folder beside it.
pub(super) fn prepare(out: &Path) -> Result<PathBuf, PublishError> {
    if out.exists() {
        if !out.is_dir() {
            return Err(PublishError::Config(format!(
                "{} exists and is not a folder",
                out.display()
            )));
        }
        let empty = std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_none();
        if !empty && !out.join(MARKER).exists() {
            return Err(PublishError::Config(format!(
                "{} is not empty and was not written by `dossier export site`; choose a new or \
                 empty folder (nothing was written)",
                out.display()
            )));
        }
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let staging = parent.join(format!(".{name}.export-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    Ok(staging)
}

/// Moves the finished export into place, replacing an earlier export.
pub(super) fn replace(staging: &Path, out: &Path) -> Result<(), PublishError> {
    if out.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(out, &old).map_err(io_err(out))?;
        std::fs::rename(staging, out).map_err(io_err(out))?;
        std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
    } else {
        std::fs::rename(staging, out).map_err(io_err(out))?;
    }
    Ok(())
}

/// Writes the export's files under its root, from several threads.
pub(super) struct Writer<'a> {
    pub(super) root: &'a Path,
    pub(super) files: AtomicUsize,
    pub(super) bytes: AtomicUsize,
    pub(super) done: AtomicUsize,
    /// Pages to write, for `progress`.
    pub(super) total: usize,
    pub(super) progress: &'a (dyn Fn(usize, usize) + Sync),
    /// Folders made so far (each is made once).
    pub(super) dirs: Mutex<std::collections::HashSet<PathBuf>>,
}

impl Writer<'_> {
    /// Writes `rel` (a path from the export's root, `/`-separated, made from slugs).
    pub(super) fn write(&self, rel: &str, content: &[u8]) -> Result<(), PublishError> {
        // Slugs are checked when records are written, but a path is never trusted here.
        if rel
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
            || rel.contains('\\')
        {
            return Err(PublishError::Config(format!(
                "refusing to write the unsafe path {rel:?}"
            )));
        }
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            let known = self.dirs.lock().map(|d| d.contains(dir)).unwrap_or(false);
            if !known {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
                if let Ok(mut d) = self.dirs.lock() {
                    d.insert(dir.to_path_buf());
                }
            }
        }
        std::fs::write(&path, content).map_err(io_err(&path))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(content.len(), Ordering::Relaxed);
        Ok(())
    }

    /// Counts a page written.
    pub(super) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(done, self.total);
    }
}
