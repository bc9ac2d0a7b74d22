//! The search query language, parsed into a tree before it meets the index.
//!
//! ```text
//! founding act                 words (all must match)
//! "founding act"               a phrase
//! pjc OR nrc                   either
//! terrorism NOT chechnya       AND is implicit; NOT excludes; AND may be written
//! (kosovo OR iraq) force       parentheses group
//! kind:declaration body:pjc person:robertson dossier:nato-russia lang:fr type:event
//! year:1997  date:1997..2002  date:1997-05..1998  date:..1995  date:2001..
//! ```
//!
//! Field names and operators are case-insensitive (`and`, `or` and `not` in lower case are
//! words, as readers type them). A malformed query gets a [`QueryError`] that says what is
//! wrong and where, never a server error.

use dossier_model::PartialDate;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A word as typed.
    Word(String),
    /// Words that must appear in this order.
    Phrase(Vec<String>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Filter(Filter),
}

/// A field filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Kind(String),
    Type(String),
    Body(String),
    Person(String),
    Dossier(String),
    Lang(String),
    /// Records whose date can fall in `[from, to]` (both `YYYYMMDD`, inclusive).
    Date {
        from: i64,
        to: i64,
    },
}

/// Why a query cannot be run: what and where (a character offset), for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {position} of the query)")]
pub struct QueryError {
    pub message: String,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(Vec<String>),
    Field(String, String),
    And,
    Or,
    Not,
    Open,
    Close,
}

/// The field names the language knows.
pub const FIELDS: &[&str] = &[
    "kind", "type", "body", "person", "dossier", "lang", "year", "date",
];

fn err(message: impl Into<String>, position: usize) -> QueryError {
    QueryError {
        message: message.into(),
        position,
    }
}

