//! OAI-PMH over real HTTP: every response validated against the protocol's schemas (with
//! xmllint; see tests/fixtures/oai-pmh/README.md), a full harvest through resumption
//! tokens, sets, from/until, deleted records, and every error code; bodies and people in
//! `oai_dc` and `eac-cpf` (validated against the EAC-CPF schema, tests/fixtures/eac-cpf),
//! and the identifier of a merged-away person resolving to the survivor.

mod common;

use common::xml::{parse, validate, Node};
use common::TestServer;
use dossier_model::RecordType;
use dossier_model::*;
use dossier_publish::site::Site;
use dossier_store::{SqliteStore, Store};
use std::collections::BTreeSet;
use std::sync::LazyLock;

const SCHEMA: &str = "tests/fixtures/oai-pmh/harvest.xsd";
const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quotes' \u{1} ]]> <!-- -->";
const BULK: usize = 230;
/// Generated people, enough for two pages of an `eac-cpf` harvest.
const BULK_PEOPLE: usize = 120;

fn person(slug: &str, name: &str) -> Person {
    Person {
        slug: slug.into(),
        name: name.into(),
        aliases: vec![],
        offices: vec![],
        summary: None,
        identifiers: vec![],
        dossiers: vec![],
        collections: vec![],
        provenance: Provenance::default(),
    }
}

fn doc(slug: &str, title: &str, kind: DocumentKind, dossier: &str) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: title.into(),
        aliases: vec![],
        kind,
        date: Some(Edtf::parse("2003-04-05").unwrap()),
        place: None,
        issued_by: vec![],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec![],
        summary: None,
        relations: vec![],
        dossiers: vec![dossier.into()],
        topics: vec![],
        provenance: Provenance::default(),
    }
}

/// The built-in dossier, a bulk dossier of generated documents (enough for three pages),
/// a document with hostile text, and two deleted documents (one of the bulk dossier, one
/// of the built-in dossier); generated people, a person and a body with hostile names,
/// and a person merged into another.
fn fill(store: &SqliteStore) {
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    let mut documents: Vec<Document> = (0..BULK)
        .map(|i| {
            doc(
                &format!("bulk-{i:03}"),
                &format!("Generated statement {i}"),
                DocumentKind::Statement,
                "bulk",
            )
        })
        .collect();
    let mut hostile = doc("hostile", HOSTILE, DocumentKind::Declaration, "bulk");
    hostile.summary = Some(HOSTILE.into());
    hostile.aliases = vec![HOSTILE.into()];
    documents.push(hostile);
    documents.push(doc("gone-1", "Deleted one", DocumentKind::Letter, "bulk"));
    documents.push(doc(
        "gone-2",
        "Deleted two",
        DocumentKind::Letter,
        "nato-russia",
    ));
    store
        .write(&Archive {
            dossiers: vec![Dossier {
                queries: Vec::new(),
                stale_after_years: None,
                slug: "bulk".into(),
                title: "Bulk & <generated> records".into(),
                description: String::new(),
                source: None,
                sections: vec![],
            }],
            documents,
            ..Default::default()
        })
        .unwrap();
    assert!(store.delete(RecordType::Document, "gone-1").unwrap());
    assert!(store.delete(RecordType::Document, "gone-2").unwrap());

    let mut people: Vec<Person> = (0..BULK_PEOPLE)
        .map(|i| person(&format!("bulk-person-{i:03}"), &format!("Person {i}")))
        .collect();
    let mut hostile = person("hostile-person", HOSTILE);
    hostile.aliases = vec![HOSTILE.into()];
    hostile.summary = Some(HOSTILE.into());
    people.push(hostile);
    let mut from = person("merged-away", "Jane Roe");
    from.identifiers = vec![ExternalId::new(IdScheme::Viaf, "124960346").unwrap()];
    people.push(from);
    people.push(person("survivor", "Jane M. Roe"));
    let mut body: Body = serde_json::from_value(serde_json::json!({
        "slug": "hostile-body", "name": HOSTILE, "kind": "organisation",
        "acronyms": [HOSTILE], "summary": HOSTILE, "format": HOSTILE,
        "sources": [{"title": HOSTILE, "url": "https://example.org/?a=1&b=2"}],
    }))
    .unwrap();
    body.identifiers = vec![ExternalId::new(IdScheme::Wikidata, "Q42").unwrap()];
    store
        .write(&Archive {
            people,
            bodies: vec![body],
            ..Default::default()
        })
        .unwrap();
    store
        .merges()
        .expect("SQLite merges")
        .merge(
            RecordType::Person,
            "merged-away",
            "survivor",
            &dossier_store::Author::cli(),
            "the same person",
        )
        .unwrap();
}

