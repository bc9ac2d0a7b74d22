//! Drafts never leak (issue 24), over real HTTP on the built-in dossier: a contributor's
//! and an editor's drafts — a changed title carrying a unique word, a new record, a
//! deletion — are invisible to readers on every surface that publishes the archive: the
//! record pages, the search (page, JSON and API), the Atom feeds, the sitemap, OAI-PMH
//! (ListRecords, GetRecord), the API for anonymous callers and for another account's read
//! token, the revisions list and history, recent changes (page, JSON, Atom), and the
//! static export. Each role's rights end to end: a contributor has no Publish button and a
//! forged publish (form or API) is refused; a reader changes nothing. Then a reviewer
//! publishes, and every surface shows the change within a few seconds.

mod common;

use common::accounts::{add_user, auth, dossier, Answer, Client, PASSWORD};
use common::forms::form_fields;
use common::TestServer;
use dossier_auth::{Actor, Role, Scope};
use dossier_store::Store;
use scraper::{Html, Selector};
use std::time::{Duration, Instant};

const CONTRIBUTOR: &str = "contributor@leaks.example";
const EDITOR: &str = "editor@leaks.example";
const REVIEWER: &str = "reviewer@leaks.example";
const OTHER: &str = "other@leaks.example";

/// The contributor's title change of the Founding Act.
const ACT: &str = "founding-act-1997";
const CONTRIBUTOR_WORD: &str = "Quillfeather";
/// The editor's title change of another document, through the API.
const EDITOR_WORD: &str = "Obsidianwick";
/// The editor's new document, made from the web form and sent to review.
const NEW_WORD: &str = "Marzipanic";
const NEW_SLUG: &str = "marzipanic-memo-1999";
/// A document the contributor asks to delete (made by the reviewer for the test, so that
/// nothing links to it and its deletion can be published).
const DOOMED: &str = "doomed-note-1998";
const DOOMED_WORD: &str = "Vellichorite";

type Fields = Vec<(String, String)>;

struct World {
    server: TestServer,
    contributor: Client,
    editor: Client,
    reviewer: Client,
    /// The contributor's and the editor's write tokens, another account's read token.
    contributor_token: String,
    editor_token: String,
    other_read: String,
    /// The editor's document changed through the API.
    other_doc: String,
}

fn token(server: &TestServer, email: &str, scope: Scope) -> String {
    auth(server)
        .create_token(&Actor::Cli, email, scope, "editing_leaks test")
        .unwrap_or_else(|e| panic!("token for {email}: {e}"))
        .1
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn set(fields: &mut Fields, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value.to_string(),
        None => panic!("no field {name}"),
    }
}

fn submit(c: &mut Client, path: &str, fields: &Fields, intent: &str) -> Answer {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("intent", intent));
    c.post(path, &all)
}

fn buttons(html: &str) -> Vec<String> {
    Html::parse_document(html)
        .select(&sel("button[type=submit]"))
        .map(|e| e.text().collect::<Vec<_>>().join(" ").trim().to_string())
        .collect()
}

/// The draft a save was answered with (`303` to `/drafts/{id}`).
fn draft_id(a: &Answer) -> i64 {
    assert_eq!(a.status, 303, "a saved draft redirects: {}", a.body);
    let location = a.header("location").unwrap();
    location
        .strip_prefix("/drafts/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a draft's address: {location}"))
}

/// An API call with a Bearer token (and JSON, when given).
fn api(
    c: &mut Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Answer {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = vec![("Accept", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b));
    }
    headers.extend_from_slice(extra);
    c.send(method, path, &headers, body)
}

fn etag(c: &mut Client, path: &str, token: &str) -> String {
    let a = api(c, "GET", path, Some(token), &[], None);
    assert_eq!(a.status, 200, "GET {path}: {}", a.body);
    a.header("etag").expect("an ETag").to_string()
}

/// The id of the open draft a 202 answered with.
fn api_draft(a: &Answer) -> i64 {
    assert_eq!(a.status, 202, "a draft is accepted: {}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", a.body))
}

