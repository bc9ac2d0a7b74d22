//! Issue 27, "Full texts" and "Dates that mean one thing", over real HTTP: a document's
//! texts in several languages with numbered paragraphs (`/documents/{slug}/text?lang=fr`,
//! `#p12`), the text and the official source link before the metadata tail, "text not
//! held" as a gap, hostile text shown as text, the period covered (`coverage`) on the
//! page, in the page's JSON, in the API and in OAI-PMH Dublin Core.

mod common;

use common::xml::{parse, validate};
use common::TestServer;
use dossier_model::*;
use dossier_publish::site::Site;
use dossier_store::Store;
use std::sync::LazyLock;

const SCRIPT: &str = "<script>alert(\"x\")</script>";

fn block(heading: bool, text: &str) -> TextBlock {
    TextBlock {
        heading,
        text: text.into(),
    }
}

/// An essay that covers 1988–2001 and was issued in 2013, with an English and a French
/// text (the French one hostile), and a document without a text.
fn essay() -> Document {
    let mut d: Document = serde_json::from_value(serde_json::json!({
        "slug": "evolution-of-nato",
        "title": "The Evolution of NATO, 1988–2001",
        "kind": "research-study",
        "date": "2013-10-31",
        "coverage": "1988/2001",
        "languages": ["en", "fr", "ru"],
        "availability": "public",
        "sources": [
            {"title": "Office of the Historian, Milestones (official text)", "url": "https://history.state.gov/milestones/1993-2000/evolution-of-nato"},
            {"title": "A page about it", "url": "https://example.org/about"},
        ],
    }))
    .unwrap();
    let mut en = vec![block(true, "Origins")];
    en.extend((1..=14).map(|i| block(false, &format!("English paragraph {i}."))));
    d.texts = vec![
        Text {
            lang: "en".into(),
            blocks: en,
            source: Some("https://history.state.gov/milestones/1993-2000/evolution-of-nato".into()),
        },
        Text {
            lang: "fr".into(),
            blocks: vec![
                block(false, "Les traités de l'OTAN."),
                block(false, &format!("{SCRIPT}<img src=x onerror=alert(1)>")),
                block(true, &format!("Titre {SCRIPT}")),
                block(false, "Troisième."),
            ],
            source: Some("javascript:alert(1)".into()),
        },
    ];
    d
}

static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with_app(
        |store| {
            store
                .write(&dossier_ingest::builtin::archive().unwrap())
                .unwrap();
            store
                .write(&Archive {
                    documents: vec![essay()],
                    ..Default::default()
                })
                .unwrap();
        },
        |state| state.with_site(Site::new("https://archive.example.org/").unwrap()),
    )
});

