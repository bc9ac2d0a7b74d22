//! The editing forms' fields: one table per record type (what the model has, in its
//! order), the record's JSON turned into a form's inputs, and a posted form read back into
//! the record's JSON. Nothing here judges a value: the model's rules do
//! (`Editing::check`), and their errors are put back beside the inputs they name.

use dossier_model::kinds::*;
use dossier_model::{ExternalId, IdScheme, RecordType};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Empty rows a nested list offers for adding, below the ones it has.
const BLANK_ROWS: usize = 2;
/// The most rows one nested list is read with (a hostile form names row 10⁹).
const MAX_ROWS: usize = 500;

/// A choice's values: the vocabulary's slugs and labels, from the model.
type Choices = fn() -> Vec<(&'static str, &'static str)>;

macro_rules! vocabulary {
    ($kind:ty) => {
        (|| <$kind>::ALL.iter().map(|k| (k.slug(), k.label())).collect()) as Choices
    };
}

/// How a top-level field is typed.
#[derive(Clone, Copy)]
pub(crate) enum Input {
    /// One line of text.
    Text,
    /// Paragraphs of plain text.
    LongText,
    /// An EDTF date, typed as written.
    Date,
    /// One of a vocabulary's values; `optional`: none may be chosen.
    Choice(Choices, bool),
    /// Yes, no, or not known (`Option<bool>`).
    Flag,
    /// A list of strings, one per line.
    Lines,
    /// A list of slugs, one per line (commas also part them).
    Slugs,
    /// One slug.
    Slug,
    /// A list of objects, a row each.
    Rows(&'static [Column]),
}

/// A column of a nested list.
pub(crate) struct Column {
    pub name: &'static str,
    pub label: &'static str,
    pub cell: Cell,
}

/// How a cell of a nested list is typed.
#[derive(Clone, Copy)]
pub(crate) enum Cell {
    Text,
    /// A longer text (a quote).
    LongText,
    Url,
    Date,
    Slug,
    Choice(Choices),
    /// A short list, parted by commas (the fields a source supports).
    List,
    /// A document's text: paragraphs at blank lines, a line that starts `## ` a heading
    /// (the model's `blocks`).
    Blocks,
}

/// A field of a record's form.
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// A line of help under the input.
    pub help: &'static str,
}

const fn field(name: &'static str, label: &'static str, input: Input, help: &'static str) -> Field {
    Field {
        name,
        label,
        input,
        help,
    }
}

const SOURCES: &[Column] = &[
    Column {
        name: "title",
        label: "Title",
        cell: Cell::Text,
    },
    Column {
        name: "url",
        label: "Address (http or https)",
        cell: Cell::Url,
    },
    Column {
        name: "fields",
        label: "Fields it supports (commas)",
        cell: Cell::List,
    },
];

const TEXTS: &[Column] = &[
    Column {
        name: "lang",
        label: "Language (en, fr, ru)",
        cell: Cell::Text,
    },
    Column {
        name: "blocks",
        label: "Text (paragraphs at blank lines; a line starting ## is a heading)",
        cell: Cell::Blocks,
    },
    Column {
        name: "source",
        label: "Taken from (address or file)",
        cell: Cell::Text,
    },
];

/// A dated fact (issue 25): the field it dates, the words where it dates a sentence, and
/// the last date it was known to hold.
const CLAIMS: &[Column] = &[
    Column {
        name: "field",
        label: "Field it dates (summary, status, availability…)",
        cell: Cell::Text,
    },
    Column {
        name: "statement",
        label: "The words it dates (blank: the whole field)",
        cell: Cell::LongText,
    },
    Column {
        name: "as_of",
        label: "Known to hold as of (EDTF)",
        cell: Cell::Date,
    },
];

const TRACE: &[Column] = &[
    Column {
        name: "section",
        label: "Section key",
        cell: Cell::Text,
    },
    Column {
        name: "quote",
        label: "Quote",
        cell: Cell::LongText,
    },
    Column {
        name: "fields",
        label: "Fields it supports (commas)",
        cell: Cell::List,
    },
];

const RELATIONS: &[Column] = &[
    Column {
        name: "type",
        label: "Relation",
        cell: Cell::Choice(vocabulary!(DocumentRelation)),
    },
    Column {
        name: "document",
        label: "Document (slug)",
        cell: Cell::Slug,
    },
];

const BODY_LINKS: &[Column] = &[
    Column {
        name: "slug",
        label: "Body (slug)",
        cell: Cell::Slug,
    },
    Column {
        name: "date",
        label: "Date (EDTF)",
        cell: Cell::Date,
    },
];

const OFFICES: &[Column] = &[
    Column {
        name: "title",
        label: "Office",
        cell: Cell::Text,
    },
    Column {
        name: "body",
        label: "Body (slug)",
        cell: Cell::Slug,
    },
    Column {
        name: "start",
        label: "From (EDTF)",
        cell: Cell::Date,
    },
    Column {
        name: "end",
        label: "Until (EDTF)",
        cell: Cell::Date,
    },
];

