//! The record forms' external identifiers and person aliases (issue 28) over real HTTP: a
//! reviewer types a Wikidata item and a VIAF number into a body's identifier rows and an
//! alias into a person's form; bad identifiers come back beside their own row with what
//! was typed kept and nothing saved; saved ones are normalised, shown, and found by the
//! search, as the alias is.

mod common;

use common::accounts::{add_user, Answer, Client, PASSWORD};
use common::forms::form_fields;
use common::TestServer;
use dossier_auth::Role;
use dossier_model::RecordType;
use dossier_store::Store;
use scraper::{Html, Selector};

const REVIEWER: &str = "reviewer@archive.example";

type Fields = Vec<(String, String)>;

fn set(fields: &mut Fields, name: &str, value: &str) {
    let slot = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = value.to_string();
}

fn get<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn submit(c: &mut Client, path: &str, fields: &Fields) -> Answer {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("intent", "publish"));
    c.post(path, &all)
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap())
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn version(server: &TestServer, ty: RecordType, slug: &str) -> i64 {
    server.store.revisions().unwrap().version(ty, slug).unwrap()
}

fn hits(server: &TestServer, q: &str) -> Vec<String> {
    let (status, _, json) = server.json(&format!("/search?q={q}"));
    assert_eq!(status, 200, "{json}");
    json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn identifier_rows_are_checked_row_by_row_then_saved_normalised_and_found() {
    let server = TestServer::builtin();
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    let mut rita = Client::new(&server);
    rita.login(REVIEWER, PASSWORD);
    const EDIT: &str = "/bodies/ukraine/edit";
    let form = rita.get(EDIT);
    assert_eq!(form.status, 200, "{}", form.body);
    // The rows: an authority file to choose and the identifier, with blank rows to add.
    let fields = form_fields(&form.body, "form.edit-form");
    let schemes = texts(&form.body, "select#field-identifiers-0-scheme option");
    assert_eq!(
        schemes,
        ["—", "Wikidata", "VIAF", "ISNI", "GND"],
        "{schemes:?}"
    );
    assert!(texts(&form.body, "label[for=field-identifiers-0-value]")[0].contains("Identifier"));
    let before = version(&server, RecordType::Body, "ukraine");

    // Bad rows: a script for a Wikidata item, a value with no file, a wrong ISNI check.
    let mut bad = fields.clone();
    set(&mut bad, "identifiers[0].scheme", "wikidata");
    set(
        &mut bad,
        "identifiers[0].value",
        "<script>alert(1)</script>",
    );
    set(&mut bad, "identifiers[1].value", "124960346");
    let answer = submit(&mut rita, EDIT, &bad);
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(version(&server, RecordType::Body, "ukraine"), before);
    assert!(!answer.body.contains("<script>alert(1)"), "{}", answer.body);
    let row0 = texts(&answer.body, "#field-identifiers-0-value-error");
    assert_eq!(row0.len(), 1, "{}", answer.body);
    assert!(row0[0].contains("not a Wikidata identifier"), "{row0:?}");
    let row1 = texts(&answer.body, "#field-identifiers-1-scheme-error");
    assert_eq!(row1.len(), 1, "{}", answer.body);
    let summary = Html::parse_document(&answer.body);
    let links: Vec<&str> = summary
        .select(&Selector::parse("div.error-summary a").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(links.contains(&"#field-identifiers-0-value"), "{links:?}");
    // What was typed is kept.
    let kept = form_fields(&answer.body, "form.edit-form");
    assert_eq!(
        get(&kept, "identifiers[0].value"),
        "<script>alert(1)</script>"
    );
    assert_eq!(get(&kept, "identifiers[1].value"), "124960346");

    // Mended (typed in lower case, an ISNI with spaces): saved in normal form.
    let mut good = fields;
    set(&mut good, "identifiers[0].scheme", "wikidata");
    set(&mut good, "identifiers[0].value", " q212 ");
    set(&mut good, "identifiers[1].scheme", "isni");
    set(&mut good, "identifiers[1].value", "0000 0001 2103 2683");
    let saved = submit(&mut rita, EDIT, &good);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let body = server.store.body("ukraine").unwrap().unwrap();
    let ids: Vec<(&str, &str)> = body
        .identifiers
        .iter()
        .map(|i| (i.scheme.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(ids, [("wikidata", "Q212"), ("isni", "0000000121032683")]);
    // The form shows them back as saved.
    let again = form_fields(&rita.get(EDIT).body, "form.edit-form");
    assert_eq!(get(&again, "identifiers[0].value"), "Q212");
    assert_eq!(get(&again, "identifiers[0].scheme"), "wikidata");
    // The search finds the body by either.
    assert_eq!(hits(&server, "Q212"), ["ukraine"]);
    assert_eq!(hits(&server, "0000000121032683"), ["ukraine"]);
}

#[test]
fn a_person_s_aliases_are_edited_and_searched() {
    let server = TestServer::builtin();
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    let mut rita = Client::new(&server);
    rita.login(REVIEWER, PASSWORD);
    const EDIT: &str = "/people/george-robertson/edit";
    let form = rita.get(EDIT);
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        texts(&form.body, "label[for=field-aliases]"),
        ["Also known as"]
    );
    assert!(hits(&server, "Quillmarsh").is_empty());
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(
        &mut fields,
        "aliases",
        "Lord Quillmarsh\r\n\r\n<img src=x onerror=alert(1)>",
    );
    let saved = submit(&mut rita, EDIT, &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let person = server.store.person("george-robertson").unwrap().unwrap();
    assert_eq!(
        person.aliases,
        ["Lord Quillmarsh", "<img src=x onerror=alert(1)>"]
    );
    assert_eq!(hits(&server, "Quillmarsh"), ["george-robertson"]);
    let (status, _, json) = server.json("/search?q=Quillmarsh");
    assert_eq!(status, 200);
    assert_eq!(
        json["hits"][0]["title"],
        "George Robertson (Lord Robertson of Port Ellen)"
    );
    // Shown inert wherever the form shows it again.
    let again = rita.get(EDIT);
    assert!(!again.body.contains("<img src=x"), "{}", again.body);
}
