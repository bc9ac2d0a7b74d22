//! The worklist (issue 25): every gap of the archive with its record, field and edit page,
//! counted per kind. The built-in dossier's worklist as a snapshot; a fixture holding one
//! gap of each kind (link checks and captures included); `dossier check` as a CI step
//! (`--json`, `--fail-on`, an unknown kind); `/review/gaps` for editors only, its JSON the
//! same list, hostile words shown as text, and its edit links landing on the forms' inputs.

mod common;

#[path = "common/cli.rs"]
mod cli;

use common::accounts::{add_user, Client, PASSWORD};
use common::TestServer;
use dossier_auth::Role;
use dossier_model::*;
use dossier_store::{LinkOutcome, NewCapture, NewLinkCheck, RunTrigger, SqliteStore, Store};
use dossier_upkeep::worklist::{worklist, Kind, Options, Worklist};

/// The day the snapshot is taken on.
const TODAY: i64 = 20261206;
const EDITOR: &str = "editor@archive.example";
const CONTRIBUTOR: &str = "contributor@archive.example";
const HOSTILE: &str = "Click here <script>alert(1)</script>";
const BROKEN: &str = "https://www.nato.int/cps/en/natohq/official_texts_25468.htm";
const MOVED: &str = "https://www.nato.int/docu/basictxt/b940110b.htm";
const KEPT: &str = "https://www.nato.int/docu/update/2003/05-may/e0513a.htm";

fn builtin() -> Archive {
    dossier_ingest::builtin::archive().expect("built-in dossier loads")
}

fn list(store: &dyn Store, dossier: Option<&str>, today: i64) -> Worklist {
    worklist(
        store,
        &Options {
            dossier: dossier.map(str::to_string),
            today,
        },
    )
    .unwrap()
}

fn items(w: &Worklist, kind: Kind) -> Vec<&dossier_upkeep::worklist::Item> {
    w.of(kind).collect()
}

#[test]
fn the_builtin_dossiers_worklist() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    store.write(&builtin()).unwrap();
    let w = list(&store, None, TODAY);
    // Every kind is counted, in the list's order, even at 0.
    let json = serde_json::to_value(&w).unwrap();
    let counted: Vec<&str> = json["counts"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    all.sort();
    let mut sorted = counted.clone();
    sorted.sort();
    assert_eq!(sorted, all);
    for (k, n) in &w.counts.0 {
        assert_eq!(*n, w.of(*k).count(), "{}", k.as_str());
    }
    // The statements the issue names have aged by 2026.
    let stale: Vec<String> = items(&w, Kind::StaleStatus)
        .iter()
        .map(|i| format!("{} {} {}", i.record, i.slug, i.field))
        .collect();
    for expected in [
        "body eapc claims[0]",
        "document founding-act-1997 claims[0]",
        "document russia-individual-partnership-programme claims[0]",
        "document sar-at-sea-work-programme-2000 claims[0]",
    ] {
        assert!(stale.iter().any(|s| s == expected), "{expected}: {stale:?}");
    }
    // The PJC's meetings: what the archive holds against what the page listed.
    let pjc = items(&w, Kind::PartialList)
        .into_iter()
        .find(|i| i.field.contains("permanent-joint-council") && i.message.contains("events"))
        .expect("the PJC's meetings are a partial list");
    assert!(
        pjc.message.contains("the page listed none"),
        "{}",
        pjc.message
    );
    assert!(pjc.edit.starts_with("/dossiers/nato-russia/edit#sec-"));
    // Items come grouped per kind in the list's order.
    let order: Vec<usize> = w
        .items
        .iter()
        .map(|i| Kind::ALL.iter().position(|k| *k == i.kind).unwrap())
        .collect();
    assert!(order.windows(2).all(|p| p[0] <= p[1]));
    // Nothing was checked or captured: no link failures, and every cited page lacks a copy.
    assert_eq!(w.counts.get(Kind::BrokenLink), 0);
    assert!(w.counts.get(Kind::NotArchived) > 0);
    assert!(w.of(Kind::NotArchived).all(|i| i.url.is_some()));
    // Every citation of every address the link checker would check, once.
    let cited = dossier_upkeep::check::cited_urls(&store, None).unwrap();
    let citations: usize = cited
        .iter()
        .filter(|c| dossier_model::url::is_web_url(&c.url))
        .map(|c| c.cited_by.len())
        .sum();
    assert_eq!(w.counts.get(Kind::NotArchived), citations);
    // One dossier: the same, as the built-in archive is one dossier.
    assert_eq!(list(&store, Some("nato-russia"), TODAY).counts, w.counts);
    insta::assert_json_snapshot!("builtin-worklist", w);
}

