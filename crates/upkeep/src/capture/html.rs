//! Reading and rewriting a captured page's HTML and CSS: which images and stylesheets a
//! capture must also fetch, and the page as replay serves it, with nothing that runs and
//! nothing that reaches the live web.
//!
//! Replay is safe by two layers. The server sends every copy with a sandboxing CSP (no
//! scripts, no requests but to this site); and the rewriter takes out what the CSP alone
//! would leave dangerous or broken: scripts, frames, plugins, `<base>`, meta refresh and
//! every `http-equiv`, event-handler attributes, `javascript:` addresses, form targets,
//! preloads; images and styles point at their archived copies or at nothing; links point
//! at an archived copy of their target or are made inert (the address kept in `title`).

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, text, HtmlRewriter, Settings};
use std::cell::RefCell;
use url::Url;

/// The most subresources one page's capture fetches (images, stylesheets, their imports
/// and the images they name): a page cannot make one capture fetch without bound.
pub const MAX_RESOURCES: usize = 200;

/// What an address in a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Loaded with the page: an image, a stylesheet, an image a stylesheet names.
    Resource,
    /// Followed by the reader: a link.
    Link,
}

/// The http(s) address `raw` names, read against `base`; `None` for other schemes and
/// for what is not an address.
pub fn resolve(base: &Url, raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.starts_with('#') {
        return None;
    }
    let mut u = base.join(raw).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u)
}

/// An attribute's value with its character references decoded (`&amp;` as `&`), as a
/// browser reads it: the rewriter sees values as written.
fn attr(el: &Element<'_, '_>, name: &str) -> Option<String> {
    el.get_attribute(name)
        .map(|v| html_escape::decode_html_entities(&v).into_owned())
}

/// The candidates of a `srcset` (`a.png 1x, b.png 2x`): each address and what follows it.
fn srcset(value: &str) -> Vec<(&str, &str)> {
    value
        .split(',')
        .filter_map(|c| {
            let c = c.trim();
            let mut parts = c.splitn(2, char::is_whitespace);
            let url = parts.next().filter(|u| !u.is_empty())?;
            Some((url, parts.next().unwrap_or("").trim()))
        })
        .collect()
}

/// The images and stylesheets a page loads, in the order it names them, without repeats,
/// at most [`MAX_RESOURCES`].
pub fn resources_of_html(html: &[u8], base: &Url) -> Vec<Url> {
    let found: RefCell<Vec<Url>> = RefCell::new(Vec::new());
    let style = RefCell::new(String::new());
    let add = |raw: &str| {
        if let Some(u) = resolve(base, raw) {
            found.borrow_mut().push(u);
        }
    };
    let add_set = |raw: &str| {
        for (u, _) in srcset(raw) {
            add(u);
        }
    };
    let handlers = vec![
        element!("img[src], input[src], video[poster]", |el| {
            for a in ["src", "poster"] {
                if let Some(v) = attr(el, a) {
                    add(&v);
                }
            }
            Ok(())
        }),
        element!("img[srcset], source[srcset]", |el| {
            add_set(&attr(el, "srcset").unwrap_or_default());
            Ok(())
        }),
        element!("link[href]", |el| {
            if is_stylesheet(el) {
                add(&attr(el, "href").unwrap_or_default());
            }
            Ok(())
        }),
        element!("[style]", |el| {
            for u in urls_in_css(&attr(el, "style").unwrap_or_default(), base) {
                found.borrow_mut().push(u);
            }
            Ok(())
        }),
        text!("style", |t| {
            style.borrow_mut().push_str(t.as_str());
            if t.last_in_text_node() {
                let css = std::mem::take(&mut *style.borrow_mut());
                found.borrow_mut().extend(urls_in_css(&css, base));
            }
            Ok(())
        }),
    ];
    let mut rewriter = HtmlRewriter::new(
        handlers
            .into_iter()
            .fold(Settings::new(), Settings::append_element_content_handler),
        |_: &[u8]| {},
    );
    // A page the parser gives up on keeps what was found before.
    if rewriter.write(html).is_ok() {
        let _ = rewriter.end();
    }
    let found = found.take();
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Url> = found
        .into_iter()
        .filter(|u| seen.insert(u.to_string()))
        .collect();
    out.truncate(MAX_RESOURCES);
    out
}

fn is_stylesheet(el: &Element<'_, '_>) -> bool {
    attr(el, "rel").is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case("stylesheet"))
    })
}

