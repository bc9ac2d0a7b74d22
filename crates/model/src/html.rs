//! Text escaped for HTML: the one rule shared by the search's snippets and the pages, so
//! that what a record's text becomes in HTML is the same wherever it is shown.

/// Writes `s` escaped for HTML content and quoted attribute values, copying the runs
/// between special characters as they are (pages are mostly plain text, so this avoids a
/// copy per value).
pub fn write_escaped(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        out.write_str(rep)?;
        start = i + 1;
    }
    out.write_str(&s[start..])
}

/// `s` escaped for HTML content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Writing into a String cannot fail.
    let _ = write_escaped(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_the_five_characters_and_keeps_the_rest() {
        assert_eq!(
            escape_html("<b a=\"1\">Tom & Jerry's</b> é/"),
            "&lt;b a=&quot;1&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt; é/"
        );
        assert_eq!(escape_html("plain"), "plain");
    }
}