#[test]
fn a_claim_ages_with_the_day_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    store.write(&builtin()).unwrap();
    // The seed page's claims are as of 28 May 2002: fresh five years on, stale a day after.
    let fresh = list(&store, None, 20070528);
    assert!(!fresh
        .of(Kind::StaleStatus)
        .any(|i| i.slug == "founding-act-1997"));
    let aged = list(&store, None, 20070529);
    assert!(aged
        .of(Kind::StaleStatus)
        .any(|i| i.slug == "founding-act-1997"));
    // A dossier's own threshold counts.
    let mut a = builtin();
    a.dossiers[0].stale_after_years = Some(30);
    store.write(&a).unwrap();
    assert!(!list(&store, None, TODAY)
        .of(Kind::StaleStatus)
        .any(|i| i.slug == "founding-act-1997"));
}

/// The built-in dossier with one more gap of each kind, a hostile reference among them.
fn fixture() -> Archive {
    let mut a = builtin();
    let d = &mut a.dossiers[0];
    d.sections.push(Section {
        key: "z-gaps".into(),
        label: "Z.".into(),
        title: "Gaps <b>bold</b>".into(),
        short_title: None,
        commentary: "Words.".into(),
        references: vec![Reference {
            text: HOSTILE.into(),
            target: None,
            mention: false,
        }],
        lists: Vec::new(),
        claims: Vec::new(),
        children: vec![Section {
            key: "z-gaps-empty".into(),
            label: "a)".into(),
            title: "Nothing here".into(),
            short_title: None,
            commentary: "  ".into(),
            references: Vec::new(),
            lists: Vec::new(),
            claims: Vec::new(),
            children: Vec::new(),
        }],
    });
    // A document with nothing: no source, no text, no language, no date.
    let mut bare = a
        .documents
        .iter()
        .find(|d| d.slug == "founding-act-1997")
        .unwrap()
        .clone();
    bare.slug = "bare-record".into();
    bare.title = "A bare <script>record</script>".into();
    bare.date = None;
    bare.coverage = Some(Edtf::parse("1990/1995").unwrap());
    bare.languages.clear();
    bare.texts.clear();
    bare.relations.clear();
    bare.provenance = Provenance::default();
    a.documents.push(bare);
    // A claim no source supports: sources that speak only of the title.
    let mut narrow = a
        .documents
        .iter()
        .find(|d| d.slug == "founding-act-1997")
        .unwrap()
        .clone();
    narrow.slug = "narrow-sources".into();
    narrow.relations.clear();
    narrow.provenance = Provenance {
        trace: Vec::new(),
        sources: vec![Source {
            title: "A source on the title only".into(),
            url: None,
            fields: vec!["title".into()],
        }],
        gaps: Vec::new(),
        claims: vec![Claim {
            field: "availability".into(),
            statement: None,
            as_of: Edtf::parse("2025-01-01").unwrap(),
        }],
    };
    a.documents.push(narrow);
    // An undated event.
    let mut event = a.events[0].clone();
    event.slug = "undated-meeting".into();
    event.date = None;
    a.events.push(event);
    // The PJC twice, and a person whose name is one letter off another's.
    let mut pjc = a.bodies.iter().find(|b| b.slug == "pjc").unwrap().clone();
    pjc.slug = "pjc-again".into();
    pjc.predecessors.clear();
    pjc.successors.clear();
    pjc.part_of = None;
    pjc.founding_document = None;
    a.bodies.push(pjc);
    let mut person = a.people[0].clone();
    person.slug = "near-twin".into();
    let mut name: Vec<char> = person.name.chars().collect();
    let last = name.len() - 1;
    name[last] = if name[last] == 'x' { 'y' } else { 'x' };
    person.name = name.into_iter().collect();
    a.people.push(person);
    a
}

