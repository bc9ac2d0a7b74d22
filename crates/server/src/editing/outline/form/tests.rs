use super::*;

/// An outline of (depth, title) sections, keyed `k1`, `k2`… in reading order.
fn outline(shape: &[(usize, &str)]) -> Outline {
    Outline {
        base: 3,
        title: "D".into(),
        sections: shape
            .iter()
            .enumerate()
            .map(|(i, (depth, title))| FormSection {
                depth: *depth,
                key: format!("k{}", i + 1),
                title: title.to_string(),
                ..FormSection::default()
            })
            .collect(),
        ..Outline::default()
    }
}

fn shape(o: &Outline) -> Vec<(usize, String)> {
    o.sections
        .iter()
        .map(|s| (s.depth, s.title.clone()))
        .collect()
}

fn owned(v: &[(usize, &str)]) -> Vec<(usize, String)> {
    v.iter().map(|(d, t)| (*d, t.to_string())).collect()
}

#[test]
fn the_form_round_trips_the_outline() {
    let mut o = outline(&[(1, "A"), (2, "A1"), (3, "A1a"), (2, "A2"), (1, "B")]);
    o.sections[1].commentary = "See [the Act](ref:1).\nNext line".into();
    o.sections[1].refs = vec![FormRef {
        text: "the Act".into(),
        kind: "document".into(),
        slug: "act".into(),
        mention: true,
        ..FormRef::default()
    }];
    o.sections[4].lists = vec![FormList {
        of: "events".into(),
        kinds: "meeting, summit".into(),
        page_listed: "0".into(),
        complete: true,
        ..FormList::default()
    }];
    o.sections[1].claims = "2002-05-28 commentary: See the Act.".into();
    let back = Outline::parse(&o.fields()).unwrap();
    assert_eq!(back, o);
    o.draft = Some(12);
    assert_eq!(Outline::parse(&o.fields()).unwrap(), o);
    // Positions out of order and extra gaps in numbering read the same.
    let mut fields = o.fields();
    fields.reverse();
    assert_eq!(Outline::parse(&fields).unwrap(), o);
}

#[test]
fn forged_trees_are_refused() {
    let f = |pairs: &[(&str, &str)]| {
        Outline::parse(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    // A cycle: 1 is 2's parent and 2 is 1's.
    let e = f(&[("s.1.parent", "2"), ("s.2.parent", "1")]).unwrap_err();
    assert!(e.0.contains("not a tree"), "{e:?}");
    assert!(f(&[("s.1.parent", "9")])
        .unwrap_err()
        .0
        .contains("not in the form"));
    assert!(f(&[("s.x.title", "t")]).is_err());
    assert!(f(&[("s.1.r.a.slug", "t")]).is_err());
    assert!(f(&[("s.1.bogus", "t")]).is_err());
    // Deeper than a form may nest: refused before any tree is built.
    let mut chain = vec![];
    for n in 1..=(MAX_FORM_DEPTH + 1) {
        chain.push((
            format!("s.{n}.parent"),
            if n == 1 {
                String::new()
            } else {
                (n - 1).to_string()
            },
        ));
    }
    assert!(Outline::parse(&chain)
        .unwrap_err()
        .0
        .contains("nests sections"));
    // Line ends as browsers send them.
    let o = f(&[("s.1.commentary", "a\r\nb")]).unwrap();
    assert_eq!(o.sections[0].commentary, "a\nb");
}

#[test]
fn moves_keep_subtrees_together() {
    let base = [
        (1, "A"),
        (2, "A1"),
        (2, "A2"),
        (3, "A2a"),
        (1, "B"),
        (2, "B1"),
    ];
    let mut o = outline(&base);
    // B (index 4) up: before A, with its child.
    assert_eq!(o.apply(&Op::Up(4)), Ok(Some(0)));
    assert_eq!(
        shape(&o),
        owned(&[
            (1, "B"),
            (2, "B1"),
            (1, "A"),
            (2, "A1"),
            (2, "A2"),
            (3, "A2a")
        ])
    );
    // And down again.
    assert_eq!(o.apply(&Op::Down(0)), Ok(Some(4)));
    assert_eq!(shape(&o), owned(&base));
    // The first of its level cannot move up; the last cannot move down.
    assert!(o.apply(&Op::Up(1)).is_err());
    assert!(o.apply(&Op::Down(4)).is_err());
    // A2 into A1 (with A2a), then out again to after A.
    assert_eq!(o.apply(&Op::Indent(2)), Ok(Some(2)));
    assert_eq!(
        shape(&o),
        owned(&[
            (1, "A"),
            (2, "A1"),
            (3, "A2"),
            (4, "A2a"),
            (1, "B"),
            (2, "B1")
        ])
    );
    o.apply(&Op::Outdent(2)).unwrap();
    o.apply(&Op::Outdent(2)).unwrap();
    assert_eq!(
        shape(&o),
        owned(&[
            (1, "A"),
            (2, "A1"),
            (1, "A2"),
            (2, "A2a"),
            (1, "B"),
            (2, "B1")
        ])
    );
    assert!(o.apply(&Op::Outdent(0)).is_err());
    assert!(o.apply(&Op::Indent(0)).is_err());
    // Outdenting the first of several children keeps its later siblings in the parent.
    let mut o = outline(&[(1, "A"), (2, "A1"), (2, "A2"), (1, "B")]);
    assert_eq!(o.apply(&Op::Outdent(1)), Ok(Some(2)));
    assert_eq!(
        shape(&o),
        owned(&[(1, "A"), (2, "A2"), (1, "A1"), (1, "B")])
    );
    // Delete takes the subsections with it.
    let mut o = outline(&base);
    o.apply(&Op::Delete(2)).unwrap();
    assert_eq!(
        shape(&o),
        owned(&[(1, "A"), (2, "A1"), (1, "B"), (2, "B1")])
    );
    assert!(o.apply(&Op::Delete(40)).is_err());
}

#[test]
fn new_sections_get_fresh_keys_and_renumbering_follows_the_tree() {
    let mut o = outline(&[(1, "A"), (2, "A1"), (1, "B")]);
    assert_eq!(o.apply(&Op::AddChild(0)), Ok(Some(2)));
    assert_eq!(o.apply(&Op::AddAfter(0)), Ok(Some(3)));
    o.apply(&Op::AddTop).unwrap();
    let keys: BTreeSet<&str> = o.sections.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys.len(), o.sections.len(), "keys are unique");
    o.apply(&Op::Renumber).unwrap();
    let labels: Vec<&str> = o.sections.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["1", "1.1", "1.2", "2", "3", "4"]);
}

