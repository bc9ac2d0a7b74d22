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
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'dossier' AND l.dst_slug = d.slug AND l.rel = 'in-dossier' AND l.src_type = 'document'),
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'dossier' AND l.dst_slug = d.slug AND l.rel = 'in-dossier' AND l.src_type = 'event')
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
            let mut stmt = c.prepare_cached(BACKLINKS)?;
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

    /// From one range of `links_by_dst`, whose entries carry their source's card
    /// (migrations 12 and 13): no record is read. A collection's links carry none, and
    /// nothing links to a collection but its records' `collection` links: none.
    fn backlink_cards_head(
        &self,
        record: RecordType,
        slug: &str,
        from: RecordType,
        rels: &[&str],
        limit: usize,
    ) -> Result<(Vec<LinkedCard>, usize), StoreError> {
        let rels = json_list(rels.iter().copied());
        self.read(|c| {
            let mut stmt = c.prepare_cached(BACKLINK_CARDS)?;
            let mut rows = stmt.query(params![record.as_str(), slug, from.as_str(), rels])?;
            let (mut head, mut seen, mut total) = (Vec::new(), std::collections::HashSet::new(), 0);
            while let Some(r) = rows.next()? {
                let slug: String = r.get(0)?;
                if !seen.insert(slug.clone()) {
                    continue;
                }
                total += 1;
                if head.len() >= limit {
                    continue;
                }
                let text = |i: usize| r.get::<_, Option<String>>(i);
                let (document, event) = (from == RecordType::Document, from == RecordType::Event);
                let (legal_status, availability) = (text(5)?, text(6)?);
                head.push(LinkedCard {
                    rel: r.get(2)?,
                    card: RecordCard {
                        record: from,
                        title: r.get(1)?,
                        kind: text(4)?.unwrap_or_else(|| from.as_str().into()),
                        date: r.get(3)?,
                        // As a card read from the record's JSON has them.
                        legal_status: document.then(|| {
                            legal_status
                                .as_deref()
                                .and_then(LegalStatus::from_slug)
                                .unwrap_or(LegalStatus::Unknown)
                        }),
                        availability: document.then(|| {
                            availability
                                .as_deref()
                                .and_then(Availability::from_slug)
                                .unwrap_or(Availability::Unknown)
                        }),
                        public_statement: if event { r.get(7)? } else { None },
                        slug,
                    },
                });
            }
            Ok((head, total))
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

    fn cards(&self, record: RecordType, slugs: &[&str]) -> Result<Vec<RecordCard>, StoreError> {
        if slugs.is_empty() {
            return Ok(Vec::new());
        }
        let slugs = json_list(slugs.iter().copied());
        if record == RecordType::Dossier {
            return self.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT slug, title FROM dossiers WHERE slug IN (SELECT value FROM json_each(?1))",
                )?;
                let rows = stmt.query_map([&slugs], |r| {
                    Ok(RecordCard::titled(
                        RecordType::Dossier,
                        &r.get::<_, String>(0)?,
                        &r.get::<_, String>(1)?,
                    ))
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            });
        }
        self.card_rows(
            record,
            "AND r.slug IN (SELECT value FROM json_each(?1))",
            &[&slugs],
        )
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
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
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
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
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
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        self.card_rows_head(RecordType::Document, &sql, &args, limit)
    }

    /// Lists of one dossier filtered by kind alone share one reading of the dossier's
    /// documents (its `in-dossier` links, each record found once rather than once per
    /// list), filtered by kind here; the JSON is read for the records the heads show, in
    /// one statement. Other queries are answered one by one.
    fn document_cards_heads(
        &self,
        queries: &[DocumentQuery],
        limit: usize,
    ) -> Result<Vec<(Vec<RecordCard>, usize)>, StoreError> {
        let mut out: Vec<Option<(Vec<RecordCard>, usize)>> = vec![None; queries.len()];
        let shared: Vec<usize> = (0..queries.len())
            .filter(|&i| queries[i].bodies.is_empty() && queries[i].dossier.is_some())
            .collect();
        let mut by_dossier: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for &i in &shared {
            if let Some(d) = queries[i].dossier.as_deref() {
                by_dossier.entry(d).or_default().push(i);
            }
        }
        for (dossier, members) in by_dossier.into_iter().filter(|(_, m)| m.len() > 1) {
            let (sql, args) = card_filter(RecordType::Document, Some(dossier), &[], &[], "", &[]);
            let args: Vec<&dyn rusqlite::ToSql> =
                args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
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
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
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
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        self.card_rows(record, &sql, &args)
    }

    /// From one range of `links_by_dst`: a record's link to its dossier carries its title,
    /// kind and date (migration 13), so no record is read.
    fn chronology_heads(&self, dossier: &str) -> Result<Vec<RecordCard>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(CHRONOLOGY_HEADS)?;
            let rows = stmt.query_map([dossier], |r| {
                let record = match r.get_ref(0)?.as_str()? {
                    "event" => RecordType::Event,
                    _ => RecordType::Document,
                };
                Ok(RecordCard {
                    kind: r.get(3)?,
                    date: r.get(4)?,
                    ..RecordCard::titled(record, &r.get::<_, String>(1)?, &r.get::<_, String>(2)?)
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn sections_of(&self, dossiers: &[&str]) -> Result<Vec<SectionCitation>, StoreError> {
        if dossiers.is_empty() {
            return Ok(Vec::new());
        }
        let slugs = json_list(dossiers.iter().copied());
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.dossier, d.title, s.key, s.label, s.title
                 FROM sections s JOIN dossiers d ON d.slug = s.dossier
                 WHERE s.dossier IN (SELECT value FROM json_each(?1))
                 ORDER BY d.position, s.dossier, s.position",
            )?;
            let rows = stmt.query_map([&slugs], |r| {
                Ok(SectionCitation {
                    dossier: r.get(0)?,
                    dossier_title: r.get(1)?,
                    key: r.get(2)?,
                    label: r.get(3)?,
                    title: r.get(4)?,
                    text: String::new(),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
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
        self.wal_watch.last_change(|| changes::last_change(self))
    }

    fn change_time(&self, seq: i64) -> Result<Option<String>, StoreError> {
        changes::change_time(self, seq)
    }

    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
        changes::tombstones(self, record)
    }

    fn collections(&self) -> Result<Vec<(Collection, usize)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT c.slug, c.title, c.description, c.source, c.url,
                   (SELECT COUNT(*) FROM links l WHERE l.dst_type = 'collection'
                      AND l.dst_slug = c.slug AND l.rel = 'collection')
                 FROM collections c ORDER BY c.title, c.slug",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((collection_row(r)?, r.get::<_, i64>(5)? as usize))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn collection(&self, slug: &str) -> Result<Option<Collection>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT slug, title, description, source, url FROM collections WHERE slug = ?1",
            )?
            .query_row([slug], collection_row)
            .optional()?)
        })
    }

    fn collection_cards(
        &self,
        slug: &str,
        record: RecordType,
    ) -> Result<Vec<RecordCard>, StoreError> {
        if record == RecordType::Dossier {
            return Ok(Vec::new());
        }
        self.card_rows(record, &in_collection(record), &[&slug])
    }

    fn collection_documents(&self, slug: &str) -> Result<Vec<Document>, StoreError> {
        let ty = RecordType::Document;
        self.records(ty, &in_collection(ty), &[&slug])
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
        super::merges::redirect(self, record, slug)
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

impl SqliteStore {
    /// Cards of the records of this type that `sql_where` (`AND …`, `?1`… bound to
    /// `args`) keeps, in the store's order. The few JSON fields a card needs are read by
    /// [`CardFields`], so no record is built whole.
    fn card_rows(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<RecordCard>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT r.slug, r.title, r.kind, r.date, r.data \
                 FROM records r WHERE r.type = '{}' {sql_where} {CARD_ORDER}",
                record.as_str()
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(args)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let head = CardHead {
                    slug: r.get(0)?,
                    title: r.get(1)?,
                    kind: r.get(2)?,
                    date: r.get(3)?,
                };
                out.extend(head.card(record, CardFields::of(r.get_ref(4)?).as_ref()));
            }
            Ok(out)
        })
    }

    /// The first `limit` of [`SqliteStore::card_rows`] and how many there are: the list
    /// is read without the records' JSON, which is read for the first `limit` alone (a
    /// dossier's list of 205 research studies shows 50). A malformed record is counted
    /// in the total, and left out of the cards as `card_rows` leaves it out.
    fn card_rows_head(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[&dyn rusqlite::ToSql],
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

    /// The rowids and columns of the cards `sql_where` keeps, in the store's order,
    /// without the records' JSON.
    fn card_heads(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(i64, CardHead)>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT r.rowid, r.slug, r.title, r.kind, r.date \
                 FROM records r WHERE r.type = '{}' {sql_where} {CARD_ORDER}",
                record.as_str()
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(args)?;
            let mut heads = Vec::new();
            while let Some(r) = rows.next()? {
                let head = CardHead {
                    slug: r.get(1)?,
                    title: r.get(2)?,
                    kind: r.get(3)?,
                    date: r.get(4)?,
                };
                heads.push((r.get::<_, i64>(0)?, head));
            }
            Ok(heads)
        })
    }

    /// What cards read of the JSON of the records with these rowids, in one statement
    /// (`None`: not JSON).
    fn card_fields(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Option<CardFields>>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT rowid, data FROM records WHERE rowid IN (SELECT value FROM json_each(?1))",
            )?;
            let mut rows = stmt.query([&ids])?;
            let mut fields = std::collections::HashMap::new();
            while let Some(r) = rows.next()? {
                fields.insert(r.get::<_, i64>(0)?, CardFields::of(r.get_ref(1)?));
            }
            Ok(fields)
        })
    }
}

