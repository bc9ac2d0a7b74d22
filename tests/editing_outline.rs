//! The dossier outline editor (issue 24) over real HTTP, driven as a browser without
//! JavaScript drives it: every button posts the whole form (read back from the page as
//! a browser would send it) and gets the form again. A reviewer adds a section with
//! commentary, a picked reference and a generated list, moves it, renumbers and
//! publishes, and the public page shows it there; an editor's save is a draft; the
//! model's refusals (17 levels, an unknown slug) come back beside their fields with
//! nothing saved; a stale form gets both versions; hostile text is inert on the form
//! and on the published page.

mod common;

use common::accounts::{add_user, Answer, Client, PASSWORD};
use common::TestServer;
use dossier_auth::Role;
use dossier_model::*;
use dossier_store::{SqliteStore, Store};
use scraper::{Html, Selector};

const REVIEWER: &str = "reviewer@archive.example";
const REVIEWER2: &str = "second.reviewer@archive.example";
const EDITOR: &str = "editor@archive.example";
const CONTRIBUTOR: &str = "contributor@archive.example";
const EDIT: &str = "/dossiers/alpha/edit";

fn section(key: &str, label: &str, title: &str, children: Vec<Section>) -> Section {
    Section {
        claims: Vec::new(),
        key: key.into(),
        label: label.into(),
        title: title.into(),
        short_title: None,
        commentary: String::new(),
        references: vec![],
        lists: vec![],
        children,
    }
}

fn fill(store: &SqliteStore) {
    let document: Document = serde_json::from_value(serde_json::json!({
        "slug": "doc-a", "title": "Statement on practical cooperation", "kind": "statement",
        "date": "1997-05-27", "dossiers": ["alpha"]
    }))
    .unwrap();
    let body: Body = serde_json::from_value(serde_json::json!({
        "slug": "council", "name": "The Council", "kind": "council", "dossiers": ["alpha"]
    }))
    .unwrap();
    store
        .write(&Archive {
            dossiers: vec![Dossier {
                queries: Vec::new(),
                stale_after_years: None,
                slug: "alpha".into(),
                title: "Alpha relations".into(),
                description: "A dossier for the editor's tests.".into(),
                source: None,
                sections: vec![
                    section(
                        "part-a",
                        "A.",
                        "First part",
                        vec![section("part-a-1", "1.", "Meetings", vec![])],
                    ),
                    section("part-b", "B.", "Second part", vec![]),
                ],
            }],
            documents: vec![document],
            bodies: vec![body],
            ..Default::default()
        })
        .unwrap();
}

fn archive() -> TestServer {
    let server = TestServer::with(fill);
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    add_user(&server, REVIEWER2, "Sam Second", Role::Reviewer);
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    add_user(&server, CONTRIBUTOR, "Cora Contributor", Role::Contributor);
    server
}

fn logged_in(server: &TestServer, email: &str) -> Client {
    let mut c = Client::new(server);
    c.login(email, PASSWORD);
    c
}

/// The fields of the outline form as a browser sends them: inputs (checkboxes when
/// checked), textareas, the selected option of each select; no buttons.
fn form_fields(html: &str) -> Vec<(String, String)> {
    common::forms::form_fields(html, "form#outline-form")
}

/// Sets (or adds) a field.
fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

/// The form's number of the section titled `title`.
fn number_of(fields: &[(String, String)], title: &str) -> usize {
    fields
        .iter()
        .find_map(|(k, v)| {
            let n = k.strip_prefix("s.")?.strip_suffix(".title")?;
            (v == title).then(|| n.parse().ok()).flatten()
        })
        .unwrap_or_else(|| panic!("no section titled {title:?} in {fields:?}"))
}

/// Presses the button `op` of the form holding `fields`.
fn press(c: &mut Client, fields: &[(String, String)], op: &str) -> Answer {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("op", op));
    c.post(EDIT, &all)
}

