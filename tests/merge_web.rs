//! The editors' merge page (issue 28) over real HTTP: a reviewer finds it from a body's
//! edit page and the menu, previews what moves (names, identifiers, gaps, the records that
//! link), confirms with the form, and undoes it from the list; the old address answers 301
//! while the merge stands and the record is back after the undo. Contributors and editors
//! are refused, a form without the session's CSRF token is refused, hostile values are
//! refused or shown inert, and an undo after a later change is refused with why.

mod common;

use common::accounts::{add_user, Answer, Client, PASSWORD};
use common::forms::form_fields;
use common::TestServer;
use dossier_auth::Role;
use dossier_model::{Archive, Body, Document, RecordType};
use dossier_store::{SqliteStore, Store};
use scraper::{Html, Selector};

const REVIEWER: &str = "reviewer@archive.example";
const ADMIN: &str = "admin@archive.example";
const EDITOR: &str = "editor@archive.example";
const CONTRIBUTOR: &str = "contributor@archive.example";

const PREVIEW: &str = "/merges/new?type=body&into=russian-federation&from=russia";

/// The built-in dossier with a second record for Russia under its transliterated name,
/// as an import of another collection would make it, linked from a document.
fn fill(store: &SqliteStore) {
    let mut archive: Archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
    let russia: Body = serde_json::from_value(serde_json::json!({
        "slug": "russia", "name": "Rossiyskaya Federatsiya", "kind": "state",
        "identifiers": [{"scheme": "viaf", "value": "124960346"}],
        "gaps": ["Imported from a travels collection; not checked."]
    }))
    .unwrap();
    let trip: Document = serde_json::from_value(serde_json::json!({
        "slug": "visit-to-moscow", "title": "Visit to Moscow", "kind": "statement",
        "date": "2000-02-16", "issued_by": ["russia"]
    }))
    .unwrap();
    archive.bodies.push(russia);
    archive.documents.push(trip);
    store.write(&archive).expect("the archive stores");
}

fn archive() -> TestServer {
    let server = TestServer::with(fill);
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    add_user(&server, ADMIN, "Ada Admin", Role::Admin);
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    add_user(
        &server,
        CONTRIBUTOR,
        "Connie Contributor",
        Role::Contributor,
    );
    server
}

fn logged_in(server: &TestServer, email: &str) -> Client {
    let mut c = Client::new(server);
    c.login(email, PASSWORD);
    c
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap())
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn hrefs(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap())
        .filter_map(|e| e.value().attr("href").map(str::to_string))
        .collect()
}

/// Posts a form's fields as read from the page.
fn submit(c: &mut Client, path: &str, fields: &[(String, String)]) -> Answer {
    let all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post(path, &all)
}

