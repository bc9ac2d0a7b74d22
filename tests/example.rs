//! The example dossier in examples/us-nato-russia: its outline parses and every reference
//! is resolved by its data file (the records themselves come from the corpora; the
//! import script is run by hand, see the README).

use dossier_ingest::{apply_curated, parse_outline, CuratedData};

#[test]
fn the_example_outline_is_fully_resolved() {
    let outline = std::fs::read("examples/us-nato-russia/outline.txt").unwrap();
    let d = parse_outline(&outline, "outline.txt").unwrap();
    let text = std::fs::read_to_string("examples/us-nato-russia/data.toml").unwrap();
    let data = CuratedData::parse(&text, "data.toml").unwrap();
    let a = apply_curated(d, data, "data.toml", &|t, s| match t {
        "document" => {
            s.starts_with("1945-1952-")
                || s.starts_with("1989-1992-")
                || s.starts_with("1993-2000-")
        }
        "event" => s.starts_with("visit-"),
        _ => false,
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    let dossier = &a.dossiers[0];
    assert_eq!(dossier.slug, "us-nato-russia");
    let refs: Vec<_> = dossier
        .all_sections()
        .iter()
        .flat_map(|s| s.references.clone())
        .collect();
    assert_eq!(refs.len(), 8);
    assert!(refs.iter().all(|r| r.target.is_some()));
    // The collections' other records are the dossier's through the searches it names
    // (issue 27), not through a list of every research study the archive holds.
    assert!(dossier.all_sections().iter().all(|s| s.lists.is_empty()));
    let queries: Vec<&str> = dossier.queries.iter().map(|q| q.query.as_str()).collect();
    assert_eq!(
        queries,
        [
            "collection:milestones nato",
            "collection:milestones (soviet OR russia)",
            "collection:visits type:event (soviet OR russia)"
        ]
    );
    for q in queries {
        dossier_search::query::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}