/// `url(…)` and `@import "…"` in CSS: where each address is (its byte range, without
/// quotes) and the address as written.
fn css_refs(css: &str) -> Vec<(std::ops::Range<usize>, String)> {
    use std::sync::OnceLock;
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')"#,
        )
        .expect("the CSS address pattern compiles")
    });
    re.captures_iter(css)
        .filter_map(|c| {
            let m = (1..=5).find_map(|i| c.get(i))?;
            Some((m.range(), m.as_str().to_string()))
        })
        .collect()
}

/// The addresses CSS loads (`url(…)`, `@import`), read against `base`.
pub fn urls_in_css(css: &str, base: &Url) -> Vec<Url> {
    css_refs(css)
        .into_iter()
        .filter_map(|(_, raw)| resolve(base, &raw))
        .collect()
}

/// CSS with each address it loads replaced by `map`'s answer, or by nothing (`url("")`
/// loads nothing) where `map` has none.
pub fn rewrite_css(
    css: &str,
    base: &Url,
    map: &mut dyn FnMut(&Url, Use) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(css.len());
    let mut at = 0;
    for (range, raw) in css_refs(css) {
        out.push_str(&css[at..range.start]);
        let to = resolve(base, &raw)
            .and_then(|u| map(&u, Use::Resource))
            .unwrap_or_default();
        // Our paths hold no quote or parenthesis; keep CSS from ending early anyway.
        out.push_str(&to.replace(['"', '\'', '(', ')', '\\', '<', '>'], ""));
        at = range.end;
    }
    out.push_str(&css[at..]);
    out
}

/// Elements taken out with their content: they run code, load other documents, or change
/// where the page's addresses point.
const REMOVED: &str = "script, iframe, frame, frameset, object, embed, applet, base, portal, \
                       meta[http-equiv], noembed, param";

/// Attributes that only make sense for a live page, or that reach the network.
const DROPPED: [&str; 9] = [
    "ping",
    "formaction",
    "action",
    "integrity",
    "nonce",
    "srcdoc",
    "background",
    "lowsrc",
    "dynsrc",
];

/// Whether an attribute's value is a script address (`javascript:`, `vbscript:`, HTML in
/// a `data:` address), however it is spaced or cased.
fn scripted(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    v.starts_with("javascript:")
        || v.starts_with("vbscript:")
        || v.starts_with("data:text/html")
        || v.starts_with("data:image/svg")
        || v.starts_with("data:application")
}

/// The page as replay serves it: see the module's documentation. `banner` (trusted HTML)
/// goes first in the body. `map` gives the archived copy's address of a resource or link
/// target, or `None`.
pub fn rewrite_html(
    html: &[u8],
    base: &Url,
    banner: &str,
    map: &mut dyn FnMut(&Url, Use) -> Option<String>,
) -> Vec<u8> {
    rewrite_html_with_head(html, base, "", banner, map)
}

