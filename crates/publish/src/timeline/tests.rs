//! The timelines and relations graphs of the built-in dossier, and of hostile ones.

use super::*;
use dossier_model::{Archive, BodyKind, BodyLink};
use dossier_store::SqliteStore;
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

fn builtin() -> (SqliteStore, Archive) {
    let a = dossier_ingest::builtin::archive().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    store.write(&a).unwrap();
    (store, a)
}

fn same(url: &str) -> String {
    url.to_string()
}

/// Reads the SVG with an XML parser: every tag closed, every text escaped. Answers the
/// names of the elements met and the texts (unescaped).
fn parse(svg: &str) -> (Vec<String>, Vec<String>) {
    let mut r = Reader::from_str(svg);
    r.config_mut().check_end_names = true;
    let (mut tags, mut texts, mut text) = (Vec::new(), Vec::new(), String::new());
    loop {
        let event = r.read_event();
        if !matches!(event, Ok(XmlEvent::Text(_) | XmlEvent::GeneralRef(_))) && !text.is_empty() {
            texts.push(std::mem::take(&mut text));
        }
        match event {
            Ok(XmlEvent::Start(e)) | Ok(XmlEvent::Empty(e)) => {
                tags.push(e.name().as_ref().to_string());
                for a in e.attributes() {
                    let a = a.expect("a well-formed attribute");
                    quick_xml::escape::unescape(&a.value)
                        .expect("an attribute value that unescapes");
                }
            }
            Ok(XmlEvent::Text(t)) => text.push_str(&t.into_inner()),
            Ok(XmlEvent::GeneralRef(g)) => match g.resolve_char_ref().unwrap() {
                Some(c) => text.push(c),
                None => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&g.borrow().into_inner())
                        .expect("a predefined entity"),
                ),
            },
            Ok(XmlEvent::Eof) => break,
            Ok(XmlEvent::DocType(_)) => panic!("a DTD in {svg}"),
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}\n{svg}", r.buffer_position()),
        }
    }
    (tags, texts)
}

fn count(tags: &[String], name: &str) -> usize {
    tags.iter().filter(|t| *t == name).count()
}

