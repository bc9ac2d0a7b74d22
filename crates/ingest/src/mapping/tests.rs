use super::file::fields_of;
use super::path::path_problem;
use super::*;
use crate::import::*;
use crate::xml::Pos;
use dossier_model::*;
use proptest::prelude::*;

const VISITS: &str = include_str!("../../../../mappings/visits.toml");
const VISITS_CSV: &str = include_str!("../../../../mappings/visits-csv.toml");

impl Mapping {
    /// What every mapping `parse` accepts must hold: the checks it makes, restated
    /// on the result.
    fn invariants(&self) -> Result<(), String> {
        if self.records.is_empty() {
            return Err("no record".into());
        }
        let xml = self.records[0].element.is_some();
        for r in &self.records {
            if let Some(e) = &r.element {
                if e.trim().is_empty() || e.chars().any(char::is_whitespace) || e.contains(':') {
                    return Err(format!("element {e:?}"));
                }
            }
            if r.element.is_some() != xml {
                return Err("XML and CSV records mixed".into());
            }
            let allowed = fields_of(r.kind).ok_or("unknown type")?;
            for (name, _, required) in allowed {
                if *required && !r.fields.iter().any(|f| f.name == *name) {
                    return Err(format!("no {name}"));
                }
            }
            for f in &r.fields {
                if !allowed.iter().any(|(n, _, _)| *n == f.name) {
                    return Err(format!("field {}", f.name));
                }
                if f.split.as_deref() == Some("") {
                    return Err("empty split".into());
                }
                if let Value::Const(c) = &f.spec.value {
                    if c.trim().is_empty() {
                        return Err("empty value".into());
                    }
                }
            }
            for l in &r.links {
                if l.slug.is_none() && l.name.is_none() {
                    return Err(format!("link {} without slug or name", l.field));
                }
            }
        }
        for p in &self.reads {
            if let Some(problem) = path_problem(p, xml) {
                return Err(format!("path {p:?} {problem}"));
            }
        }
        if self.source_title.trim().is_empty() {
            return Err("empty source title".into());
        }
        // Making a record from nothing, or from a value at every path, never panics.
        let _ = self.build(None, &Values::default(), "f.xml", Pos::default(), None);
        let entries = self
            .reads
            .iter()
            .map(|p| (p.clone(), "1990-01-02".to_string(), Pos::default()))
            .collect();
        let _ = self.build(
            None,
            &Values { entries },
            "f.xml",
            Pos::default(),
            Some("d"),
        );
        Ok(())
    }

    /// The one record a source record gives (tests of one-record mappings).
    fn one(&self, v: &Values, file: &str, at: Pos, dossier: Option<&str>) -> Item {
        let mut items = self.build(None, v, file, at, dossier);
        assert_eq!(items.len(), 1, "{items:?}");
        items.remove(0)
    }
}

