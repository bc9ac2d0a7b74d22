//! Issue 25, as-of dates and partial lists on the built-in dossier: its aged statements
//! carry claims with their dates and sources, its lists say what the page listed, and the
//! pages show both, on the web, in JSON and in the static export, aged by the day given
//! (`DOSSIER_TODAY`).

mod common;

use common::{text_of, TestServer};
use dossier_model::*;
use std::path::Path;
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::builtin);

fn builtin() -> Archive {
    dossier_ingest::builtin::archive().unwrap_or_else(|e| panic!("{e}"))
}

/// A record's provenance and its JSON.
fn provenance<'a>(a: &'a Archive, record: &str, slug: &str) -> (&'a Provenance, serde_json::Value) {
    let found = match record {
        "document" => a
            .documents
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| (&r.provenance, serde_json::to_value(r).unwrap())),
        _ => a
            .bodies
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| (&r.provenance, serde_json::to_value(r).unwrap())),
    };
    found.unwrap_or_else(|| panic!("{record} {slug} is missing"))
}

/// The five aged statements the issue names, each dated and each with its source: a
/// trace of the seed page or a public source that supports the field it dates.
#[test]
fn the_aged_statements_are_dated_and_sourced() {
    let a = builtin();
    let seed_day = Edtf::parse("2002-05-28").unwrap();
    for (record, slug, field, words, as_of) in [
        ("body", "nrc", "summary", "last met", "2022-01-12"),
        (
            "document",
            "founding-act-1997",
            "summary",
            "the main forum",
            "2002-05-28",
        ),
        (
            "document",
            "russia-individual-partnership-programme",
            "summary",
            "discussed in the Permanent Joint Council",
            "2002-05-28",
        ),
        ("body", "eapc", "summary", "Russia continued", "2002-05-28"),
        (
            "document",
            "sar-at-sea-work-programme-2000",
            "availability",
            "",
            "2002-05-28",
        ),
    ] {
        let (p, json) = provenance(&a, record, slug);
        let claim = p
            .claims
            .iter()
            .find(|c| c.field == field)
            .unwrap_or_else(|| panic!("{slug}: no claim on {field}"));
        assert_eq!(claim.as_of, Edtf::parse(as_of).unwrap(), "{slug}");
        assert!(claim.as_of >= seed_day, "{slug}: before the page's date");
        if let Some(statement) = &claim.statement {
            assert!(statement.contains(words), "{slug}: {statement:?}");
            // The words are the record's own, so a page can show them beside it.
            let text = json[field].as_str().unwrap_or_default();
            assert!(
                text.contains(statement.as_str()),
                "{slug}: {statement:?} not in {text:?}"
            );
        }
        let supported = |fields: &[String]| fields.is_empty() || fields.iter().any(|f| f == field);
        let sourced = if as_of == "2002-05-28" {
            p.trace.iter().any(|t| supported(&t.fields))
        } else {
            p.sources
                .iter()
                .any(|s| supported(&s.fields) && s.title.contains("12 January 2022"))
        };
        assert!(sourced, "{slug}: the claim on {field} has no source");
    }
}

/// The commentary's present tense is dated where the page says it, and every list says
/// that the page listed none under it.
#[test]
fn sections_date_their_sentences_and_lists_know_what_the_page_listed() {
    let a = builtin();
    let d = &a.dossiers[0];
    let claims: Vec<(&str, &Claim)> = d
        .all_sections()
        .into_iter()
        .flat_map(|s| s.claims.iter().map(move |c| (s.key.as_str(), c)))
        .collect();
    for (key, words) in [
        ("a-i-1", "Russia continues to participate"),
        ("a-i-1", "the main forum"),
        ("a-i-2", "The Council will meet"),
        ("a-ii-1", "Individual Partnership Programme is discussed"),
        ("a-ii-3-5", "not yet available to the public"),
    ] {
        assert!(
            claims.iter().any(|(k, c)| *k == key
                && c.field == "commentary"
                && c.statement.as_deref().is_some_and(|s| s.contains(words))
                && c.as_of == Edtf::parse("2002-05-28").unwrap()),
            "{key}: {words}"
        );
    }
    let lists: Vec<&GeneratedList> = d
        .all_sections()
        .into_iter()
        .flat_map(|s| &s.lists)
        .collect();
    assert_eq!(lists.len(), 6);
    assert!(lists
        .iter()
        .all(|l| l.page_listed == Some(0) && !l.complete));
}

fn section<'a>(html: &'a str, key: &str) -> &'a str {
    let start = html.find(&format!("<section id=\"{key}\"")).unwrap();
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

