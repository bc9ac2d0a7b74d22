//! The generated corpus: seeded and synthetic, a Zipfian vocabulary of made-up words that
//! neither stemmer changes, heavy-tailed body lengths, the field's phrases and acronyms.

use dossier_model::*;

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A standard normal deviate (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const VOCAB: usize = 50_000;
const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
const VOWELS: &[u8] = b"ao";

/// The word of frequency rank `i`: consonant-vowel syllables ending in a or o, which the
/// Porter and Snowball stemmers both leave alone.
pub(super) fn word(i: usize) -> String {
    let base = CONSONANTS.len() * VOWELS.len();
    let (mut n, mut syllables) = (i, 2);
    let mut span = base * base;
    while n >= span {
        n -= span;
        syllables += 1;
        span *= base;
    }
    let mut out = String::new();
    for _ in 0..syllables {
        let s = n % base;
        n /= base;
        out.push(CONSONANTS[s / VOWELS.len()] as char);
        out.push(VOWELS[s % VOWELS.len()] as char);
    }
    out
}

const PHRASES: &[&str] = &[
    "Permanent Joint Council",
    "PJC",
    "Founding Act",
    "NATO-Russia Council",
    "NRC",
    "Euro-Atlantic Partnership Council",
    "EAPC",
    "Partnership for Peace",
    "combating terrorism",
    "civil emergency planning",
    "arms control",
    "search and rescue at sea",
];

pub(super) struct Corpus {
    rng: Rng,
    vocab: Vec<String>,
    cdf: Vec<f64>,
}

impl Corpus {
    pub(super) fn new(seed: u64) -> Self {
        let vocab: Vec<String> = (0..VOCAB).map(word).collect();
        let mut cdf = Vec::with_capacity(VOCAB);
        let mut total = 0.0;
        for r in 0..VOCAB {
            total += 1.0 / ((r + 1) as f64).powf(1.07);
            cdf.push(total);
        }
        cdf.iter_mut().for_each(|c| *c /= total);
        Corpus {
            rng: Rng(seed),
            vocab,
            cdf,
        }
    }

    fn zipf(&mut self) -> &str {
        let u = self.rng.f64();
        let i = self.cdf.partition_point(|c| *c < u).min(VOCAB - 1);
        &self.vocab[i]
    }

    fn words(&mut self, n: usize, out: &mut String) {
        for k in 0..n {
            if k > 0 {
                out.push(if k % 17 == 0 { '.' } else { ' ' });
                if k % 17 == 0 {
                    out.push(' ');
                }
            }
            let w = self.zipf().to_string();
            out.push_str(&w);
            if self.rng.below(1000) < 3 {
                out.push(' ');
                out.push_str(PHRASES[self.rng.below(PHRASES.len())]);
            }
        }
    }

    pub(super) fn document(&mut self, n: usize) -> Document {
        // Log-normal word counts: mean ≈ 285 words ≈ 2 KB, with a long tail.
        let sigma = 0.8;
        let mu = (285.0f64).ln() - sigma * sigma / 2.0;
        let len = (mu + sigma * self.rng.normal()).exp().clamp(10.0, 20_000.0) as usize;
        let mut body = String::with_capacity(len * 7);
        self.words(len, &mut body);
        let mut title = String::new();
        let tlen = 3 + self.rng.below(6);
        self.words(tlen, &mut title);
        if self.rng.below(20) == 0 {
            title.push(' ');
            title.push_str(PHRASES[self.rng.below(PHRASES.len())]);
        }
        let kinds = DocumentKind::ALL;
        let kind = kinds[self.rng.below(kinds.len())];
        let year = 1945 + self.rng.below(66) as i32;
        let month = 1 + self.rng.below(12) as u8;
        let day = 1 + self.rng.below(28) as u8;
        let date = match self.rng.below(100) {
            0..=59 => Edtf::Date(PartialDate::ymd(year, month, day)),
            60..=84 => Edtf::Date(PartialDate {
                day: None,
                ..PartialDate::ymd(year, month, 1)
            }),
            85..=94 => Edtf::Date(PartialDate::year(year)),
            _ => {
                let end = PartialDate {
                    day: None,
                    ..PartialDate::ymd(year + 1, month, 1)
                };
                Edtf::Interval(
                    dossier_model::date::Bound::Date(PartialDate {
                        day: None,
                        ..PartialDate::ymd(year, month, 1)
                    }),
                    dossier_model::date::Bound::Date(end),
                )
            }
        };
        let issued_by = match self.rng.below(10) {
            0 => vec!["pjc".to_string()],
            1 => vec!["nrc".to_string()],
            2 => vec!["eapc".to_string()],
            _ => vec![],
        };
        Document {
            collections: Vec::new(),
            coverage: None,
            slug: format!("doc-{n}"),
            title,
            aliases: vec![],
            kind,
            date: Some(date),
            place: None,
            issued_by,
            authors: vec![],
            parties: vec![],
            legal_status: LegalStatus::Unknown,
            availability: Availability::Public,
            languages: vec!["en".into()],
            summary: None,
            texts: vec![Text::plain("en", &body, None)],
            relations: vec![],
            dossiers: vec!["bench".into()],
            topics: vec![],
            provenance: Provenance::default(),
        }
    }
}

/// The bodies the corpus's documents are issued by, whose names and acronyms dossier expands.
pub(crate) fn bench_bodies() -> Vec<Body> {
    let body = |slug: &str, name: &str, acronym: &str| -> Body {
        serde_json::from_value(serde_json::json!({
            "slug": slug, "name": name, "acronyms": [acronym], "kind": "council", "dossiers": ["bench"]
        }))
        .expect("a valid body")
    };
    vec![
        body("pjc", "Permanent Joint Council", "PJC"),
        body("nrc", "NATO-Russia Council", "NRC"),
        body("eapc", "Euro-Atlantic Partnership Council", "EAPC"),
    ]
}

/// The corpus in batches of `batch` documents, and the bytes of text it holds. It is made
/// before the clocks start, so neither engine pays for generating it.
pub(crate) fn generate(seed: u64, total: usize, batch: usize) -> (Vec<Vec<Document>>, u64) {
    let mut corpus = Corpus::new(seed);
    let mut batches: Vec<Vec<Document>> = Vec::new();
    let mut made = 0;
    let mut text_bytes = 0u64;
    while made < total {
        let n = batch.min(total - made);
        let docs: Vec<Document> = (made..made + n).map(|i| corpus.document(i)).collect();
        text_bytes += docs
            .iter()
            .map(|d| {
                (d.title.len() + d.texts.iter().map(|t| t.plain_text().len()).sum::<usize>()) as u64
            })
            .sum::<u64>();
        batches.push(docs);
        made += n;
        eprint!("\r  generated {made}/{}", total);
    }
    eprintln!();
    (batches, text_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_unique_and_stable() {
        let words: std::collections::HashSet<String> = (0..VOCAB).map(word).collect();
        assert_eq!(words.len(), VOCAB);
        assert_eq!(word(0), "baba");
        assert!(words.iter().all(|w| w.ends_with('a') || w.ends_with('o')));
    }

    #[test]
    fn the_corpus_is_seeded() {
        let a = Corpus::new(7).document(0);
        let b = Corpus::new(7).document(0);
        assert_eq!(a, b);
    }
}
