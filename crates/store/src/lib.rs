//! The store: the one API through which every layer reads and writes records.
//!
//! [`Store`] is the contract; [`SqliteStore`] fulfils it with an embedded SQLite database
//! (WAL, foreign keys on, migrations embedded, every write in one transaction). A
//! PostgreSQL store for several servers can implement the same trait later. [`BulkLoad`]
//! is apart: what an import asks beyond `Store` for throughput (SQLite's bulk settings,
//! writes held until the import's first pass answers).

pub mod accounts;
pub mod any;
pub mod captures;
pub mod copy;
mod error;
pub mod link_checks;
pub mod merges;
mod migrations;
pub mod postgres;
pub mod revisions;
pub mod settings;
mod sqlite;

pub use accounts::Accounts;
pub use any::AnyStore;
pub use captures::{Capture, Captures, NewCapture};
pub use error::{skip_corrupt, StoreError};
pub use link_checks::{
    next_link_run, LinkCheck, LinkChecks, LinkHop, LinkOutcome, LinkRun, NewLinkCheck, RunTrigger,
};
pub use merges::{Merge, MergeError, Merges};
pub use postgres::PgStore;
pub use revisions::{
    Author, EditConflict, Origin, Revision, RevisionError, RevisionQuery, Revisions, Status,
    WriteOptions,
};
pub use sqlite::{SqliteStore, READ_CONNECTIONS};

use dossier_model::*;
use serde::Serialize;

/// What a write did, per record: counted so importers can say "0 new, 0 changed".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteSummary {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// The first and last sequence numbers this write gave its changes in the change log
    /// (none if nothing changed). A write is one transaction, so every change between
    /// them is this write's: the search index may take those records from the written
    /// copy in memory instead of reading them back.
    #[serde(skip)]
    pub logged: Option<(i64, i64)>,
}

/// A dossier as listed on the home page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierSummary {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub documents: usize,
    pub events: usize,
}

/// A section of some dossier that points at a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionCitation {
    pub dossier: String,
    pub dossier_title: String,
    pub key: String,
    pub label: String,
    pub title: String,
    /// The words of the reference.
    pub text: String,
}

/// A link from another record to the one asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backlink {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub title: String,
    /// How the other record relates, e.g. `issued-by`, `outcome`, `replaces`.
    pub rel: String,
    /// The EDTF date of the other record, if it has one.
    pub date: Option<String>,
}

/// A record that links to another, as its card, with how it relates (`held-by`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedCard {
    pub rel: String,
    pub card: RecordCard,
}

/// What a link to a record shows (a "card"): its title, kind and date from the record's
/// columns, and the few fields a list marks it with. Read without the record's whole JSON
/// (a document's full text), and in batches ([`Store::cards`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordCard {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    /// The title (a body's or person's name).
    pub title: String,
    /// The kind's slug (`person` for a person, `dossier` for a dossier).
    pub kind: String,
    /// The EDTF date string.
    pub date: Option<String>,
    /// A document's legal status and availability (`None` for other records).
    pub legal_status: Option<LegalStatus>,
    pub availability: Option<Availability>,
    /// An event's `public_statement`.
    pub public_statement: Option<bool>,
}

impl RecordCard {
    pub fn of_document(d: &Document) -> RecordCard {
        RecordCard {
            legal_status: Some(d.legal_status),
            availability: Some(d.availability),
            date: d.date.map(|x| x.to_string()),
            kind: d.kind.slug().into(),
            ..RecordCard::titled(RecordType::Document, &d.slug, &d.title)
        }
    }
    pub fn of_event(e: &Event) -> RecordCard {
        RecordCard {
            public_statement: e.public_statement,
            date: e.date.map(|x| x.to_string()),
            kind: e.kind.slug().into(),
            ..RecordCard::titled(RecordType::Event, &e.slug, &e.title)
        }
    }
    /// A card with a title alone (kind: the type's name).
    pub fn titled(record: RecordType, slug: &str, title: &str) -> RecordCard {
        RecordCard {
            record,
            slug: slug.into(),
            title: title.into(),
            kind: record.as_str().into(),
            date: None,
            legal_status: None,
            availability: None,
            public_statement: None,
        }
    }
}

/// Which documents a query wants. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub dossier: Option<String>,
    pub kinds: Vec<String>,
    /// Documents issued by, or party to, any of these bodies.
    pub bodies: Vec<String>,
}

