//! History, one revision's diff, revert and recent changes (issue 24) over real HTTP: a
//! record's published revisions newest first and paged; a change's dates and list items
//! diffed as values; a revert as a new revision that the public page shows; refusals for
//! those who may not revert; `/changes` and its Atom feed filtered; hostile text inert on
//! every page; drafts on none.

mod common;

use common::accounts::{add_user, Client};
use common::xml::{parse, Node};
use common::TestServer;
use dossier_auth::Role;
use dossier_model::*;
use dossier_store::accounts::User;
use dossier_store::revisions::{Author, Origin, Revision, RevisionQuery, Status};
use dossier_store::{SqliteStore, Store};
use serde_json::Value;

const SCRIPT_TITLE: &str = "<script>alert('title')</script> Founding text";
const IMG_COMMENT: &str = "<img src=x onerror=alert('comment')> fixed";
const DRAFT_COMMENT: &str = "SECRET-DRAFT-COMMENT";
const DRAFT_TITLE: &str = "SECRET-DRAFT-TITLE";

fn document(slug: &str, title: &str, date: &str, dossier: &str) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: title.into(),
        aliases: vec![],
        kind: DocumentKind::Statement,
        date: Some(Edtf::parse(date).unwrap()),
        place: None,
        issued_by: vec![],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec!["en".into()],
        summary: Some("A statement on cooperation.".into()),
        relations: vec![],
        dossiers: vec![dossier.into()],
        topics: vec![],
        provenance: Provenance::default(),
    }
}

fn dossier(slug: &str, title: &str) -> Dossier {
    Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: slug.into(),
        title: title.into(),
        description: String::new(),
        source: None,
        sections: vec![],
    }
}

fn fill(store: &SqliteStore) {
    store
        .write(&Archive {
            dossiers: vec![
                dossier("alpha", "Alpha dossier"),
                dossier("beta", "Beta dossier"),
            ],
            documents: vec![
                document("doc-a", "Statement A", "1997-05-27", "alpha"),
                document("doc-b", "Statement B", "1999-03-12", "beta"),
            ],
            bodies: vec![serde_json::from_value(serde_json::json!({
                "slug": "council", "name": "The Council", "kind": "council"
            }))
            .unwrap()],
            ..Default::default()
        })
        .unwrap();
}

fn author(user: &User) -> Author {
    Author {
        user: Some(user.id),
        name: user.name.clone(),
        origin: Origin::Web,
    }
}

/// The record's current published JSON.
fn current(server: &TestServer, ty: RecordType, slug: &str) -> Value {
    let revs = server.store.revisions().expect("revisions");
    let latest = revs
        .revisions(&RevisionQuery {
            record: Some(ty),
            slug: Some(slug.into()),
            statuses: vec![Status::Published],
            limit: 1,
            with_data: true,
            ..Default::default()
        })
        .unwrap();
    serde_json::from_str(latest[0].data.as_deref().expect("data")).unwrap()
}

/// Publishes a change made by `change` to the record's current JSON, as `who`.
fn publish(
    server: &TestServer,
    ty: RecordType,
    slug: &str,
    who: &Author,
    comment: &str,
    change: impl FnOnce(&mut Value),
) -> Revision {
    let revs = server.store.revisions().expect("revisions");
    let mut value = current(server, ty, slug);
    change(&mut value);
    let version = revs.version(ty, slug).unwrap();
    revs.publish(ty, slug, Some(&value.to_string()), version, who, comment)
        .unwrap_or_else(|e| panic!("publishing {slug}: {e}"))
}

/// A draft of a change that must never show on these pages.
fn draft(server: &TestServer, ty: RecordType, slug: &str, who: &Author) -> Revision {
    let revs = server.store.revisions().expect("revisions");
    let mut value = current(server, ty, slug);
    let field = if ty == RecordType::Body {
        "name"
    } else {
        "title"
    };
    value[field] = Value::from(DRAFT_TITLE);
    let base = revs.version(ty, slug).unwrap();
    revs.save_draft(
        ty,
        slug,
        Some(&value.to_string()),
        base,
        who,
        DRAFT_COMMENT,
        Status::Review,
    )
    .unwrap()
}