/// A record's backlinks in the store's order (by date, undated last, then title), read
/// from one range of `links_by_dst`, which holds each link's source title and date
/// (migration 12): after a commit a reader's cache is empty, and the largest body page's
/// 128 backlinks read a `records` entry each, scattered over as many pages, when the titles
/// and dates came from there. A section's citations carry no source title and are not
/// backlinks (the join left them out).
const BACKLINKS: &str = "SELECT src_type, src_slug, src_title, rel, src_date
     FROM links
     WHERE dst_type = ?1 AND dst_slug = ?2 AND src_title IS NOT NULL
     ORDER BY src_date_lo IS NULL, src_date_lo, src_date_hi DESC, src_title,
         rel, src_type, src_slug";

/// [`BACKLINKS`] from records of one type (`?3`) by any of some relations (`?4`, a JSON
/// list), with their cards: the same range of `links_by_dst`, which covers them.
const BACKLINK_CARDS: &str = "SELECT src_slug, src_title, rel, src_date, src_kind,
         src_legal_status, src_availability, src_public_statement
     FROM links
     WHERE dst_type = ?1 AND dst_slug = ?2 AND src_title IS NOT NULL
         AND src_type = ?3 AND rel IN (SELECT value FROM json_each(?4))
     ORDER BY src_date_lo IS NULL, src_date_lo, src_date_hi DESC, src_title,
         rel, src_type, src_slug";