fn tokenize(input: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let pos = |i: usize| chars.get(i).map_or(input.chars().count(), |_| i);
    while i < chars.len() {
        let (_, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = pos(i);
        match c {
            '(' => {
                out.push((start, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((start, Tok::Close));
                i += 1;
            }
            '"' | '“' | '”' => {
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && !matches!(chars[j].1, '"' | '“' | '”') {
                    text.push(chars[j].1);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(err("a phrase is opened with \" but never closed", start));
                }
                let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
                if words.is_empty() {
                    return Err(err(
                        "an empty phrase \"\" matches nothing; put words between the quotes",
                        start,
                    ));
                }
                out.push((start, Tok::Phrase(words)));
                i = j + 1;
            }
            '-' if i + 1 < chars.len() && !chars[i + 1].1.is_whitespace() => {
                out.push((start, Tok::Not));
                i += 1;
            }
            _ => {
                let mut j = i;
                let mut word = String::new();
                while j < chars.len()
                    && !chars[j].1.is_whitespace()
                    && !matches!(chars[j].1, '(' | ')' | '"' | '“' | '”')
                {
                    word.push(chars[j].1);
                    j += 1;
                }
                i = j;
                let tok = match word.as_str() {
                    "AND" | "&&" => Tok::And,
                    "OR" | "||" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => match word.split_once(':') {
                        Some((f, v)) if FIELDS.contains(&f.to_ascii_lowercase().as_str()) => {
                            if v.is_empty() {
                                // `kind: "x"` or `kind:` followed by a phrase.
                                let next = chars.get(i).map(|c| c.1);
                                if matches!(next, Some('"') | Some('“')) {
                                    let mut j = i + 1;
                                    let mut text = String::new();
                                    while j < chars.len() && !matches!(chars[j].1, '"' | '”') {
                                        text.push(chars[j].1);
                                        j += 1;
                                    }
                                    i = (j + 1).min(chars.len());
                                    Tok::Field(f.to_ascii_lowercase(), text)
                                } else {
                                    return Err(err(
                                        format!("`{f}:` needs a value, as in {f}:{}", example(f)),
                                        start,
                                    ));
                                }
                            } else {
                                Tok::Field(f.to_ascii_lowercase(), v.to_string())
                            }
                        }
                        Some((f, _))
                            if !f.is_empty()
                                && f.chars().all(|c| c.is_ascii_alphabetic())
                                && word.len() > f.len() + 1
                                && !word.contains("://") =>
                        {
                            return Err(err(
                                format!(
                                    "unknown field `{f}:`; the fields are {}",
                                    FIELDS
                                        .iter()
                                        .map(|f| format!("{f}:"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                                start,
                            ))
                        }
                        _ => Tok::Word(word),
                    },
                };
                out.push((start, tok));
            }
        }
    }
    Ok(out)
}

fn example(field: &str) -> &'static str {
    match field.to_ascii_lowercase().as_str() {
        "kind" => "declaration",
        "type" => "event",
        "body" => "pjc",
        "person" => "robertson",
        "dossier" => "nato-russia",
        "lang" => "fr",
        "year" => "1997",
        _ => "1997..2002",
    }
}

/// Parses a query. An empty query is an error (there is nothing to search for).
pub fn parse(input: &str) -> Result<Node, QueryError> {
    let toks = tokenize(input)?;
    if toks.is_empty() {
        return Err(err("the query is empty; type some words", 0));
    }
    let mut p = Parser {
        toks,
        at: 0,
        len: input.chars().count(),
    };
    let node = p.or()?;
    if let Some((pos, t)) = p.toks.get(p.at) {
        return Err(match t {
            Tok::Close => err(
                "a `)` closes nothing; remove it or add the `(` it belongs to",
                *pos,
            ),
            _ => err("unexpected text here", *pos),
        });
    }
    Ok(node)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.len, |(p, _)| *p)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            if matches!(
                self.peek(),
                None | Some(Tok::Close) | Some(Tok::Or) | Some(Tok::And)
            ) {
                return Err(err("OR needs something on its right", self.pos()));
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    if items.is_empty() {
                        return Err(err("AND needs something on its left", self.pos()));
                    }
                    self.at += 1;
                    if matches!(
                        self.peek(),
                        None | Some(Tok::Close) | Some(Tok::Or) | Some(Tok::And)
                    ) {
                        return Err(err("AND needs something on its right", self.pos()));
                    }
                }
                _ => items.push(self.unary()?),
            }
        }
        if items.is_empty() {
            if self.peek() == Some(&Tok::Or) {
                return Err(err("OR needs something on its left", self.pos()));
            }
            return Err(err("expected words, a phrase or a field here", self.pos()));
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        let pos = self.pos();
        let Some((_, tok)) = self.toks.get(self.at).cloned() else {
            return Err(err("the query ends too early", pos));
        };
        self.at += 1;
        match tok {
            Tok::Not => {
                if matches!(
                    self.peek(),
                    None | Some(Tok::Close) | Some(Tok::Or) | Some(Tok::And)
                ) {
                    return Err(err(
                        "NOT needs something to exclude on its right",
                        self.pos(),
                    ));
                }
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Tok::Open => {
                if self.peek() == Some(&Tok::Close) {
                    return Err(err("empty parentheses", pos));
                }
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(err("a `(` is never closed; add a `)`", pos));
                }
                self.at += 1;
                Ok(inner)
            }
            Tok::Word(w) => Ok(Node::Word(w)),
            Tok::Phrase(p) => Ok(Node::Phrase(p)),
            Tok::Field(f, v) => field(&f, &v, pos).map(Node::Filter),
            Tok::Close => Err(err("a `)` closes nothing", pos)),
            Tok::And | Tok::Or => Err(err("an operator needs something on its left", pos)),
        }
    }
}

fn field(name: &str, value: &str, pos: usize) -> Result<Filter, QueryError> {
    let v = value.trim();
    let lower = v.to_lowercase();
    Ok(match name {
        "kind" => Filter::Kind(lower),
        "type" => Filter::Type(lower),
        "body" => Filter::Body(v.to_string()),
        "person" => Filter::Person(v.to_string()),
        "dossier" => Filter::Dossier(lower),
        "lang" => Filter::Lang(lower),
        "year" => {
            let (from, to) = match v.split_once("..") {
                Some((a, b)) => (year_bound(a, pos)?, year_bound(b, pos)?),
                None => {
                    let y = year_bound(v, pos)?;
                    (y, y)
                }
            };
            let from = from.unwrap_or(i32::MIN / 10_000);
            let to = to.unwrap_or(i32::MAX / 10_000);
            Filter::Date {
                from: from as i64 * 10_000 + 101,
                to: to as i64 * 10_000 + 1231,
            }
        }
        "date" => {
            let (a, b) = v.split_once("..").unwrap_or((v, v));
            let from = date_bound(a, pos)?.map_or(i64::MIN, |d| d.earliest());
            let to = date_bound(b, pos)?.map_or(i64::MAX, |d| d.latest());
            if from > to {
                return Err(err(format!("date:{v} ends before it starts"), pos));
            }
            Filter::Date { from, to }
        }
        _ => return Err(err(format!("unknown field `{name}:`"), pos)),
    })
}

fn year_bound(s: &str, pos: usize) -> Result<Option<i32>, QueryError> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(y) if (1..=9999).contains(&y) && s.len() == 4 => Ok(Some(y)),
        _ => Err(err(
            format!("`{s}` is not a year; write year:1997 or year:1997..2002"),
            pos,
        )),
    }
}

