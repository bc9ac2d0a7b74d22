//! Stable, human-readable slugs: lowercase ASCII letters, digits and single hyphens.

/// Turns a title into a slug: `"NATO-Russia Council (NRC)"` → `"nato-russia-council-nrc"`.
///
/// Common Latin accents are folded to their base letter so that slugs stay readable;
/// any other character becomes a separator.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for ch in text.chars() {
        let folded = fold(ch);
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                if pending_dash && !out.is_empty() {
                    out.push('-');
                }
                pending_dash = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_dash = true;
            }
        }
    }
    out
}

/// Whether `s` is a slug as [`slugify`] makes them (so that it is safe in a URL path).
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn fold(ch: char) -> String {
    let base = match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => return ch.to_string(),
    };
    base.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_makes_readable_slugs() {
        assert_eq!(
            slugify("NATO-Russia Council (NRC)"),
            "nato-russia-council-nrc"
        );
        assert_eq!(slugify("  Défense -- Policy  "), "defense-policy");
        assert_eq!(
            slugify("3.6. Combating Terrorism"),
            "3-6-combating-terrorism"
        );
        assert_eq!(slugify("<script>"), "script");
    }

    #[test]
    fn validity() {
        assert!(is_valid_slug("founding-act-1997"));
        assert!(!is_valid_slug("../etc/passwd"));
        assert!(!is_valid_slug("Founding"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug("a--b"));
    }
}
