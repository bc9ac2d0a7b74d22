//! Revisions: every published change to a record, and the drafts waiting to become one.
//!
//! Published records stay in their own tables, which every reader reads; drafts and
//! history live apart, in revisions, so a draft cannot reach a reader by construction.
//! Each published revision gives its record the next version (1, 2, 3… per type and
//! slug, deletions included); a write made from a stale version is refused as a
//! [`RevisionError::Conflict`], so that no one's change is lost silently. Times are whole
//! seconds since 1970-01-01T00:00:00Z (UTC).

use crate::accounts::UserId;
use crate::{StoreError, WriteSummary};
use dossier_model::{Archive, Body, Document, Dossier, Event, Person, RecordType, Topic};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Where a revision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A form on the web site.
    Web,
    /// The JSON API.
    Api,
    /// `dossier import`.
    Import,
    /// `dossier load-builtin`.
    Builtin,
    /// Another command of the command line (or a write nobody attributed).
    Cli,
    /// A revert to an earlier revision.
    Revert,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Web => "web",
            Origin::Api => "api",
            Origin::Import => "import",
            Origin::Builtin => "builtin",
            Origin::Cli => "cli",
            Origin::Revert => "revert",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        Some(match s {
            "web" => Origin::Web,
            "api" => Origin::Api,
            "import" => Origin::Import,
            "builtin" => Origin::Builtin,
            "cli" => Origin::Cli,
            "revert" => Origin::Revert,
            _ => return None,
        })
    }
}

/// Who made a revision (or reviewed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Author {
    /// The account, when a person made it.
    pub user: Option<UserId>,
    /// The account's display name at the time ("Jane Roe"), or what wrote it
    /// ("import: data/x.toml", "load-builtin", "cli"): kept so that history still names
    /// an account later renamed or deleted.
    pub name: String,
    pub origin: Origin,
}

impl Author {
    /// An import of the file (or directory) at `path`.
    pub fn import(path: &str) -> Author {
        Author {
            user: None,
            name: format!("import: {path}"),
            origin: Origin::Import,
        }
    }
    /// `dossier load-builtin`.
    pub fn builtin() -> Author {
        Author {
            user: None,
            name: "load-builtin".into(),
            origin: Origin::Builtin,
        }
    }
    /// A command of the command line.
    pub fn cli() -> Author {
        Author {
            user: None,
            name: "cli".into(),
            origin: Origin::Cli,
        }
    }
    /// A write nobody attributed ([`Store::write`](crate::Store::write),
    /// [`Store::delete`](crate::Store::delete)).
    pub fn unattributed() -> Author {
        Author {
            user: None,
            name: "unattributed".into(),
            origin: Origin::Cli,
        }
    }
}

/// Where a revision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Part of the record's history (the latest one is what readers see).
    Published,
    /// Saved, not yet sent to review.
    Draft,
    /// Waiting for a reviewer.
    Review,
    /// Sent back by a reviewer, with a comment.
    Returned,
    /// Given up; kept for the record, never published.
    Discarded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Returned => "returned",
            Status::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "published" => Status::Published,
            "draft" => Status::Draft,
            "review" => Status::Review,
            "returned" => Status::Returned,
            "discarded" => Status::Discarded,
            _ => return None,
        })
    }

    /// Whether a revision in this status is a draft that may still change or be
    /// published (draft, review, returned).
    pub fn is_open_draft(self) -> bool {
        matches!(self, Status::Draft | Status::Review | Status::Returned)
    }
}

/// One revision of a record: a published change or a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub id: i64,
    /// The record's type (a dossier included).
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    /// The record's version this revision made (published ones; `None` for drafts).
    /// Versions count 1, 2, 3… per record.
    pub version: Option<i64>,
    /// The published version it was made from (0: the record did not exist).
    pub base: i64,
    pub status: Status,
    /// A deletion (`data` is `None`).
    pub deleted: bool,
    pub author: Author,
    pub at: i64,
    pub comment: String,
    pub reviewer: Option<Author>,
    pub reviewed_at: Option<i64>,
    pub review_comment: Option<String>,
    /// The record's JSON after this revision (the model's serde form); `None` for a
    /// deletion, or when listed without data.
    pub data: Option<String>,
}

/// Which revisions to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct RevisionQuery {
    pub record: Option<RecordType>,
    pub slug: Option<String>,
    /// Revisions of records in this dossier now (and of the dossier itself).
    pub dossier: Option<String>,
    pub author: Option<UserId>,
    /// Empty: every status.
    pub statuses: Vec<Status>,
    /// Only revisions with an id below this one (paging, newest first).
    pub before: Option<i64>,
    pub limit: usize,
    /// Whether to read each revision's JSON (lists usually need not).
    pub with_data: bool,
}

/// How an attributed write ([`Revisions::write_as`]) goes.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub author: Author,
    pub comment: String,
    /// Keep a field an editor changed since the record's last import (or load-builtin)
    /// rather than overwrite it, and report it.
    pub protect_edits: bool,
}