/// A store holding the fixture, a link check run (one address broken, one redirected)
/// and a copy of a third.
fn fill(store: &SqliteStore) {
    store.write(&fixture()).unwrap();
    let lc = store.link_checks().unwrap();
    let run = lc.start_link_run(RunTrigger::Cli, 1_800_000_000).unwrap();
    let row = |url: &str, outcome: LinkOutcome| NewLinkCheck {
        url: url.into(),
        checked_at: 1_800_000_000,
        outcome,
        status: Some(if outcome == LinkOutcome::Gone {
            410
        } else {
            200
        }),
        final_url: (outcome == LinkOutcome::Redirected)
            .then(|| "https://www.nato.int/cps/en/natohq/topics_50349.htm".to_string()),
        redirects: Vec::new(),
        message: if outcome == LinkOutcome::Gone {
            "410 Gone <img src=x onerror=alert(2)>".into()
        } else {
            String::new()
        },
        elapsed_ms: 3,
    };
    lc.add_link_checks(&[
        row(BROKEN, LinkOutcome::Gone),
        row(MOVED, LinkOutcome::Redirected),
        row(KEPT, LinkOutcome::Ok),
    ])
    .unwrap();
    lc.finish_link_run(run, 1_800_000_001, 3, 1).unwrap();
    store
        .captures()
        .unwrap()
        .add_captures(
            &[NewCapture {
                page: KEPT.into(),
                url: KEPT.into(),
                captured_at: 1_800_000_000,
                warc_file: "capture-1.warc.gz".into(),
                offset: 0,
                length: 10,
                status: 200,
                content_type: "text/html".into(),
                sha256: "0".repeat(64),
            }],
            &[(RecordType::Body, "nrc".into())],
        )
        .unwrap();
}

#[test]
fn a_gap_of_each_kind_with_its_record_field_and_edit_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    fill(&store);
    let w = list(&store, None, TODAY);
    for k in Kind::ALL {
        assert!(w.counts.get(k) > 0, "no {} item", k.as_str());
    }
    let find = |kind: Kind, slug: &str, field: &str| {
        w.of(kind)
            .find(|i| i.slug == slug && i.field == field)
            .unwrap_or_else(|| panic!("no {} of {slug} {field}", kind.as_str()))
    };
    let r = find(
        Kind::UnresolvedReference,
        "nato-russia",
        "sections.z-gaps.references[0]",
    );
    assert_eq!(r.record, "dossier");
    assert!(r.message.contains(HOSTILE), "kept as words: {}", r.message);
    let e = find(Kind::EmptySection, "nato-russia", "sections.z-gaps-empty");
    // The outline form numbers sections in reading order; the child is the last.
    let n: usize = r.edit.rsplit_once("#sec-").unwrap().1.parse().unwrap();
    assert_eq!(e.edit, format!("/dossiers/nato-russia/edit#sec-{}", n + 1));
    let u = find(Kind::UnsourcedFact, "bare-record", "sources");
    assert_eq!(u.record, "document");
    assert_eq!(u.edit, "/documents/bare-record/edit#field-sources");
    find(Kind::UnsourcedFact, "narrow-sources", "claims[0]");
    // A claim of 2025 is fresh in 2026.
    assert!(!w.of(Kind::StaleStatus).any(|i| i.slug == "narrow-sources"));
    find(Kind::NoText, "bare-record", "texts");
    find(Kind::NoLanguage, "bare-record", "languages");
    let undated = find(Kind::Undated, "bare-record", "date");
    assert!(undated.message.contains("1990"), "{}", undated.message);
    let ev = find(Kind::Undated, "undated-meeting", "date");
    assert_eq!(ev.edit, "/events/undated-meeting/edit#field-date");
    // Link items: one per citing record and field, with the address.
    let broken: Vec<_> = w.of(Kind::BrokenLink).collect();
    assert!(!broken.is_empty());
    assert!(broken.iter().all(|i| i.url.as_deref() == Some(BROKEN)));
    let pjc = broken
        .iter()
        .find(|i| i.record == "body" && i.slug == "pjc")
        .expect("the PJC cites the broken address");
    assert_eq!(pjc.field, "sources[0].url");
    assert_eq!(pjc.edit, "/bodies/pjc/edit#field-sources-0-url");
    assert!(pjc.message.contains("gone, HTTP 410"), "{}", pjc.message);
    let moved = w
        .of(Kind::RedirectedLink)
        .find(|i| i.url.as_deref() == Some(MOVED))
        .unwrap();
    assert!(moved.message.contains("topics_50349"), "{}", moved.message);
    assert!(!w
        .of(Kind::RedirectedLink)
        .any(|i| i.url.as_deref() == Some(KEPT)));
    // The copied page is archived; the others are not.
    assert!(!w
        .of(Kind::NotArchived)
        .any(|i| i.url.as_deref() == Some(KEPT)));
    assert!(w
        .of(Kind::NotArchived)
        .any(|i| i.url.as_deref() == Some(BROKEN)));
    // Duplicates: one item per pair.
    let dup: Vec<_> = w
        .of(Kind::LikelyDuplicate)
        .filter(|i| i.message.contains("pjc-again") || i.slug == "pjc-again")
        .collect();
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert!(w.of(Kind::LikelyDuplicate).any(
        |i| i.record == "person" && (i.slug == "near-twin" || i.message.contains("near-twin"))
    ));
    // The same store, listed again: the same list.
    assert_eq!(list(&store, None, TODAY), w);
}

