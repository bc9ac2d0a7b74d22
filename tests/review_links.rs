//! `/review/links` over real HTTP (issue 25): the link checker's last and next run and
//! its newest results, failures first, for editors only; hostile addresses and messages
//! shown as text, never as markup or a live script link.

mod common;

use common::accounts::{add_user, Client, PASSWORD};
use common::TestServer;
use dossier_auth::Role;
use dossier_store::{LinkHop, LinkOutcome, NewLinkCheck, RunTrigger, Store};
use std::time::Duration;

const EDITOR: &str = "editor@archive.example";
const CONTRIBUTOR: &str = "contributor@archive.example";
const STARTED: i64 = 1_800_000_000;

fn check(url: &str, outcome: LinkOutcome, message: &str) -> NewLinkCheck {
    NewLinkCheck {
        url: url.into(),
        checked_at: STARTED + 60,
        outcome,
        status: Some(200),
        final_url: None,
        redirects: Vec::new(),
        message: message.into(),
        elapsed_ms: 5,
    }
}

fn server(schedule: bool) -> TestServer {
    let server = TestServer::with_app(
        |store| {
            let lc = store.link_checks().unwrap();
            let run = lc.start_link_run(RunTrigger::Schedule, STARTED).unwrap();
            let mut moved = check("https://www.nato.int/old", LinkOutcome::Redirected, "moved");
            moved.final_url = Some("https://www.nato.int/new".into());
            moved.redirects = vec![LinkHop {
                url: "https://www.nato.int/old".into(),
                status: 301,
                location: "https://www.nato.int/new".into(),
            }];
            lc.add_link_checks(&[
                check("https://www.nato.int/ok", LinkOutcome::Ok, ""),
                moved,
                check(
                    "https://gone.example/<script>alert(1)</script>",
                    LinkOutcome::Gone,
                    "410 Gone: <img src=x onerror=alert(2)>",
                ),
                check("javascript:alert(3)", LinkOutcome::Refused, "only http"),
            ])
            .unwrap();
            lc.finish_link_run(run, STARTED + 61, 4, 1).unwrap();
        },
        move |state| {
            if schedule {
                state.with_link_schedule(dossier_server::LinkSchedule {
                    every: Duration::from_secs(7 * 86_400),
                    started_at: STARTED,
                })
            } else {
                state
            }
        },
    );
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    add_user(&server, CONTRIBUTOR, "Cora Contributor", Role::Contributor);
    server
}

#[test]
fn editors_see_the_runs_and_the_results_failures_first() {
    let server = server(true);
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    let page = editor.get("/review/links");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .header("cache-control")
        .unwrap_or_default()
        .contains("no-store"));
    let html = &page.body;
    assert!(html.contains("every 7 days"), "{html}");
    // Last run 2027-01-15T08:00:00Z, the next a week after it.
    assert!(html.contains("2027-01-15T08:00:00Z"), "{html}");
    assert!(html.contains("2027-01-22T08:00:00Z"), "{html}");
    assert!(html.contains("4 checked, 1 failing"), "{html}");
    // The failure comes first.
    let gone = html.find("gone.example").unwrap();
    let ok = html.find("https://www.nato.int/ok").unwrap();
    assert!(gone < ok);
    assert!(html.contains("301 https://www.nato.int/old → https://www.nato.int/new"));
    // Hostile text is text.
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains(r#"href="javascript:"#), "{html}");
    // The menu links here.
    assert!(editor.get("/").body.contains(r#"href="/review/links""#));

    let json = editor.get_json("/review/links");
    assert_eq!(json.status, 200);
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["counts"]["gone"], 1);
    assert_eq!(v["counts"]["ok"], 1);
    assert_eq!(v["last_run"]["trigger"], "schedule");
    assert_eq!(v["next_run"], "2027-01-22T08:00:00Z");
    assert_eq!(v["checks"][0]["outcome"], "gone");
    assert_eq!(v["checks"][0]["failure"], true);
}

#[test]
fn without_a_schedule_the_page_says_how_to_check() {
    let server = server(false);
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    let page = editor.get("/review/links");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("--check-links-every"), "{}", page.body);
    let v: serde_json::Value =
        serde_json::from_str(&editor.get_json("/review/links").body).unwrap();
    assert!(v["next_run"].is_null());
}

#[test]
fn readers_and_contributors_are_kept_out() {
    let server = server(true);
    let mut anonymous = Client::new(&server);
    let a = anonymous.get("/review/links");
    assert_eq!(a.status, 303);
    assert!(a.header("location").unwrap().starts_with("/login?next="));
    let mut contributor = Client::new(&server);
    contributor.login(CONTRIBUTOR, PASSWORD);
    let c = contributor.get("/review/links");
    assert_eq!(c.status, 403);
    assert!(!c.body.contains("gone.example"));
    assert!(!contributor.get("/").body.contains("/review/links"));
}
