//! Reading records: the [`Store`] trait's answers, by slug, by dossier and through links,
//! as SQLite's `queries` gives them (the same order, the same skipping of a record that
//! cannot be read). Where SQLite ordered ties by `rowid`, these order by `records.id`, the
//! same insertion order.

use super::{changes, merges, write, PgStore};
use crate::*;
use ::postgres::types::ToSql;
use serde::de::DeserializeOwned;

/// Whether a key asked for has a NUL, which PostgreSQL's text cannot hold: no stored key
/// has one, so it names nothing (a hostile `%00` in a path is a 404, not a database error).
pub(crate) fn unholdable(key: &str) -> bool {
    key.contains('\0')
}

/// A bound parameter of a built query.
type Param = Box<dyn ToSql + Sync + Send>;

fn params(args: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|a| a.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl Store for PgStore {
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError> {
        write::write(self, archive)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.query_opt("SELECT 1 FROM dossiers LIMIT 1", &[])?
                .is_none())
        })
    }

    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.title_of(record, slug).map(|t| t.is_some())
    }

    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        self.read(|c| {
            let rows = c.query(
                "SELECT d.slug, d.title, d.description,
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'dossier' AND l.dst_slug = d.slug AND l.rel = 'in-dossier' AND l.src_type = 'document'),
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'dossier' AND l.dst_slug = d.slug AND l.rel = 'in-dossier' AND l.src_type = 'event')
                 FROM dossiers d ORDER BY d.position, d.title",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| DossierSummary {
                    slug: r.get(0),
                    title: r.get(1),
                    description: r.get(2),
                    documents: r.get::<_, i64>(3) as usize,
                    events: r.get::<_, i64>(4) as usize,
                })
                .collect())
        })
    }

    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        if unholdable(slug) {
            return Ok(None);
        }
        let data: Option<String> = self.read(|c| {
            Ok(
                c.query_opt("SELECT data FROM dossiers WHERE slug = $1", &[&slug])?
                    .map(|r| r.get(0)),
            )
        })?;
        data.map(|d| parse(RecordType::Dossier, slug, &d))
            .transpose()
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
        if unholdable(slug) {
            return Ok(None);
        }
        self.read(|c| {
            let row = if record == RecordType::Dossier {
                c.query_opt(
                    "SELECT created, changed FROM dossiers WHERE slug = $1",
                    &[&slug],
                )?
            } else {
                c.query_opt(
                    "SELECT created, changed FROM records WHERE type = $1 AND slug = $2",
                    &[&record.as_str(), &slug],
                )?
            };
            Ok(row.map(|r| Stamps {
                created: r.get(0),
                changed: r.get(1),
            }))
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
        if unholdable(slug) {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let rows = c.query(
                "SELECT s.dossier, d.title, s.key, s.label, s.title, l.detail
                 FROM links l
                 JOIN sections s ON l.src_slug = s.dossier || '#' || s.key
                 JOIN dossiers d ON d.slug = s.dossier
                 WHERE l.src_type = 'section' AND l.rel = 'cites' AND l.dst_type = $1 AND l.dst_slug = $2
                 ORDER BY d.position, s.dossier, s.position",
                &[&record.as_str(), &slug],
            )?;
            Ok(rows
                .iter()
                .map(|r| SectionCitation {
                    dossier: r.get(0),
                    dossier_title: r.get(1),
                    key: r.get(2),
                    label: r.get(3),
                    title: r.get(4),
                    text: r.get::<_, Option<String>>(5).unwrap_or_default(),
                })
                .collect())
        })
    }

    /// Ties (one record linking in two ways) in the order of `rel`, as SQLite reads them
    /// from its index on links.
    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        if unholdable(slug) {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let rows = c.query(
                "SELECT l.src_type, l.src_slug, r.title, l.rel, r.date
                 FROM links l JOIN records r ON r.type = l.src_type AND r.slug = l.src_slug
                 WHERE l.dst_type = $1 AND l.dst_slug = $2
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title, r.id, l.rel",
                &[&record.as_str(), &slug],
            )?;
            Ok(rows
                .iter()
                .map(|r| Backlink {
                    record: RecordType::parse(r.get(0)).unwrap_or(RecordType::Document),
                    slug: r.get(1),
                    title: r.get(2),
                    rel: r.get(3),
                    date: r.get(4),
                })
                .collect())
        })
    }

    /// The backlinks of one type and relations in one statement, then the cards of those
    /// shown in another (PostgreSQL's links keep no cards: its shared buffers outlive
    /// commits).
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> Result<(Vec<LinkedCard>, usize), StoreError> {
        if unholdable(slug) {
            return Ok((Vec::new(), 0));
        }
        let rels: Vec<String> = rels
            .iter()
            .filter(|r| !unholdable(r))
            .map(|r| r.to_string())
            .collect();
        let linked: Vec<Backlink> = self.read(|c| {
            let rows = c.query(
                "SELECT l.src_slug, r.title, l.rel, r.date
                 FROM links l JOIN records r ON r.type = l.src_type AND r.slug = l.src_slug
                 WHERE l.dst_type = $1 AND l.dst_slug = $2 AND l.src_type = $3
                     AND l.rel = ANY($4)
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title, r.id, l.rel",
                &[&record.as_str(), &slug, &from.as_str(), &rels],
            )?;
            Ok(rows
                .iter()
                .map(|r| Backlink {
                    record: from,
                    slug: r.get(0),
                    title: r.get(1),
                    rel: r.get(2),
                    date: r.get(3),
                })
                .collect())
        })?;
        crate::linked_cards_head(self, linked, limit)
    }

    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        if unholdable(slug) {
            return Ok(None);
        }
        self.read(|c| {
            let row = if record == RecordType::Dossier {
                c.query_opt("SELECT title FROM dossiers WHERE slug = $1", &[&slug])?
            } else {
                c.query_opt(
                    "SELECT title FROM records WHERE type = $1 AND slug = $2",
                    &[&record.as_str(), &slug],
                )?
            };
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn cards(&self, record: RecordType, slugs: &[&str]) -> Result<Vec<RecordCard>, StoreError> {
        if slugs.is_empty() {
            return Ok(Vec::new());
        }
        let slugs: Vec<String> = slugs
            .iter()
            .filter(|s| !unholdable(s))
            .map(|s| s.to_string())
            .collect();
        if record == RecordType::Dossier {
            return self.read(|c| {
                Ok(c.query(
                    "SELECT slug, title FROM dossiers WHERE slug = ANY($1)",
                    &[&slugs],
                )?
                .iter()
                .map(|r| RecordCard::titled(RecordType::Dossier, r.get(0), r.get(1)))
                .collect())
            });
        }
        self.card_rows(record, "AND r.slug = ANY($1)", &[Box::new(slugs)])
    }

    fn document_cards(&self, q: &DocumentQuery) -> Result<Vec<RecordCard>, StoreError> {
        let (sql, args) = card_filter(
            RecordType::Document,
            q.dossier.as_deref(),
            &q.kinds,
            &q.bodies,
            "'issued-by', 'party'",
            &[],
        );
        self.card_rows(RecordType::Document, &sql, &args)
    }

    fn event_cards(&self, q: &EventQuery) -> Result<Vec<RecordCard>, StoreError> {
        let (sql, args) = card_filter(
            RecordType::Event,
            q.dossier.as_deref(),
            &q.kinds,
            &q.bodies,
            "'held-by'",
            &q.levels,
        );
        self.card_rows(RecordType::Event, &sql, &args)
    }

    fn document_cards_head(
        &self,
        q: &DocumentQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        let (sql, args) = card_filter(
            RecordType::Document,
            q.dossier.as_deref(),
            &q.kinds,
            &q.bodies,
            "'issued-by', 'party'",
            &[],
        );
        self.card_rows_head(RecordType::Document, &sql, &args, limit)
    }

    /// As SQLite's: lists of one dossier filtered by kind alone share one reading of the
    /// dossier's documents, filtered by kind here; the JSON is read for the records the
    /// heads show, in one statement. Other queries are answered one by one.
    fn document_cards_heads(
        &self,
        queries: &[DocumentQuery],
        limit: usize,
    ) -> Result<Vec<(Vec<RecordCard>, usize)>, StoreError> {
        let mut out: Vec<Option<(Vec<RecordCard>, usize)>> = vec![None; queries.len()];
        let mut by_dossier: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for (i, q) in queries.iter().enumerate() {
            if let (true, Some(d)) = (q.bodies.is_empty(), q.dossier.as_deref()) {
                by_dossier.entry(d).or_default().push(i);
            }
        }
        for (dossier, members) in by_dossier.into_iter().filter(|(_, m)| m.len() > 1) {
            let (sql, args) = card_filter(RecordType::Document, Some(dossier), &[], &[], "", &[]);
            let all = self.card_heads(RecordType::Document, &sql, &args)?;
            let mut lists = Vec::with_capacity(members.len());
            for &i in &members {
                let kinds = &queries[i].kinds;
                let rows: Vec<&(i64, CardHead)> = all
                    .iter()
                    .filter(|(_, h)| kinds.is_empty() || kinds.contains(&h.kind))
                    .collect();
                lists.push((i, rows.len(), rows.into_iter().take(limit)));
            }
            let shown: Vec<i64> = lists
                .iter()
                .flat_map(|(_, _, rows)| rows.clone().map(|(id, _)| *id))
                .collect();
            let fields = self.card_fields(&shown)?;
            for (i, total, rows) in lists {
                let cards = rows
                    .filter_map(|(id, head)| {
                        head.clone().card(
                            RecordType::Document,
                            fields.get(id).and_then(Option::as_ref),
                        )
                    })
                    .collect();
                out[i] = Some((cards, total));
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, done)| match done {
                Some(done) => Ok(done),
                None => self.document_cards_head(&queries[i], limit),
            })
            .collect()
    }

    fn event_cards_head(
        &self,
        q: &EventQuery,
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        let (sql, args) = card_filter(
            RecordType::Event,
            q.dossier.as_deref(),
            &q.kinds,
            &q.bodies,
            "'held-by'",
            &q.levels,
        );
        self.card_rows_head(RecordType::Event, &sql, &args, limit)
    }

    fn cards_in_dossier(
        &self,
        record: RecordType,
        dossier: &str,
    ) -> Result<Vec<RecordCard>, StoreError> {
        if record == RecordType::Dossier {
            return Ok(Vec::new());
        }
        let (sql, args) = card_filter(record, Some(dossier), &[], &[], "", &[]);
        self.card_rows(record, &sql, &args)
    }

    /// From the columns alone (a document's JSON holds its full text): one index range
    /// of the dossier's links and a `records` entry per record, for each type.
    fn chronology_heads(&self, dossier: &str) -> Result<Vec<RecordCard>, StoreError> {
        let mut out = Vec::new();
        for record in [RecordType::Document, RecordType::Event] {
            let (sql, args) = card_filter(record, Some(dossier), &[], &[], "", &[]);
            let heads = self.card_heads(record, &sql, &args)?;
            out.extend(heads.into_iter().map(|(_, h)| h.bare(record)));
        }
        Ok(out)
    }

    fn sections_of(&self, dossiers: &[&str]) -> Result<Vec<SectionCitation>, StoreError> {
        if dossiers.is_empty() {
            return Ok(Vec::new());
        }
        let slugs: Vec<String> = dossiers
            .iter()
            .filter(|s| !unholdable(s))
            .map(|s| s.to_string())
            .collect();
        self.read(|c| {
            let rows = c.query(
                "SELECT s.dossier, d.title, s.key, s.label, s.title
                 FROM sections s JOIN dossiers d ON d.slug = s.dossier
                 WHERE s.dossier = ANY($1)
                 ORDER BY d.position, s.dossier, s.position",
                &[&slugs],
            )?;
            Ok(rows
                .iter()
                .map(|r| SectionCitation {
                    dossier: r.get(0),
                    dossier_title: r.get(1),
                    key: r.get(2),
                    label: r.get(3),
                    title: r.get(4),
                    text: String::new(),
                })
                .collect())
        })
    }

    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        if unholdable(slug) {
            return Ok(false);
        }
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

    fn accounts(&self) -> Option<&dyn Accounts> {
        Some(self)
    }

    fn revisions(&self) -> Option<&dyn Revisions> {
        Some(self)
    }

    fn captures(&self) -> Option<&dyn Captures> {
        Some(self)
    }

    fn link_checks(&self) -> Option<&dyn LinkChecks> {
        Some(self)
    }

    fn merges(&self) -> Option<&dyn Merges> {
        Some(self)
    }

    fn redirect(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        merges::redirect(self, record, slug)
    }

    fn collections(&self) -> Result<Vec<(Collection, usize)>, StoreError> {
        self.read(|c| {
            let rows = c.query(
                "SELECT c.slug, c.title, c.description, c.source, c.url,
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'collection'
                      AND l.dst_slug = c.slug AND l.rel = 'collection')
                 FROM collections c ORDER BY c.title, c.slug",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| (collection_row(r), r.get::<_, i64>(5) as usize))
                .collect())
        })
    }

    fn collection(&self, slug: &str) -> Result<Option<Collection>, StoreError> {
        if unholdable(slug) {
            return Ok(None);
        }
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT slug, title, description, source, url FROM collections WHERE slug = $1",
                &[&slug],
            )?
            .map(|r| collection_row(&r)))
        })
    }

    fn collection_cards(
        &self,
        slug: &str,
        record: RecordType,
    ) -> Result<Vec<RecordCard>, StoreError> {
        if record == RecordType::Dossier || unholdable(slug) {
            return Ok(Vec::new());
        }
        self.card_rows(
            record,
            &in_collection(record),
            &[Box::new(slug.to_string())],
        )
    }

    fn collection_documents(&self, slug: &str) -> Result<Vec<Document>, StoreError> {
        if unholdable(slug) {
            return Ok(Vec::new());
        }
        let ty = RecordType::Document;
        self.records(ty, &in_collection(ty), &[Box::new(slug.to_string())])
    }
}

