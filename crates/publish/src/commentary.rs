//! Renders a section's Markdown commentary to HTML, resolving `ref:N` links.
//!
//! Commentary comes from imported files, so it is treated as hostile: raw HTML in it is
//! shown as text, and only `http`, `https`, `mailto` and site-relative links survive.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// How one reference of the section is to be shown.
#[derive(Debug, Clone)]
pub enum RefLink {
    /// A link to a record or a site.
    Link {
        href: String,
        class: &'static str,
        title: String,
    },
    /// Not a link: a gap the reader should see (unresolved, or not in the archive yet).
    Gap { note: String },
}

/// Renders `markdown`; `refs[n-1]` tells how `ref:n` is shown.
pub fn render(markdown: &str, refs: &[RefLink]) -> String {
    let parser = Parser::new_ext(markdown, Options::empty());
    let mut stack: Vec<Option<String>> = Vec::new();
    let events = parser.filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link { dest_url, .. }) => {
            let (open, close) = link_html(&dest_url, refs);
            stack.push(close);
            open.map(|h| Event::InlineHtml(CowStr::from(h)))
        }
        Event::End(TagEnd::Link) => stack
            .pop()
            .flatten()
            .map(|h| Event::InlineHtml(CowStr::from(h))),
        // Images from imported text are not fetched; their alt text is shown.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn attr(s: &str) -> String {
    crate::html::escape_html(s)
}

/// The opening and closing HTML for a link, or `None` to drop the link and keep its text.
fn link_html(dest: &str, refs: &[RefLink]) -> (Option<String>, Option<String>) {
    if let Some(n) = dest
        .strip_prefix("ref:")
        .and_then(|n| n.parse::<usize>().ok())
    {
        return match n.checked_sub(1).and_then(|i| refs.get(i)) {
            Some(RefLink::Link { href, class, title }) => (
                Some(format!(
                    "<a class=\"{class}\" href=\"{}\" title=\"{}\">",
                    attr(href),
                    attr(title)
                )),
                Some("</a>".into()),
            ),
            Some(RefLink::Gap { note }) => (
                Some("<span class=\"gap-ref\">".into()),
                Some(format!(
                    " <span class=\"gap\">({})</span></span>",
                    attr(note)
                )),
            ),
            None => (
                Some("<span class=\"gap-ref\">".into()),
                Some(" <span class=\"gap\">(reference missing)</span></span>".into()),
            ),
        };
    }
    let safe = dest.starts_with("https://")
        || dest.starts_with("http://")
        || dest.starts_with("mailto:")
        || (dest.starts_with('/') && !dest.starts_with("//"));
    if safe {
        (
            Some(format!("<a href=\"{}\" rel=\"external\">", attr(dest))),
            Some("</a>".into()),
        )
    } else {
        (None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_references_and_marks_gaps() {
        let refs = vec![
            RefLink::Link {
                href: "/documents/act".into(),
                class: "ref",
                title: "Founding act, 27 May 1997".into(),
            },
            RefLink::Gap {
                note: "not in the archive yet".into(),
            },
        ];
        let html = render(
            "The [Act](ref:1) and [Ukraine](ref:2). [lost](ref:9)",
            &refs,
        );
        assert_eq!(
            html,
            "<p>The <a class=\"ref\" href=\"/documents/act\" title=\"Founding act, 27 May 1997\">Act</a> and \
             <span class=\"gap-ref\">Ukraine <span class=\"gap\">(not in the archive yet)</span></span>. \
             <span class=\"gap-ref\">lost <span class=\"gap\">(reference missing)</span></span></p>\n"
        );
    }

    #[test]
    fn hostile_markup_is_text() {
        let html = render(
            "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
            &[],
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