static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with_app(fill, |state| {
        state.with_site(
            Site::new("https://archive.example.org/")
                .unwrap()
                .with_admin_email("archive@example.org")
                .unwrap(),
        )
    })
});

fn live_documents() -> usize {
    SERVER.store.documents(&Default::default()).unwrap().len()
}

/// Bodies and people, live.
fn live_agents() -> usize {
    SERVER.store.bodies(None).unwrap().len() + SERVER.store.people(None).unwrap().len()
}

/// Every live item: documents, bodies, people.
fn live_items() -> usize {
    live_documents() + live_agents()
}

/// Deleted items: two documents and the person merged away.
const DELETED: usize = 3;

/// GETs /oai?{query}; checks the status, the media type, well-formedness and the schema.
fn oai(query: &str) -> (String, Node) {
    oai_on(&SERVER, query)
}

fn oai_on(server: &TestServer, query: &str) -> (String, Node) {
    let (status, ct, body) = server.get(&format!("/oai?{query}"));
    assert_eq!(status, 200, "{query}: {body}");
    assert!(ct.starts_with("text/xml"), "{ct}");
    let root = parse(&body);
    assert_eq!(root.name, "OAI-PMH");
    assert_eq!(
        root.attr("xmlns"),
        Some("http://www.openarchives.org/OAI/2.0/")
    );
    validate(&body, SCHEMA);
    (body, root)
}

fn error_code(root: &Node) -> Option<String> {
    root.child("error")
        .and_then(|e| e.attr("code"))
        .map(str::to_string)
}

/// The response with its volatile parts (time of the response, today's datestamps, the
/// times of EAC-CPF maintenance events) replaced, for snapshots.
fn redacted(xml: &str) -> String {
    let re = regex::Regex::new(
        r"<(responseDate|datestamp|earliestDatestamp)>[^<]*</(responseDate|datestamp|earliestDatestamp)>",
    )
    .unwrap();
    let xml = re.replace_all(xml, "<$1>[redacted]</$2>");
    // EAC-CPF's maintenance events carry the time the record was written.
    let event = regex::Regex::new(r"<eventDateTime[^>]*>[^<]*</eventDateTime>").unwrap();
    event
        .replace_all(&xml, "<eventDateTime>[redacted]</eventDateTime>")
        .into_owned()
}

#[test]
fn identify_and_metadata_formats() {
    let (body, root) = oai("verb=Identify");
    let id = root.child("Identify").expect("Identify");
    assert_eq!(id.text_of("protocolVersion"), Some("2.0"));
    assert_eq!(
        id.text_of("baseURL"),
        Some("https://archive.example.org/oai")
    );
    assert_eq!(id.text_of("adminEmail"), Some("archive@example.org"));
    assert_eq!(id.text_of("deletedRecord"), Some("persistent"));
    assert_eq!(id.text_of("granularity"), Some("YYYY-MM-DD"));
    insta::assert_snapshot!("identify", redacted(&body));

    let (body, root) = oai("verb=ListMetadataFormats");
    let f = &root
        .child("ListMetadataFormats")
        .unwrap()
        .all("metadataFormat");
    let prefixes = |root: &Node| -> Vec<String> {
        root.find("metadataPrefix")
            .iter()
            .map(|p| p.text.clone())
            .collect()
    };
    assert_eq!(f.len(), 2);
    assert_eq!(prefixes(&root), ["oai_dc", "eac-cpf"]);
    assert_eq!(
        f[1].text_of("metadataNamespace"),
        Some("urn:isbn:1-931666-33-4")
    );
    insta::assert_snapshot!("list-metadata-formats", redacted(&body));
    // A document has Dublin Core only; a body or person both.
    let (_, root) = oai(
        "verb=ListMetadataFormats&identifier=oai:archive.example.org:document/founding-act-1997",
    );
    assert_eq!(prefixes(&root), ["oai_dc"]);
    let (_, root) = oai("verb=ListMetadataFormats&identifier=oai:archive.example.org:body/nato");
    assert_eq!(prefixes(&root), ["oai_dc", "eac-cpf"]);
    let (_, root) =
        oai("verb=ListMetadataFormats&identifier=oai:archive.example.org:person/george-robertson");
    assert_eq!(prefixes(&root), ["oai_dc", "eac-cpf"]);
}

