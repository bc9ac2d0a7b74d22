//! A document's held texts as pages show them: numbered paragraphs with anchors that
//! citations point to (`#p12`, "Founding Act, para. 12"), headings unnumbered, and the
//! languages a reader can switch between. Shared by the document page and its text page
//! (`/documents/{slug}/text?lang=fr`).

use super::document::SourceLinkView;
use super::provenance::web_url;
use super::{Badge, Result};
use dossier_model::{Availability, Document, Text};
use dossier_store::Store;
use serde::Serialize;

/// One held text, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct TextView {
    /// BCP 47 tag (`und` when the import did not know the language).
    pub lang: String,
    pub lang_label: String,
    /// Where the text was taken from, as recorded (a file name or an address).
    pub source: Option<String>,
    /// The same, when it is an http(s) address a page may link to.
    pub source_url: Option<String>,
    /// How many numbered paragraphs it has.
    pub paragraphs: usize,
    pub blocks: Vec<BlockView>,
}

/// A heading or a numbered paragraph.
#[derive(Debug, Clone, Serialize)]
pub struct BlockView {
    pub heading: bool,
    /// The paragraph's number (1, 2, …); `None` for a heading.
    pub n: Option<usize>,
    /// The anchor: `p12` for paragraph 12, `h3` for the third heading.
    pub id: String,
    pub text: String,
}

/// A language the document's text is held in, for the language switch.
#[derive(Debug, Clone, Serialize)]
pub struct TextChoice {
    pub lang: String,
    pub lang_label: String,
    /// The text page in that language.
    pub url: String,
    /// The same page in the static export, which has no query strings: the first
    /// text at `/documents/{slug}/text`, another at `/documents/{slug}/text/{lang}`.
    pub static_url: String,
    pub paragraphs: usize,
    /// Whether this is the language shown.
    pub current: bool,
}

/// `/documents/{slug}/text`: one text of a document, in the language asked for.
#[derive(Debug, Serialize)]
pub struct DocumentTextView {
    pub slug: String,
    pub title: String,
    pub kind_label: String,
    pub badges: Vec<Badge>,
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub coverage: Option<String>,
    pub coverage_human: Option<String>,
    /// The document's page.
    pub url: String,
    /// The language asked for (`?lang=`), if any.
    pub requested_lang: Option<String>,
    /// The text shown: the one in the language asked for, else the first held. `None`
    /// when the archive holds no text of the document, or none in the language asked for.
    pub text: Option<TextView>,
    pub texts: Vec<TextChoice>,
    /// The languages the document exists in (held or not).
    pub languages: Vec<String>,
    pub availability: Availability,
    /// The official source links (where the text itself can be read).
    pub source_links: Vec<SourceLinkView>,
}

/// The text page's view; `None` when no document has the slug.
pub fn document_text(
    store: &dyn Store,
    slug: &str,
    lang: Option<&str>,
) -> Result<Option<DocumentTextView>> {
    let Some(d) = store.document(slug)? else {
        return Ok(None);
    };
    let requested_lang = lang.map(str::to_string);
    let shown = match lang {
        Some(l) => d.texts.iter().position(|t| t.lang.eq_ignore_ascii_case(l)),
        None => (!d.texts.is_empty()).then_some(0),
    };
    Ok(Some(DocumentTextView {
        url: format!("/documents/{}", d.slug),
        texts: choices(&d, shown),
        text: shown.map(|i| text_view(&d.texts[i])),
        source_links: source_links(&d),
        kind_label: d.kind.label().into(),
        badges: super::links::badges(&d),
        date: d.date.map(|x| x.to_string()),
        date_human: d.date.map(|x| x.human()),
        coverage: d.coverage.map(|x| x.to_string()),
        coverage_human: d.coverage.map(|x| x.human()),
        requested_lang,
        languages: d.languages,
        availability: d.availability,
        slug: d.slug,
        title: d.title,
    }))
}

/// The language switch: every held text, `shown` marked current.
pub(super) fn choices(d: &Document, shown: Option<usize>) -> Vec<TextChoice> {
    d.texts
        .iter()
        .enumerate()
        .map(|(i, t)| TextChoice {
            lang: t.lang.clone(),
            lang_label: language_label(&t.lang),
            url: format!("/documents/{}/text?lang={}", d.slug, t.lang),
            static_url: if i == 0 {
                format!("/documents/{}/text", d.slug)
            } else {
                format!("/documents/{}/text/{}", d.slug, t.lang)
            },
            paragraphs: paragraph_count(t),
            current: Some(i) == shown,
        })
        .collect()
}

/// The sources a reader can read the document at: the record's sources with a web
/// address, those titled as the official text first, each address once.
pub(super) fn source_links(d: &Document) -> Vec<SourceLinkView> {
    let mut links: Vec<SourceLinkView> = Vec::new();
    for s in &d.provenance.sources {
        let Some(url) = web_url(s.url.as_deref()) else {
            continue;
        };
        if links.iter().any(|l| l.url == url) {
            continue;
        }
        links.push(SourceLinkView {
            official: s.title.to_lowercase().contains("official text"),
            title: s.title.clone(),
            url,
        });
    }
    // Stable: the official ones first, the rest in the record's order.
    links.sort_by_key(|l| !l.official);
    links
}

fn paragraph_count(t: &Text) -> usize {
    t.blocks.iter().filter(|b| !b.heading).count()
}

/// A text's blocks numbered: paragraphs `p1, p2, …`, headings `h1, h2, …`.
pub(super) fn text_view(t: &Text) -> TextView {
    let (mut p, mut h) = (0, 0);
    let blocks = t
        .blocks
        .iter()
        .map(|b| {
            if b.heading {
                h += 1;
                BlockView {
                    heading: true,
                    n: None,
                    id: format!("h{h}"),
                    text: b.text.clone(),
                }
            } else {
                p += 1;
                BlockView {
                    heading: false,
                    n: Some(p),
                    id: format!("p{p}"),
                    text: b.text.clone(),
                }
            }
        })
        .collect();
    TextView {
        lang: t.lang.clone(),
        lang_label: language_label(&t.lang),
        source_url: web_url(t.source.as_deref()),
        source: t.source.clone(),
        paragraphs: p,
        blocks,
    }
}

/// A language's name in English for the tags NATO and its partners publish in; any
/// other tag is shown as written.
pub fn language_label(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let name = match primary.as_str() {
        "en" => "English",
        "fr" => "French",
        "ru" => "Russian",
        "uk" => "Ukrainian",
        "de" => "German",
        "es" => "Spanish",
        "it" => "Italian",
        "pl" => "Polish",
        "cs" => "Czech",
        "hu" => "Hungarian",
        "nl" => "Dutch",
        "pt" => "Portuguese",
        "tr" => "Turkish",
        "el" => "Greek",
        "ka" => "Georgian",
        "und" => "language not recorded",
        _ => return tag.to_string(),
    };
    if primary.len() == tag.len() {
        name.to_string()
    } else {
        format!("{name} ({tag})")
    }
}
