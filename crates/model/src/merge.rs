//! What a merge of two records keeps (issue 28): when two bodies or two people turn out to
//! be one, the survivor takes in the other's names, identifiers, provenance and links, so
//! that nothing a reader or an editor could find under the merged-away record is lost.
//!
//! These are the model's rules alone; the store runs them inside the merge's transaction
//! (`dossier_store::Merges`), together with [`Record::relink`] for the records that
//! linked to the merged-away one and [`relink_lists`] for dossiers' generated lists.

use crate::{Body, BodyLink, Dossier, Person, Provenance, Record};

/// Folds `from` into `into`, the survivor of a merge of two records of the same type:
///
/// - `from`'s name becomes a name of the survivor (an acronym if it is written as one,
///   else an alias), and its acronyms and aliases are added;
/// - its identifiers, sources, traces, gaps, claims, dossiers and collections are added;
///   for people, its offices; for bodies, its predecessors and successors (by slug: the
///   survivor's own entry wins, taking the other's date when it has none);
/// - a field the survivor leaves empty (a summary, a date of establishment, a body's
///   founding document…) takes `from`'s value;
///
/// always without duplicates, and with no link from the survivor to itself or to `from`
/// (the store points the survivor's links to `from` at itself afterwards anyway).
/// Records of two types, or of a type that is not merged (documents, events, topics),
/// are left as they are.
pub fn absorb(into: &mut Record, from: &Record) {
    match (into, from) {
        (Record::Body(into), Record::Body(from)) => absorb_body(into, from),
        (Record::Person(into), Record::Person(from)) => absorb_person(into, from),
        _ => {}
    }
}

/// [`absorb`] for two bodies.
pub fn absorb_body(into: &mut Body, from: &Body) {
    let own = [into.slug.clone(), from.slug.clone()];
    // The other's name: an acronym when written like one (NATO, PJC, OSCE), else an alias.
    if looks_like_acronym(&from.name) {
        add_name(&mut into.acronyms, &from.name, &into.name, &into.aliases);
    } else {
        add_name(&mut into.aliases, &from.name, &into.name, &into.acronyms);
    }
    for a in &from.acronyms {
        add_name(&mut into.acronyms, a, &into.name, &into.aliases);
    }
    for a in &from.aliases {
        add_name(&mut into.aliases, a, &into.name, &into.acronyms);
    }
    fill(&mut into.established, &from.established);
    fill(&mut into.ended, &from.ended);
    fill(&mut into.founding_document, &from.founding_document);
    fill(&mut into.format, &from.format);
    fill(&mut into.decision_rule, &from.decision_rule);
    fill(&mut into.summary, &from.summary);
    if into.part_of.is_none() {
        into.part_of = from.part_of.clone().filter(|p| !own.contains(p));
    }
    add_body_links(&mut into.predecessors, &from.predecessors, &own);
    add_body_links(&mut into.successors, &from.successors, &own);
    add_all(&mut into.identifiers, &from.identifiers);
    add_all(&mut into.dossiers, &from.dossiers);
    add_all(&mut into.collections, &from.collections);
    absorb_provenance(&mut into.provenance, &from.provenance);
}

/// [`absorb`] for two people.
pub fn absorb_person(into: &mut Person, from: &Person) {
    add_name(&mut into.aliases, &from.name, &into.name, &[]);
    for a in &from.aliases {
        add_name(&mut into.aliases, a, &into.name, &[]);
    }
    fill(&mut into.summary, &from.summary);
    add_all(&mut into.offices, &from.offices);
    add_all(&mut into.identifiers, &from.identifiers);
    add_all(&mut into.dossiers, &from.dossiers);
    add_all(&mut into.collections, &from.collections);
    absorb_provenance(&mut into.provenance, &from.provenance);
}

/// Points the bodies that dossiers' generated lists name (`lists[].bodies`, "the
/// declarations of the PJC, listed below") from `from` at `into`, without naming one
/// twice: [`Dossier::relink`] rewrites section references, this the lists' filters.
/// Whether anything changed.
pub fn relink_lists(dossier: &mut Dossier, from: &str, into: &str) -> bool {
    let mut changed = false;
    // A stack, not recursion, as everywhere sections are walked.
    let mut stack: Vec<&mut crate::Section> = dossier.sections.iter_mut().collect();
    while let Some(s) = stack.pop() {
        for l in &mut s.lists {
            if l.bodies.iter().any(|b| b == from) {
                changed = true;
                if l.bodies.iter().any(|b| b == into) {
                    l.bodies.retain(|b| b != from);
                } else {
                    for b in l.bodies.iter_mut().filter(|b| *b == from) {
                        *b = into.to_string();
                    }
                }
            }
        }
        stack.extend(s.children.iter_mut());
    }
    changed
}

