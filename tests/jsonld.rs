//! schema.org JSON-LD on the record pages (issue 27): each record page's head carries one
//! `<script type="application/ld+json">` describing the record with absolute addresses,
//! the page's JSON stays the view alone, the static export carries the same description,
//! and a title holding `</script>` cannot end the element.

mod common;

use common::TestServer;
use dossier_model::RecordType;
use dossier_publish::pages::{Form, PageRequest, PAGES};
use dossier_publish::site::Site;
use dossier_publish::views::ChronologyFilter;
use dossier_publish::Renderer;
use dossier_store::Store;
use serde_json::Value;

const HOSTILE: &str = "</script><script>alert(1)</script><!-- & </SCRIPT > \u{2028}";

/// The JSON-LD of an HTML page: exactly one block, parsed.
fn json_ld(html: &str) -> Value {
    let open = r#"<script type="application/ld+json">"#;
    assert_eq!(
        html.matches(open).count(),
        1,
        "one JSON-LD block in:\n{html}"
    );
    let start = html.find(open).unwrap() + open.len();
    let end = start
        + html[start..]
            .find("</script>")
            .expect("the block is closed");
    let text = &html[start..end];
    for bad in ['<', '>', '&'] {
        assert!(
            !text.contains(bad),
            "{bad:?} unescaped in the JSON-LD: {text}"
        );
    }
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON-LD does not parse ({e}): {text}"))
}

fn server() -> TestServer {
    TestServer::with(|store| {
        let mut archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
        let d = archive
            .documents
            .iter_mut()
            .find(|d| d.slug == "nato-ukraine-charter-1997")
            .unwrap();
        d.title = format!("Charter {HOSTILE}");
        let b = archive
            .bodies
            .iter_mut()
            .find(|b| b.slug == "ukraine")
            .unwrap();
        b.name = format!("Ukraine {HOSTILE}");
        store.write(&archive).expect("the archive stores");
    })
}

#[test]
fn record_pages_describe_their_record_in_schema_org() {
    let server = server();
    let base = &server.base;

    let (status, html) = server.html("/documents/founding-act-1997");
    assert_eq!(status, 200);
    let doc = json_ld(&html);
    assert_eq!(doc["@context"], "https://schema.org");
    assert_eq!(doc["@type"], "Legislation");
    assert_eq!(doc["@id"], format!("{base}/documents/founding-act-1997"));
    assert_eq!(doc["url"], doc["@id"]);
    assert!(
        doc["name"].as_str().unwrap().contains("Founding Act"),
        "{doc}"
    );
    assert_eq!(doc["datePublished"], "1997-05-27");
    assert_eq!(doc["legislationDate"], "1997-05-27");
    let makers = doc["legislationPassedBy"].as_array().expect("parties");
    assert!(
        makers
            .iter()
            .any(|m| m["@id"] == format!("{base}/bodies/nato") && m["@type"] == "Organization"),
        "{doc}"
    );
    assert!(
        doc["isPartOf"].as_array().is_some_and(|d| d
            .iter()
            .any(|x| x["@id"] == format!("{base}/dossiers/nato-russia"))),
        "{doc}"
    );

    let (_, html) = server.html("/bodies/pjc");
    let body = json_ld(&html);
    assert_eq!(body["@type"], "Organization");
    assert_eq!(body["foundingDate"], "1997-05-27", "{body}");
    assert!(
        body["alternateName"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == "PJC")),
        "{body}"
    );

    let (_, html) = server.html("/bodies/russian-federation");
    assert_eq!(json_ld(&html)["@type"], "Country");

    let (_, html) = server.html("/people/george-robertson");
    let person = json_ld(&html);
    assert_eq!(person["@type"], "Person");
    assert!(person["name"]
        .as_str()
        .unwrap()
        .starts_with("George Robertson"));

    let (_, html) = server.html("/events/founding-act-signed-1997");
    let event = json_ld(&html);
    assert_eq!(event["@type"], "Event");
    assert_eq!(event["startDate"], "1997-05-27", "{event}");
    assert_eq!(event["location"]["@type"], "Place", "{event}");

    let (_, html) = server.html("/topics/peacekeeping");
    let topic = json_ld(&html);
    assert_eq!(topic["@type"], "DefinedTerm");
    assert_eq!(topic["termCode"], "peacekeeping");

    // Pages that describe no single record carry none.
    for path in ["/", "/search?q=PJC", "/dossiers/nato-russia/chronology"] {
        let (_, html) = server.html(path);
        assert!(!html.contains("application/ld+json"), "{path} has JSON-LD");
    }
    // The page's JSON is the view, without the description.
    let (_, _, json) = server.json("/documents/founding-act-1997");
    assert!(json.get("json_ld").is_none() && json.get("@context").is_none());
}

