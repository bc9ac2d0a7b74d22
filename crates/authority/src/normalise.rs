//! Names as they are compared: one spelling for the many a name is written in.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A name as compared: lower case, accents folded (`Conseil OTAN–Russie`, `Ivanov`,
/// `Müller` = `muller`), letters without a decomposition written out (`ß` → `ss`, `ø` →
/// `o`, `æ` → `ae`), `&` read as "and", every other character that is not a letter or
/// digit a space, spaces collapsed, and a leading "the" dropped ("The NATO-Russia Council"
/// = "NATO Russia Council"). Two names that normalise alike are the same name.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    let push = |out: &mut String, c: char, space: &mut bool| {
        if c.is_alphanumeric() {
            if *space && !out.is_empty() {
                out.push(' ');
            }
            *space = false;
            out.extend(c.to_lowercase());
        } else {
            *space = true;
        }
    };
    for c in name.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match fold(c) {
            Some(s) => {
                for f in s.chars() {
                    push(&mut out, f, &mut space);
                }
            }
            None => push(&mut out, c, &mut space),
        }
    }
    match out.strip_prefix("the ") {
        Some(rest) => rest.to_string(),
        None => out,
    }
}

/// Letters that Unicode does not decompose into a base letter and a mark, written as
/// the Latin letters a reader would type for them.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => " and ",
        'ß' => "ss",
        'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        _ => return None,
    })
}

/// The numbers in a normalised name, sorted: regnal numbers (`ii`, `vi`: words of
/// i, v and x only) and words with digits (`3rd`, `1997`). Names a letter apart that
/// differ in them are two (King George II and King George VI; the 1997 and the 1998
/// summit), not one misspelt.
pub(crate) fn numbers(name: &str) -> Vec<&str> {
    let mut out: Vec<&str> = name
        .split(' ')
        .filter(|w| {
            !w.is_empty()
                && (w.chars().all(|c| matches!(c, 'i' | 'v' | 'x'))
                    || w.chars().any(|c| c.is_ascii_digit()))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The words of a normalised name in alphabetical order: "obasanjo olusegun" for both
/// "Olusegun Obasanjo" and "Obasanjo, Olusegun".
pub(crate) fn sorted_words(name: &str) -> String {
    let mut words: Vec<&str> = name.split(' ').collect();
    words.sort_unstable();
    words.join(" ")
}

/// How alike two normalised names are, from 0 to 1: the better of their edit distance
/// (optimal string alignment, normalised) as written and with their words sorted, so that a reordered
/// name ("Obasanjo, Olusegun") is as alike as a misspelt one. Names whose numbers
/// differ ([`numbers`]) count at most 0.8: they are other names.
pub fn similarity(a: &str, b: &str) -> f64 {
    similarity_sorted(a, &sorted_words(a), b, &sorted_words(b))
}

/// [`similarity`] with each name's [`sorted_words`] given (the index keeps them).
pub(crate) fn similarity_sorted(a: &str, a_sorted: &str, b: &str, b_sorted: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let mut s = alike(a, b);
    if s < 1.0 && (a != a_sorted || b != b_sorted) {
        s = s.max(alike(a_sorted, b_sorted));
    }
    if numbers(a) != numbers(b) {
        s = s.min(0.8);
    }
    s
}

/// 1 less the edit distance (with transpositions: "Federatoin" is one slip, not two) over
/// the longer name's length.
fn alike(a: &str, b: &str) -> f64 {
    let longest = a.chars().count().max(b.chars().count());
    if longest == 0 {
        return 1.0;
    }
    1.0 - strsim::osa_distance(a, b) as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_one_spelling() {
        assert_eq!(normalise("The NATO-Russia  Council"), "nato russia council");
        assert_eq!(normalise("Conseil OTAN–Russie"), "conseil otan russie");
        assert_eq!(normalise("Müller, Jürgen"), "muller jurgen");
        assert_eq!(normalise("Straße"), "strasse");
        assert_eq!(normalise("Søren Kierkegaard"), "soren kierkegaard");
        assert_eq!(normalise("Łódź"), "lodz");
        assert_eq!(normalise("Bosnia & Herzegovina"), "bosnia and herzegovina");
        assert_eq!(normalise("Côte d’Ivoire"), "cote d ivoire");
        assert_eq!(normalise("Côte d'Ivoire"), normalise("COTE D'IVOIRE"));
        assert_eq!(normalise("Ｎａｔｏ"), "nato");
        assert_eq!(normalise("--"), "");
        assert_eq!(normalise(""), "");
        assert_eq!(normalise("  Россия "), "россия");
        assert_eq!(
            normalise("<script>alert(1)</script>"),
            "script alert 1 script"
        );
        // "The" only as a leading word.
        assert_eq!(normalise("Theodore"), "theodore");
    }

    #[test]
    fn numbers_tell_names_apart() {
        assert_eq!(numbers("king george vi"), vec!["vi"]);
        assert!(similarity("king george ii", "king george vi") <= 0.8);
        assert!(similarity("olusegun obasanjo", "obasanjo olusegun") > 0.99);
        assert!(similarity("president olesegun obasanjo", "president olusegun obasanjo") > 0.9);
        assert_eq!(similarity("nato", "nato"), 1.0);
        assert!(similarity("javier solana", "jaap de hoop scheffer") < 0.5);
    }
}