fn revision_count(server: &TestServer, ty: RecordType, slug: &str) -> usize {
    server
        .store
        .revisions()
        .unwrap()
        .revisions(&RevisionQuery {
            record: Some(ty),
            slug: Some(slug.into()),
            limit: 100_000,
            ..Default::default()
        })
        .unwrap()
        .len()
}

/// The rows of a page's first `table` with class `class`, as the text of their cells.
fn rows(html: &str, class: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse(&format!("table.{class} tbody tr")).unwrap();
    let cell = scraper::Selector::parse("td, th").unwrap();
    doc.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| c.text().collect::<String>().trim().to_string())
                .collect()
        })
        .collect()
}

/// Asserts that no hostile payload is live markup in `body`, and none of a draft's text
/// shows.
fn inert(what: &str, body: &str) {
    for raw in ["<script>alert", "<img src=x", DRAFT_COMMENT, DRAFT_TITLE] {
        assert!(!body.contains(raw), "{what} carries {raw:?}:\n{body}");
    }
}

fn json_versions(json: &Value, key: &str) -> Vec<i64> {
    json[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect()
}

#[test]
fn history_diff_and_revert() {
    let server = TestServer::with(fill);
    let rita = add_user(&server, "rita@example.org", "Rita Reviewer", Role::Reviewer);
    let carl = add_user(
        &server,
        "carl@example.org",
        "Carl Contributor",
        Role::Contributor,
    );
    let ty = RecordType::Document;
    let first = current(&server, ty, "doc-a");

    let dated = publish(
        &server,
        ty,
        "doc-a",
        &author(&rita),
        "Date corrected",
        |v| v["date"] = Value::from("1997-05-28"),
    );
    let french = publish(
        &server,
        ty,
        "doc-a",
        &author(&rita),
        "French text exists",
        |v| v["languages"] = serde_json::json!(["en", "fr"]),
    );
    let hostile = publish(&server, ty, "doc-a", &author(&rita), IMG_COMMENT, |v| {
        v["title"] = Value::from(SCRIPT_TITLE)
    });
    let secret = draft(&server, ty, "doc-a", &author(&carl));

    // The history: three changes and the first version, newest first, drafts left out.
    let (status, html) = server.html("/documents/doc-a/history");
    assert_eq!(status, 200, "{html}");
    inert("history", &html);
    assert!(
        !html.contains("rita@example.org"),
        "an email on the history"
    );
    let table = rows(&html, "history");
    let versions: Vec<&str> = table.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(versions, ["4", "3", "2", "1"], "{table:?}");
    assert_eq!(table[0][2], "Rita Reviewer");
    assert_eq!(table[0][3], IMG_COMMENT, "the comment is text");
    assert_eq!(table[2][3], "Date corrected");
    assert!(html.contains(&format!("href=\"/documents/doc-a/revisions/{}\"", dated.id)));
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the title is shown escaped"
    );
    let (status, _, json) = server.json("/documents/doc-a/history");
    assert_eq!(status, 200);
    assert_eq!(json_versions(&json, "revisions"), [4, 3, 2, 1]);
    assert!(json.to_string().find(DRAFT_COMMENT).is_none());
    assert!(!json.to_string().contains("@example.org"));

    // The date's change: old and new as values, with their readings.
    let (status, html) = server.html(&format!("/documents/doc-a/revisions/{}", dated.id));
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<del>1997-05-27</del>"), "{html}");
    assert!(html.contains("<ins>1997-05-28</ins>"), "{html}");
    assert!(html.contains("27 May 1997") && html.contains("28 May 1997"));
    let diff = rows(&html, "diff");
    assert_eq!(diff.len(), 1, "only the date changed: {diff:?}");
    assert_eq!(diff[0][0], "date");
    // The list's change: the added item marked, the kept one not.
    let (_, html) = server.html(&format!("/documents/doc-a/revisions/{}", french.id));
    assert!(html.contains("<li><ins>fr</ins></li>"), "{html}");
    assert!(html.contains("<li>en</li>"), "{html}");
    assert!(!html.contains("<del>en</del>"));
    // The hostile title's change: escaped on both sides of the diff.
    let (_, html) = server.html(&format!("/documents/doc-a/revisions/{}", hostile.id));
    inert("revision", &html);
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert("), "{html}");
    // A draft has no page here, nor does another record's revision.
    for path in [
        format!("/documents/doc-a/revisions/{}", secret.id),
        format!("/documents/doc-b/revisions/{}", dated.id),
        "/documents/doc-a/revisions/99999".into(),
        "/documents/doc-a/revisions/abc".into(),
        "/documents/nope/history".into(),
    ] {
        let (status, body) = server.html(&path);
        assert_eq!(status, 404, "{path}: {body}");
        inert(&path, &body);
    }
    // Anonymous readers get no revert form.
    let v1 = json["revisions"][3]["id"].as_i64().unwrap();
    let (_, html) = server.html(&format!("/documents/doc-a/revisions/{v1}"));
    assert!(!html.contains("/revert"), "{html}");

    // A contributor sees no form, and a forged revert is refused with nothing written.
    let mut contributor = Client::new(&server);
    contributor.login("carl@example.org", common::accounts::PASSWORD);
    let page = contributor.get(&format!("/documents/doc-a/revisions/{v1}"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/revert\""), "{}", page.body);
    let csrf = contributor.session_csrf();
    let before = revision_count(&server, ty, "doc-a");
    let refused = contributor.post(
        &format!("/documents/doc-a/revisions/{v1}/revert"),
        &[("csrf", &csrf), ("comment", "not mine to do")],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(revision_count(&server, ty, "doc-a"), before);
    // Without a session's token at all: refused before any handler.
    let (status, _, _) = server.request(
        "POST",
        &format!("/documents/doc-a/revisions/{v1}/revert"),
        &[],
        Some(("application/x-www-form-urlencoded", "comment=x")),
    );
    assert_eq!(status, 403);
    assert_eq!(revision_count(&server, ty, "doc-a"), before);

    // A reviewer restores the first version: a new revision with its data.
    let mut reviewer = Client::new(&server);
    reviewer.login("rita@example.org", common::accounts::PASSWORD);
    let page = reviewer.get(&format!("/documents/doc-a/revisions/{v1}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(
            "action=\"/documents/doc-a/revisions/{v1}/revert\""
        )),
        "{}",
        page.body
    );
    let csrf = page.csrf().expect("the revert form's token");
    // The current version offers no restore of itself.
    let now = reviewer.get(&format!("/documents/doc-a/revisions/{}", hostile.id));
    assert!(!now.body.contains("/revert\""));
    let done = reviewer.post(
        &format!("/documents/doc-a/revisions/{v1}/revert"),
        &[("csrf", &csrf), ("comment", "Back to the imported text")],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/documents/doc-a/history"));
    assert_eq!(current(&server, ty, "doc-a"), first);
    let (_, _, json) = server.json("/documents/doc-a/history");
    assert_eq!(json_versions(&json, "revisions"), [5, 4, 3, 2, 1]);
    assert_eq!(json["revisions"][0]["comment"], "Back to the imported text");
    assert_eq!(json["revisions"][0]["author"]["name"], "Rita Reviewer");
    // The public page shows the old values again.
    let (status, html) = server.html("/documents/doc-a");
    assert_eq!(status, 200);
    assert!(
        html.contains("27 May 1997") && !html.contains("28 May 1997"),
        "{html}"
    );
    assert!(html.contains("Statement A") && !html.contains("Founding text"));
    assert!(
        html.contains("href=\"/documents/doc-a/history\""),
        "the History link"
    );

    // Restoring what the record already is, or another record's revision: refused,
    // nothing written.
    let before = revision_count(&server, ty, "doc-a");
    let again = reviewer.post(
        &format!("/documents/doc-a/revisions/{v1}/revert"),
        &[("csrf", &csrf)],
    );
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains("nothing to revert"), "{}", again.body);
    let elsewhere = reviewer.post(
        &format!("/documents/doc-b/revisions/{v1}/revert"),
        &[("csrf", &csrf)],
    );
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);
    assert_eq!(revision_count(&server, ty, "doc-a"), before);
    assert_eq!(revision_count(&server, ty, "doc-b"), 1);
}