/// Whether a name is written as an acronym: one word of capitals (and digits, `&`, `-`),
/// two to twelve characters, a letter among them (NATO, PJC, OSCE, G7, EAPC, OSCE-PA).
pub fn looks_like_acronym(name: &str) -> bool {
    let length = name.chars().count();
    name.chars().any(char::is_alphabetic)
        && (2..=12).contains(&length)
        && name
            .chars()
            .all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '&' || c == '-')
}

/// Adds `name` to `list` unless it is already there or is the survivor's name or one of
/// its `other` names (compared without regard to case or surrounding spaces).
fn add_name(list: &mut Vec<String>, name: &str, own: &str, other: &[String]) {
    let name = name.trim();
    let same = |x: &String| x.trim().to_lowercase() == name.to_lowercase();
    if name.is_empty()
        || own.trim().to_lowercase() == name.to_lowercase()
        || list.iter().any(same)
        || other.iter().any(same)
    {
        return;
    }
    list.push(name.to_string());
}

/// Appends each of `from` that `into` does not hold yet, in `from`'s order.
fn add_all<T: Clone + PartialEq>(into: &mut Vec<T>, from: &[T]) {
    for x in from {
        if !into.contains(x) {
            into.push(x.clone());
        }
    }
}

/// An empty field takes the other's value.
fn fill<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
    if into.is_none() {
        into.clone_from(from);
    }
}

/// Adds the other's predecessor or successor links by slug, none to the two merged
/// bodies; where both name a body, the survivor's link stays, dated from the other's if
/// it had no date.
fn add_body_links(into: &mut Vec<BodyLink>, from: &[BodyLink], own: &[String]) {
    for l in from {
        if own.contains(&l.slug) {
            continue;
        }
        match into.iter_mut().find(|x| x.slug == l.slug) {
            Some(x) => fill(&mut x.date, &l.date),
            None => into.push(l.clone()),
        }
    }
}

