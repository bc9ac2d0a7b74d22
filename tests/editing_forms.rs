//! The web's editing forms and the draft/review workflow (issue 24) over real HTTP on the
//! built-in dossier: an editor's corrected date is a draft the public never sees until a
//! reviewer publishes it (then the page and the search show it); the model's refusals
//! shown beside their fields with what was typed kept and nothing saved; a stale version
//! answered with both changes; a contributor kept from others' drafts and from
//! publishing; hostile text typed into every field inert wherever it is shown.

mod common;

use common::accounts::{add_user, Answer, Client, PASSWORD};
use common::forms::form_fields;
use common::TestServer;
use dossier_auth::Role;
use dossier_model::RecordType;
use dossier_store::revisions::RevisionQuery;
use dossier_store::Store;
use scraper::{Html, Selector};

const EDITOR: &str = "editor@archive.example";
const REVIEWER: &str = "reviewer@archive.example";
const CONTRIBUTOR: &str = "contributor@archive.example";
const OTHER_CONTRIBUTOR: &str = "other@archive.example";

const ACT: &str = "founding-act-1997";
const ACT_PAGE: &str = "/documents/founding-act-1997";
const ACT_EDIT: &str = "/documents/founding-act-1997/edit";

/// A form's fields, as a browser would send them.
type Fields = Vec<(String, String)>;

fn archive() -> TestServer {
    let server = TestServer::builtin();
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    add_user(
        &server,
        CONTRIBUTOR,
        "Connie Contributor",
        Role::Contributor,
    );
    add_user(&server, OTHER_CONTRIBUTOR, "Otto Other", Role::Contributor);
    server
}

fn logged_in(server: &TestServer, email: &str) -> Client {
    let mut c = Client::new(server);
    c.login(email, PASSWORD);
    c
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn get_field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

fn set(fields: &mut Fields, name: &str, value: &str) {
    let slot = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = value.to_string();
}

/// Posts a form's fields with the button `intent`.
fn submit(c: &mut Client, path: &str, fields: &Fields, intent: &str) -> Answer {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("intent", intent));
    c.post(path, &all)
}