/// Presses `op` and expects the form again.
fn step(c: &mut Client, fields: &[(String, String)], op: &str) -> (Answer, Vec<(String, String)>) {
    let answer = press(c, fields, op);
    assert_eq!(answer.status, 200, "{op}: {}", answer.body);
    let fields = form_fields(&answer.body);
    (answer, fields)
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap())
        .map(|e| {
            e.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn public_page(server: &TestServer) -> String {
    let mut anonymous = Client::new(server);
    let page = anonymous.get("/dossiers/alpha");
    assert_eq!(page.status, 200);
    page.body
}

/// The headings of the public page's sections, in order (label and title).
fn headings(html: &str) -> Vec<String> {
    texts(
        html,
        "section.section > h1, section.section > h2, section.section > h3, section.section > h4",
    )
}

fn version(server: &TestServer) -> i64 {
    server
        .store
        .revisions()
        .unwrap()
        .version(RecordType::Dossier, "alpha")
        .unwrap()
}

#[test]
fn a_reviewer_adds_moves_renumbers_and_publishes_a_section() {
    let server = archive();
    let mut c = logged_in(&server, REVIEWER);
    let page = c.get(EDIT);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .header("cache-control")
        .unwrap_or_default()
        .contains("no-store"));
    let fields = form_fields(&page.body);
    assert_eq!(get(&fields, "title"), "Alpha relations");
    assert_eq!(number_of(&fields, "Second part"), 3);
    let before = version(&server);

    // A new section at the end, with its title and commentary typed.
    let (_, mut fields) = step(&mut c, &fields, "add-top");
    assert_eq!(get(&fields, "s.4.parent"), "");
    set(&mut fields, "s.4.title", "Practical cooperation");
    set(&mut fields, "s.4.commentary", "The council met. ");
    // The picker finds the statement and shows the link the commentary would use.
    set(&mut fields, "s.4.find", "practical cooperation");
    let (found, fields) = step(&mut c, &fields, "find:4");
    let picks = texts(&found.body, "#sec-4 ul.picks li");
    assert!(
        picks
            .iter()
            .any(|p| p.contains("Statement on practical cooperation")
                && p.contains("[Statement on practical cooperation](ref:1)")),
        "{picks:?}"
    );
    // Picked with the caret after "The council met. " (as outline.js reports it): the
    // link goes there and the record becomes reference 1.
    let mut with_cursor = fields.clone();
    set(&mut with_cursor, "cursor", "4:17");
    let (picked, mut fields) = step(&mut c, &with_cursor, "pick:4:document:doc-a");
    assert!(
        picked.body.contains("where the cursor was"),
        "{}",
        picked.body
    );
    assert_eq!(
        get(&fields, "s.4.commentary").trim_start_matches('\n'),
        "The council met. [Statement on practical cooperation](ref:1)"
    );
    assert_eq!(get(&fields, "s.4.r.0.type"), "document");
    assert_eq!(get(&fields, "s.4.r.0.slug"), "doc-a");
    assert_eq!(get(&fields, "s.4.find"), "", "the search is done");
    set(
        &mut fields,
        "s.4.commentary",
        "The council met. [Statement on practical cooperation](ref:1)",
    );

    // A generated list: the dossier's statements.
    let (_, mut fields) = step(&mut c, &fields, "add-list:4");
    set(&mut fields, "s.4.l.0.caption", "Statements of the council");
    set(&mut fields, "s.4.l.0.of", "documents");
    set(&mut fields, "s.4.l.0.kinds", "statement");
    // Up: before "Second part"; then the labels follow the tree.
    let (_, fields) = step(&mut c, &fields, "up:4");
    assert_eq!(number_of(&fields, "Practical cooperation"), 3);
    assert_eq!(number_of(&fields, "Second part"), 4);
    let (_, mut fields) = step(&mut c, &fields, "renumber");
    let labels: Vec<&str> = (1..=4)
        .map(|n| get(&fields, &format!("s.{n}.label")))
        .collect();
    assert_eq!(labels, ["1", "1.1", "2", "3"]);
    assert_eq!(version(&server), before, "nothing is saved by the buttons");
    assert!(!public_page(&server).contains("Practical cooperation"));

    set(&mut fields, "comment", "A section on practical cooperation");
    let published = press(&mut c, &fields, "publish");
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(published.header("location"), Some("/dossiers/alpha"));
    assert_eq!(version(&server), before + 1);

    let html = public_page(&server);
    assert_eq!(
        headings(&html),
        [
            "1 First part",
            "1.1 Meetings",
            "2 Practical cooperation",
            "3 Second part"
        ]
    );
    let doc = Html::parse_document(&html);
    let new = doc
        .select(&Selector::parse("section.section").unwrap())
        .find(|s| s.text().any(|t| t.contains("Practical cooperation")))
        .unwrap();
    let links: Vec<&str> = new
        .select(&Selector::parse(".commentary a").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(links, ["/documents/doc-a"]);
    let list = new
        .select(&Selector::parse(".generated").unwrap())
        .next()
        .unwrap();
    let list_text: String = list.text().collect();
    assert!(
        list_text.contains("Statements of the council"),
        "{list_text}"
    );
    assert!(
        list_text.contains("Statement on practical cooperation"),
        "{list_text}"
    );
    // The revision names its author and comment.
    let revs = server
        .store
        .revisions()
        .unwrap()
        .revisions(&dossier_store::RevisionQuery {
            record: Some(RecordType::Dossier),
            slug: Some("alpha".into()),
            dossier: None,
            author: None,
            statuses: vec![],
            before: None,
            limit: 1,
            with_data: false,
        })
        .unwrap();
    assert_eq!(revs[0].author.name, "Rita Reviewer");
    assert_eq!(revs[0].comment, "A section on practical cooperation");
}

#[test]
fn an_editor_saves_a_draft_and_the_public_page_stays() {
    let server = archive();
    // Anonymous readers are sent to log in; the form is for accounts that may draft.
    let mut anonymous = Client::new(&server);
    let answer = anonymous.get(EDIT);
    assert_eq!(answer.status, 303);
    assert!(answer
        .header("location")
        .unwrap()
        .starts_with("/login?next="));

    let edit_links = r#"a[href="/dossiers/alpha/edit"]"#;
    assert!(texts(&public_page(&server), edit_links).is_empty());
    let mut c = logged_in(&server, EDITOR);
    let dossier_page = c.get("/dossiers/alpha");
    assert_eq!(texts(&dossier_page.body, edit_links), ["Edit the outline"]);
    let page = c.get(EDIT);
    assert_eq!(page.status, 200);
    let buttons = texts(&page.body, "fieldset.save button");
    assert_eq!(
        buttons,
        ["Save draft", "Send to review"],
        "an editor cannot publish"
    );
    let mut fields = form_fields(&page.body);
    set(&mut fields, "s.3.title", "Second part, corrected");
    // Publishing anyway (a forged button) is refused and saves nothing.
    let before = version(&server);
    let refused = press(&mut c, &fields, "publish");
    assert_eq!(refused.status, 403, "{}", refused.body);
    let saved = press(&mut c, &fields, "draft");
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.header("location").unwrap().starts_with("/drafts/"));
    assert_eq!(version(&server), before, "a draft publishes nothing");
    let html = public_page(&server);
    assert!(!html.contains("corrected"));
    assert!(headings(&html).contains(&"B. Second part".to_string()));
    let drafts = server
        .store
        .revisions()
        .unwrap()
        .revisions(&dossier_store::RevisionQuery {
            record: Some(RecordType::Dossier),
            slug: Some("alpha".into()),
            dossier: None,
            author: None,
            statuses: vec![dossier_store::Status::Draft],
            before: None,
            limit: 10,
            with_data: true,
        })
        .unwrap();
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0]
        .data
        .as_deref()
        .unwrap()
        .contains("Second part, corrected"));

    // A contributor gets the form with one save button, and not the editor's draft.
    let mut contributor = logged_in(&server, CONTRIBUTOR);
    let page = contributor.get(EDIT);
    assert_eq!(page.status, 200);
    assert_eq!(texts(&page.body, "fieldset.save button"), ["Save draft"]);
    let location = saved.header("location").unwrap().to_string();
    let id = location.trim_start_matches("/drafts/");
    let draft_form = format!("{EDIT}?draft={id}");
    assert_eq!(contributor.get(&draft_form).status, 404);

    // The draft's page links to this form; the editor opens the draft again, changes it
    // and sends it to review: the same draft.
    let draft_page = c.get(&location);
    assert_eq!(draft_page.status, 200, "{}", draft_page.body);
    let link = format!(r#"a[href="{draft_form}"]"#);
    assert_eq!(
        texts(&draft_page.body, &link).len(),
        1,
        "{}",
        draft_page.body
    );
    let page = c.get(&draft_form);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("Editing draft {id}")),
        "{}",
        page.body
    );
    let mut fields = form_fields(&page.body);
    assert_eq!(get(&fields, "s.3.title"), "Second part, corrected");
    assert_eq!(get(&fields, "draft"), id);
    set(&mut fields, "s.3.label", "C.");
    let sent = c.post_with(
        &draft_form,
        &fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("op", "review")])
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.header("location"), Some(location.as_str()));
    assert_eq!(version(&server), before);
    // A reviewer publishes it from the same form.
    let mut reviewer = logged_in(&server, REVIEWER);
    let page = reviewer.get(&draft_form);
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = form_fields(&page.body);
    assert_eq!(get(&fields, "s.3.label"), "C.");
    let published = reviewer.post_with(
        &draft_form,
        &fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("op", "publish")])
            .collect::<Vec<_>>(),
        &[],
    );
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(published.header("location"), Some("/dossiers/alpha"));
    assert_eq!(version(&server), before + 1);
    assert!(headings(&public_page(&server)).contains(&"C. Second part, corrected".to_string()));
}