/// Which events a query wants. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub dossier: Option<String>,
    pub kinds: Vec<String>,
    /// Events held by any of these bodies.
    pub bodies: Vec<String>,
    pub levels: Vec<String>,
}

/// When a record was added and last changed (RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamps {
    pub created: String,
    pub changed: String,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// One entry of the store's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Increases with every change; never reused.
    pub seq: i64,
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub op: ChangeOp,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// What a deleted record was: enough to say which sets (dossiers, kind) it was in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tombstone {
    pub slug: String,
    /// The record's kind slug (document kind, event kind…) when it was deleted.
    pub kind: String,
    /// The dossiers it belonged to when it was deleted.
    pub dossiers: Vec<String>,
    /// When it was deleted (RFC 3339, UTC).
    pub at: String,
}

/// The store's contract. Reads return records in a stable order: dated records by date
/// (earliest first, wider dates first), then undated ones by title.
pub trait Store: Send + Sync {
    /// Writes every record of `archive` in one transaction: all or nothing. Dossiers'
    /// sections are replaced as a whole; other records are inserted or updated by slug.
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError>;
    /// Whether the store holds no dossier yet.
    fn is_empty(&self) -> Result<bool, StoreError>;
    /// Whether a record of this type and slug exists.
    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError>;

    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError>;
    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError>;
    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError>;
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError>;
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError>;
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError>;
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError>;
    /// The record of this type and slug, as a [`Record`] of its type; `None` for a
    /// dossier (not a `Record`: see [`dossier`](Self::dossier)). For callers that hold a
    /// record of any type, such as an import comparing with the stored copy.
    fn record(&self, record: RecordType, slug: &str) -> Result<Option<Record>, StoreError> {
        Ok(match record {
            RecordType::Document => self.document(slug)?.map(Record::Document),
            RecordType::Event => self.event(slug)?.map(Record::Event),
            RecordType::Person => self.person(slug)?.map(Record::Person),
            RecordType::Body => self.body(slug)?.map(Record::Body),
            RecordType::Topic => self.topic(slug)?.map(Record::Topic),
            RecordType::Dossier => None,
        })
    }
    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError>;

    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError>;
    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError>;
    fn bodies(&self, dossier: Option<&str>) -> Result<Vec<Body>, StoreError>;
    fn people(&self, dossier: Option<&str>) -> Result<Vec<Person>, StoreError>;
    fn topics(&self, dossier: Option<&str>) -> Result<Vec<Topic>, StoreError>;

    /// Sections (of any dossier) whose references point at this record.
    fn citations(&self, record: RecordType, slug: &str)
        -> Result<Vec<SectionCitation>, StoreError>;
    /// Records that link to this one (documents issued by a body, events with an outcome…).
    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError>;
    /// The first `limit` records of type `from` that link to this one by any of `rels`,
    /// each once (with the first of its relations), in the order of
    /// [`backlinks`](Self::backlinks), as cards; and how many there are. A long list's
    /// preview (a body's events) whose cards are read with the links where a store keeps
    /// them there. A record the store cannot read a card of keeps its backlink's title and
    /// date.
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> Result<(Vec<LinkedCard>, usize), StoreError> {
        backlink_cards_from_backlinks(self, record, slug, from, rels, limit)
    }
    /// The title (or name) of a record, for showing a link to it.
    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError>;

