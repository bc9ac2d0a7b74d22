//! Reading an HTML form as a browser would submit it, for tests that drive the editing
//! pages without JavaScript.

use scraper::{ElementRef, Html, Selector};

/// What a browser sends for the form matching `form` (a CSS selector): its inputs (not its
/// buttons; a checkbox only when checked), its textareas, and the chosen option of each
/// select (the first when none is marked).
pub fn form_fields(html: &str, form: &str) -> Vec<(String, String)> {
    let sel = |s: &str| Selector::parse(s).unwrap();
    let doc = Html::parse_document(html);
    let found = doc
        .select(&sel(form))
        .next()
        .unwrap_or_else(|| panic!("no {form} in {html}"));
    let mut out = Vec::new();
    for el in found.select(&sel("input, textarea, select")) {
        let v = el.value();
        let Some(name) = v.attr("name") else { continue };
        let value = match v.name() {
            "input" => {
                if v.attr("type") == Some("checkbox") && v.attr("checked").is_none() {
                    continue;
                }
                v.attr("value").unwrap_or_default().to_string()
            }
            "textarea" => el.text().collect(),
            _ => {
                let options: Vec<ElementRef> = el.select(&sel("option")).collect();
                let Some(chosen) = options
                    .iter()
                    .find(|o| o.value().attr("selected").is_some())
                    .or(options.first())
                else {
                    continue;
                };
                chosen.value().attr("value").unwrap_or_default().to_string()
            }
        };
        out.push((name.to_string(), value));
    }
    out
}