/// The dossier's page marks its dated sentences (flagged: 2002 is more than five years
/// ago on any day these tests run) and says what each list holds; its JSON says both.
#[test]
fn the_dossier_page_shows_dates_and_holdings() {
    let (status, html) = SERVER.html("/dossiers/nato-russia");
    assert_eq!(status, 200);
    let a_i_1 = section(&html, "a-i-1");
    assert_eq!(
        a_i_1
            .matches("(as of 28 May 2002, possibly out of date)")
            .count(),
        2,
        "{a_i_1}"
    );
    let lists = text_of(section(
        &html,
        "a-list-of-meetings-of-the-nato-russia-permanent-joint-council",
    ));
    assert!(
        lists.contains("of the NATO-Russia Permanent Joint Council (July 1997 – May 2002); the page listed none. The list may be incomplete."),
        "{lists}"
    );
    assert!(
        lists.contains(
            "The archive holds no documents of the NATO-Russia Council yet; the page listed none."
        ),
        "{lists}"
    );

    let (status, _, json) = SERVER.json("/dossiers/nato-russia");
    assert_eq!(status, 200);
    let mut sections: Vec<&serde_json::Value> =
        json["sections"].as_array().unwrap().iter().collect();
    let (mut claims, mut lists) = (Vec::new(), Vec::new());
    while let Some(s) = sections.pop() {
        claims.extend(s["claims"].as_array().unwrap());
        lists.extend(s["lists"].as_array().unwrap());
        sections.extend(s["children"].as_array().unwrap());
    }
    assert!(claims.len() >= 5);
    for c in &claims {
        assert_eq!(c["field"], "commentary");
        assert_eq!(c["as_of"]["edtf"], "2002-05-28");
        assert_eq!(c["stale"], true);
        assert_eq!(c["stale_after_years"], DEFAULT_STALE_AFTER_YEARS);
        assert_eq!(c["in_commentary"], true, "{c}");
    }
    for l in &lists {
        assert_eq!(l["holdings"]["page_listed"], 0);
        assert_eq!(l["holdings"]["complete"], false);
        assert_eq!(l["holdings"]["held"], l["total"]);
    }
}

/// A record's claim beside its field, in HTML and JSON.
#[test]
fn record_pages_show_their_claims() {
    let (status, html) = SERVER.html("/bodies/eapc");
    assert_eq!(status, 200);
    assert!(
        html.contains("“Russia continued to take part in its meetings”: <time datetime=\"2002-05-28\">as of 28 May 2002, possibly out of date</time>"),
        "{html}"
    );
    let (_, _, json) = SERVER.json("/bodies/eapc");
    let c = &json["provenance"]["claims"][0];
    assert_eq!(c["field"], "summary");
    assert_eq!(c["stale"], true);
    assert_eq!(c["text"], "as of 28 May 2002, possibly out of date");

    let (_, html) = SERVER.html("/documents/sar-at-sea-work-programme-2000");
    let text = text_of(&html);
    assert!(
        text.contains("Not public as of 28 May 2002, possibly out of date"),
        "{text}"
    );
    // The record's own JSON keeps the claim as data.
    let (_, _, json) = SERVER.json("/api/v1/documents/sar-at-sea-work-programme-2000");
    let c = &json["provenance"]["claims"][0];
    assert_eq!(c["field"], "availability", "{json}");
    assert_eq!(c["as_of"], "2002-05-28");
    assert_eq!(c["statement"], serde_json::Value::Null);
    // A section's claims and a list's page count, in the API.
    let (_, _, s) = SERVER.json("/api/v1/dossiers/nato-russia/sections/a-i-1");
    assert_eq!(s["claims"].as_array().unwrap().len(), 2, "{s}");
    assert_eq!(s["claims"][0]["as_of"], "2002-05-28");
    let (_, _, s) = SERVER.json("/api/v1/dossiers/nato-russia/sections/b");
    assert_eq!(s["lists"][0]["page_listed"], 0, "{s}");
    assert_eq!(s["lists"][0]["complete"], false);
    assert_eq!(s["claims"], serde_json::json!([]));
    // A record without claims has no `claims` key.
    let (_, _, json) = SERVER.json("/api/v1/documents/joint-statement-moscow-2000-02-16");
    assert!(json["provenance"].get("claims").is_none(), "{json}");
}

fn dossier(data_dir: &Path, today: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.arg("--data-dir").arg(data_dir).args(args);
    c.env_remove("DOSSIER_DATA_DIR").env_remove("DOSSIER_TODAY");
    if let Some(day) = today {
        c.env("DOSSIER_TODAY", day);
    }
    c.output().unwrap()
}

/// The day pages age claims by is the process's `DOSSIER_TODAY`: the same export says
/// "possibly out of date" in 2026 and not in 2003, and the NRC's 2022 meeting flips
/// between 2026 and 2027.
#[test]
fn the_stale_flag_flips_with_the_injected_day() {
    let data = tempfile::tempdir().unwrap();
    let o = dossier(data.path(), None, &["load-builtin"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let export = |today: &str| {
        let out = tempfile::tempdir().unwrap();
        let site = out.path().join("site");
        let o = dossier(
            data.path(),
            Some(today),
            &[
                "export",
                "site",
                site.to_str().unwrap(),
                "--base-url",
                "https://archive.example.org",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let read = |p: &str| std::fs::read_to_string(site.join(p)).unwrap();
        (read("bodies/eapc.html"), read("bodies/nrc.html"), out)
    };
    let (eapc, nrc, _keep) = export("2003-01-01");
    assert!(eapc.contains(">as of 28 May 2002</time>"), "{eapc}");
    assert!(!eapc.contains("possibly out of date"));
    assert!(!nrc.contains("possibly out of date"));
    let (eapc, nrc, _keep) = export("2026-12-06");
    assert!(eapc.contains(">as of 28 May 2002, possibly out of date</time>"));
    assert!(nrc.contains(">as of 12 January 2022</time>"), "{nrc}");
    let (_, nrc, _keep) = export("2027-01-13");
    assert!(nrc.contains(">as of 12 January 2022, possibly out of date</time>"));
    // A day that is not one is said and ignored.
    let o = dossier(
        data.path(),
        Some("soon"),
        &[
            "export",
            "site",
            data.path().join("x").to_str().unwrap(),
            "--base-url",
            "https://archive.example.org",
        ],
    );
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("DOSSIER_TODAY=\"soon\" is not a day"));
}