    /// The cards of the records of this type that `slugs` name (a dossier's card is its
    /// title), in no particular order; a slug the store lacks has none. One store read
    /// however many slugs, so that a page links to hundreds of records without a lookup
    /// each. The default asks record by record; a store should answer in one query.
    fn cards(&self, record: RecordType, slugs: &[&str]) -> Result<Vec<RecordCard>, StoreError> {
        let mut out = Vec::new();
        for slug in slugs {
            match record {
                RecordType::Document => {
                    out.extend(self.document(slug)?.as_ref().map(RecordCard::of_document))
                }
                RecordType::Event => {
                    out.extend(self.event(slug)?.as_ref().map(RecordCard::of_event))
                }
                _ => out.extend(
                    self.title_of(record, slug)?
                        .map(|t| RecordCard::titled(record, slug, &t)),
                ),
            }
        }
        Ok(out)
    }
    /// The cards of the documents `q` wants, in the order of [`documents`](Self::documents).
    fn document_cards(&self, q: &DocumentQuery) -> Result<Vec<RecordCard>, StoreError> {
        Ok(self
            .documents(q)?
            .iter()
            .map(RecordCard::of_document)
            .collect())
    }
    /// The cards of the events `q` wants, in the order of [`events`](Self::events).
    fn event_cards(&self, q: &EventQuery) -> Result<Vec<RecordCard>, StoreError> {
        Ok(self.events(q)?.iter().map(RecordCard::of_event).collect())
    }
    /// The first `limit` of [`document_cards`](Self::document_cards) and how many it holds
    /// in all: a long list's preview, without reading the records past it.
    fn document_cards_head(
        &self,
        q: &DocumentQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        let mut cards = self.document_cards(q)?;
        let total = cards.len();
        cards.truncate(limit);
        Ok((cards, total))
    }
    /// [`document_cards_head`](Self::document_cards_head) of several queries at once (a
    /// dossier's generated lists), in their order: a store may answer them together.
    fn document_cards_heads(
        &self,
        queries: &[DocumentQuery],
        limit: usize,
    ) -> Result<Vec<(Vec<RecordCard>, usize)>, StoreError> {
        queries
            .iter()
            .map(|q| self.document_cards_head(q, limit))
            .collect()
    }
    /// The first `limit` of [`event_cards`](Self::event_cards) and how many it holds in
    /// all.
    fn event_cards_head(
        &self,
        q: &EventQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        let mut cards = self.event_cards(q)?;
        let total = cards.len();
        cards.truncate(limit);
        Ok((cards, total))
    }
    /// The cards of the bodies, people or topics of a dossier, in the store's order (by
    /// date, then title); empty for other types.
    fn cards_in_dossier(
        &self,
        record: RecordType,
        dossier: &str,
    ) -> Result<Vec<RecordCard>, StoreError> {
        let d = Some(dossier);
        Ok(match record {
            RecordType::Body => self
                .bodies(d)?
                .iter()
                .map(|b| RecordCard::titled(record, &b.slug, &b.name))
                .collect(),
            RecordType::Person => self
                .people(d)?
                .iter()
                .map(|p| RecordCard::titled(record, &p.slug, &p.name))
                .collect(),
            RecordType::Topic => self
                .topics(d)?
                .iter()
                .map(|t| RecordCard::titled(record, &t.slug, &t.title))
                .collect(),
            _ => Vec::new(),
        })
    }
    /// The documents and events of a dossier as cards of the records' columns alone: the
    /// fields a card reads from a record's JSON (`legal_status`, `availability`,
    /// `public_statement`) are `None`. Documents first, then events, each in the store's
    /// order. What a record's place in its dossier's chronology needs (its previous and
    /// next links) without reading the JSON of every record of the dossier; the two
    /// neighbours' whole cards are read with [`cards`](Self::cards).
    fn chronology_heads(&self, dossier: &str) -> Result<Vec<RecordCard>, StoreError> {
        let documents = self.document_cards(&DocumentQuery {
            dossier: Some(dossier.into()),
            ..Default::default()
        })?;
        let events = self.event_cards(&EventQuery {
            dossier: Some(dossier.into()),
            ..Default::default()
        })?;
        Ok(documents
            .into_iter()
            .chain(events)
            .map(|c| RecordCard {
                legal_status: None,
                availability: None,
                public_statement: None,
                ..c
            })
            .collect())
    }
    /// Every section of these dossiers (dossier, its title, key, label, title; `text`
    /// empty), dossier by dossier in the home page's order, each in outline order: what a
    /// page needs to name the sections a record's provenance points into, without reading
    /// whole outlines.
    fn sections_of(&self, dossiers: &[&str]) -> Result<Vec<SectionCitation>, StoreError> {
        let mut out = Vec::new();
        for slug in dossiers {
            if let Some(d) = skip_corrupt(self.dossier(slug))?.flatten() {
                out.extend(d.all_sections().into_iter().map(|s| SectionCitation {
                    dossier: d.slug.clone(),
                    dossier_title: d.title.clone(),
                    key: s.key.clone(),
                    label: s.label.clone(),
                    title: s.title.clone(),
                    text: String::new(),
                }));
            }
        }
        Ok(out)
    }