#[test]
fn recent_changes_filtered_and_as_atom() {
    let server = TestServer::with(fill);
    let rita = add_user(&server, "rita@example.org", "Rita Reviewer", Role::Reviewer);
    let ravi = add_user(
        &server,
        "ravi@example.org",
        "Ravi <b>Reviewer</b>",
        Role::Reviewer,
    );
    let a = publish(
        &server,
        RecordType::Document,
        "doc-a",
        &author(&rita),
        IMG_COMMENT,
        |v| v["title"] = Value::from(SCRIPT_TITLE),
    );
    let b = publish(
        &server,
        RecordType::Document,
        "doc-b",
        &author(&ravi),
        "Date",
        |v| v["date"] = Value::from("1999-03"),
    );
    let c = publish(
        &server,
        RecordType::Body,
        "council",
        &author(&rita),
        "Renamed",
        |v| v["name"] = Value::from("The Joint Council"),
    );
    draft(&server, RecordType::Document, "doc-b", &author(&rita));

    let ids = |json: &Value| -> Vec<i64> {
        json["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{json}"))
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    // Everything, newest first: the three changes above the first versions.
    let (status, _, all) = server.json("/changes");
    assert_eq!(status, 200);
    assert_eq!(ids(&all)[..3], [c.id, b.id, a.id]);
    assert!(!all.to_string().contains(DRAFT_COMMENT));
    assert!(!all.to_string().contains("@example.org"));
    assert_eq!(all["changes"][2]["title"], SCRIPT_TITLE, "the title now");
    // By type.
    let (_, _, docs) = server.json("/changes?type=document");
    assert!(docs["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] == "document"));
    assert_eq!(ids(&docs)[..2], [b.id, a.id]);
    let (_, _, bodies) = server.json("/changes?type=bodies");
    assert_eq!(ids(&bodies)[0], c.id);
    assert!(bodies["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["type"] == "body"));
    // By dossier: doc-a is in alpha, doc-b in beta.
    let (_, _, alpha) = server.json("/changes?dossier=alpha");
    let slugs: Vec<&str> = alpha["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert!(
        slugs.contains(&"doc-a") && !slugs.contains(&"doc-b"),
        "{slugs:?}"
    );
    assert_eq!(ids(&alpha)[0], a.id);
    // By author.
    let (_, _, by_rita) = server.json(&format!("/changes?author={}", rita.id));
    assert_eq!(ids(&by_rita), [c.id, a.id]);
    let (_, _, both) = server.json(&format!("/changes?author={}&type=document", rita.id));
    assert_eq!(ids(&both), [a.id]);
    // Bad filters are 400s that say why; an unknown dossier is a 404.
    for bad in [
        "/changes?type=widget",
        "/changes?author=rita",
        "/changes?author=0",
        "/changes?before=abc",
        "/changes?dossier=Not%20a%20slug",
        "/changes?type=body&type=document",
    ] {
        let (status, _, body) = server.get(bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(server.get("/changes?dossier=gamma").0, 404);

    // The page: hostile names and titles escaped, no draft, the author's link.
    let (status, html) = server.html("/changes");
    assert_eq!(status, 200);
    inert("changes", &html);
    assert!(html.contains("Ravi &lt;b&gt;Reviewer&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>Reviewer</b>"));
    assert!(html.contains(&format!("href=\"/changes?author={}\"", rita.id)));
    assert!(html.contains("href=\"/changes.atom\""), "the feed's link");
    let table = rows(&html, "history");
    assert!(table[0][1].contains("The Joint Council"), "{table:?}");
    let (_, html) = server.html("/changes?type=document&dossier=beta");
    let table = rows(&html, "history");
    assert_eq!(
        table.len(),
        2,
        "doc-b's change and its first version: {table:?}"
    );
    assert!(
        html.contains("href=\"/changes.atom?dossier=beta&amp;type=document\""),
        "{html}"
    );

    // The feed: well-formed Atom with the required elements, the same changes.
    let (status, ct, body) = server.get("/changes.atom");
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/atom+xml"), "{ct}");
    inert("changes.atom", &body);
    let feed = parse(&body);
    required_atom(&feed);
    let entries = feed.all("entry");
    assert_eq!(entries.len(), all["changes"].as_array().unwrap().len());
    assert!(entries[0]
        .text_of("title")
        .unwrap()
        .contains("The Joint Council"));
    let hostile = entries
        .iter()
        .find(|e| {
            e.text_of("id")
                .unwrap()
                .ends_with(&format!("/revisions/{}", a.id))
        })
        .expect("doc-a's change");
    assert!(
        hostile.text_of("title").unwrap().contains(SCRIPT_TITLE),
        "text, decoded"
    );
    assert!(hostile.text_of("summary").unwrap().contains(IMG_COMMENT));
    assert_eq!(
        hostile.child("author").and_then(|a| a.text_of("name")),
        Some("Rita Reviewer")
    );
    let (_, _, body) = server.get(&format!("/changes.atom?author={}", ravi.id));
    let feed = parse(&body);
    required_atom(&feed);
    let entries = feed.all("entry");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].child("author").and_then(|a| a.text_of("name")),
        Some("Ravi <b>Reviewer</b>")
    );
    assert_eq!(server.get("/changes.atom?type=widget").0, 400);

    // A dossier has a history too, linked from its page with its recent changes.
    let (status, html) = server.html("/dossiers/alpha/history");
    assert_eq!(status, 200, "{html}");
    assert_eq!(rows(&html, "history").len(), 1, "its first version");
    let (_, html) = server.html("/dossiers/alpha");
    assert!(html.contains("href=\"/dossiers/alpha/history\""), "{html}");
    assert!(html.contains("href=\"/changes?dossier=alpha\""), "{html}");
}

/// The feed's required elements, as tests/publish.rs checks the site's other feeds.
fn required_atom(feed: &Node) {
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    for e in ["id", "title", "updated"] {
        assert!(!feed.text_of(e).unwrap_or_default().is_empty(), "feed {e}");
    }
    assert!(feed
        .all("link")
        .iter()
        .any(|l| l.attr("rel") == Some("self")));
    assert!(feed
        .child("author")
        .and_then(|a| a.text_of("name"))
        .is_some());
    let rfc3339 = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    assert!(rfc3339.is_match(feed.text_of("updated").unwrap()));
    for entry in feed.all("entry") {
        for e in ["id", "title", "updated"] {
            assert!(
                !entry.text_of(e).unwrap_or_default().is_empty(),
                "entry {e}"
            );
        }
        assert!(rfc3339.is_match(entry.text_of("updated").unwrap()));
        assert!(entry.text_of("id").unwrap().starts_with("http"));
        assert!(entry
            .all("link")
            .iter()
            .any(|l| l.attr("rel") == Some("alternate")));
    }
}

#[test]
fn history_is_paged_by_revision() {
    let server = TestServer::with(fill);
    let rita = add_user(&server, "rita@example.org", "Rita Reviewer", Role::Reviewer);
    for i in 0..120 {
        publish(
            &server,
            RecordType::Body,
            "council",
            &author(&rita),
            &format!("change {i}"),
            |v| v["name"] = Value::from(format!("The Council ({i})")),
        );
    }
    draft(&server, RecordType::Body, "council", &author(&rita));
    let mut seen: Vec<i64> = Vec::new();
    let mut path = "/bodies/council/history".to_string();
    let mut pages = 0;
    loop {
        let (status, _, json) = server.json(&path);
        assert_eq!(status, 200, "{path}");
        pages += 1;
        let page: Vec<i64> = json["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert!(page.len() <= 50);
        seen.extend(&page);
        let (_, html) = server.html(&path);
        inert(&path, &html);
        match json["older"].as_str() {
            Some(next) => {
                assert!(
                    html.contains(&format!("href=\"{next}\" rel=\"next\"")),
                    "{html}"
                );
                path = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 121, "120 changes and the first version");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeat"
    );
    // A page's `before` is exclusive: it starts below the id.
    let (_, _, json) = server.json(&format!("/bodies/council/history?before={}", seen[10]));
    assert_eq!(json["revisions"][0]["id"].as_i64(), Some(seen[11]));
    assert!(json["newest"].is_string());
    for bad in ["abc", "0", "-3", "1.5", "99999999999999999999"] {
        let (status, _, body) = server.get(&format!("/bodies/council/history?before={bad}"));
        assert_eq!(status, 400, "before={bad}: {body}");
    }
    // /changes pages the same way.
    let (_, _, json) = server.json("/changes?type=body");
    assert_eq!(json["changes"].as_array().unwrap().len(), 50);
    let older = json["older"].as_str().expect("an older page");
    assert!(older.starts_with("/changes?type=body&before="), "{older}");
}