/// An identifier in an outside authority file (issue 28): which file, and the value as
/// that file writes it.
const IDENTIFIERS: &[Column] = &[
    Column {
        name: "scheme",
        label: "Authority file",
        cell: Cell::Choice(
            (|| {
                IdScheme::ALL
                    .iter()
                    .map(|s| (s.as_str(), s.label()))
                    .collect()
            }) as Choices,
        ),
    },
    Column {
        name: "value",
        label: "Identifier",
        cell: Cell::Text,
    },
];

const IDENTIFIERS_HELP: &str = "The same record in other archives' authority files: Wikidata (Q7184), VIAF (124960346), ISNI (0000 0001 2103 2683) or GND (2024580-1).";

const DATE_HELP: &str = "EDTF, as written: 1997-05-27, 1997-05, 2002-04-15?, 1999/2000.";
const SLUGS_HELP: &str = "Slugs, one per line.";

/// The provenance every record but a dossier has, last on every form.
const PROVENANCE: [Field; 4] = [
    field(
        "trace",
        "From the archive page",
        Input::Rows(TRACE),
        "The section that states a fact and its own words.",
    ),
    field(
        "sources",
        "From public documents",
        Input::Rows(SOURCES),
        "A document a reader can look up, with its address if known.",
    ),
    field(
        "gaps",
        "Known gaps",
        Input::Lines,
        "What is missing or doubtful, one per line.",
    ),
    field(
        "claims",
        "Dated facts",
        Input::Rows(CLAIMS),
        "A status or a sentence in the present tense, with the last date it was known to hold; pages flag it once it is older than the dossier's threshold.",
    ),
];

/// The fields of a record type's form, in the model's order (the slug first).
pub(crate) fn fields_of(ty: RecordType) -> Vec<Field> {
    let slug = field(
        "slug",
        "Slug",
        Input::Text,
        "Lowercase letters, digits and hyphens; part of the record's address.",
    );
    let mut out = match ty {
        RecordType::Document => vec![
            slug,
            field("title", "Title", Input::Text, ""),
            field("aliases", "Also known as", Input::Lines, "One per line."),
            field(
                "kind",
                "Kind",
                Input::Choice(vocabulary!(DocumentKind), false),
                "",
            ),
            field("date", "Date", Input::Date, DATE_HELP),
            field("place", "Place", Input::Text, ""),
            field("issued_by", "Issued by (bodies)", Input::Slugs, SLUGS_HELP),
            field("authors", "Authors (people)", Input::Slugs, SLUGS_HELP),
            field("parties", "Parties (bodies)", Input::Slugs, SLUGS_HELP),
            field(
                "legal_status",
                "Legal status",
                Input::Choice(vocabulary!(LegalStatus), false),
                "",
            ),
            field(
                "availability",
                "Availability",
                Input::Choice(vocabulary!(Availability), false),
                "",
            ),
            field(
                "languages",
                "Languages",
                Input::Lines,
                "BCP 47 tags (en, ru, fr), one per line.",
            ),
            field("summary", "Summary", Input::LongText, ""),
            field(
                "texts",
                "Texts",
                Input::Rows(TEXTS),
                "The document's text, one per language; paragraphs are numbered in order on its text page.",
            ),
            field("relations", "Related documents", Input::Rows(RELATIONS), ""),
            field("dossiers", "Dossiers", Input::Slugs, SLUGS_HELP),
            field("topics", "Topics", Input::Slugs, SLUGS_HELP),
        ],
        RecordType::Body => vec![
            slug,
            field("name", "Name", Input::Text, ""),
            field("acronyms", "Acronyms", Input::Lines, "One per line."),
            field("aliases", "Also known as", Input::Lines, "One per line."),
            field(
                "kind",
                "Kind",
                Input::Choice(vocabulary!(BodyKind), false),
                "",
            ),
            field("established", "Established", Input::Date, DATE_HELP),
            field("ended", "Ended", Input::Date, DATE_HELP),
            field(
                "founding_document",
                "Founding document (slug)",
                Input::Slug,
                "",
            ),
            field(
                "predecessors",
                "Predecessors",
                Input::Rows(BODY_LINKS),
                "The body that came before, and when it gave way.",
            ),
            field(
                "successors",
                "Successors",
                Input::Rows(BODY_LINKS),
                "The body that came after, and when.",
            ),
            field("part_of", "Part of (body slug)", Input::Slug, ""),
            field("format", "Format", Input::Text, "Who sits in it: NATO+1."),
            field(
                "decision_rule",
                "Decision rule",
                Input::Text,
                "How it decides: consensus, at 20.",
            ),
            field("summary", "Summary", Input::LongText, ""),
            field(
                "identifiers",
                "External identifiers",
                Input::Rows(IDENTIFIERS),
                IDENTIFIERS_HELP,
            ),
            field("dossiers", "Dossiers", Input::Slugs, SLUGS_HELP),
        ],
        RecordType::Person => vec![
            slug,
            field("name", "Name", Input::Text, ""),
            field(
                "aliases",
                "Also known as",
                Input::Lines,
                "Other spellings or transliterations, a name with an office; one per line.",
            ),
            field("offices", "Offices", Input::Rows(OFFICES), ""),
            field("summary", "Summary", Input::LongText, ""),
            field(
                "identifiers",
                "External identifiers",
                Input::Rows(IDENTIFIERS),
                IDENTIFIERS_HELP,
            ),
            field("dossiers", "Dossiers", Input::Slugs, SLUGS_HELP),
        ],
        RecordType::Event => vec![
            slug,
            field("title", "Title", Input::Text, ""),
            field(
                "kind",
                "Kind",
                Input::Choice(vocabulary!(EventKind), false),
                "",
            ),
            field("date", "Date", Input::Date, DATE_HELP),
            field("bodies", "Bodies that held it", Input::Slugs, SLUGS_HELP),
            field("people", "People who took part", Input::Slugs, SLUGS_HELP),
            field(
                "level",
                "Level",
                Input::Choice(vocabulary!(Level), true),
                "",
            ),
            field("place", "Place", Input::Text, ""),
            field(
                "outcome_documents",
                "Documents it produced",
                Input::Slugs,
                SLUGS_HELP,
            ),
            field("public_statement", "Public statement", Input::Flag, ""),
            field("summary", "Summary", Input::LongText, ""),
            field("dossiers", "Dossiers", Input::Slugs, SLUGS_HELP),
        ],
        RecordType::Topic => vec![
            slug,
            field("title", "Title", Input::Text, ""),
            field(
                "kind",
                "Kind",
                Input::Choice(vocabulary!(TopicKind), false),
                "",
            ),
            field(
                "status",
                "Status",
                Input::Choice(vocabulary!(TopicStatus), false),
                "",
            ),
            field("as_of", "Status as of", Input::Date, DATE_HELP),
            field("summary", "Summary", Input::LongText, ""),
            field(
                "sections",
                "Dossier sections (keys)",
                Input::Lines,
                "Section keys (a-ii-3), one per line.",
            ),
            field("documents", "Documents", Input::Slugs, SLUGS_HELP),
            field("bodies", "Bodies", Input::Slugs, SLUGS_HELP),
            field("dossiers", "Dossiers", Input::Slugs, SLUGS_HELP),
        ],
        // A dossier's form is its outline's (another page).
        RecordType::Dossier => vec![slug],
    };
    if ty != RecordType::Dossier {
        out.extend(PROVENANCE);
    }
    out
}