fn world() -> World {
    let server = TestServer::builtin();
    for (email, name, role) in [
        (CONTRIBUTOR, "Connie Contributor", Role::Contributor),
        (EDITOR, "Eddie Editor", Role::Editor),
        (REVIEWER, "Rita Reviewer", Role::Reviewer),
        (OTHER, "Otto Other", Role::Reviewer),
    ] {
        add_user(&server, email, name, role);
    }
    let login = |email: &str| {
        let mut c = Client::new(&server);
        c.login(email, PASSWORD);
        c
    };
    let (contributor, editor, reviewer) = (login(CONTRIBUTOR), login(EDITOR), login(REVIEWER));
    let other_doc = server
        .store
        .documents(&Default::default())
        .unwrap()
        .into_iter()
        .map(|d| d.slug)
        .find(|s| s != ACT)
        .expect("another document");
    World {
        contributor_token: token(&server, CONTRIBUTOR, Scope::Write),
        editor_token: token(&server, EDITOR, Scope::Write),
        other_read: token(&server, OTHER, Scope::Read),
        server,
        contributor,
        editor,
        reviewer,
        other_doc,
    }
}

/// Every OAI-PMH answer to `args` (a list verb), following resumption tokens, joined.
fn oai_all(server: &TestServer, args: &str) -> String {
    let verb = args.split('&').next().unwrap();
    let mut all = String::new();
    let mut query = args.to_string();
    for _ in 0..100 {
        let (status, _, body) = server.get(&format!("/oai?{query}"));
        assert_eq!(status, 200, "/oai?{query}: {body}");
        all.push_str(&body);
        let token = body
            .split("<resumptionToken")
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split_once("</resumptionToken>"))
            .map(|(t, _)| t.trim().to_string())
            .filter(|t| !t.is_empty());
        match token {
            Some(t) => query = format!("{verb}&resumptionToken={}", encode(&t)),
            None => return all,
        }
    }
    panic!("more than 100 pages of OAI-PMH records")
}

fn encode(s: &str) -> String {
    common::accounts::encode(s)
}

/// The OAI-PMH identifier of a document, in the form the harvested headers show
/// (`oai:HOST:document/SLUG`).
fn oai_identifier(harvested: &str, slug: &str) -> String {
    // The first document's identifier (bodies come first in a harvest).
    let end = harvested
        .find(":document/")
        .unwrap_or_else(|| panic!("no document identifier in {harvested}"));
    let start = harvested[..end]
        .rfind("<identifier>")
        .expect("an identifier element")
        + "<identifier>".len();
    format!("{}:document/{slug}", &harvested[start..end])
}

/// Every surface a reader (or a harvester, or a script with another account's read
/// token) reaches, each as (what, status, body).
fn surfaces(w: &World, ids: &[i64]) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    let s = &w.server;
    let mut page = |what: &str, path: &str| {
        let (status, body) = s.html(path);
        out.push((format!("{what} ({path})"), status, body));
    };
    page("the record page", &format!("/documents/{ACT}"));
    page("the record page", &format!("/documents/{}", w.other_doc));
    page("the record page", &format!("/documents/{DOOMED}"));
    page("the new record's page", &format!("/documents/{NEW_SLUG}"));
    page("the dossier page", "/dossiers/nato-russia");
    // Searched in lower case: the page repeats the query, a hit shows the title's
    // capital.
    for word in [CONTRIBUTOR_WORD, EDITOR_WORD, NEW_WORD] {
        page("search", &format!("/search?q={}", word.to_lowercase()));
    }
    page("the archive's feed", "/feed.atom");
    page("the dossier's feed", "/dossiers/nato-russia/feed.atom");
    page("the sitemap", "/sitemap.xml");
    page("recent changes", "/changes");
    page("recent changes' feed", "/changes.atom");
    page("the history", &format!("/documents/{ACT}/history"));
    page(
        "the history",
        &format!("/documents/{}/history", w.other_doc),
    );
    let (status, _, json) = s.json("/changes");
    out.push(("recent changes as JSON".into(), status, json.to_string()));
    let harvested = oai_all(s, "verb=ListRecords&metadataPrefix=oai_dc");
    for slug in [ACT, w.other_doc.as_str(), DOOMED] {
        let id = oai_identifier(&harvested, slug);
        let (status, _, body) = s.get(&format!(
            "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={}",
            encode(&id)
        ));
        out.push((format!("OAI-PMH GetRecord {slug}"), status, body));
    }
    out.push(("OAI-PMH ListRecords".into(), 200, harvested));
    let mut anonymous = Client::new(s);
    for id in ids {
        // Anonymous: sent to log in, never shown.
        for path in [format!("/drafts/{id}"), format!("/drafts/{id}/preview")] {
            let a = anonymous.get(&path);
            out.push((format!("a draft ({path})"), a.status, a.body));
        }
    }
    let other_read = w.other_read.clone();
    for token in [None, Some(other_read.as_str())] {
        let who = if token.is_some() {
            "another account's read token"
        } else {
            "anonymous"
        };
        let mut paths = vec![
            format!("/api/v1/documents/{ACT}"),
            format!("/api/v1/documents/{}", w.other_doc),
            format!("/api/v1/documents/{DOOMED}"),
            format!("/api/v1/documents/{NEW_SLUG}"),
            format!("/api/v1/documents/{ACT}/revisions"),
            format!("/api/v1/documents/{}/revisions", w.other_doc),
            format!("/api/v1/documents/{DOOMED}/revisions"),
            "/api/v1/documents?limit=100".to_string(),
        ];
        for word in [CONTRIBUTOR_WORD, EDITOR_WORD, NEW_WORD] {
            paths.push(format!("/api/v1/search?q={}", word.to_lowercase()));
        }
        for path in paths {
            let a = api(&mut anonymous, "GET", &path, token, &[], None);
            out.push((format!("the API, {who} ({path})"), a.status, a.body));
        }
    }
    out
}

