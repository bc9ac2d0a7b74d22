//! Reading records: the [`Store`] trait's answers, by slug, by dossier and through links.

use super::{changes, write, SqliteStore};
use crate::*;
use rusqlite::{params, OptionalExtension};
use serde::de::DeserializeOwned;

impl Store for SqliteStore {
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError> {
        write::write(self, archive)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM dossiers", [], |r| r.get::<_, i64>(0))? == 0)
        })
    }

    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.title_of(record, slug).map(|t| t.is_some())
    }

    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT d.slug, d.title, d.description,
                   (SELECT COUNT(*) FROM links l WHERE l.rel = 'in-dossier' AND l.dst_slug = d.slug AND l.src_type = 'document'),
                   (SELECT COUNT(*) FROM links l WHERE l.rel = 'in-dossier' AND l.dst_slug = d.slug AND l.src_type = 'event')
                 FROM dossiers d ORDER BY d.position, d.title",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DossierSummary {
                    slug: r.get(0)?,
                    title: r.get(1)?,
                    description: r.get(2)?,
                    documents: r.get::<_, i64>(3)? as usize,
                    events: r.get::<_, i64>(4)? as usize,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        self.read(|c| {
            let data: Option<String> = c
                .query_row("SELECT data FROM dossiers WHERE slug = ?1", [slug], |r| {
                    r.get(0)
                })
                .optional()?;
            data.map(|d| parse(RecordType::Dossier, slug, &d))
                .transpose()
        })
    }

    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError> {
        self.read_record(RecordType::Document, slug)
    }
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError> {
        self.read_record(RecordType::Body, slug)
    }
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError> {
        self.read_record(RecordType::Person, slug)
    }
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError> {
        self.read_record(RecordType::Event, slug)
    }
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError> {
        self.read_record(RecordType::Topic, slug)
    }

    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError> {
        self.read(|c| {
            let sql = if record == RecordType::Dossier {
                "SELECT created, changed FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'"
            } else {
                "SELECT created, changed FROM records WHERE type = ?1 AND slug = ?2"
            };
            Ok(c.prepare_cached(sql)?
                .query_row(params![record.as_str(), slug], |r| {
                    Ok(Stamps {
                        created: r.get(0)?,
                        changed: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError> {
        let mut docs: Vec<Document> =
            self.in_dossier(RecordType::Document, q.dossier.as_deref())?;
        docs.retain(|d| {
            (q.kinds.is_empty() || q.kinds.iter().any(|k| k == d.kind.slug()))
                && (q.bodies.is_empty()
                    || q.bodies
                        .iter()
                        .any(|b| d.issued_by.contains(b) || d.parties.contains(b)))
        });
        Ok(docs)
    }

    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let mut events: Vec<Event> = self.in_dossier(RecordType::Event, q.dossier.as_deref())?;
        events.retain(|e| {
            (q.kinds.is_empty() || q.kinds.iter().any(|k| k == e.kind.slug()))
                && (q.bodies.is_empty() || q.bodies.iter().any(|b| e.bodies.contains(b)))
                && (q.levels.is_empty()
                    || e.level
                        .is_some_and(|l| q.levels.iter().any(|x| x == l.slug())))
        });
        Ok(events)
    }

    fn bodies(&self, dossier: Option<&str>) -> Result<Vec<Body>, StoreError> {
        let mut v: Vec<Body> = self.in_dossier(RecordType::Body, dossier)?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }
    fn people(&self, dossier: Option<&str>) -> Result<Vec<Person>, StoreError> {
        let mut v: Vec<Person> = self.in_dossier(RecordType::Person, dossier)?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }
    fn topics(&self, dossier: Option<&str>) -> Result<Vec<Topic>, StoreError> {
        self.in_dossier(RecordType::Topic, dossier)
    }

    fn citations(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Vec<SectionCitation>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.dossier, d.title, s.key, s.label, s.title, l.detail
                 FROM links l
                 JOIN sections s ON l.src_slug = s.dossier || '#' || s.key
                 JOIN dossiers d ON d.slug = s.dossier
                 WHERE l.src_type = 'section' AND l.rel = 'cites' AND l.dst_type = ?1 AND l.dst_slug = ?2
                 ORDER BY d.position, s.dossier, s.position",
            )?;
            let rows = stmt.query_map(params![record.as_str(), slug], |r| {
                Ok(SectionCitation {
                    dossier: r.get(0)?,
                    dossier_title: r.get(1)?,
                    key: r.get(2)?,
                    label: r.get(3)?,
                    title: r.get(4)?,
                    text: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT l.src_type, l.src_slug, r.title, l.rel, r.date
                 FROM links l JOIN records r ON r.type = l.src_type AND r.slug = l.src_slug
                 WHERE l.dst_type = ?1 AND l.dst_slug = ?2
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title",
            )?;
            let rows = stmt.query_map(params![record.as_str(), slug], |r| {
                let ty: String = r.get(0)?;
                Ok(Backlink {
                    record: RecordType::parse(&ty).unwrap_or(RecordType::Document),
                    slug: r.get(1)?,
                    title: r.get(2)?,
                    rel: r.get(3)?,
                    date: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            let sql = if record == RecordType::Dossier {
                "SELECT title FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'"
            } else {
                "SELECT title FROM records WHERE type = ?1 AND slug = ?2"
            };
            Ok(c.prepare_cached(sql)?
                .query_row(params![record.as_str(), slug], |r| r.get(0))
                .optional()?)
        })
    }

    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        write::delete(self, record, slug)
    }

    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        changes::changes_since(self, seq, limit)
    }

    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError> {
        changes::changed_at_or_before(self, seq, upto)
    }

    fn last_change(&self) -> Result<i64, StoreError> {
        changes::last_change(self)
    }

    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
        changes::tombstones(self, record)
    }
}

impl SqliteStore {
    fn read_record<T: DeserializeOwned>(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Option<T>, StoreError> {
        self.read(|c| {
            // Cached statements: page views look records up by slug many times.
            let data: Option<String> = c
                .prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?
                .query_row(params![record.as_str(), slug], |r| r.get(0))
                .optional()?;
            data.map(|d| parse(record, slug, &d)).transpose()
        })
    }

    fn records<T: DeserializeOwned>(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<T>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT slug, data FROM records r WHERE r.type = '{}' {sql_where} \
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title",
                record.as_str()
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(args, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (slug, data) = row?;
                // One record that cannot be read fails alone (read by its slug, it reports
                // the error): a list, and every page, sync or import that reads one, goes on.
                if let Some(r) = crate::skip_corrupt(parse(record, &slug, &data))? {
                    out.push(r);
                }
            }
            Ok(out)
        })
    }

    fn in_dossier<T: DeserializeOwned>(
        &self,
        record: RecordType,
        dossier: Option<&str>,
    ) -> Result<Vec<T>, StoreError> {
        match dossier {
            Some(d) => self.records(record, &format!("AND {}", IN_DOSSIER), &[&d]),
            None => self.records(record, "", &[]),
        }
    }
}

const IN_DOSSIER: &str =
    "EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
     AND l.rel = 'in-dossier' AND l.dst_slug = ?1)";

fn parse<T: DeserializeOwned>(record: RecordType, slug: &str, data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|source| StoreError::Corrupt {
        record: record.as_str(),
        slug: slug.to_string(),
        source,
    })
}
