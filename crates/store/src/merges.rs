//! Merges (issue 28): two bodies or two people found to be one, joined as revisions that
//! can be undone.
//!
//! A merge keeps the survivor (`into`), folds the merged-away record (`from`) into it
//! (its names, identifiers, sources, gaps and links: `dossier_model::merge::absorb`),
//! points every record and dossier section that linked to `from` at the survivor, and
//! deletes `from`, leaving its tombstone and a redirect, so that its old addresses keep
//! answering (301 to the survivor). Everything happens in one transaction through the
//! store's one write path: each touched record gets a published revision (its version
//! counts on, its history names the merge) and a change-log entry, so the search index,
//! the response cache, OAI-PMH and the feeds follow as they follow any edit.
//!
//! Undo publishes every touched record as it was before the merge, as new revisions,
//! and removes the redirects the merge made; it is refused when any of those records
//! changed since the merge ([`MergeError::Changed`] names it), so an undo never loses
//! a later edit. Times are whole seconds since 1970-01-01T00:00:00Z (UTC).

use crate::{Author, StoreError};
use dossier_model::{Record, RecordType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// One merge, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub id: i64,
    /// The type of both records (body or person).
    #[serde(rename = "type")]
    pub record: RecordType,
    /// The slug of the record merged away (now a redirect).
    pub from: String,
    /// The slug of the survivor.
    pub into: String,
    pub author: Author,
    pub at: i64,
    pub comment: String,
    /// The records whose links to `from` were rewritten to `into` (dossiers whose sections
    /// cited it included), in type and slug order; neither `from` nor `into`.
    pub relinked: Vec<(RecordType, String)>,
    /// Who undid it and when, if it was undone.
    pub undone: Option<(Author, i64)>,
}

/// Why a merge (or its undo) was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// One of the two records does not exist.
    #[error("no {} `{slug}`", record.as_str())]
    NotFound { record: RecordType, slug: String },
    /// No merge has this id.
    #[error("no merge #{0}")]
    UnknownMerge(i64),
    /// A record cannot be merged into itself.
    #[error("a record cannot be merged into itself")]
    SameRecord,
    /// Only bodies and people are merged.
    #[error("only bodies and people can be merged, not a {}", .0.as_str())]
    Unsupported(RecordType),
    /// The merge was undone already.
    #[error("the merge was undone already")]
    AlreadyUndone,
    /// Undo refused: a record the merge touched changed since.
    #[error("{} `{slug}` changed since the merge; undo it by hand (its history shows the merge's revision)", record.as_str())]
    Changed { record: RecordType, slug: String },
    /// The records the merge (or its undo) would write break the model's rules (the
    /// write path's messages, one per rule).
    #[error("refused: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Merging records and undoing merges: what the editors' merge page and `dossier merge`
/// need beyond [`Store`](crate::Store). Each method is one transaction.
pub trait Merges: Send + Sync {
    /// Merges `from` into `into` (both of type `record`, body or person): see the module
    /// documentation. The comment is the merge's and goes into every revision it makes.
    fn merge(
        &self,
        record: RecordType,
        from: &str,
        into: &str,
        author: &Author,
        comment: &str,
    ) -> Result<Merge, MergeError>;
    /// What [`merge`](Self::merge) would do, every check included (the model's rules
    /// through the write path), with nothing kept: the merge as it would be, under the id
    /// it would get. For `dossier merge --dry-run` and the editors' preview.
    fn preview_merge(
        &self,
        record: RecordType,
        from: &str,
        into: &str,
        author: &Author,
        comment: &str,
    ) -> Result<Merge, MergeError>;
    /// Undoes merge `id`: every record it touched back as it was before, as new
    /// revisions; its redirects removed. Refused when it was undone already or when a
    /// record it touched changed since.
    fn undo_merge(&self, id: i64, author: &Author, comment: &str) -> Result<Merge, MergeError>;
    /// Merges newest first (by id), those with an id below `before` when given, at most
    /// `limit` (0: all).
    fn merges(&self, before: Option<i64>, limit: usize) -> Result<Vec<Merge>, StoreError>;
    /// One merge.
    fn merge_of(&self, id: i64) -> Result<Option<Merge>, StoreError>;
}

// What both stores' merges share (the SQL is each store's own).

/// What a record was to a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Into,
    From,
    Relinked,
}

/// A record a merge wrote, at the version the merge made.
pub(crate) struct Touched {
    pub(crate) record: RecordType,
    pub(crate) slug: String,
    pub(crate) role: Role,
    pub(crate) version: i64,
}

/// A stored JSON value read as `T`, or the record named as corrupt.
pub(crate) fn parse<T: DeserializeOwned>(
    record: RecordType,
    slug: &str,
    data: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|source| StoreError::Corrupt {
        record: record.as_str(),
        slug: slug.to_string(),
        source,
    })
}

/// A stored record's JSON read as a [`Record`] of its type (not a dossier).
pub(crate) fn record_of(record: RecordType, slug: &str, data: &str) -> Result<Record, StoreError> {
    Ok(match record {
        RecordType::Document => Record::Document(parse(record, slug, data)?),
        RecordType::Body => Record::Body(parse(record, slug, data)?),
        RecordType::Person => Record::Person(parse(record, slug, data)?),
        RecordType::Event => Record::Event(parse(record, slug, data)?),
        RecordType::Topic => Record::Topic(parse(record, slug, data)?),
        RecordType::Dossier => {
            return Err(StoreError::Invalid(format!(
                "dossier `{slug}` is not a record"
            )))
        }
    })
}

/// The write path's refusal as the merge's: one message per broken rule.
pub(crate) fn refused(e: StoreError) -> MergeError {
    match e {
        StoreError::Invalid(message) => {
            MergeError::Invalid(message.split("; ").map(str::to_string).collect())
        }
        e => MergeError::Store(e),
    }
}

/// The comment of every revision a merge makes: it names the merge.
pub(crate) fn merge_comment(
    id: i64,
    record: RecordType,
    from: &str,
    into: &str,
    comment: &str,
) -> String {
    let mut c = format!("merge #{id}: {} `{from}` into `{into}`", record.as_str());
    if !comment.trim().is_empty() {
        c.push_str(": ");
        c.push_str(comment.trim());
    }
    c
}
