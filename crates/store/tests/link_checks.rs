//! The history of link checks and the checker's runs (issue 25) on every backend
//! ([`common::each_store`]).

mod common;

use common::*;
use dossier_store::link_checks::*;
use dossier_store::Store;

fn check(url: &str, at: i64, outcome: LinkOutcome) -> NewLinkCheck {
    NewLinkCheck {
        url: url.into(),
        checked_at: at,
        outcome,
        status: Some(200),
        final_url: None,
        redirects: vec![LinkHop {
            url: url.into(),
            status: 301,
            location: format!("{url}/moved"),
        }],
        message: String::new(),
        elapsed_ms: 12,
    }
}

fn checks(s: &dyn Store) -> &dyn LinkChecks {
    s.link_checks().expect("every backend keeps link checks")
}

#[test]
fn history_latest_and_runs() {
    each_store(|s| {
        let lc = checks(&**s);
        assert!(lc.link_runs(5).unwrap().is_empty());
        let run = lc.start_link_run(RunTrigger::Cli, 100).unwrap();
        lc.add_link_checks(&[
            check("https://a.example/", 100, LinkOutcome::Ok),
            check("https://b.example/<script>", 100, LinkOutcome::Broken),
        ])
        .unwrap();
        lc.add_link_checks(&[check("https://a.example/", 200, LinkOutcome::Gone)])
            .unwrap();
        lc.add_link_checks(&[]).unwrap();
        assert_eq!(lc.link_runs(5).unwrap()[0].finished_at, None, "running");
        lc.finish_link_run(run, 201, 3, 2).unwrap();
        let latest = lc.latest_link_checks().unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].url, "https://a.example/");
        assert_eq!(latest[0].outcome, LinkOutcome::Gone);
        assert_eq!(latest[0].checked_at, 200);
        assert_eq!(latest[0].status, Some(200));
        assert_eq!(latest[0].elapsed_ms, 12);
        assert_eq!(latest[0].redirects[0].status, 301);
        assert_eq!(latest[0].redirects[0].location, "https://a.example//moved");
        assert_eq!(latest[1].url, "https://b.example/<script>");
        let history = lc.link_history("https://a.example/", 10).unwrap();
        assert_eq!(
            history.iter().map(|c| c.outcome).collect::<Vec<_>>(),
            [LinkOutcome::Gone, LinkOutcome::Ok]
        );
        assert_eq!(lc.link_history("https://a.example/", 1).unwrap().len(), 1);
        assert_eq!(
            lc.link_history("https://a.example/", usize::MAX)
                .unwrap()
                .len(),
            2
        );
        let second = lc.start_link_run(RunTrigger::Schedule, 300).unwrap();
        let runs = lc.link_runs(5).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.id).collect::<Vec<_>>(),
            [second, run],
            "newest first"
        );
        assert_eq!(runs[1].trigger, RunTrigger::Cli);
        assert_eq!(runs[1].finished_at, Some(201));
        assert_eq!((runs[1].checked, runs[1].failed), (3, 2));
        assert_eq!(lc.link_runs(1).unwrap().len(), 1);
        assert!(lc.finish_link_run(second + 99, 1, 0, 0).is_err());
    });
}

#[test]
fn outcome_spellings_round_trip_and_match_the_table() {
    each_store(|s| {
        let lc = checks(&**s);
        for o in LinkOutcome::ALL {
            assert_eq!(LinkOutcome::parse(o.as_str()), Some(o));
            // The table's CHECK constraint admits every spelling.
            lc.add_link_checks(&[check(&format!("https://x.example/{}", o.as_str()), 1, o)])
                .unwrap();
        }
        let latest = lc.latest_link_checks().unwrap();
        assert_eq!(latest.len(), LinkOutcome::ALL.len());
        for c in latest {
            assert!(c.url.ends_with(c.outcome.as_str()), "{c:?}");
        }
    });
}

/// Addresses are listed in byte order on every backend (capitals before small letters,
/// whatever the database's locale), so the editors' list reads the same on both.
#[test]
fn latest_checks_are_in_byte_order() {
    each_store(|s| {
        let lc = checks(&**s);
        let urls = [
            "https://b.example/",
            "https://a.example/x",
            "https://B.example/",
            "https://a.example/X",
            "https://a.example/é",
        ];
        for (i, url) in urls.iter().enumerate() {
            lc.add_link_checks(&[check(url, i as i64, LinkOutcome::Ok)])
                .unwrap();
        }
        let listed: Vec<String> = lc
            .latest_link_checks()
            .unwrap()
            .into_iter()
            .map(|c| c.url)
            .collect();
        let mut sorted: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        sorted.sort();
        assert_eq!(listed, sorted);
    });
}

/// An address holding a NUL has no history on every backend, never a database error.
#[test]
fn an_address_holding_a_nul_has_no_history() {
    each_store(|s| {
        let lc = checks(&**s);
        lc.add_link_checks(&[check("https://a.example/", 1, LinkOutcome::Ok)])
            .unwrap();
        assert!(lc
            .link_history("https://a.example/\0", 10)
            .unwrap()
            .is_empty());
    });
}