/// [`Store::chronology_heads`]: the documents, then the events, of dossier `?1` as cards of
/// what their `in-dossier` links carry, each type in the store's order.
const CHRONOLOGY_HEADS: &str = "SELECT src_type, src_slug, src_title, src_kind, src_date
     FROM links
     WHERE dst_type = 'dossier' AND dst_slug = ?1 AND rel = 'in-dossier'
         AND src_type IN ('document', 'event') AND src_title IS NOT NULL
     ORDER BY src_type, src_date_lo IS NULL, src_date_lo, src_date_hi DESC, src_title";

/// The store's order of cards: by date (undated last), then title.
const CARD_ORDER: &str = "ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title";

/// The columns of a card.
#[derive(Clone)]
struct CardHead {
    slug: String,
    title: String,
    kind: String,
    date: Option<String>,
}

impl CardHead {
    /// The card, with what it read of the record's JSON; `None` (logged) where the JSON
    /// could not be read: as lists of whole records do, a record that cannot be read
    /// fails alone and the list goes on.
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
            // As the model reads a document without them: not recorded.
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

/// What a card reads of a record's JSON. serde skips every other field, checking only
/// that it is JSON (as `json_valid` did), and keeps nothing of it: SQLite's JSON functions
/// converted the whole text (a research study's several kilobytes) for each of them.
/// A value of an unexpected type reads as absent, as SQLite's `->>` let it.
#[derive(serde::Deserialize)]
struct CardFields {
    legal_status: Option<serde_json::Value>,
    availability: Option<serde_json::Value>,
    public_statement: Option<serde_json::Value>,
}

impl CardFields {
    /// The fields of a record's `data` column; `None` where it is not JSON text.
    fn of(data: rusqlite::types::ValueRef<'_>) -> Option<CardFields> {
        serde_json::from_str(data.as_str().ok()?).ok()
    }
}

/// A JSON array of strings, for `json_each(?)`: one bound parameter however many values,
/// so that a statement is prepared once and cached.
fn json_list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&values.collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

/// The `AND …` filter of a card query of `record`s and its arguments: records of
/// `dossier`, of any of `kinds`, linked by one of `body_rels` (`'issued-by', 'party'`) to
/// any of `bodies`, and (events) at any of `levels`. Empty lists do not filter.
fn card_filter(
    record: RecordType,
    dossier: Option<&str>,
    kinds: &[String],
    bodies: &[String],
    body_rels: &str,
    levels: &[String],
) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    let next = |v: String, args: &mut Vec<String>| {
        args.push(v);
        args.len()
    };
    if let Some(d) = dossier {
        // Driven from the dossier's `in-dossier` links (an index range), so that a list
        // of one dossier reads that dossier's records, not every record of the type.
        let n = next(d.to_string(), &mut args);
        sql.push_str(&format!(
            " AND r.slug IN (SELECT l.src_slug FROM links l WHERE l.dst_type = 'dossier' \
             AND l.dst_slug = ?{n} AND l.rel = 'in-dossier' AND l.src_type = '{}')",
            record.as_str()
        ));
    }
    if !kinds.is_empty() {
        let n = next(json_list(kinds.iter().map(String::as_str)), &mut args);
        sql.push_str(&format!(
            " AND r.kind IN (SELECT value FROM json_each(?{n}))"
        ));
    }
    if !bodies.is_empty() {
        let n = next(json_list(bodies.iter().map(String::as_str)), &mut args);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
             AND l.rel IN ({body_rels}) AND l.dst_type = 'body' \
             AND l.dst_slug IN (SELECT value FROM json_each(?{n})))"
        ));
    }
    if !levels.is_empty() {
        let n = next(json_list(levels.iter().map(String::as_str)), &mut args);
        sql.push_str(&format!(
            " AND iif(json_valid(r.data), r.data ->> '$.level', NULL) \
             IN (SELECT value FROM json_each(?{n}))"
        ));
    }
    (sql, args)
}

