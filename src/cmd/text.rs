//! `dossier import text`: a document's text in one language, attached to a document the
//! archive holds. The write goes through the import pipeline (one record), so it is
//! validated, versioned as an import, indexed, and keeps an editor's change to the
//! document's texts unless `--overwrite-edits`.

use super::import::{finish, inputs, options, run_import};
use crate::cli::TextArgs;
use crate::out::outln;
use anyhow::{bail, Context, Result};
use dossier_import::Input;
use dossier_ingest::import::{base_name, read_bounded, ImportError, Imported, Item, RecordSource};
use dossier_ingest::text::{read_text, TextFormat, MAX_TEXT_BYTES};
use dossier_ingest::xml::Pos;
use dossier_model::{check_language_tag, is_valid_slug, Document, Record, Text};
use dossier_store::Store;
use std::path::Path;

/// `lang` if it is a BCP 47 tag, else an error for the person who typed it.
pub(super) fn checked_lang(lang: &str) -> Result<String> {
    check_language_tag(lang).map_err(|e| anyhow::anyhow!("--lang: {e}"))?;
    Ok(lang.to_string())
}

pub fn import_text(data_dir: &Path, args: TextArgs) -> Result<()> {
    let lang = checked_lang(&args.lang)?;
    if !is_valid_slug(&args.document) {
        bail!(
            "--document {:?} is not a valid slug: use lowercase letters, digits and single hyphens",
            args.document
        );
    }
    let format = match &args.format {
        Some(f) => TextFormat::parse(f).with_context(|| {
            format!("--format {f:?}: use html, markdown, tei or plain")
        })?,
        None => TextFormat::from_path(&args.file).with_context(|| {
            format!(
                "{}: cannot tell the format from the file's extension; name it with --format html, markdown, tei or plain",
                args.file.display()
            )
        })?,
    };
    let files = inputs(std::slice::from_ref(&args.file))?;
    let input = &files[0];
    let bytes = read_bounded(&input.path, &input.name, MAX_TEXT_BYTES as u64, "a text")?;
    let blocks = read_text(&bytes, format, &input.name)?;
    let store = super::open_store(data_dir)?;
    let Some(document) = store.document(&args.document)? else {
        bail!(
            "no document `{}` in the archive; import or create it first",
            args.document
        );
    };
    let text = Text {
        lang,
        blocks,
        source: Some(
            args.source
                .clone()
                .unwrap_or_else(|| base_name(&input.name)),
        ),
    };
    let paragraphs = text.blocks.iter().filter(|b| !b.heading).count();
    let label = format!(
        "{} text of `{}` ({paragraphs} paragraph(s), from {format})",
        text.lang, document.slug
    );
    let changed = with_text(document, text);
    let name = input.name.clone();
    let open = move |_: &Input| -> Result<Box<dyn RecordSource + Send>> {
        Ok(Box::new(OneRecord(Some(changed.clone()), name.clone())))
    };
    // The document joins the collection too, as every import's records do.
    let mut options = options(args.flags);
    options.collection = super::collection::resolve(&store, &args.collection, args.flags.dry_run)?;
    let report = run_import(data_dir, &store, &files, &open, options, "document")?;
    outln!("The {label}:")?;
    finish(report, args.flags, 1)
}

/// `d` with `text` in place of its text in the same language (or added after the
/// others), and the language among its languages.
pub(super) fn with_text(mut d: Document, text: Text) -> Document {
    if !d
        .languages
        .iter()
        .any(|l| l.eq_ignore_ascii_case(&text.lang))
        && text.lang != dossier_model::UNDETERMINED_LANGUAGE
    {
        d.languages.push(text.lang.clone());
    }
    match d
        .texts
        .iter_mut()
        .find(|t| t.lang.eq_ignore_ascii_case(&text.lang))
    {
        Some(t) => *t = text,
        None => d.texts.push(text),
    }
    d
}

/// The one document an import of a text writes, and the file its text came from.
struct OneRecord(Option<Document>, String);

impl RecordSource for OneRecord {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        Ok(self.0.take().map(|d| {
            Item::Record(Box::new(Imported {
                record: Record::Document(d),
                linked: Vec::new(),
                file: self.1.clone(),
                pos: Pos { line: 1, column: 1 },
                matches: Vec::new(),
            }))
        }))
    }
    fn bytes_read(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::TextBlock;

    fn text(lang: &str, words: &str) -> Text {
        Text {
            lang: lang.into(),
            blocks: vec![TextBlock {
                heading: false,
                text: words.into(),
            }],
            source: None,
        }
    }

    #[test]
    fn a_text_replaces_the_one_in_its_language_and_adds_the_language() {
        let mut d: Document = serde_json::from_value(serde_json::json!({
            "slug": "d", "title": "D", "kind": "treaty", "languages": ["en"],
        }))
        .unwrap();
        d = with_text(d, text("en", "one"));
        d = with_text(d, text("fr", "un"));
        d = with_text(d, text("EN", "two"));
        assert_eq!(d.languages, ["en", "fr"]);
        let got: Vec<(&str, String)> = d
            .texts
            .iter()
            .map(|t| (t.lang.as_str(), t.plain_text()))
            .collect();
        assert_eq!(got, [("EN", "two".to_string()), ("fr", "un".to_string())]);
    }

    #[test]
    fn a_language_tag_is_checked() {
        assert!(checked_lang("pt-BR").is_ok());
        for bad in ["", "e", "en_GB", "../x", "<script>", "en-", &"a".repeat(40)] {
            let e = checked_lang(bad).unwrap_err().to_string();
            assert!(e.starts_with("--lang: "), "{bad}: {e}");
        }
    }
}
