//! `/bodies/{slug}.eac.xml` and `/people/{slug}.eac.xml`: a body's or person's authority
//! record in EAC-CPF ([`dossier_publish::eac`]). The page's route `/bodies/{slug}` also
//! matches these addresses (a path parameter cannot have a suffix), so the page handler
//! asks [`requested`] first.

use crate::error::HttpError;
use crate::routes::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use dossier_model::RecordType;
use dossier_publish::eac;
use dossier_publish::pages::PageSpec;

/// The record an address names when it is a record page's address with `.eac.xml`
/// appended: the page must be the record's own (`/bodies/{slug}`), of a type that has
/// an EAC-CPF record.
pub(crate) fn requested(spec: &PageSpec, slug: Option<&str>) -> Option<(RecordType, String)> {
    let record = spec.record.filter(|r| eac::has_eac(*r))?;
    if spec.route != format!("{}/{{slug}}", record_root(record)?) {
        return None;
    }
    let slug = eac::parse_eac_file(slug?)?;
    Some((record, slug.to_string()))
}

fn record_root(record: RecordType) -> Option<&'static str> {
    match record {
        RecordType::Body => Some("/bodies"),
        RecordType::Person => Some("/people"),
        _ => None,
    }
}

/// The EAC-CPF document, readable from any origin (like the OAI-PMH and citation files).
pub(crate) async fn answer(
    state: AppState,
    record: RecordType,
    slug: String,
) -> Result<Response, HttpError> {
    let site = state.site();
    let what = record.as_str();
    let xml = state
        .blocking({
            let slug = slug.clone();
            move |store| eac::eac_cpf(store, &site, record, &slug)
        })
        .await?
        .ok_or_else(|| HttpError::no_record(what, &slug))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        xml,
    )
        .into_response())
}
