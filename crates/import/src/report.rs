//! What a run did: counts for the user's summary, and where the time went.

use dossier_store::EditConflict;
use std::collections::HashMap;
use std::time::Duration;

/// Counts of one kind of outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// What a run did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The records the files hold, by type.
    pub records: Counts,
    pub record_type: String,
    /// Linked records created, by type.
    pub created: HashMap<&'static str, usize>,
    /// Bodies that got a new alias (each counted once, however many it got, whether or
    /// not this run created them).
    pub updated: usize,
    pub bad: usize,
    /// Fields an editor changed since the last import, which this run left as the
    /// editor made them (none with `--overwrite-edits`), in the order written.
    pub conflicts: Vec<EditConflict>,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Where the time went (logged with `DOSSIER_LOG=info`, for profiling).
    pub phases: Phases,
}

/// Wall time per phase of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// The first pass: reading every file through its guards (beside pass 2, unless
    /// `--strict`).
    pub check: Duration,
    /// Pass 2 waiting for the first pass before its first write.
    pub check_wait: Duration,
    /// The batcher waiting for the reading thread of the second pass (reading and making
    /// records beyond what overlaps with writing).
    pub read: Duration,
    /// Checking links and comparing with the store (with the waits while the store's
    /// thread is a batch behind).
    pub compare: Duration,
    /// `Store::write` of the batches.
    pub store: Duration,
    /// Bringing the search index up to date after each batch (on its own thread, while
    /// the next batch is made and written), and at the end.
    pub index: Duration,
    pub batches: usize,
}

impl Report {
    /// "events: 0 new, 0 changed, 3264 unchanged; created 203 bodies, 1540 people".
    pub fn describe(&self, dry_run: bool) -> String {
        let mut s = format!(
            "{}: {} new, {} changed, {} unchanged",
            plural(&self.record_type),
            self.records.new,
            self.records.changed,
            self.records.unchanged
        );
        let mut created: Vec<(&&str, &usize)> = self.created.iter().collect();
        created.sort();
        if !created.is_empty() {
            let list: Vec<String> = created
                .iter()
                .map(|(t, n)| format!("{n} {}", if **n == 1 { t.to_string() } else { plural(t) }))
                .collect();
            s.push_str(&format!(
                "; linked records {}: {}",
                if dry_run { "to create" } else { "created" },
                list.join(", ")
            ));
        }
        if self.updated > 0 {
            s.push_str(&format!(
                "; {} {} given another name as an alias",
                self.updated,
                if self.updated == 1 { "body" } else { "bodies" }
            ));
        }
        if !self.conflicts.is_empty() {
            let n = self.conflicts.len();
            s.push_str(&format!(
                "; {n} {} kept as an editor changed {}",
                if n == 1 { "field" } else { "fields" },
                if n == 1 { "it" } else { "them" }
            ));
        }
        s
    }

    /// One line per field kept as an editor changed it: "document `founding-act-1997`,
    /// field `date`: kept the editor's value (use --overwrite-edits to replace it)".
    pub fn conflict_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.conflicts.iter().map(conflict_line)
    }

    /// Logs where the time went (`DOSSIER_LOG=info`).
    pub(crate) fn log_phases(&self) {
        let p = &self.phases;
        tracing::info!(
            total_ms = self.elapsed.as_millis() as u64,
            check_ms = p.check.as_millis() as u64,
            check_wait_ms = p.check_wait.as_millis() as u64,
            read_ms = p.read.as_millis() as u64,
            compare_ms = p.compare.as_millis() as u64,
            store_ms = p.store.as_millis() as u64,
            index_ms = p.index.as_millis() as u64,
            batches = p.batches,
            "import phases"
        );
    }
}

/// How a kept field is reported, by every command that imports.
pub fn conflict_line(c: &EditConflict) -> String {
    format!(
        "{} `{}`, field `{}`: kept the editor's value (use --overwrite-edits to replace it)",
        c.record.as_str(),
        c.slug,
        c.field
    )
}

fn plural(t: &str) -> String {
    match t {
        "body" => "bodies".into(),
        "person" => "people".into(),
        other => format!("{other}s"),
    }
}
