//! Citation renderings checked by hand against the styles' rules, and the machine formats
//! parsed back by a parser of each format (biblatex for BibTeX, a strict test-only RIS
//! reader, serde against the CSL-JSON schema's field names).

use super::style::{apa_date, chicago_date};
use super::*;
use crate::site::Site;
use dossier_model::{DocumentKind, Edtf};
use dossier_search::{SearchIndex, SearchRequest, Sort};
use dossier_store::{SqliteStore, Store};
use std::collections::BTreeMap;

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'Q' {b} 100% $5 #1 a_b ~ ^ \\end";

fn item(title: &str, kind: DocumentKind, date: Option<&str>, authors: Vec<Name>) -> CiteItem {
    CiteItem {
        id: "the-doc".into(),
        title: title.into(),
        kind,
        date: date.map(|d| Edtf::parse(d).unwrap()),
        authors,
        publishers: vec![],
        place: None,
        url: "https://archive.example.org/documents/the-doc".into(),
        languages: vec![],
        summary: None,
        archive: "Test archive".into(),
    }
}

fn nrc() -> CiteItem {
    let mut i = item(
        "Rome Declaration: NATO-Russia Relations: A New Quality",
        DocumentKind::Declaration,
        Some("2002-05-28"),
        vec![Name::body("NATO-Russia Council")],
    );
    i.publishers = vec!["NATO-Russia Council".into()];
    i.place = Some("Rome".into());
    i
}

#[test]
fn names_split_as_people_write_them() {
    assert_eq!(
        Name::person("Vladimir Putin"),
        Name::Person {
            given: "Vladimir".into(),
            family: "Putin".into()
        }
    );
    assert_eq!(
        Name::person("George Robertson (Lord Robertson of Port Ellen)").inverted(),
        "Robertson, George"
    );
    assert_eq!(
        Name::person("Jaap de Hoop Scheffer").inverted(),
        "de Hoop Scheffer, Jaap"
    );
    assert_eq!(Name::person("Jean-Paul Sartre").apa(), "Sartre, J.-P.");
    assert_eq!(Name::person("Madonna").inverted(), "Madonna");
}

#[test]
fn chicago_and_apa_for_a_corporate_author() {
    let i = nrc();
    assert_eq!(
        chicago_note(&i).text,
        "NATO-Russia Council, “Rome Declaration: NATO-Russia Relations: A New Quality,” \
         declaration, Rome, May 28, 2002, https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        chicago_bibliography(&i).text,
        "NATO-Russia Council. “Rome Declaration: NATO-Russia Relations: A New Quality.” \
         Declaration, Rome, May 28, 2002. https://archive.example.org/documents/the-doc."
    );
    // APA leaves the publisher out when it is the author, and has no final period after
    // the URL.
    assert_eq!(
        apa(&i).text,
        "NATO-Russia Council. (2002, May 28). Rome Declaration: NATO-Russia Relations: \
         A New Quality [Declaration]. https://archive.example.org/documents/the-doc"
    );
    assert!(
        apa(&i).html.contains("<i>Rome Declaration"),
        "{:?}",
        apa(&i)
    );
}

#[test]
fn chicago_and_apa_for_people_without_a_full_date() {
    let mut i = item(
        "Letter to President Putin",
        DocumentKind::Letter,
        Some("2001-11"),
        vec![Name::person("Tony Blair"), Name::person("George Robertson")],
    );
    i.publishers = vec!["United Kingdom".into()];
    assert_eq!(
        chicago_note(&i).text,
        "Tony Blair and George Robertson, “Letter to President Putin,” letter, November 2001, \
         https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        chicago_bibliography(&i).text,
        "Blair, Tony, and George Robertson. “Letter to President Putin.” Letter, November 2001. \
         https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        apa(&i).text,
        "Blair, T., & Robertson, G. (2001, November). Letter to President Putin [Letter]. \
         United Kingdom. https://archive.example.org/documents/the-doc"
    );
}

#[test]
fn works_without_author_or_date_start_with_the_title() {
    let i = item(
        "An Untitled Collection",
        DocumentKind::Collection,
        None,
        vec![],
    );
    assert_eq!(
        chicago_note(&i).text,
        "An Untitled Collection (n.d.), https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        chicago_bibliography(&i).text,
        "An Untitled Collection. n.d. https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        apa(&i).text,
        "An Untitled Collection [Collection of documents]. (n.d.). \
         https://archive.example.org/documents/the-doc"
    );
}