/// [`rewrite_html`] with `head` (trusted HTML, e.g. a CSP `<meta>` for a copy served
/// without headers) first in the `<head>`, or first in the page if it has none.
pub fn rewrite_html_with_head(
    html: &[u8],
    base: &Url,
    head: &str,
    banner: &str,
    map: &mut dyn FnMut(&Url, Use) -> Option<String>,
) -> Vec<u8> {
    let map = RefCell::new(map);
    let style = RefCell::new(String::new());
    let banner_placed = RefCell::new(false);
    let head_placed = RefCell::new(false);
    let mut out = Vec::with_capacity(html.len() + banner.len());
    let one = |raw: &str, kind: Use| -> Option<String> {
        let u = resolve(base, raw)?;
        (map.borrow_mut())(&u, kind)
    };
    let css = |text: &str| -> String {
        let mut m = map.borrow_mut();
        rewrite_css(text, base, &mut **m)
    };
    let handlers = vec![
        element!(REMOVED, |el| {
            el.remove();
            Ok(())
        }),
        element!("link", |el| {
            // Only stylesheets with a copy stay: preloads, prefetches, manifests and
            // imports would reach the live web.
            let to = is_stylesheet(el)
                .then(|| attr(el, "href"))
                .flatten()
                .and_then(|h| one(&h, Use::Resource));
            match to {
                Some(to) => {
                    el.set_attribute("href", &to)?;
                }
                None => el.remove(),
            }
            Ok(())
        }),
        element!("*", |el| {
            let names: Vec<String> = el.attributes().iter().map(|a| a.name()).collect();
            for name in names {
                let value = attr(el, &name).unwrap_or_default();
                if name.starts_with("on")
                    || DROPPED.contains(&name.as_str())
                    || scripted(&value)
                    || name.contains("href")
                        && !(name == "href"
                            && matches!(el.tag_name().as_str(), "a" | "area" | "link"))
                {
                    el.remove_attribute(&name);
                }
            }
            if let Some(s) = attr(el, "style") {
                el.set_attribute("style", &css(&s))?;
            }
            Ok(())
        }),
        element!("a[href], area[href]", |el| {
            let raw = attr(el, "href").unwrap_or_default();
            if raw.trim_start().starts_with('#') {
                return Ok(());
            }
            match one(&raw, Use::Link) {
                Some(to) => el.set_attribute("href", &to)?,
                None => {
                    el.remove_attribute("href");
                    el.remove_attribute("target");
                    if let Some(u) = resolve(base, &raw) {
                        let title = format!("Not archived: {u}").replace('&', "&amp;");
                        el.set_attribute("title", &title)?;
                    }
                }
            }
            Ok(())
        }),
        element!("img, input, video, audio, source, track", |el| {
            for a in ["src", "poster"] {
                if let Some(v) = attr(el, a) {
                    match one(&v, Use::Resource) {
                        Some(to) => el.set_attribute(a, &to)?,
                        None => el.remove_attribute(a),
                    }
                }
            }
            if let Some(v) = attr(el, "srcset") {
                let kept: Vec<String> = srcset(&v)
                    .into_iter()
                    .filter_map(|(u, rest)| {
                        one(u, Use::Resource).map(|to| format!("{to} {rest}").trim().to_string())
                    })
                    .collect();
                if kept.is_empty() {
                    el.remove_attribute("srcset");
                } else {
                    el.set_attribute("srcset", &kept.join(", "))?;
                }
            }
            Ok(())
        }),
        element!("head", |el| {
            if !head.is_empty() && !*head_placed.borrow() {
                el.prepend(head, ContentType::Html);
                *head_placed.borrow_mut() = true;
            }
            Ok(())
        }),
        element!("body", |el| {
            if !banner.is_empty() {
                el.prepend(banner, ContentType::Html);
                *banner_placed.borrow_mut() = true;
            }
            Ok(())
        }),
        text!("style", |t| {
            style.borrow_mut().push_str(t.as_str());
            if t.last_in_text_node() {
                let text = std::mem::take(&mut *style.borrow_mut());
                // `</` cannot end the element early: the rewritten CSS adds none, and
                // any that was there had already ended it.
                t.replace(&css(&text).replace("</", "<\\/"), ContentType::Html);
            } else {
                t.remove();
            }
            Ok(())
        }),
    ];
    let mut rewriter = HtmlRewriter::new(
        handlers
            .into_iter()
            .fold(Settings::new(), Settings::append_element_content_handler),
        |c: &[u8]| out.extend_from_slice(c),
    );
    let ok = rewriter.write(html).is_ok() && rewriter.end().is_ok();
    if !ok {
        // What the rewriter could not read is not served: the page ends where it stopped.
        note_unreadable_rest(&mut out);
    }
    if !*banner_placed.borrow() && !banner.is_empty() {
        let mut with = banner.as_bytes().to_vec();
        with.extend_from_slice(&out);
        out = with;
    }
    if !*head_placed.borrow() && !head.is_empty() {
        let mut with = head.as_bytes().to_vec();
        with.extend_from_slice(&out);
        out = with;
    }
    out
}

