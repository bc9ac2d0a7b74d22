//! How many store reads a page costs: bounded, whatever the number of records it lists.
//! A counting wrapper stands between the views and a real SQLite store.

use super::*;
use dossier_model::{Archive, Body, Document, Dossier, Event, Person, Record, Topic};
use dossier_store::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A store that counts the calls made to it and answers from a real one.
struct Counting {
    inner: SqliteStore,
    calls: AtomicUsize,
}

impl Counting {
    fn count(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
    fn tick(&self) -> &SqliteStore {
        self.calls.fetch_add(1, Ordering::Relaxed);
        &self.inner
    }
}

type R<T> = std::result::Result<T, StoreError>;

impl Store for Counting {
    fn write(&self, archive: &Archive) -> R<WriteSummary> {
        self.tick().write(archive)
    }
    fn is_empty(&self) -> R<bool> {
        self.tick().is_empty()
    }
    fn exists(&self, record: RecordType, slug: &str) -> R<bool> {
        self.tick().exists(record, slug)
    }
    fn dossiers(&self) -> R<Vec<DossierSummary>> {
        self.tick().dossiers()
    }
    fn dossier(&self, slug: &str) -> R<Option<Dossier>> {
        self.tick().dossier(slug)
    }
    fn document(&self, slug: &str) -> R<Option<Document>> {
        self.tick().document(slug)
    }
    fn body(&self, slug: &str) -> R<Option<Body>> {
        self.tick().body(slug)
    }
    fn person(&self, slug: &str) -> R<Option<Person>> {
        self.tick().person(slug)
    }
    fn event(&self, slug: &str) -> R<Option<Event>> {
        self.tick().event(slug)
    }
    fn topic(&self, slug: &str) -> R<Option<Topic>> {
        self.tick().topic(slug)
    }
    fn record(&self, record: RecordType, slug: &str) -> R<Option<Record>> {
        self.tick().record(record, slug)
    }
    fn stamps(&self, record: RecordType, slug: &str) -> R<Option<Stamps>> {
        self.tick().stamps(record, slug)
    }
    fn documents(&self, q: &DocumentQuery) -> R<Vec<Document>> {
        self.tick().documents(q)
    }
    fn events(&self, q: &EventQuery) -> R<Vec<Event>> {
        self.tick().events(q)
    }
    fn bodies(&self, dossier: Option<&str>) -> R<Vec<Body>> {
        self.tick().bodies(dossier)
    }
    fn people(&self, dossier: Option<&str>) -> R<Vec<Person>> {
        self.tick().people(dossier)
    }
    fn topics(&self, dossier: Option<&str>) -> R<Vec<Topic>> {
        self.tick().topics(dossier)
    }
    fn citations(&self, record: RecordType, slug: &str) -> R<Vec<SectionCitation>> {
        self.tick().citations(record, slug)
    }
    fn backlinks(&self, record: RecordType, slug: &str) -> R<Vec<Backlink>> {
        self.tick().backlinks(record, slug)
    }
    fn title_of(&self, record: RecordType, slug: &str) -> R<Option<String>> {
        self.tick().title_of(record, slug)
    }
    fn cards(&self, record: RecordType, slugs: &[&str]) -> R<Vec<RecordCard>> {
        self.tick().cards(record, slugs)
    }
    fn document_cards(&self, q: &DocumentQuery) -> R<Vec<RecordCard>> {
        self.tick().document_cards(q)
    }
    fn event_cards(&self, q: &EventQuery) -> R<Vec<RecordCard>> {
        self.tick().event_cards(q)
    }
    fn document_cards_head(&self, q: &DocumentQuery, limit: usize) -> R<(Vec<RecordCard>, usize)> {
        self.tick().document_cards_head(q, limit)
    }
    fn document_cards_heads(
        &self,
        queries: &[DocumentQuery],
        limit: usize,
    ) -> R<Vec<(Vec<RecordCard>, usize)>> {
        self.tick().document_cards_heads(queries, limit)
    }
    fn chronology_heads(&self, dossier: &str) -> R<Vec<RecordCard>> {
        self.tick().chronology_heads(dossier)
    }
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> R<(Vec<LinkedCard>, usize)> {
        self.tick()
            .backlink_cards_head(record, slug, from, rels, limit)
    }
    fn event_cards_head(&self, q: &EventQuery, limit: usize) -> R<(Vec<RecordCard>, usize)> {
        self.tick().event_cards_head(q, limit)
    }
    fn cards_in_dossier(&self, record: RecordType, dossier: &str) -> R<Vec<RecordCard>> {
        self.tick().cards_in_dossier(record, dossier)
    }
    fn sections_of(&self, dossiers: &[&str]) -> R<Vec<SectionCitation>> {
        self.tick().sections_of(dossiers)
    }
    fn delete(&self, record: RecordType, slug: &str) -> R<bool> {
        self.tick().delete(record, slug)
    }
    fn changes_since(&self, seq: i64, limit: usize) -> R<Vec<Change>> {
        self.tick().changes_since(seq, limit)
    }
    fn last_change(&self) -> R<i64> {
        self.tick().last_change()
    }
    fn changed_at_or_before(&self, seq: i64, upto: i64) -> R<HashSet<(RecordType, String)>> {
        self.tick().changed_at_or_before(seq, upto)
    }
    fn tombstones(&self, record: RecordType) -> R<Vec<Tombstone>> {
        self.tick().tombstones(record)
    }
    fn collections(&self) -> R<Vec<(dossier_model::Collection, usize)>> {
        self.tick().collections()
    }
    fn collection(&self, slug: &str) -> R<Option<dossier_model::Collection>> {
        self.tick().collection(slug)
    }
    fn collection_cards(&self, slug: &str, record: RecordType) -> R<Vec<RecordCard>> {
        self.tick().collection_cards(slug, record)
    }
    fn collection_documents(&self, slug: &str) -> R<Vec<Document>> {
        self.tick().collection_documents(slug)
    }
}

const DOSSIER: &str = "nato-russia";
/// The body of the built-in dossier's generated list "Meetings of the Permanent Joint
/// Council" (events held by it).
const BODY: &str = "pjc";

/// The built-in dossier plus `extra` meetings of the PJC and `extra` documents it issued,
/// each a copy of a built-in one under a new slug.
fn store_with(extra: usize) -> Counting {
    let mut a = dossier_ingest::builtin::archive().unwrap();
    let event = a
        .events
        .iter()
        .find(|e| e.bodies.iter().any(|b| b == BODY))
        .expect("a built-in PJC meeting")
        .clone();
    let doc = a.documents[0].clone();
    for i in 0..extra {
        let mut e = event.clone();
        e.slug = format!("extra-meeting-{i}");
        e.title = format!("Extra meeting {i}");
        a.events.push(e);
        let mut d = doc.clone();
        d.slug = format!("extra-document-{i}");
        d.title = format!("Extra document {i}");
        d.issued_by = vec![BODY.into()];
        d.relations.clear();
        a.documents.push(d);
    }
    let inner = SqliteStore::in_memory().unwrap();
    inner.write(&a).unwrap();
    Counting {
        inner,
        calls: AtomicUsize::new(0),
    }
}

/// The store calls that building each page made.
fn calls(store: &Counting) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    let mut measure = |name: &'static str, build: &dyn Fn(&Counting)| {
        let before = store.count();
        build(store);
        out.push((name, store.count() - before));
    };
    measure("dossier", &|s| {
        dossier(s, DOSSIER).unwrap().unwrap();
    });
    measure("body", &|s| {
        body(s, BODY).unwrap().unwrap();
    });
    measure("event", &|s| {
        event(s, "extra-meeting-0").unwrap().unwrap();
    });
    measure("document", &|s| {
        document(s, "extra-document-0").unwrap().unwrap();
    });
    out
}

