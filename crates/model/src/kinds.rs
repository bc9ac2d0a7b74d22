//! Controlled vocabularies. Each value has a stable slug (used in data files, URLs and
//! JSON) and a label for readers; unknown slugs are refused when a file is read.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $slug:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $slug)] $variant,)+
        }

        impl $name {
            /// Every value, in the order a reader expects to see them.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable slug, as in data files and URLs.
            pub fn slug(self) -> &'static str {
                match self { $($name::$variant => $slug,)+ }
            }

            /// The name a reader sees.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Reads a slug; `None` if it is not in the vocabulary.
            pub fn from_slug(s: &str) -> Option<Self> {
                match s { $($slug => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary! {
    /// What kind of document a record is. Parts B–D of a dossier list speeches, research
    /// studies and parliamentary reports; the rest are official documents.
    DocumentKind {
        Treaty = "treaty", "Treaty";
        FoundingAct = "founding-act", "Founding act";
        Charter = "charter", "Charter";
        Declaration = "declaration", "Declaration";
        JointStatement = "joint-statement", "Joint statement";
        PressStatement = "press-statement", "Press statement";
        PressRelease = "press-release", "Press release";
        Statement = "statement", "Statement";
        WorkProgramme = "work-programme", "Work programme";
        ActionPlan = "action-plan", "Action plan";
        FrameworkDocument = "framework-document", "Framework document";
        Memorandum = "memorandum", "Memorandum of understanding";
        Agreement = "agreement", "Agreement";
        Resolution = "resolution", "Resolution";
        Concept = "concept", "Concept or doctrine";
        Letter = "letter", "Letter";
        Collection = "collection", "Collection of documents";
        Speech = "speech", "Speech";
        ResearchStudy = "research-study", "Research study";
        ParliamentaryReport = "parliamentary-report", "Parliamentary report";
    }
}

vocabulary! {
    /// Whether a document binds its parties in law.
    LegalStatus {
        LegallyBinding = "legally-binding", "Legally binding";
        PoliticalCommitment = "political-commitment", "Not legally binding (political commitment)";
        Unknown = "unknown", "Legal status not recorded";
    }
}

vocabulary! {
    /// Whether a reader can get the document's text.
    Availability {
        Public = "public", "Public";
        NotPublic = "not-public", "Not public";
        Forthcoming = "forthcoming", "Forthcoming";
        Unknown = "unknown", "Availability not recorded";
    }
}

vocabulary! {
    /// What kind of body (ISAAR(CPF) corporate body) a record is.
    BodyKind {
        Organisation = "organisation", "Organisation";
        State = "state", "State";
        Council = "council", "Council";
        Committee = "committee", "Committee";
        Programme = "programme", "Programme";
        Force = "force", "Force";
        Parliament = "parliament", "Parliament";
        Centre = "centre", "Centre";
        Unit = "unit", "Unit";
        Institution = "institution", "Institution";
        Office = "office", "Office";
    }
}

vocabulary! {
    /// What kind of event a record is.
    EventKind {
        Meeting = "meeting", "Meeting";
        Summit = "summit", "Summit";
        Ministerial = "ministerial", "Ministerial meeting";
        Consultation = "consultation", "Consultation";
        Conference = "conference", "Conference";
        Signing = "signing", "Signing";
        Establishment = "establishment", "Establishment";
        Accession = "accession", "Accession";
        Suspension = "suspension", "Suspension";
        Resumption = "resumption", "Resumption";
        Speech = "speech", "Speech";
        Initiative = "initiative", "Initiative";
        Visit = "visit", "Visit";
    }
}

vocabulary! {
    /// At what level an event was held.
    Level {
        Ambassadors = "ambassadors", "Ambassadors";
        ForeignMinisters = "foreign-ministers", "Foreign ministers";
        DefenceMinisters = "defence-ministers", "Defence ministers";
        HeadsOfState = "heads-of-state", "Heads of state and government";
        SeniorOfficials = "senior-officials", "Senior officials";
        Military = "military", "Military";
        Experts = "experts", "Experts";
        Parliamentary = "parliamentary", "Parliamentary";
    }
}

vocabulary! {
    /// Whether a topic is an area of co-operation or a source of disagreement, or a subject
    /// key that an imported collection gives (a TEI `@ana` key such as `arms-control`).
    TopicKind {
        Cooperation = "cooperation", "Area of co-operation";
        Disagreement = "disagreement", "Source of disagreement";
        Subject = "subject", "Subject";
    }
}

vocabulary! {
    /// Where a topic stood at its as-of date.
    TopicStatus {
        Proposed = "proposed", "Proposed";
        UnderNegotiation = "under-negotiation", "Under negotiation";
        Agreed = "agreed", "Agreed";
        Active = "active", "Active";
        Suspended = "suspended", "Suspended";
        Ended = "ended", "Ended";
        Disputed = "disputed", "Disputed";
        Unknown = "unknown", "Status not recorded";
    }
}

vocabulary! {
    /// How one document stands to another.
    DocumentRelation {
        Replaces = "replaces", "Replaces";
        Implements = "implements", "Implements";
        RespondsTo = "responds-to", "Responds to";
        Cites = "cites", "Cites";
        PartOf = "part-of", "Part of";
        Similar = "similar", "Similar to";
    }
}

impl DocumentKind {
    /// Kinds that parts B–D of a dossier list rather than part A.
    pub fn is_secondary(self) -> bool {
        matches!(
            self,
            DocumentKind::Speech | DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::from_slug(k.slug()), Some(*k));
        }
        assert_eq!(DocumentKind::from_slug("poem"), None);
        let j = serde_json::to_string(&LegalStatus::PoliticalCommitment).unwrap();
        assert_eq!(j, "\"political-commitment\"");
    }
}
