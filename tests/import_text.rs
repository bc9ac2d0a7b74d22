//! `dossier import text --document SLUG --lang LANG FILE` (issue 27): a text from HTML,
//! Markdown, TEI or plain text attached to a document the archive holds, re-runnable,
//! as an import revision; bad input refused with what and where.

#[path = "common/cli.rs"]
mod cli;

use cli::{dossier, out};
use dossier_store::{SqliteStore, Store};

const ACT: &str = "founding-act-1997";

fn text_of(dir: &std::path::Path, lang: &str) -> Option<dossier_model::Text> {
    let store = SqliteStore::open(&dir.join("dossier.db")).unwrap();
    let d = store.document(ACT).unwrap().unwrap();
    d.texts.into_iter().find(|t| t.lang == lang)
}

#[test]
fn texts_in_every_format_attach_to_a_document_and_a_rerun_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());

    let html = dir.path().join("acte.html");
    std::fs::write(
        &html,
        "<html><head><script>alert(1)</script></head><body><nav>Menu</nav><main><h1>Acte fondateur</h1><p>Les traités <b>entre</b> l'OTAN et la Russie.</p><p>Deuxième <script>alert(2)</script>paragraphe.</p></main></body></html>",
    )
    .unwrap();
    let import = |lang: &str, file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["import", "text", "--document", ACT, "--lang", lang];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        dossier(&data, &args)
    };
    let o = import("fr", &html, &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("fr text of `founding-act-1997` (2 paragraph(s), from HTML)"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("0 new, 1 changed, 0 unchanged"),
        "{}",
        out(&o)
    );
    let fr = text_of(&data, "fr").expect("the French text");
    assert_eq!(
        fr.plain_text(),
        "Acte fondateur\n\nLes traités entre l'OTAN et la Russie.\n\nDeuxième paragraphe."
    );
    assert!(fr.blocks[0].heading);
    assert_eq!(fr.source.as_deref(), Some("acte.html"));

    // Again: nothing changes.
    let o = import("fr", &html, &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("0 new, 0 changed, 1 unchanged"),
        "{}",
        out(&o)
    );

    // Markdown, TEI and plain text, each in its language; the source given.
    let md = dir.path().join("act.md");
    std::fs::write(
        &md,
        "# Founding Act\n\nThe *Parties* agree.\n\n## Section I\n\nPrinciples.",
    )
    .unwrap();
    let o = import(
        "en",
        &md,
        &[
            "--source",
            "https://www.nato.int/cps/en/natohq/official_texts_25468.htm",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let en = text_of(&data, "en").unwrap();
    assert_eq!(
        en.plain_text(),
        "Founding Act\n\nThe Parties agree.\n\nSection I\n\nPrinciples."
    );
    assert_eq!(
        en.source.as_deref(),
        Some("https://www.nato.int/cps/en/natohq/official_texts_25468.htm")
    );

    let tei = dir.path().join("act.xml");
    std::fs::write(&tei, "<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt><title>Header</title></titleStmt></fileDesc></teiHeader><text><body><div><head>Основополагающий акт</head><p>Текст.</p></div></body></text></TEI>").unwrap();
    let o = import("ru", &tei, &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        text_of(&data, "ru").unwrap().plain_text(),
        "Основополагающий акт\n\nТекст."
    );

    let txt = dir.path().join("act.txt");
    std::fs::write(&txt, "Перший абзац.\n\nДругий.").unwrap();
    let o = import("uk", &txt, &[]);
    assert!(o.status.success(), "{}", out(&o));
    let store = SqliteStore::open(&data.join("dossier.db")).unwrap();
    let d = store.document(ACT).unwrap().unwrap();
    let langs: Vec<&str> = d.texts.iter().map(|t| t.lang.as_str()).collect();
    assert_eq!(langs, ["fr", "en", "ru", "uk"]);
    for l in ["fr", "ru", "uk"] {
        assert!(d.languages.iter().any(|x| x == l), "{:?}", d.languages);
    }
    // The rest of the record is as it was.
    assert_eq!(d.date.unwrap().to_string(), "1997-05-27");
    assert_eq!(d.parties, ["nato", "russian-federation"]);
}

#[test]
fn bad_input_is_refused_with_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let ok = dir.path().join("t.txt");
    std::fs::write(&ok, "Words.").unwrap();
    let f = ok.to_str().unwrap();
    let refused = |args: &[&str], says: &str| {
        let o = dossier(&data, args);
        assert!(!o.status.success(), "{args:?} was accepted");
        assert!(out(&o).contains(says), "{args:?}: {}", out(&o));
    };
    let args = |doc: &str, lang: &str, file: &str| {
        vec!["import", "text", "--document", doc, "--lang", lang, file]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let run = |a: Vec<String>, says: &str| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        refused(&a, says);
    };
    run(args(ACT, "<script>", f), "is not a language tag");
    run(args(ACT, "../../etc", f), "is not a language tag");
    run(args("no-such-doc", "en", f), "no document `no-such-doc`");
    run(args("../x", "en", f), "is not a valid slug");
    let pdf = dir.path().join("t.pdf");
    std::fs::write(&pdf, "x").unwrap();
    run(
        args(ACT, "en", pdf.to_str().unwrap()),
        "cannot tell the format",
    );
    let empty = dir.path().join("e.html");
    std::fs::write(&empty, "<script>alert(1)</script>").unwrap();
    run(args(ACT, "en", empty.to_str().unwrap()), "holds no text");
    let binary = dir.path().join("b.txt");
    std::fs::write(&binary, b"a\xffb").unwrap();
    run(args(ACT, "en", binary.to_str().unwrap()), "not UTF-8");
    let dtd = dir.path().join("d.xml");
    std::fs::write(&dtd, "<!DOCTYPE x [<!ENTITY a \"b\">]><TEI/>").unwrap();
    run(args(ACT, "en", dtd.to_str().unwrap()), "DTD");
    // Nothing was written.
    let store = SqliteStore::open(&data.join("dossier.db")).unwrap();
    assert!(store.document(ACT).unwrap().unwrap().texts.is_empty());
}
