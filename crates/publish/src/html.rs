//! HTML rendering through minijinja templates, with auto-escaping on.
//!
//! The templates are files in `templates/`, compiled into the binary so the server needs
//! nothing on disk; the static export renders the same templates.
//!
//! Links: views carry site paths (`/documents/x`); templates write them through the `link`
//! filter (and trusted HTML through `relink`). On the server a path stays as it is; in the
//! static export it becomes a relative file link (`../documents/x.html`) from the page
//! being written, so the exported site works from any folder, sub-path or `file://`.

use crate::PublishError;
use dossier_model::html::write_escaped;
use minijinja::{Environment, Value};
use serde::Serialize;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("claims.html", include_str!("../templates/claims.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("dossier.html", include_str!("../templates/dossier.html")),
    ("document.html", include_str!("../templates/document.html")),
    (
        "document-text.html",
        include_str!("../templates/document-text.html"),
    ),
    ("body.html", include_str!("../templates/body.html")),
    ("person.html", include_str!("../templates/person.html")),
    ("event.html", include_str!("../templates/event.html")),
    ("topic.html", include_str!("../templates/topic.html")),
    ("timeline.html", include_str!("../templates/timeline.html")),
    (
        "chronology.html",
        include_str!("../templates/chronology.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("browse.html", include_str!("../templates/browse.html")),
    (
        "collections.html",
        include_str!("../templates/collections.html"),
    ),
    ("dossiers.html", include_str!("../templates/dossiers.html")),
    (
        "static-search-form.html",
        include_str!("../templates/static-search-form.html"),
    ),
    (
        "static-search.html",
        include_str!("../templates/static-search.html"),
    ),
    ("login.html", include_str!("../templates/login.html")),
    ("account.html", include_str!("../templates/account.html")),
    (
        "admin-users.html",
        include_str!("../templates/admin-users.html"),
    ),
    (
        "admin-audit.html",
        include_str!("../templates/admin-audit.html"),
    ),
    (
        "admin-roles.html",
        include_str!("../templates/admin-roles.html"),
    ),
    (
        "review-links.html",
        include_str!("../templates/review-links.html"),
    ),
    (
        "review-gaps.html",
        include_str!("../templates/review-gaps.html"),
    ),
    ("history.html", include_str!("../templates/history.html")),
    ("revision.html", include_str!("../templates/revision.html")),
    ("changes.html", include_str!("../templates/changes.html")),
    ("merges.html", include_str!("../templates/merges.html")),
    (
        "merge-preview.html",
        include_str!("../templates/merge-preview.html"),
    ),
    ("merge.html", include_str!("../templates/merge.html")),
    (
        "merge-start.html",
        include_str!("../templates/merge-start.html"),
    ),
    (
        "dossier-edit.html",
        include_str!("../templates/dossier-edit.html"),
    ),
    ("edit.html", include_str!("../templates/edit.html")),
    (
        "edit-form.html",
        include_str!("../templates/edit-form.html"),
    ),
    (
        "delete-form.html",
        include_str!("../templates/delete-form.html"),
    ),
    (
        "diff-table.html",
        include_str!("../templates/diff-table.html"),
    ),
    ("conflict.html", include_str!("../templates/conflict.html")),
    ("drafts.html", include_str!("../templates/drafts.html")),
    ("draft.html", include_str!("../templates/draft.html")),
];

/// The site's stylesheet, served at `/static/style.css`.
pub const STYLESHEET: &str = include_str!("../templates/style.css");

/// The static export's search script, written to `static/search.js`.
pub const SEARCH_SCRIPT: &str = include_str!("../templates/search.js");

/// The editing forms' progressive enhancement, served at `/static/edit.js`.
pub const EDIT_SCRIPT: &str = include_str!("../templates/edit.js");

/// The outline editor's progressive enhancement, served at `/static/outline.js`.
pub const OUTLINE_SCRIPT: &str = include_str!("../templates/outline.js");

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
                write_escaped(out, s).map_err(minijinja::Error::from)
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        // Every `href`/`src` a template writes goes through `link`: a site path (made
        // relative in the static export), a fragment, or an absolute http(s) address that
        // passes the model's one rule. Anything else (a `javascript:` address that reached
        // the store some other way) becomes `#`, so that no template can write a live
        // script link even if a view forgets to drop it; templates test `is linkable`
        // first, to show such an address as no link at all.
        env.add_filter("link", |state: &minijinja::State, url: String| -> String {
            if !is_linkable(&url) {
                return "#".into();
            }
            match static_root(state) {
                Some(root) => static_link(&root, &url),
                None => url,
            }
        });
        env.add_test("linkable", |url: Option<&str>| url.is_some_and(is_linkable));
        env.add_filter(
            "relink",
            |state: &minijinja::State, html: String| -> Value {
                match static_root(state) {
                    Some(root) => Value::from_safe_string(relink_html(&root, &html)),
                    None => Value::from_safe_string(html),
                }
            },
        );
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
        self.render_context(
            name,
            minijinja::context! { page => Value::from_serialize(page), title => title },
        )
    }

    /// Renders template `name` as [`Renderer::render`] does, with the keys of `extra` (an
    /// object) added to the context: the server's `viewer` (the logged-in editor, for the
    /// menu in `base.html`). The static export never passes one.
    pub fn render_with<T: Serialize, E: Serialize + ?Sized>(
        &self,
        name: &str,
        title: &str,
        page: &T,
        extra: &E,
    ) -> Result<String, PublishError> {
        self.render_context(
            name,
            minijinja::context! {
                page => Value::from_serialize(page),
                title => title,
                ..Value::from_serialize(extra)
            },
        )
    }

    /// Renders a page of the static export that will be written `depth` folders below the
    /// export's root (`index.html`: 0, `documents/x.html`: 1): every site link becomes a
    /// relative file link.
    pub fn render_static<T: Serialize>(
        &self,
        name: &str,
        title: &str,
        page: &T,
        depth: usize,
    ) -> Result<String, PublishError> {
        self.render_context(
            name,
            minijinja::context! {
                page => Value::from_serialize(page),
                title => title,
                static_site => true,
                static_root => "../".repeat(depth),
            },
        )
    }

    /// [`Renderer::render_static`] with the keys of `extra` (an object) added to the
    /// context: a record page's JSON-LD.
    pub fn render_static_with<T: Serialize, E: Serialize + ?Sized>(
        &self,
        name: &str,
        title: &str,
        page: &T,
        depth: usize,
        extra: &E,
    ) -> Result<String, PublishError> {
        self.render_context(
            name,
            minijinja::context! {
                page => Value::from_serialize(page),
                title => title,
                static_site => true,
                static_root => "../".repeat(depth),
                ..Value::from_serialize(extra)
            },
        )
    }

    /// Renders template `name` with `context`; a failure names the template.
    fn render_context(&self, name: &str, context: Value) -> Result<String, PublishError> {
        let failed = |source| PublishError::Template {
            name: name.into(),
            source,
        };
        self.env
            .get_template(name)
            .map_err(failed)?
            .render(context)
            .map_err(failed)
    }
}

/// Whether a template may write `url` into an `href` or `src`: a path on this site, a
/// fragment of this page, or an absolute http(s) address (`dossier_model::url`).
pub fn is_linkable(url: &str) -> bool {
    use dossier_model::url::{is_site_path, is_web_url};
    let fragment = url.strip_prefix('#').is_some_and(|f| {
        !f.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
    });
    fragment || is_site_path(url) || is_web_url(url)
}

/// The relative root of the page being rendered, in the static export only.
fn static_root(state: &minijinja::State) -> Option<String> {
    let v = state.lookup("static_root")?;
    v.as_str().map(str::to_string)
}

/// The file a site path is written to in the static export, relative to its root:
/// `/` → `index.html`, `/documents/x` → `documents/x.html`, `/static/style.css` and other
/// paths whose last part has a dot → themselves.
pub fn static_file(path: &str) -> String {
    let p = path.trim_start_matches('/');
    let last = p.rsplit('/').next().unwrap_or_default();
    if p.is_empty() {
        "index.html".into()
    } else if p.ends_with('/') {
        format!("{p}index.html")
    } else if last.contains('.') {
        p.into()
    } else {
        format!("{p}.html")
    }
}

/// A site link as a relative file link from a page whose root is `root` (`../../`).
/// Links that are not site paths (`https://…`, `#x`, `mailto:`) are left alone; a query
/// string has no meaning in a static copy and is dropped.
pub fn static_link(root: &str, url: &str) -> String {
    if !url.starts_with('/') || url.starts_with("//") {
        return url.to_string();
    }
    let (path, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let path = path.split('?').next().unwrap_or_default();
    format!("{root}{}{fragment}", static_file(path))
}

/// Rewrites the site links (`href="/…"`) of HTML that we rendered ourselves (commentary)
/// into static file links. The values were escaped when written; site paths hold no
/// character that escaping changes, so they are rewritten as they are.
pub fn relink_html(root: &str, html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        let start = i + "href=\"".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        if value.starts_with('/') && !value.starts_with("//") {
            out.push_str(&static_link(root, value));
        } else {
            out.push_str(value);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_links_are_relative_files() {
        assert_eq!(static_link("", "/"), "index.html");
        assert_eq!(static_link("../", "/documents/x"), "../documents/x.html");
        assert_eq!(
            static_link("../../", "/dossiers/d/chronology?body=pjc"),
            "../../dossiers/d/chronology.html"
        );
        assert_eq!(
            static_link("../", "/dossiers/d#a-i-1"),
            "../dossiers/d.html#a-i-1"
        );
        assert_eq!(
            static_link("../", "/static/style.css"),
            "../static/style.css"
        );
        assert_eq!(
            static_link("../", "/citations/x.csl.json"),
            "../citations/x.csl.json"
        );
        assert_eq!(
            static_link("../", "https://nato.int/x"),
            "https://nato.int/x"
        );
        assert_eq!(static_link("../", "//evil.org/x"), "//evil.org/x");
        assert_eq!(static_link("../", "#top"), "#top");
        assert_eq!(
            relink_html(
                "../",
                "<a class=\"ref\" href=\"/documents/act\" title=\"x\">A</a> <a href=\"https://x.org/\">B</a>"
            ),
            "<a class=\"ref\" href=\"../documents/act.html\" title=\"x\">A</a> <a href=\"https://x.org/\">B</a>"
        );
    }

    /// Issue 20, finding 3: the `link` filter writes no address a browser would run or
    /// send elsewhere, whatever a view hands it.
    #[test]
    fn the_link_filter_refuses_every_hostile_address() {
        let r = Renderer::new();
        for url in dossier_model::url::HOSTILE_URLS {
            for static_site in [false, true] {
                let mut env = r.env.clone();
                env.add_template(
                    "t.html",
                    "<a href=\"{{ u|link }}\">{% if u is linkable %}live{% endif %}</a>",
                )
                .unwrap();
                let t = env.get_template("t.html").unwrap();
                let html = if static_site {
                    t.render(minijinja::context! { u => url, static_root => "../" })
                } else {
                    t.render(minijinja::context! { u => url })
                }
                .unwrap();
                let keep = url.starts_with('/') && dossier_model::url::is_site_path(url);
                if keep {
                    assert!(html.ends_with(">live</a>"), "{url:?}: {html}");
                } else {
                    assert_eq!(html, "<a href=\"#\"></a>", "{url:?}");
                }
            }
        }
        assert!(is_linkable("https://example.org/a?b=c"));
        assert!(is_linkable("/documents/x"));
        assert!(is_linkable("#a-1"));
        assert!(!is_linkable("#\"onmouseover=x"));
    }

    #[test]
    fn server_and_static_renderings_of_one_page() {
        let r = Renderer::new();
        let page = serde_json::json!({"status": 404, "title": "Gone", "detail": ""});
        let server = r.render("error.html", "Gone", &page).unwrap();
        assert!(server.contains("href=\"/static/style.css\""), "{server}");
        assert!(server.contains("Accept: application/json"), "{server}");
        let copy = r.render_static("error.html", "Gone", &page, 2).unwrap();
        assert!(copy.contains("href=\"../../static/style.css\""), "{copy}");
        assert!(copy.contains("href=\"../../index.html\""), "{copy}");
        assert!(!copy.contains("href=\"/"), "{copy}");
        assert!(copy.contains("static copy"), "{copy}");
    }

    /// The server's logged-in pages carry the editor's menu (escaped like everything
    /// else); anonymous pages a link to log in; the static export neither.
    #[test]
    fn the_editor_s_menu_and_the_login_link() {
        let r = Renderer::new();
        let page = serde_json::json!({"status": 404, "title": "Gone", "detail": ""});
        let viewer = serde_json::json!({"viewer": {
            "name": "<script>x</script>", "role": "editor", "csrf": "t\"k",
            "menu": [{"url": "/account", "label": "Your account"}],
        }});
        let html = r.render_with("error.html", "Gone", &page, &viewer).unwrap();
        assert!(html.contains("<nav class=\"editor\""), "{html}");
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<script>x"), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"t&quot;k\""), "{html}");
        assert!(
            html.contains("<a href=\"/account\">Your account</a>"),
            "{html}"
        );
        assert!(!html.contains("Editors: log in"), "{html}");
        let anonymous = r.render("error.html", "Gone", &page).unwrap();
        assert!(!anonymous.contains("class=\"editor\""), "{anonymous}");
        assert!(anonymous.contains("href=\"/login\""), "{anonymous}");
        let copy = r.render_static("error.html", "Gone", &page, 1).unwrap();
        assert!(!copy.contains("login"), "{copy}");
    }

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