    /// Every collection with how many records are in it, by title. A store that wraps
    /// another to read records must forward this (the default knows no collections).
    fn collections(&self) -> Result<Vec<(Collection, usize)>, StoreError> {
        Ok(Vec::new())
    }
    /// The collection with this slug.
    fn collection(&self, slug: &str) -> Result<Option<Collection>, StoreError> {
        let _ = slug;
        Ok(None)
    }
    /// The cards of the records of this type in the collection `slug`, in the store's
    /// order (by date, then title).
    fn collection_cards(
        &self,
        slug: &str,
        record: RecordType,
    ) -> Result<Vec<RecordCard>, StoreError> {
        let _ = (slug, record);
        Ok(Vec::new())
    }
    /// The documents of the collection `slug`, whole, in the store's order: what its
    /// bibliography lists.
    fn collection_documents(&self, slug: &str) -> Result<Vec<Document>, StoreError> {
        let _ = slug;
        Ok(Vec::new())
    }

    /// Deletes a record (a dossier with its sections). Refused while other records link to
    /// it, naming them. Returns false if there was no such record.
    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError>;
    /// Changes after `seq`, oldest first, at most `limit`.
    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>, StoreError>;
    /// The sequence number of the latest change (0 for an empty log), as committed now by
    /// any process. The server asks it on every request to know whether the answers it
    /// keeps are still current, so an implementation should answer it cheaply (an indexed
    /// read) and without waiting behind other reads.
    fn last_change(&self) -> Result<i64, StoreError>;
    /// When change `seq` was made (RFC 3339, UTC), `None` if the log has no such change:
    /// the `Last-Modified` of an answer built after it. Asked right after
    /// [`last_change`](Self::last_change) on a request's cold path, so an implementation
    /// should answer it on the same cheap road.
    fn change_time(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .changes_since(seq - 1, 1)?
            .into_iter()
            .find(|c| c.seq == seq)
            .map(|c| c.at))
    }
    /// Of the records changed after `seq` and up to `upto`, those that had a change at or
    /// before `seq` too. A follower of the log that has applied every change up to `seq`
    /// holds no copy of the others, so it need not look for one to replace (the search
    /// index skips a delete per new record: most of a bulk import).
    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError>;
    /// Where a record merged into another now lives (issue 28): the survivor's slug for
    /// the slug of a record that was merged away (chains already collapsed, so one
    /// answer is final), `None` for any other slug. Readers answer 301 with it.
    fn redirect(&self, _record: RecordType, _slug: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    /// The records of this type that are deleted now, each as it was when deleted, in slug
    /// order. A record deleted before the store began to keep tombstones has none (the
    /// change log still says it was deleted; only its sets are then unknown).
    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError>;
    /// Where the store keeps editors' accounts, sessions, API tokens and the audit log
    /// ([`accounts`]), if it keeps them: a store that wraps another to read records (the
    /// static export's cache, tests' counters) keeps none, and the server then has no
    /// login.
    fn accounts(&self) -> Option<&dyn Accounts> {
        None
    }
    /// Where the store keeps revisions and drafts ([`revisions`]), if it keeps them: a
    /// store that wraps another to read records keeps none, and nothing can be edited
    /// through it.
    fn revisions(&self) -> Option<&dyn Revisions> {
        None
    }
    /// Where the store keeps the index of archived copies ([`captures`]), if it keeps
    /// one: a store that wraps another to read records must forward it for its pages to
    /// show the copies.
    fn captures(&self) -> Option<&dyn Captures> {
        None
    }
    /// Where the store keeps the history of link checks and the checker's runs
    /// ([`link_checks`]), if it keeps one.
    fn link_checks(&self) -> Option<&dyn LinkChecks> {
        None
    }
    /// Where the store merges records and keeps its merges ([`merges`]), if it does: a
    /// store that wraps another to read records merges nothing.
    fn merges(&self) -> Option<&dyn Merges> {
        None
    }
}

/// [`Store::backlink_cards_head`] from [`Store::backlinks`] and [`Store::cards`] (the cards
/// of the records shown alone): the default, and a store's answer where its links keep no
/// cards.
pub fn backlink_cards_from_backlinks<S: Store + ?Sized>(
    store: &S,
    record: RecordType,
    slug: &str,
    from: RecordType,
    rels: &[&str],
    limit: usize,
) -> Result<(Vec<LinkedCard>, usize), StoreError> {
    let linked = store
        .backlinks(record, slug)?
        .into_iter()
        .filter(|b| b.record == from && rels.contains(&b.rel.as_str()));
    linked_cards_head(store, linked, limit)
}

