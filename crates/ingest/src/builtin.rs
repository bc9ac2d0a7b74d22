//! The built-in "Formal NATO-Russia Relations" dossier: the seed page and its curated
//! records, compiled into the binary so that a fresh data directory can be filled
//! without any file at hand.

use crate::{apply_curated, parse_outline, CuratedData};
use dossier_model::Archive;

/// The seed archive page, as shipped in `data/`.
pub const SEED: &str = include_str!("../../../data/nato-russia.seed.txt");
/// The curated records that resolve the seed's references.
pub const CURATED: &str = include_str!("../../../data/nato-russia.toml");
/// The built-in dossier's slug.
pub const SLUG: &str = "nato-russia";

/// The built-in dossier and its records, ready to store.
pub fn archive() -> Result<Archive, String> {
    let outline =
        parse_outline(SEED.as_bytes(), "data/nato-russia.seed.txt").map_err(|e| e.to_string())?;
    let data = CuratedData::parse(CURATED, "data/nato-russia.toml").map_err(|e| e.to_string())?;
    apply_curated(outline, data, "data/nato-russia.toml", &|_, _| false).map_err(|errs| {
        errs.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_dossier_is_valid() {
        let a = super::archive().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.dossiers[0].slug, super::SLUG);
    }
}
