//! EAC-CPF (issue 28): every body and person of the built-in dossier, and records with
//! hostile names, served at `/bodies/{slug}.eac.xml` and `/people/{slug}.eac.xml`, valid
//! against the published EAC-CPF 2010 (revised) schema (xmllint, offline through
//! tests/fixtures/eac-cpf/catalog.xml; see tests/fixtures/eac-cpf/README.md), linked from
//! the pages, written by the static export; the pages show identifiers as links to their
//! authority and a person's other names.

mod common;

use common::xml::{parse, validate, Node};
use common::TestServer;
use dossier_model::*;
use dossier_store::{SqliteStore, Store};

const SCHEMA: &str = "tests/fixtures/eac-cpf/cpf.xsd";
const HOSTILE: &str = "<script>alert(\"x\")</script> & 'q' \u{1} ]]> <!-- --> javascript:alert(1)";

/// GETs an EAC-CPF file: 200, an XML media type, well-formed, valid against the schema.
fn eac(server: &TestServer, path: &str) -> (String, Node) {
    let (status, ct, body) = server.get(path);
    assert_eq!(status, 200, "{path}: {body}");
    assert!(ct.starts_with("application/xml"), "{path}: {ct}");
    let root = parse(&body);
    assert_eq!(root.name, "eac-cpf", "{path}");
    assert_eq!(root.attr("xmlns"), Some("urn:isbn:1-931666-33-4"));
    validate(&body, SCHEMA);
    (body, root)
}

fn texts<'a>(root: &'a Node, name: &str) -> Vec<&'a str> {
    root.find(name).iter().map(|n| n.text.as_str()).collect()
}

fn hostile_fill(store: &SqliteStore) {
    let mut archive = dossier_ingest::builtin::archive().unwrap();
    let mut body: Body = serde_json::from_value(serde_json::json!({
        "slug": "hostile-body",
        "name": HOSTILE,
        "kind": "organisation",
        "acronyms": [HOSTILE, "H&B"],
        "aliases": ["]]>"],
        "established": "2003?",
        "ended": "2009-12",
        "format": HOSTILE,
        "decision_rule": HOSTILE,
        "summary": HOSTILE,
        "part_of": "nato",
        "predecessors": [{"slug": "pjc"}],
        "sources": [{"title": HOSTILE, "url": "https://example.org/?a=1&b=2"}],
    }))
    .unwrap();
    body.identifiers = vec![
        ExternalId::new(IdScheme::Gnd, "2024580-1").unwrap(),
        ExternalId::new(IdScheme::Isni, "0000 0001 2103 2683").unwrap(),
    ];
    archive.bodies.push(body);
    archive.people.push(Person {
        slug: "hostile-person".into(),
        name: HOSTILE.into(),
        aliases: vec![HOSTILE.into(), "Prénom Nom".into()],
        offices: vec![Office {
            title: HOSTILE.into(),
            body: Some("hostile-body".into()),
            start: Some(Edtf::parse("1995-03~").unwrap()),
            end: None,
        }],
        summary: Some(HOSTILE.into()),
        identifiers: vec![ExternalId::new(IdScheme::Viaf, "124960346").unwrap()],
        dossiers: vec![],
        collections: vec![],
        provenance: Provenance::default(),
    });
    store.write(&archive).unwrap();
}

#[test]
fn every_body_and_person_of_the_built_in_dossier_is_valid_eac_cpf() {
    let server = TestServer::builtin();
    let bodies = server.store.bodies(None).unwrap();
    let people = server.store.people(None).unwrap();
    assert!(bodies.len() > 10 && !people.is_empty());
    for b in &bodies {
        let (_, root) = eac(&server, &format!("/bodies/{}.eac.xml", b.slug));
        assert_eq!(texts(&root, "recordId"), [format!("body-{}", b.slug)]);
        assert_eq!(texts(&root, "entityType"), ["corporateBody"]);
        assert_eq!(texts(&root, "part")[0], b.name);
        assert_eq!(
            root.find("nameEntry")[0].text_of("authorizedForm"),
            Some("dossier")
        );
    }
    for p in &people {
        let (_, root) = eac(&server, &format!("/people/{}.eac.xml", p.slug));
        assert_eq!(texts(&root, "recordId"), [format!("person-{}", p.slug)]);
        assert_eq!(texts(&root, "entityType"), ["person"]);
        assert_eq!(texts(&root, "part")[0], p.name);
    }
}

