//! Collections (issue 27): every importer puts its records in the collection `--collection`
//! names, created on first use; a curated dossier no longer holds what an import did not
//! put in it; hostile slugs and titles are refused with a message naming the flag.

use dossier_model::RecordType;
use dossier_store::{DocumentQuery, SqliteStore, Store};
use std::path::{Path, PathBuf};

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out};

fn milestones() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/historyatstate/milestones")
}

/// Three Milestones chapters (their essays, TEI): enough for a collection, quick to read.
fn chapters() -> Vec<String> {
    ["1945-1952", "1989-1992", "1993-2000"]
        .iter()
        .map(|c| {
            milestones()
                .join(format!("chapters/{c}.xml"))
                .display()
                .to_string()
        })
        .collect()
}

fn run(data: &Path, args: &[&str]) -> String {
    let o = dossier(data, args);
    assert!(o.status.success(), "dossier {args:?}: {}", out(&o));
    out(&o)
}

fn fails(data: &Path, args: &[&str]) -> String {
    let o = dossier(data, args);
    assert!(
        !o.status.success(),
        "dossier {args:?} should fail: {}",
        out(&o)
    );
    out(&o)
}

fn open(data: &Path) -> SqliteStore {
    SqliteStore::open(&data.join("dossier.db")).unwrap()
}

fn tei_into(data: &Path, extra: &[&str]) -> String {
    let files = chapters();
    let mut args = vec!["import", "tei", "--kind", "research-study"];
    args.extend(extra);
    args.extend(files.iter().map(String::as_str));
    run(data, &args)
}

#[test]
fn an_import_into_a_collection_is_re_runnable_and_stays_out_of_the_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    run(data, &["load-builtin"]);
    let curated_studies = |s: &SqliteStore| {
        s.documents(&DocumentQuery {
            dossier: Some("nato-russia".into()),
            kinds: vec!["research-study".into()],
            ..Default::default()
        })
        .unwrap()
        .len()
    };
    let before = curated_studies(&open(data));

    let first = tei_into(
        data,
        &[
            "--collection",
            "milestones",
            "--collection-title",
            "Milestones in the History of U.S. Foreign Relations",
            "--collection-source",
            "Office of the Historian, U.S. Department of State",
            "--collection-url",
            "https://history.state.gov/milestones",
        ],
    );
    assert!(
        first.contains("Collection `milestones` created, titled \"Milestones in the History"),
        "{first}"
    );
    let s = open(data);
    let essays = s
        .collection_cards("milestones", RecordType::Document)
        .unwrap();
    assert!(essays.len() > 20, "{} essays", essays.len());
    assert!(essays
        .iter()
        .any(|c| c.slug == "1993-2000-evolution-of-nato"));
    let doc = s.document("1993-2000-evolution-of-nato").unwrap().unwrap();
    assert_eq!(doc.collections, ["milestones"]);
    assert!(doc.dossiers.is_empty(), "{:?}", doc.dossiers);
    // The topics the essays name, created by the import, are in it too.
    assert!(!s
        .collection_cards("milestones", RecordType::Topic)
        .unwrap()
        .is_empty());
    let c = s.collection("milestones").unwrap().unwrap();
    assert_eq!(
        c.source.as_deref(),
        Some("Office of the Historian, U.S. Department of State")
    );
    assert_eq!(
        c.url.as_deref(),
        Some("https://history.state.gov/milestones")
    );
    let listed = s.collections().unwrap();
    let (_, count) = listed.iter().find(|(c, _)| c.slug == "milestones").unwrap();
    assert!(*count > essays.len(), "documents and topics: {count}");
    // The curated dossier lists none of them.
    assert_eq!(curated_studies(&s), before);
    assert_eq!(
        s.collection_documents("milestones").unwrap().len(),
        essays.len()
    );
    drop(s);

    // Again, with the title left out: nothing changes, the title stays.
    let again = tei_into(data, &["--collection", "milestones"]);
    assert!(again.contains(" 0 new, 0 changed"), "{again}");
    assert!(!again.contains("Collection `milestones`"), "{again}");
    let s = open(data);
    assert_eq!(
        s.collection("milestones").unwrap().unwrap().title,
        "Milestones in the History of U.S. Foreign Relations"
    );
    assert_eq!(
        s.collection_cards("milestones", RecordType::Document)
            .unwrap()
            .len(),
        essays.len()
    );
}

fn markdown(dir: &Path, name: &str, title: &str) -> String {
    let p = dir.join(format!("{name}.md"));
    std::fs::write(
        &p,
        format!(
            "+++\ntitle = {title:?}\nkind = \"statement\"\ndate = \"1997-05-27\"\n+++\nText.\n"
        ),
    )
    .unwrap();
    p.display().to_string()
}