/// A query value as a form would send it decoded (`%3C` → `<`).
fn decode(v: &str) -> String {
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn merges_made(server: &TestServer) -> usize {
    server
        .store
        .merges()
        .unwrap()
        .merges(None, 0)
        .unwrap()
        .len()
}

fn status_of(server: &TestServer, path: &str) -> u16 {
    Client::new(server).get(path).status
}

#[test]
fn a_reviewer_merges_through_the_form_and_undoes_it() {
    let server = archive();
    let mut rita = logged_in(&server, REVIEWER);

    // Found from the menu and from the survivor's edit page.
    let account = rita.get("/account");
    assert!(
        hrefs(&account.body, "nav.editor a").contains(&"/merges".to_string()),
        "{}",
        account.body
    );
    let edit = rita.get("/bodies/russian-federation/edit");
    assert_eq!(edit.status, 200, "{}", edit.body);
    let link = hrefs(&edit.body, "a")
        .into_iter()
        .find(|h| h.starts_with("/merges/new"))
        .unwrap_or_else(|| panic!("no merge link on the edit page: {}", edit.body));
    let start = rita.get(&link.replace("&amp;", "&"));
    assert_eq!(start.status, 200, "{}", start.body);
    let fields = form_fields(&start.body, "form.merge-start");
    assert!(
        fields.contains(&("into".into(), "russian-federation".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("type".into(), "body".into())),
        "{fields:?}"
    );

    // The preview: what the survivor gains and the links that move; nothing changed yet.
    let preview = rita.get(PREVIEW);
    assert_eq!(preview.status, 200, "{}", preview.body);
    let diff = texts(&preview.body, "table.diff tbody tr").join(" | ");
    for gained in [
        "Rossiyskaya Federatsiya",
        "124960346",
        "Imported from a travels collection; not checked.",
    ] {
        assert!(diff.contains(gained), "{gained} not in {diff}");
    }
    let moving = texts(&preview.body, "ul.moving li").join(" | ");
    assert!(moving.contains("Visit to Moscow"), "{moving}");
    assert!(hrefs(&preview.body, "a")
        .contains(&"/merges/new?type=body&into=russia&from=russian-federation".to_string()));
    assert_eq!(status_of(&server, "/bodies/russia"), 200);
    assert_eq!(merges_made(&server), 0);

    // Confirmed with the preview's own form (which carries the session's token).
    let mut confirm = form_fields(&preview.body, "form[action=\"/merges\"]");
    for (k, v) in confirm.iter_mut() {
        if k == "comment" {
            *v = "The same state: <script>alert(1)</script>".into();
        }
    }
    let done = submit(&mut rita, "/merges", &confirm);
    assert_eq!(done.status, 303, "{}", done.body);
    let at = done.header("location").unwrap().to_string();
    assert!(at.starts_with("/merges/"), "{at}");
    assert_eq!(merges_made(&server), 1);
    // The old address redirects; the survivor holds the other's name; search follows.
    let old = Client::new(&server).get("/bodies/russia");
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), Some("/bodies/russian-federation"));
    let (_, _, found) = server.json("/search?q=Rossiyskaya");
    assert!(
        found.to_string().contains("\"russian-federation\""),
        "{found}"
    );

    // Its page: who, why (escaped), the relinked record, and the undo form.
    let page = rita.get(&at);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.body
    );
    assert!(texts(&page.body, "ul.moving li")
        .join(" ")
        .contains("Visit to Moscow"));
    // And in the list, with an undo button.
    let list = rita.get("/merges");
    assert_eq!(list.status, 200, "{}", list.body);
    let rows = texts(&list.body, "table.merges tbody tr").join(" | ");
    assert!(
        rows.contains("russia") && rows.contains("Rita Reviewer"),
        "{rows}"
    );

    // Undone from the list's button.
    let id = at.trim_start_matches("/merges/");
    let undo_form = form_fields(&list.body, &format!("form[action=\"/merges/{id}/undo\"]"));
    let undone = submit(&mut rita, &format!("/merges/{id}/undo"), &undo_form);
    assert_eq!(undone.status, 303, "{}", undone.body);
    assert_eq!(status_of(&server, "/bodies/russia"), 200);
    let (_, _, doc) = server.json("/api/v1/documents/visit-to-moscow");
    assert!(doc.to_string().contains("\"russia\""), "{doc}");
    let page = rita.get(&at);
    assert!(
        texts(&page.body, "dl.facts")
            .join(" ")
            .contains("Undone by Rita Reviewer"),
        "{}",
        page.body
    );
    // A second undo is refused, saying why.
    let again = submit(&mut rita, &format!("/merges/{id}/undo"), &undo_form);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("undone already"), "{}", again.body);
}

#[test]
fn contributors_editors_and_anonymous_readers_cannot_merge() {
    let server = archive();
    for email in [CONTRIBUTOR, EDITOR] {
        let mut c = logged_in(&server, email);
        for path in ["/merges", PREVIEW, "/merges/1"] {
            assert_eq!(c.get(path).status, 403, "{email} {path}");
        }
        let csrf = c.session_csrf();
        let tried = c.post(
            "/merges",
            &[
                ("csrf", &csrf),
                ("type", "body"),
                ("into", "russian-federation"),
                ("from", "russia"),
            ],
        );
        assert_eq!(tried.status, 403, "{email}: {}", tried.body);
        // Neither the menu nor the edit page offers it.
        let account = c.get("/account");
        assert!(!hrefs(&account.body, "nav.editor a").contains(&"/merges".to_string()));
        let edit = c.get("/bodies/russian-federation/edit");
        assert!(!edit.body.contains("/merges/new"), "{email}");
    }
    let mut anonymous = Client::new(&server);
    let sent = anonymous.get("/merges");
    assert_eq!(sent.status, 303);
    assert!(sent
        .header("location")
        .unwrap()
        .starts_with("/login?next=%2Fmerges"));
    let tried = anonymous.post(
        "/merges",
        &[
            ("type", "body"),
            ("into", "russian-federation"),
            ("from", "russia"),
        ],
    );
    assert_ne!(tried.status, 303, "{}", tried.body);
    assert_eq!(merges_made(&server), 0);
    assert_eq!(status_of(&server, "/bodies/russia"), 200);

    // An admin may.
    let mut ada = logged_in(&server, ADMIN);
    assert_eq!(ada.get(PREVIEW).status, 200);
}