#[test]
fn seventeen_levels_are_refused_beside_the_section() {
    let server = archive();
    let mut c = logged_in(&server, REVIEWER);
    let page = c.get(EDIT);
    let mut fields = form_fields(&page.body);
    // A chain of 17 sections below one another after the three there are.
    for level in 1..=17 {
        let n = 3 + level;
        let parent = if level == 1 {
            String::new()
        } else {
            (n - 1).to_string()
        };
        set(&mut fields, &format!("s.{n}.parent"), &parent);
        set(
            &mut fields,
            &format!("s.{n}.position"),
            if level == 1 { "2" } else { "0" },
        );
        set(&mut fields, &format!("s.{n}.key"), &format!("deep-{level}"));
        set(&mut fields, &format!("s.{n}.label"), &format!("{level}."));
        set(
            &mut fields,
            &format!("s.{n}.title"),
            &format!("Level {level}"),
        );
    }
    let before = version(&server);
    let answer = press(&mut c, &fields, "publish");
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(version(&server), before, "nothing saved");
    let back = form_fields(&answer.body);
    let n = number_of(&back, "Level 17");
    assert_eq!(
        get(&back, &format!("s.{n}.key")),
        "deep-17",
        "the form keeps what was typed"
    );
    let beside = texts(
        &answer.body,
        &format!("#sec-{n} > fieldset > ul.field-errors"),
    );
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert!(
        beside[0].contains("is nested 17 deep") && beside[0].contains("at most 16 levels"),
        "{beside:?}"
    );
    // No other section carries it.
    let all = texts(&answer.body, "ul.field-errors");
    assert_eq!(all.len(), 1, "{all:?}");
    // Sixteen levels are fine: remove the deepest and publish.
    let mut fields = back;
    let (_, fields16) = step(&mut c, &fields, &format!("delete:{n}"));
    fields = fields16;
    let answer = press(&mut c, &fields, "publish");
    assert_eq!(answer.status, 303, "{}", answer.body);
    let stored = server.store.dossier("alpha").unwrap().unwrap();
    assert_eq!(stored.depth(), 16);
}