/// A choice as a `<select>` shows it.
#[derive(Debug, Serialize)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A cell of a nested list's row.
#[derive(Debug, Serialize)]
pub(crate) struct CellView {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `textarea`, `url`, `date` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    /// The date in words, for a date that reads.
    pub reading: Option<String>,
    pub error: Option<String>,
}

/// A row of a nested list.
#[derive(Debug, Serialize)]
pub(crate) struct RowView {
    /// The row's element id (an error about the row as a whole links to it).
    pub id: String,
    pub number: usize,
    pub cells: Vec<CellView>,
    pub error: Option<String>,
}

/// A field as the form shows it.
#[derive(Debug, Serialize)]
pub(crate) struct FieldView {
    pub name: &'static str,
    pub id: String,
    pub label: &'static str,
    pub help: &'static str,
    /// `text`, `textarea`, `lines`, `date`, `select` or `rows`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub reading: Option<String>,
    pub columns: Vec<&'static str>,
    pub rows: Vec<RowView>,
    pub error: Option<String>,
    /// Shown, not edited (a record's slug once it exists).
    pub readonly: bool,
}

/// An error the form shows: beside its input (`id`), and in the list at the top.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorLine {
    /// The input it belongs to (`None`: the record as a whole).
    pub id: Option<String>,
    pub label: String,
    pub message: String,
}

/// The input id of a field or cell name (`sources[0].url` → `field-sources-0-url`).
fn id_of(name: &str) -> String {
    let mut id = String::from("field-");
    for c in name.chars() {
        match c {
            '[' | '.' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}

/// A JSON value as one line of an input: strings as they are, lists one per line (or
/// parted by `sep`), other values as JSON.
fn text_of(v: Option<&Value>, sep: &str) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| text_of(Some(i), sep))
            .collect::<Vec<_>>()
            .join(sep),
        Some(other) => other.to_string(),
    }
}

fn options(choices: Choices, value: &str, blank: Option<&str>) -> Vec<Opt> {
    let mut out = Vec::new();
    let known = choices().iter().any(|(slug, _)| *slug == value);
    if let Some(blank) = blank {
        out.push(Opt {
            value: String::new(),
            label: blank.into(),
            selected: value.is_empty(),
        });
    }
    // A value typed that the vocabulary lacks stays chosen, so the form keeps it and
    // the check says why it is refused.
    if !known && !value.is_empty() {
        out.push(Opt {
            value: value.into(),
            label: format!("{value} (not a known value)"),
            selected: true,
        });
    }
    out.extend(choices().into_iter().map(|(slug, label)| Opt {
        value: slug.into(),
        label: label.into(),
        selected: slug == value,
    }));
    out
}

/// A date's reading for the form, when the text reads as one.
fn reading_of(text: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        None
    } else {
        read(t)
    }
}