/// A field an import left as an editor had changed it (the editor's value was kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditConflict {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub field: String,
}

/// Why a revision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    /// The record changed since the version the change was made from.
    #[error("the record changed meanwhile: it is at version {current}, the change was made from version {base}")]
    Conflict { current: i64, base: i64 },
    #[error("no such revision")]
    NotFound,
    /// The revision is published or discarded, not a draft that can change.
    #[error("the revision is not an open draft")]
    NotADraft,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Revisions and drafts: what editing on the web, the API and attributed imports need
/// beyond [`Store`](crate::Store). Each method is one transaction.
pub trait Revisions: Send + Sync {
    /// The record's current version: 0 for a record never stored; a deleted record keeps
    /// counting (its deletion was a version).
    fn version(&self, record: RecordType, slug: &str) -> Result<i64, StoreError>;
    /// One revision, with its data.
    fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError>;
    /// The revisions `q` wants, newest first (by id).
    fn revisions(&self, q: &RevisionQuery) -> Result<Vec<Revision>, StoreError>;
    /// How many revisions (of any status) a record has.
    fn count_revisions(&self, record: RecordType, slug: &str) -> Result<u64, StoreError>;
    /// Every published write attributed (import, load-builtin, CLI): like Store::write,
    /// plus one published revision per record that changed (none for unchanged ones);
    /// with protect_edits, a field an editor changed since the record's last
    /// Import/Builtin revision keeps the editor's value and is reported.
    fn write_as(
        &self,
        archive: &Archive,
        options: &WriteOptions,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError>;
    /// Publishes `data` (None: delete) as the next version if the current version is
    /// `expected`, else Conflict; validated by the write path (StoreError::Invalid with
    /// the model's messages); one transaction. Data equal to what is stored makes no new
    /// version: the latest published revision answers. Deleting a record that is not
    /// stored: NotFound.
    fn publish(
        &self,
        record: RecordType,
        slug: &str,
        data: Option<&str>,
        expected: i64,
        author: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError>;
    /// Saves a draft (status Draft, Review or Returned) made from published version
    /// `base`; nothing is validated or published.
    #[allow(clippy::too_many_arguments)]
    fn save_draft(
        &self,
        record: RecordType,
        slug: &str,
        data: Option<&str>,
        base: i64,
        author: &Author,
        comment: &str,
        status: Status,
    ) -> Result<Revision, RevisionError>;
    /// Replaces an open draft's data, base, author, comment and status.
    fn update_draft(
        &self,
        id: i64,
        data: Option<&str>,
        base: i64,
        author: &Author,
        comment: &str,
        status: Status,
    ) -> Result<Revision, RevisionError>;
    /// Moves an open draft to Review, Returned or Discarded, noting the reviewer.
    fn review(
        &self,
        id: i64,
        status: Status,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError>;
    /// Publishes a draft as the next version: Conflict when draft.base != current
    /// version. The draft itself becomes the published revision (its author, time,
    /// comment and data stay; reviewer set), under a new id: ids keep the order in which
    /// versions were published, which history and recent changes list by. The draft's
    /// id no longer answers.
    fn publish_draft(
        &self,
        id: i64,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError>;
}

// What both stores' revisions share.

/// A revision's JSON read as `T`: refused, naming the record type, when it does not read.
pub(crate) fn parse_record<T: DeserializeOwned>(
    record: RecordType,
    data: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|e| {
        StoreError::Invalid(format!(
            "the data does not read as a {}: {e}",
            record.as_str()
        ))
    })
}

/// The one record (or dossier) `data` holds, as an archive to write; refused when its
/// slug is not `slug`.
pub(crate) fn archive_of(
    record: RecordType,
    slug: &str,
    data: &str,
) -> Result<Archive, StoreError> {
    let mut a = Archive::default();
    let found = match record {
        RecordType::Dossier => {
            let d: Dossier = parse_record(record, data)?;
            let s = d.slug.clone();
            a.dossiers.push(d);
            s
        }
        RecordType::Document => {
            let d: Document = parse_record(record, data)?;
            let s = d.slug.clone();
            a.documents.push(d);
            s
        }
        RecordType::Body => {
            let d: Body = parse_record(record, data)?;
            let s = d.slug.clone();
            a.bodies.push(d);
            s
        }
        RecordType::Person => {
            let d: Person = parse_record(record, data)?;
            let s = d.slug.clone();
            a.people.push(d);
            s
        }
        RecordType::Event => {
            let d: Event = parse_record(record, data)?;
            let s = d.slug.clone();
            a.events.push(d);
            s
        }
        RecordType::Topic => {
            let d: Topic = parse_record(record, data)?;
            let s = d.slug.clone();
            a.topics.push(d);
            s
        }
    };
    if found != slug {
        return Err(StoreError::Invalid(format!(
            "the data's slug `{found}` is not the {}'s slug `{slug}`",
            record.as_str()
        )));
    }
    Ok(a)
}