#[test]
fn an_unknown_reference_slug_is_refused_beside_its_field() {
    let server = archive();
    let mut c = logged_in(&server, REVIEWER);
    let page = c.get(EDIT);
    let fields = form_fields(&page.body);
    let (_, mut fields) = step(&mut c, &fields, "add-ref:3");
    set(&mut fields, "s.3.r.0.text", "the lost declaration");
    set(&mut fields, "s.3.r.0.type", "document");
    set(&mut fields, "s.3.r.0.slug", "no-such-declaration");
    set(
        &mut fields,
        "s.3.commentary",
        "See [the lost declaration](ref:1).",
    );
    // And a list of a kind documents do not have.
    let (_, mut fields) = step(&mut c, &fields, "add-list:2");
    set(&mut fields, "s.2.l.0.kinds", "summit");
    // Two sections with one anchor.
    set(&mut fields, "s.2.key", "part-a");
    let before = version(&server);
    let answer = press(&mut c, &fields, "publish");
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(version(&server), before);
    let row = texts(
        &answer.body,
        "#sec-3 table.refs-edit tr.invalid ul.field-errors",
    );
    assert_eq!(row.len(), 1, "{row:?}");
    assert!(row[0].contains("no-such-declaration"), "{row:?}");
    let kinds = texts(&answer.body, "#sec-2 fieldset.list-edit ul.field-errors");
    assert!(
        kinds.len() == 1 && kinds[0].contains("`summit` is not a kind of documents"),
        "{kinds:?}"
    );
    for n in [1, 2] {
        let key = texts(&answer.body, &format!("#s{n}-key ~ ul.field-errors"));
        assert!(
            key.len() == 1 && key[0].contains("Two sections have the key `part-a`"),
            "section {n}: {key:?}"
        );
    }
    let back = form_fields(&answer.body);
    assert_eq!(
        get(&back, "s.3.r.0.slug"),
        "no-such-declaration",
        "kept as typed"
    );
    assert_eq!(get(&back, "s.2.l.0.kinds"), "summit");
    assert!(!public_page(&server).contains("lost declaration"));
}