#[test]
fn an_unknown_dossier_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    store.write(&builtin()).unwrap();
    let e = worklist(
        &store,
        &Options {
            dossier: Some("no-such".into()),
            today: TODAY,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no-such"), "{e}");
}

#[test]
fn dossier_check_for_people_and_for_ci() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let load = cli::dossier(data, &["load-builtin"]);
    assert!(load.status.success(), "{}", cli::out(&load));

    let json = cli::dossier(data, &["check", "--json"]);
    assert!(json.status.success(), "{}", cli::out(&json));
    let v: serde_json::Value = serde_json::from_str(&cli::stdout(&json)).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 2, "counts and items only");
    assert_eq!(v["counts"].as_object().unwrap().len(), Kind::ALL.len());
    let first = &v["items"][0];
    for key in ["kind", "type", "slug", "field", "message", "edit"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }

    let text = cli::dossier(data, &["check", "--dossier", "nato-russia"]);
    assert!(text.status.success());
    let out = cli::stdout(&text);
    assert!(out.contains("Lists that may be incomplete ("), "{out}");
    assert!(
        out.contains("edit: /dossiers/nato-russia/edit#sec-"),
        "{out}"
    );
    assert!(out.contains("0 broken-link"), "{out}");

    // CI: a kind present fails the run; one absent passes it.
    let fail = cli::dossier(data, &["check", "--fail-on", "broken-link,partial-list"]);
    assert_eq!(fail.status.code(), Some(1), "{}", cli::out(&fail));
    assert!(
        cli::stderr(&fail).contains("partial-list (--fail-on)"),
        "{}",
        cli::stderr(&fail)
    );
    assert!(!cli::stderr(&fail).contains("broken-link"));
    let pass = cli::dossier(
        data,
        &["check", "--fail-on", "broken-link,unresolved-reference"],
    );
    assert_eq!(pass.status.code(), Some(0), "{}", cli::out(&pass));

    let unknown = cli::dossier(data, &["check", "--fail-on", "broken-link,typo"]);
    assert!(!unknown.status.success());
    let e = cli::stderr(&unknown);
    assert!(e.contains("\"typo\" is not a kind of gap"), "{e}");
    assert!(
        e.contains("stale-status") && e.contains("likely-duplicate"),
        "{e}"
    );

    let missing = cli::dossier(data, &["check", "--dossier", "../../etc"]);
    assert!(!missing.status.success());
    assert!(
        cli::stderr(&missing).contains("../../etc"),
        "{}",
        cli::stderr(&missing)
    );
}