#[test]
fn a_body_s_record_has_its_identifiers_dates_and_relations() {
    let server = TestServer::builtin();
    let base = &server.base;
    let (_, nato) = eac(&server, "/bodies/nato.eac.xml");
    assert_eq!(
        texts(&nato, "entityId"),
        ["https://www.wikidata.org/entity/Q7184"]
    );
    assert_eq!(nato.find("entityId")[0].attr("localType"), Some("wikidata"));
    let from = &nato.find("existDates")[0].find("fromDate")[0];
    assert_eq!(from.attr("standardDate"), Some("1949-04-04"));
    assert_eq!(from.text, "4 April 1949");
    // Sources: the North Atlantic Treaty, Wikidata (linked), the seed page's sections.
    let sources = nato.find("source");
    assert!(sources.iter().any(|s| s.attr("xlink:href")
        == Some("https://www.wikidata.org/wiki/Q7184")
        && s.text_of("sourceEntry") == Some("Wikidata")));
    assert!(sources
        .iter()
        .any(|s| s.attr("xlink:href") == Some(&format!("{base}/dossiers/nato-russia#a-i-1"))));

    // The Permanent Joint Council: succeeded by the NATO-Russia Council on 28 May 2002.
    let (_, pjc) = eac(&server, "/bodies/pjc.eac.xml");
    let later: Vec<&Node> = pjc
        .find("cpfRelation")
        .into_iter()
        .filter(|r| r.attr("cpfRelationType") == Some("temporal-later"))
        .collect();
    assert_eq!(later.len(), 1, "{pjc:?}");
    assert_eq!(
        later[0].attr("xlink:href"),
        Some(&*format!("{base}/bodies/nrc"))
    );
    assert_eq!(
        later[0].text_of("relationEntry"),
        Some("NATO-Russia Council")
    );
    assert_eq!(
        later[0].child("date").and_then(|d| d.attr("standardDate")),
        Some("2002-05-28")
    );
    // Its founding document, as a resource.
    let resources = pjc.find("resourceRelation");
    assert_eq!(resources.len(), 1);
    assert_eq!(
        resources[0].attr("xlink:href"),
        Some(&*format!("{base}/documents/founding-act-1997"))
    );
    // The NATO-Russia Council: preceded by the PJC.
    let (_, nrc) = eac(&server, "/bodies/nrc.eac.xml");
    assert!(nrc
        .find("cpfRelation")
        .iter()
        .any(|r| r.attr("cpfRelationType") == Some("temporal-earlier")
            && r.text_of("relationEntry") == Some("NATO-Russia Permanent Joint Council")));

    // A person: offices as occupations and as relations to their bodies, with dates.
    let (_, robertson) = eac(&server, "/people/george-robertson.eac.xml");
    assert!(!robertson.find("occupation").is_empty());
    assert!(robertson
        .find("cpfRelation")
        .iter()
        .any(|r| r.attr("xlink:href") == Some(&*format!("{base}/bodies/nato"))));
}

#[test]
fn hostile_names_are_escaped_and_the_record_stays_valid() {
    let server = TestServer::with(hostile_fill);
    let clean = HOSTILE.replace('\u{1}', "");
    for path in [
        "/bodies/hostile-body.eac.xml",
        "/people/hostile-person.eac.xml",
    ] {
        let (body, root) = eac(&server, path);
        assert!(!body.contains("<script>"), "{path}: {body}");
        assert!(!body.contains("<!-- -->"), "{path}");
        assert!(
            !body.contains("]]>"),
            "{path}: `]]>` outside a CDATA section is escaped"
        );
        assert_eq!(texts(&root, "part")[0], clean, "{path}");
        assert!(texts(&root, "p").contains(&clean.as_str()), "{path}");
        // No link is made of the names: only http(s) addresses become xlink:href.
        for n in root
            .find("source")
            .into_iter()
            .chain(root.find("cpfRelation"))
        {
            if let Some(h) = n.attr("xlink:href") {
                assert!(h.starts_with("https://") || h.starts_with("http://"), "{h}");
            }
        }
    }
    let (_, b) = eac(&server, "/bodies/hostile-body.eac.xml");
    assert_eq!(
        texts(&b, "entityId"),
        [
            "https://d-nb.info/gnd/2024580-1",
            "https://isni.org/isni/0000000121032683"
        ]
    );
    // An uncertain date is not passed on as exact.
    let from = &b.find("existDates")[0].find("fromDate")[0];
    assert_eq!(from.attr("standardDate"), None);
    assert_eq!(from.text, "2003 (uncertain)");
    let to = &b.find("existDates")[0].find("toDate")[0];
    assert_eq!(to.attr("standardDate"), Some("2009-12"));
    // Its acronyms and other names, each once.
    assert_eq!(texts(&b, "part"), [clean.as_str(), "H&B", "]]>"]);
    let (_, p) = eac(&server, "/people/hostile-person.eac.xml");
    assert_eq!(texts(&p, "part"), [clean.as_str(), "Prénom Nom"]);
    assert_eq!(
        p.find("fromDate")[0].attr("standardDate"),
        None,
        "1995-03~ is approximate"
    );
}