#[test]
fn a_stale_form_gets_both_versions_and_loses_nothing() {
    let server = archive();
    let mut first = logged_in(&server, REVIEWER);
    let mut second = logged_in(&server, REVIEWER2);
    let mut a = form_fields(&first.get(EDIT).body);
    let mut b = form_fields(&second.get(EDIT).body);
    set(&mut a, "s.1.title", "First part, as Rita has it");
    assert_eq!(press(&mut first, &a, "publish").status, 303);
    set(&mut b, "s.3.title", "Second part, as Sam has it");
    let answer = press(&mut second, &b, "publish");
    assert_eq!(answer.status, 409, "{}", answer.body);
    let rows = texts(&answer.body, "section.conflict tr.differs");
    assert!(
        rows.iter()
            .any(|r| r.contains("First part, as Rita has it")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Second part, as Sam has it")),
        "{rows:?}"
    );
    let mut kept = form_fields(&answer.body);
    assert_eq!(get(&kept, "s.3.title"), "Second part, as Sam has it");
    // Taking the other change in and saving again publishes both.
    set(&mut kept, "s.1.title", "First part, as Rita has it");
    assert_eq!(press(&mut second, &kept, "publish").status, 303);
    let h = headings(&public_page(&server));
    assert!(
        h.contains(&"A. First part, as Rita has it".to_string()),
        "{h:?}"
    );
    assert!(
        h.contains(&"B. Second part, as Sam has it".to_string()),
        "{h:?}"
    );
}

/// Fails if the page holds anything a payload could have made live.
fn assert_inert(html: &str, page: &str, scripts_allowed: bool) {
    let doc = Html::parse_document(html);
    for el in doc.select(&Selector::parse("*").unwrap()) {
        let v = el.value();
        if v.name() == "script" && v.attr("type") == Some("application/ld+json") {
            // The page's own JSON-LD: data, never run; a `<` in it could close it early.
            let data: String = el.text().collect();
            assert!(!data.contains('<'), "{page}: a `<` in the JSON-LD: {data}");
            continue;
        }
        if v.name() == "script" {
            let src = v.attr("src");
            assert!(
                scripts_allowed && src == Some("/static/outline.js"),
                "{page}: a script element: {:?}",
                el.html()
            );
            assert!(
                el.text().collect::<String>().trim().is_empty(),
                "{page}: inline script"
            );
        }
        for (name, value) in v.attrs() {
            assert!(
                !name.starts_with("on"),
                "{page}: attribute {name}={value:?}"
            );
            if name == "href" || name == "src" || name == "action" {
                assert!(
                    !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                    "{page}: {name}={value:?}"
                );
            }
        }
        // The site's own pictures (a dossier's timeline) are the only images.
        let own_picture = v.attr("src").is_some_and(|src| {
            src.starts_with("/dossiers/") && src.ends_with(".svg") && !src.contains("//")
        });
        assert!(v.name() != "img" || own_picture, "{page}: an img element");
    }
}

#[test]
fn hostile_titles_and_commentary_are_inert_on_the_form_and_the_page() {
    let server = archive();
    let mut c = logged_in(&server, REVIEWER);
    let mut fields = form_fields(&c.get(EDIT).body);
    let title = "<script>alert('t')</script>\"><img src=x onerror=alert(1)>";
    let commentary = "<script>alert(2)</script> <img src=x onerror=alert(3)> \
        [click](javascript:alert(4)) <a href=\"javascript:alert(5)\">x</a>";
    set(&mut fields, "s.1.title", title);
    set(&mut fields, "s.1.short_title", title);
    set(&mut fields, "s.1.label", "\"><svg/onload=alert(6)>");
    set(&mut fields, "s.1.commentary", commentary);
    set(&mut fields, "title", title);
    set(&mut fields, "description", title);
    set(&mut fields, "s.2.key", "\"><svg/onload=alert(7)>");
    // A reference, a list and a picker search, each field hostile.
    let (_, mut fields) = step(&mut c, &fields, "add-ref:1");
    set(&mut fields, "s.1.r.0.text", title);
    set(&mut fields, "s.1.r.0.type", "external");
    set(&mut fields, "s.1.r.0.title", title);
    set(&mut fields, "s.1.r.0.url", "javascript:alert(8)");
    let (_, mut fields) = step(&mut c, &fields, "add-list:1");
    set(&mut fields, "s.1.l.0.caption", title);
    set(&mut fields, "s.1.l.0.bodies", "\"><svg/onload=alert(9)>");
    set(&mut fields, "s.3.find", title);
    let (shown, mut fields) = step(&mut c, &fields, "find:3");
    assert_inert(&shown.body, "the form with a hostile search", true);
    assert_eq!(get(&fields, "s.1.r.0.url"), "javascript:alert(8)");
    // The model refuses the address and the unknown body; the form shows them inert.
    let refused = press(&mut c, &fields, "publish");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_inert(&refused.body, "the refused form", true);
    let beside = texts(
        &refused.body,
        "#sec-1 table.refs-edit tr.invalid ul.field-errors",
    );
    assert_eq!(beside.len(), 1, "{beside:?}");
    let beside = texts(&refused.body, "#sec-1 fieldset.list-edit ul.field-errors");
    assert!(
        beside.len() == 1 && beside[0].contains("No body"),
        "{beside:?}"
    );
    set(&mut fields, "s.1.r.0.url", "https://example.org/a?b=<c>");
    set(&mut fields, "s.1.l.0.bodies", "council");
    set(&mut fields, "s.3.find", "");
    // Shown again by a button: inert, and kept exactly.
    let (again, fields) = step(&mut c, &fields, "refresh");
    assert_inert(&again.body, "the form after a button", true);
    assert_eq!(get(&fields, "s.1.title"), title);
    assert_eq!(
        get(&fields, "s.1.commentary").trim_start_matches('\n'),
        commentary
    );
    let published = press(&mut c, &fields, "publish");
    assert_eq!(published.status, 303, "{}", published.body);
    let form = c.get(EDIT);
    assert_inert(&form.body, "the form of the published dossier", true);
    assert_eq!(get(&form_fields(&form.body), "s.1.title"), title);
    let html = public_page(&server);
    assert_inert(&html, "the public page", false);
    assert!(
        headings(&html)[0].contains("<script>alert('t')</script>"),
        "shown as text"
    );
}

#[test]
fn the_built_in_dossier_round_trips_through_its_form() {
    let server = TestServer::builtin();
    add_user(&server, REVIEWER, "Rita Reviewer", Role::Reviewer);
    let mut c = logged_in(&server, REVIEWER);
    let page = c.get("/dossiers/nato-russia/edit");
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = form_fields(&page.body);
    let stored = server.store.dossier("nato-russia").unwrap().unwrap();
    assert_eq!(
        fields
            .iter()
            .filter(|(k, _)| k.starts_with("s.")
                && k.ends_with(".title")
                && k.split('.').count() == 3)
            .count(),
        stored.all_sections().len()
    );
    // Posted back as it is (Enter in a field), it comes back the same…
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("op", "refresh"));
    let again = c.post("/dossiers/nato-russia/edit", &all);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(form_fields(&again.body), fields);
    // …and published unchanged, it is the stored dossier.
    all.pop();
    all.push(("op", "publish"));
    let published = c.post("/dossiers/nato-russia/edit", &all);
    assert_eq!(published.status, 303, "{}", published.body);
    assert_eq!(
        server.store.dossier("nato-russia").unwrap().unwrap(),
        stored
    );
}

