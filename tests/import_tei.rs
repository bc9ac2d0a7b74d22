//! `dossier import tei`, run as a user would on the real Milestones corpus
//! (`../shared/corpora/historyatstate/milestones`, TEI P5, CC0).

use dossier_store::{DocumentQuery, SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out};

fn chapters() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/historyatstate/milestones/chapters");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the milestones corpus at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files.iter().map(|p| p.display().to_string()).collect()
}

fn import(data_dir: &Path, extra: &[&str]) -> Output {
    let files = chapters();
    let mut args = vec![
        "import",
        "tei",
        "--dossier",
        "nato-russia",
        "--kind",
        "research-study",
    ];
    args.extend(extra);
    args.extend(files.iter().map(String::as_str));
    dossier(data_dir, &args)
}

#[test]
fn every_milestones_section_becomes_a_dated_research_study_of_the_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let o = import(dir.path(), &[]);
    assert!(!o.status.success());
    assert!(
        out(&o).contains("no dossier `nato-russia` in the archive"),
        "{}",
        out(&o)
    );

    assert!(dossier(dir.path(), &["load-builtin"]).status.success());
    let o = import(dir.path(), &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("documents: 205 new, 0 changed, 0 unchanged"),
        "{}",
        out(&o)
    );

    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    let studies = store
        .documents(&DocumentQuery {
            dossier: Some("nato-russia".into()),
            kinds: vec!["research-study".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(studies.len(), 205);
    assert!(studies
        .iter()
        .all(|d| !d.title.is_empty() && d.coverage.is_some()));
    // Issue 27: an essay's title years are the period it covers; the files give no issue
    // date, so none is invented (a gap says so).
    assert!(studies.iter().all(|d| d.date.is_none()));

    let nato = store
        .document("1993-2000-evolution-of-nato")
        .unwrap()
        .unwrap();
    assert_eq!(nato.title, "The Evolution of NATO, 1988–2001");
    assert_eq!(nato.coverage.unwrap().to_string(), "1988/2001");
    assert_eq!(nato.date, None);
    assert!(nato
        .provenance
        .gaps
        .iter()
        .any(|g| g.contains("issued or published is not recorded")));
    for t in ["russia", "north-atlantic-treaty-organization"] {
        assert!(nato.topics.contains(&t.to_string()), "{:?}", nato.topics);
        assert!(store.topic(t).unwrap().is_some());
    }
    assert!(nato.texts[0]
        .plain_text()
        .contains("Figure: U.S. Army forces cross the Sava River"));

    // The dossier page lists it under "C. Research Studies".
    let view = dossier_publish::views::dossier(&store, "nato-russia")
        .unwrap()
        .unwrap();
    // Its list shows the first LIST_PREVIEW records and counts them all; the whole list
    // is on the chronology it links to (issue 22: long lists are paged).
    let c = view.sections.iter().find(|s| s.key == "c").unwrap();
    let list = c
        .lists
        .iter()
        .find(|l| l.total >= 205)
        .expect("section C lists every research study");
    assert_eq!(list.items.len(), dossier_publish::views::LIST_PREVIEW);
    assert_eq!(
        list.more_url.as_deref(),
        Some("/dossiers/nato-russia/chronology?kind=research-study")
    );
    let all = dossier_publish::views::chronology(
        &store,
        "nato-russia",
        dossier_publish::views::ChronologyFilter {
            body: None,
            kind: Some("research-study".into()),
            year: None,
        },
    )
    .unwrap()
    .unwrap();
    let listed: Vec<&str> = all
        .entries
        .iter()
        .chain(&all.undated)
        .map(|e| e.slug.as_str())
        .collect();
    assert!(
        listed.contains(&"1993-2000-evolution-of-nato"),
        "{listed:?}"
    );
    // The topic page lists the documents that name it.
    let topic = dossier_publish::views::topic(&store, "north-atlantic-treaty-organization")
        .unwrap()
        .unwrap();
    assert!(topic
        .documents
        .iter()
        .any(|d| d.slug == "1993-2000-evolution-of-nato"));
    drop(store);

    let o = import(dir.path(), &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("documents: 0 new, 0 changed, 205 unchanged."),
        "{}",
        out(&o)
    );
}

#[test]
fn a_dry_run_writes_nothing_and_a_bad_kind_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(
        dir.path(),
        &[
            "import",
            "tei",
            "--dry-run",
            "tests/fixtures/milestones-1993-2000-excerpt.xml",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("documents: 2 new"), "{}", out(&o));
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    assert!(store
        .documents(&DocumentQuery::default())
        .unwrap()
        .is_empty());
    let o = dossier(
        dir.path(),
        &[
            "import",
            "tei",
            "--kind",
            "poem",
            "tests/fixtures/milestones-1993-2000-excerpt.xml",
        ],
    );
    assert!(
        out(&o).contains("--kind \"poem\" is not a document kind"),
        "{}",
        out(&o)
    );
}
