//! External identifiers of bodies and people: the authority files other archives use
//! (Wikidata, VIAF, ISNI, GND), so that a record here can be joined to theirs (issue 28).
//! Each scheme's values are checked in shape (and ISNI by its check character) so that a
//! typo cannot become a live `sameAs` link to somebody else.

use serde::{Deserialize, Serialize};

/// An authority file whose identifiers a body or person may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdScheme {
    /// Wikidata items: `Q7184`.
    Wikidata,
    /// Virtual International Authority File: digits, `124960346`.
    Viaf,
    /// International Standard Name Identifier: 16 characters, the last a check digit or
    /// `X`, `0000000121032683` (spaces as written on paper are removed).
    Isni,
    /// Gemeinsame Normdatei (German National Library): `2024580-1`, `118540238`.
    Gnd,
}

impl IdScheme {
    pub const ALL: [IdScheme; 4] = [
        IdScheme::Wikidata,
        IdScheme::Viaf,
        IdScheme::Isni,
        IdScheme::Gnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdScheme::Wikidata => "wikidata",
            IdScheme::Viaf => "viaf",
            IdScheme::Isni => "isni",
            IdScheme::Gnd => "gnd",
        }
    }

    /// The scheme a name stands for (`wikidata`, `viaf`, `isni`, `gnd`, any case).
    pub fn parse(s: &str) -> Option<IdScheme> {
        IdScheme::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The name readers know the scheme by.
    pub fn label(self) -> &'static str {
        match self {
            IdScheme::Wikidata => "Wikidata",
            IdScheme::Viaf => "VIAF",
            IdScheme::Isni => "ISNI",
            IdScheme::Gnd => "GND",
        }
    }
}

/// One identifier of a record in an outside authority file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalId {
    pub scheme: IdScheme,
    /// The identifier as the scheme writes it (normalised by [`ExternalId::new`]).
    pub value: String,
}

impl ExternalId {
    /// A checked identifier: the value normalised (Wikidata `q7184` → `Q7184`, ISNI
    /// without spaces and with an upper-case `X`), or why it is not one of the scheme's.
    pub fn new(scheme: IdScheme, value: &str) -> Result<ExternalId, String> {
        let value = normalise(scheme, value);
        match problem(scheme, &value) {
            None => Ok(ExternalId { scheme, value }),
            Some(p) => Err(p),
        }
    }

    /// What is wrong with a stored identifier, if anything (the model's validation).
    pub fn problem(&self) -> Option<String> {
        if normalise(self.scheme, &self.value) != self.value {
            return Some(format!(
                "{} identifier {:?} is not in its normal form {:?}",
                self.scheme.label(),
                self.value,
                normalise(self.scheme, &self.value)
            ));
        }
        problem(self.scheme, &self.value)
    }

    /// The identifier's address at its authority (the `sameAs` of JSON-LD).
    pub fn url(&self) -> String {
        match self.scheme {
            IdScheme::Wikidata => format!("https://www.wikidata.org/entity/{}", self.value),
            IdScheme::Viaf => format!("https://viaf.org/viaf/{}", self.value),
            IdScheme::Isni => format!("https://isni.org/isni/{}", self.value),
            IdScheme::Gnd => format!("https://d-nb.info/gnd/{}", self.value),
        }
    }
}

fn normalise(scheme: IdScheme, value: &str) -> String {
    let v = value.trim();
    match scheme {
        IdScheme::Wikidata => v.to_ascii_uppercase(),
        IdScheme::Isni => v
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase(),
        IdScheme::Gnd => v.to_ascii_uppercase(),
        IdScheme::Viaf => v.to_string(),
    }
}

fn problem(scheme: IdScheme, v: &str) -> Option<String> {
    let bad = |what: &str| {
        Some(format!(
            "{v:?} is not a {} identifier ({what})",
            scheme.label()
        ))
    };
    if v.len() > 64 {
        return bad("too long");
    }
    match scheme {
        IdScheme::Wikidata => {
            let digits = v.strip_prefix('Q').unwrap_or("");
            if digits.is_empty()
                || digits.starts_with('0')
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return bad("Q followed by digits, e.g. Q7184");
            }
        }
        IdScheme::Viaf => {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                return bad("digits, e.g. 124960346");
            }
        }
        IdScheme::Isni => {
            let b = v.as_bytes();
            if b.len() != 16
                || !b[..15].iter().all(u8::is_ascii_digit)
                || !(b[15].is_ascii_digit() || b[15] == b'X')
            {
                return bad("16 characters, digits and a final check digit or X");
            }
            if isni_check(&b[..15]) != b[15] {
                return bad("its check character does not match");
            }
        }
        IdScheme::Gnd => {
            // Digits, then optionally a check character (digit or X), with or without a
            // hyphen before it: `118540238`, `11854023X`, `2024580-1`.
            let (main, check) = match v.split_once('-') {
                Some((m, c)) => (m, Some(c)),
                None => match v.strip_suffix('X') {
                    Some(m) => (m, Some("X")),
                    None => (v, None),
                },
            };
            let main_ok = !main.is_empty() && main.bytes().all(|b| b.is_ascii_digit());
            let check_ok = check
                .is_none_or(|c| c.len() == 1 && c.bytes().all(|b| b.is_ascii_digit() || b == b'X'));
            if !main_ok || !check_ok {
                return bad("digits, optionally with a hyphen and check character, e.g. 2024580-1");
            }
        }
    }
    None
}

/// ISO 7064 MOD 11-2, the ISNI (and ORCID) check character of the first 15 digits.
fn isni_check(digits: &[u8]) -> u8 {
    let mut total: u32 = 0;
    for d in digits {
        total = (total + u32::from(d - b'0')) * 2;
    }
    let result = (12 - total % 11) % 11;
    if result == 10 {
        b'X'
    } else {
        b'0' + result as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_check_their_values() {
        assert_eq!(
            ExternalId::new(IdScheme::Wikidata, " q7184 ")
                .unwrap()
                .value,
            "Q7184"
        );
        assert!(ExternalId::new(IdScheme::Wikidata, "Q").is_err());
        assert!(ExternalId::new(IdScheme::Wikidata, "Q07").is_err());
        assert!(ExternalId::new(IdScheme::Wikidata, "javascript:alert(1)").is_err());
        assert!(ExternalId::new(IdScheme::Viaf, "124960346").is_ok());
        assert!(ExternalId::new(IdScheme::Viaf, "12a").is_err());
        // ISNI of the British Library's example (0000 0001 2103 2683).
        assert_eq!(
            ExternalId::new(IdScheme::Isni, "0000 0001 2103 2683")
                .unwrap()
                .value,
            "0000000121032683"
        );
        assert!(ExternalId::new(IdScheme::Isni, "0000000121032684").is_err());
        assert!(ExternalId::new(IdScheme::Gnd, "2024580-1").is_ok());
        assert!(ExternalId::new(IdScheme::Gnd, "118540238").is_ok());
        assert!(ExternalId::new(IdScheme::Gnd, "11854023X").is_ok());
        assert!(ExternalId::new(IdScheme::Gnd, "<script>").is_err());
        assert!(ExternalId::new(IdScheme::Gnd, &"1".repeat(100)).is_err());
    }

    #[test]
    fn urls_point_at_the_authority() {
        let q = ExternalId::new(IdScheme::Wikidata, "Q7184").unwrap();
        assert_eq!(q.url(), "https://www.wikidata.org/entity/Q7184");
        assert_eq!(IdScheme::parse("VIAF"), Some(IdScheme::Viaf));
        assert_eq!(IdScheme::parse("orcid"), None);
    }
}
