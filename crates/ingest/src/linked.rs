//! Records an importer creates for what an imported record links to: known only by a
//! slug, a name and where they were named (their provenance); everything else is left
//! for an editor. Record mappings create them for `[[links]]` with `create = true`, the
//! TEI importer for the subject keys of `@ana`.

use dossier_model::*;

pub(crate) fn person(slug: String, name: String, provenance: Provenance) -> Person {
    Person {
        collections: Vec::new(),
        slug,
        name,
        aliases: vec![],
        offices: vec![],
        summary: None,
        identifiers: vec![],
        dossiers: vec![],
        provenance,
    }
}

pub(crate) fn topic(slug: String, title: String, kind: TopicKind, provenance: Provenance) -> Topic {
    Topic {
        collections: Vec::new(),
        slug,
        title,
        kind,
        status: TopicStatus::Unknown,
        as_of: None,
        summary: None,
        sections: vec![],
        documents: vec![],
        bodies: vec![],
        dossiers: vec![],
        provenance,
    }
}

pub(crate) fn body(slug: String, name: String, kind: BodyKind, provenance: Provenance) -> Body {
    Body {
        collections: Vec::new(),
        slug,
        name,
        acronyms: vec![],
        aliases: vec![],
        kind,
        established: None,
        ended: None,
        founding_document: None,
        predecessors: vec![],
        successors: vec![],
        part_of: None,
        format: None,
        decision_rule: None,
        summary: None,
        identifiers: vec![],
        dossiers: vec![],
        provenance,
    }
}