#[test]
fn references_are_picked_into_the_commentary_and_removed_with_care() {
    let mut o = outline(&[(1, "A")]);
    o.sections[0].commentary = "Before é after".into();
    // The cursor after "Before é" (8 UTF-16 units).
    let syntax = o.pick(0, "document", "act", "The [Act]", Some(8)).unwrap();
    assert_eq!(syntax, "[The \\[Act\\]](ref:1)");
    assert_eq!(
        o.sections[0].commentary,
        "Before é[The \\[Act\\]](ref:1) after"
    );
    o.pick(0, "body", "pjc", "PJC", None).unwrap();
    o.sections[0].commentary.push_str(" and [PJC](ref:2)");
    // Reference 1 is linked from the commentary: it stays.
    assert!(o.apply(&Op::RemoveRef(0, 0)).unwrap_err().contains("ref:1"));
    // Unlinked, it goes, and the later link counts one less.
    o.sections[0].commentary = "Only [PJC](ref:2).".into();
    o.apply(&Op::RemoveRef(0, 0)).unwrap();
    assert_eq!(o.sections[0].refs.len(), 1);
    assert_eq!(o.sections[0].commentary, "Only [PJC](ref:1).");
}

#[test]
fn the_form_becomes_the_model_s_dossier() {
    let mut o = outline(&[(1, "A"), (2, "A1"), (1, "B")]);
    o.sections[1].short_title = " ".into();
    o.sections[1].refs = vec![
        FormRef {
            text: "x".into(),
            kind: "external".into(),
            title: "Site".into(),
            url: "https://example.org".into(),
            ..FormRef::default()
        },
        FormRef::default(),
    ];
    o.sections[2].lists = vec![FormList {
        of: "events".into(),
        levels: "ambassadors foreign-ministers".into(),
        bodies: "pjc, nrc".into(),
        ..FormList::default()
    }];
    // An empty row is no reference: it goes, unless the commentary links to it.
    let mut linked = o.clone();
    linked.sections[1].commentary = "[here](ref:2)".into();
    linked.prune();
    assert_eq!(linked.sections[1].refs.len(), 2);
    let p = linked.to_dossier("d").unwrap_err();
    assert!(p.sections[&1]["r.1"][0].contains("Type the words"), "{p:?}");
    o.sections[1].refs.insert(0, FormRef::default());
    o.sections[1].commentary = "[there](ref:2)".into();
    o.prune();
    assert_eq!(o.sections[1].commentary, "[there](ref:1)");
    let d = o.to_dossier("d").unwrap();
    assert_eq!(d.sections.len(), 2);
    let a1 = &d.sections[0].children[0];
    assert_eq!(a1.short_title, None);
    assert_eq!(a1.references.len(), 1);
    let l = &d.sections[1].lists[0];
    assert_eq!(l.levels, [Level::Ambassadors, Level::ForeignMinisters]);
    assert_eq!(l.bodies, ["pjc", "nrc"]);
    // Back to the form and again to the model: the same dossier.
    assert_eq!(Outline::of(&d, 3).to_dossier("d").unwrap(), d);

    // A list's page count and an editor's check, and the section's dated sentences,
    // survive the round trip (issue 25): an outline save keeps them.
    let mut dated = o.clone();
    dated.sections[2].lists[0].page_listed = " 3 ".into();
    dated.sections[2].lists[0].complete = true;
    dated.sections[1].claims =
        "2002-05-28 commentary: Russia continues: to participate\n\n2000-12-05 title".into();
    let d = dated.to_dossier("d").unwrap();
    let l = &d.sections[1].lists[0];
    assert_eq!((l.page_listed, l.complete), (Some(3), true));
    let claims = &d.sections[0].children[0].claims;
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].field, "commentary");
    assert_eq!(
        claims[0].statement.as_deref(),
        Some("Russia continues: to participate")
    );
    assert_eq!(claims[1].as_of.to_string(), "2000-12-05");
    assert_eq!(claims[1].statement, None);
    assert_eq!(Outline::of(&d, 3).to_dossier("d").unwrap(), d);
    dated.sections[2].lists[0].page_listed = "many".into();
    dated.sections[1].claims = "soon commentary: x\n2002".into();
    let p = dated.to_dossier("d").unwrap_err();
    assert!(
        p.sections[&2]["l.0.page_listed"][0].contains("`many` is not a number"),
        "{p:?}"
    );
    assert_eq!(p.sections[&1]["claims"].len(), 2, "{p:?}");
    assert!(
        p.sections[&1]["claims"][0].contains("`soon commentary: x`"),
        "{p:?}"
    );
    assert!(
        p.sections[&1]["claims"][1].contains("followed by the field"),
        "{p:?}"
    );

    o.sections[0].key = " ".into();
    o.sections[2].lists[0].levels = "kings".into();
    o.sections[1].refs[0].kind = "document".into();
    o.sections[1].refs[0].slug = String::new();
    let p = o.to_dossier("d").unwrap_err();
    assert!(
        p.sections[&0]["key"][0].contains("needs an anchor"),
        "{p:?}"
    );
    assert!(p.sections[&1].contains_key("r.0"), "{p:?}");
    assert!(
        p.sections[&2]["l.0.levels"][0].contains("`kings` is not a level"),
        "{p:?}"
    );
}