/// The form's inputs for `record` (the record's JSON; `Null` for a new one), with the
/// errors beside their inputs; `slug_fixed`: the slug is shown, not edited. `read` gives
/// a date's reading in words.
pub(crate) fn view(
    ty: RecordType,
    record: &Value,
    errors: &[(String, String)],
    slug_fixed: bool,
    read: &dyn Fn(&str) -> Option<String>,
) -> (Vec<FieldView>, Vec<ErrorLine>) {
    let fields = fields_of(ty);
    let mut placed = Placed::new(errors, &fields);
    let mut out = Vec::new();
    for f in &fields {
        let v = record.get(f.name);
        let mut view = FieldView {
            name: f.name,
            id: id_of(f.name),
            label: f.label,
            help: f.help,
            kind: "text",
            value: String::new(),
            options: Vec::new(),
            reading: None,
            columns: Vec::new(),
            rows: Vec::new(),
            error: placed.take(f.name),
            readonly: f.name == "slug" && slug_fixed,
        };
        match f.input {
            Input::Text | Input::Slug => view.value = text_of(v, ", "),
            Input::LongText => {
                view.kind = "textarea";
                view.value = text_of(v, "\n");
            }
            Input::Date => {
                view.kind = "date";
                view.value = text_of(v, "");
                view.reading = reading_of(&view.value, read);
            }
            Input::Lines | Input::Slugs => {
                view.kind = "lines";
                view.value = text_of(v, "\n");
            }
            Input::Choice(choices, optional) => {
                view.kind = "select";
                view.value = text_of(v, "");
                let blank = if optional {
                    Some("not recorded")
                } else if view.value.is_empty() {
                    Some("— choose —")
                } else {
                    None
                };
                view.options = options(choices, &view.value, blank);
            }
            Input::Flag => {
                view.kind = "select";
                view.value = text_of(v, "");
                view.options = ["", "yes", "no"]
                    .iter()
                    .zip(["not known", "yes", "no"])
                    .map(|(value, label)| Opt {
                        value: (*value).into(),
                        label: label.into(),
                        selected: *value == view.value,
                    })
                    .collect();
                if !["", "yes", "no"].contains(&view.value.as_str()) {
                    view.options.push(Opt {
                        value: view.value.clone(),
                        label: format!("{} (not yes or no)", view.value),
                        selected: true,
                    });
                }
            }
            Input::Rows(columns) => {
                view.kind = "rows";
                view.columns = columns.iter().map(|c| c.label).collect();
                let items: &[Value] = match v {
                    Some(Value::Array(items)) => items,
                    _ => &[],
                };
                for i in 0..items.len() + BLANK_ROWS {
                    let item = items.get(i);
                    let row_name = format!("{}[{i}]", f.name);
                    let cells = columns
                        .iter()
                        .map(|c| cell_view(f, c, i, item, &mut placed, read))
                        .collect();
                    view.rows.push(RowView {
                        id: id_of(&row_name),
                        number: i + 1,
                        cells,
                        error: placed.take(&row_name),
                    });
                }
            }
        }
        out.push(view);
    }
    (out, placed.finish())
}

fn cell_view(
    f: &Field,
    c: &Column,
    i: usize,
    item: Option<&Value>,
    placed: &mut Placed,
    read: &dyn Fn(&str) -> Option<String>,
) -> CellView {
    let name = format!("{}[{i}].{}", f.name, c.name);
    let v = item.and_then(|item| item.get(c.name));
    let mut cell = CellView {
        id: id_of(&name),
        label: format!("{} {}: {}", singular(f.label), i + 1, c.label),
        kind: "text",
        value: text_of(v, ", "),
        options: Vec::new(),
        reading: None,
        error: placed.take(&name),
        name,
    };
    match c.cell {
        Cell::Text | Cell::Slug | Cell::List => {}
        Cell::LongText => cell.kind = "textarea",
        Cell::Blocks => {
            cell.kind = "textarea";
            cell.value = blocks_text(v);
        }
        Cell::Url => cell.kind = "url",
        Cell::Date => {
            cell.kind = "date";
            cell.reading = reading_of(&cell.value, read);
        }
        Cell::Choice(choices) => {
            cell.kind = "select";
            cell.options = options(choices, &cell.value, Some("—"));
        }
    }
    cell
}

/// A nested list's label for one of its rows ("Offices" → "Office").
fn singular(label: &str) -> String {
    match label {
        "From the archive page" => "Quote".into(),
        "From public documents" => "Source".into(),
        "Related documents" => "Relation".into(),
        "Predecessors" => "Predecessor".into(),
        "Successors" => "Successor".into(),
        "Offices" => "Office".into(),
        "Texts" => "Text".into(),
        "External identifiers" => "Identifier".into(),
        other => other.into(),
    }
}

/// The check's errors, put beside the inputs they name: an exact input or row name, else
/// the top-level field the path starts with; the rest are the record's own.
struct Placed {
    /// By the name of the input (or row) that shows it.
    at: BTreeMap<String, Vec<String>>,
    /// Every error, in the check's order, with the input it went to.
    lines: Vec<(String, String, String)>,
    labels: BTreeMap<&'static str, &'static str>,
}