const IN_DOSSIER: &str =
    "EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
     AND l.rel = 'in-dossier' AND l.dst_slug = ?1)";

/// `AND` a `record` in the collection `?1`: driven from the collection's links (an index
/// range), so that a small collection is read without scanning every record of the type.
fn in_collection(record: RecordType) -> String {
    format!(
        "AND r.slug IN (SELECT l.src_slug FROM links l WHERE l.dst_type = 'collection' \
         AND l.dst_slug = ?1 AND l.rel = 'collection' AND l.src_type = '{}')",
        record.as_str()
    )
}

fn collection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection {
        slug: r.get(0)?,
        title: r.get(1)?,
        description: r.get(2)?,
        source: r.get(3)?,
        url: r.get(4)?,
    })
}

fn parse<T: DeserializeOwned>(record: RecordType, slug: &str, data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|source| StoreError::Corrupt {
        record: record.as_str(),
        slug: slug.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backlinks', backlink cards' and chronology heads' plans read one covering index
    /// (migrations 12 and 13) and no table row: an index dropped or a column added to a
    /// query would send every backlink back to its table rows.
    #[test]
    fn backlinks_are_read_from_one_index_alone() {
        let store = SqliteStore::in_memory().unwrap();
        for (sql, args) in [
            (BACKLINKS, vec!["body", "nato"]),
            (
                BACKLINK_CARDS,
                vec!["body", "nato", "event", r#"["held-by"]"#],
            ),
            (CHRONOLOGY_HEADS, vec!["nato-russia"]),
        ] {
            let plan: Vec<String> = store
                .read(|c| {
                    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(&args), |r| r.get::<_, String>(3))?;
                    Ok(rows.collect::<Result<_, _>>()?)
                })
                .unwrap();
            let searches: Vec<&String> = plan
                .iter()
                .filter(|l| l.starts_with("SEARCH") || l.starts_with("SCAN"))
                .filter(|l| !l.contains("json_each"))
                .collect();
            assert_eq!(searches.len(), 1, "{plan:?}");
            assert!(
                searches[0].contains("USING COVERING INDEX links_by_dst"),
                "{plan:?}"
            );
        }
    }
}
