//! The home page: the archive's dossiers, and those referred to but not held yet.

use super::Result;
use dossier_model::Target;
use dossier_store::Store;
use serde::Serialize;
use std::collections::BTreeSet;

/// `/`: the dossiers of the archive.
#[derive(Debug, Serialize)]
pub struct HomeView {
    pub title: String,
    pub dossiers: Vec<dossier_store::DossierSummary>,
    /// Dossiers that sections refer to but the archive does not hold yet.
    pub missing_dossiers: Vec<MissingDossier>,
}

/// A dossier referred to but not in the archive.
#[derive(Debug, Clone, Serialize)]
pub struct MissingDossier {
    pub slug: String,
    pub title: String,
    pub referred_from: String,
}

pub fn home(store: &dyn Store) -> Result<HomeView> {
    let dossiers = store.dossiers()?;
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();
    for summary in &dossiers {
        if let Some(d) = dossier_store::skip_corrupt(store.dossier(&summary.slug))?.flatten() {
            for s in d.all_sections() {
                for r in &s.references {
                    if let Some(Target::Dossier { slug, title }) = &r.target {
                        // Held or not, from the list just read (not a lookup each).
                        let held = dossiers.iter().any(|x| x.slug == *slug);
                        if !held && seen.insert(slug.clone()) {
                            missing.push(MissingDossier {
                                slug: slug.clone(),
                                title: title.clone(),
                                referred_from: d.title.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(HomeView {
        title: "Archive of formal international relations".into(),
        dossiers,
        missing_dossiers: missing,
    })
}