#[test]
fn a_title_holding_script_cannot_leave_the_json_ld_block() {
    let server = server();
    for (path, name) in [
        (
            "/documents/nato-ukraine-charter-1997",
            format!("Charter {HOSTILE}"),
        ),
        ("/bodies/ukraine", format!("Ukraine {HOSTILE}")),
    ] {
        let (status, html) = server.html(path);
        assert_eq!(status, 200, "{path}");
        assert!(
            !html.contains("<script>alert"),
            "{path}: live script in\n{html}"
        );
        // The only script elements are the JSON-LD block.
        assert_eq!(html.matches("<script").count(), 1, "{path}");
        assert_eq!(json_ld(&html)["name"], name.as_str(), "{path}");
    }
    // Another record's description names the hostile one safely too.
    let (_, html) = server.html("/documents/founding-act-1997");
    json_ld(&html);
}

#[test]
fn the_static_export_carries_the_same_description_with_its_file_addresses() {
    let server = server();
    let site = Site::new("https://archive.example.org/dossier/")
        .unwrap()
        .with_static_files();
    let renderer = Renderer::new();
    let spec = PAGES
        .iter()
        .find(|p| p.route == "/documents/{slug}")
        .unwrap();
    assert_eq!(spec.record, Some(RecordType::Document));
    let request = PageRequest {
        store: server.store.as_ref(),
        site: &site,
        slug: "founding-act-1997",
        filter: ChronologyFilter::default(),
        lang: None,
        search: None,
    };
    let page = spec
        .render(&request, &renderer, Form::Html { depth: Some(1) })
        .unwrap()
        .unwrap();
    let html = String::from_utf8(page.body).unwrap();
    let doc = json_ld(&html);
    assert_eq!(
        doc["@id"],
        "https://archive.example.org/dossier/documents/founding-act-1997.html"
    );
    assert_eq!(doc["@type"], "Legislation");
}

/// `sameAs` (issue 28): a body's and a person's addresses at the authority files, and a
/// person's other names as `alternateName`; a record without identifiers has none.
#[test]
fn identifiers_are_same_as_links_to_their_authorities() {
    let server = TestServer::with(|store| {
        let mut archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
        let p = archive
            .people
            .iter_mut()
            .find(|p| p.slug == "george-robertson")
            .unwrap();
        p.aliases = vec!["Lord Robertson".into()];
        p.identifiers =
            vec![
                dossier_model::ExternalId::new(dossier_model::IdScheme::Viaf, "124960346").unwrap(),
            ];
        store.write(&archive).expect("the archive stores");
    });
    let (_, html) = server.html("/bodies/nato");
    let nato = json_ld(&html);
    assert_eq!(
        nato["sameAs"],
        serde_json::json!(["https://www.wikidata.org/entity/Q7184"])
    );
    let (_, html) = server.html("/bodies/russian-federation");
    assert_eq!(
        json_ld(&html)["sameAs"],
        serde_json::json!(["https://www.wikidata.org/entity/Q159"])
    );
    let (_, html) = server.html("/bodies/pjc");
    assert!(
        json_ld(&html).get("sameAs").is_none(),
        "no identifier, no sameAs"
    );
    let (_, html) = server.html("/people/george-robertson");
    let person = json_ld(&html);
    assert_eq!(
        person["sameAs"],
        serde_json::json!(["https://viaf.org/viaf/124960346"])
    );
    assert_eq!(
        person["alternateName"],
        serde_json::json!(["Lord Robertson"])
    );
}