/// The first `limit` of these backlinks (of one record type, in order) as cards, each
/// record once, and how many records there are: [`Store::backlink_cards_head`] once the
/// backlinks are read. The cards of those shown are read in one [`Store::cards`].
pub(crate) fn linked_cards_head<S: Store + ?Sized>(
    store: &S,
    backlinks: impl IntoIterator<Item = Backlink>,
    limit: usize,
) -> Result<(Vec<LinkedCard>, usize), StoreError> {
    let mut seen = std::collections::HashSet::new();
    let linked: Vec<Backlink> = backlinks
        .into_iter()
        .filter(|b| seen.insert((b.record, b.slug.clone())))
        .collect();
    let total = linked.len();
    let shown = &linked[..limit.min(total)];
    let mut cards: std::collections::HashMap<(RecordType, String), RecordCard> =
        std::collections::HashMap::new();
    for record in shown
        .iter()
        .map(|b| b.record)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let slugs: Vec<&str> = shown
            .iter()
            .filter(|b| b.record == record)
            .map(|b| b.slug.as_str())
            .collect();
        for c in store.cards(record, &slugs)? {
            cards.insert((c.record, c.slug.clone()), c);
        }
    }
    let head = shown
        .iter()
        .map(|b| LinkedCard {
            rel: b.rel.clone(),
            card: cards
                .remove(&(b.record, b.slug.clone()))
                .unwrap_or_else(|| RecordCard {
                    date: b.date.clone(),
                    ..RecordCard::titled(b.record, &b.slug, &b.title)
                }),
        })
        .collect();
    Ok((head, total))
}

/// Whether the record, dossier or collection that a record names exists: the `known`
/// of [`Archive::validate`] for a store (`ty` is `document`, `collection`…).
pub fn names_existing(store: &dyn Store, ty: &str, slug: &str) -> bool {
    if ty == "collection" {
        return store.collection(slug).is_ok_and(|c| c.is_some());
    }
    RecordType::parse(ty).is_some_and(|t| store.exists(t, slug).unwrap_or(false))
}

/// What a bulk load (an import) asks of a store beyond [`Store`], for throughput: settings
/// for the load's length, and writes held uncommitted until the loader knows whether to
/// keep them. Only the import uses it; readers, the server and the index know [`Store`]
/// alone. A store implements it with whatever its engine offers for the purpose.
pub trait BulkLoad: Store {
    /// Starts a bulk load: the store may trade its usual settings for throughput until
    /// [`end_bulk`](Self::end_bulk). Each write stays one transaction, committed as
    /// before. A second call is harmless.
    fn begin_bulk(&self) -> Result<(), StoreError>;
    /// Ends a bulk load (an error included): the store goes back to its usual settings and
    /// leaves nothing of the load for the next reader or writer to pay for.
    fn end_bulk(&self) -> Result<(), StoreError>;
    /// Opens a transaction that the next writes join, each still all or nothing inside it,
    /// and that no other reader or writer sees until [`release`](Self::release). For a
    /// writer that starts before it knows whether it must undo everything: an import writes
    /// while its first pass is still checking the files, and keeps the writes only if every
    /// file passes. Another writer waits (up to its busy timeout) while the transaction is
    /// open. An error (the lock is another writer's, writes are already held): nothing is
    /// held, and the caller waits instead.
    fn hold(&self) -> Result<(), StoreError>;
    /// Ends what [`hold`](Self::hold) opened: commits the writes made since (`keep`) or
    /// undoes them all. Does nothing when nothing is held.
    fn release(&self, keep: bool) -> Result<(), StoreError>;
    /// How many batches of this bulk load [`write_batch`](Self::write_batch) may write
    /// side by side, each called on a thread of its own: 1 where writes take turns
    /// (SQLite has one writer); more where the database runs several write transactions
    /// at once and one batch left its cores idle (PostgreSQL, once this process holds the
    /// bulk load's lock). Asked after [`begin_bulk`](Self::begin_bulk); may fall to 1
    /// during the load.
    fn batches_side_by_side(&self) -> usize {
        1
    }
    /// Writes one batch of a bulk load as [`Revisions::write_as`] does (a store without
    /// revisions: [`Store::write`]), one transaction, all or nothing. Batches written side
    /// by side must keep apart: the caller starts one only when no batch still being
    /// written holds a record it holds or names (its validation would not see the other's
    /// records before that commits).
    fn write_batch(
        &self,
        batch: &Archive,
        options: &WriteOptions,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
        match self.revisions() {
            Some(r) => r.write_as(batch, options),
            None => Ok((self.write(batch)?, Vec::new())),
        }
    }
}