#[test]
fn forged_forms_get_a_clear_refusal_and_change_nothing() {
    let server = archive();
    let mut c = logged_in(&server, REVIEWER);
    let fields = form_fields(&c.get(EDIT).body);
    let before = version(&server);
    let forged = |changes: &[(&str, &str)]| {
        let mut f = fields.clone();
        for (k, v) in changes {
            set(&mut f, k, v);
        }
        f
    };
    for (what, changes, op) in [
        (
            "a cycle",
            vec![("s.1.parent", "2"), ("s.2.parent", "1")],
            "publish",
        ),
        ("a missing parent", vec![("s.3.parent", "99")], "refresh"),
        ("an unknown field", vec![("s.1.onclick", "x")], "refresh"),
        ("a bad row number", vec![("s.1.r.x.text", "x")], "refresh"),
        ("a bad version", vec![("base", "-1")], "publish"),
        ("an unknown button", vec![], "drop-table:1"),
        ("a pick of an outside site", vec![], "pick:1:external:x"),
    ] {
        let answer = press(&mut c, &forged(&changes), op);
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert_inert(&answer.body, what, false);
    }
    // Buttons naming sections or records that are not there: the form again, saying so.
    for (op, says) in [
        ("up:40", "no longer in the outline"),
        (
            "pick:1:document:no-such-document",
            "There is no document `no-such-document`",
        ),
        ("remove-ref:1:3", "no longer in the section"),
    ] {
        let answer = press(&mut c, &fields, op);
        assert_eq!(answer.status, 200, "{op}: {}", answer.body);
        let trouble = texts(&answer.body, "main > p.error");
        assert!(
            trouble.len() == 1 && trouble[0].contains(says),
            "{op}: {trouble:?}"
        );
    }
    // A made-up form for a dossier that does not exist creates none.
    let mut made_up: Vec<(&str, &str)> = vec![("csrf", get(&fields, "csrf")), ("base", "0")];
    made_up.extend([
        ("title", "New"),
        ("s.1.key", "a"),
        ("s.1.title", "A"),
        ("op", "publish"),
    ]);
    assert_eq!(c.post("/dossiers/made-up/edit", &made_up).status, 404);
    assert!(server.store.dossier("made-up").unwrap().is_none());
    // Without the session's token: refused before the form is read.
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("op", "publish"));
    assert_eq!(c.post(EDIT, &all).status, 403);
    assert_eq!(version(&server), before, "nothing was saved");
}
