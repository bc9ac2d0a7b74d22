//! A read-through cache of the store for the export's many pages.

use dossier_model::*;
use dossier_store::*;
use std::collections::HashMap;
use std::sync::Mutex;

/// A read-through cache over the store for the export, which asks the same questions for
/// many pages (a dossier's outline for every record's provenance, the title of a body for
/// every link to it). Writes go straight through.
pub(super) struct CachingStore<'a> {
    inner: &'a dyn Store,
    dossiers: Mutex<HashMap<String, Option<Dossier>>>,
    titles: Mutex<HashMap<(RecordType, String), Option<String>>>,
    documents: Mutex<HashMap<String, Option<Document>>>,
    events: Mutex<HashMap<String, Option<Event>>>,
    stamps: Mutex<HashMap<(RecordType, String), Option<Stamps>>>,
    /// Lists, by their query's debug form.
    document_lists: Mutex<HashMap<String, Vec<Document>>>,
    event_lists: Mutex<HashMap<String, Vec<Event>>>,
    summaries: Mutex<HashMap<(), Vec<DossierSummary>>>,
}

impl<'a> CachingStore<'a> {
    pub(super) fn new(inner: &'a dyn Store) -> Self {
        CachingStore {
            inner,
            dossiers: Mutex::default(),
            titles: Mutex::default(),
            documents: Mutex::default(),
            events: Mutex::default(),
            stamps: Mutex::default(),
            document_lists: Mutex::default(),
            event_lists: Mutex::default(),
            summaries: Mutex::default(),
        }
    }
}

impl CachingStore<'_> {
    /// Fills the by-slug caches from lists already read.
    pub(super) fn prime(&self, documents: &[Document], events: &[Event]) {
        if let Ok(mut m) = self.documents.lock() {
            for d in documents {
                m.insert(d.slug.clone(), Some(d.clone()));
            }
        }
        if let Ok(mut m) = self.events.lock() {
            for e in events {
                m.insert(e.slug.clone(), Some(e.clone()));
            }
        }
        if let Ok(mut m) = self.titles.lock() {
            for d in documents {
                m.insert(
                    (RecordType::Document, d.slug.clone()),
                    Some(d.title.clone()),
                );
            }
            for e in events {
                m.insert((RecordType::Event, e.slug.clone()), Some(e.title.clone()));
            }
        }
    }
}

fn cached<K: std::hash::Hash + Eq + Clone, V: Clone>(
    map: &Mutex<HashMap<K, V>>,
    key: K,
    load: impl FnOnce() -> Result<V, StoreError>,
) -> Result<V, StoreError> {
    if let Some(v) = map.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(v);
    }
    let v = load()?;
    if let Ok(mut m) = map.lock() {
        m.insert(key, v.clone());
    }
    Ok(v)
}

impl Store for CachingStore<'_> {
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError> {
        self.inner.write(archive)
    }
    fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty()
    }
    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.title_of(record, slug).map(|t| t.is_some())
    }
    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        cached(&self.summaries, (), || self.inner.dossiers())
    }
    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        cached(&self.dossiers, slug.to_string(), || {
            self.inner.dossier(slug)
        })
    }
    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError> {
        cached(&self.documents, slug.to_string(), || {
            self.inner.document(slug)
        })
    }
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError> {
        self.inner.body(slug)
    }
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError> {
        self.inner.person(slug)
    }
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError> {
        cached(&self.events, slug.to_string(), || self.inner.event(slug))
    }
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError> {
        self.inner.topic(slug)
    }
    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError> {
        cached(&self.stamps, (record, slug.to_string()), || {
            self.inner.stamps(record, slug)
        })
    }
    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError> {
        cached(&self.document_lists, format!("{q:?}"), || {
            self.inner.documents(q)
        })
    }
    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        cached(&self.event_lists, format!("{q:?}"), || self.inner.events(q))
    }
    fn bodies(&self, dossier: Option<&str>) -> Result<Vec<Body>, StoreError> {
        self.inner.bodies(dossier)
    }
    fn people(&self, dossier: Option<&str>) -> Result<Vec<Person>, StoreError> {
        self.inner.people(dossier)
    }
    fn topics(&self, dossier: Option<&str>) -> Result<Vec<Topic>, StoreError> {
        self.inner.topics(dossier)
    }
    fn citations(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Vec<SectionCitation>, StoreError> {
        self.inner.citations(record, slug)
    }
    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        self.inner.backlinks(record, slug)
    }
    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        cached(&self.titles, (record, slug.to_string()), || {
            self.inner.title_of(record, slug)
        })
    }
    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.inner.delete(record, slug)
    }
    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.inner.changes_since(seq, limit)
    }
    fn last_change(&self) -> Result<i64, StoreError> {
        self.inner.last_change()
    }
    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError> {
        self.inner.changed_at_or_before(seq, upto)
    }
    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
        self.inner.tombstones(record)
    }
    fn captures(&self) -> Option<&dyn dossier_store::Captures> {
        self.inner.captures()
    }
    fn collections(&self) -> Result<Vec<(Collection, usize)>, StoreError> {
        self.inner.collections()
    }
    fn collection(&self, slug: &str) -> Result<Option<Collection>, StoreError> {
        self.inner.collection(slug)
    }
    fn collection_cards(
        &self,
        slug: &str,
        record: RecordType,
    ) -> Result<Vec<RecordCard>, StoreError> {
        self.inner.collection_cards(slug, record)
    }
    fn collection_documents(&self, slug: &str) -> Result<Vec<Document>, StoreError> {
        self.inner.collection_documents(slug)
    }
}
