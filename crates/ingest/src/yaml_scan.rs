//! A linear pre-scan of YAML front matter that refuses deep nesting before the YAML parser
//! sees it.
//!
//! The YAML parser (serde_norway on libyaml) refuses nesting past 128 levels, but only
//! after scanning: its scanner does work in proportion to the open flow levels for every
//! token, so a few kilobytes of `a: [[[[…` cost seconds before the limit refused it (issue
//! 20; see BENCHMARKS.md). This
//! scan reads the text once, keeps an upper bound of the flow nesting (`[`, `{` outside
//! quoted scalars, comments and block scalars) and of the column block structure starts
//! at, and refuses past [`MAX_FLOW_DEPTH`] or [`MAX_BLOCK_COLUMN`].
//!
//! It is conservative: where the text could be read two ways (an apostrophe that might
//! open a quoted scalar or sit inside a plain one), it stops telling brackets in quotes
//! from structure for the rest of the text, and counts every `[` and `{` as an opening
//! and no `]` or `}` as a closing, so that the bound stays an upper bound of what the
//! parser will nest. Real front matter does not come near either limit.

/// How deep flow collections (`[…]`, `{…}`) may nest in front matter: a record's front
/// matter nests three or four levels (a list of sources, each with a list of fields).
pub const MAX_FLOW_DEPTH: usize = 64;

/// The column (0-based, in characters) past which block structure (a key, a `-` item)
/// may not start: block nesting needs at least one column a level, so this bounds it
/// (front matter indented two spaces a level reaches column 10 or so).
pub const MAX_BLOCK_COLUMN: usize = 64;

/// Why front matter was refused: the line (1-based, in the text scanned) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub message: String,
}

/// Where a flow scan is, for telling a quote that opens a scalar from one inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Where a node may start: after `[`, `{`, `,`, `? `, `: `, an anchor or a tag.
    NodeStart,
    /// Inside a plain scalar.
    Plain,
    /// After a complete node (a quoted scalar, a closed collection, an alias).
    AfterNode,
}

/// Where the scan of a line goes on.
enum Next {
    Done,
    /// A node starts at this index; the column of the line's innermost block entry.
    Node(usize, Option<usize>),
    /// After a complete node (block context).
    After(usize),
    /// Inside a flow collection.
    Flow(usize),
}

struct Scan {
    /// An upper bound of the flow nesting (exact until `sticky`).
    depth: usize,
    /// A quoted scalar left open at the end of a line: its quote character.
    quote: Option<char>,
    /// In a flow collection: what came before.
    prev: Prev,
    /// Whether white space came right before (a `#` then starts a comment).
    space: bool,
    /// A block scalar (`|`, `>`) is being read: the indentation of its parent, and that
    /// of its content once known; and the deepest blank line before its first line.
    block: Option<(isize, Option<usize>, usize)>,
    /// The column of the node whose value the next line may hold (`key:` at the end of
    /// a line); -1 for the document itself.
    pending: Option<isize>,
    /// The last line ended inside a plain scalar, which a line indented past this column
    /// (its block collection's) may continue.
    plain: Option<isize>,
    /// Unsure how to read the text: count every opening bracket from here on.
    sticky: bool,
    line: usize,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn blank(c: Option<&char>) -> bool {
    matches!(c, None | Some(' ' | '\t'))
}

/// Checks the nesting of YAML `text` in one pass; see the module's documentation.
pub fn check_nesting(text: &str) -> Result<(), TooDeep> {
    let mut s = Scan {
        depth: 0,
        quote: None,
        prev: Prev::NodeStart,
        space: true,
        block: None,
        pending: Some(-1),
        plain: None,
        sticky: false,
        line: 0,
    };
    let mut chars: Vec<char> = Vec::new();
    let mut it = text.chars().peekable();
    loop {
        chars.clear();
        let mut ended = false;
        for c in it.by_ref() {
            if is_break(c) {
                ended = true;
                if c == '\r' && it.peek() == Some(&'\n') {
                    it.next();
                }
                break;
            }
            chars.push(c);
        }
        s.line += 1;
        s.scan_line(&chars)?;
        if !ended {
            return Ok(());
        }
    }
}

impl Scan {
    fn too_deep(&self) -> TooDeep {
        TooDeep {
            line: self.line,
            message: format!(
                "the front matter nests deeper than {MAX_FLOW_DEPTH} levels of `[` and `{{`; refused before parsing (a limit that bounds the work parsing costs)"
            ),
        }
    }

