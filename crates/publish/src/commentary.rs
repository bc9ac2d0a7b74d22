//! Renders a section's Markdown commentary to HTML, resolving `ref:N` links.
//!
//! Commentary comes from imported files, so it is treated as hostile: raw HTML in it is
//! shown as text, and only `http`, `https`, `mailto` and site-relative links survive, by
//! the model's one rule for addresses (`dossier_model::url`): pulldown-cmark hands a
//! link's destination over as written (`javascript:`, `java&#9;script:` decoded to a tab,
//! `//evil.example`), so every destination is checked here.

use dossier_model::url::{self, Schemes};
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
    let mut out = String::new();
    html::push_html(&mut out, events(markdown, refs));
    out
}

/// A dated statement of the commentary (a section's claim, issue 25): its note ("as of
/// 28 May 2002") is shown at the end of the paragraph that says it.
#[derive(Debug, Clone)]
pub struct Mark {
    /// The words, as a reader sees them (link text without the link's syntax).
    pub statement: String,
    /// The note's text.
    pub note: String,
    /// The EDTF date, for `<time datetime>`.
    pub datetime: String,
    /// Flagged as possibly out of date.
    pub stale: bool,
}

/// [`render`], with each of `marks` placed right after its statement, in the first
/// paragraph (list item, heading) whose text says it (spaces compared loosely; a
/// statement that ends inside a link's words is marked after the link). Says which marks
/// were placed, so that a page lists the rest beside the commentary.
pub fn render_marked(markdown: &str, refs: &[RefLink], marks: &[Mark]) -> (String, Vec<bool>) {
    if marks.is_empty() {
        return (render(markdown, refs), Vec::new());
    }
    let wanted: Vec<String> = marks.iter().map(|m| squash(&m.statement)).collect();
    let mut placed = vec![false; marks.len()];
    let mut block: Vec<Event> = Vec::new();
    let mut out_events: Vec<Event> = Vec::new();
    for event in events(markdown, refs) {
        match &event {
            Event::Start(Tag::Paragraph | Tag::Item | Tag::Heading { .. }) => {
                // A block inside a block (a list item's paragraph): the outer one's
                // words so far are left as they are.
                out_events.append(&mut block);
                out_events.push(event);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => {
                mark_block(&mut block, marks, &wanted, &mut placed);
                out_events.append(&mut block);
                out_events.push(event);
            }
            _ => block.push(event),
        }
    }
    out_events.append(&mut block);
    let mut out = String::new();
    html::push_html(&mut out, out_events.into_iter());
    (out, placed)
}

/// Inserts into one block's events the note of each unplaced mark whose statement the
/// block's words contain, after the statement's last word.
fn mark_block(block: &mut Vec<Event>, marks: &[Mark], wanted: &[String], placed: &mut [bool]) {
    for (i, m) in marks.iter().enumerate() {
        if placed[i] || wanted[i].is_empty() {
            continue;
        }
        // The block's words, squashed, each squashed byte mapped to (event, byte after it).
        let mut text = String::new();
        let mut at: Vec<(usize, usize)> = Vec::new();
        for (k, e) in block.iter().enumerate() {
            let words: &str = match e {
                Event::Text(t) | Event::Code(t) => t,
                Event::SoftBreak | Event::HardBreak => " ",
                _ => continue,
            };
            for (b, c) in words.char_indices() {
                let space = c.is_whitespace();
                if space && (text.is_empty() || text.ends_with(' ')) {
                    continue;
                }
                let ch = if space { ' ' } else { c };
                for _ in 0..ch.len_utf8() {
                    at.push((k, b + c.len_utf8()));
                }
                text.push(ch);
            }
        }
        let Some(start) = text.find(&wanted[i]) else {
            continue;
        };
        let (k, split) = at[start + wanted[i].len() - 1];
        placed[i] = true;
        let note = Event::InlineHtml(CowStr::from(mark_html(m)));
        let whole = match &block[k] {
            Event::Text(t) | Event::Code(t) => split >= t.len(),
            _ => true,
        };
        if whole {
            // After the event, and after the closing tags that follow it (a link's end).
            let closes = |e: &Event| match e {
                Event::End(_) => true,
                Event::InlineHtml(h) => {
                    !h.starts_with("<a ")
                        && !h.starts_with("<span class=\"gap-ref\"")
                        && !h.contains("class=\"as-of")
                }
                _ => false,
            };
            let mut after = k + 1;
            while after < block.len() && closes(&block[after]) {
                after += 1;
            }
            block.insert(after, note);
        } else if let Event::Text(t) = &block[k] {
            let (a, b) = t.split_at(split);
            let (a, b) = (a.to_string(), b.to_string());
            block.splice(
                k..=k,
                [
                    Event::Text(CowStr::from(a)),
                    note,
                    Event::Text(CowStr::from(b)),
                ],
            );
        } else {
            block.insert(k + 1, note);
        }
    }
}

/// Words separated by single spaces.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn mark_html(m: &Mark) -> String {
    format!(
        " <span class=\"as-of{}\"><time datetime=\"{}\">({})</time></span>",
        if m.stale { " stale" } else { "" },
        attr(&m.datetime),
        attr(&m.note)
    )
}

