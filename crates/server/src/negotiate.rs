//! Content negotiation: HTML unless the `Accept` header prefers JSON.

use axum::http::HeaderMap;

/// Whether the client prefers `application/json` (or a `+json` type) to HTML.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut json_q: Option<f32> = None;
    let mut html_q: Option<f32> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
        {
            json_q = Some(json_q.map_or(q, |x: f32| x.max(q)));
        } else if media == "text/html" || media == "application/xhtml+xml" {
            html_q = Some(html_q.map_or(q, |x: f32| x.max(q)));
        }
    }
    match (json_q, html_q) {
        (Some(j), Some(h)) => j > 0.0 && j >= h,
        (Some(j), None) => j > 0.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(accept: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_str(accept).unwrap());
        wants_json(&h)
    }

    #[test]
    fn negotiation() {
        assert!(with("application/json"));
        assert!(with("application/problem+json"));
        assert!(!with(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(!with("*/*"));
        assert!(with("text/html;q=0.5, application/json"));
        assert!(!with("application/json;q=0"));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
