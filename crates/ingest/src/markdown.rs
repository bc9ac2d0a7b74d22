//! Writing plain text into Markdown commentary without it being read as markup.

/// Escapes the characters that Markdown would read as markup (emphasis, links, code,
/// raw HTML), so that text from an outside file stays text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes a whole line, also guarding a leading list or heading marker.
pub fn escape_line(line: &str) -> String {
    let escaped = escape(line);
    let needs_guard =
        escaped.starts_with('-') || escaped.starts_with('+') || escaped.starts_with('=') || {
            let digits = escaped.bytes().take_while(|b| b.is_ascii_digit()).count();
            digits > 0 && matches!(escaped.as_bytes().get(digits), Some(b'.') | Some(b')'))
        };
    if needs_guard {
        format!("\\{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_stays_text() {
        assert_eq!(
            escape("<script>*x*</script>"),
            "\\<script\\>\\*x\\*\\</script\\>"
        );
        assert_eq!(escape_line("1997. A year"), "\\1997. A year");
        assert_eq!(escape_line("- not a list"), "\\- not a list");
        assert_eq!(escape_line("plain (text)"), "plain (text)");
    }
}