/// The note that ends a copy the rewriter could not read to its end.
fn note_unreadable_rest(out: &mut Vec<u8>) {
    out.extend_from_slice(
        b"\n<p><strong>The rest of this archived page could not be read safely and is not shown.</strong></p>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://a.example/dir/page.html").unwrap()
    }

    fn copy_of(u: &Url, kind: Use) -> Option<String> {
        let kept = [
            "https://a.example/s.css",
            "https://a.example/dir/i.png",
            "https://a.example/other",
            "https://a.example/other?x=1&y=2",
        ];
        kept.contains(&u.as_str()).then(|| match kind {
            Use::Resource => format!("/archive/1.x?{}", u.path()),
            Use::Link => "/archive/2".to_string(),
        })
    }

    #[test]
    fn a_page_s_images_and_styles_are_found() {
        let html = br#"<html><head><link rel="stylesheet" href="/s.css"><link rel="icon" href="/f.ico">
            <style>body{background:url('bg.png')} @import "more.css";</style></head>
            <body style="background-image:url(/b.gif)"><img src="i.png" srcset="i2.png 2x, i3.png 3x">
            <img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA"><a href="/x">x</a>
            <img src="i.png"></body></html>"#;
        let found: Vec<String> = resources_of_html(html, &base())
            .iter()
            .map(Url::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "https://a.example/s.css",
                "https://a.example/dir/bg.png",
                "https://a.example/dir/more.css",
                "https://a.example/b.gif",
                "https://a.example/dir/i.png",
                "https://a.example/dir/i2.png",
                "https://a.example/dir/i3.png",
            ]
        );
    }

    #[test]
    fn many_resources_are_bounded() {
        let html: String = (0..1000)
            .map(|i| format!("<img src=\"/{i}.png\">"))
            .collect();
        assert_eq!(
            resources_of_html(html.as_bytes(), &base()).len(),
            MAX_RESOURCES
        );
    }

    #[test]
    fn hostile_html_is_neutralised() {
        let html = br##"<!doctype html><html><head>
            <meta http-equiv="refresh" content="0;url=https://evil.example/">
            <meta charset="utf-8"><base href="https://evil.example/">
            <link rel="preload" href="https://evil.example/x.js" as="script">
            <link rel="stylesheet" href="https://evil.example/t.css">
            <link rel="stylesheet" href="/s.css">
            <script>alert(1)</script><script src="https://evil.example/a.js"></script>
            <style>p{background:url(https://evil.example/track.png)} </style>
            </head><body onload="alert(2)">
            <iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="y">
            <a href="javascript:alert(3)">js</a><a href=" JaVa&#x0A;script:alert(4)">js2</a>
            <a href="https://evil.example/live" target="_blank" ping="https://evil.example/p">live</a>
            <a href="/other">kept</a><a href="#top">top</a><a href="/other?x=1&amp;y=2">amp</a>
            <table background="https://evil.example/bg.png"><tr><td>t</td></tr></table>
            <img src="i.png" onerror="alert(5)"><img src="https://evil.example/t.gif">
            <form action="https://evil.example/post"><button formaction="https://evil.example/b">b</button></form>
            <svg><script>alert(6)</script><a href="javascript:alert(7)"><text>x</text></a><use href="https://evil.example/s.svg#a"/></svg>
            <p style="background:url(https://evil.example/s.png)">text</p>
            </body></html>"##;
        let out = String::from_utf8(rewrite_html(
            html,
            &base(),
            "<div id=banner>B</div>",
            &mut copy_of,
        ))
        .unwrap();
        for bad in [
            "<script",
            "alert(",
            "evil.example/",
            "<iframe",
            "<object",
            "<embed",
            "<base",
            "refresh",
            "onload",
            "onerror",
            "ping=",
            "action=",
            "preload",
        ] {
            let shown =
                bad == "evil.example/" && out.contains("Not archived: https://evil.example/live");
            if shown {
                // The inert link names its address in a title, nowhere it can be loaded.
                assert_eq!(out.matches("evil.example/").count(), 1, "{out}");
                continue;
            }
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(
            out.contains("<a title=\"Not archived: https://evil.example/live\">live</a>")
                || out.contains("title=\"Not archived: https://evil.example/live\""),
            "{out}"
        );
        assert!(out.contains("href=\"/archive/2\">kept</a>"), "{out}");
        assert!(out.contains("href=\"/archive/2\">amp</a>"), "{out}");
        // A script address spelt with a character reference is still one.
        assert!(out.contains("<a>js</a><a>js2</a>"), "{out}");
        assert!(out.contains("href=\"#top\""), "{out}");
        assert!(
            out.contains("<link rel=\"stylesheet\" href=\"/archive/1.x?/s.css\">"),
            "{out}"
        );
        assert!(out.contains("src=\"/archive/1.x?/dir/i.png\""), "{out}");
        assert!(out.contains("<body><div id=banner>B</div>"), "{out}");
        assert!(out.contains("url()"), "{out}");
        assert!(out.contains("<meta charset=\"utf-8\">"), "{out}");
    }

    #[test]
    fn the_head_goes_first_in_the_head() {
        let out = rewrite_html_with_head(
            b"<!doctype html><html><head><title>t</title></head><body>b</body></html>",
            &base(),
            "<meta name=x>",
            "",
            &mut copy_of,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<!doctype html><html><head><meta name=x><title>t</title></head><body>b</body></html>"
        );
        let out = rewrite_html_with_head(b"<p>x", &base(), "<meta name=x>", "", &mut copy_of);
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("<meta name=x><p>x"));
    }

    #[test]
    fn a_page_without_body_still_gets_its_banner() {
        let out = rewrite_html(b"<p>hi", &base(), "<div>B</div>", &mut copy_of);
        assert!(String::from_utf8(out).unwrap().starts_with("<div>B</div>"));
    }

    #[test]
    fn css_addresses_are_rewritten() {
        let css = "a{background:url( \"i.png\" )} b{background:url(/nowhere.png)} @import 'x.css';";
        let out = rewrite_css(
            css,
            &Url::parse("https://a.example/dir/").unwrap(),
            &mut copy_of,
        );
        assert_eq!(
            out,
            "a{background:url( \"/archive/1.x?/dir/i.png\" )} b{background:url()} @import '';"
        );
    }
}