#[test]
fn pages_cost_the_same_number_of_store_reads_however_many_records_they_list() {
    let few = calls(&store_with(3));
    let many = calls(&store_with(150));
    assert_eq!(few, many, "store calls per page, 3 extra records vs 150");
    for (page, n) in &many {
        // The dossier's page reads one list per generated list of its outline (six in
        // the built-in dossier) and a fixed handful besides.
        let bound = if *page == "dossier" { 20 } else { 10 };
        assert!(*n <= bound, "the {page} page made {n} store calls");
    }
}

/// Lists asked together (a dossier's, read once for those filtered by kind alone) are
/// the lists asked one by one.
#[test]
fn lists_asked_together_are_the_lists_asked_alone() {
    let store = store_with(60);
    let of_dossier = |kinds: &[&str], bodies: &[&str]| DocumentQuery {
        dossier: Some(DOSSIER.into()),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        bodies: bodies.iter().map(|b| b.to_string()).collect(),
    };
    let kind = store.inner.document_cards(&of_dossier(&[], &[])).unwrap()[0]
        .kind
        .clone();
    let queries = [
        of_dossier(&[&kind], &[]),
        of_dossier(&[], &[BODY]),
        of_dossier(&[], &[]),
        of_dossier(&["speech", &kind], &[]),
        of_dossier(&["no-such-kind"], &[]),
        DocumentQuery::default(),
    ];
    for limit in [0, 3, 50, 1000] {
        let together = store.inner.document_cards_heads(&queries, limit).unwrap();
        let alone: Vec<_> = queries
            .iter()
            .map(|q| store.inner.document_cards_head(q, limit).unwrap())
            .collect();
        assert_eq!(together, alone, "limit {limit}");
    }
    assert!(
        store
            .inner
            .document_cards_head(&queries[2], 1000)
            .unwrap()
            .1
            > 60
    );
}