fn html(path: &str) -> String {
    let (status, body) = SERVER.html(path);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn assert_inert(html: &str, what: &str) {
    assert!(!html.contains("<script>alert"), "{what}: a live script");
    assert!(!html.contains("<img src=x"), "{what}: a live image");
    assert!(
        !html.contains("href=\"javascript:"),
        "{what}: a javascript: link"
    );
}

#[test]
fn the_document_page_puts_the_text_and_its_official_link_before_the_details() {
    let page = html("/documents/evolution-of-nato");
    let at = |s: &str| {
        page.find(s)
            .unwrap_or_else(|| panic!("{s} not on the page:\n{page}"))
    };
    // Text (first language), then the official link, then the metadata tail.
    assert!(at("id=\"p1\"") < at("Official text:"));
    assert!(at("Official text:") < at("<dl class=\"facts\">"));
    assert!(at("<h3 id=\"h1\">Origins</h3>") < at("id=\"p1\""));
    assert!(page.contains("href=\"#p14\""), "paragraph anchors");
    assert!(page.contains("href=\"/documents/evolution-of-nato/text?lang=fr\""));
    // Issued 2013, covers 1988–2001: two dates that mean two things.
    assert!(page.contains("Issued <time datetime=\"2013-10-31\">"));
    assert!(page.contains("covers 1988"), "{page}");
    assert!(page.contains("<dt>Period covered</dt>"));
    assert_inert(&page, "the document page");

    // The built-in Founding Act: no text held, a visible gap, the official link high up.
    let act = html("/documents/founding-act-1997");
    let gap = act
        .find("The archive does not hold this document's text")
        .expect("the gap");
    let official = act.find("Official text:").expect("the official link");
    assert!(gap < official && official < act.find("<dl class=\"facts\">").unwrap());
    assert!(act.contains("href=\"https://www.nato.int/cps/en/natohq/official_texts_25468.htm\""));
}

#[test]
fn the_text_page_numbers_paragraphs_and_switches_language() {
    let en = html("/documents/evolution-of-nato/text");
    assert!(en.contains("<div class=\"full-text\" lang=\"en\">"), "{en}");
    assert!(en.contains("<p id=\"p14\"><a class=\"pn\" href=\"#p14\""));
    assert!(en.contains("aria-current=\"page\">English</strong>"));
    assert!(en
        .contains("href=\"/documents/evolution-of-nato/text?lang=fr\" hreflang=\"fr\">French</a>"));
    assert!(en.contains(
        "href=\"https://history.state.gov/milestones/1993-2000/evolution-of-nato\" rel=\"external\""
    ));

    let fr = html("/documents/evolution-of-nato/text?lang=fr");
    assert!(fr.contains("<div class=\"full-text\" lang=\"fr\">"));
    assert!(
        common::text_of(&fr).contains("Les traités de l'OTAN."),
        "{fr}"
    );
    // Headings are not numbered: the paragraph after one is p3.
    assert!(fr.contains("<h3 id=\"h1\">Titre &lt;script&gt;"), "{fr}");
    assert!(fr.contains("<p id=\"p3\">"));
    assert!(!fr.contains("id=\"p4\""));
    assert_inert(&fr, "the French text");
    // The text's source that is not a web address is shown, never linked.
    assert!(fr.contains("Text from javascript:alert(1)."));

    // A language the document exists in but the archive does not hold: a gap.
    let ru = html("/documents/evolution-of-nato/text?lang=ru");
    assert!(
        ru.contains(
            "does not hold this document's text in ru, though the document exists in that language"
        ),
        "{ru}"
    );
    // No text at all: a gap, the official link.
    let act = html("/documents/founding-act-1997/text");
    assert!(act.contains("The archive does not hold this document's text"));
    assert!(act.contains("Official text:"));
}

#[test]
fn a_bad_language_or_slug_is_refused() {
    for q in [
        "lang=%3Cscript%3E",
        "lang=..%2F..%2Fetc",
        "lang=en_GB",
        "lang=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let (status, _, body) = SERVER.get(&format!("/documents/evolution-of-nato/text?{q}"));
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body.contains("not a language tag"), "{q}: {body}");
        assert!(!body.contains("<script>"), "{q}");
    }
    let (status, _, _) = SERVER.get("/documents/no-such-document/text");
    assert_eq!(status, 404);
    let (status, _, _) = SERVER.get("/documents/..%2F..%2Fetc/text");
    assert_eq!(status, 404);
}

#[test]
fn coverage_and_texts_are_in_the_json() {
    let (status, _, page) = SERVER.json("/documents/evolution-of-nato");
    assert_eq!(status, 200);
    assert_eq!(page["date"], "2013-10-31");
    assert_eq!(page["coverage"], "1988/2001");
    assert_eq!(page["text"]["lang"], "en");
    assert_eq!(page["text"]["blocks"][1]["id"], "p1");
    assert_eq!(
        page["texts"][1]["url"],
        "/documents/evolution-of-nato/text?lang=fr"
    );

    let (status, _, text) = SERVER.json("/documents/evolution-of-nato/text?lang=fr");
    assert_eq!(status, 200);
    assert_eq!(text["text"]["lang"], "fr");
    assert_eq!(text["text"]["paragraphs"], 3);
    assert_eq!(text["text"]["source_url"], serde_json::Value::Null);

    let (status, _, api) = SERVER.json("/api/v1/documents/evolution-of-nato");
    assert_eq!(status, 200);
    assert_eq!(api["coverage"], "1988/2001");
    assert_eq!(api["texts"][1]["lang"], "fr");
    assert_eq!(api["texts"][0]["blocks"][0]["heading"], true);
}

#[test]
fn oai_dublin_core_carries_the_period_covered() {
    let (status, ct, body) = SERVER.get(
        "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:archive.example.org:document/evolution-of-nato",
    );
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("text/xml"));
    validate(&body, "tests/fixtures/oai-pmh/harvest.xsd");
    let root = parse(&body);
    let dc = root.find("oai_dc:dc");
    let values = |e: &str| -> Vec<String> { dc[0].all(e).iter().map(|n| n.text.clone()).collect() };
    assert_eq!(values("dc:date"), ["2013-10-31"]);
    assert_eq!(values("dc:coverage"), ["1988/2001"]);
}

