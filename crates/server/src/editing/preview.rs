//! A draft's preview: the real page template rendered over a store that answers the
//! draft for its one record and the published archive for everything else. Read-only:
//! it writes nothing, keeps no accounts and no revisions.

use dossier_model::*;
use dossier_store::*;
use std::collections::HashSet;

/// The record a draft would make.
pub(super) enum Draft {
    Record(Box<Record>),
    Dossier(Dossier),
}

impl Draft {
    /// The draft's JSON read as the model's record of type `ty`.
    pub(super) fn read(ty: RecordType, json: &str) -> serde_json::Result<Draft> {
        Ok(match ty {
            RecordType::Document => {
                Draft::Record(Box::new(Record::Document(serde_json::from_str(json)?)))
            }
            RecordType::Body => Draft::Record(Box::new(Record::Body(serde_json::from_str(json)?))),
            RecordType::Person => {
                Draft::Record(Box::new(Record::Person(serde_json::from_str(json)?)))
            }
            RecordType::Event => {
                Draft::Record(Box::new(Record::Event(serde_json::from_str(json)?)))
            }
            RecordType::Topic => {
                Draft::Record(Box::new(Record::Topic(serde_json::from_str(json)?)))
            }
            RecordType::Dossier => Draft::Dossier(serde_json::from_str(json)?),
        })
    }

    fn record_type(&self) -> RecordType {
        match self {
            Draft::Record(r) => r.record_type(),
            Draft::Dossier(_) => RecordType::Dossier,
        }
    }

    fn slug(&self) -> &str {
        match self {
            Draft::Record(r) => r.slug(),
            Draft::Dossier(d) => &d.slug,
        }
    }

    fn title(&self) -> &str {
        match self {
            Draft::Record(r) => r.title(),
            Draft::Dossier(d) => &d.title,
        }
    }

    /// The record, unless the draft is a dossier's.
    fn record(&self) -> Option<&Record> {
        match self {
            Draft::Record(r) => Some(r),
            Draft::Dossier(_) => None,
        }
    }

    fn card(&self) -> RecordCard {
        match self.record() {
            Some(Record::Document(d)) => RecordCard::of_document(d),
            Some(Record::Event(e)) => RecordCard::of_event(e),
            _ => RecordCard::titled(self.record_type(), self.slug(), self.title()),
        }
    }
}

/// The published store, with the draft in place of its record.
pub(super) struct DraftStore<'a> {
    pub inner: &'a dyn Store,
    pub draft: Draft,
}

impl DraftStore<'_> {
    fn is(&self, ty: RecordType, slug: &str) -> bool {
        self.draft.record_type() == ty && self.draft.slug() == slug
    }
}

fn read_only() -> StoreError {
    StoreError::Invalid("a draft's preview writes nothing".into())
}