#[test]
fn missing_records_and_other_addresses_are_not_found() {
    let server = TestServer::builtin();
    for path in [
        "/bodies/no-such-body.eac.xml",
        "/people/no-such-person.eac.xml",
        "/bodies/nato.eac.xml.eac.xml",
        "/bodies/..%2Fnato.eac.xml",
        "/bodies/NATO.eac.xml",
        "/bodies/.eac.xml",
        "/documents/founding-act-1997.eac.xml",
        "/events/founding-act-signed-1997.eac.xml",
        "/bodies/nato/timeline.eac.xml",
    ] {
        let (status, _, _) = server.get(path);
        assert_eq!(status, 404, "{path}");
    }
    // A person's slug is not a body's.
    let (status, _, _) = server.get("/bodies/george-robertson.eac.xml");
    assert_eq!(status, 404);
}

#[test]
fn pages_link_their_record_and_show_identifiers_as_safe_links() {
    let server = TestServer::with(hostile_fill);
    let (status, html) = server.html("/bodies/nato");
    assert_eq!(status, 200);
    assert!(html.contains(r#"href="/bodies/nato.eac.xml""#), "{html}");
    assert!(
        html.contains(r#"<link rel="alternate" type="application/xml" title="Authority record (EAC-CPF)" href="/bodies/nato.eac.xml">"#),
        "discoverable from the head: {html}"
    );
    assert!(
        html.contains(r#"<a href="https://www.wikidata.org/entity/Q7184" rel="external" class="authority-id">Wikidata <code>Q7184</code></a>"#),
        "{html}"
    );
    let (_, html) = server.html("/people/hostile-person");
    assert!(html.contains(r#"href="/people/hostile-person.eac.xml""#));
    assert!(
        html.contains(r#"href="https://viaf.org/viaf/124960346""#),
        "{html}"
    );
    assert!(
        html.contains("Also known as:"),
        "the person's aliases are shown"
    );
    assert!(html.contains("Prénom Nom"));
    assert!(!html.contains("<script>alert"), "{html}");
    let (_, html) = server.html("/bodies/hostile-body");
    assert!(html.contains(r#"href="https://isni.org/isni/0000000121032683""#));
    assert!(html.contains(r#"href="https://d-nb.info/gnd/2024580-1""#));
    // The page's JSON carries them too.
    let (_, _, json) = server.json("/people/hostile-person");
    assert_eq!(
        json["identifiers"][0]["url"],
        "https://viaf.org/viaf/124960346"
    );
    assert_eq!(json["identifiers"][0]["label"], "VIAF");
    assert_eq!(json["aliases"][1], "Prénom Nom");
    // And the JSON API (its schema, openapi.json, lists them: tests/api.rs checks it).
    let (_, _, api) = server.json("/api/v1/bodies/nato");
    assert_eq!(
        api["identifiers"],
        serde_json::json!([{
            "scheme": "wikidata",
            "label": "Wikidata",
            "value": "Q7184",
            "url": "https://www.wikidata.org/entity/Q7184"
        }])
    );
    let (_, _, api) = server.json("/api/v1/people/hostile-person");
    assert_eq!(api["identifiers"][0]["scheme"], "viaf");
    assert_eq!(api["aliases"][1], "Prénom Nom");
}

#[test]
fn the_static_export_writes_each_record_beside_its_page() {
    let server = TestServer::builtin();
    let out = tempfile::tempdir().unwrap();
    let root = out.path().join("site");
    let site = dossier_publish::site::Site::new("https://archive.example.org/").unwrap();
    dossier_publish::export::export_site(server.store.as_ref(), &site, &root, &|_, _| {}).unwrap();
    let xml = std::fs::read_to_string(root.join("bodies/nato.eac.xml")).unwrap();
    validate(&xml, SCHEMA);
    let node = parse(&xml);
    // Addresses of the static copy's pages.
    assert_eq!(
        node.find("otherRecordId")[0].text,
        "https://archive.example.org/bodies/nato.html"
    );
    let page = std::fs::read_to_string(root.join("bodies/nato.html")).unwrap();
    assert!(page.contains(r#"href="../bodies/nato.eac.xml""#), "{page}");
    for p in server.store.people(None).unwrap() {
        assert!(root.join(format!("people/{}.eac.xml", p.slug)).exists());
    }
}