#[test]
fn long_lists_show_their_first_records_and_count_them_all() {
    let store = store_with(150);
    let b = body(&store, BODY).unwrap().unwrap();
    assert_eq!(b.events.len(), BODY_LIST_PREVIEW);
    assert!(b.events_total > 150, "{}", b.events_total);
    assert_eq!(b.documents.len(), BODY_LIST_PREVIEW);
    assert!(b.documents_total >= 150, "{}", b.documents_total);
    assert!(b.events.iter().all(|e| e.rel.as_deref() == Some("held-by")));
    assert_eq!(
        b.more.iter().map(|m| m.url.as_str()).collect::<Vec<_>>(),
        ["/dossiers/nato-russia/chronology?body=pjc"]
    );

    let d = dossier(&store, DOSSIER).unwrap().unwrap();
    let lists: Vec<&ListView> = all_lists(&d.sections);
    let meetings = lists
        .iter()
        .find(|l| l.query.bodies == [BODY] && l.of == dossier_model::ListOf::Events)
        .expect("the PJC's meetings");
    assert_eq!(meetings.items.len(), LIST_PREVIEW);
    assert!(meetings.total > 150);
    assert_eq!(
        meetings.more_url.as_deref(),
        Some("/dossiers/nato-russia/chronology?body=pjc")
    );
    // The chronology lists the PJC's documents beside its meetings: more than the list.
    assert_eq!(meetings.more_exact, Some(false));
    // A short list is whole, with no link onwards.
    let short = lists.iter().find(|l| l.total <= LIST_PREVIEW).unwrap();
    assert_eq!(short.items.len(), short.total);
    assert!(short.more_url.is_none());
}