#[test]
fn two_collections_keep_their_records_apart_and_a_record_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = markdown(dir.path(), "statement-a", "Statement A");
    let b = markdown(dir.path(), "statement-b", "Statement B");
    let o = run(
        &data,
        &["import", "markdown", &a, "--collection", "press-notes"],
    );
    assert!(
        o.contains("Collection `press-notes` created, titled \"Press notes\" (from its slug"),
        "{o}"
    );
    run(
        &data,
        &["import", "markdown", &b, "--collection", "speeches"],
    );
    // A record imported into a second collection is in both.
    run(
        &data,
        &["import", "markdown", &a, "--collection", "speeches"],
    );
    let s = open(&data);
    let slugs = |c: &str| -> Vec<String> {
        s.collection_cards(c, RecordType::Document)
            .unwrap()
            .into_iter()
            .map(|c| c.slug)
            .collect()
    };
    assert_eq!(slugs("press-notes"), ["statement-a"]);
    let mut both = slugs("speeches");
    both.sort();
    assert_eq!(both, ["statement-a", "statement-b"]);
    assert_eq!(
        s.document("statement-a").unwrap().unwrap().collections,
        ["press-notes", "speeches"]
    );
    let counts: Vec<(String, usize)> = s
        .collections()
        .unwrap()
        .into_iter()
        .map(|(c, n)| (c.slug, n))
        .collect();
    assert_eq!(
        counts,
        [("press-notes".to_string(), 1), ("speeches".to_string(), 2)]
    );
    // A text attached to a document puts it in the text import's collection too.
    let text = dir.path().join("texte.txt");
    std::fs::write(&text, "Déclaration.\n\nPremier paragraphe.\n").unwrap();
    let o = run(
        &data,
        &[
            "import",
            "text",
            "--document",
            "statement-b",
            "--lang",
            "fr",
            &text.display().to_string(),
            "--collection",
            "french-texts",
        ],
    );
    assert!(o.contains("Collection `french-texts` created"), "{o}");
    assert_eq!(
        s.document("statement-b").unwrap().unwrap().collections,
        ["speeches", "french-texts"]
    );
    // A dry run into a third collection creates nothing.
    let o = run(
        &data,
        &[
            "import",
            "markdown",
            &b,
            "--collection",
            "later",
            "--dry-run",
        ],
    );
    assert!(o.contains("Collection `later` would be created"), "{o}");
    assert!(s.collection("later").unwrap().is_none());
    assert_eq!(
        s.document("statement-b").unwrap().unwrap().collections,
        ["speeches", "french-texts"]
    );
}

#[test]
fn the_record_importers_take_a_collection_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let visits = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/historyatstate/visits/data/1950.xml");
    let visits = visits.display().to_string();
    let o = run(
        &data,
        &[
            "import",
            "records",
            &visits,
            "--mapping",
            "mappings/visits.toml",
            "--collection",
            "visits",
            "--collection-title",
            "Visits by Foreign Leaders",
        ],
    );
    assert!(o.contains("Collection `visits` created"), "{o}");
    let s = open(&data);
    let events = s.collection_cards("visits", RecordType::Event).unwrap();
    assert!(events.len() > 10, "{}", events.len());
    // The visitors and countries the import created are in the collection as well.
    assert!(!s
        .collection_cards("visits", RecordType::Body)
        .unwrap()
        .is_empty());
    // An outline's curated records join a collection through the same flag.
    let outline = "examples/us-nato-russia/outline.txt";
    run(
        &data,
        &["import", "outline", outline, "--collection", "us-outline"],
    );
    assert!(s.collection("us-outline").unwrap().is_some());
}

