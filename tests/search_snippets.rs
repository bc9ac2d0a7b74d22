//! Snippets and texts in several languages over real HTTP (issue 27): "PJC" marks the
//! acronym and the council's whole name, never "NATO" and "Russia" on their own; a French
//! text is found by a French word in another form, and the snippet comes from it.

mod common;

use common::TestServer;
use dossier_model::*;
use dossier_store::Store;
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with(|store| {
        store
            .write(&dossier_ingest::builtin::archive().unwrap())
            .unwrap();
        let doc: Document = serde_json::from_value(serde_json::json!({
            "slug": "acte-fondateur-texte", "title": "Acte fondateur (texte)",
            "kind": "statement", "languages": ["fr", "en"],
            "texts": [
                {"lang": "en", "blocks": [{"text": "The parties shall respect their commitments."}]},
                {"lang": "fr", "blocks": [
                    {"heading": true, "text": "Préambule"},
                    {"text": "Les traités conclus restent en vigueur <script>alert(1)</script>."}]}
            ],
        }))
        .unwrap();
        store
            .write(&Archive {
                documents: vec![doc],
                ..Default::default()
            })
            .unwrap();
    })
});

fn snippets(q: &str) -> Vec<(String, String)> {
    let (status, _, v) = SERVER.json(&format!("/search?q={q}&per_page=100"));
    assert_eq!(status, 200, "{q}: {v}");
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["slug"].as_str().unwrap().to_string(),
                h["snippet"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_acronym_marks_itself_and_the_whole_name_never_its_words() {
    let hits = snippets("PJC");
    assert!(hits.len() >= 10, "{}", hits.len());
    let mut whole_names = 0;
    for (slug, s) in &hits {
        for word in ["NATO", "Russia", "Russian", "Permanent", "Joint", "Council"] {
            assert!(
                !s.contains(&format!("<mark>{word}</mark>")),
                "{slug}: {word} marked alone: {s}"
            );
        }
        if s.contains("<mark>NATO-Russia Permanent Joint Council</mark>")
            || s.contains("<mark>Permanent Joint Council</mark>")
        {
            whole_names += 1;
        }
    }
    assert!(
        whole_names > 0,
        "the name is marked whole somewhere: {hits:?}"
    );
    // A word typed is marked where it stands.
    let russia = snippets("russia");
    assert!(russia
        .iter()
        .any(|(_, s)| s.contains("<mark>Russia</mark>")));
}

#[test]
fn a_french_text_is_found_in_french_and_its_snippet_comes_from_it() {
    for q in ["traité", "traites", "lang:fr+traités"] {
        let hits = snippets(q);
        let (_, s) = hits
            .iter()
            .find(|(slug, _)| slug == "acte-fondateur-texte")
            .unwrap_or_else(|| panic!("{q}: {hits:?}"));
        assert!(s.contains("<mark>traités</mark>"), "{q}: {s}");
        assert!(
            s.contains("&lt;script&gt;") && !s.contains("<script>"),
            "{s}"
        );
    }
    // The English text answers English words, with its own snippet.
    let hits = snippets("commitment");
    let (_, s) = hits
        .iter()
        .find(|(slug, _)| slug == "acte-fondateur-texte")
        .expect("found by its English text");
    assert!(s.contains("<mark>commitments</mark>"), "{s}");
    // The record's languages are facets; `lang:fr` keeps the French document.
    let (_, _, v) = SERVER.json("/search?q=lang:fr");
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["slug"] == "acte-fondateur-texte"));
    assert!(SERVER
        .store
        .document("acte-fondateur-texte")
        .unwrap()
        .is_some());
}