#[test]
fn standalone_reports_take_place_and_publisher() {
    let mut i = item(
        "NATO-Russia Relations after 11 September",
        DocumentKind::ParliamentaryReport,
        Some("2002"),
        vec![Name::body("NATO Parliamentary Assembly")],
    );
    i.publishers = vec!["NATO Parliamentary Assembly".into()];
    i.place = Some("Brussels".into());
    assert_eq!(
        chicago_bibliography(&i).text,
        "NATO Parliamentary Assembly. NATO-Russia Relations after 11 September. Brussels: \
         NATO Parliamentary Assembly, 2002. https://archive.example.org/documents/the-doc."
    );
    assert_eq!(
        chicago_note(&i).text,
        "NATO Parliamentary Assembly, NATO-Russia Relations after 11 September (Brussels: \
         NATO Parliamentary Assembly, 2002), https://archive.example.org/documents/the-doc."
    );
}

#[test]
fn qualified_and_ranged_dates() {
    let d = |s: &str| Some(Edtf::parse(s).unwrap());
    assert_eq!(chicago_date(&d("2002-04-15?")), "[April 15, 2002?]");
    assert_eq!(chicago_date(&d("1997~")), "ca. 1997");
    assert_eq!(
        chicago_date(&d("1999-03/2000-02")),
        "March 1999–February 2000"
    );
    assert_eq!(chicago_date(&d("1999/..")), "1999–");
    assert_eq!(apa_date(&d("2002-04-15?")), "2002, April 15?");
    assert_eq!(apa_date(&d("1999-03/2000-02")), "1999–2000");
    assert_eq!(apa_date(&d("2000-03/2000-06")), "2000");
    assert_eq!(apa_date(&None), "n.d.");
}

#[test]
fn hostile_text_is_escaped_in_html() {
    let i = item(
        HOSTILE,
        DocumentKind::Statement,
        Some("2002"),
        vec![Name::body(HOSTILE)],
    );
    for r in [chicago_note(&i), chicago_bibliography(&i), apa(&i)] {
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert!(r.html.contains("&amp; &#39;Q&#39;"), "{}", r.html);
        assert!(r.text.contains(HOSTILE), "{}", r.text);
    }
}

// ---------------------------------------------------------------- parsed back

#[test]
fn bibtex_parses_back_with_biblatex() {
    use biblatex::{Bibliography, ChunksExt, EntryType};
    let mut hostile = item(
        HOSTILE,
        DocumentKind::ResearchStudy,
        Some("1999-03/2000-02"),
        vec![Name::person("Jaap de Hoop Scheffer")],
    );
    hostile.id = "hostile".into();
    hostile.publishers = vec!["A & B {Institute}".into()];
    hostile.summary = Some("Line one\nline two".into());
    let items = vec![nrc(), hostile];
    let text = bibtex(&items);
    let bib = Bibliography::parse(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(bib.len(), 2, "{text}");

    let e = bib.get("the-doc").expect("entry the-doc");
    assert_eq!(e.entry_type, EntryType::Misc);
    assert_eq!(
        e.title().unwrap().format_verbatim(),
        "Rome Declaration: NATO-Russia Relations: A New Quality"
    );
    let authors = e.author().unwrap();
    assert_eq!(authors.len(), 1);
    // Braced: one corporate name, not "Council, NATO-Russia".
    assert_eq!(authors[0].name, "NATO-Russia Council");
    assert_eq!(authors[0].given_name, "");
    let date = e.date().unwrap();
    assert!(format!("{date:?}").contains("year: 2002"), "{date:?}");
    assert_eq!(
        e.url().unwrap(),
        "https://archive.example.org/documents/the-doc"
    );
    assert_eq!(
        e.get("organization").unwrap().format_verbatim(),
        "NATO-Russia Council"
    );
    assert_eq!(e.get("address").unwrap().format_verbatim(), "Rome");

    let h = bib.get("hostile").expect("entry hostile");
    assert_eq!(h.entry_type, EntryType::TechReport);
    let title = h.title().unwrap().format_verbatim();
    assert_eq!(title, HOSTILE, "{text}");
    let a = h.author().unwrap();
    assert_eq!(
        (a[0].given_name.as_str(), a[0].name.as_str()),
        ("Jaap", "Hoop Scheffer")
    );
    assert_eq!(a[0].prefix, "de");
    assert_eq!(
        h.get("institution").unwrap().format_verbatim(),
        "A & B {Institute}"
    );
    assert!(
        format!("{:?}", h.date().unwrap()).contains("Between"),
        "a range"
    );
}

/// A strict RIS reader for tests: every line is `TAG  - value` (or empty between
/// records), every record starts with TY and ends with ER.
fn parse_ris(text: &str) -> Vec<BTreeMap<String, Vec<String>>> {
    let mut records = Vec::new();
    let mut current: Option<BTreeMap<String, Vec<String>>> = None;
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "RIS lines end in CRLF"
    );
    for (n, line) in text.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        let bytes = line.as_bytes();
        assert!(
            line.len() >= 6
                && bytes[0].is_ascii_uppercase()
                && bytes[1].is_ascii_alphanumeric()
                && &line[2..6] == "  - ",
            "line {n} is not `TAG  - value`: {line:?}"
        );
        let (tag, value) = (&line[..2], &line[6..]);
        match tag {
            "TY" => {
                assert!(current.is_none(), "line {n}: TY inside a record");
                current = Some(BTreeMap::from([("TY".into(), vec![value.into()])]));
            }
            "ER" => {
                assert_eq!(value, "", "line {n}: ER takes no value");
                records.push(current.take().expect("ER without TY"));
            }
            _ => current
                .as_mut()
                .unwrap_or_else(|| panic!("line {n}: {tag} outside a record"))
                .entry(tag.into())
                .or_default()
                .push(value.into()),
        }
    }
    assert!(current.is_none(), "last record has no ER");
    records
}

