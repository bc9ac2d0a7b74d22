//! The search query language, parsed into a tree before it meets the index.
//!
//! ```text
//! founding act                 words (all must match)
//! "founding act"               a phrase
//! pjc OR nrc                   either
//! terrorism NOT chechnya       AND is implicit; NOT excludes; AND may be written
//! (kosovo OR iraq) force       parentheses group
//! kind:declaration body:pjc person:robertson dossier:nato-russia lang:fr type:event
//! collection:milestones
//! year:1997  date:1997..2002  date:1997-05..1998  date:..1995  date:2001..
//! coverage:1990..2001          the period a document covers overlaps 1990–2001
//! ```
//!
//! `year:` and `date:` read when a record was issued (held, born…); `coverage:` reads the
//! period a document covers, so an essay of 2005 on "NATO, 1988–2001" is
//! `year:2005` and `coverage:1990`.
//!
//! Field names and operators are case-insensitive (`and`, `or` and `not` in lower case are
//! words, as readers type them). A malformed query gets a [`QueryError`] that says what is
//! wrong and where, never a server error.
//!
//! Limits: a query is read by whoever sends one, so its size and depth are bounded before
//! anything recurses over it ([`MAX_QUERY_CHARS`], [`MAX_TERMS`], [`MAX_NESTING`]). A
//! query over a limit is a [`QueryError`] like any other (a 400 from the server, an error
//! from `dossier search`). Every tree [`parse`] returns is at most [`MAX_DEPTH`] deep, so
//! the code that walks one (here and in the index) may recurse without a guard of its own.

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
    Collection(String),
    /// Records whose date can fall in `[from, to]` (both `YYYYMMDD`, inclusive).
    Date {
        from: i64,
        to: i64,
    },
    /// Documents whose covered period overlaps `[from, to]` (both `YYYYMMDD`).
    Coverage {
        from: i64,
        to: i64,
    },
    /// Records whose title files under this letter of an A–Z list (`A`…`Z`, or `#`):
    /// for browse pages, not a field of the query language.
    Letter(String),
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

/// The longest query, in characters (Unicode scalar values). A search box is typed into
/// or pasted into: a thousand characters hold a quoted paragraph or dozens of filters,
/// more than anyone writes. Checked first, so every later step works on a bounded input.
pub const MAX_QUERY_CHARS: usize = 1_000;

/// The most words, phrases and field filters a query may hold (a phrase counts once).
/// Each becomes term queries in every language's field, and bonuses, snippets and
/// suggestions look at each again; 64 is far more than a search needs (a search engine
/// such as Google reads 32 words).
pub const MAX_TERMS: usize = 64;

/// How deeply parentheses and NOTs (`NOT`, `-`) may nest, counted together:
/// `-(a OR -b)` nests three deep. Readers write two or three levels; sixteen is room to
/// spare. A run of NOTs is counted in a loop and a `(` is counted before the parser
/// recurses into it, so a query of thousands of `-` or `(` is refused, not a stack overflow.
pub const MAX_NESTING: usize = 16;

/// The deepest tree [`parse`] can return, counting each node (a lone word is depth 1).
/// Each level of nesting adds at most two levels of tree (an OR of ANDs inside a `(`,
/// or a NOT), and the top level has its own OR and AND above a word: `2 × 16 + 3`.
/// [`depth`] measures a tree; the tests check that no parsed query is deeper.
pub const MAX_DEPTH: usize = 2 * MAX_NESTING + 3;

/// The field names the language knows.
pub const FIELDS: &[&str] = &[
    "kind",
    "type",
    "body",
    "person",
    "dossier",
    "collection",
    "lang",
    "year",
    "date",
    "coverage",
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
        "collection" => "milestones",
        "lang" => "fr",
        "year" => "1997",
        _ => "1997..2002",
    }
}