fn absorb_provenance(into: &mut Provenance, from: &Provenance) {
    add_all(&mut into.trace, &from.trace);
    add_all(&mut into.sources, &from.sources);
    add_all(&mut into.gaps, &from.gaps);
    add_all(&mut into.claims, &from.claims);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExternalId, IdScheme, RecordType};

    fn body(json: serde_json::Value) -> Body {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_body_keeps_the_others_names_identifiers_provenance_and_links() {
        let mut into = body(serde_json::json!({
            "slug": "russian-federation", "name": "Russian Federation", "kind": "state",
            "aliases": ["Russia"],
            "identifiers": [{"scheme": "wikidata", "value": "Q159"}],
            "dossiers": ["nato-russia"],
            "sources": [{"title": "A"}],
            "predecessors": [{"slug": "ussr"}]
        }));
        let from = body(serde_json::json!({
            "slug": "russia", "name": "RUSSIA", "kind": "state",
            "aliases": ["russia", "Rossiya"], "acronyms": ["RF"],
            "established": "1991-12-25",
            "summary": "From the trips collection.",
            "identifiers": [{"scheme": "wikidata", "value": "Q159"},
                            {"scheme": "viaf", "value": "133163990"}],
            "dossiers": ["nato-russia"], "collections": ["travels"],
            "sources": [{"title": "A"}, {"title": "B"}],
            "gaps": ["Which trips?"],
            "predecessors": [{"slug": "ussr", "date": "1991-12"}, {"slug": "russian-federation"}],
            "part_of": "russia"
        }));
        let mut r = Record::Body(into.clone());
        absorb(&mut r, &Record::Body(from.clone()));
        let Record::Body(b) = r else { panic!() };
        // "RUSSIA" is the survivor's alias "Russia" already (case aside); "russia" too.
        assert_eq!(b.aliases, ["Russia", "Rossiya"]);
        assert_eq!(b.acronyms, ["RF"]);
        assert_eq!(b.name, "Russian Federation");
        assert_eq!(b.established.unwrap().to_string(), "1991-12-25");
        assert_eq!(b.summary.as_deref(), Some("From the trips collection."));
        assert_eq!(
            b.identifiers,
            [
                ExternalId::new(IdScheme::Wikidata, "Q159").unwrap(),
                ExternalId::new(IdScheme::Viaf, "133163990").unwrap()
            ]
        );
        assert_eq!(b.dossiers, ["nato-russia"]);
        assert_eq!(b.collections, ["travels"]);
        let titles: Vec<&str> = b.provenance.sources.iter().map(|s| &*s.title).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(b.provenance.gaps, ["Which trips?"]);
        // The survivor's own link stays, dated from the other's; no link to itself.
        assert_eq!(b.predecessors.len(), 1);
        assert_eq!(b.predecessors[0].date.unwrap().to_string(), "1991-12");
        assert_eq!(b.part_of, None);
        // Fields the survivor has keep its values.
        into.summary = Some("Ours.".into());
        absorb_body(&mut into, &from);
        assert_eq!(into.summary.as_deref(), Some("Ours."));
    }

    #[test]
    fn a_name_written_as_an_acronym_becomes_one() {
        let mut into = body(serde_json::json!({
            "slug": "nato", "name": "North Atlantic Treaty Organization", "kind": "organisation"
        }));
        let from = body(serde_json::json!({"slug": "n", "name": "NATO", "kind": "organisation"}));
        absorb_body(&mut into, &from);
        assert_eq!(into.acronyms, ["NATO"]);
        assert!(into.aliases.is_empty());
        assert!(looks_like_acronym("OSCE-PA") && looks_like_acronym("G7"));
        assert!(
            !looks_like_acronym("Nato") && !looks_like_acronym("G") && !looks_like_acronym("A B")
        );
    }

    #[test]
    fn a_person_keeps_the_others_name_as_an_alias_and_its_offices() {
        let mut into: Person = serde_json::from_value(serde_json::json!({
            "slug": "boris-yeltsin", "name": "Boris Yeltsin",
            "offices": [{"title": "President", "body": "russian-federation"}]
        }))
        .unwrap();
        let from: Person = serde_json::from_value(serde_json::json!({
            "slug": "yeltsin", "name": "Boris N. Yeltsin", "aliases": ["Boris Yeltsin", "B. Yeltsin"],
            "summary": "President of Russia.",
            "offices": [{"title": "President", "body": "russian-federation"},
                        {"title": "Chairman", "body": "supreme-soviet"}]
        }))
        .unwrap();
        let mut r = Record::Person(into.clone());
        absorb(&mut r, &Record::Person(from.clone()));
        let Record::Person(p) = r else { panic!() };
        assert_eq!(p.aliases, ["Boris N. Yeltsin", "B. Yeltsin"]);
        assert_eq!(p.offices.len(), 2);
        assert_eq!(p.summary.as_deref(), Some("President of Russia."));
        // Records of two types are left alone.
        let mut b = Record::Body(body(
            serde_json::json!({"slug": "x", "name": "X", "kind": "state"}),
        ));
        let before = b.clone();
        absorb(&mut b, &Record::Person(from.clone()));
        assert_eq!(b, before);
        assert_eq!(b.record_type(), RecordType::Body);
        // Merging the same person twice adds nothing more.
        absorb_person(&mut into, &from);
        let once = into.clone();
        absorb_person(&mut into, &from);
        assert_eq!(into, once);
    }

    #[test]
    fn lists_name_the_survivor_once() {
        let mut d: Dossier = serde_json::from_value(serde_json::json!({
            "slug": "d", "title": "D",
            "sections": [{"key": "a", "label": "A.", "title": "A",
                "lists": [{"of": "documents", "bodies": ["pjc", "nrc"]}],
                "children": [{"key": "a-1", "label": "1.", "title": "One",
                    "lists": [{"of": "events", "bodies": ["pjc"]}]}]}]
        }))
        .unwrap();
        assert!(relink_lists(&mut d, "pjc", "nrc"));
        assert_eq!(d.sections[0].lists[0].bodies, ["nrc"]);
        assert_eq!(d.sections[0].children[0].lists[0].bodies, ["nrc"]);
        assert!(!relink_lists(&mut d, "pjc", "nrc"));
    }
}