/// Issue 20, finding 10: `element = ""` made a mapping that matched no element, and an
/// import that read nothing exited 0. Now it, and every other value that would match
/// nothing, is refused with the mapping file's line and column and the field.
#[test]
fn values_that_would_match_nothing_are_refused_with_their_line() {
    let cases: [(&str, &str, &str); 14] = [
        (
            "element = \"visit\"",
            "element = \"\"",
            "visits.toml:15:11: [record] element is empty: it would match no element",
        ),
        (
            "element = \"visit\"",
            "element = \"  \"",
            "visits.toml:15:11: [record] element is empty",
        ),
        (
            "element = \"visit\"",
            "element = \"a visit\"",
            "[record] element = \"a visit\" holds white space",
        ),
        (
            "element = \"visit\"",
            "element = \"tei:visit\"",
            "give the element's local name without its prefix",
        ),
        (
            "element = \"visit\"",
            "element = \"visits/visit\"",
            "`/` cannot be part of an XML element name",
        ),
        (
            "id = \"id\"",
            "id = \"\"",
            "visits.toml:17:6: [record] id: path \"\" is empty: it would match nothing",
        ),
        (
            "id = \"id\"",
            "id = \" id\"",
            "[record] id: path \" id\" has white space at its ends",
        ),
        (
            "slug = \"visit-{id}\"",
            "slug = \"\"",
            "[record] slug is empty",
        ),
        (
            "summary = { path = \"description\" }",
            "summary = { path = \"\" }",
            "[fields] summary path: path \"\" is empty",
        ),
        (
            "summary = { path = \"description\" }",
            "summary = { path = \"a//b\" }",
            "has an empty step",
        ),
        (
            "summary = { path = \"description\" }",
            "summary = { path = \"a/@\" }",
            "has an empty step",
        ),
        (
            "summary = { path = \"description\" }",
            "summary = { path = \"@a/b\" }",
            "has an attribute before its last step",
        ),
        (
            "kind = { value = \"visit\" }",
            "kind = { value = \"\" }",
            "[fields] kind: `value` is empty",
        ),
        (
            "date = { start = \"start-date\", end = \"end-date\" }",
            "date = { start = \"start-date\", end = \"\" }",
            "[fields] date end: path \"\" is empty",
        ),
    ];
    for (from, to, expect) in cases {
        assert_eq!(VISITS.matches(from).count(), 1, "{from}");
        let text = VISITS.replacen(from, to, 1);
        let e = Mapping::parse(&text, "visits.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(expect), "{to}: {e}");
        assert!(e.starts_with("visits.toml:"), "{to}: {e}");
    }
    let text = VISITS.replacen(
        "name = { path = \"visitor\" }",
        "name = { template = \" \" }",
        1,
    );
    let e = Mapping::parse(&text, "visits.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[[links]] #2 (people) name: the template is empty"),
        "{e}"
    );
    let text = VISITS.replacen("title = \"Visits by", "title = \" \"\n# \"Visits by", 1);
    let e = Mapping::parse(&text, "visits.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("[source] title is empty"), "{e}");
    // CSV columns may hold what XML names may not; the shipped mappings pass.
    let csv = VISITS_CSV.replacen("id = \"id\"", "id = \"visit id/no.\"", 1);
    Mapping::parse(&csv, "visits-csv.toml")
        .unwrap()
        .invariants()
        .unwrap();
    Mapping::parse(VISITS, "visits.toml")
        .unwrap()
        .invariants()
        .unwrap();
}

/// Issue 20, finding 5 (TOML side): deep arrays, inline tables and dotted keys are
/// refused by the TOML parser's own nesting limit, in linear time.
#[test]
fn deeply_nested_toml_is_refused() {
    for text in [
        format!("{VISITS}\nx = {}", "[".repeat(64 * 1024)),
        format!("{VISITS}\nx = {}", "{a=".repeat(16 * 1024)),
        format!("{VISITS}\n{} = 1", vec!["a"; 16 * 1024].join(".")),
    ] {
        let e = Mapping::parse(&text, "deep.toml").unwrap_err().to_string();
        assert!(e.starts_with("deep.toml: "), "{e}");
    }
}

/// Pieces of mapping files: the keys and values that matter, and noise.
fn toml_line() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "element",
        "type",
        "id",
        "slug",
        "title",
        "url",
        "path",
        "template",
        "value",
        "start",
        "end",
        "format",
        "split",
        "required",
        "field",
        "kind",
        "name",
        "create",
        "summary",
        "date",
        "bodies",
        "people",
        "filters",
        "map",
        "map_file",
        "unmapped",
        "equals",
        "one_of",
        "none_of",
        "matches",
        "present",
        "match",
        "unmatched",
        "identifier",
        "scheme",
        "place",
        "level",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "\"\"",
            "\" \"",
            "\"visit\"",
            "\"event\"",
            "\"person\"",
            "\"body\"",
            "\"state\"",
            "\"id\"",
            "\"{id}\"",
            "\"a/@b\"",
            "\"a//b\"",
            "\"@\"",
            "\"x:y\"",
            "\"{\"",
            "\"{}\"",
            "true",
            "false",
            "1",
            "\"edtf\"",
            "\"iso-datetime\"",
            "{ path = \"p\" }",
            "{ path = \"\" }",
            "{ value = \"v\" }",
            "{ template = \"T {p}\" }",
            "{ start = \"s\", end = \"e\" }",
            "{ end = \"e\" }",
            "[[[[",
            "{a={a={",
            "[\"a\", \"b\"]",
            "[]",
            "\"{a|b}\"",
            "\"[x {a}]\"",
            "\"[x]\"",
            "\"{a||b}\"",
            "[\"lower\", \"title\"]",
            "[{ replace = \"(\" }]",
            "[{ replace = \"a+\", with = \"$1\" }]",
            "\"../x.csv\"",
            "\"/etc/passwd\"",
            "{ ru = \"russian-federation\" }",
            "{ ru = \"Not A Slug\" }",
            "\"skip\"",
            "\"refuse\"",
            "[\"name\", \"identifier\"]",
            "{ scheme = \"wikidata\", path = \"q\" }",
            "{ path = [\"a\", \"b\"], filters = [\"upper\"] }",
            "{ template = \"{a|b}[ ({c})]\" }",
        ])
        .prop_map(str::to_string),
        "\"[^\"\\\\]{0,8}\"",
    ];
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => prop::sample::select(vec![
            "[source]", "[record]", "[fields]", "[[links]]", "[x]", "[[record]]", "[record.fields]",
            "[[record.links]]", "[[when]]", "[[record.when]]", "[links.map]",
        ])
            .prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ]
}