#[test]
fn sets_by_dossier_and_kind() {
    let (body, root) = oai("verb=ListSets");
    let specs: Vec<&str> = root
        .find("setSpec")
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    for s in [
        "dossier",
        "dossier:nato-russia",
        "dossier:bulk",
        "kind",
        "kind:declaration",
        "kind:statement",
    ] {
        assert!(specs.contains(&s), "{s} in {specs:?}");
    }
    assert!(body.contains("<setName>Bulk &amp; &lt;generated&gt; records</setName>"));
    insta::assert_snapshot!("list-sets", redacted(&body));
}

/// Follows resumption tokens to the end; returns every header, checking the token's
/// attributes on the way.
fn harvest(verb: &str, args: &str) -> Vec<Node> {
    let (_, first) = oai(&format!("verb={verb}&{args}"));
    let mut headers = Vec::new();
    let mut page = first;
    let mut pages = 0;
    loop {
        pages += 1;
        let list = page
            .child(verb)
            .unwrap_or_else(|| panic!("{verb} page {pages}: {:?}", error_code(&page)));
        let items: Vec<Node> = if verb == "ListRecords" {
            list.all("record")
                .iter()
                .map(|r| r.child("header").unwrap().clone())
                .collect()
        } else {
            list.all("header").into_iter().cloned().collect()
        };
        assert!(items.len() <= 100, "a page holds at most 100");
        let cursor_expected = headers.len();
        headers.extend(items);
        match list.child("resumptionToken") {
            None => {
                assert_eq!(pages, 1, "only a list that fits one page has no token");
                break;
            }
            Some(t) => {
                assert_eq!(
                    t.attr("cursor").unwrap().parse::<usize>().unwrap(),
                    cursor_expected
                );
                let size: usize = t.attr("completeListSize").unwrap().parse().unwrap();
                if t.text.is_empty() {
                    assert_eq!(size, headers.len(), "the complete list was returned");
                    break;
                }
                assert!(size > headers.len());
                let (_, next) = oai(&format!("verb={verb}&resumptionToken={}", t.text));
                page = next;
            }
        }
        assert!(pages < 100, "runaway harvest");
    }
    headers
}

#[test]
fn a_harvester_gets_every_record_through_resumption_tokens() {
    let headers = harvest("ListRecords", "metadataPrefix=oai_dc");
    let expected = live_items() + DELETED;
    assert!(expected > 200, "three pages at least");
    assert_eq!(headers.len(), expected);
    let ids: BTreeSet<&str> = headers
        .iter()
        .map(|h| h.text_of("identifier").unwrap())
        .collect();
    assert_eq!(ids.len(), expected, "no record twice");
    for id in [
        "document/founding-act-1997",
        "document/bulk-000",
        "document/bulk-229",
        "document/hostile",
        "body/nato",
        "body/hostile-body",
        "person/george-robertson",
        "person/bulk-person-119",
    ] {
        assert!(
            ids.contains(format!("oai:archive.example.org:{id}").as_str()),
            "{id}"
        );
    }
    let deleted: Vec<&str> = headers
        .iter()
        .filter(|h| h.attr("status") == Some("deleted"))
        .map(|h| h.text_of("identifier").unwrap())
        .collect();
    assert_eq!(
        deleted,
        [
            "oai:archive.example.org:document/gone-1",
            "oai:archive.example.org:document/gone-2",
            "oai:archive.example.org:person/merged-away",
        ]
    );
    let ids2 = harvest("ListIdentifiers", "metadataPrefix=oai_dc");
    assert_eq!(ids2.len(), expected);
}

