//! A request's query parameters: each given at most once, only those an endpoint takes,
//! slugs and vocabulary values checked, with a message that says what is wrong.

use super::{ApiError, Params, Result};
use dossier_model::is_valid_slug;

pub(super) fn param<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::BadRequest(format!(
            "The parameter `{name}` is given twice; give it once."
        )));
    }
    Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
}

pub(super) fn only(params: &Params, allowed: &[&str]) -> Result<()> {
    for (k, _) in params {
        if !allowed.contains(&k.as_str()) {
            let k: String = k.chars().take(60).collect();
            return Err(ApiError::BadRequest(if allowed.is_empty() {
                format!("`{k}` is not a parameter here; this endpoint takes none.")
            } else {
                format!(
                    "`{k}` is not a parameter here; the parameters are {}.",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }));
        }
    }
    Ok(())
}

pub(super) fn slug_param(params: &Params, name: &str) -> Result<Option<String>> {
    match param(params, name)? {
        Some(v) if is_valid_slug(v) => Ok(Some(v.to_string())),
        Some(v) => Err(ApiError::BadRequest(format!(
            "`{name}` must be a slug (lowercase letters, digits and hyphens); `{}` is not.",
            v.chars().take(60).collect::<String>()
        ))),
        None => Ok(None),
    }
}

pub(super) fn vocab_param<T: Copy>(
    params: &Params,
    name: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    slug: fn(T) -> &'static str,
) -> Result<Option<T>> {
    match param(params, name)? {
        None => Ok(None),
        Some(v) => parse(v).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`{}` is not a {name}; the values are: {}.",
                v.chars().take(60).collect::<String>(),
                all.iter().map(|k| slug(*k)).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}