fn date_bound(s: &str, pos: usize) -> Result<Option<PartialDate>, QueryError> {
    if s.is_empty() {
        return Ok(None);
    }
    PartialDate::parse(s).map(Some).map_err(|e| {
        err(
            format!(
                "`{s}` is not a date ({}); write date:1997..2002 or date:1997-05..1998",
                e.reason
            ),
            pos,
        )
    })
}

/// The query's words and phrases (not excluded ones), for highlighting and suggestions.
pub fn positive_terms(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(n: &Node, out: &mut Vec<String>) {
        match n {
            Node::Word(w) => out.push(w.clone()),
            Node::Phrase(p) => out.extend(p.iter().cloned()),
            Node::And(v) | Node::Or(v) => v.iter().for_each(|x| walk(x, out)),
            Node::Not(_) | Node::Filter(_) => {}
        }
    }
    walk(node, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Node {
        Node::Word(s.into())
    }

    #[test]
    fn parses_the_language() {
        assert_eq!(
            parse("founding act").unwrap(),
            Node::And(vec![w("founding"), w("act")])
        );
        assert_eq!(
            parse("\"Founding Act\"").unwrap(),
            Node::Phrase(vec!["Founding".into(), "Act".into()])
        );
        assert_eq!(
            parse("pjc OR nrc").unwrap(),
            Node::Or(vec![w("pjc"), w("nrc")])
        );
        assert_eq!(
            parse("(kosovo OR iraq) AND NOT force").unwrap(),
            Node::And(vec![
                Node::Or(vec![w("kosovo"), w("iraq")]),
                Node::Not(Box::new(w("force")))
            ])
        );
        assert_eq!(
            parse("-chechnya").unwrap(),
            Node::Not(Box::new(w("chechnya")))
        );
        assert_eq!(
            parse("kind:declaration date:2001..2002").unwrap(),
            Node::And(vec![
                Node::Filter(Filter::Kind("declaration".into())),
                Node::Filter(Filter::Date {
                    from: 20010101,
                    to: 20021231
                })
            ])
        );
        assert_eq!(
            parse("date:1997-05..1997-05").unwrap(),
            Node::Filter(Filter::Date {
                from: 19970501,
                to: 19970531
            })
        );
        assert_eq!(
            parse("year:1997").unwrap(),
            Node::Filter(Filter::Date {
                from: 19970101,
                to: 19971231
            })
        );
        assert_eq!(
            parse("Kind:Speech").unwrap(),
            Node::Filter(Filter::Kind("speech".into()))
        );
        assert_eq!(
            parse("and or").unwrap(),
            Node::And(vec![w("and"), w("or")]),
            "lower-case operators are words"
        );
        assert_eq!(parse("co-operation").unwrap(), w("co-operation"));
        assert_eq!(
            parse("https://www.nato.int").unwrap(),
            w("https://www.nato.int")
        );
    }

    #[test]
    fn malformed_queries_say_what_and_where() {
        let cases = [
            ("", "the query is empty"),
            ("\"founding act", "never closed"),
            ("(pjc OR nrc", "never closed"),
            ("pjc)", "closes nothing"),
            ("OR pjc", "needs something on its left"),
            ("pjc OR", "needs something on its right"),
            ("pjc AND", "needs something on its right"),
            ("NOT", "needs something to exclude"),
            ("colour:red", "unknown field `colour:`"),
            ("kind:", "needs a value"),
            ("date:2002..1997", "ends before it starts"),
            ("date:1997-13", "is not a date"),
            ("year:97", "is not a year"),
            ("()", "empty parentheses"),
            ("\"\"", "empty phrase"),
        ];
        for (q, expected) in cases {
            let e = parse(q).unwrap_err();
            assert!(e.to_string().contains(expected), "{q:?}: {e}");
        }
        assert_eq!(parse("pjc )").unwrap_err().position, 4);
    }
}
