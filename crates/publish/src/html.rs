//! HTML rendering through minijinja templates, with auto-escaping on.
//!
//! The templates are files in `templates/`, compiled into the binary so the server needs
//! nothing on disk; the static export (later) renders the same templates.

use crate::PublishError;
use minijinja::{Environment, Value};
use serde::Serialize;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("dossier.html", include_str!("../templates/dossier.html")),
    ("document.html", include_str!("../templates/document.html")),
    ("body.html", include_str!("../templates/body.html")),
    ("person.html", include_str!("../templates/person.html")),
    ("event.html", include_str!("../templates/event.html")),
    ("topic.html", include_str!("../templates/topic.html")),
    (
        "chronology.html",
        include_str!("../templates/chronology.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    ("search.html", include_str!("../templates/search.html")),
];

/// The site's stylesheet, served at `/static/style.css`.
pub const STYLESHEET: &str = include_str!("../templates/style.css");

/// Renders pages. Cheap to share: build one at start-up.
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Self {
        let mut env = Environment::new();
        // `.html` templates escape every value unless a view marks it safe.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        // Escape strings as HTML but leave `/` alone (minijinja's default writes `&#x2f;`,
        // which is valid but makes every URL in the source unreadable).
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
                out.write_str(&escape_html(s))
                    .map_err(minijinja::Error::from)
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("built-in templates parse");
        }
        Renderer { env }
    }

    /// Renders template `name` with the view as `page`, and `title` for the head.
    pub fn render<T: Serialize>(
        &self,
        name: &str,
        title: &str,
        page: &T,
    ) -> Result<String, PublishError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|source| PublishError::Template {
                name: name.into(),
                source,
            })?;
        tmpl.render(minijinja::context! { page => Value::from_serialize(page), title => title })
            .map_err(|source| PublishError::Template {
                name: name.into(),
                source,
            })
    }
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_errors_render() {
        let r = Renderer::new();
        let html = r
            .render(
                "error.html",
                "Not found",
                &serde_json::json!({"status": 404, "title": "Not found", "detail": "<b>x</b>"}),
            )
            .unwrap();
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "{html}");
        assert!(html.contains("<main"), "{html}");
        let html = r
            .render(
                "error.html",
                "x",
                &serde_json::json!({"title": "a/b \"q\" 'x' & <y>", "detail": ""}),
            )
            .unwrap();
        assert!(
            html.contains("<h1>a/b &quot;q&quot; &#39;x&#39; &amp; &lt;y&gt;</h1>"),
            "{html}"
        );
    }
}