/// The texts of the elements `selector` picks, whitespace collapsed.
fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&sel(selector))
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The visible labels of a page's submit buttons.
fn buttons(html: &str) -> Vec<String> {
    texts(html, "button[type=submit]")
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

fn no_store(a: &Answer, what: &str) {
    let cc = a.header("cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "{what}: Cache-Control {cc:?}");
}

/// The date the public page of the Founding Act shows (its `<time datetime>` in the facts).
fn public_date(server: &TestServer) -> String {
    let (status, html) = server.html(ACT_PAGE);
    assert_eq!(status, 200);
    let doc = Html::parse_document(&html);
    doc.select(&sel("dl.facts time"))
        .next()
        .and_then(|t| t.value().attr("datetime"))
        .unwrap_or_default()
        .to_string()
}

fn version(server: &TestServer) -> i64 {
    server
        .store
        .revisions()
        .unwrap()
        .version(RecordType::Document, ACT)
        .unwrap()
}

fn revision_count(server: &TestServer) -> u64 {
    server
        .store
        .revisions()
        .unwrap()
        .count_revisions(RecordType::Document, ACT)
        .unwrap()
}

#[test]
fn an_editor_s_date_is_a_draft_until_a_reviewer_publishes_it() {
    let server = archive();
    assert_eq!(public_date(&server), "1997-05-27");
    let mut editor = logged_in(&server, EDITOR);

    // The record page links to the form for those who may edit, and to nobody else.
    let page = editor.get(ACT_PAGE);
    assert_eq!(
        texts(&page.body, "p.edit-link a"),
        ["Edit this document"],
        "{}",
        page.body
    );
    let (_, anonymous_page) = server.html(ACT_PAGE);
    assert!(texts(&anonymous_page, "p.edit-link").is_empty());

    let form = editor.get(ACT_EDIT);
    assert_eq!(form.status, 200, "{}", form.body);
    no_store(&form, "the edit form");
    let labels = texts(&form.body, "label[for=field-date]");
    assert_eq!(labels, ["Date"]);
    let doc = Html::parse_document(&form.body);
    let date = doc.select(&sel("input#field-date")).next().unwrap();
    assert_eq!(date.value().attr("name"), Some("date"));
    assert_eq!(date.value().attr("value"), Some("1997-05-27"));
    assert_eq!(texts(&form.body, "output.reading"), ["27 May 1997"]);
    let shown = buttons(&form.body);
    for b in ["Save draft", "Send to review"] {
        assert!(shown.contains(&b.to_string()), "{shown:?}");
    }
    assert!(!shown.contains(&"Publish".to_string()), "{shown:?}");

    // Its one script is the site's own file (a progressive enhancement).
    let scripts: Vec<&str> = doc
        .select(&sel("script"))
        .filter_map(|s| s.value().attr("src"))
        .collect();
    assert_eq!(scripts, ["/static/edit.js"]);
    let (status, ct, script) = server.get("/static/edit.js");
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/javascript"), "{ct}");
    assert!(script.contains("beforeunload"));

    let mut fields = form_fields(&form.body, "form.edit-form");
    assert_eq!(get_field(&fields, "version"), version(&server).to_string());
    set(&mut fields, "date", "1997-05-14");
    set(
        &mut fields,
        "comment",
        "The Act was initialled on 14 May (test).",
    );
    let saved = submit(&mut editor, ACT_EDIT, &fields, "draft");
    let id = draft_id(&saved);
    // Nothing published: the public page and the search keep the old date.
    assert_eq!(public_date(&server), "1997-05-27");

    // The draft's page: the change against the published record, and the editor's actions.
    let draft = editor.get(&format!("/drafts/{id}"));
    assert_eq!(draft.status, 200, "{}", draft.body);
    no_store(&draft, "the draft page");
    let rows = texts(&draft.body, "table.diff tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("Date") && r.contains("1997-05-27") && r.contains("1997-05-14")),
        "{rows:?}"
    );
    assert!(draft
        .body
        .contains("The Act was initialled on 14 May (test)."));
    let actions = buttons(&draft.body);
    assert!(
        actions.contains(&"Send to review".to_string()),
        "{actions:?}"
    );
    assert!(!actions.contains(&"Publish".to_string()), "{actions:?}");

    // The preview: the real page template with the draft's date, marked as a preview.
    let preview = editor.get(&format!("/drafts/{id}/preview"));
    assert_eq!(preview.status, 200, "{}", preview.body);
    no_store(&preview, "the preview");
    assert!(preview
        .body
        .contains("<time datetime=\"1997-05-14\">14 May 1997</time>"));
    assert_eq!(texts(&preview.body, "p.preview-banner").len(), 1);
    let mut anonymous = Client::new(&server);
    let refused = anonymous.get(&format!("/drafts/{id}/preview"));
    assert_eq!(refused.status, 303);
    assert!(refused
        .header("location")
        .unwrap()
        .starts_with("/login?next=%2Fdrafts%2F"));

    let csrf = editor.session_csrf();
    let sent = editor.post(
        &format!("/drafts/{id}/review"),
        &[("csrf", &csrf), ("comment", "Please check the date.")],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(public_date(&server), "1997-05-27");

    // The reviewer sees it waiting, with the diff, and publishes it.
    let mut reviewer = logged_in(&server, REVIEWER);
    let list = reviewer.get("/drafts");
    assert_eq!(list.status, 200);
    let waiting = texts(&list.body, "#g-review + table tbody tr");
    assert!(
        waiting.iter().any(|r| r.contains(&format!("Draft {id}"))),
        "{waiting:?} {}",
        list.body
    );
    let draft = reviewer.get(&format!("/drafts/{id}"));
    assert!(buttons(&draft.body).contains(&"Publish".to_string()));
    let csrf = reviewer.session_csrf();
    let published = reviewer.post(
        &format!("/drafts/{id}/publish"),
        &[("csrf", &csrf), ("comment", "Checked against the text.")],
    );
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(published.header("location"), Some(ACT_PAGE));

    assert_eq!(public_date(&server), "1997-05-14");
    let (status, _, json) = server.json("/search?q=%22Founding%20Act%22");
    assert_eq!(status, 200);
    let hit = json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["slug"] == ACT)
        .unwrap_or_else(|| panic!("no hit for the Act: {json}"));
    assert_eq!(hit["date"], "1997-05-14", "{hit}");
}

#[test]
fn refused_values_stay_beside_their_fields_and_nothing_is_saved() {
    let server = archive();
    let mut editor = logged_in(&server, EDITOR);
    let form = editor.get(ACT_EDIT);
    let mut fields = form_fields(&form.body, "form.edit-form");
    let before = (version(&server), revision_count(&server));
    set(&mut fields, "date", "1997-13-45");
    set(&mut fields, "parties", "nato\nno-such-body");
    set(&mut fields, "summary", "Typed text that must survive.");
    let answer = submit(&mut editor, ACT_EDIT, &fields, "draft");
    assert_eq!(answer.status, 422, "{}", answer.body);
    no_store(&answer, "the refused form");
    assert_eq!((version(&server), revision_count(&server)), before);

    let again = form_fields(&answer.body, "form.edit-form");
    assert_eq!(get_field(&again, "date"), "1997-13-45");
    assert_eq!(get_field(&again, "parties"), "nato\nno-such-body");
    assert_eq!(
        get_field(&again, "summary"),
        "Typed text that must survive."
    );
    // Each error beside its own field, and listed at the top with a link to it.
    let date_errors = texts(&answer.body, "#field-date-note .field-error");
    assert_eq!(date_errors.len(), 1, "{}", answer.body);
    assert!(date_errors[0].contains("1997-13-45"), "{date_errors:?}");
    let doc = Html::parse_document(&answer.body);
    let links: Vec<&str> = doc
        .select(&sel("div.error-summary a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(links.contains(&"#field-date"), "{links:?}");
    assert!(doc
        .select(&sel("input#field-date[aria-invalid=true]"))
        .next()
        .is_some());

    // The date mended, the unknown slug is the one problem left (the model's rules run
    // once the record reads), beside the list that names it.
    let mut fields = again;
    set(&mut fields, "date", "1997-05-27");
    let answer = submit(&mut editor, ACT_EDIT, &fields, "draft");
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!((version(&server), revision_count(&server)), before);
    let again = form_fields(&answer.body, "form.edit-form");
    assert_eq!(get_field(&again, "parties"), "nato\nno-such-body");
    assert_eq!(
        get_field(&again, "summary"),
        "Typed text that must survive."
    );
    let party_errors = texts(&answer.body, "#field-parties-note .field-error");
    assert_eq!(party_errors.len(), 1, "{}", answer.body);
    assert!(party_errors[0].contains("no-such-body"), "{party_errors:?}");
    assert!(texts(&answer.body, "#field-date-note .field-error").is_empty());
    // A nested row's cell: a source's address that is not http(s).
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "sources[1].title", "A hostile address");
    set(&mut fields, "sources[1].url", "javascript:alert(1)");
    let answer = submit(&mut editor, ACT_EDIT, &fields, "draft");
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(
        texts(&answer.body, "#field-sources-1-url-error").len(),
        1,
        "{}",
        answer.body
    );
    assert_eq!(
        get_field(
            &form_fields(&answer.body, "form.edit-form"),
            "sources[1].url"
        ),
        "javascript:alert(1)"
    );
    assert_eq!((version(&server), revision_count(&server)), before);
}

#[test]
fn a_stale_version_gets_the_conflict_page_with_both_changes() {
    let server = archive();
    let mut editor = logged_in(&server, EDITOR);
    let mut reviewer = logged_in(&server, REVIEWER);
    let opened = editor.get(ACT_EDIT);
    let mut mine = form_fields(&opened.body, "form.edit-form");
    let v = version(&server);

    // Meanwhile a reviewer publishes another date.
    let theirs = reviewer.get(ACT_EDIT);
    let mut fields = form_fields(&theirs.body, "form.edit-form");
    set(&mut fields, "date", "1997-06");
    let published = submit(&mut reviewer, ACT_EDIT, &fields, "publish");
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(published.header("location"), Some(ACT_PAGE));
    assert_eq!(version(&server), v + 1);
    assert_eq!(public_date(&server), "1997-06");

    set(&mut mine, "date", "1997-05-20");
    set(&mut mine, "comment", "My correction");
    let count = revision_count(&server);
    let conflict = submit(&mut editor, ACT_EDIT, &mine, "draft");
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    no_store(&conflict, "the conflict page");
    assert_eq!(revision_count(&server), count, "nothing saved");
    let theirs_rows = texts(&conflict.body, "#theirs-h + table tbody tr");
    assert!(
        theirs_rows
            .iter()
            .any(|r| r.contains("1997-05-27") && r.contains("1997-06")),
        "{theirs_rows:?}"
    );
    let yours_rows = texts(&conflict.body, "#yours-h + table tbody tr");
    assert!(
        yours_rows
            .iter()
            .any(|r| r.contains("1997-05-27") && r.contains("1997-05-20")),
        "{yours_rows:?}"
    );
    // The typed values are kept, in a form made from the current version.
    let again = form_fields(&conflict.body, "form.edit-form");
    assert_eq!(get_field(&again, "date"), "1997-05-20");
    assert_eq!(get_field(&again, "comment"), "My correction");
    assert_eq!(get_field(&again, "version"), (v + 1).to_string());
    let saved = submit(&mut editor, ACT_EDIT, &again, "draft");
    let id = draft_id(&saved);
    let draft = editor.get(&format!("/drafts/{id}"));
    let rows = texts(&draft.body, "table.diff tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("1997-06") && r.contains("1997-05-20")),
        "{rows:?}"
    );
}

#[test]
fn a_contributor_sees_only_their_own_drafts_and_cannot_publish() {
    let server = archive();
    let mut editor = logged_in(&server, EDITOR);
    let form = editor.get(ACT_EDIT);
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "place", "Paris, Élysée Palace");
    let editors_draft = draft_id(&submit(&mut editor, ACT_EDIT, &fields, "draft"));

    let mut contributor = logged_in(&server, CONTRIBUTOR);
    let seen = contributor.get(&format!("/drafts/{editors_draft}"));
    assert!(
        seen.status == 404 || seen.status == 403,
        "{}: {}",
        seen.status,
        seen.body
    );
    assert!(!seen.body.contains("Élysée"));
    let preview = contributor.get(&format!("/drafts/{editors_draft}/preview"));
    assert!(preview.status == 404 || preview.status == 403);
    assert!(!preview.body.contains("Élysée"));

    // The contributor's own draft: no Publish button anywhere, and a forged one refused.
    let form = contributor.get(ACT_EDIT);
    assert_eq!(form.status, 200);
    let shown = buttons(&form.body);
    assert!(shown.contains(&"Save draft".to_string()), "{shown:?}");
    assert!(!shown
        .iter()
        .any(|b| b == "Publish" || b == "Send to review"));
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "place", "Paris (contributor)");
    let count = revision_count(&server);
    let forged = submit(&mut contributor, ACT_EDIT, &fields, "publish");
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(revision_count(&server), count);
    let own = draft_id(&submit(&mut contributor, ACT_EDIT, &fields, "draft"));
    let page = contributor.get(&format!("/drafts/{own}"));
    assert_eq!(page.status, 200);
    assert!(!buttons(&page.body).contains(&"Publish".to_string()));
    let csrf = contributor.session_csrf();
    for action in ["publish", "review", "return"] {
        let forged = contributor.post(
            &format!("/drafts/{own}/{action}"),
            &[("csrf", &csrf), ("comment", "forged")],
        );
        assert_eq!(forged.status, 403, "{action}: {}", forged.body);
    }
    assert!(!public_date(&server).is_empty());
    let (_, html) = server.html(ACT_PAGE);
    assert!(!html.contains("Paris (contributor)"));

    // The list: the contributor's own draft only; the editor sees both.
    let list = contributor.get("/drafts");
    assert!(list.body.contains(&format!("/drafts/{own}")));
    assert!(!list.body.contains(&format!("/drafts/{editors_draft}\"")));
    let list = editor.get("/drafts");
    assert!(list.body.contains(&format!("/drafts/{own}")));
    assert!(list.body.contains(&format!("/drafts/{editors_draft}")));

    // Another contributor cannot act on it either, even by forging the form.
    let mut other = logged_in(&server, OTHER_CONTRIBUTOR);
    let csrf = other.session_csrf();
    let discard = other.post(
        &format!("/drafts/{own}/discard"),
        &[("csrf", &csrf), ("comment", "")],
    );
    assert!(discard.status == 404 || discard.status == 403);
    let edit = other.get(&format!("{ACT_EDIT}?draft={own}"));
    assert!(edit.status == 404 || edit.status == 403, "{}", edit.status);

    // Anonymous readers are sent to log in; nothing of editing is answered to them.
    let mut anonymous = Client::new(&server);
    for path in [ACT_EDIT, "/drafts", "/documents/new"] {
        let a = anonymous.get(path);
        assert_eq!(a.status, 303, "{path}");
        assert!(a.header("location").unwrap().starts_with("/login?next="));
    }
    let forged = anonymous.post(ACT_EDIT, &[("date", "1990"), ("version", "1")]);
    assert_eq!(forged.status, 403);
    let drafts = server
        .store
        .revisions()
        .unwrap()
        .revisions(&RevisionQuery {
            slug: Some(ACT.into()),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        drafts.iter().filter(|r| r.status.is_open_draft()).count(),
        2
    );
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const JS_URL: &str = "javascript:alert(1)";

/// Whether a page runs nothing that hostile text put there: no script element, no event
/// handler attribute, no `javascript:` link.
fn assert_inert(html: &str, what: &str) {
    let doc = Html::parse_document(html);
    for e in doc.select(&sel("*")) {
        let v = e.value();
        if v.name() == "script" && v.attr("type") == Some("application/ld+json") {
            // The page's own JSON-LD: data, never run; a `<` in it could close it early.
            let data: String = e.text().collect();
            assert!(!data.contains('<'), "{what}: a `<` in the JSON-LD: {data}");
            continue;
        }
        if v.name() == "script" {
            // The site's own script files only (the CSP allows nothing else).
            let own = v.attr("src").is_some_and(|s| s.starts_with("/static/"))
                && e.text().collect::<String>().trim().is_empty();
            assert!(own, "{what}: a script element: {html}");
        }
        for (name, value) in v.attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "{what}: an {name} attribute on <{}>",
                v.name()
            );
            if name == "href" || name == "src" || name == "action" {
                let value = value.trim().to_ascii_lowercase();
                assert!(!value.starts_with("javascript:"), "{what}: {name}={value}");
            }
        }
        // The site's own pictures (timelines) are the only images.
        let own_picture = v.attr("src").is_some_and(|src| {
            (src.starts_with("/dossiers/") || src.starts_with("/bodies/"))
                && src.ends_with(".svg")
                && !src.contains("//")
        });
        assert!(
            v.name() != "img" || own_picture,
            "{what}: an img element from the payload"
        );
    }
    // Shown, as text: the payloads were not dropped (which would prove nothing).
    let text: String = doc.root_element().text().collect();
    assert!(
        text.contains(SCRIPT) || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{what}: the payload is not shown"
    );
}

#[test]
fn hostile_text_in_every_field_is_inert_wherever_it_is_shown() {
    let server = archive();
    let mut editor = logged_in(&server, EDITOR);
    let form = editor.get(ACT_EDIT);
    let base = form_fields(&form.body, "form.edit-form");

    // Every field that takes text, with a payload: the model refuses what is not text (a
    // slug list, a date, a vocabulary value, an address), and the form shows it all back.
    let mut hostile = base.clone();
    let skip = ["csrf", "version", "slug"];
    for (name, value) in hostile.iter_mut() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        *value = if name.ends_with(".url") {
            JS_URL.to_string()
        } else {
            format!("{SCRIPT}{IMG}")
        };
    }
    let refused = submit(&mut editor, ACT_EDIT, &hostile, "draft");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_inert(&refused.body, "the refused edit form");
    let kept = form_fields(&refused.body, "form.edit-form");
    assert_eq!(get_field(&kept, "title"), format!("{SCRIPT}{IMG}"));
    assert_eq!(get_field(&kept, "sources[0].url"), JS_URL);

    // The text fields alone: the model takes them, and the draft is made.
    let mut fields = base.clone();
    let payload = format!("{SCRIPT}{IMG}");
    for name in [
        "title",
        "aliases",
        "place",
        "summary",
        "texts[0].blocks",
        "gaps",
        "comment",
        "sources[1].title",
        "trace[0].quote",
        "sources[0].fields",
    ] {
        set(&mut fields, name, &payload);
    }
    set(&mut fields, "texts[0].lang", "en");
    let id = draft_id(&submit(&mut editor, ACT_EDIT, &fields, "review"));
    for path in [
        format!("/drafts/{id}"),
        format!("/drafts/{id}/preview"),
        format!("{ACT_EDIT}?draft={id}"),
        "/drafts".to_string(),
    ] {
        let page = editor.get(&path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_inert(&page.body, &path);
    }

    let mut reviewer = logged_in(&server, REVIEWER);
    let csrf = reviewer.session_csrf();
    let published = reviewer.post(
        &format!("/drafts/{id}/publish"),
        &[("csrf", &csrf), ("comment", &payload)],
    );
    assert_eq!(published.status, 303, "{}", published.body);
    let (status, html) = server.html(ACT_PAGE);
    assert_eq!(status, 200);
    assert_inert(&html, "the published page");
    let page = reviewer.get(ACT_PAGE);
    assert_inert(&page.body, "the published page, logged in");
    let form = reviewer.get(ACT_EDIT);
    assert_inert(&form.body, "the edit form of the published record");
}

#[test]
fn a_new_record_is_made_from_an_empty_form_and_a_taken_slug_is_refused() {
    let server = archive();
    let mut reviewer = logged_in(&server, REVIEWER);
    let form = reviewer.get("/events/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = form_fields(&form.body, "form.edit-form");
    assert_eq!(get_field(&fields, "version"), "0");
    set(&mut fields, "slug", "pjc-meeting-test-1998");
    set(&mut fields, "title", "A PJC meeting for the test");
    set(&mut fields, "kind", "meeting");
    set(&mut fields, "date", "1998-03?");
    set(&mut fields, "level", "ambassadors");
    set(&mut fields, "public_statement", "yes");
    let made = submit(&mut reviewer, "/events/new", &fields, "publish");
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        made.header("location"),
        Some("/events/pjc-meeting-test-1998")
    );
    let (status, html) = server.html("/events/pjc-meeting-test-1998");
    assert_eq!(status, 200);
    assert!(html.contains("A PJC meeting for the test"));

    // The same slug again: refused beside the slug, nothing saved.
    let again = submit(&mut reviewer, "/events/new", &fields, "publish");
    assert_eq!(again.status, 422, "{}", again.body);
    let errors = texts(&again.body, "#field-slug-note .field-error");
    assert_eq!(errors.len(), 1, "{}", again.body);
    assert!(errors[0].contains("pjc-meeting-test-1998"), "{errors:?}");

    // The human reading of an uncertain date beside it on the form.
    let edit = reviewer.get("/events/pjc-meeting-test-1998/edit");
    let reading = texts(&edit.body, "output.reading");
    assert_eq!(reading.len(), 1);
    assert!(reading[0].contains("1998"), "{reading:?}");
}

#[test]
fn a_returned_draft_carries_the_reviewer_s_word_and_a_stale_one_conflicts_on_publish() {
    let server = archive();
    let mut contributor = logged_in(&server, CONTRIBUTOR);
    let form = contributor.get(ACT_EDIT);
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "place", "Paris (Élysée)");
    let id = draft_id(&submit(&mut contributor, ACT_EDIT, &fields, "draft"));

    // Returning needs a word for the author: without one, the draft page says so.
    let mut reviewer = logged_in(&server, REVIEWER);
    let csrf = reviewer.session_csrf();
    let bare = reviewer.post(
        &format!("/drafts/{id}/return"),
        &[("csrf", &csrf), ("comment", "  ")],
    );
    assert_eq!(bare.status, 422, "{}", bare.body);
    assert_eq!(texts(&bare.body, "p.error[role=alert]").len(), 1);
    let back = reviewer.post(
        &format!("/drafts/{id}/return"),
        &[
            ("csrf", &csrf),
            ("comment", "Name the source for the palace."),
        ],
    );
    assert_eq!(back.status, 303, "{}", back.body);
    let page = contributor.get(&format!("/drafts/{id}"));
    assert!(page.body.contains("Name the source for the palace."));
    assert!(texts(&page.body, "dd.status").contains(&"Returned to its author".to_string()));
    let list = contributor.get("/drafts");
    let returned = texts(&list.body, "#g-returned + table tbody tr");
    assert!(
        returned.iter().any(|r| r.contains("Name the source")),
        "{returned:?}"
    );

    // The contributor mends it from the draft's own form; the reviewer publishes
    // something else first, so publishing the draft conflicts, and nothing is lost.
    let edit = contributor.get(&format!("{ACT_EDIT}?draft={id}"));
    assert_eq!(edit.status, 200, "{}", edit.body);
    let mut fields = form_fields(&edit.body, "form.edit-form");
    assert_eq!(get_field(&fields, "draft"), id.to_string());
    assert_eq!(get_field(&fields, "place"), "Paris (Élysée)");
    set(&mut fields, "place", "Paris, Élysée Palace");
    let saved = submit(&mut contributor, ACT_EDIT, &fields, "draft");
    assert_eq!(draft_id(&saved), id, "the same draft, changed");

    let theirs = reviewer.get(ACT_EDIT);
    let mut other = form_fields(&theirs.body, "form.edit-form");
    set(&mut other, "date", "1997-05");
    assert_eq!(
        submit(&mut reviewer, ACT_EDIT, &other, "publish").status,
        303
    );
    let conflict = reviewer.post(
        &format!("/drafts/{id}/publish"),
        &[("csrf", &csrf), ("comment", "")],
    );
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(public_date(&server), "1997-05");
    let (_, html) = server.html(ACT_PAGE);
    assert!(!html.contains("Élysée"), "nothing of the draft published");
    let theirs_rows = texts(&conflict.body, "#theirs-h + table tbody tr");
    assert!(
        theirs_rows.iter().any(|r| r.contains("1997-05")),
        "{theirs_rows:?}"
    );
    let yours_rows = texts(&conflict.body, "#yours-h + table tbody tr");
    assert!(
        yours_rows
            .iter()
            .any(|r| r.contains("Paris, Élysée Palace")),
        "{yours_rows:?}"
    );
    // The form on the conflict page brings the draft onto the current version, and
    // publishes it with the other change kept.
    let again = form_fields(&conflict.body, "form.edit-form");
    assert_eq!(get_field(&again, "draft"), id.to_string());
    assert_eq!(
        get_field(&again, "date"),
        "1997-05-27",
        "the draft's own date"
    );
    let mut again = again;
    set(&mut again, "date", "1997-05");
    let published = submit(&mut reviewer, ACT_EDIT, &again, "publish");
    assert_eq!(published.status, 303, "{}", published.body);
    let (_, html) = server.html(ACT_PAGE);
    assert!(html.contains("Paris, Élysée Palace"));
    assert_eq!(public_date(&server), "1997-05");
}