#[test]
fn hostile_collection_slugs_and_titles_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let f = markdown(dir.path(), "note", "Note");
    let huge = "x".repeat(100_000);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--collection", "../../etc/passwd"], "--collection"),
        (
            vec!["--collection", "<script>alert(1)</script>"],
            "not a valid slug",
        ),
        (vec!["--collection", "a/b"], "not a valid slug"),
        (vec!["--collection", "Visits"], "not a valid slug"),
        (vec!["--collection", &huge], "not a valid slug"),
        (
            vec!["--collection", "c", "--collection-title", &huge],
            "--collection-title: longer than 300 characters",
        ),
        (
            vec!["--collection", "c", "--collection-title", "   "],
            "--collection-title: a collection needs a title",
        ),
        (
            vec!["--collection", "c", "--collection-title", "bell\u{7}"],
            "--collection-title: contains a control character",
        ),
        (
            vec![
                "--collection",
                "c",
                "--collection-url",
                "javascript:alert(1)",
            ],
            "--collection-url: a `javascript:` address is not accepted",
        ),
        (
            vec![
                "--collection",
                "c",
                "--collection-url",
                "file:///etc/passwd",
            ],
            "--collection-url",
        ),
        (vec!["--collection-title", "No slug"], "--collection"),
    ];
    for (flags, says) in cases {
        let mut args = vec!["import", "markdown", f.as_str()];
        args.extend(flags.iter().copied());
        let o = fails(&data, &args);
        assert!(o.contains(says), "{flags:.60?}: {o:.2000}");
    }
    if data.join("dossier.db").exists() {
        let s = open(&data);
        assert!(s.collections().unwrap().is_empty());
        assert!(s.document("note").unwrap().is_none());
    }

    // Markup in a title is kept as the words typed (pages escape it).
    let title = "<script>alert(1)</script> & \"Visits\"";
    run(
        &data,
        &[
            "import",
            "markdown",
            &f,
            "--collection",
            "c",
            "--collection-title",
            title,
        ],
    );
    let s = open(&data);
    assert_eq!(s.collection("c").unwrap().unwrap().title, title);
}

fn oai(store: &dyn Store, args: &[(&str, &str)]) -> String {
    let site = dossier_publish::site::Site::new("https://archive.example.org/").unwrap();
    let o = dossier_publish::oai::Oai {
        store,
        site: &site,
        key: b"collections test key",
        now: "2026-12-06T00:00:00Z",
    };
    let args: Vec<(String, String)> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    dossier_publish::oai::respond(&o, &args).unwrap()
}

#[test]
fn oai_pmh_sets_and_bibliographies_follow_the_collections() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    run(data, &["load-builtin"]);
    tei_into(
        data,
        &[
            "--collection",
            "milestones",
            "--collection-title",
            "Milestones <essays> & \"notes\"",
        ],
    );
    let s = open(data);
    let sets = oai(&s, &[("verb", "ListSets")]);
    assert!(
        sets.contains("<setSpec>collection:milestones</setSpec>"),
        "{sets}"
    );
    // The title is text in the XML, escaped.
    assert!(
        sets.contains("<setName>Milestones &lt;essays&gt; &amp; \"notes\"</setName>")
            || sets
                .contains("<setName>Milestones &lt;essays&gt; &amp; &quot;notes&quot;</setName>"),
        "{sets}"
    );
    let ids = |set: &str| -> usize {
        let x = oai(
            &s,
            &[
                ("verb", "ListIdentifiers"),
                ("metadataPrefix", "oai_dc"),
                ("set", set),
            ],
        );
        x.matches("<identifier>").count()
    };
    let essays = s
        .collection_cards("milestones", RecordType::Document)
        .unwrap()
        .len();
    assert_eq!(ids("collection:milestones"), essays.min(100));
    let record = oai(
        &s,
        &[
            ("verb", "GetRecord"),
            ("metadataPrefix", "oai_dc"),
            (
                "identifier",
                "oai:archive.example.org:document/1993-2000-evolution-of-nato",
            ),
        ],
    );
    assert!(
        record.contains("<setSpec>collection:milestones</setSpec>"),
        "{record}"
    );
    assert!(
        !record.contains("<setSpec>dossier:nato-russia</setSpec>"),
        "{record}"
    );
    // The curated dossier's set holds none of the essays.
    let dossier_set = oai(
        &s,
        &[
            ("verb", "ListIdentifiers"),
            ("metadataPrefix", "oai_dc"),
            ("set", "dossier:nato-russia"),
        ],
    );
    assert!(
        !dossier_set.contains("document/1993-2000-"),
        "{dossier_set:.3000}"
    );

    use dossier_publish::citation::{collection_bibliography, dossier_bibliography, Format};
    let site = dossier_publish::site::Site::new("https://archive.example.org/").unwrap();
    let bib = collection_bibliography(&s, "milestones", Format::Bibtex, &site)
        .unwrap()
        .unwrap();
    assert_eq!(
        bib.matches("\n@").count() + usize::from(bib.starts_with('@')),
        essays
    );
    assert!(bib.contains("The Evolution of NATO"));
    let dossier_bib = dossier_bibliography(&s, "nato-russia", Format::Bibtex, &site)
        .unwrap()
        .unwrap();
    assert!(!dossier_bib.contains("The Evolution of NATO"));
    assert!(collection_bibliography(&s, "nope", Format::Ris, &site)
        .unwrap()
        .is_none());
}