impl Placed {
    fn new(errors: &[(String, String)], fields: &[Field]) -> Placed {
        let labels: BTreeMap<&str, &str> = fields.iter().map(|f| (f.name, f.label)).collect();
        let mut at: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut lines = Vec::new();
        for (path, message) in errors {
            let target = target_of(path, message, fields);
            at.entry(target.clone()).or_default().push(message.clone());
            lines.push((target, path.clone(), message.clone()));
        }
        Placed { at, lines, labels }
    }

    /// The errors shown beside the input `name`, joined.
    fn take(&mut self, name: &str) -> Option<String> {
        self.at.remove(name).map(|m| m.join(" "))
    }

    /// The list at the top of the form: every error, linked to its input when it has one.
    fn finish(self) -> Vec<ErrorLine> {
        self.lines
            .into_iter()
            .map(|(target, path, message)| {
                let top = target.split(['[', '.']).next().unwrap_or_default();
                match self.labels.get(top) {
                    Some(label) if !target.is_empty() => ErrorLine {
                        id: Some(id_of(&target)),
                        label: if target == top {
                            (*label).to_string()
                        } else {
                            format!("{label} ({})", path_tail(&target))
                        },
                        message,
                    },
                    _ => ErrorLine {
                        id: None,
                        label: if path.is_empty() {
                            "The record".into()
                        } else {
                            path
                        },
                        message,
                    },
                }
            })
            .collect()
    }
}

/// `sources[2].url` → `row 3, url`.
fn path_tail(target: &str) -> String {
    let Some(open) = target.find('[') else {
        return target.into();
    };
    let rest = &target[open + 1..];
    let Some(close) = rest.find(']') else {
        return target.into();
    };
    let row = rest[..close].parse::<usize>().map(|n| n + 1).unwrap_or(0);
    match rest[close + 1..].strip_prefix('.') {
        Some(cell) => format!("row {row}, {cell}"),
        None => format!("row {row}"),
    }
}

/// Which input shows an error at `path`: the cell, the row, or the top-level field; a
/// missing field (`missing field `title``, said of the record) goes to that field; an
/// empty target is the record's own.
fn target_of(path: &str, message: &str, fields: &[Field]) -> String {
    let path = path.trim_start_matches(['.', '$']);
    let top = path.split(['[', '.']).next().unwrap_or_default();
    let Some(field) = fields.iter().find(|f| f.name == top) else {
        // "missing field `title`" said of the record as a whole.
        if let Some(name) = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("missing field"))
        {
            if fields.iter().any(|f| f.name == name) {
                return name.to_string();
            }
        }
        return String::new();
    };
    if let Input::Rows(columns) = field.input {
        // `rows[i].cell`, `rows[i]`, or deeper (`sources[0].fields[1]` → the cell).
        if let Some(rest) = path[top.len()..].strip_prefix('[') {
            if let Some(close) = rest.find(']') {
                if let Ok(i) = rest[..close].parse::<usize>() {
                    let row = format!("{top}[{i}]");
                    let after = &rest[close + 1..];
                    if let Some(cell) = after.strip_prefix('.') {
                        let cell = cell.split(['[', '.']).next().unwrap_or_default();
                        if columns.iter().any(|c| c.name == cell) {
                            return format!("{row}.{cell}");
                        }
                    }
                    if let Some(name) = message
                        .split('`')
                        .nth(1)
                        .filter(|_| message.contains("missing field"))
                    {
                        if columns.iter().any(|c| c.name == name) {
                            return format!("{row}.{name}");
                        }
                    }
                    return row;
                }
            }
        }
    }
    top.to_string()
}

/// A posted form read into the record's JSON, in the model's field order: empty inputs
/// are left out (the model's defaults apply), lists are split, nested rows with every
/// cell empty are dropped. `slug` (from the address) wins over a posted one.
pub(crate) fn read(ty: RecordType, form: &[(String, String)], slug: Option<&str>) -> Value {
    let fields = fields_of(ty);
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in form {
        given.entry(k.as_str()).or_insert(v.as_str());
    }
    let mut out = Map::new();
    for f in &fields {
        let raw = given.get(f.name).copied().unwrap_or_default();
        let value = match f.input {
            Input::Text | Input::Slug | Input::Date | Input::Choice(..) => one_line(raw),
            Input::LongText => paragraphs(raw),
            Input::Flag => match raw.trim() {
                "" => None,
                "yes" => Some(Value::Bool(true)),
                "no" => Some(Value::Bool(false)),
                other => Some(Value::String(other.into())),
            },
            Input::Lines => list(raw.lines()),
            Input::Slugs => list(raw.split(['\n', ','])),
            Input::Rows(columns) => rows(f.name, columns, form),
        };
        if let Some(v) = value {
            out.insert(f.name.to_string(), v);
        }
    }
    if let Some(slug) = slug {
        out.insert("slug".into(), Value::String(slug.into()));
    }
    if let Some(Value::Array(ids)) = out.get_mut("identifiers") {
        for row in ids {
            normalise_identifier(row);
        }
    }
    Value::Object(out)
}