#[test]
fn ris_parses_back() {
    let mut hostile = item(
        &format!("{HOSTILE}\r\nER  - "),
        DocumentKind::Speech,
        Some("2002-04-15?"),
        vec![Name::person("Igor Ivanov")],
    );
    hostile.languages = vec!["ru".into(), "en".into()];
    let records = parse_ris(&ris(&[nrc(), hostile]));
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(r["TY"], ["GOVDOC"]);
    assert_eq!(
        r["TI"],
        ["Rome Declaration: NATO-Russia Relations: A New Quality"]
    );
    assert_eq!(r["AU"], ["NATO-Russia Council"]);
    assert_eq!(r["PY"], ["2002"]);
    assert_eq!(r["DA"], ["2002/05/28/"]);
    assert_eq!(r["PB"], ["NATO-Russia Council"]);
    assert_eq!(r["CY"], ["Rome"]);
    assert_eq!(r["UR"], ["https://archive.example.org/documents/the-doc"]);
    let h = &records[1];
    assert_eq!(h["TY"], ["SLIDE"]);
    assert!(h["TI"][0].starts_with(HOSTILE), "{:?}", h["TI"]);
    assert_eq!(h["AU"], ["Ivanov, Igor"]);
    assert_eq!(h["DA"], ["2002/04/15/2002-04-15?"]);
    assert_eq!(h["LA"], ["ru", "en"]);
}