/// Parses a query. An empty query is an error (there is nothing to search for), and so is
/// one over the limits ([`MAX_QUERY_CHARS`], [`MAX_TERMS`], [`MAX_NESTING`]); the tree
/// returned is at most [`MAX_DEPTH`] deep.
pub fn parse(input: &str) -> Result<Node, QueryError> {
    // Before anything else reads it: the rest is then linear in at most this many chars.
    if input.chars().nth(MAX_QUERY_CHARS).is_some() {
        return Err(err(
            format!(
                "the query is {} characters long; the most a query may have is \
                 {MAX_QUERY_CHARS}",
                input.chars().count()
            ),
            MAX_QUERY_CHARS,
        ));
    }
    let toks = tokenize(input)?;
    if toks.is_empty() {
        return Err(err("the query is empty; type some words", 0));
    }
    if let Some((at, _)) = toks
        .iter()
        .filter(|(_, t)| matches!(t, Tok::Word(_) | Tok::Phrase(_) | Tok::Field(..)))
        .nth(MAX_TERMS)
    {
        return Err(err(
            format!(
                "the query has more than {MAX_TERMS} words, phrases and filters; search \
                 with fewer"
            ),
            *at,
        ));
    }
    let mut p = Parser {
        toks,
        at: 0,
        len: input.chars().count(),
        nesting: 0,
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
    /// The `(` and NOTs around the current token, at most [`MAX_NESTING`].
    nesting: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.len, |(p, _)| *p)
    }

    /// Goes one level deeper for the `(` or NOT at `pos`, or refuses past [`MAX_NESTING`].
    fn enter(&mut self, pos: usize) -> Result<(), QueryError> {
        if self.nesting == MAX_NESTING {
            return Err(err(
                format!(
                    "parentheses and NOTs nest more than {MAX_NESTING} deep here; \
                     write the query with fewer levels"
                ),
                pos,
            ));
        }
        self.nesting += 1;
        Ok(())
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

    /// A word, phrase, filter or `( … )`, with the NOTs before it. A run of NOTs is read
    /// in a loop (each one counted against [`MAX_NESTING`]) and the tree built upwards
    /// from its operand, so the run's length never becomes recursion.
    fn unary(&mut self) -> Result<Node, QueryError> {
        let mut nots = 0;
        while self.peek() == Some(&Tok::Not) {
            self.enter(self.pos())?;
            self.at += 1;
            nots += 1;
            if matches!(
                self.peek(),
                None | Some(Tok::Close) | Some(Tok::Or) | Some(Tok::And)
            ) {
                return Err(err(
                    "NOT needs something to exclude on its right",
                    self.pos(),
                ));
            }
        }
        let mut node = self.operand()?;
        self.nesting -= nots;
        for _ in 0..nots {
            node = Node::Not(Box::new(node));
        }
        Ok(node)
    }

    fn operand(&mut self) -> Result<Node, QueryError> {
        let pos = self.pos();
        let Some((_, tok)) = self.toks.get(self.at).cloned() else {
            return Err(err("the query ends too early", pos));
        };
        self.at += 1;
        match tok {
            Tok::Open => {
                if self.peek() == Some(&Tok::Close) {
                    return Err(err("empty parentheses", pos));
                }
                // Counted before the parser recurses into it.
                self.enter(pos)?;
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(err("a `(` is never closed; add a `)`", pos));
                }
                self.at += 1;
                self.nesting -= 1;
                Ok(inner)
            }
            Tok::Word(w) => Ok(Node::Word(w)),
            Tok::Phrase(p) => Ok(Node::Phrase(p)),
            Tok::Field(f, v) => field(&f, &v, pos).map(Node::Filter),
            Tok::Close => Err(err("a `)` closes nothing", pos)),
            Tok::Not => Err(err("NOT needs something to exclude on its right", pos)),
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
        "collection" => Filter::Collection(lower),
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
        "date" | "coverage" => {
            let (a, b) = v.split_once("..").unwrap_or((v, v));
            let from = date_bound(a, pos)?.map_or(i64::MIN, |d| d.earliest());
            let to = date_bound(b, pos)?.map_or(i64::MAX, |d| d.latest());
            if from > to {
                return Err(err(format!("{name}:{v} ends before it starts"), pos));
            }
            if name == "coverage" {
                Filter::Coverage { from, to }
            } else {
                Filter::Date { from, to }
            }
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

/// The query's words and phrases (not excluded ones), for highlighting and suggestions,
/// in the order they were typed. Walks with a stack of its own, so it holds for any tree.
pub fn positive_terms(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        match n {
            Node::Word(w) => out.push(w.clone()),
            Node::Phrase(p) => out.extend(p.iter().cloned()),
            Node::And(v) | Node::Or(v) => todo.extend(v.iter().rev()),
            Node::Not(_) | Node::Filter(_) => {}
        }
    }
    out
}

/// How deep a tree is, counting each node (a lone word is 1); at most [`MAX_DEPTH`] for
/// any tree [`parse`] returns. Walks with a stack of its own, so it holds for any tree.
pub fn depth(node: &Node) -> usize {
    let mut deepest = 0;
    let mut todo = vec![(node, 1)];
    while let Some((n, d)) = todo.pop() {
        deepest = deepest.max(d);
        match n {
            Node::And(v) | Node::Or(v) => todo.extend(v.iter().map(|x| (x, d + 1))),
            Node::Not(inner) => todo.push((inner, d + 1)),
            Node::Word(_) | Node::Phrase(_) | Node::Filter(_) => {}
        }
    }
    deepest
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
            parse("coverage:1990..2001 collection:Milestones").unwrap(),
            Node::And(vec![
                Node::Filter(Filter::Coverage {
                    from: 19900101,
                    to: 20011231
                }),
                Node::Filter(Filter::Collection("milestones".into()))
            ])
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
            (
                "coverage:2002..1997",
                "coverage:2002..1997 ends before it starts",
            ),
            ("coverage:19x", "is not a date"),
            ("collection:", "needs a value"),
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

    /// `parse(q)` is refused with a message containing `expected`.
    fn refused(q: &str, expected: &str) -> QueryError {
        let e = parse(q).expect_err(&q[..q.len().min(60)]);
        assert!(
            e.to_string().contains(expected),
            "{}…: {e}",
            &q[..q.len().min(60)]
        );
        e
    }

    // Issue 20, finding 1: `/search?q=` + 240 `-` + `a` overflowed the stack and aborted
    // the server; so did the other shapes here. Each is refused (or, under the limits,
    // parsed into a tree no deeper than MAX_DEPTH) without recursion it chooses.
    #[test]
    fn hostile_shapes_are_refused_not_a_stack_overflow() {
        let too_long = "the query is";
        let too_deep = "nest more than 16 deep";
        let too_many = "more than 64 words, phrases and filters";
        refused(&format!("{}a", "-".repeat(240)), too_deep);
        refused(&"(".repeat(10_000), too_long);
        refused(
            &format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)),
            too_long,
        );
        refused(&format!("{}a", "NOT ".repeat(5_000)), too_long);
        refused(&"a OR ".repeat(10_000), too_long);
        refused(&"x".repeat(100_000), "100000 characters long");
        refused(&"\"a b\" ".repeat(5_000), too_long);
        refused(&"kind:speech ".repeat(5_000), too_long);
        refused(&"date:1997..2002 -body:pjc ".repeat(5_000), too_long);
        refused(&"(a OR -(b \"c d\" kind:x) ".repeat(1_000), too_long);
        // The same shapes under the length limit meet the depth and term limits.
        let e = refused(&format!("{}a", "-".repeat(17)), too_deep);
        assert_eq!(e.position, 16, "the NOT that goes over the limit");
        refused(&format!("{}a", "NOT ".repeat(17)), too_deep);
        refused(&format!("{}a{}", "(".repeat(17), ")".repeat(17)), too_deep);
        refused(&format!("{}a", "-(".repeat(9)), too_deep);
        refused(&"(".repeat(900), too_deep);
        refused(&"a OR ".repeat(30), "OR needs something on its right");
        refused(&format!("{}a", "a OR ".repeat(64)), too_many);
        refused(&"ab ".repeat(65), too_many);
        refused(&"\"a b\" ".repeat(65), too_many);
        refused(&"kind:speech ".repeat(65), too_many);
        let e = refused(&"a ".repeat(65), too_many);
        assert_eq!(e.position, 128, "the 65th word");
        // Multi-byte characters count as one each.
        assert!(parse(&"é".repeat(MAX_QUERY_CHARS)).is_ok());
        refused(&"é".repeat(MAX_QUERY_CHARS + 1), "1001 characters long");
    }

    #[test]
    fn queries_at_the_limits_are_accepted() {
        let nots = parse(&format!("{}a", "-".repeat(16))).unwrap();
        assert_eq!(depth(&nots), 17);
        let mut n = &nots;
        for _ in 0..16 {
            let Node::Not(inner) = n else { panic!("{n:?}") };
            n = inner;
        }
        assert_eq!(n, &w("a"));
        assert_eq!(
            parse("NOT NOT a").unwrap(),
            Node::Not(Box::new(Node::Not(Box::new(w("a")))))
        );
        let parens = format!("{}a{}", "(".repeat(16), ")".repeat(16));
        assert_eq!(parse(&parens).unwrap(), w("a"));
        assert!(parse(&"ab ".repeat(64)).is_ok());
        assert!(parse(&"x".repeat(MAX_QUERY_CHARS)).is_ok());
        // The deepest tree: an OR of ANDs in each of 16 parentheses.
        let mut q = "a OR b c".to_string();
        for _ in 0..MAX_NESTING {
            q = format!("a OR b ({q})");
        }
        let deepest = parse(&q).unwrap();
        assert_eq!(
            depth(&deepest),
            MAX_DEPTH,
            "the bound is reached, not passed"
        );
        assert!(depth(&deepest) <= MAX_DEPTH);
        refused(&format!("a OR b ({q})"), "nest more than 16 deep");
        assert_eq!(positive_terms(&deepest).len(), 2 * MAX_NESTING + 3);
    }

    #[test]
    fn positive_terms_keep_the_typed_order() {
        let n = parse("a (b OR \"c d\") -e kind:x f").unwrap();
        assert_eq!(positive_terms(&n), ["a", "b", "c", "d", "f"]);
    }

    /// A query that parses to `node` again (`None` for a date filter with no such text).
    fn print(node: &Node) -> Option<String> {
        fn leaf_or_group(n: &Node, group: bool) -> Option<String> {
            let s = print(n)?;
            Some(if group { format!("( {s} )") } else { s })
        }
        Some(match node {
            Node::Word(w) => w.clone(),
            Node::Phrase(p) => format!("\"{}\"", p.join(" ")),
            Node::Not(inner) => format!(
                "-{}",
                leaf_or_group(inner, matches!(**inner, Node::And(_) | Node::Or(_)))?
            ),
            Node::And(items) => items
                .iter()
                .map(|n| leaf_or_group(n, matches!(n, Node::And(_) | Node::Or(_))))
                .collect::<Option<Vec<_>>>()?
                .join(" "),
            Node::Or(items) => items
                .iter()
                .map(|n| leaf_or_group(n, matches!(n, Node::Or(_))))
                .collect::<Option<Vec<_>>>()?
                .join(" OR "),
            Node::Filter(f) => {
                let value = |name: &str, v: &str| {
                    if v.is_empty() || v.contains(|c: char| c.is_whitespace() || "()“".contains(c))
                    {
                        format!("{name}:\"{v}\"")
                    } else {
                        format!("{name}:{v}")
                    }
                };
                match f {
                    Filter::Kind(v) => value("kind", v),
                    Filter::Type(v) => value("type", v),
                    Filter::Body(v) => value("body", v),
                    Filter::Person(v) => value("person", v),
                    Filter::Dossier(v) => value("dossier", v),
                    Filter::Lang(v) => value("lang", v),
                    Filter::Collection(v) => value("collection", v),
                    Filter::Letter(_) => return None,
                    Filter::Date { from, to } | Filter::Coverage { from, to } => {
                        let day = |d: i64, open: i64| -> Option<String> {
                            if d == open {
                                return Some(String::new());
                            }
                            (0..=9999_1231).contains(&d).then(|| {
                                format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100)
                            })
                        };
                        let name = if matches!(f, Filter::Coverage { .. }) {
                            "coverage"
                        } else {
                            "date"
                        };
                        format!("{name}:{}..{}", day(*from, i64::MIN)?, day(*to, i64::MAX)?)
                    }
                }
            }
        })
    }

    #[test]
    fn printed_trees_parse_back() {
        for q in [
            "a (b OR \"c d\") -e kind:x f",
            "-(a b) OR -(c OR d) OR --e",
            "a (b (c OR d)) kind:\"x y\" date:..1997 date:1997-05..",
            "coverage:1990..2001 collection:visits -coverage:..1950",
            "a -",
        ] {
            let n = parse(q).unwrap();
            let printed = print(&n).unwrap();
            assert_eq!(parse(&printed).unwrap(), n, "{q} → {printed}");
        }
    }

    mod properties {
        use super::super::*;
        use super::print;
        use proptest::prelude::*;

        /// Pieces of the language and of its abuse, for strings that reach the parser's
        /// every branch more often than random text would.
        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                prop::sample::select(vec![
                    "(",
                    ")",
                    "\"",
                    "“",
                    "”",
                    "-",
                    "NOT",
                    "AND",
                    "OR",
                    "&&",
                    "||",
                    "not",
                    "and",
                    ":",
                    "..",
                    "kind:",
                    "type:",
                    "body:",
                    "person:",
                    "dossier:",
                    "lang:",
                    "year:",
                    "date:",
                    "colour:",
                    "http://x",
                    "1997",
                    "1997-05",
                    "2002..1997",
                    "pjc",
                    "a",
                    "é",
                    "Ж",
                    " ",
                    "  ",
                    "\t",
                    "-(",
                    "--",
                    "((",
                    "))",
                ])
                .prop_map(str::to_string),
                "[a-z]{1,8}",
                "[-()\"“”: a-z]{1,6}",
            ]
        }

        fn query() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat()),
                prop::collection::vec(piece(), 0..40).prop_map(|v| v.join(" ")),
                // Long runs of one piece: deep nesting, NOT chains, term lists.
                (piece(), 1..1200usize, piece())
                    .prop_map(|(p, n, end)| format!("{}{end}", p.repeat(n))),
            ]
        }

        /// A well-formed query, with how deeply its parentheses and NOTs nest, how many
        /// words, phrases and filters it holds, and whether it is one unit (a NOT applies
        /// to a unit; anything else is put in parentheses first).
        fn well_formed() -> impl Strategy<Value = (String, usize, usize, bool)> {
            let leaf = prop_oneof![
                "[a-z]{1,6}",
                "[a-z]{1,5}( [a-z]{1,5}){0,2}".prop_map(|p| format!("\"{p}\"")),
                prop::sample::select(vec![
                    "kind:speech",
                    "body:pjc",
                    "date:1997..2002",
                    "year:1999",
                    "lang:fr",
                ])
                .prop_map(str::to_string),
            ]
            .prop_map(|q| (q, 0, 1, true));
            // Long lists of terms, around the limit on their number.
            let list =
                (prop::collection::vec(leaf.clone(), 40..90), any::<bool>()).prop_map(|(v, or)| {
                    let t = v.len();
                    let texts: Vec<String> = v.into_iter().map(|(q, ..)| q).collect();
                    (texts.join(if or { " OR " } else { " " }), 0, t, false)
                });
            let tree = leaf.prop_recursive(8, 120, 3, |inner| {
                fn wrap(
                    (q, n, t, unit): (String, usize, usize, bool),
                    op: &str,
                ) -> (String, usize, usize, bool) {
                    match op {
                        "(" => (format!("({q})"), n + 1, t, true),
                        _ if unit => (format!("{op}{q}"), n + 1, t, true),
                        _ => (format!("{op}({q})"), n + 2, t, true),
                    }
                }
                prop_oneof![
                    // A run of parentheses and NOTs around one query: the deep ones.
                    (
                        inner.clone(),
                        prop::collection::vec(prop::sample::select(vec!["(", "-", "NOT "]), 1..20)
                    )
                        .prop_map(|(x, ops)| ops.iter().fold(x, |x, op| wrap(x, op))),
                    (inner.clone(), inner.clone()).prop_map(|((a, n, t, _), (b, m, u, _))| {
                        (format!("{a} OR {b}"), n.max(m), t + u, false)
                    }),
                    (inner.clone(), inner).prop_map(|((a, n, t, _), (b, m, u, _))| {
                        (format!("{a} {b}"), n.max(m), t + u, false)
                    }),
                ]
            });
            prop_oneof![3 => tree, 1 => list]
        }

        proptest! {

            /// A well-formed query is refused exactly when it passes a limit.
            #[test]
            fn well_formed_queries_are_refused_only_past_a_limit(
                (q, nesting, terms, _) in well_formed()
            ) {
                let within = nesting <= MAX_NESTING
                    && terms <= MAX_TERMS
                    && q.chars().count() <= MAX_QUERY_CHARS;
                match parse(&q) {
                    Ok(node) => {
                        prop_assert!(within, "{q:?} ({nesting} deep, {terms} terms) was accepted");
                        prop_assert!(depth(&node) <= MAX_DEPTH);
                        // The printed text may be longer than the query (parentheses the
                        // tree implies): only a text within the limit must parse back.
                        if let Some(p) = print(&node).filter(|p| p.chars().count() <= MAX_QUERY_CHARS) {
                            prop_assert_eq!(parse(&p), Ok(node));
                        }
                    }
                    Err(e) => prop_assert!(!within, "{q:?}: {e}"),
                }
            }

            #[test]
            fn parse_is_bounded_and_never_panics(q in query()) {
                match parse(&q) {
                    Ok(node) => {
                        prop_assert!(depth(&node) <= MAX_DEPTH, "{q:?}: depth {}", depth(&node));
                        prop_assert!(q.chars().count() <= MAX_QUERY_CHARS);
                        prop_assert!(positive_terms(&node).len() <= q.chars().count());
                        // A printer's text parses back to the same tree.
                        if let Some(p) = print(&node).filter(|p| p.chars().count() <= MAX_QUERY_CHARS) {
                            prop_assert_eq!(parse(&p), Ok(node), "{:?} printed as {:?}", q, p);
                        }
                    }
                    Err(e) => {
                        prop_assert!(e.position <= q.chars().count(), "{q:?}: {e}");
                        prop_assert!(!e.message.is_empty());
                    }
                }
            }
        }
    }
}