/// An identifier row in its scheme's normal form (`q7184` → `Q7184`, an ISNI without its
/// spaces) when it is one; left as typed otherwise, for [`identifier_problems`] to name.
fn normalise_identifier(row: &mut Value) {
    let scheme = row
        .get("scheme")
        .and_then(Value::as_str)
        .and_then(IdScheme::parse);
    let value = row.get("value").and_then(Value::as_str);
    if let (Some(scheme), Some(value)) = (scheme, value) {
        if let Ok(id) = ExternalId::new(scheme, value) {
            row["scheme"] = Value::String(id.scheme.as_str().into());
            row["value"] = Value::String(id.value);
        }
    }
}

/// What is wrong with the identifier rows of a form read by [`read`], each at its cell
/// (`identifiers[1].value`) or row: a row without an authority file or a value, a value
/// not in its file's shape (by [`ExternalId::new`]), an identifier given twice. The
/// model's own check says only `identifiers`; these say which row.
pub(crate) fn identifier_problems(record: &Value) -> Vec<(String, String)> {
    let Some(Value::Array(rows)) = record.get("identifiers") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let at = |cell: &str| format!("identifiers[{i}].{cell}");
        let scheme_text = row
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let value = row.get("value").and_then(Value::as_str).unwrap_or_default();
        let scheme = IdScheme::parse(scheme_text);
        match scheme {
            None if scheme_text.is_empty() => out.push((
                at("scheme"),
                "Choose the authority file this identifier is from.".to_string(),
            )),
            None => out.push((
                at("scheme"),
                format!(
                    "`{}` is not an authority file this archive knows: Wikidata, VIAF, ISNI or GND.",
                    scheme_text.chars().take(40).collect::<String>()
                ),
            )),
            Some(_) => {}
        }
        if value.is_empty() {
            out.push((at("value"), "Type the identifier.".to_string()));
            continue;
        }
        let Some(scheme) = scheme else { continue };
        match ExternalId::new(scheme, value) {
            Err(why) => out.push((at("value"), format!("{why}."))),
            Ok(id) if seen.contains(&id) => out.push((
                format!("identifiers[{i}]"),
                format!("{} {} is given twice.", id.scheme.label(), id.value),
            )),
            Ok(id) => seen.push(id),
        }
    }
    out
}

fn one_line(raw: &str) -> Option<Value> {
    let t = raw.trim();
    (!t.is_empty()).then(|| Value::String(t.into()))
}

/// Paragraphs as typed, with the browser's CRLF line ends made LF.
fn paragraphs(raw: &str) -> Option<Value> {
    let t = raw.replace("\r\n", "\n");
    let t = t.trim();
    (!t.is_empty()).then(|| Value::String(t.into()))
}