    fn open(&mut self) -> Result<(), TooDeep> {
        self.depth += 1;
        if self.depth > MAX_FLOW_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }

    fn scan_line(&mut self, l: &[char]) -> Result<(), TooDeep> {
        if self.sticky {
            if !l.iter().all(|c| *c == ' ') {
                self.check_column(l.iter().take_while(|c| **c == ' ').count())?;
            }
            for c in l {
                if matches!(c, '[' | '{') {
                    self.open()?;
                }
            }
            return Ok(());
        }
        let mut i = 0;
        if self.quote.is_some() {
            match self.close_quote(l, 0) {
                Some(end) => i = end,
                None => return Ok(()),
            }
            if self.depth == 0 {
                return self.run(l, Next::After(i));
            }
        } else if self.depth == 0 {
            return self.block_line(l);
        } else {
            // A line break inside a flow collection is white space.
            self.space = true;
            if self.prev == Prev::Plain && matches!(l.first(), Some('\'' | '"')) {
                self.sticky = true;
                return self.scan_line(l);
            }
        }
        self.run(l, Next::Flow(i))
    }

    /// Runs the scan of a line from one state to the next: iterative, since one line may
    /// hold any number of nodes (`"a": "b": …`).
    fn run(&mut self, l: &[char], mut next: Next) -> Result<(), TooDeep> {
        loop {
            next = match next {
                Next::Done => return Ok(()),
                Next::Node(i, node) => self.node(l, i, node)?,
                Next::After(i) => self.after_node(l, i)?,
                Next::Flow(i) => self.flow(l, i)?,
            };
        }
    }

    /// Scans a quoted scalar from `i` for its closing quote: the index after it, or `None`
    /// when it goes on past the line.
    fn close_quote(&mut self, l: &[char], mut i: usize) -> Option<usize> {
        let q = self.quote.expect("in a quoted scalar");
        while i < l.len() {
            let c = l[i];
            if q == '"' && c == '\\' {
                i += 2;
                continue;
            }
            if c == q {
                if q == '\'' && l.get(i + 1) == Some(&'\'') {
                    i += 2;
                    continue;
                }
                self.quote = None;
                self.prev = Prev::AfterNode;
                self.space = false;
                return Some(i + 1);
            }
            i += 1;
        }
        None
    }

    fn check_column(&self, col: usize) -> Result<(), TooDeep> {
        if col > MAX_BLOCK_COLUMN {
            return Err(TooDeep {
                line: self.line,
                message: format!(
                    "the front matter's block structure starts past column {MAX_BLOCK_COLUMN} (nesting too deep); refused before parsing (a limit that bounds the work parsing costs)"
                ),
            });
        }
        Ok(())
    }