#[test]
fn cards_link_as_whole_records_do() {
    // A page's links read from cards are what links read from whole records were.
    let store = store_with(0);
    let docs = store.inner.documents(&DocumentQuery::default()).unwrap();
    let events = store.inner.events(&EventQuery::default()).unwrap();
    let doc_cards = store
        .inner
        .document_cards(&DocumentQuery::default())
        .unwrap();
    let event_cards = store.inner.event_cards(&EventQuery::default()).unwrap();
    assert_eq!(docs.len(), doc_cards.len());
    for (d, c) in docs.iter().zip(&doc_cards) {
        assert_eq!(c, &RecordCard::of_document(d));
        let link = links::card_link(c);
        assert_eq!(link.kind_label.as_deref(), Some(d.kind.label()));
        assert_eq!(link.date_human, d.date.map(|x| x.human()));
        let codes: Vec<&str> = link.badges.iter().map(|b| b.code).collect();
        let expected: Vec<&str> = links::badges(d).iter().map(|b| b.code).collect();
        assert_eq!(codes, expected);
    }
    assert_eq!(events.len(), event_cards.len());
    for (e, c) in events.iter().zip(&event_cards) {
        assert_eq!(c, &RecordCard::of_event(e));
        assert_eq!(
            links::card_link(c).kind_label.as_deref(),
            Some(e.kind.label())
        );
    }
    // Filtered as the whole-record queries filter, for every filter a list can have.
    let events = EventQuery {
        dossier: Some(DOSSIER.into()),
        bodies: vec![BODY.into()],
        ..Default::default()
    };
    let event_slugs = |q: &EventQuery| {
        let whole: Vec<String> = store
            .inner
            .events(q)
            .unwrap()
            .into_iter()
            .map(|e| e.slug)
            .collect();
        let cards: Vec<String> = store
            .inner
            .event_cards(q)
            .unwrap()
            .into_iter()
            .map(|e| e.slug)
            .collect();
        assert!(!whole.is_empty(), "{q:?}");
        assert_eq!(whole, cards, "{q:?}");
        // The head is the list's beginning, with the list's length.
        for limit in [0, 1, whole.len(), whole.len() + 1] {
            let (head, total) = store.inner.event_cards_head(q, limit).unwrap();
            assert_eq!(total, whole.len(), "{q:?}");
            assert_eq!(
                head,
                store.inner.event_cards(q).unwrap()[..limit.min(total)],
                "{q:?}"
            );
        }
    };
    event_slugs(&events);
    let level = store
        .inner
        .events(&EventQuery::default())
        .unwrap()
        .iter()
        .find_map(|e| e.level)
        .expect("a built-in event with a level");
    event_slugs(&EventQuery {
        levels: vec![level.slug().into()],
        ..Default::default()
    });
    let doc_slugs = |q: &DocumentQuery| {
        let whole: Vec<String> = store
            .inner
            .documents(q)
            .unwrap()
            .into_iter()
            .map(|e| e.slug)
            .collect();
        let cards: Vec<String> = store
            .inner
            .document_cards(q)
            .unwrap()
            .into_iter()
            .map(|e| e.slug)
            .collect();
        assert!(!whole.is_empty(), "{q:?}");
        assert_eq!(whole, cards, "{q:?}");
        for limit in [0, 1, whole.len(), whole.len() + 1] {
            let (head, total) = store.inner.document_cards_head(q, limit).unwrap();
            assert_eq!(total, whole.len(), "{q:?}");
            assert_eq!(
                head,
                store.inner.document_cards(q).unwrap()[..limit.min(total)],
                "{q:?}"
            );
        }
    };
    doc_slugs(&DocumentQuery {
        dossier: Some(DOSSIER.into()),
        kinds: vec!["speech".into()],
        ..Default::default()
    });
    // A body that is party to a document, and one that issued one.
    for body in [
        docs.iter().find_map(|d| d.parties.first()),
        docs.iter().find_map(|d| d.issued_by.first()),
    ] {
        doc_slugs(&DocumentQuery {
            bodies: vec![body.expect("a built-in document with a body").clone()],
            ..Default::default()
        });
    }
}

fn all_lists(sections: &[SectionView]) -> Vec<&ListView> {
    sections
        .iter()
        .flat_map(|s| s.lists.iter().chain(all_lists(&s.children)))
        .collect()
}
