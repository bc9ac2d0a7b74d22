//! [`AnyStore`]: the store a command opens, SQLite or PostgreSQL, as one type that is a
//! [`Store`] and a [`BulkLoad`], so that the program's commands take either without
//! knowing which.

use crate::*;
use std::path::Path;

/// The store of a data directory (SQLite, the default) or of a PostgreSQL database.
///
/// Every method of [`Store`] and [`BulkLoad`] is forwarded, the ones with a default
/// included: a store's own answer (its cards in one query, its accounts, revisions,
/// merges…) must not fall back to the trait's default. A method added to [`Store`] must be
/// added here too (the test `every_part_of_the_store_is_forwarded` checks the parts).
pub struct AnyStore {
    pub(crate) inner: Inner,
}

pub(crate) enum Inner {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Which engine an [`AnyStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl AnyStore {
    /// The SQLite store in the file `path`.
    pub fn sqlite(path: &Path) -> Result<AnyStore, StoreError> {
        Ok(SqliteStore::open(path)?.into())
    }

    /// The PostgreSQL store of the database at `url` (see [`PgStore::open`]).
    pub fn postgres(url: &str) -> Result<AnyStore, StoreError> {
        Ok(PgStore::open(url)?.into())
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// A follower's wake-up at each commit that logged a change, by any process on the
    /// database ([`PgStore::listen`]); `None` for SQLite, whose one file has one writer
    /// process at a time and whose server follows its own writes.
    pub fn listen(&self) -> Option<Result<postgres::ChangeListener, StoreError>> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres(s) => Some(s.listen()),
        }
    }

    /// A connection of its own to the store's database, moving rows as they are: the two
    /// ends of `dossier copy` ([`crate::copy`]).
    pub(crate) fn raw(&self) -> Result<Box<dyn crate::copy::Raw>, StoreError> {
        Ok(match &self.inner {
            Inner::Sqlite(s) => Box::new(s.raw()?),
            Inner::Postgres(s) => Box::new(s.raw()?),
        })
    }

    fn store(&self) -> &dyn BulkLoad {
        match &self.inner {
            Inner::Sqlite(s) => s,
            Inner::Postgres(s) => s,
        }
    }
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        AnyStore {
            inner: Inner::Sqlite(s),
        }
    }
}

impl From<PgStore> for AnyStore {
    fn from(s: PgStore) -> Self {
        AnyStore {
            inner: Inner::Postgres(s),
        }
    }
}

type R<T> = Result<T, StoreError>;

impl Store for AnyStore {
    fn write(&self, archive: &Archive) -> R<WriteSummary> {
        self.store().write(archive)
    }
    fn is_empty(&self) -> R<bool> {
        self.store().is_empty()
    }
    fn exists(&self, record: RecordType, slug: &str) -> R<bool> {
        self.store().exists(record, slug)
    }
    fn dossiers(&self) -> R<Vec<DossierSummary>> {
        self.store().dossiers()
    }
    fn dossier(&self, slug: &str) -> R<Option<Dossier>> {
        self.store().dossier(slug)
    }
    fn document(&self, slug: &str) -> R<Option<Document>> {
        self.store().document(slug)
    }
    fn body(&self, slug: &str) -> R<Option<Body>> {
        self.store().body(slug)
    }
    fn person(&self, slug: &str) -> R<Option<Person>> {
        self.store().person(slug)
    }
    fn event(&self, slug: &str) -> R<Option<Event>> {
        self.store().event(slug)
    }
    fn topic(&self, slug: &str) -> R<Option<Topic>> {
        self.store().topic(slug)
    }
    fn record(&self, record: RecordType, slug: &str) -> R<Option<Record>> {
        self.store().record(record, slug)
    }
    fn stamps(&self, record: RecordType, slug: &str) -> R<Option<Stamps>> {
        self.store().stamps(record, slug)
    }
    fn documents(&self, q: &DocumentQuery) -> R<Vec<Document>> {
        self.store().documents(q)
    }
    fn events(&self, q: &EventQuery) -> R<Vec<Event>> {
        self.store().events(q)
    }
    fn bodies(&self, dossier: Option<&str>) -> R<Vec<Body>> {
        self.store().bodies(dossier)
    }
    fn people(&self, dossier: Option<&str>) -> R<Vec<Person>> {
        self.store().people(dossier)
    }
    fn topics(&self, dossier: Option<&str>) -> R<Vec<Topic>> {
        self.store().topics(dossier)
    }
    fn citations(&self, record: RecordType, slug: &str) -> R<Vec<SectionCitation>> {
        self.store().citations(record, slug)
    }
    fn backlinks(&self, record: RecordType, slug: &str) -> R<Vec<Backlink>> {
        self.store().backlinks(record, slug)
    }
    fn title_of(&self, record: RecordType, slug: &str) -> R<Option<String>> {
        self.store().title_of(record, slug)
    }
    fn cards(&self, record: RecordType, slugs: &[&str]) -> R<Vec<RecordCard>> {
        self.store().cards(record, slugs)
    }
    fn document_cards(&self, q: &DocumentQuery) -> R<Vec<RecordCard>> {
        self.store().document_cards(q)
    }
    fn event_cards(&self, q: &EventQuery) -> R<Vec<RecordCard>> {
        self.store().event_cards(q)
    }
    fn document_cards_head(&self, q: &DocumentQuery, limit: usize) -> R<(Vec<RecordCard>, usize)> {
        self.store().document_cards_head(q, limit)
    }
    fn document_cards_heads(
        &self,
        queries: &[DocumentQuery],
        limit: usize,
    ) -> R<Vec<(Vec<RecordCard>, usize)>> {
        self.store().document_cards_heads(queries, limit)
    }
    fn event_cards_head(&self, q: &EventQuery, limit: usize) -> R<(Vec<RecordCard>, usize)> {
        self.store().event_cards_head(q, limit)
    }
    fn cards_in_dossier(&self, record: RecordType, dossier: &str) -> R<Vec<RecordCard>> {
        self.store().cards_in_dossier(record, dossier)
    }
    fn chronology_heads(&self, dossier: &str) -> R<Vec<RecordCard>> {
        self.store().chronology_heads(dossier)
    }
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> R<(Vec<LinkedCard>, usize)> {
        self.store()
            .backlink_cards_head(record, slug, from, rels, limit)
    }
    fn sections_of(&self, dossiers: &[&str]) -> R<Vec<SectionCitation>> {
        self.store().sections_of(dossiers)
    }
    fn collections(&self) -> R<Vec<(Collection, usize)>> {
        self.store().collections()
    }
    fn collection(&self, slug: &str) -> R<Option<Collection>> {
        self.store().collection(slug)
    }
    fn collection_cards(&self, slug: &str, record: RecordType) -> R<Vec<RecordCard>> {
        self.store().collection_cards(slug, record)
    }
    fn collection_documents(&self, slug: &str) -> R<Vec<Document>> {
        self.store().collection_documents(slug)
    }
    fn delete(&self, record: RecordType, slug: &str) -> R<bool> {
        self.store().delete(record, slug)
    }
    fn changes_since(&self, seq: i64, limit: usize) -> R<Vec<Change>> {
        self.store().changes_since(seq, limit)
    }
    fn last_change(&self) -> R<i64> {
        self.store().last_change()
    }
    fn change_time(&self, seq: i64) -> R<Option<String>> {
        self.store().change_time(seq)
    }
    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> R<std::collections::HashSet<(RecordType, String)>> {
        self.store().changed_at_or_before(seq, upto)
    }
    fn redirect(&self, record: RecordType, slug: &str) -> R<Option<String>> {
        self.store().redirect(record, slug)
    }
    fn tombstones(&self, record: RecordType) -> R<Vec<Tombstone>> {
        self.store().tombstones(record)
    }
    fn accounts(&self) -> Option<&dyn Accounts> {
        self.store().accounts()
    }
    fn revisions(&self) -> Option<&dyn Revisions> {
        self.store().revisions()
    }
    fn captures(&self) -> Option<&dyn Captures> {
        self.store().captures()
    }
    fn link_checks(&self) -> Option<&dyn LinkChecks> {
        self.store().link_checks()
    }
    fn merges(&self) -> Option<&dyn Merges> {
        self.store().merges()
    }
}

impl BulkLoad for AnyStore {
    fn begin_bulk(&self) -> R<()> {
        self.store().begin_bulk()
    }
    fn end_bulk(&self) -> R<()> {
        self.store().end_bulk()
    }
    fn hold(&self) -> R<()> {
        self.store().hold()
    }
    fn release(&self, keep: bool) -> R<()> {
        self.store().release(keep)
    }
    fn batches_side_by_side(&self) -> usize {
        self.store().batches_side_by_side()
    }
    fn write_batch(
        &self,
        batch: &Archive,
        options: &WriteOptions,
    ) -> R<(WriteSummary, Vec<EditConflict>)> {
        self.store().write_batch(batch, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts a store keeps beyond records reach the caller through the wrapper.
    #[test]
    fn every_part_of_the_store_is_forwarded() {
        let s = AnyStore::from(SqliteStore::in_memory().unwrap());
        assert_eq!(s.backend(), Backend::Sqlite);
        assert!(s.accounts().is_some());
        assert!(s.revisions().is_some());
        assert!(s.captures().is_some());
        assert!(s.link_checks().is_some());
        assert!(s.merges().is_some());
    }

    /// The methods of `trait_` (its declaration's first line) in lib.rs that `impl_` (the
    /// start of its block in this file) has no `fn` of its own for.
    fn not_forwarded(trait_: &str, impl_: &str) -> Vec<String> {
        let lib = include_str!("lib.rs");
        let body = &lib[lib.find(trait_).expect("the trait")..];
        let end = body.find("\n}\n").expect("the trait's end");
        let here = include_str!("any.rs");
        let here = &here[here.find(impl_).expect("the impl")..];
        body[..end]
            .lines()
            .filter_map(|l| l.strip_prefix("    fn "))
            .filter_map(|l| l.split(['(', '<']).next())
            .filter(|name| !here.contains(&format!("    fn {name}(")))
            .map(String::from)
            .collect()
    }

    /// Every method of the `Store` trait is forwarded by name, those with a default body
    /// included: `change_time` once fell back to the default (a pool connection's
    /// `changes_since`, on the async runtime, on every request after a change) because it
    /// was missing here, and no answer differed to show it.
    #[test]
    fn every_store_method_is_forwarded() {
        let missing = not_forwarded("pub trait Store:", "impl Store for AnyStore");
        assert!(missing.is_empty(), "not forwarded by AnyStore: {missing:?}");
    }

    /// The same for `BulkLoad`: a bulk load through the wrapper that fell back to a
    /// default would write PostgreSQL's batches one at a time.
    #[test]
    fn every_bulk_load_method_is_forwarded() {
        let missing = not_forwarded("pub trait BulkLoad:", "impl BulkLoad for AnyStore");
        assert!(missing.is_empty(), "not forwarded by AnyStore: {missing:?}");
    }
}