#[test]
fn selective_harvests_by_set_and_date() {
    let bulk = harvest("ListIdentifiers", "metadataPrefix=oai_dc&set=dossier:bulk");
    assert_eq!(
        bulk.len(),
        BULK + 2,
        "the generated documents, the hostile one and the deleted one"
    );
    assert!(bulk
        .iter()
        .all(|h| h.all("setSpec").iter().any(|s| s.text == "dossier:bulk")));
    let nato = harvest(
        "ListIdentifiers",
        "metadataPrefix=oai_dc&set=dossier:nato-russia",
    );
    let builtin = dossier_ingest::builtin::archive().unwrap();
    let in_nato = |d: &[String]| d.iter().any(|d| d == "nato-russia");
    let builtin_in_nato = builtin
        .documents
        .iter()
        .filter(|d| in_nato(&d.dossiers))
        .count()
        + builtin
            .bodies
            .iter()
            .filter(|b| in_nato(&b.dossiers))
            .count()
        + builtin
            .people
            .iter()
            .filter(|p| in_nato(&p.dossiers))
            .count();
    assert_eq!(nato.len(), builtin_in_nato + 1, "and the deleted one");
    let agents_in_dossiers = SERVER
        .store
        .bodies(None)
        .unwrap()
        .iter()
        .filter(|b| !b.dossiers.is_empty())
        .count()
        + SERVER
            .store
            .people(None)
            .unwrap()
            .iter()
            .filter(|p| !p.dossiers.is_empty())
            .count();
    let all_in_dossiers = harvest("ListIdentifiers", "metadataPrefix=oai_dc&set=dossier");
    assert_eq!(
        all_in_dossiers.len(),
        live_documents() + 2 + agents_in_dossiers
    );
    // The type sets: documents alone, as before bodies and people were items.
    let documents = harvest("ListIdentifiers", "metadataPrefix=oai_dc&set=type:document");
    assert_eq!(documents.len(), live_documents() + 2);
    let statements = harvest(
        "ListIdentifiers",
        "metadataPrefix=oai_dc&set=kind:statement",
    );
    assert!(statements.len() >= BULK);

    let today = &dossier_publish::time::now()[..10];
    let from_today = harvest(
        "ListIdentifiers",
        &format!("metadataPrefix=oai_dc&from={today}&until={today}"),
    );
    assert_eq!(from_today.len(), live_items() + DELETED);
    let (_, root) = oai("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01");
    assert_eq!(error_code(&root).as_deref(), Some("noRecordsMatch"));
    let (_, root) = oai("verb=ListRecords&metadataPrefix=oai_dc&until=1999-12-31");
    assert_eq!(error_code(&root).as_deref(), Some("noRecordsMatch"));
    let (_, root) = oai("verb=ListRecords&metadataPrefix=oai_dc&set=dossier:no-such-dossier");
    assert_eq!(error_code(&root).as_deref(), Some("noRecordsMatch"));
}