#[test]
fn the_dossier_timeline_draws_bars_and_the_successions() {
    let (store, _) = builtin();
    let t = dossier_timeline(&store, "nato-russia").unwrap().unwrap();
    let pairs: Vec<(&str, &str)> = t
        .successions
        .iter()
        .map(|s| (s.from.as_str(), s.to.as_str()))
        .collect();
    for want in [("nacc", "eapc"), ("pjc", "nrc"), ("ifor", "sfor")] {
        assert!(pairs.contains(&want), "{want:?} in {pairs:?}");
    }
    let pjc = t.successions.iter().find(|s| s.from == "pjc").unwrap();
    assert_eq!(pjc.date.as_ref().unwrap().edtf, "2002-05-28");
    // A chain's bodies are drawn next to each other, the predecessor first.
    let at = |slug: &str| t.bodies.iter().position(|b| b.slug == slug).unwrap();
    assert_eq!(at("nacc") + 1, at("eapc"));
    assert_eq!(at("pjc") + 1, at("nrc"));
    assert!(!t.documents.is_empty() && !t.events.is_empty());
    assert!(t.from_year.unwrap() <= 1991 && t.to_year.unwrap() >= 2002);

    let svg = svg::timeline_svg(&t, &same);
    let (tags, texts) = parse(&svg);
    assert_eq!(tags[0], "svg");
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains(r#"aria-labelledby="picture-title picture-desc""#));
    assert!(count(&tags, "title") >= 1);
    assert_eq!(count(&tags, "desc"), 1);
    assert!(texts
        .iter()
        .any(|x| x
            .contains("North Atlantic Cooperation Council → Euro-Atlantic Partnership Council")));
    // One arrow per dated succession, a link per body, document and event.
    let arrows = svg.matches(r#"class="succession""#).count();
    assert_eq!(
        arrows,
        t.successions.iter().filter(|s| s.date.is_some()).count()
    );
    assert!(arrows >= 3);
    assert_eq!(
        count(&tags, "a"),
        t.bodies.len() + t.documents.len() + t.events.len()
    );
    assert!(svg.contains(r#"href="/bodies/pjc""#));
    assert!(!svg.contains("<script"));
}

#[test]
fn a_body_timeline_follows_its_successions_and_draws_an_unrecorded_end_as_a_gap() {
    let (store, _) = builtin();
    let t = body_timeline(&store, "pjc").unwrap().unwrap();
    let slugs: Vec<&str> = t.bodies.iter().map(|b| b.slug.as_str()).collect();
    assert_eq!(slugs, ["pjc", "nrc"]);
    assert_eq!(t.successions.len(), 1);
    // The NRC has no end recorded: a dashed outline, and the table says so.
    let nrc = &t.bodies[1];
    assert!(nrc.ended.is_none());
    assert!(nrc.span_human.ends_with("no end recorded"));
    let svg = svg::timeline_svg(&t, &same);
    parse(&svg);
    assert!(svg.contains(r#"stroke-dasharray="4 3""#));
    // The body's own events are on the axis (the PJC's meetings).
    assert!(t.events.iter().any(|e| e.url.starts_with("/events/")));
    assert!(body_timeline(&store, "no-such-body").unwrap().is_none());
    assert!(dossier_timeline(&store, "no-such-dossier")
        .unwrap()
        .is_none());
}

#[test]
fn the_relations_graph_draws_successions_and_parts() {
    let (store, _) = builtin();
    let spec = PICTURES
        .iter()
        .find(|p| p.record == RecordType::Dossier && p.picture == Picture::Relations)
        .unwrap();
    let svg = spec.render(&store, "nato-russia", &same).unwrap().unwrap();
    let (tags, texts) = parse(&svg);
    assert!(svg.contains(r#"class="succeeded-by""#));
    assert!(
        svg.contains(r#"class="part-of""#),
        "EADRCC is part of the EAPC"
    );
    assert!(count(&tags, "rect") >= 8);
    assert!(texts.iter().any(|t| t == "NACC"));
    let r =
        Relations::of_bodies(&store, &store.bodies(Some("nato-russia")).unwrap(), None).unwrap();
    let has = |from: &str, rel: &str, to: &str| {
        r.edges
            .iter()
            .any(|e| e.from == from && e.rel == rel && e.to == to)
    };
    assert!(has("nacc", "succeeded-by", "eapc"));
    assert!(has("pjc", "succeeded-by", "nrc"));
    assert!(has("eadrcc", "part-of", "eapc"));
    // Successors stand to the right of their predecessors.
    let col = |s: &str| r.nodes.iter().find(|n| n.slug == s).unwrap().column;
    assert!(col("nrc") > col("pjc") && col("eapc") > col("nacc"));
    // Bodies with no link are not drawn (states, the UN Security Council).
    assert!(!r.nodes.iter().any(|n| n.slug == "united-kingdom"));
    // A body's graph marks the body.
    let b = PICTURES
        .iter()
        .find(|p| p.record == RecordType::Body && p.picture == Picture::Relations)
        .unwrap();
    let svg = b.render(&store, "eapc", &same).unwrap().unwrap();
    parse(&svg);
    // The body's box and the legend's sample.
    assert_eq!(svg.matches(r#"stroke-width="3""#).count(), 2);
    assert!(b.render(&store, "missing", &same).unwrap().is_none());
}

fn body(slug: &str, name: &str) -> Body {
    Body {
        slug: slug.into(),
        name: name.into(),
        acronyms: vec![],
        identifiers: vec![],
        aliases: vec![],
        kind: BodyKind::Council,
        established: None,
        ended: None,
        founding_document: None,
        predecessors: vec![],
        successors: vec![],
        part_of: None,
        format: None,
        decision_rule: None,
        summary: None,
        dossiers: vec![],
        collections: vec![],
        provenance: Default::default(),
    }
}

#[test]
fn hostile_titles_are_text_and_undated_bodies_a_gap() {
    let (store, mut a) = builtin();
    let evil = "<script>alert(1)</script> \"' & ]]> <!-- \u{1} x";
    let mut first = body("evil-first", evil);
    first.acronyms = vec![format!("{evil}{}", "long".repeat(5000))];
    first.established = Some(Edtf::parse("1990").unwrap());
    first.ended = Some(Edtf::parse("1995-03").unwrap());
    first.successors = vec![BodyLink {
        slug: "evil-second".into(),
        date: Some(Edtf::parse("1995-03").unwrap()),
    }];
    first.dossiers = vec!["nato-russia".into()];
    let mut second = body("evil-second", evil);
    second.established = Some(Edtf::parse("1995-03").unwrap());
    second.predecessors = vec![BodyLink {
        slug: "evil-first".into(),
        date: None,
    }];
    second.dossiers = vec!["nato-russia".into()];
    let mut undated = body("undated-body", "A body nobody dated");
    undated.dossiers = vec!["nato-russia".into()];
    a.bodies.extend([first, second, undated]);
    let mut d = a.documents[0].clone();
    d.slug = "evil-document".into();
    d.title = evil.into();
    d.relations.clear();
    a.documents.push(d);
    store.write(&a).unwrap();
    for spec in PICTURES {
        let slug = match spec.record {
            RecordType::Dossier => "nato-russia",
            _ => "evil-first",
        };
        let svg = spec.render(&store, slug, &same).unwrap().unwrap();
        let (_, texts) = parse(&svg);
        assert!(!svg.contains("<script"), "{}", spec.route);
        assert!(!svg.contains("<!--"), "{}", spec.route);
        assert!(svg.contains("&lt;script&gt;"), "{}", spec.route);
        // Labels are cut; the full name stays in the tooltip only.
        assert!(
            texts.iter().all(|t| t.chars().count() < 25_000),
            "{}",
            spec.route
        );
    }
    let t = dossier_timeline(&store, "nato-russia").unwrap().unwrap();
    let svg = svg::timeline_svg(&t, &same);
    assert!(svg.contains("dates not recorded"));
    assert!(t.description.contains("no recorded dates"));
    assert!(t
        .successions
        .iter()
        .any(|s| s.from == "evil-first" && s.to == "evil-second"));
}

#[test]
fn a_crowded_row_is_drawn_as_counts_per_year_and_the_picture_stays_bounded() {
    let (store, mut a) = builtin();
    let event = a.events[0].clone();
    for i in 0..2000 {
        let mut e = event.clone();
        e.slug = format!("crowd-{i}");
        e.title = format!("Crowd {i}");
        e.date = Some(Edtf::parse(&format!("{}-01-02", 1990 + i % 12)).unwrap());
        e.outcome_documents.clear();
        e.dossiers = vec!["nato-russia".into()];
        a.events.push(e);
    }
    for i in 0..(MAX_BARS + 20) {
        let mut b = body(&format!("crowd-body-{i}"), &format!("Crowd body {i}"));
        b.established = Some(Edtf::parse("1995").unwrap());
        b.dossiers = vec!["nato-russia".into()];
        a.bodies.push(b);
    }
    store.write(&a).unwrap();
    let t = dossier_timeline(&store, "nato-russia").unwrap().unwrap();
    assert!(t.events.is_empty());
    assert!(t.event_years.iter().map(|y| y.count).sum::<usize>() >= 2000);
    assert_eq!(t.bodies.len(), MAX_BARS);
    assert!(t.bodies_left_out >= 20);
    assert!(t.description.contains("not drawn"));
    let svg = svg::timeline_svg(&t, &same);
    parse(&svg);
    assert!(svg.len() < 400_000, "{} bytes", svg.len());
}

#[test]
fn static_links_are_relative_to_the_picture() {
    let (store, _) = builtin();
    let spec = &PICTURES[0];
    let path = spec.path("nato-russia");
    assert_eq!(path, "/dossiers/nato-russia/timeline.svg");
    let svg = spec
        .render(&store, "nato-russia", &|u: &str| {
            crate::html::static_link("../../", u)
        })
        .unwrap()
        .unwrap();
    assert!(svg.contains(r#"href="../../bodies/pjc.html""#));
    assert!(!svg.contains(r#"href="/"#));
}

#[test]
fn a_succession_cycle_and_a_body_its_own_successor_still_draw() {
    // Bad data the model may one day let through: a → b → a, and c → c.
    let store = SqliteStore::in_memory().unwrap();
    let link = |slug: &str| BodyLink {
        slug: slug.into(),
        date: Some(Edtf::parse("2000").unwrap()),
    };
    let mut a = body("a", "A");
    a.successors = vec![link("b")];
    let mut b = body("b", "B");
    b.successors = vec![link("a")];
    let mut c = body("c", "C");
    c.successors = vec![link("c")];
    let bodies = vec![a, b, c];
    let r = Relations::of_bodies(&store, &bodies, Some("c")).unwrap();
    assert_eq!(r.edges.len(), 2, "a → b and b → a; c → c dropped");
    assert!(r.nodes.iter().all(|n| n.column <= bodies.len()));
    parse(&svg::relations_svg("cycle", &r, &same));
    let s = successions(&bodies);
    assert_eq!(s.len(), 2);
    assert_eq!(order_bodies(bodies, &s).len(), 3);
}