    /// A line read in block context (no flow collection open, no quoted scalar open).
    fn block_line(&mut self, l: &[char]) -> Result<(), TooDeep> {
        let indent = l.iter().take_while(|c| **c == ' ').count();
        let is_blank = l[indent..].iter().all(|c| *c == ' ' || *c == '\t');
        if let Some((n, m, deepest)) = self.block {
            if l[indent..].iter().all(|c| *c == ' ') {
                if m.is_none() {
                    self.block = Some((n, m, deepest.max(indent)));
                }
                return Ok(());
            }
            // libyaml's rule: the content is indented at least one more than its parent,
            // at least 1, and as deep as the first line (and blank lines before it).
            let m = m.unwrap_or_else(|| deepest.max(indent).max((n + 1).max(1) as usize));
            if indent >= m {
                self.block = Some((n, Some(m), deepest));
                return Ok(());
            }
            self.block = None;
            self.pending = None;
            self.plain = None;
        }
        if is_blank {
            return Ok(());
        }
        let mut i = indent;
        while l.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
            i += 1;
        }
        if l[i] == '#' {
            return Ok(());
        }
        if self.plain.is_some_and(|p| indent as isize > p) {
            // The line may go on with the plain scalar of the line before: where the
            // two readings differ (a quote, a bracket, a block indicator), be conservative.
            if "-?:'\"|>[{&!*%@`".contains(l[i]) {
                self.sticky = true;
                return self.scan_line(&l[i..]);
            }
        }
        let mut node: Option<usize> = None;
        // Block indicators: `- `, `? `, `: `.
        while matches!(l.get(i), Some('-' | '?' | ':')) && blank(l.get(i + 1)) {
            node = Some(i);
            i += 1;
            while l.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
                i += 1;
            }
        }
        self.check_column(i)?;
        self.run(l, Next::Node(i, node))
    }

    /// A node starts at `i` in block context; `node` is the column of the innermost block
    /// collection entry started on this line, if any.
    fn node(&mut self, l: &[char], mut i: usize, mut node: Option<usize>) -> Result<Next, TooDeep> {
        loop {
            while l.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
                i += 1;
            }
            let Some(&c) = l.get(i) else {
                // The value is on the next lines.
                self.pending = node.map(|n| n as isize).or(self.pending);
                self.plain = None;
                return Ok(Next::Done);
            };
            match c {
                '#' => {
                    self.pending = node.map(|n| n as isize).or(self.pending);
                    self.plain = None;
                    return Ok(Next::Done);
                }
                '&' | '!' => {
                    while l.get(i).is_some_and(|c| *c != ' ' && *c != '\t') {
                        i += 1;
                    }
                }
                '*' => {
                    while l.get(i).is_some_and(|c| *c != ' ' && *c != '\t') {
                        i += 1;
                    }
                    return Ok(Next::After(i));
                }
                '\'' | '"' => {
                    self.pending = None;
                    self.quote = Some(c);
                    return match self.close_quote(l, i + 1) {
                        Some(end) => Ok(Next::After(end)),
                        None => Ok(Next::Done),
                    };
                }
                '[' | '{' => {
                    self.pending = None;
                    self.plain = None;
                    self.open()?;
                    self.prev = Prev::NodeStart;
                    self.space = false;
                    return Ok(Next::Flow(i + 1));
                }
                '|' | '>' => {
                    let parent = node.map(|n| n as isize).or(self.pending);
                    let mut j = i + 1;
                    let mut explicit = None;
                    while let Some(&h) = l.get(j) {
                        match h {
                            '+' | '-' => {}
                            '1'..='9' => explicit = Some(h as usize - '0' as usize),
                            _ => break,
                        }
                        j += 1;
                    }
                    let rest_ok = l[j..]
                        .iter()
                        .position(|c| *c != ' ' && *c != '\t')
                        .is_none_or(|k| l[j + k] == '#' && k > 0);
                    let Some(n) = parent.filter(|_| rest_ok && j - i <= 3) else {
                        self.sticky = true;
                        return Ok(Next::Done);
                    };
                    let m = explicit.map(|k| if n >= 0 { n as usize + k } else { k });
                    self.block = Some((n, m, 0));
                    self.pending = None;
                    self.plain = None;
                    return Ok(Next::Done);
                }
                '%' | '@' | '`' => {
                    self.sticky = true;
                    self.scan_line(&l[i..])?;
                    return Ok(Next::Done);
                }
                _ => {
                    // A plain scalar: a key if `: ` follows, else a value to the line's
                    // end (or a comment); brackets and quotes inside it are text.
                    let start = i;
                    let mut j = i + 1;
                    loop {
                        match l.get(j) {
                            None => {
                                self.pending = None;
                                self.plain = Some(node.map_or(-1, |n| n as isize));
                                return Ok(Next::Done);
                            }
                            Some(':') if blank(l.get(j + 1)) => break,
                            Some(' ' | '\t') if l.get(j + 1) == Some(&'#') => {
                                self.pending = None;
                                self.plain = Some(node.map_or(-1, |n| n as isize));
                                return Ok(Next::Done);
                            }
                            _ => j += 1,
                        }
                    }
                    self.check_column(start)?;
                    node = Some(start);
                    i = j + 1;
                }
            }
        }
    }

    /// After a complete node in block context (a quoted scalar, a closed collection, an
    /// alias): `: ` and a value, a comment, or the line's end.
    fn after_node(&mut self, l: &[char], mut i: usize) -> Result<Next, TooDeep> {
        while l.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
            i += 1;
        }
        self.plain = None;
        match l.get(i) {
            None | Some('#') => {
                self.pending = None;
                Ok(Next::Done)
            }
            Some(':') if blank(l.get(i + 1)) => Ok(Next::Node(i + 1, None)),
            Some(_) => {
                self.sticky = true;
                self.scan_line(&l[i..])?;
                Ok(Next::Done)
            }
        }
    }

    /// Scans flow content from `i` (at least one collection open, no quote open).
    fn flow(&mut self, l: &[char], mut i: usize) -> Result<Next, TooDeep> {
        while i < l.len() {
            let c = l[i];
            match c {
                ' ' | '\t' => {
                    self.space = true;
                    i += 1;
                    continue;
                }
                '#' if self.space => return Ok(Next::Done),
                '[' | '{' => {
                    self.open()?;
                    self.prev = Prev::NodeStart;
                }
                ']' | '}' => {
                    self.depth -= 1;
                    self.prev = Prev::AfterNode;
                    if self.depth == 0 {
                        return Ok(Next::After(i + 1));
                    }
                }
                ',' => self.prev = Prev::NodeStart,
                '?' if self.prev == Prev::NodeStart && blank(l.get(i + 1)) => {}
                ':' if blank(l.get(i + 1))
                    || self.prev == Prev::AfterNode
                    || matches!(l.get(i + 1), Some(',' | '[' | ']' | '{' | '}')) =>
                {
                    self.prev = Prev::NodeStart;
                }
                ':' if matches!(l.get(i + 1), Some('\'' | '"')) => {
                    // `a:'b'`: one scalar, or a key and a quoted value.
                    self.sticky = true;
                    self.scan_line(&l[i..])?;
                    return Ok(Next::Done);
                }
                '\'' | '"' => match (self.prev, self.space) {
                    (Prev::NodeStart, _) => {
                        self.quote = Some(c);
                        match self.close_quote(l, i + 1) {
                            Some(end) => {
                                i = end;
                                continue;
                            }
                            None => return Ok(Next::Done),
                        }
                    }
                    (Prev::Plain, false) => {}
                    _ => {
                        self.sticky = true;
                        self.scan_line(&l[i..])?;
                        return Ok(Next::Done);
                    }
                },
                '&' | '!' | '*' if self.prev == Prev::NodeStart => {
                    while l
                        .get(i)
                        .is_some_and(|c| !matches!(c, ' ' | '\t' | ',' | '[' | ']' | '{' | '}'))
                    {
                        i += 1;
                    }
                    if c == '*' {
                        self.prev = Prev::AfterNode;
                    }
                    self.space = false;
                    continue;
                }
                _ => self.prev = Prev::Plain,
            }
            self.space = false;
            i += 1;
        }
        Ok(Next::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn depth_error(text: &str) -> Option<usize> {
        check_nesting(text).err().map(|e| e.line)
    }

    #[test]
    fn real_front_matter_passes() {
        for text in [
            "title: Founding Act [1997]\nkind: founding-act\ndate: 1997-05-27\n",
            "title: \"A [quoted] title\"\ntags: [a, b, 'it''s', \"x]\"]\nsources:\n  - title: X\n    url: https://example.org/?a[]=1\n    fields: [title, date]\n",
            "summary: |\n  [[[[ text, not structure\n  more ]]]\nnext: {a: [1, 2], b: {c: d}}\n",
            "a: &x [1, 2]\nb: *x\nc: !!str 3\n# [[[[ a comment\nd: e # [[[[ another\n",
            "title: Russia's policy\nnote: 'multi\n  line [[[ quote'\n",
        ] {
            assert_eq!(check_nesting(text), Ok(()), "{text}");
        }
    }

    /// Issue 20, finding 5: 64 KB of `[` took 5.5 s in the YAML parser before its limit
    /// refused it; the scan refuses it at the 65th.
    #[test]
    fn deep_flow_nesting_is_refused() {
        for text in [
            "[".repeat(64 * 1024),
            format!("title: x\na: {}", "[".repeat(64 * 1024)),
            format!("a: {}", "{a: ".repeat(16 * 1024)),
            format!("a: {}", "[\"]\", ".repeat(100)),
            format!("a: [x'{}", "[".repeat(100)),
        ] {
            assert_eq!(
                depth_error(&text),
                Some(text.matches('\n').count() + 1),
                "{}",
                &text[..40]
            );
        }
        let e = check_nesting(&format!("a: {}", "[".repeat(65))).unwrap_err();
        assert!(e.message.contains("deeper than 64 levels"), "{}", e.message);
        assert_eq!(
            check_nesting(&format!("a: {}{}", "[".repeat(64), "]".repeat(64))),
            Ok(())
        );
    }

    #[test]
    fn a_long_line_of_nodes_is_scanned_without_recursion() {
        let line = "\"a\": ".repeat(1_000_000);
        let _ = check_nesting(&line);
        let line = "[a]: ".repeat(1_000_000);
        let _ = check_nesting(&line);
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let seq = "- ".repeat(40) + "x";
        assert!(check_nesting(&seq).is_err());
        let map: String = (0..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert_eq!(depth_error(&map), Some(66));
        let ok: String = (0..30).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert_eq!(check_nesting(&ok), Ok(()));
    }

    /// Ways to hide brackets from a scan that gets quotes, comments or block scalars
    /// wrong: each is counted.
    #[test]
    fn brackets_are_not_hidden_by_quotes_the_parser_does_not_see() {
        let deep = "[".repeat(100);
        for text in [
            format!("a: foo\n  'bar\nb: {deep}\nc: x'"),
            format!("a: x\n  |\nb: {deep}"),
            format!("a: |\nb: {deep}"),
            format!("- a: |\n  b: {deep}"),
            format!("a: x\r b: {deep}"),
            format!("a: [it's, {deep}"),
            format!("a: ['x' {deep}"),
            format!("\"k\": {deep}"),
        ] {
            assert!(check_nesting(&text).is_err(), "{text:?}");
        }
    }

    fn yaml_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("[".to_string()),
            Just("]".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just(", ".to_string()),
            Just(": ".to_string()),
            Just(":".to_string()),
            Just("- ".to_string()),
            Just("? ".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just(" #".to_string()),
            Just("|".to_string()),
            Just(">".to_string()),
            Just("&a ".to_string()),
            Just("!t ".to_string()),
            Just("a".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            (0usize..12).prop_map(|n| format!("\n{}", " ".repeat(n))),
            (1usize..80).prop_map(|n| "[".repeat(n)),
            (1usize..80).prop_map(|n| "{a: ".repeat(n)),
        ]
    }

    proptest! {

        /// Whatever the scan accepts, the YAML parser does not find nested past its own
        /// limit (128): the scan's bound is an upper bound of the parser's nesting.
        /// (No aliases: an alias inside its own anchor is refused by the same message.)
        #[test]
        fn accepted_text_never_reaches_the_parsers_recursion_limit(
            pieces in prop::collection::vec(yaml_piece(), 0..60)
        ) {
            let text: String = pieces.concat();
            if check_nesting(&text).is_ok() {
                let r: Result<serde_json::Value, _> = serde_norway::from_str(&text);
                if let Err(e) = r {
                    prop_assert!(!e.to_string().contains("recursion limit"), "{text:?}: {e}");
                }
            }
        }

        /// Arbitrary text never makes the scan panic.
        #[test]
        fn the_scan_never_panics(text in "\\PC{0,200}") {
            let _ = check_nesting(&text);
        }
    }
}