#[test]
fn a_new_record_s_draft_is_previewed_and_a_deletion_is_a_revision() {
    let server = archive();
    let mut contributor = logged_in(&server, CONTRIBUTOR);
    let form = contributor.get("/topics/new");
    assert_eq!(form.status, 200, "{}", form.body);
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "slug", "test-topic-draft");
    set(&mut fields, "title", "A topic still in draft");
    set(&mut fields, "kind", "cooperation");
    set(&mut fields, "as_of", "2002~");
    let id = draft_id(&submit(&mut contributor, "/topics/new", &fields, "draft"));
    let (status, _) = server.html("/topics/test-topic-draft");
    assert_eq!(status, 404, "a draft of a new record is not published");
    let preview = contributor.get(&format!("/drafts/{id}/preview"));
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(texts(&preview.body, "h1").contains(&"A topic still in draft".to_string()));
    let draft = contributor.get(&format!("/drafts/{id}"));
    assert!(draft.body.contains("not published yet"), "{}", draft.body);

    // Deleting a record others link to is refused, with the form again and nothing changed.
    let mut reviewer = logged_in(&server, REVIEWER);
    let form = reviewer.get(ACT_EDIT);
    let delete = form_fields(&form.body, "details.delete form");
    assert_eq!(get_field(&delete, "version"), version(&server).to_string());
    let before = revision_count(&server);
    let refused = submit(
        &mut reviewer,
        &format!("{ACT_PAGE}/delete"),
        &delete,
        "publish",
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(texts(&refused.body, "div.error-summary li").len(), 1);
    assert_eq!(revision_count(&server), before);
    assert_eq!(server.html(ACT_PAGE).0, 200);

    // A record nothing links to is deleted, as a published revision the history keeps.
    let form = reviewer.get("/topics/new");
    let mut fields = form_fields(&form.body, "form.edit-form");
    set(&mut fields, "slug", "test-topic-gone");
    set(&mut fields, "title", "A topic to delete");
    set(&mut fields, "kind", "subject");
    assert_eq!(
        submit(&mut reviewer, "/topics/new", &fields, "publish").status,
        303
    );
    let form = reviewer.get("/topics/test-topic-gone/edit");
    let mut delete = form_fields(&form.body, "details.delete form");
    set(&mut delete, "comment", "Made for the test");
    // Changed meanwhile: the deletion made from version 1 conflicts, and the conflict
    // page offers it again on the current version.
    let mut change = form_fields(&form.body, "form.edit-form");
    set(&mut change, "title", "A topic to delete, renamed");
    let path = "/topics/test-topic-gone/edit";
    assert_eq!(submit(&mut reviewer, path, &change, "publish").status, 303);
    let stale = submit(
        &mut reviewer,
        "/topics/test-topic-gone/delete",
        &delete,
        "publish",
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    let theirs = texts(&stale.body, "#theirs-h + table tbody tr");
    assert!(theirs.iter().any(|r| r.contains("renamed")), "{theirs:?}");
    let mut delete = form_fields(&stale.body, "details.delete form");
    assert_eq!(get_field(&delete, "version"), "2");
    set(&mut delete, "comment", "Made for the test");
    let gone = submit(
        &mut reviewer,
        "/topics/test-topic-gone/delete",
        &delete,
        "publish",
    );
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert_eq!(
        gone.header("location"),
        Some("/topics/test-topic-gone/history")
    );
    assert_eq!(server.html("/topics/test-topic-gone").0, 404);
    let history = reviewer.get("/topics/test-topic-gone/history");
    assert_eq!(history.status, 200, "{}", history.body);
    let revs = server.store.revisions().unwrap();
    assert_eq!(
        revs.version(RecordType::Topic, "test-topic-gone").unwrap(),
        3
    );
}

/// Every record of the built-in dossier, shown in its form and posted back untouched,
/// makes a draft identical to the published record: the forms lose and add nothing.
#[test]
fn every_built_in_record_round_trips_through_its_form_unchanged() {
    use dossier_store::DocumentQuery;
    let server = archive();
    let store = &server.store;
    let mut records: Vec<(&str, RecordType, String)> = Vec::new();
    for d in store.documents(&DocumentQuery::default()).unwrap() {
        records.push(("documents", RecordType::Document, d.slug));
    }
    for b in store.bodies(None).unwrap() {
        records.push(("bodies", RecordType::Body, b.slug));
    }
    for p in store.people(None).unwrap() {
        records.push(("people", RecordType::Person, p.slug));
    }
    for e in store.events(&Default::default()).unwrap() {
        records.push(("events", RecordType::Event, e.slug));
    }
    for t in store.topics(None).unwrap() {
        records.push(("topics", RecordType::Topic, t.slug));
    }
    assert!(records.len() > 50, "{}", records.len());
    let mut editor = logged_in(&server, EDITOR);
    let revisions = store.revisions().unwrap();
    for (types, ty, slug) in &records {
        let path = format!("/{types}/{slug}/edit");
        let form = editor.get(&path);
        assert_eq!(form.status, 200, "{path}: {}", form.body);
        let fields = form_fields(&form.body, "form.edit-form");
        let saved = submit(&mut editor, &path, &fields, "draft");
        assert_eq!(saved.status, 303, "{path}: {}", saved.body);
        let id = draft_id(&saved);
        let draft = revisions.revision(id).unwrap().unwrap();
        let draft: serde_json::Value = serde_json::from_str(&draft.data.unwrap()).unwrap();
        let published = store.record(*ty, slug).unwrap().unwrap().to_json();
        let published: serde_json::Value = serde_json::from_str(&published).unwrap();
        assert_eq!(draft, published, "{path}");
    }
}

/// A document's text is far larger than the accounts' forms: the editing form takes it
/// whole (up to the 2 MiB an editing form may send), as paragraphs and headings, and it
/// is a revision like any other change (issue 27: editors enter texts).
#[test]
fn a_long_text_is_saved_whole() {
    let server = archive();
    let mut reviewer = logged_in(&server, REVIEWER);
    let form = reviewer.get(ACT_EDIT);
    let mut fields = form_fields(&form.body, "form.edit-form");
    let paragraph = "The Parties shall consult in the Permanent Joint Council. ".repeat(40);
    let text = vec![paragraph.trim(); 100].join("\n\n");
    assert!(text.len() > 200_000);
    set(&mut fields, "texts[0].lang", "fr");
    set(
        &mut fields,
        "texts[0].blocks",
        &format!("## Section I\n\n{text}"),
    );
    set(&mut fields, "texts[0].source", "acte.html");
    let saved = submit(&mut reviewer, ACT_EDIT, &fields, "publish");
    assert_eq!(saved.status, 303, "{}", saved.body);
    let stored = server.store.document(ACT).unwrap().unwrap();
    assert_eq!(stored.texts.len(), 1);
    assert_eq!(stored.texts[0].lang, "fr");
    assert_eq!(stored.texts[0].source.as_deref(), Some("acte.html"));
    assert!(stored.texts[0].blocks[0].heading);
    assert_eq!(stored.texts[0].blocks.len(), 101);
    assert_eq!(stored.texts[0].plain_text(), format!("Section I\n\n{text}"));
    // The form shows it again as typed, and the text page numbers its paragraphs.
    let form = reviewer.get(ACT_EDIT);
    let fields = form_fields(&form.body, "form.edit-form");
    assert_eq!(
        get_field(&fields, "texts[0].blocks"),
        format!("## Section I\n\n{text}")
    );
    let page = reviewer.get(&format!("{ACT_PAGE}/text?lang=fr"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"p100\""), "{}", &page.body[..2000]);
    assert!(page.body.contains("<h3 id=\"h1\">Section I</h3>"));
}