#[test]
fn the_model_s_problems_land_beside_their_fields() {
    let mut o = outline(&[(1, "A"), (2, "A1"), (1, "B")]);
    o.sections[1].refs = vec![
        FormRef {
            kind: "document".into(),
            slug: "act".into(),
            ..FormRef::default()
        },
        FormRef {
            kind: "document".into(),
            slug: "gone".into(),
            ..FormRef::default()
        },
    ];
    o.sections[2].lists = vec![
        FormList::default(),
        FormList {
            kinds: "speech, poem".into(),
            ..FormList::default()
        },
    ];
    let mut p = Problems::default();
    o.attach(
        &mut p,
        "sections.k2.references",
        "No document `gone` in the archive",
    );
    o.attach(
        &mut p,
        "sections.k3.lists.kinds",
        "`poem` is not a kind of documents",
    );
    o.attach(&mut p, "sections.k2", "Section A > A1 is nested 17 deep");
    o.attach(&mut p, "sections[1].children[0].title", "Wrong type");
    o.attach(&mut p, "sections", "Two sections have the key `k1`");
    o.attach(&mut p, "title", "Empty");
    o.attach(&mut p, "", "Something else");
    assert_eq!(p.sections[&1]["r.1"], ["No document `gone` in the archive"]);
    assert_eq!(
        p.sections[&2]["l.1.kinds"],
        ["`poem` is not a kind of documents"]
    );
    assert_eq!(
        p.sections[&1]["section"],
        ["Section A > A1 is nested 17 deep"]
    );
    assert_eq!(p.sections[&0]["key"], ["Two sections have the key `k1`"]);
    assert_eq!(p.dossier["title"], ["Empty"]);
    // `sections[1]` is B, which has no children: the path names nothing of the form,
    // so its problem is shown with the outline's own.
    assert_eq!(p.dossier[""], ["Wrong type", "Something else"]);
    let mut p = Problems::default();
    o.attach(&mut p, "sections[0].children[0].lists[0].of", "bad");
    assert_eq!(p.sections[&1]["l.0.of"], ["bad"]);
}

#[test]
fn buttons_are_read_strictly() {
    assert_eq!(Action::parse("up:3"), Ok(Action::Edit(Op::Up(2))));
    assert_eq!(Action::parse("publish"), Ok(Action::Save(Intent::Publish)));
    assert_eq!(Action::parse("draft"), Ok(Action::Save(Intent::Draft)));
    assert_eq!(Action::parse("find:2"), Ok(Action::Refresh));
    assert_eq!(Action::parse(""), Ok(Action::Refresh));
    assert_eq!(
        Action::parse("pick:1:document:founding-act-1997"),
        Ok(Action::Pick {
            section: 0,
            kind: "document".into(),
            slug: "founding-act-1997".into()
        })
    );
    for bad in [
        "up:0",
        "up:x",
        "up",
        "pick:1:external:x",
        "pick:1:document:Bad Slug",
        "drop:1",
        "remove-ref:1",
    ] {
        assert!(Action::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(cursor("3:12"), Some((2, 12)));
    assert_eq!(cursor("0:1"), None);
    assert_eq!(cursor(""), None);
}