/// The commentary's events, raw HTML turned to text and links checked.
fn events<'a>(markdown: &'a str, refs: &'a [RefLink]) -> impl Iterator<Item = Event<'a>> + 'a {
    let parser = Parser::new_ext(markdown, Options::empty());
    let mut stack: Vec<Option<String>> = Vec::new();
    parser.filter_map(move |event| match event {
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
    })
}

/// A site path (`/documents/x`, not `//host` or `/\\host`) or an absolute address of
/// `schemes`.
fn linkable(dest: &str, schemes: Schemes) -> bool {
    url::is_site_path(dest) || url::check(dest, schemes).is_ok()
}

fn attr(s: &str) -> String {
    dossier_model::html::escape_html(s)
}

/// The opening and closing HTML for a link, or `None` to drop the link and keep its text.
fn link_html(dest: &str, refs: &[RefLink]) -> (Option<String>, Option<String>) {
    if let Some(n) = dest
        .strip_prefix("ref:")
        .and_then(|n| n.parse::<usize>().ok())
    {
        return match n.checked_sub(1).and_then(|i| refs.get(i)) {
            // A view hands site paths or checked addresses; one that is neither is a gap.
            Some(RefLink::Link { href, .. }) if !linkable(href, Schemes::Web) => (
                Some("<span class=\"gap-ref\">".into()),
                Some(" <span class=\"gap\">(not a web address)</span></span>".into()),
            ),
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
    if linkable(dest, Schemes::WebOrMail) {
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
    fn a_dated_statement_is_marked_right_after_its_words() {
        let refs = [RefLink::Link {
            href: "/bodies/eapc".into(),
            class: "ref",
            title: "EAPC".into(),
        }];
        let mark = |statement: &str, stale: bool| Mark {
            statement: statement.into(),
            note: "as of 28 May 2002<script>".into(),
            datetime: "2002-05-28\"".into(),
            stale,
        };
        let (html, placed) = render_marked(
            "First.\n\nWhile Russia continues to participate in the meetings of the\n[Euro-Atlantic Partnership Council](ref:1), it is.\n\nLast.",
            &refs,
            &[
                mark("Russia continues to participate in the meetings of the Euro-Atlantic Partnership Council", true),
                mark("not in the text", false),
                mark("  ", false),
            ],
        );
        assert_eq!(placed, [true, false, false]);
        assert_eq!(html.matches("class=\"as-of").count(), 1, "{html}");
        assert!(
            html.contains("Partnership Council</a> <span class=\"as-of stale\"><time datetime=\"2002-05-28&quot;\">(as of 28 May 2002&lt;script&gt;)</time></span>, it is.</p>"),
            "{html}"
        );
        assert!(html.starts_with("<p>First.</p>"), "{html}");
        // Two statements of one paragraph, each marked after its own words.
        let (html, placed) = render_marked(
            "Russia  takes part. The Act is the main forum.\n\n* item one",
            &[],
            &[
                mark("Russia takes part", false),
                mark("the main forum", true),
                mark("item one", false),
            ],
        );
        assert_eq!(placed, [true, true, true]);
        assert!(
            html.contains("<p>Russia  takes part <span class=\"as-of\">"),
            "{html}"
        );
        assert!(html.contains("(as of 28 May 2002&lt;script&gt;)</time></span>. The Act is the main forum <span class=\"as-of stale\">"), "{html}");
        assert!(
            html.contains("<li>item one <span class=\"as-of\">"),
            "{html}"
        );
        // Without marks, the same as `render`.
        let md = "A [b](ref:1) c.";
        assert_eq!(render_marked(md, &refs, &[]).0, render(md, &refs));
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

    /// Issue 20, finding 3: no spelling of a hostile link in commentary is rendered as a
    /// live link (pulldown-cmark decodes `&#106;` and `&#9;` in destinations); the text
    /// stays, web, mail and site links stay live.
    #[test]
    fn hostile_link_destinations_render_no_live_link() {
        let mut dests: Vec<String> = url::HOSTILE_URLS
            .iter()
            .filter(|u| !u.starts_with("mailto:") && !u.starts_with("/relative"))
            .map(|u| format!("<{}>", u.replace('>', "%3E")))
            .collect();
        dests.extend(
            [
                "&#106;avascript:alert(1)",
                "java&#9;script:alert(1)",
                "java&#x0A;script:alert(1)",
                "javascript&#58;alert(1)",
                "JaVaScRiPt:alert(1)",
                "%20javascript:alert(1)",
                "//evil.example",
                "/\\evil.example",
            ]
            .map(String::from),
        );
        for d in &dests {
            for md in [format!("[x]({d})"), format!("[x]: {d}\n\nsee [x]")] {
                let html = render(&md, &[]);
                assert!(!html.contains("<a"), "{md:?}: {html}");
                assert!(html.contains('x'), "{md:?}: {html}");
            }
        }
        let html = render(
            "[w](https://example.org) [m](mailto:a@example.org) [s](/documents/x)",
            &[],
        );
        assert_eq!(html.matches("<a href=").count(), 3, "{html}");
        // A reference that a view resolved to a hostile address is shown as a gap.
        let refs = [RefLink::Link {
            href: "javascript:alert(1)".into(),
            class: "ref external",
            title: "t".into(),
        }];
        let html = render("[here](ref:1)", &refs);
        assert!(!html.contains("<a"), "{html}");
    }

    proptest::proptest! {
        /// Whatever the destination, every `href` written is a site path or an absolute
        /// http(s) or mailto address, once the browser has decoded the attribute.
        #[test]
        fn every_written_href_passes_the_rule(
            pre in "(javascript:|JaVa\tScRiPt:|java&#9;script:|&#106;avascript:|//|/\\\\|https://|mailto:|data:| )?",
            rest in "[ -~\t\n]{0,30}",
        ) {
            let dest = format!("{pre}{rest}");
            for md in [format!("[x]({dest})"), format!("[x](<{dest}>)"), format!("<{dest}>")] {
                let html = render(&md, &[]);
                let mut tail = html.as_str();
                while let Some(i) = tail.find("href=\"") {
                    tail = &tail[i + 6..];
                    let end = tail.find('"').unwrap();
                    let value = tail[..end]
                        .replace("&quot;", "\"")
                        .replace("&#39;", "'")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&");
                    proptest::prop_assert!(
                        linkable(&value, Schemes::WebOrMail),
                        "{md:?} wrote href {value:?}"
                    );
                }
            }
        }
    }
}