proptest! {

    /// Arbitrary TOML-ish text never panics the reader, and what it accepts passes
    /// its own checks.
    #[test]
    fn the_mapping_reader_never_panics_and_accepts_only_sound_mappings(
        lines in prop::collection::vec(toml_line(), 0..30)
    ) {
        if let Ok(m) = Mapping::parse(&lines.join("\n"), "p.toml") {
            prop_assert_eq!(m.invariants(), Ok(()));
        }
    }

    /// The shipped mapping with one value replaced by anything: never a panic, and
    /// an accepted mapping is sound.
    #[test]
    fn the_shipped_mapping_with_any_one_value_changed(
        which in 0usize..40,
        value in prop_oneof!["[^\"\\\\\n]{0,12}", Just(String::new()), Just(" ".to_string())],
    ) {
        let quoted: Vec<(usize, &str)> = VISITS.match_indices("\"").collect();
        let pairs: Vec<(usize, usize)> = quoted.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0].0, c[1].0)).collect();
        let (a, b) = pairs[which % pairs.len()];
        let text = format!("{}{}{}", &VISITS[..a + 1], value, &VISITS[b..]);
        if let Ok(m) = Mapping::parse(&text, "visits.toml") {
            prop_assert_eq!(m.invariants(), Ok(()));
        }
    }
}

fn values(pairs: &[(&str, &str)]) -> Values {
    Values {
        entries: pairs
            .iter()
            .enumerate()
            .map(|(i, (p, v))| {
                (
                    p.to_string(),
                    v.to_string(),
                    Pos {
                        line: i as u64 + 2,
                        column: 9,
                    },
                )
            })
            .collect(),
    }
}

fn visit(start: &str, end: &str) -> Values {
    values(&[
        ("id", "751"),
        ("start-date", start),
        ("end-date", end),
        ("visitor", "Prime Minister Anibal Antonio Cavaco e Silva"),
        ("from", "Portugal"),
        ("from/@id", "portugal"),
        (
            "description",
            "Official working visit.\n   Private visit to New York City afterward.",
        ),
    ])
}

#[test]
fn the_visits_mapping_makes_an_event_with_its_visitor_and_country() {
    let m = Mapping::parse(VISITS, "mappings/visits.toml").unwrap();
    let Item::Record(r) = m.one(
        &visit("1990-01-10", "1990-01-12"),
        "data/1990.xml",
        Pos::default(),
        None,
    ) else {
        panic!("bad record")
    };
    let Record::Event(e) = &r.record else {
        panic!()
    };
    assert_eq!(e.slug, "visit-751");
    assert_eq!(e.kind, EventKind::Visit);
    assert_eq!(e.date.unwrap().to_string(), "1990-01-10/1990-01-12");
    assert_eq!(e.bodies, ["portugal"]);
    assert_eq!(e.people, ["prime-minister-anibal-antonio-cavaco-e-silva"]);
    assert_eq!(
        e.summary.as_deref(),
        Some("Official working visit. Private visit to New York City afterward.")
    );
    assert!(e.provenance.sources[0]
        .title
        .ends_with("1990.xml, record 751"));
    assert_eq!(r.linked.len(), 2);
    assert!(
        matches!(&r.linked[0], Record::Body(b) if b.kind == BodyKind::State && b.name == "Portugal")
    );
    let Item::Record(r) = m.one(
        &visit("1990-01-26", "1990-01-26"),
        "x.xml",
        Pos::default(),
        None,
    ) else {
        panic!()
    };
    let Record::Event(e) = &r.record else {
        panic!()
    };
    assert_eq!(e.date.unwrap().to_string(), "1990-01-26");
}

#[test]
fn bad_values_name_the_record_and_field() {
    let m = Mapping::parse(VISITS, "visits.toml").unwrap();
    let Item::Bad(e) = m.one(
        &visit("1990-13-10", "1990-01-12"),
        "1990.xml",
        Pos::default(),
        None,
    ) else {
        panic!()
    };
    assert_eq!(e.record, "751");
    assert_eq!(e.field, "start-date");
    assert_eq!(e.pos.line, 3);
    let Item::Bad(e) = m.one(
        &visit("1990-01-12", "1990-01-10"),
        "1990.xml",
        Pos::default(),
        None,
    ) else {
        panic!()
    };
    assert!(e.problem.contains("before the start"), "{e}");
    let Item::Bad(e) = m.one(
        &values(&[("visitor", "x")]),
        "1990.xml",
        Pos::default(),
        None,
    ) else {
        panic!()
    };
    assert_eq!((e.record.as_str(), e.field.as_str()), ("(no id)", "id"));
}