#[test]
fn the_check_ages_claims_by_dossier_today() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(cli::dossier(data, &["load-builtin"]).status.success());
    let run = |day: &str| {
        let o = std::process::Command::new(cli::BIN)
            .arg("--data-dir")
            .arg(data)
            .args(["check", "--json"])
            .env("DOSSIER_TODAY", day)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["counts"]["stale-status"].as_u64().unwrap()
    };
    assert_eq!(run("2003-01-01"), 0);
    assert!(run("2026-12-06") > 0);
}

fn server() -> TestServer {
    let server = TestServer::with(fill);
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    add_user(&server, CONTRIBUTOR, "Cora Contributor", Role::Contributor);
    server
}

#[test]
fn editors_see_the_gaps_with_links_to_fix_them() {
    let server = server();
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    let page = editor.get("/review/gaps");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .header("cache-control")
        .unwrap_or_default()
        .contains("no-store"));
    let html = &page.body;
    assert!(html.contains("References that point at nothing"), "{html}");
    assert!(
        html.contains(r#"href="/bodies/pjc/edit#field-sources-0-url""#),
        "{html}"
    );
    assert!(html.contains(r#"id="broken-link""#));
    // Hostile words are text.
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains("<b>bold</b>"), "{html}");
    // The editors' menu links here.
    assert!(editor.get("/").body.contains(r#"href="/review/gaps""#));

    let json = editor.get_json("/review/gaps");
    assert_eq!(json.status, 200);
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    let w = serde_json::to_value(list(
        server.store.as_ref(),
        None,
        dossier_publish::time::today(),
    ))
    .unwrap();
    assert_eq!(v, w, "the page's JSON is the worklist");
    assert!(v["counts"]["broken-link"].as_u64().unwrap() > 0);

    let one = editor.get_json("/review/gaps?dossier=nato-russia");
    assert_eq!(one.status, 200);
    assert_eq!(editor.get("/review/gaps?dossier=no-such").status, 404);
    assert_eq!(editor.get("/review/gaps?dossier=..%2F..%2Fetc").status, 400);
    assert_eq!(editor.get("/review/gaps?dossier=%3Cscript%3E").status, 400);
}

#[test]
fn the_edit_links_land_on_the_forms_inputs() {
    let server = server();
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    let w = list(server.store.as_ref(), None, TODAY);
    for kind in [Kind::Undated, Kind::BrokenLink, Kind::NoLanguage] {
        let item = w.of(kind).find(|i| i.record != "dossier").unwrap();
        let (path, anchor) = item.edit.split_once('#').unwrap();
        let form = editor.get(path);
        assert_eq!(form.status, 200, "{path}");
        assert!(
            form.body.contains(&format!("id=\"{anchor}\"")),
            "{path} has no #{anchor}"
        );
    }
    // A section's item lands on that section of the outline form.
    let r = w
        .of(Kind::UnresolvedReference)
        .find(|i| i.field == "sections.z-gaps.references[0]")
        .unwrap();
    let (path, anchor) = r.edit.split_once('#').unwrap();
    let form = editor.get(path).body;
    let at = form
        .find(&format!("id=\"{anchor}\""))
        .expect("the section's anchor");
    let rest = &form[at..];
    let end = rest[1..].find("id=\"sec-").map_or(rest.len(), |e| e + 1);
    assert!(
        rest[..end].contains("Gaps &lt;b&gt;bold"),
        "{}",
        &rest[..end.min(600)]
    );
}

#[test]
fn readers_and_contributors_are_kept_out() {
    let server = server();
    let mut anonymous = Client::new(&server);
    let a = anonymous.get("/review/gaps");
    assert_eq!(a.status, 303);
    assert!(a.header("location").unwrap().starts_with("/login?next="));
    let mut contributor = Client::new(&server);
    contributor.login(CONTRIBUTOR, PASSWORD);
    let c = contributor.get("/review/gaps");
    assert_eq!(c.status, 403);
    assert!(!c.body.contains("bare-record"));
    assert!(!contributor.get("/").body.contains("/review/gaps"));
}