/// A text's blocks as the form shows them: blank lines between, `## ` before a heading.
fn blocks_text(v: Option<&Value>) -> String {
    let items: &[Value] = match v {
        Some(Value::Array(items)) => items,
        _ => &[],
    };
    items
        .iter()
        .map(|b| {
            let text = b.get("text").and_then(Value::as_str).unwrap_or_default();
            if b.get("heading").and_then(Value::as_bool) == Some(true) {
                format!("## {text}")
            } else {
                text.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A typed text read back into blocks: one per run of lines between blank lines, a
/// `## ` line a heading of its own.
fn blocks(raw: &str) -> Option<Value> {
    let raw = raw.replace("\r\n", "\n");
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Value>| {
        if !para.is_empty() {
            out.push(serde_json::json!({ "text": para.join(" ") }));
            para.clear();
        }
    };
    for line in raw.lines().map(str::trim) {
        if line.is_empty() {
            flush(&mut para, &mut out);
        } else if let Some(h) = line.strip_prefix("## ") {
            flush(&mut para, &mut out);
            out.push(serde_json::json!({ "heading": true, "text": h.trim() }));
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut out);
    (!out.is_empty()).then_some(Value::Array(out))
}

fn list<'a>(parts: impl Iterator<Item = &'a str>) -> Option<Value> {
    let items: Vec<Value> = parts
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.into()))
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// The rows of the nested list `name` (`name[i].cell` inputs), in row order.
fn rows(name: &str, columns: &[Column], form: &[(String, String)]) -> Option<Value> {
    let mut by_row: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
    for (k, v) in form {
        let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('[')) else {
            continue;
        };
        let Some((index, cell)) = rest.split_once("].") else {
            continue;
        };
        let Ok(i) = index.parse::<usize>() else {
            continue;
        };
        let Some(column) = columns.iter().find(|c| c.name == cell) else {
            continue;
        };
        if i >= MAX_ROWS * 4 || (by_row.len() >= MAX_ROWS && !by_row.contains_key(&i)) {
            continue;
        }
        let row = by_row.entry(i).or_default();
        if row.contains_key(column.name) {
            continue;
        }
        let value = match column.cell {
            Cell::List => list(v.split(',')),
            Cell::LongText => paragraphs(v),
            Cell::Blocks => blocks(v),
            _ => one_line(v),
        };
        if let Some(value) = value {
            row.insert(column.name.into(), value);
        }
    }
    let items: Vec<Value> = by_row
        .into_values()
        .filter(|row| !row.is_empty())
        .map(|row| {
            // In the columns' order, as the model writes it.
            let mut ordered = Map::new();
            for c in columns {
                if let Some(v) = row.get(c.name) {
                    ordered.insert(c.name.into(), v.clone());
                }
            }
            Value::Object(ordered)
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn no_reading(_: &str) -> Option<String> {
        None
    }

    /// A document's JSON shown as a form and posted back unchanged reads as the same JSON:
    /// nothing is lost or added by the round trip.
    #[test]
    fn a_record_round_trips_through_its_form() {
        let doc = json!({
            "slug": "founding-act-1997", "title": "Founding Act", "aliases": ["FA", "Paris act"],
            "kind": "founding-act", "date": "1997-05-27", "place": "Paris",
            "issued_by": ["nato", "russia"], "legal_status": "political-commitment",
            "availability": "public", "languages": ["en", "ru"],
            "summary": "Line one.\n\nLine two.",
            "relations": [{"type": "cites", "document": "other-doc"}],
            "dossiers": ["nato-russia"],
            "trace": [{"section": "a-i-1", "quote": "the Founding Act", "fields": ["date", "place"]}],
            "sources": [{"title": "NATO", "url": "https://www.nato.int/x"}, {"title": "No address"}],
            "gaps": ["The Russian text is not held."],
            "claims": [
                {"field": "availability", "as_of": "2002-05-28"},
                {"field": "summary", "statement": "Line two.", "as_of": "2002-05-28/.."}
            ]
        });
        let (fields, errors) = view(RecordType::Document, &doc, &[], true, &no_reading);
        assert!(errors.is_empty());
        // What a browser posts: every input's name and value.
        let mut form = Vec::new();
        for f in &fields {
            if f.kind == "rows" {
                for r in &f.rows {
                    for c in &r.cells {
                        form.push((c.name.clone(), c.value.clone()));
                    }
                }
            } else {
                form.push((f.name.to_string(), f.value.replace('\n', "\r\n")));
            }
        }
        let back = read(RecordType::Document, &form, Some("founding-act-1997"));
        assert_eq!(back, doc);
    }

    #[test]
    fn every_field_of_each_type_is_on_its_form() {
        // The model's own JSON of a full record of each type names no field the form lacks.
        let person = json!({"slug": "p", "name": "P", "aliases": ["Q"], "offices": [{"title": "SG", "body": "nato", "start": "1999", "end": "2003"}],
            "summary": "s", "identifiers": [{"scheme": "viaf", "value": "1"}], "dossiers": ["d"], "trace": [], "sources": [], "gaps": []});
        let event = json!({"slug": "e", "title": "E", "kind": "meeting", "date": "1997", "bodies": ["b"], "people": ["p"],
            "level": "ambassadors", "place": "x", "outcome_documents": ["d"], "public_statement": false, "summary": "s", "dossiers": ["d"]});
        let body = json!({"slug": "b", "name": "B", "acronyms": ["B"], "aliases": ["b"], "kind": "council",
            "established": "1997", "ended": "2002", "founding_document": "d", "predecessors": [{"slug": "a", "date": "1997"}],
            "successors": [{"slug": "c"}], "part_of": "n", "format": "f", "decision_rule": "r", "summary": "s",
            "identifiers": [{"scheme": "wikidata", "value": "Q7184"}], "dossiers": ["d"]});
        let topic = json!({"slug": "t", "title": "T", "kind": "cooperation", "status": "active", "as_of": "2002",
            "summary": "s", "sections": ["a-i"], "documents": ["d"], "bodies": ["b"], "dossiers": ["d"]});
        for (ty, v) in [
            (RecordType::Person, person),
            (RecordType::Event, event),
            (RecordType::Body, body),
            (RecordType::Topic, topic),
        ] {
            let names: Vec<&str> = fields_of(ty).iter().map(|f| f.name).collect();
            for key in v.as_object().unwrap().keys() {
                assert!(names.contains(&key.as_str()), "{ty:?}: no input for {key}");
            }
        }
        // Every vocabulary value is offered.
        let (fields, _) = view(RecordType::Event, &json!({}), &[], false, &no_reading);
        let level = fields.iter().find(|f| f.name == "level").unwrap();
        assert_eq!(level.options.len(), Level::ALL.len() + 1);
    }

    #[test]
    fn empty_rows_and_inputs_are_left_out_and_rows_keep_their_order() {
        let form = pairs(&[
            ("title", "  T  "),
            ("place", "   "),
            ("sources[3].title", "Third"),
            ("sources[0].title", ""),
            ("sources[0].url", ""),
            ("sources[1].title", "First"),
            ("sources[1].fields", "date, place,"),
            ("sources[999999999999].title", "hostile"),
            ("issued_by", "nato\r\n\r\n russia ,pjc"),
            ("public_statement", "maybe"),
        ]);
        let v = read(RecordType::Document, &form, None);
        assert_eq!(v["title"], "T");
        assert!(v.get("place").is_none());
        assert_eq!(
            v["sources"],
            json!([{"title": "First", "fields": ["date", "place"]}, {"title": "Third"}])
        );
        assert_eq!(v["issued_by"], json!(["nato", "russia", "pjc"]));
        let e = read(RecordType::Event, &form, None);
        assert_eq!(e["public_statement"], "maybe");
    }

    #[test]
    fn errors_go_beside_their_inputs() {
        let doc = json!({"slug": "d", "date": "1997-13", "sources": [{"title": "a", "url": "javascript:x"}],
            "issued_by": ["nato", "nobody"]});
        let errors = vec![
            ("date".to_string(), "bad month".to_string()),
            ("sources[0].url".to_string(), "not http".to_string()),
            ("issued_by[1]".to_string(), "unknown body".to_string()),
            ("".to_string(), "missing field `title`".to_string()),
            ("relations[0]".to_string(), "row problem".to_string()),
            ("".to_string(), "something else".to_string()),
        ];
        let (fields, lines) = view(RecordType::Document, &doc, &errors, true, &no_reading);
        let f = |n: &str| fields.iter().find(|f| f.name == n).unwrap();
        assert_eq!(f("date").error.as_deref(), Some("bad month"));
        assert_eq!(f("date").value, "1997-13");
        assert_eq!(
            f("sources").rows[0].cells[1].error.as_deref(),
            Some("not http")
        );
        assert_eq!(f("issued_by").error.as_deref(), Some("unknown body"));
        assert_eq!(f("title").error.as_deref(), Some("missing field `title`"));
        assert_eq!(f("relations").rows[0].error.as_deref(), Some("row problem"));
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0].id.as_deref(), Some("field-date"));
        assert_eq!(lines[1].id.as_deref(), Some("field-sources-0-url"));
        assert_eq!(lines[5].id, None);
        assert_eq!(lines[5].label, "The record");
    }

    #[test]
    fn identifiers_are_read_in_normal_form_and_their_problems_named_by_row() {
        let form = pairs(&[
            ("name", "Boris Yeltsin"),
            ("aliases", "Boris N. Yeltsin\r\n\r\nБорис Ельцин"),
            ("identifiers[0].scheme", "wikidata"),
            ("identifiers[0].value", " q34453 "),
            ("identifiers[1].scheme", "isni"),
            ("identifiers[1].value", "0000 0001 2103 2683"),
            ("identifiers[2].scheme", ""),
            ("identifiers[2].value", ""),
        ]);
        let v = read(RecordType::Person, &form, Some("boris-yeltsin"));
        assert_eq!(v["aliases"], json!(["Boris N. Yeltsin", "Борис Ельцин"]));
        assert_eq!(
            v["identifiers"],
            json!([{"scheme": "wikidata", "value": "Q34453"}, {"scheme": "isni", "value": "0000000121032683"}])
        );
        assert!(identifier_problems(&v).is_empty());
        // The model reads what the form wrote.
        let person: dossier_model::Person = serde_json::from_value(v).unwrap();
        assert_eq!(
            person.identifiers[0].url(),
            "https://www.wikidata.org/entity/Q34453"
        );

        let form = pairs(&[
            ("identifiers[0].scheme", "wikidata"),
            ("identifiers[0].value", "javascript:alert(1)"),
            ("identifiers[1].value", "Q1"),
            ("identifiers[2].scheme", "orcid<script>"),
            ("identifiers[2].value", "1"),
            ("identifiers[3].scheme", "viaf"),
            ("identifiers[4].scheme", "wikidata"),
            ("identifiers[4].value", "Q7184"),
            ("identifiers[5].scheme", "wikidata"),
            ("identifiers[5].value", "q7184"),
        ]);
        let v = read(RecordType::Body, &form, Some("nato"));
        let problems = identifier_problems(&v);
        let at: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            at,
            [
                "identifiers[0].value",
                "identifiers[1].scheme",
                "identifiers[2].scheme",
                "identifiers[3].value",
                "identifiers[5]"
            ]
        );
        assert!(
            problems[0].1.contains("not a Wikidata identifier"),
            "{problems:?}"
        );
        // Each shown beside its cell or row.
        let (fields, lines) = view(RecordType::Body, &v, &problems, true, &no_reading);
        let ids = fields.iter().find(|f| f.name == "identifiers").unwrap();
        assert!(ids.rows[0].cells[1].error.is_some());
        assert!(ids.rows[1].cells[0].error.is_some());
        assert!(ids.rows[5]
            .error
            .as_deref()
            .unwrap()
            .contains("given twice"));
        assert_eq!(lines[0].id.as_deref(), Some("field-identifiers-0-value"));
        // The unknown scheme typed stays chosen, marked.
        assert!(ids.rows[2].cells[0]
            .options
            .iter()
            .any(|o| o.selected && o.label.contains("not a known value")));
    }

    #[test]
    fn an_unknown_choice_stays_chosen() {
        let (fields, _) = view(
            RecordType::Document,
            &json!({"kind": "poem"}),
            &[],
            false,
            &no_reading,
        );
        let kind = fields.iter().find(|f| f.name == "kind").unwrap();
        let chosen: Vec<&Opt> = kind.options.iter().filter(|o| o.selected).collect();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].value, "poem");
    }
}