#[test]
fn mapping_mistakes_are_explained() {
    let e = Mapping::parse(
        "[source]\ntitle='x'\n[record]\ntype='meeting'\nid='id'",
        "m.toml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("expected event, document, person or body"),
        "{e}"
    );
    let e = Mapping::parse(
        "[source]\ntitle='x'\n[record]\ntype='person'\nid='id'\n[fields]\nname={path='n'}\ncolour={path='c'}",
        "m.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("a person has no such field"), "{e}");
    let e = Mapping::parse(
        "[source]\ntitle='x'\n[record]\ntype='person'\nid='id'\n[fields]\nsummary={path='n'}",
        "m.toml",
    )
    .unwrap_err();
    assert!(e.to_string().contains("has no `name`"), "{e}");
}

/// Issue 20, finding 3: a mapping's `[source] url` went into every record's sources,
/// and so into a live link on each record's page, whatever its scheme. Each hostile
/// spelling refuses the mapping with its file, line and field, before any record.
#[test]
fn a_hostile_source_url_refuses_the_mapping_with_its_line() {
    let line = VISITS.lines().position(|l| l == "[source]").unwrap() + 2;
    for url in dossier_model::url::HOSTILE_URLS {
        let text = VISITS.replacen(
            "[source]\n",
            &format!("[source]\nurl = {}\n", toml::Value::String(url.to_string())),
            1,
        );
        let e = Mapping::parse(&text, "m.toml").unwrap_err();
        assert_eq!(e.file, format!("m.toml:{line}"), "{url:?}: {e}");
        assert!(e.message.starts_with("[source] url: "), "{url:?}: {e}");
    }
    let text = VISITS.replacen(
        "[source]\n",
        "[source]\nurl = \"https://history.state.gov/\"\n",
        1,
    );
    Mapping::parse(&text, "m.toml").unwrap();
}

/// Issue 27: a mapping gives a document the period it covers apart from its issue date,
/// and a plain `full_text` becomes its text (language not recorded).
#[test]
fn a_document_mapping_gives_coverage_apart_from_the_date() {
    let toml = r#"
[source]
title = "Essays"

[record]
element = "essay"
type = "document"
id = "id"
slug = "essay-{id}"

[fields]
title = { path = "title" }
kind = { value = "research-study" }
date = { path = "published" }
coverage = { start = "from", end = "to" }
full_text = { path = "body" }
"#;
    let m = Mapping::parse(toml, "essays.toml").unwrap();
    let v = values(&[
        ("id", "7"),
        ("title", "The Evolution of NATO, 1988–2001"),
        ("published", "2013-10-31"),
        ("from", "1988"),
        ("to", "2001"),
        ("body", "One."),
    ]);
    let Item::Record(r) = m.one(&v, "essays.xml", Pos::default(), None) else {
        panic!("bad record")
    };
    let Record::Document(d) = &r.record else {
        panic!()
    };
    assert_eq!(d.date.unwrap().to_string(), "2013-10-31");
    assert_eq!(d.coverage.unwrap().to_string(), "1988/2001");
    assert_eq!(d.texts.len(), 1);
    assert_eq!(
        (d.texts[0].lang.as_str(), d.texts[0].plain_text()),
        ("und", "One.".into())
    );
}

/// A trip of HistoryAtState/travels as a reader collects it.
fn trip(locale: &str) -> Values {
    values(&[
        ("@who", "clinton-william-j"),
        ("@role", "president"),
        ("id", "Travel-2532-president"),
        ("name", "William J. Clinton"),
        ("start-date", "1994-06-02"),
        ("end-date", "1994-06-02"),
        ("country/@id", "holy-see"),
        ("country", "Vatican City"),
        ("locale", locale),
        ("remarks", "Audience with Pope John Paul II."),
    ])
}

const TRAVELS: &str = include_str!("../../../../mappings/travels.toml");

fn event(item: Item) -> (Event, Box<Imported>) {
    match item {
        Item::Record(r) => match &r.record {
            Record::Event(e) => (e.clone(), r),
            other => panic!("{other:?}"),
        },
        Item::Bad(e) => panic!("{e}"),
    }
}

/// Issue 28: `<locale/>` refused 1.3% of the travels records. An empty element is a
/// missing value: the fallback and the optional part of the title take over.
#[test]
fn an_empty_element_is_missing_and_fallbacks_take_over() {
    let m = Mapping::parse(TRAVELS, "mappings/travels.toml").unwrap();
    m.invariants().unwrap();
    for empty in ["", "   ", "\n  "] {
        let (e, _) = event(m.one(&trip(empty), "t.xml", Pos::default(), None));
        assert_eq!(e.title, "William J. Clinton in Vatican City");
        assert_eq!(e.place.as_deref(), Some("Vatican City"));
        assert_eq!(e.level, Some(Level::HeadsOfState));
    }
    let (e, _) = event(m.one(&trip("Rome"), "t.xml", Pos::default(), None));
    assert_eq!(e.title, "William J. Clinton in Vatican City (Rome)");
    assert_eq!(e.place.as_deref(), Some("Rome"));
    // A required field whose every fallback is empty still refuses, naming them all.
    let text = TRAVELS.replacen(
        "place = { path = [\"locale\", \"country\"] }",
        "place = { path = [\"locale\", \"country\"], required = true }",
        1,
    );
    let m = Mapping::parse(&text, "t.toml").unwrap();
    let mut v = trip("");
    v.entries.retain(|(p, _, _)| p != "country");
    let Item::Bad(e) = m.one(&v, "t.xml", Pos::default(), None) else {
        panic!()
    };
    assert_eq!(e.field, "locale|country");
    assert!(e.problem.starts_with("missing"), "{e}");
}

fn links_mapping(link: &str) -> Mapping {
    let text = format!(
        r#"
[source]
title = "T"

[record]
element = "trip"
type = "event"
id = "id"

[fields]
title = {{ path = "name" }}
kind = {{ value = "visit" }}

[[links]]
field = "bodies"
type = "body"
{link}
"#
    );
    Mapping::parse(&text, "links.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// What each link tells reconciliation: the table's slugs are trusted (`mapped`, not
/// matched again); the others carry the name and identifier to match by, in the order
/// the mapping gives, and what to do when nothing matches.
#[test]
fn links_fill_the_matches_reconciliation_needs() {
    let v = values(&[
        ("id", "1"),
        ("name", "N"),
        ("country/@id", "russia"),
        ("country", "Russia"),
        ("country/@q", "q159"),
    ]);
    let one = |m: &Mapping| {
        let (e, r) = event(m.one(&v, "t.xml", Pos::default(), None));
        assert_eq!(r.matches.len(), 1);
        (e, r.matches[0].clone(), r.linked)
    };
    // Defaults: match by identifier then name, create when unmatched.
    let m = links_mapping(
        "slug = { path = \"country/@id\" }\nname = { path = \"country\" }\nkind = \"state\"\nidentifier = { scheme = \"wikidata\", path = \"country/@q\" }",
    );
    let (e, lm, linked) = one(&m);
    assert_eq!(e.bodies, ["russia"]);
    assert_eq!(
        lm,
        LinkMatch {
            field: "bodies".into(),
            target: RecordType::Body,
            slug: "russia".into(),
            linked: Some(0),
            name: Some("Russia".into()),
            identifier: Some(ExternalId::new(IdScheme::Wikidata, "Q159").unwrap()),
            mapped: false,
            match_by: vec![MatchBy::Identifier, MatchBy::Name],
            unmatched: Unmatched::Create,
        }
    );
    // The record it would create carries the identifier.
    let Record::Body(b) = &linked[0] else {
        panic!()
    };
    assert_eq!(b.identifiers[0].value, "Q159");
    // A table: the slug as given, trusted.
    let m = links_mapping(
        "slug = { path = \"country/@id\" }\nname = { path = \"country\" }\nkind = \"state\"\n[links.map]\nrussia = \"russian-federation\"",
    );
    let (e, lm, _) = one(&m);
    assert_eq!(e.bodies, ["russian-federation"]);
    assert!(lm.mapped && lm.match_by.is_empty(), "{lm:?}");
    // Name only, reported when unmatched; no reconciliation at all with match = [].
    let m = links_mapping(
        "name = { path = \"country\" }\nkind = \"state\"\nmatch = [\"name\"]\nunmatched = \"report\"",
    );
    let (_, lm, _) = one(&m);
    assert_eq!(
        (lm.match_by, lm.unmatched, lm.slug.as_str()),
        (vec![MatchBy::Name], Unmatched::Report, "russia")
    );
    let m = links_mapping("name = { path = \"country\" }\nkind = \"state\"\nmatch = []");
    assert!(one(&m).1.match_by.is_empty());
    // create = false: nothing created, and unmatched means reported.
    let m = links_mapping("slug = { path = \"country/@id\" }\ncreate = false");
    let (_, lm, linked) = one(&m);
    assert_eq!((lm.linked, lm.unmatched), (None, Unmatched::Report));
    assert!(linked.is_empty());
    // An identifier that is not one of its scheme's refuses the record, naming it.
    let m = links_mapping(
        "name = { path = \"country\" }\nkind = \"state\"\nidentifier = { scheme = \"wikidata\", path = \"country/@id\" }",
    );
    let Item::Bad(e) = m.one(&v, "t.xml", Pos::default(), None) else {
        panic!()
    };
    assert_eq!(e.field, "country/@id");
    assert!(e.problem.contains("not a Wikidata identifier"), "{e}");
}

/// `[[when]]`: every test, and what a missing (or empty) value does to each.
#[test]
fn record_filters_leave_out_what_fails() {
    let base = TRAVELS.to_string();
    let case = |when: &str, v: &Values| -> usize {
        let m = Mapping::parse(&format!("{base}\n[[when]]\n{when}\n"), "w.toml")
            .unwrap_or_else(|e| panic!("{when}: {e}"));
        m.build(Some("trip"), v, "t.xml", Pos::default(), None)
            .len()
    };
    let rome = trip("Rome");
    let empty = trip("");
    for (when, with_rome, with_empty) in [
        ("path = \"locale\"\nequals = \"Rome\"", 1, 0),
        (
            "path = \"locale\"\nfilters = [\"lower\"]\nequals = \"rome\"",
            1,
            0,
        ),
        ("path = \"locale\"\none_of = [\"Paris\", \"Rome\"]", 1, 0),
        ("path = \"locale\"\nnone_of = [\"Rome\"]", 0, 1),
        ("path = \"locale\"\nmatches = \"^R\"", 1, 0),
        ("path = \"locale\"\npresent = true", 1, 0),
        ("path = \"locale\"\npresent = false", 0, 1),
        (
            "path = [\"locale\", \"country\"]\nequals = \"Vatican City\"",
            0,
            1,
        ),
        ("path = \"@role\"\nequals = \"secretary\"", 0, 0),
    ] {
        assert_eq!(case(when, &rome), with_rome, "{when} (Rome)");
        assert_eq!(case(when, &empty), with_empty, "{when} (empty)");
    }
}

/// The mapping's own mistakes in the new entries name their line and column.
#[test]
fn new_mapping_mistakes_name_their_line_and_column() {
    let cases: [(&str, &str, &str); 9] = [
        (
            "kind = \"state\"\nmatch = [\"name\"]",
            "kind = \"state\"\nmatch = [\"name\"]\nidentifier = { scheme = \"lccn\", path = \"x\" }",
            "t.toml:46:25: [[links]] #1 (bodies) identifier: scheme = \"lccn\"; use one of wikidata, viaf, isni, gnd",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summary = { path = \"remarks\", unmapped = \"skip\" }",
            "t.toml:33:42: [fields] summary: `unmapped` says what a value missing from the map becomes, but there is no `map`",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summary = { path = [] }",
            "t.toml:33:20: [fields] summary path: the list of paths is empty",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summary = { template = \"{remarks\" }",
            "t.toml:33:24: [fields] summary: template \"{remarks\" has a `{` without `}`",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summry = { path = \"remarks\" }",
            "t.toml:33:1: [fields] summry: an event has no such field",
        ),
        (
            "kind = \"state\"\nmatch = [\"name\"]",
            "kind = \"state\"\nmatch = [\"name\"]\n[links.map]\nrussia = \"Russian Federation\"",
            "t.toml:47:10: [[links]] #1 (bodies) map: \"russia\" maps to \"Russian Federation\", which is not a slug",
        ),
        (
            "kind = \"state\"\nmatch = [\"name\"]",
            "kind = \"state\"\nmatch = [\"name\"]\nunmatched = \"ignore\"",
            "t.toml:46:13: [[links]] #1 (bodies): unmatched = \"ignore\"; use \"create\" or \"report\"",
        ),
        (
            "slug = \"trip-{@who}-{id}\"",
            "slug = \"trip-{@who}-{id}\"\n[[when]]\npath = \"x\"",
            "t.toml:28:8: [[when]] #1: give one of `equals`, `one_of`, `none_of`, `matches` or `present`",
        ),
        (
            "slug = \"trip-{@who}-{id}\"",
            "slug = \"trip-{@who}-{id}\"\n[[when]]\npath = \"x\"\nequals = \"a\"\npresent = true",
            "[[when]] #1: give only one of",
        ),
    ];
    for (from, to, expect) in cases {
        assert_eq!(TRAVELS.matches(from).count(), 1, "{from}");
        let e = Mapping::parse(&TRAVELS.replacen(from, to, 1), "t.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(expect), "{to}:\n{e}");
    }
}

/// `[[record]]`: the same element gives two records; their tests and links are their
/// own; top-level fields beside `[[record]]`, or XML and CSV records mixed, are refused.
#[test]
fn several_records_from_one_source_record() {
    let text = r#"
[source]
title = "T"

[[record]]
element = "trip"
type = "event"
id = "id"
slug = "trip-{id}"
[record.fields]
title = { path = "name" }
kind = { value = "visit" }
[[record.links]]
field = "people"
type = "person"
slug = { path = "@who" }
name = { path = "name" }

[[record]]
element = "trip"
type = "document"
id = "id"
slug = "remarks-{id}"
[record.fields]
title = { template = "Remarks: {remarks}" }
kind = { value = "statement" }
[[record.when]]
path = "locale"
present = true
"#;
    let m = Mapping::parse(text, "two.toml").unwrap();
    m.invariants().unwrap();
    assert_eq!(m.record_type(), "record");
    assert_eq!(m.elements(), ["trip"]);
    let items = m.build(Some("trip"), &trip("Rome"), "t.xml", Pos::default(), None);
    assert_eq!(items.len(), 2);
    let Item::Record(d) = &items[1] else { panic!() };
    assert!(matches!(&d.record, Record::Document(d) if d.slug == "remarks-travel-2532-president"));
    assert!(d.matches.is_empty());
    // The document's test leaves it out when the locale is empty; the event stays.
    assert_eq!(
        m.build(Some("trip"), &trip(""), "t.xml", Pos::default(), None)
            .len(),
        1
    );
    // Another element gives none of them.
    assert!(m
        .build(Some("visit"), &trip("Rome"), "t.xml", Pos::default(), None)
        .is_empty());
    let e = Mapping::parse(
        &text.replacen(
            "[source]",
            "[fields]\ntitle = { path = \"x\" }\n[source]",
            1,
        ),
        "two.toml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("two.toml:3:1: with [[record]] tables, give each record's fields"),
        "{e}"
    );
    let e = Mapping::parse(
        &text.replacen(
            "element = \"trip\"\ntype = \"document\"",
            "type = \"document\"",
            1,
        ),
        "two.toml",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("every [[record]] names an `element` (XML), or none does (CSV)"),
        "{e}"
    );
}

/// A body's or person's own external identifiers, one field per scheme, checked and
/// normalised; a value not of its scheme refuses the record, naming it.
#[test]
fn identifier_fields_fill_the_records_identifiers() {
    let text = r#"
[source]
title = "Countries"

[record]
element = "country"
type = "body"
id = "@id"

[fields]
name = { path = "name" }
kind = { value = "state" }
wikidata = { path = "@wikidata" }
gnd = { path = "gnd" }
"#;
    let m = Mapping::parse(text, "c.toml").unwrap();
    m.invariants().unwrap();
    let v = values(&[
        ("@id", "russia"),
        ("name", "Russia"),
        ("@wikidata", "q159"),
        ("gnd", "4076899-5"),
    ]);
    let Item::Record(r) = m.one(&v, "c.xml", Pos::default(), None) else {
        panic!()
    };
    let Record::Body(b) = &r.record else { panic!() };
    assert_eq!(
        b.identifiers,
        [
            ExternalId::new(IdScheme::Gnd, "4076899-5").unwrap(),
            ExternalId::new(IdScheme::Wikidata, "Q159").unwrap()
        ]
    );
    let v = values(&[("@id", "russia"), ("name", "Russia"), ("@wikidata", "159")]);
    let Item::Bad(e) = m.one(&v, "c.xml", Pos::default(), None) else {
        panic!()
    };
    assert_eq!(
        (e.record.as_str(), e.field.as_str()),
        ("russia", "@wikidata")
    );
    assert!(e.problem.contains("not a Wikidata identifier"), "{e}");
}

/// A link reads every value at its path: repeated elements give several links, their
/// slug, name and identifier paired in order; an element missing one is refused rather
/// than paired with the wrong name.
#[test]
fn repeated_elements_give_several_links_paired_in_order() {
    let m = links_mapping(
        "slug = { path = \"party/@id\" }\nname = { path = \"party\" }\nkind = \"state\"\nidentifier = { scheme = \"wikidata\", path = \"party/@q\" }",
    );
    let v = values(&[
        ("id", "1"),
        ("name", "Founding Act"),
        ("party", "Russia"),
        ("party/@id", "russia"),
        ("party/@q", "Q159"),
        ("party", "United States"),
        ("party/@id", "usa"),
        ("party/@q", "Q30"),
    ]);
    let (e, r) = event(m.one(&v, "t.xml", Pos::default(), None));
    assert_eq!(e.bodies, ["russia", "usa"]);
    let got: Vec<(&str, Option<&str>, &str)> = r
        .matches
        .iter()
        .map(|m| {
            (
                m.slug.as_str(),
                m.name.as_deref(),
                m.identifier.as_ref().unwrap().value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("russia", Some("Russia"), "Q159"),
            ("usa", Some("United States"), "Q30")
        ]
    );
    assert_eq!(r.linked.len(), 2);
    assert_eq!(r.matches[1].linked, Some(1));
    // One party without its identifier: refused, naming the link.
    let mut v = v;
    v.entries
        .retain(|(p, t, _)| !(p == "party/@q" && t == "Q30"));
    let Item::Bad(e) = m.one(&v, "t.xml", Pos::default(), None) else {
        panic!()
    };
    assert_eq!(e.field, "bodies");
    assert!(
        e.problem
            .contains("the link's slug gives 2 values and its identifier 1"),
        "{e}"
    );
}

/// Every example in docs/mapping.md is accepted as the page says: whole mappings as they
/// are, field lines in the `[fields]` of a mapping of some record type, `[[links]]` and
/// `[[when]]` tables added to one (their `map_file`s beside it).
#[test]
fn every_example_in_the_documentation_parses() {
    let doc = include_str!("../../../../docs/mapping.md");
    let mut blocks: Vec<String> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in doc.lines() {
        let indent = line.len() - line.trim_start().len();
        match &mut current {
            None if line.trim_start() == "```toml" => current = Some((indent, String::new())),
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.push(current.take().unwrap().1),
            Some((n, text)) => {
                text.push_str(line.get(*n..).unwrap_or(""));
                text.push('\n');
            }
        }
    }
    assert!(blocks.len() >= 14, "{}", blocks.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tables")).unwrap();
    std::fs::write(
        dir.path().join("tables/kinds.csv"),
        "source,value\nmtg,meeting\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tables/countries.csv"),
        "source,slug\nru,russian-federation\n",
    )
    .unwrap();
    let file = dir.path().join("m.toml").display().to_string();
    let base = |kind: &str, fields: &[(&str, &str)], rest: &str| -> String {
        let mut all: Vec<(String, String)> = match kind {
            "body" => vec![
                ("name", "{ path = \"n\" }"),
                ("kind", "{ value = \"state\" }"),
            ],
            "person" => vec![("name", "{ path = \"n\" }")],
            "document" => vec![
                ("title", "{ path = \"t\" }"),
                ("kind", "{ value = \"treaty\" }"),
            ],
            _ => vec![
                ("title", "{ path = \"t\" }"),
                ("kind", "{ value = \"visit\" }"),
            ],
        }
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in fields {
            all.retain(|(key, _)| key != k);
            all.push((k.to_string(), v.to_string()));
        }
        let fields: Vec<String> = all.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        format!(
            "[source]\ntitle = \"T\"\n[record]\nelement = \"x\"\ntype = \"{kind}\"\nid = \"id\"\n[fields]\n{}\n{rest}",
            fields.join("\n")
        )
    };
    let accepted = |texts: Vec<String>| -> Result<(), Vec<String>> {
        let errors: Vec<String> = texts
            .iter()
            .map(|t| Mapping::parse(t, &file))
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .collect();
        if errors.len() < texts.len() {
            Ok(())
        } else {
            Err(errors)
        }
    };
    for block in &blocks {
        let result = if block.contains("[source]") || block.starts_with("[[record]]") {
            let text = if block.contains("[source]") {
                block.clone()
            } else {
                format!("[source]\ntitle = \"T\"\n{block}")
            };
            Mapping::parse(&text, &file)
                .map(|_| ())
                .map_err(|e| vec![e.to_string()])
        } else if block.trim_start().starts_with("[[") {
            accepted(
                ["event", "document", "body"]
                    .iter()
                    .map(|k| base(k, &[], block))
                    .collect(),
            )
        } else {
            let mut result = Ok(());
            for line in block.lines() {
                let Some((key, value)) = line.split_once(" = ") else {
                    continue;
                };
                let key = key.trim();
                if key == "slug" || key.starts_with('#') {
                    continue;
                }
                let value = value.trim();
                let r = accepted(
                    ["event", "document", "body", "person"]
                        .iter()
                        .map(|k| base(k, &[(key, value)], ""))
                        .collect(),
                );
                if r.is_err() {
                    result = r.map_err(|e| [vec![line.to_string()], e].concat());
                    break;
                }
            }
            result
        };
        if let Err(e) = result {
            panic!("docs/mapping.md example refused:\n{block}\n{e:#?}");
        }
    }
}