/// The static export's files, as one text.
fn export(server: &TestServer, dir: &std::path::Path) -> String {
    let (ok, stdout, stderr) = dossier(
        server,
        &[
            "export",
            "site",
            dir.to_str().unwrap(),
            "--base-url",
            "https://archive.example.org/",
        ],
        "",
    );
    assert!(ok, "export: {stdout}{stderr}");
    let mut all = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                all.push_str(&p.display().to_string());
                all.push('\n');
                all.push_str(&text);
            }
        }
    }
    all
}

fn assert_unseen(found: &[(String, u16, String)], words: &[&str]) {
    for (what, status, body) in found {
        assert!(*status < 500, "{what}: {status}: {body}");
        for word in words {
            assert!(
                !body.contains(word),
                "a draft leaked: `{word}` in {what} ({status})"
            );
        }
    }
}

#[test]
fn drafts_are_invisible_to_readers_everywhere_until_a_reviewer_publishes() {
    let mut w = world();

    // The reviewer publishes the document the contributor will ask to delete.
    let form = w.reviewer.get("/documents/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "slug", DOOMED);
    set(&mut fields, "title", &format!("A {DOOMED_WORD} note"));
    set(&mut fields, "date", "1998-02");
    set(&mut fields, "kind", "statement");
    let made = submit(&mut w.reviewer, "/documents/new", &fields, "publish");
    assert_eq!(made.status, 303, "{}", made.body);

    // 1. The contributor changes the Founding Act's title on the web: a draft.
    let edit = format!("/documents/{ACT}/edit");
    let form = w.contributor.get(&edit);
    assert_eq!(form.status, 200, "{}", form.body);
    let shown = buttons(&form.body);
    assert!(
        !shown
            .iter()
            .any(|b| b == "Publish" || b == "Send to review"),
        "a contributor is offered {shown:?}"
    );
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(
        &mut fields,
        "title",
        &format!("Founding Act ({CONTRIBUTOR_WORD})"),
    );
    let forged = submit(&mut w.contributor, &edit, &fields, "publish");
    assert_eq!(
        forged.status, 403,
        "a contributor's forged publish: {}",
        forged.body
    );
    let forged = submit(&mut w.contributor, &edit, &fields, "review");
    assert_eq!(
        forged.status, 403,
        "a contributor's forged review: {}",
        forged.body
    );
    let contributor_draft = draft_id(&submit(&mut w.contributor, &edit, &fields, "draft"));
    let page = w.contributor.get(&format!("/drafts/{contributor_draft}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(CONTRIBUTOR_WORD));
    assert!(!buttons(&page.body).contains(&"Publish".to_string()));
    let csrf = w.contributor.session_csrf();
    for action in ["publish", "review", "return"] {
        let forged = w.contributor.post(
            &format!("/drafts/{contributor_draft}/{action}"),
            &[("csrf", &csrf), ("comment", "forged")],
        );
        assert_eq!(forged.status, 403, "{action}: {}", forged.body);
    }

    // 2. The contributor asks to delete a document through the API: a draft too; asking
    // for review or publication is refused.
    let doomed = format!("/api/v1/documents/{DOOMED}");
    let tag = etag(&mut w.contributor, &doomed, &w.contributor_token.clone());
    let ct = w.contributor_token.clone();
    let a = api(
        &mut w.contributor,
        "DELETE",
        &format!("{doomed}?review=true"),
        Some(&ct),
        &[("If-Match", &tag)],
        None,
    );
    assert_eq!(
        a.status, 403,
        "a contributor cannot send to review: {}",
        a.body
    );
    let deletion = api_draft(&api(
        &mut w.contributor,
        "DELETE",
        &doomed,
        Some(&ct),
        &[("If-Match", &tag)],
        None,
    ));
    // A forged PATCH publishing at once is a draft at most; a revert is refused.
    let act_api = format!("/api/v1/documents/{ACT}");
    let act_tag = etag(&mut w.contributor, &act_api, &ct);
    let revisions = api(
        &mut w.contributor,
        "GET",
        &format!("{act_api}/revisions"),
        None,
        &[],
        None,
    );
    let first: serde_json::Value = serde_json::from_str(&revisions.body).unwrap();
    let first = first
        .as_array()
        .or(first["revisions"].as_array())
        .and_then(|l| l.last().cloned())
        .unwrap_or_else(|| panic!("revisions: {}", revisions.body));
    let revert = api(
        &mut w.contributor,
        "POST",
        &format!("{act_api}/revisions/{}/revert", first["id"]),
        Some(&ct),
        &[("If-Match", &act_tag)],
        None,
    );
    assert_eq!(
        revert.status, 403,
        "a contributor cannot revert: {}",
        revert.body
    );

    // A reader changes nothing: no token is 401, a read token 403.
    let patch = Some((
        "application/merge-patch+json",
        format!(r#"{{"title": "Founding Act {CONTRIBUTOR_WORD}"}}"#),
    ));
    let mut reader = Client::new(&w.server);
    let a = api(
        &mut reader,
        "PATCH",
        &act_api,
        None,
        &[("If-Match", &act_tag)],
        patch.clone(),
    );
    assert_eq!(a.status, 401, "{}", a.body);
    let read = w.other_read.clone();
    let a = api(
        &mut reader,
        "PATCH",
        &act_api,
        Some(&read),
        &[("If-Match", &act_tag)],
        patch,
    );
    assert_eq!(a.status, 403, "{}", a.body);

    // 3. The editor changes another document's title through the API, sent to review.
    let other_api = format!("/api/v1/documents/{}", w.other_doc);
    let et = w.editor_token.clone();
    let tag = etag(&mut w.editor, &other_api, &et);
    let editor_draft = api_draft(&api(
        &mut w.editor,
        "PATCH",
        &format!("{other_api}?review=true"),
        Some(&et),
        &[("If-Match", &tag)],
        Some((
            "application/merge-patch+json",
            format!(r#"{{"title": "Revised text ({EDITOR_WORD})"}}"#),
        )),
    ));

    // 4. The editor makes a new document on the web and sends it to review.
    let form = w.editor.get("/documents/new");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(!buttons(&form.body).contains(&"Publish".to_string()));
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "slug", NEW_SLUG);
    set(&mut fields, "title", &format!("The {NEW_WORD} memorandum"));
    set(&mut fields, "date", "1999-03-12");
    set(&mut fields, "kind", "statement");
    let forged = submit(&mut w.editor, "/documents/new", &fields, "publish");
    assert_eq!(
        forged.status, 403,
        "an editor's forged publish: {}",
        forged.body
    );
    let new_draft = draft_id(&submit(&mut w.editor, "/documents/new", &fields, "review"));

    // Nobody but their authors and editors sees them: not readers, not harvesters, not
    // scripts, not the export.
    let drafts = [contributor_draft, deletion, editor_draft, new_draft];
    let words = [CONTRIBUTOR_WORD, EDITOR_WORD, NEW_WORD];
    let found = surfaces(&w, &drafts);
    assert_unseen(&found, &words);
    for (what, status, _) in &found {
        if what.contains("a draft") {
            assert_eq!(*status, 303, "{what}: sent to log in");
        }
        if what.contains(NEW_SLUG) && !what.contains("search") {
            assert_eq!(*status, 404, "{what}");
        }
        if what.starts_with("the record page") && what.contains(DOOMED) {
            assert_eq!(
                *status, 200,
                "a deletion waiting for review deletes nothing"
            );
        }
    }
    // The new record's address is nowhere a reader finds records (an unknown page may
    // repeat the address it was asked for, so those are not searched for it).
    for (what, _, body) in &found {
        let lists = [
            "the sitemap",
            "the archive's feed",
            "the dossier's feed",
            "OAI-PMH",
            "recent changes",
            "search",
            "the dossier page",
        ];
        if lists.iter().any(|l| what.starts_with(l)) {
            assert!(
                !body.contains(NEW_SLUG),
                "the draft's new record is listed in {what}"
            );
        }
    }
    let (_, doomed_page) = w.server.html(&format!("/documents/{DOOMED}"));
    assert!(doomed_page.contains(DOOMED_WORD));
    // Another account that may not edit others' drafts: a reviewer's read token sees no
    // draft in a revisions list.
    for (what, _, body) in found.iter().filter(|(w, _, _)| w.contains("/revisions")) {
        for status in ["\"draft\"", "\"review\"", "\"returned\""] {
            assert!(!body.contains(status), "{what} lists a draft: {body}");
        }
    }
    let out = tempfile::tempdir().unwrap();
    let site = export(&w.server, &out.path().join("site"));
    for word in words.iter().chain([&NEW_SLUG]) {
        assert!(
            !site.contains(word),
            "a draft leaked into the static export: `{word}`"
        );
    }
    assert!(
        site.contains(DOOMED_WORD),
        "the export holds the published document"
    );

    // Another contributor does not see them either.
    let mut nosy = Client::new(&w.server);
    add_user(
        &w.server,
        "nosy@leaks.example",
        "Nora Nosy",
        Role::Contributor,
    );
    nosy.login("nosy@leaks.example", PASSWORD);
    let list = nosy.get("/drafts");
    assert_eq!(list.status, 200);
    assert_unseen(
        &[("another contributor's /drafts".into(), 200, list.body)],
        &words,
    );
    for id in drafts {
        let a = nosy.get(&format!("/drafts/{id}"));
        assert!(
            a.status == 404 || a.status == 403,
            "/drafts/{id}: {}",
            a.status
        );
    }

    // The reviewer publishes all four.
    for id in drafts {
        let csrf = w.reviewer.session_csrf();
        let published = w.reviewer.post(
            &format!("/drafts/{id}/publish"),
            &[("csrf", &csrf), ("comment", "Checked.")],
        );
        assert_eq!(published.status, 303, "publish {id}: {}", published.body);
    }

    // Every surface shows them soon after (within a few seconds on a loaded machine).
    let started = Instant::now();
    let must_show: &[(&str, &str)] = &[
        ("the record page", CONTRIBUTOR_WORD),
        ("the record page", EDITOR_WORD),
        ("the new record's page", NEW_WORD),
        ("search (/search?q=quillfeather)", CONTRIBUTOR_WORD),
        ("search (/search?q=obsidianwick)", EDITOR_WORD),
        ("search (/search?q=marzipanic)", NEW_WORD),
        ("the archive's feed", NEW_WORD),
        ("the archive's feed", CONTRIBUTOR_WORD),
        ("the sitemap", NEW_SLUG),
        ("recent changes (", CONTRIBUTOR_WORD),
        ("recent changes' feed", EDITOR_WORD),
        ("recent changes as JSON", NEW_WORD),
        ("OAI-PMH ListRecords", CONTRIBUTOR_WORD),
        ("OAI-PMH ListRecords", NEW_WORD),
        ("OAI-PMH GetRecord founding-act-1997", CONTRIBUTOR_WORD),
        (
            "the API, anonymous (/api/v1/documents/founding-act-1997)",
            CONTRIBUTOR_WORD,
        ),
        ("the API, anonymous (/api/v1/documents/marzipanic", NEW_WORD),
        (
            "the API, anonymous (/api/v1/search?q=obsidianwick)",
            EDITOR_WORD,
        ),
        (
            "the API, another account's read token (/api/v1/search?q=marzipanic)",
            NEW_WORD,
        ),
    ];
    let missing = loop {
        let found = surfaces(&w, &[]);
        let missing: Vec<String> = must_show
            .iter()
            .filter(|(what, word)| {
                !found.iter().any(|(w, status, body)| {
                    w.starts_with(what) && *status == 200 && body.contains(word)
                })
            })
            .map(|(what, word)| format!("`{word}` in {what}"))
            .collect();
        if missing.is_empty() || started.elapsed() > Duration::from_secs(5) {
            break missing;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        missing.is_empty(),
        "published {:.1} s ago and still not shown: {missing:?}",
        started.elapsed().as_secs_f64()
    );
    // The published deletion: gone from the page, reported by OAI-PMH as deleted.
    let (status, _) = w.server.html(&format!("/documents/{DOOMED}"));
    assert!(
        status == 404 || status == 410,
        "a deleted document's page: {status}"
    );
    let all = oai_all(&w.server, "verb=ListIdentifiers&metadataPrefix=oai_dc");
    let entry = all
        .split("<header")
        .find(|h| h.contains(&format!("document/{DOOMED}<")))
        .unwrap_or_else(|| panic!("OAI-PMH forgot the deletion: {all}"));
    assert!(entry.contains("status=\"deleted\""), "{entry}");

    let site = export(&w.server, &out.path().join("site"));
    for word in words {
        assert!(
            site.contains(word),
            "the export lacks the published `{word}`"
        );
    }
    assert!(
        !site.contains(DOOMED_WORD),
        "the export still holds the deleted document"
    );
}