impl Store for DraftStore<'_> {
    fn write(&self, _: &Archive) -> Result<WriteSummary, StoreError> {
        Err(read_only())
    }
    fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty()
    }
    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        Ok(self.is(record, slug) || self.inner.exists(record, slug)?)
    }
    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        self.inner.dossiers()
    }
    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        match &self.draft {
            Draft::Dossier(d) if d.slug == slug => Ok(Some(d.clone())),
            _ => self.inner.dossier(slug),
        }
    }
    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError> {
        match self.draft.record() {
            Some(Record::Document(d)) if d.slug == slug => Ok(Some(d.clone())),
            _ => self.inner.document(slug),
        }
    }
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError> {
        match self.draft.record() {
            Some(Record::Body(b)) if b.slug == slug => Ok(Some(b.clone())),
            _ => self.inner.body(slug),
        }
    }
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError> {
        match self.draft.record() {
            Some(Record::Person(p)) if p.slug == slug => Ok(Some(p.clone())),
            _ => self.inner.person(slug),
        }
    }
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError> {
        match self.draft.record() {
            Some(Record::Event(e)) if e.slug == slug => Ok(Some(e.clone())),
            _ => self.inner.event(slug),
        }
    }
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError> {
        match self.draft.record() {
            Some(Record::Topic(t)) if t.slug == slug => Ok(Some(t.clone())),
            _ => self.inner.topic(slug),
        }
    }
    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError> {
        self.inner.stamps(record, slug)
    }
    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError> {
        self.inner.documents(q)
    }
    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.inner.events(q)
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
        if self.is(record, slug) {
            return Ok(Some(self.draft.title().to_string()));
        }
        self.inner.title_of(record, slug)
    }
    fn cards(&self, record: RecordType, slugs: &[&str]) -> Result<Vec<RecordCard>, StoreError> {
        let mine = slugs.iter().any(|s| self.is(record, s));
        let mut out: Vec<RecordCard> = self
            .inner
            .cards(record, slugs)?
            .into_iter()
            .filter(|c| !(mine && self.is(c.record, &c.slug)))
            .collect();
        if mine {
            out.push(self.draft.card());
        }
        Ok(out)
    }
    fn document_cards(&self, q: &DocumentQuery) -> Result<Vec<RecordCard>, StoreError> {
        self.inner.document_cards(q)
    }
    fn event_cards(&self, q: &EventQuery) -> Result<Vec<RecordCard>, StoreError> {
        self.inner.event_cards(q)
    }
    fn document_cards_head(
        &self,
        q: &DocumentQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        self.inner.document_cards_head(q, limit)
    }
    fn event_cards_head(
        &self,
        q: &EventQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        self.inner.event_cards_head(q, limit)
    }
    fn cards_in_dossier(
        &self,
        record: RecordType,
        dossier: &str,
    ) -> Result<Vec<RecordCard>, StoreError> {
        self.inner.cards_in_dossier(record, dossier)
    }
    fn chronology_heads(&self, dossier: &str) -> Result<Vec<RecordCard>, StoreError> {
        self.inner.chronology_heads(dossier)
    }
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> Result<(Vec<LinkedCard>, usize), StoreError> {
        self.inner
            .backlink_cards_head(record, slug, from, rels, limit)
    }
    fn sections_of(&self, dossiers: &[&str]) -> Result<Vec<SectionCitation>, StoreError> {
        self.inner.sections_of(dossiers)
    }
    fn delete(&self, _: RecordType, _: &str) -> Result<bool, StoreError> {
        Err(read_only())
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
    ) -> Result<HashSet<(RecordType, String)>, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_stands_in_for_its_record_only() {
        let store = SqliteStore::in_memory().unwrap();
        let archive = dossier_ingest_free_archive();
        store.write(&archive).unwrap();
        let json = r#"{"slug":"a","title":"Draft title","kind":"treaty","date":"1999-05"}"#;
        let preview = DraftStore {
            inner: &store,
            draft: Draft::read(RecordType::Document, json).unwrap(),
        };
        let a = preview.document("a").unwrap().unwrap();
        assert_eq!(a.title, "Draft title");
        assert_eq!(preview.document("b").unwrap().unwrap().title, "B");
        assert_eq!(
            preview
                .title_of(RecordType::Document, "a")
                .unwrap()
                .as_deref(),
            Some("Draft title")
        );
        let cards = preview.cards(RecordType::Document, &["a", "b"]).unwrap();
        assert_eq!(cards.len(), 2);
        assert!(cards
            .iter()
            .any(|c| c.slug == "a" && c.date.as_deref() == Some("1999-05")));
        assert!(preview.write(&Archive::default()).is_err());
        assert!(preview.delete(RecordType::Document, "a").is_err());
        assert!(preview.revisions().is_none() && preview.accounts().is_none());
    }

    fn dossier_ingest_free_archive() -> Archive {
        let doc = |slug: &str, title: &str| -> Document {
            serde_json::from_value(
                serde_json::json!({"slug": slug, "title": title, "kind": "treaty"}),
            )
            .unwrap()
        };
        Archive {
            documents: vec![doc("a", "A"), doc("b", "B")],
            ..Archive::default()
        }
    }
}