impl PgStore {
    fn read_record<T: DeserializeOwned>(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Option<T>, StoreError> {
        if unholdable(slug) {
            return Ok(None);
        }
        let data: Option<String> = self.read(|c| {
            Ok(c.query_opt(
                "SELECT data FROM records WHERE type = $1 AND slug = $2",
                &[&record.as_str(), &slug],
            )?
            .map(|r| r.get(0)))
        })?;
        data.map(|d| parse(record, slug, &d)).transpose()
    }

    /// Whole records of this type that `sql_where` (`AND …`, `$1`… bound to `args`) keeps,
    /// in the store's order; a record that cannot be read is skipped (and named).
    fn records<T: DeserializeOwned>(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[Param],
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!(
            "SELECT slug, data FROM records r WHERE r.type = '{}' {sql_where} {CARD_ORDER}",
            record.as_str()
        );
        let rows: Vec<(String, String)> = self.read(|c| {
            Ok(c.query(&sql, &params(args))?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (slug, data) in rows {
            // One record that cannot be read fails alone (read by its slug, it reports
            // the error): a list, and every page, sync or import that reads one, goes on.
            if let Some(r) = crate::skip_corrupt(parse(record, &slug, &data))? {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn in_dossier<T: DeserializeOwned>(
        &self,
        record: RecordType,
        dossier: Option<&str>,
    ) -> Result<Vec<T>, StoreError> {
        match dossier {
            Some(d) if unholdable(d) => Ok(Vec::new()),
            Some(d) => self.records(
                record,
                &format!("AND {IN_DOSSIER}"),
                &[Box::new(d.to_string())],
            ),
            None => self.records(record, "", &[]),
        }
    }

    /// Cards of the records of this type that `sql_where` keeps, in the store's order.
    fn card_rows(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[Param],
    ) -> Result<Vec<RecordCard>, StoreError> {
        let sql = format!(
            "SELECT r.slug, r.title, r.kind, r.date, r.data \
             FROM records r WHERE r.type = '{}' {sql_where} {CARD_ORDER}",
            record.as_str()
        );
        self.read(|c| {
            let rows = c.query(&sql, &params(args))?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    let head = CardHead {
                        slug: r.get(0),
                        title: r.get(1),
                        kind: r.get(2),
                        date: r.get(3),
                    };
                    head.card(record, CardFields::of(r.get(4)).as_ref())
                })
                .collect())
        })
    }

    /// The first `limit` of [`PgStore::card_rows`] and how many there are: the list is
    /// read without the records' JSON, which is read for the first `limit` alone. A
    /// malformed record is counted in the total, and left out of the cards.
    fn card_rows_head(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[Param],
        limit: usize,
    ) -> Result<(Vec<RecordCard>, usize), StoreError> {
        let mut heads = self.card_heads(record, sql_where, args)?;
        let total = heads.len();
        heads.truncate(limit);
        let ids: Vec<i64> = heads.iter().map(|(id, _)| *id).collect();
        let fields = self.card_fields(&ids)?;
        let cards = heads
            .into_iter()
            .filter_map(|(id, head)| head.card(record, fields.get(&id).and_then(Option::as_ref)))
            .collect();
        Ok((cards, total))
    }

    /// The ids and columns of the cards `sql_where` keeps, in the store's order, without
    /// the records' JSON.
    fn card_heads(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[Param],
    ) -> Result<Vec<(i64, CardHead)>, StoreError> {
        let sql = format!(
            "SELECT r.id, r.slug, r.title, r.kind, r.date \
             FROM records r WHERE r.type = '{}' {sql_where} {CARD_ORDER}",
            record.as_str()
        );
        self.read(|c| {
            Ok(c.query(&sql, &params(args))?
                .iter()
                .map(|r| {
                    let head = CardHead {
                        slug: r.get(1),
                        title: r.get(2),
                        kind: r.get(3),
                        date: r.get(4),
                    };
                    (r.get::<_, i64>(0), head)
                })
                .collect())
        })
    }

    /// What cards read of the JSON of the records with these ids, in one statement
    /// (`None`: not JSON).
    fn card_fields(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Option<CardFields>>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        self.read(|c| {
            Ok(
                c.query("SELECT id, data FROM records WHERE id = ANY($1)", &[&ids])?
                    .iter()
                    .map(|r| (r.get::<_, i64>(0), CardFields::of(r.get(1))))
                    .collect(),
            )
        })
    }
}

/// The store's order of records and cards: by date (undated last, wider dates first),
/// then title, then insertion (SQLite's rowid).
const CARD_ORDER: &str = "ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title, r.id";

/// The columns of a card.
#[derive(Clone)]
struct CardHead {
    slug: String,
    title: String,
    kind: String,
    date: Option<String>,
}

impl CardHead {
    /// The card of the columns alone, without the fields read from the record's JSON.
    fn bare(self, record: RecordType) -> RecordCard {
        RecordCard {
            kind: self.kind,
            date: self.date,
            ..RecordCard::titled(record, &self.slug, &self.title)
        }
    }

    /// The card, with what it read of the record's JSON; `None` (logged) where the JSON
    /// could not be read: the list goes on without it.
    fn card(self, record: RecordType, fields: Option<&CardFields>) -> Option<RecordCard> {
        let Some(fields) = fields else {
            tracing::warn!(
                record = record.as_str(),
                slug = %self.slug,
                "skipping a stored record that cannot be read: its JSON is malformed"
            );
            return None;
        };
        let document = record == RecordType::Document;
        let text =
            |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_str().map(str::to_owned));
        Some(RecordCard {
            record,
            slug: self.slug,
            title: self.title,
            kind: self.kind,
            date: self.date,
            legal_status: document.then(|| {
                text(&fields.legal_status)
                    .as_deref()
                    .and_then(LegalStatus::from_slug)
                    .unwrap_or(LegalStatus::Unknown)
            }),
            availability: document.then(|| {
                text(&fields.availability)
                    .as_deref()
                    .and_then(Availability::from_slug)
                    .unwrap_or(Availability::Unknown)
            }),
            public_statement: if record == RecordType::Event {
                fields
                    .public_statement
                    .as_ref()
                    .and_then(serde_json::Value::as_bool)
            } else {
                None
            },
        })
    }
}

/// What a card reads of a record's JSON (serde skips every other field).
#[derive(serde::Deserialize)]
struct CardFields {
    legal_status: Option<serde_json::Value>,
    availability: Option<serde_json::Value>,
    public_statement: Option<serde_json::Value>,
}

impl CardFields {
    /// The fields of a record's `data` column; `None` where it is not JSON.
    fn of(data: &str) -> Option<CardFields> {
        serde_json::from_str(data).ok()
    }
}

/// The `AND …` filter of a card query of `record`s and its arguments (`$1`…): records of
/// `dossier`, of any of `kinds`, linked by one of `body_rels` (`'issued-by', 'party'`) to
/// any of `bodies`, and (events) at any of `levels`. Empty lists do not filter.
fn card_filter(
    record: RecordType,
    dossier: Option<&str>,
    kinds: &[String],
    bodies: &[String],
    body_rels: &str,
    levels: &[String],
) -> (String, Vec<Param>) {
    // A value with a NUL matches nothing (no stored value has one); a list left empty by
    // dropping them keeps nothing, as it would have.
    let holdable = |values: &[String]| -> Vec<String> {
        values.iter().filter(|v| !unholdable(v)).cloned().collect()
    };
    let asked = [!kinds.is_empty(), !bodies.is_empty(), !levels.is_empty()];
    let (kinds, bodies, levels) = (holdable(kinds), holdable(bodies), holdable(levels));
    let kept = [!kinds.is_empty(), !bodies.is_empty(), !levels.is_empty()];
    if dossier.is_some_and(unholdable) || asked != kept {
        return (" AND false".into(), Vec::new());
    }
    let mut sql = String::new();
    let mut args: Vec<Param> = Vec::new();
    let next = |v: Param, args: &mut Vec<Param>| {
        args.push(v);
        args.len()
    };
    if let Some(d) = dossier {
        // Driven from the dossier's `in-dossier` links (an index range).
        let n = next(Box::new(d.to_string()), &mut args);
        sql.push_str(&format!(
            " AND r.slug IN (SELECT l.src_slug FROM links l WHERE l.dst_type = 'dossier' \
             AND l.dst_slug = ${n} AND l.rel = 'in-dossier' AND l.src_type = '{}')",
            record.as_str()
        ));
    }
    if !kinds.is_empty() {
        let n = next(Box::new(kinds.to_vec()), &mut args);
        sql.push_str(&format!(" AND r.kind = ANY(${n})"));
    }
    if !bodies.is_empty() {
        let n = next(Box::new(bodies.to_vec()), &mut args);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
             AND l.rel IN ({body_rels}) AND l.dst_type = 'body' AND l.dst_slug = ANY(${n}))"
        ));
    }
    if !levels.is_empty() {
        let n = next(Box::new(levels.to_vec()), &mut args);
        sql.push_str(&format!(
            " AND json_field_or_null(r.data, 'level') = ANY(${n})"
        ));
    }
    (sql, args)
}

const IN_DOSSIER: &str =
    "EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
     AND l.rel = 'in-dossier' AND l.dst_slug = $1)";

/// `AND` a `record` in the collection `$1`, driven from the collection's links.
fn in_collection(record: RecordType) -> String {
    format!(
        "AND r.slug IN (SELECT l.src_slug FROM links l WHERE l.dst_type = 'collection' \
         AND l.dst_slug = $1 AND l.rel = 'collection' AND l.src_type = '{}')",
        record.as_str()
    )
}

fn collection_row(r: &::postgres::Row) -> Collection {
    Collection {
        slug: r.get(0),
        title: r.get(1),
        description: r.get(2),
        source: r.get(3),
        url: r.get(4),
    }
}

fn parse<T: DeserializeOwned>(record: RecordType, slug: &str, data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|source| StoreError::Corrupt {
        record: record.as_str(),
        slug: slug.to_string(),
        source,
    })
}
