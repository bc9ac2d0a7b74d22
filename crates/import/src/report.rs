//! What a run did: counts for the user's summary, and where the time went.

use dossier_model::RecordType;
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
    /// How the links a mapping asked to reconcile were matched (issue 28).
    pub reconciled: Reconciled,
}

/// How the links a mapping asked to reconcile with the archive's records were matched:
/// each link of each record counted once, by its outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconciled {
    /// Matched one record of the archive by an external identifier.
    pub by_identifier: usize,
    /// Matched one record of the archive by its name, acronym or alias.
    pub by_name: usize,
    /// Matched (by identifier or name) a record this import created for an earlier link.
    pub again: usize,
    /// Taken from the mapping's own table (`[links.map]`, `map_file`), not matched.
    pub mapped: usize,
    /// Matched nothing; the mapping's slug names a record the archive already holds.
    pub kept: usize,
    /// Matched nothing; the record the mapping made is created.
    pub created: usize,
    /// Matched nothing, and the mapping says `unmatched = "report"`: the record is refused.
    pub refused: usize,
    /// Of those that matched nothing (kept, created or refused): how many matched several
    /// records, which is never guessed.
    pub ambiguous: usize,
    /// For `--dry-run`: each source name once, with what it matched and how.
    pub matches: Vec<MatchLine>,
    /// The names that matched several records: type, name, the slugs.
    pub ambiguities: Vec<(RecordType, String, Vec<String>)>,
    /// Likely duplicates of a record this import created (same name or alias, similar
    /// names, the same identifier), one line each (at most [`MAX_DUPLICATES`]).
    pub duplicates: Vec<String>,
}

/// The most likely duplicates a report lists; `dossier check` lists them all.
pub const MAX_DUPLICATES: usize = 50;

/// How one link was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum How {
    Identifier,
    Name,
    Again,
    Mapped,
    Kept,
    Created,
    Ambiguous,
    Refused,
}

impl How {
    pub fn describe(self) -> &'static str {
        match self {
            How::Identifier => "by identifier",
            How::Name => "by name",
            How::Again => "a record this import creates",
            How::Mapped => "from the mapping's table",
            How::Kept => "matched nothing; the mapping's slug, which the archive holds",
            How::Created => "matched nothing; created",
            How::Ambiguous => "matched several records, not guessed; the mapping's slug",
            How::Refused => "matched nothing; the record is refused",
        }
    }
}

/// One source name of a `--dry-run`'s list: `body "Russia" → russian-federation (by name,
/// 2 links)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchLine {
    pub record: RecordType,
    /// The name the source gives (or its identifier when it gives no name).
    pub source: String,
    pub slug: String,
    pub how: How,
    /// How many links it stands for.
    pub links: usize,
}

impl Reconciled {
    /// Whether any link was reconciled.
    pub fn is_empty(&self) -> bool {
        self.by_identifier
            + self.by_name
            + self.again
            + self.mapped
            + self.kept
            + self.created
            + self.refused
            == 0
    }

    /// "links reconciled: 1 by identifier, 2 by name, 31 to records this import created;
    /// 4 matched nothing (3 created, 1 the archive's record of the mapping's slug)…"
    pub fn summary(&self, dry_run: bool) -> String {
        let mut found = vec![
            format!("{} by identifier", self.by_identifier),
            format!("{} by name or alias", self.by_name),
        ];
        if self.again > 0 {
            found.push(format!(
                "{} to a record this import {}",
                self.again,
                if dry_run { "would create" } else { "created" }
            ));
        }
        if self.mapped > 0 {
            found.push(format!("{} from the mapping's table", self.mapped));
        }
        let unmatched = self.kept + self.created + self.refused;
        let mut s = format!(
            "Links reconciled with the archive: {}; {unmatched} matched nothing",
            found.join(", ")
        );
        if unmatched > 0 {
            let mut parts = Vec::new();
            if self.created > 0 {
                parts.push(format!(
                    "{} {}",
                    self.created,
                    if dry_run { "to create" } else { "created" }
                ));
            }
            if self.kept > 0 {
                parts.push(format!(
                    "{} linked as the mapping names {}",
                    self.kept,
                    if self.kept == 1 { "it" } else { "them" }
                ));
            }
            if self.refused > 0 {
                parts.push(format!("{} refused", self.refused));
            }
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        if self.ambiguous > 0 {
            s.push_str(&format!(
                "; {} of them matched several records (not guessed)",
                self.ambiguous
            ));
        }
        s.push('.');
        s
    }

    /// What the user is told after the summary: the names that matched several records,
    /// the likely duplicates the import created, and under `--dry-run` every source name
    /// with what it matched.
    pub fn lines(&self, dry_run: bool) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out = vec![self.summary(dry_run)];
        for (t, name, slugs) in &self.ambiguities {
            let list: Vec<String> = slugs.iter().map(|s| format!("`{s}`")).collect();
            out.push(format!(
                "{} {name:?} matches {} records: {}; not guessed (merge them, or map the name in the mapping's [links.map])",
                t.as_str(),
                slugs.len(),
                list.join(", ")
            ));
        }
        if !self.duplicates.is_empty() {
            out.push(format!(
                "Likely duplicates this import {}:",
                if dry_run { "would create" } else { "created" }
            ));
            out.extend(self.duplicates.iter().map(|d| format!("  {d}")));
            if self.duplicates.len() >= MAX_DUPLICATES {
                out.push(
                    "  (and perhaps more: `dossier check` lists every likely duplicate)".into(),
                );
            }
        }
        if dry_run && !self.matches.is_empty() {
            out.push("Matches (source name → slug):".into());
            for m in &self.matches {
                out.push(format!(
                    "  {} {:?} → {} ({}{})",
                    m.record.as_str(),
                    m.source,
                    m.slug,
                    m.how.describe(),
                    if m.links == 1 {
                        String::new()
                    } else {
                        format!(", {} links", m.links)
                    }
                ));
            }
        }
        out
    }
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
    /// Finding the likely duplicates of the records the import created (issue 28).
    pub duplicates: Duration,
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
            duplicates_ms = p.duplicates.as_millis() as u64,
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