/// CSL-JSON as the schema (csl-data.json) defines it: only its field names are accepted.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Csl {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    title: String,
    #[serde(default)]
    author: Vec<CslNameIn>,
    issued: Option<CslDateIn>,
    publisher: Option<String>,
    #[serde(rename = "publisher-place")]
    publisher_place: Option<String>,
    genre: Option<String>,
    #[serde(rename = "URL")]
    url: String,
    language: Option<String>,
    #[serde(rename = "abstract")]
    summary: Option<String>,
    archive: Option<String>,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct CslNameIn {
    family: Option<String>,
    given: Option<String>,
    literal: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CslDateIn {
    #[serde(rename = "date-parts")]
    date_parts: Vec<Vec<i32>>,
    circa: Option<bool>,
}

/// The item types of CSL 1.0.2.
const CSL_TYPES: &[&str] = &[
    "article",
    "article-journal",
    "article-magazine",
    "article-newspaper",
    "bill",
    "book",
    "broadcast",
    "chapter",
    "classic",
    "collection",
    "dataset",
    "document",
    "entry",
    "entry-dictionary",
    "entry-encyclopedia",
    "event",
    "figure",
    "graphic",
    "hearing",
    "interview",
    "legal_case",
    "legislation",
    "manuscript",
    "map",
    "motion_picture",
    "musical_score",
    "pamphlet",
    "paper-conference",
    "patent",
    "performance",
    "periodical",
    "personal_communication",
    "post",
    "post-weblog",
    "regulation",
    "report",
    "review",
    "review-book",
    "software",
    "song",
    "speech",
    "standard",
    "thesis",
    "treaty",
    "webpage",
];

#[test]
fn csl_json_parses_back_against_the_schema_fields() {
    let mut speech = item(
        HOSTILE,
        DocumentKind::Speech,
        Some("2002-04-15?"),
        vec![Name::person("Igor Ivanov")],
    );
    speech.id = "speech".into();
    let text = csl_json(&[nrc(), speech]);
    let items: Vec<Csl> = serde_json::from_str(&text).unwrap();
    assert_eq!(items.len(), 2);
    for i in &items {
        assert!(CSL_TYPES.contains(&i.kind.as_str()), "{}", i.kind);
    }
    let r = &items[0];
    assert_eq!(r.id, "the-doc");
    assert_eq!(r.kind, "document");
    assert_eq!(
        r.title,
        "Rome Declaration: NATO-Russia Relations: A New Quality"
    );
    assert_eq!(
        r.author,
        vec![CslNameIn {
            family: None,
            given: None,
            literal: Some("NATO-Russia Council".into())
        }]
    );
    assert_eq!(
        r.issued.as_ref().unwrap().date_parts,
        vec![vec![2002, 5, 28]]
    );
    assert_eq!(r.publisher.as_deref(), Some("NATO-Russia Council"));
    assert_eq!(r.publisher_place.as_deref(), Some("Rome"));
    assert_eq!(r.genre.as_deref(), Some("Declaration"));
    assert_eq!(r.url, "https://archive.example.org/documents/the-doc");
    assert_eq!(r.archive.as_deref(), Some("Test archive"));
    assert!(r.language.is_none() && r.summary.is_none());
    let s = &items[1];
    assert_eq!(s.kind, "speech");
    assert_eq!(s.title, HOSTILE);
    assert_eq!(s.author[0].family.as_deref(), Some("Ivanov"));
    assert_eq!(s.author[0].given.as_deref(), Some("Igor"));
    assert_eq!(s.issued.as_ref().unwrap().circa, Some(true));
}

// ---------------------------------------------------------------- the built-in dossier

fn builtin_store() -> SqliteStore {
    let store = SqliteStore::in_memory().unwrap();
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    store
}

#[test]
fn builtin_documents_snapshot() {
    let store = builtin_store();
    let site = Site::new("https://archive.example.org/").unwrap();
    for slug in [
        "founding-act-1997",
        "joint-statement-moscow-2000-02-16",
        "igor-ivanov-speech-2002-04-15",
        "pwp-2000-2001-generic-section",
    ] {
        let doc = store.document(slug).unwrap().unwrap();
        let item = CiteItem::from_document(&store, &doc, &site).unwrap();
        let view = cite_view(&item);
        insta::assert_snapshot!(
            format!("{slug}-styles"),
            format!(
                "Chicago note:\n{}\n\nChicago bibliography:\n{}\n\nAPA:\n{}\n\nAPA HTML:\n{}\n",
                view.chicago_note.text,
                view.chicago_bibliography.text,
                view.apa.text,
                view.apa.html
            )
        );
        for f in Format::ALL {
            insta::assert_snapshot!(
                format!("{slug}-{}", f.extension()),
                f.write(std::slice::from_ref(&item))
            );
        }
    }
}

#[test]
fn a_dossier_bibliography_holds_every_document() {
    use biblatex::Bibliography;
    let store = builtin_store();
    let site = Site::new("https://archive.example.org/").unwrap();
    let docs = store
        .documents(&dossier_store::DocumentQuery {
            dossier: Some("nato-russia".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(docs.len() > 20);
    let bib = dossier_bibliography(&store, "nato-russia", Format::Bibtex, &site)
        .unwrap()
        .unwrap();
    let parsed = Bibliography::parse(&bib).unwrap();
    assert_eq!(parsed.len(), docs.len());
    let ris_text = dossier_bibliography(&store, "nato-russia", Format::Ris, &site)
        .unwrap()
        .unwrap();
    assert_eq!(parse_ris(&ris_text).len(), docs.len());
    let csl = dossier_bibliography(&store, "nato-russia", Format::CslJson, &site)
        .unwrap()
        .unwrap();
    let csl: Vec<Csl> = serde_json::from_str(&csl).unwrap();
    assert_eq!(csl.len(), docs.len());
    assert!(dossier_bibliography(&store, "nope", Format::Ris, &site)
        .unwrap()
        .is_none());
    let sel = selection_bibliography(
        &store,
        &["founding-act-1997".into(), "nope".into()],
        Format::Ris,
        &site,
    )
    .unwrap();
    assert_eq!(sel, Err(vec!["nope".to_string()]));
}

/// Every hit of a query, in order, by paging through the index as the search page does.
fn all_hits(index: &SearchIndex, query: &str, sort: Sort) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for page in 1.. {
        let r = index
            .search(&SearchRequest {
                query: query.into(),
                sort,
                page,
                per_page: 100,
                facets: false,
            })
            .unwrap();
        let n = r.hits.len();
        out.extend(r.hits.into_iter().map(|h| (h.record, h.slug)));
        if n < 100 {
            break;
        }
    }
    out
}

/// Issue 20, finding 1: the query language has limits now. A query at them, which the
/// search page accepts, has a bibliography too: `type:document` is added to the parsed
/// query, not to its text, where it would pass the limits.
#[test]
fn a_query_at_the_limits_has_a_bibliography() {
    use dossier_search::query::{MAX_NESTING, MAX_QUERY_CHARS, MAX_TERMS};
    let store = builtin_store();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let plain = search_documents(&index, "nato", Sort::Relevance, 1000).unwrap();
    assert!(!plain.is_empty());
    for q in [
        format!("{}nato{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING)),
        format!("nato{}", " ".repeat(MAX_QUERY_CHARS - 4)),
        vec!["nato"; MAX_TERMS].join(" OR "),
    ] {
        let mut docs = search_documents(&index, &q, Sort::Relevance, 1000).unwrap();
        if q.contains(" OR ") {
            docs.sort();
            let mut plain = plain.clone();
            plain.sort();
            assert_eq!(docs, plain, "{}", &q[..40]);
        } else {
            assert_eq!(docs, plain, "{}", &q[..40]);
        }
        assert_eq!(
            search_document_count(&index, &q, Sort::Relevance).unwrap(),
            plain.len()
        );
    }
}

#[test]
fn a_search_bibliography_holds_the_documents_among_the_hits_in_order() {
    use biblatex::Bibliography;
    let store = builtin_store();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let site = Site::new("https://archive.example.org/").unwrap();
    for (query, sort) in [
        ("pjc", Sort::Relevance),
        ("russia OR nato", Sort::Date),
        ("dossier:nato-russia", Sort::DateDesc),
    ] {
        let hits = all_hits(&index, query, sort);
        let expected: Vec<String> = hits
            .iter()
            .filter(|(ty, _)| ty == "document")
            .map(|(_, slug)| slug.clone())
            .collect();
        assert!(
            !expected.is_empty() && expected.len() < hits.len(),
            "{query}: the hits mix documents and other records"
        );
        let file = |f| {
            search_bibliography(&store, &index, query, sort, f, &site)
                .unwrap()
                .unwrap()
        };
        let csl: Vec<Csl> = serde_json::from_str(&file(Format::CslJson)).unwrap();
        let ids: Vec<String> = csl.into_iter().map(|c| c.id).collect();
        assert_eq!(
            ids, expected,
            "{query}: exactly the document hits, in order"
        );
        let bib = Bibliography::parse(&file(Format::Bibtex)).unwrap();
        let keys: Vec<String> = bib.iter().map(|e| e.key.clone()).collect();
        assert_eq!(keys, expected, "{query} (BibTeX)");
        let ris_ids: Vec<String> = parse_ris(&file(Format::Ris))
            .into_iter()
            .map(|r| r["UR"][0].rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(ris_ids, expected, "{query} (RIS)");
        assert_eq!(
            search_document_count(&index, query, sort).unwrap(),
            expected.len()
        );
    }
    // The cap: the first documents only.
    let first = search_documents(&index, "nato", Sort::Relevance, 3).unwrap();
    let all = search_documents(&index, "nato", Sort::Relevance, 1000).unwrap();
    assert!(all.len() > 3);
    assert_eq!(first, all[..3]);
    // No document among the hits: an empty but well-formed file.
    let none = search_bibliography(
        &store,
        &index,
        "type:body",
        Sort::Relevance,
        Format::CslJson,
        &site,
    )
    .unwrap()
    .unwrap();
    assert_eq!(serde_json::from_str::<Vec<Csl>>(&none).unwrap().len(), 0);
    // A malformed query: the parser's message, placed in the query as typed.
    let e = search_bibliography(&store, &index, "(pjc", Sort::Relevance, Format::Ris, &site)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        e,
        dossier_search::query::parse("(pjc")
            .unwrap_err()
            .to_string()
    );
}