/// An old record's `full_text` (JSON written before texts existed) still reads: as one
/// text, language `und`, its paragraphs at blank lines.
#[test]
fn an_old_records_full_text_reads_as_a_text() {
    let d: Document = serde_json::from_value(serde_json::json!({
        "slug": "old", "title": "Old", "kind": "statement",
        "full_text": "First paragraph.\n\nSecond <b>paragraph</b>.",
    }))
    .unwrap();
    assert_eq!(d.texts.len(), 1);
    assert_eq!(d.texts[0].lang, "und");
    assert_eq!(
        d.texts[0].plain_text(),
        "First paragraph.\n\nSecond <b>paragraph</b>."
    );
    let again = serde_json::to_value(&d).unwrap();
    assert!(again.get("full_text").is_none());
    assert_eq!(
        again["texts"][0]["blocks"][1]["text"],
        "Second <b>paragraph</b>."
    );
    // Null and empty read as no text; a wrong type is refused with what was expected.
    for empty in [
        serde_json::json!(null),
        serde_json::json!(""),
        serde_json::json!([]),
    ] {
        let d: Document = serde_json::from_value(serde_json::json!({
            "slug": "e", "title": "E", "kind": "statement", "full_text": empty,
        }))
        .unwrap();
        assert!(d.texts.is_empty());
    }
    let e = serde_json::from_value::<Document>(serde_json::json!({
        "slug": "e", "title": "E", "kind": "statement", "texts": 5,
    }))
    .unwrap_err()
    .to_string();
    assert!(e.contains("a list of texts"), "{e}");
}

/// A text's language goes into addresses: the model refuses a tag that is not one, a
/// second text in a language, and a text without words.
#[test]
fn the_model_refuses_bad_texts_naming_the_field() {
    let mut d = essay();
    d.texts[1].lang = "<script>".into();
    d.texts.push(Text {
        lang: "EN".into(),
        blocks: vec![],
        source: None,
    });
    d.texts.push(Text {
        lang: "ru".into(),
        blocks: vec![block(false, "  ")],
        source: None,
    });
    let errors: Vec<String> = Archive {
        documents: vec![d],
        ..Default::default()
    }
    .validate(&|_, _| true)
    .iter()
    .map(|e| e.to_string())
    .collect();
    let has = |s: &str| errors.iter().any(|e| e.contains(s));
    assert!(
        has("field `texts[1].lang`: \"<script>\" is not a language tag"),
        "{errors:?}"
    );
    assert!(
        has("field `texts[2].lang`: a second text in `EN`"),
        "{errors:?}"
    );
    assert!(
        has("field `texts[2].blocks`: the text has no paragraph"),
        "{errors:?}"
    );
    assert!(
        has("field `texts[3].blocks[0].text`: an empty paragraph"),
        "{errors:?}"
    );
}

/// The static export has no `?lang=`: the first text is at `documents/{slug}/text.html`,
/// each other at `documents/{slug}/text/{lang}.html`, and the language switches link them.
#[test]
fn the_static_export_writes_a_text_page_per_language() {
    let out = tempfile::tempdir().unwrap();
    let root = out.path().join("site");
    dossier_publish::export::export_site(
        SERVER.store.as_ref(),
        &Site::new("https://archive.example.org/").unwrap(),
        &root,
        &|_, _| {},
    )
    .unwrap();
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let en = read("documents/evolution-of-nato/text.html");
    assert!(en.contains("<div class=\"full-text\" lang=\"en\">"));
    assert!(
        en.contains("href=\"../../documents/evolution-of-nato/text/fr.html\""),
        "{en}"
    );
    let fr = read("documents/evolution-of-nato/text/fr.html");
    assert!(fr.contains("<div class=\"full-text\" lang=\"fr\">"));
    assert!(
        fr.contains("href=\"../../../documents/evolution-of-nato/text.html\""),
        "{fr}"
    );
    assert_inert(&fr, "the exported French text");
    let doc = read("documents/evolution-of-nato.html");
    assert!(
        doc.contains("href=\"../documents/evolution-of-nato/text/fr.html\""),
        "{doc}"
    );
    assert!(!root
        .join("documents/evolution-of-nato/text/en.html")
        .exists());
}