#[test]
fn a_merge_without_the_session_s_token_is_refused() {
    let server = archive();
    let mut rita = logged_in(&server, REVIEWER);
    let fields = [
        ("type", "body"),
        ("into", "russian-federation"),
        ("from", "russia"),
    ];
    let missing = rita.post("/merges", &fields);
    assert_eq!(missing.status, 403, "{}", missing.body);
    let mut forged = fields.to_vec();
    forged.push(("csrf", "forged-token"));
    assert_eq!(rita.post("/merges", &forged).status, 403);
    // The right token from another site's page (a foreign Origin) is refused too.
    let csrf = rita.session_csrf();
    let mut with_token = fields.to_vec();
    with_token.push(("csrf", &csrf));
    let cross = rita.post_with(
        "/merges",
        &with_token,
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(cross.status, 403);
    assert_eq!(merges_made(&server), 0);
    assert_eq!(status_of(&server, "/bodies/russia"), 200);
    // Undo too.
    let m = server
        .store
        .merges()
        .unwrap()
        .merge(
            RecordType::Body,
            "russia",
            "russian-federation",
            &dossier_store::Author::cli(),
            "test",
        )
        .unwrap();
    let refused = rita.post(&format!("/merges/{}/undo", m.id), &[]);
    assert_eq!(refused.status, 403);
    assert_eq!(status_of(&server, "/bodies/russia"), 301);
}

#[test]
fn bad_and_hostile_requests_are_refused_with_why_and_change_nothing() {
    let server = archive();
    let mut rita = logged_in(&server, REVIEWER);
    let csrf = rita.session_csrf();
    for (query, status, says) in [
        (
            "type=body&into=russian-federation&from=%3Cscript%3Ealert(1)%3C/script%3E",
            400,
            "lowercase letters",
        ),
        (
            "type=document&into=a&from=b",
            400,
            "two bodies or two people",
        ),
        (
            "type=body&into=russian-federation&from=russian-federation",
            422,
            "cannot be merged into itself",
        ),
        (
            "type=body&into=russian-federation&from=no-such-body",
            404,
            "There is no body `no-such-body`",
        ),
        (
            "type=person&into=george-robertson&from=russia",
            404,
            "no person `russia`",
        ),
    ] {
        let preview = rita.get(&format!("/merges/new?{query}"));
        assert_eq!(preview.status, status, "{query}: {}", preview.body);
        assert!(preview.body.contains(says), "{query}: {}", preview.body);
        assert!(!preview.body.contains("<script>alert"), "{query}");
        // Posted, the same refusal.
        let mut fields: Vec<(String, String)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), decode(v)))
            .collect();
        fields.push(("csrf".into(), csrf.clone()));
        let posted = submit(&mut rita, "/merges", &fields);
        assert_eq!(posted.status, status, "POST {query}: {}", posted.body);
    }
    assert_eq!(rita.get("/merges/not-a-number").status, 404);
    assert_eq!(rita.get("/merges/99999").status, 404);
    assert_eq!(
        rita.post("/merges/99999/undo", &[("csrf", &csrf)]).status,
        404
    );
    assert_eq!(merges_made(&server), 0);

    // An undo after a later change to a record the merge wrote is refused with its name.
    let m = server
        .store
        .merges()
        .unwrap()
        .merge(
            RecordType::Body,
            "russia",
            "russian-federation",
            &dossier_store::Author::cli(),
            "test",
        )
        .unwrap();
    let mut survivor = server.store.body("russian-federation").unwrap().unwrap();
    survivor.summary = Some("Changed after the merge.".into());
    server
        .store
        .write(&Archive {
            bodies: vec![survivor],
            ..Default::default()
        })
        .unwrap();
    let refused = rita.post(&format!("/merges/{}/undo", m.id), &[("csrf", &csrf)]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("russian-federation"),
        "{}",
        refused.body
    );
    assert_eq!(status_of(&server, "/bodies/russia"), 301);
}