/// The identifiers of the deleted headers, with their sets.
fn deleted_in(headers: &[Node]) -> Vec<(String, Vec<String>)> {
    headers
        .iter()
        .filter(|h| h.attr("status") == Some("deleted"))
        .map(|h| {
            (
                h.text_of("identifier").unwrap().to_string(),
                h.all("setSpec").iter().map(|s| s.text.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn deleted_records_are_reported_in_the_sets_they_were_in() {
    let gone = |slug: &str, sets: &[&str]| {
        (
            format!("oai:archive.example.org:document/{slug}"),
            sets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    // Every page is validated against the schema on the way (see `oai`).
    for verb in ["ListIdentifiers", "ListRecords"] {
        let nato = harvest(verb, "metadataPrefix=oai_dc&set=dossier:nato-russia");
        assert_eq!(
            deleted_in(&nato),
            [gone(
                "gone-2",
                &["dossier:nato-russia", "kind:letter", "type:document"]
            )],
            "{verb}"
        );
        let bulk = harvest(verb, "metadataPrefix=oai_dc&set=dossier:bulk");
        assert_eq!(
            deleted_in(&bulk),
            [gone(
                "gone-1",
                &["dossier:bulk", "kind:letter", "type:document"]
            )]
        );
    }
    let letters = harvest("ListIdentifiers", "metadataPrefix=oai_dc&set=kind:letter");
    assert_eq!(
        deleted_in(&letters),
        [
            gone("gone-1", &["dossier:bulk", "kind:letter", "type:document"]),
            gone(
                "gone-2",
                &["dossier:nato-russia", "kind:letter", "type:document"]
            )
        ]
    );
    let parents = harvest("ListIdentifiers", "metadataPrefix=oai_dc&set=kind");
    assert_eq!(deleted_in(&parents).len(), 2, "a set takes its subsets");
    let statements = harvest(
        "ListIdentifiers",
        "metadataPrefix=oai_dc&set=kind:statement",
    );
    assert!(deleted_in(&statements).is_empty(), "not in other sets");
    // Day-restricted as well: deleted today.
    let today = &dossier_publish::time::now()[..10];
    let (_, root) = oai(&format!(
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=kind:letter&from={today}"
    ));
    let headers: Vec<Node> = root
        .child("ListIdentifiers")
        .unwrap()
        .all("header")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(deleted_in(&headers).len(), 2);
    for h in &headers {
        assert_eq!(h.text_of("datestamp"), Some(today));
    }
    // GetRecord says the same.
    let (_, root) = oai(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/gone-2",
    );
    let header = root.find("header")[0].clone();
    assert_eq!(
        deleted_in(&[header]),
        [gone(
            "gone-2",
            &["dossier:nato-russia", "kind:letter", "type:document"]
        )]
    );
}

#[test]
fn get_record_maps_a_document_to_dublin_core() {
    let (body, root) = oai(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/founding-act-1997",
    );
    let dc = root.find("oai_dc:dc");
    assert_eq!(dc.len(), 1);
    let values = |e: &str| -> Vec<String> { dc[0].all(e).iter().map(|n| n.text.clone()).collect() };
    assert_eq!(
        values("dc:title")[0],
        "Founding Act on Mutual Relations, Cooperation and Security between NATO and the Russian Federation"
    );
    assert!(
        values("dc:title").contains(&"Founding Act".to_string()),
        "aliases"
    );
    assert_eq!(values("dc:date"), ["1997-05-27"]);
    assert_eq!(values("dc:type"), ["Text", "Founding act"]);
    assert_eq!(
        values("dc:identifier"),
        ["https://archive.example.org/documents/founding-act-1997"]
    );
    assert_eq!(
        values("dc:contributor"),
        ["North Atlantic Treaty Organization", "Russian Federation"]
    );
    assert!(values("dc:description")
        .iter()
        .any(|d| d.contains("Not legally binding")));
    insta::assert_snapshot!("get-record-founding-act", redacted(&body));

    let (_, root) = oai(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/gone-1",
    );
    let record = &root.find("record")[0];
    assert_eq!(
        record.child("header").unwrap().attr("status"),
        Some("deleted")
    );
    assert!(
        record.child("metadata").is_none(),
        "a deleted record has no metadata"
    );
}

#[test]
fn hostile_text_stays_text() {
    let (body, root) = oai(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/hostile",
    );
    assert!(!body.contains("<script"), "{body}");
    let clean = HOSTILE.replace('\u{1}', "");
    let titles: Vec<&str> = root
        .find("dc:title")
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(titles, [clean.as_str(), clean.as_str()]);
}

#[test]
fn post_requests_are_answered_like_get() {
    let (status, _, body) = SERVER.request(
        "POST",
        "/oai",
        &[],
        Some((
            "application/x-www-form-urlencoded",
            "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Aarchive.example.org%3Adocument%2Ffounding-act-1997",
        )),
    );
    assert_eq!(status, 200);
    validate(&body, SCHEMA);
    assert!(parse(&body).find("oai_dc:dc").len() == 1, "{body}");
}

/// Each error: the code, the request element (bare after badVerb and badArgument, as
/// the protocol says), and schema validity.
#[test]
fn every_error_code() {
    let cases: &[(&str, &str)] = &[
        ("", "badVerb"),
        ("verb=Frobnicate", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2002-02-30", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2002-01-01T00:00:00Z", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2003-01-01&until=2002-01-01", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=a%20b", "badArgument"),
        ("verb=ListRecords&metadataPrefix=bad%20prefix", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
        ("verb=GetRecord&identifier=oai:archive.example.org:document/founding-act-1997", "badArgument"),
        ("verb=ListRecords&resumptionToken=not-a-token", "badResumptionToken"),
        ("verb=ListSets&resumptionToken=anything", "badResumptionToken"),
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=GetRecord&metadataPrefix=mods&identifier=oai:archive.example.org:document/founding-act-1997", "cannotDisseminateFormat"),
        ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/nope", "idDoesNotExist"),
        ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:elsewhere.org:document/founding-act-1997", "idDoesNotExist"),
        ("verb=ListMetadataFormats&identifier=not%20an%20identifier", "idDoesNotExist"),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
        ("verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:document/founding-act-1997", "cannotDisseminateFormat"),
        ("verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:body/no-such-body", "idDoesNotExist"),
        ("verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:event/founding-act-signed-1997", "idDoesNotExist"),
        ("verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:body/..%2Fx", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=eac-cpf&set=type:document", "noRecordsMatch"),
        ("verb=ListRecords&metadataPrefix=EAC-CPF", "cannotDisseminateFormat"),
    ];
    for (query, code) in cases {
        let (body, root) = oai(query);
        assert_eq!(error_code(&root).as_deref(), Some(*code), "{query}: {body}");
        let request = root.child("request").unwrap();
        assert_eq!(request.text, "https://archive.example.org/oai");
        if matches!(*code, "badVerb" | "badArgument") {
            assert!(request.attrs.is_empty(), "{query}: bare request element");
        } else {
            assert!(request.attr("verb").is_some(), "{query}: arguments echoed");
        }
    }
}

#[test]
fn resumption_tokens_are_tamper_evident_and_tied_to_their_verb() {
    let (_, root) = oai("verb=ListIdentifiers&metadataPrefix=oai_dc");
    let token = root.find("resumptionToken")[0].text.clone();
    assert!(!token.is_empty());
    // A token of ListIdentifiers does not continue ListRecords.
    let (_, r) = oai(&format!("verb=ListRecords&resumptionToken={token}"));
    assert_eq!(error_code(&r).as_deref(), Some("badResumptionToken"));
    // Change one character of the payload: the signature no longer matches.
    let mut forged: Vec<char> = token.chars().collect();
    forged[3] = if forged[3] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (_, r) = oai(&format!("verb=ListIdentifiers&resumptionToken={forged}"));
    assert_eq!(error_code(&r).as_deref(), Some("badResumptionToken"));
    // Another server (another key) does not accept it either.
    let other = TestServer::with(fill_small);
    let (_, r) = oai_on(
        &other,
        &format!("verb=ListIdentifiers&resumptionToken={token}"),
    );
    assert_eq!(error_code(&r).as_deref(), Some("badResumptionToken"));
}

fn fill_small(store: &SqliteStore) {
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
}

#[test]
fn an_empty_archive_has_no_set_hierarchy() {
    let empty = TestServer::with(|_| {});
    let (_, root) = oai_on(&empty, "verb=ListSets");
    assert_eq!(error_code(&root).as_deref(), Some("noSetHierarchy"));
    let (_, root) = oai_on(
        &empty,
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=kind:treaty",
    );
    assert_eq!(error_code(&root).as_deref(), Some("noSetHierarchy"));
    let (_, root) = oai_on(&empty, "verb=ListRecords&metadataPrefix=oai_dc");
    assert_eq!(error_code(&root).as_deref(), Some("noRecordsMatch"));
    let (_, root) = oai_on(&empty, "verb=Identify");
    assert!(root.child("Identify").is_some());
}

/// `eac-cpf`: bodies and people only, every page valid against the EAC-CPF schema (the
/// harvest driver imports it), through resumption tokens that remember the format.
#[test]
fn a_harvest_in_eac_cpf_lists_bodies_and_people() {
    let expected = live_agents() + 1; // and the person merged away, deleted
    assert!(expected > 100, "two pages at least");
    for verb in ["ListRecords", "ListIdentifiers"] {
        let headers = harvest(verb, "metadataPrefix=eac-cpf");
        assert_eq!(headers.len(), expected, "{verb}");
        for h in &headers {
            let id = h.text_of("identifier").unwrap();
            assert!(
                id.starts_with("oai:archive.example.org:body/")
                    || id.starts_with("oai:archive.example.org:person/"),
                "{id}"
            );
        }
        assert_eq!(
            deleted_in(&headers),
            [(
                "oai:archive.example.org:person/merged-away".to_string(),
                vec!["type:person".to_string()]
            )]
        );
    }
    // A token of an eac-cpf list goes on in eac-cpf.
    let (_, root) = oai("verb=ListRecords&metadataPrefix=eac-cpf");
    let token = root.find("resumptionToken")[0].text.clone();
    let (_, next) = oai(&format!("verb=ListRecords&resumptionToken={token}"));
    let records = next.child("ListRecords").unwrap().all("record");
    assert!(records.iter().all(|r| r
        .child("metadata")
        .is_none_or(|m| m.child("eac-cpf").is_some())));
    // A set narrows it like any list.
    let nato = harvest(
        "ListIdentifiers",
        "metadataPrefix=eac-cpf&set=dossier:nato-russia",
    );
    assert!(nato
        .iter()
        .any(|h| h.text_of("identifier") == Some("oai:archive.example.org:body/nato")));
    assert!(nato
        .iter()
        .all(|h| !h.text_of("identifier").unwrap().contains(":document/")));
}

#[test]
fn get_record_in_eac_cpf_describes_a_body() {
    let (body, root) =
        oai("verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:body/nato");
    let eac = &root.find("eac-cpf")[0];
    assert_eq!(eac.attr("xmlns"), Some("urn:isbn:1-931666-33-4"));
    assert_eq!(root.find("recordId")[0].text, "body-nato");
    assert_eq!(root.find("entityType")[0].text, "corporateBody");
    let ids: Vec<&str> = root
        .find("entityId")
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(ids, ["https://www.wikidata.org/entity/Q7184"]);
    let names: Vec<&str> = root.find("part").iter().map(|n| n.text.as_str()).collect();
    assert_eq!(names[0], "North Atlantic Treaty Organization");
    assert!(names.contains(&"NATO"), "{names:?}");
    assert_eq!(
        root.find("fromDate")[0].attr("standardDate"),
        Some("1949-04-04"),
        "{body}"
    );
    insta::assert_snapshot!("get-record-eac-nato", redacted(&body));
}

/// Dublin Core of a body: its page and its authority identifiers as `dc:identifier`.
#[test]
fn get_record_in_dublin_core_carries_a_body_s_identifiers() {
    let (_, root) =
        oai("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:body/nato");
    let values = |e: &str| -> Vec<String> { root.find(e).iter().map(|n| n.text.clone()).collect() };
    assert_eq!(
        values("dc:identifier"),
        [
            "https://archive.example.org/bodies/nato",
            "https://www.wikidata.org/entity/Q7184"
        ]
    );
    assert_eq!(values("dc:type"), ["Corporate body", "Organisation"]);
    assert_eq!(values("dc:date"), ["1949-04-04/.."]);
    assert!(values("dc:title").contains(&"NATO".to_string()));
    let (_, root) = oai(
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:person/george-robertson",
    );
    assert_eq!(
        root.find("dc:type")
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>(),
        ["Person"]
    );
}

#[test]
fn hostile_names_stay_text_in_eac_cpf() {
    let clean = HOSTILE.replace('\u{1}', "");
    for id in ["person/hostile-person", "body/hostile-body"] {
        let (body, root) = oai(&format!(
            "verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:{id}"
        ));
        // (EAC-CPF has an element called `script`: the language declaration's.)
        assert!(!body.contains("<script>"), "{body}");
        let parts: Vec<&str> = root.find("part").iter().map(|n| n.text.as_str()).collect();
        assert_eq!(
            parts,
            [clean.as_str()],
            "{id}: the same name given twice is one form"
        );
        assert!(
            root.find("p").iter().any(|p| p.text.contains(&clean)),
            "{id}"
        );
    }
}

/// The identifier of a person merged into another keeps resolving: GetRecord answers
/// the survivor's record, in both formats; lists report the merged-away one deleted.
#[test]
fn the_identifier_of_a_merged_away_record_resolves_to_the_survivor() {
    for prefix in ["eac-cpf", "oai_dc"] {
        let (_, root) = oai(&format!(
            "verb=GetRecord&metadataPrefix={prefix}&identifier=oai:archive.example.org:person/merged-away"
        ));
        let header = &root.find("header")[0];
        assert_eq!(header.attr("status"), None, "{prefix}: not deleted");
        assert_eq!(
            header.text_of("identifier"),
            Some("oai:archive.example.org:person/survivor"),
            "{prefix}"
        );
    }
    let (_, root) = oai(
        "verb=GetRecord&metadataPrefix=eac-cpf&identifier=oai:archive.example.org:person/merged-away",
    );
    // The survivor took the other's name and identifier.
    let parts: Vec<&str> = root.find("part").iter().map(|n| n.text.as_str()).collect();
    assert_eq!(parts[0], "Jane M. Roe");
    assert!(parts.contains(&"Jane Roe"), "{parts:?}");
    assert_eq!(
        root.find("entityId")[0].text,
        "https://viaf.org/viaf/124960346"
    );
    let (_, root) =
        oai("verb=ListMetadataFormats&identifier=oai:archive.example.org:person/merged-away");
    assert!(root.child("ListMetadataFormats").is_some());
}
