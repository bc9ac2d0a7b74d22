//! The batcher: compares each record with the stored copy, creates the linked records the
//! archive lacks, and builds the batches the store's thread writes. Unchanged records
//! are not rewritten (a re-import writes nothing). It asks the store about a record only
//! once every batch in flight that may hold it is committed.

use crate::first_pass::Answer;
use crate::hooks::Progress;
use crate::reconcile::Reconciler;
use crate::report::Report;
use crate::Options;
use anyhow::{bail, Result};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use dossier_ingest::import::Imported;
use dossier_model::{Archive, Record, RecordType};
use dossier_store::Store;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Builds batches and sends them to the store's thread.
pub(crate) struct Batcher<'a> {
    pub(crate) store: &'a dyn Store,
    /// Given every full batch: the store's thread writes it, then hands it to the index
    /// thread. `None` for a dry run.
    pub(crate) store_tx: Option<Sender<Archive>>,
    /// One message per batch the store's thread has finished with.
    pub(crate) acks: Option<Receiver<()>>,
    /// Batches sent to the store's thread and not yet acknowledged.
    in_flight: usize,
    /// The first pass's answer, for a dry run (which writes nothing): awaited at the end,
    /// so that every file is checked. For a real run the store's thread awaits it.
    pub(crate) checked: Option<Receiver<Answer>>,
    pub(crate) options: Options,
    batch: Archive,
    /// Records in the batch being made.
    pub(crate) batch_len: usize,
    /// Linked records created in the current batch, by (type, slug): index into the batch.
    pending: HashMap<(&'static str, String), ()>,
    /// Linked records known to exist, with (for bodies) the names they answer to and
    /// whether this source made them. Bounded: cleared when large.
    known: HashMap<(&'static str, String), Known>,
    /// Bodies given another name in this run, counted once each whatever the batches.
    aliased: HashSet<String>,
    /// The archive's records as links are reconciled against them (issue 28).
    pub(crate) reconciler: Reconciler,
    pub(crate) report: &'a mut Report,
}

#[derive(Clone)]
struct Known {
    names: Vec<String>,
    ours: bool,
    /// A body this source made: its copy as last written (or about to be), so that a new
    /// name for it needs no question to the store, which would wait for every batch in
    /// flight to be committed.
    body: Option<Box<dossier_model::Body>>,
}

/// Adds `slug` to a record's list unless it is there.
fn join(list: &mut Vec<String>, slug: &str) {
    if !list.iter().any(|s| s == slug) {
        list.push(slug.to_string());
    }
}

/// Makes `mine` the stored list `old` followed by what `mine` adds to it: a record keeps
/// the dossiers and collections another import gave it.
fn keep_old(old: &mut Vec<String>, mine: &mut Vec<String>) {
    let mut merged = std::mem::take(old);
    for s in mine.drain(..) {
        join(&mut merged, &s);
    }
    *mine = merged;
}

/// The stored copy of `r`'s record, if any. A copy that cannot be read (warned about,
/// with its type and slug) counts as none, so the import writes the record afresh and
/// repairs it instead of failing.
fn stored(store: &dyn Store, r: &Record) -> Result<Option<Record>> {
    let found = store.record(r.record_type(), r.slug());
    Ok(dossier_store::skip_corrupt(found)?.flatten())
}

impl<'a> Batcher<'a> {
    pub(crate) fn new(store: &'a dyn Store, options: Options, report: &'a mut Report) -> Self {
        let options_dry_run = options.dry_run;
        Batcher {
            store,
            store_tx: None,
            acks: None,
            in_flight: 0,
            checked: None,
            options,
            batch: Archive::default(),
            batch_len: 0,
            pending: HashMap::new(),
            known: HashMap::new(),
            aliased: HashSet::new(),
            reconciler: Reconciler::new(options_dry_run),
            report,
        }
    }
}

impl Batcher<'_> {
    /// Reconciles the links of `r` with the archive's records (see [`crate::reconcile`]);
    /// why the record is refused, if it is. The first link of a record type reads that
    /// type from the store, once every batch this run has sent is committed, and learns
    /// the records of that type in the batch being made.
    pub(crate) fn reconcile(&mut self, r: &mut Imported) -> Result<Option<String>> {
        if r.matches.is_empty() {
            return Ok(None);
        }
        let missing = self.reconciler.missing(r);
        if !missing.is_empty() {
            self.settle();
            for t in missing {
                self.reconciler.load(self.store, t)?;
                let batch = &self.batch;
                let records: Vec<Record> = match t {
                    RecordType::Body => batch.bodies.iter().cloned().map(Record::Body).collect(),
                    RecordType::Person => {
                        batch.people.iter().cloned().map(Record::Person).collect()
                    }
                    RecordType::Topic => batch.topics.iter().cloned().map(Record::Topic).collect(),
                    RecordType::Event => batch.events.iter().cloned().map(Record::Event).collect(),
                    RecordType::Document => batch
                        .documents
                        .iter()
                        .cloned()
                        .map(Record::Document)
                        .collect(),
                    RecordType::Dossier => Vec::new(),
                };
                for rec in &records {
                    self.reconciler.learn_record(rec);
                }
            }
        }
        Ok(self.reconciler.resolve(r))
    }

    pub(crate) fn add(&mut self, imported: Imported) -> Result<()> {
        let mut record = imported.record;
        // A record this run made as a linked one may be in a batch not yet committed.
        if self.in_flight > 0
            && self
                .known
                .contains_key(&(record.type_name(), record.slug().to_string()))
        {
            self.settle();
        }
        if let Some(c) = &self.options.collection {
            join(record.collections_mut(), &c.slug);
        }
        // The record keeps the dossiers and collections another import gave it.
        let old = stored(self.store, &record)?;
        if let Some(old) = &old {
            let mut copy = old.clone();
            keep_old(copy.dossiers_mut(), record.dossiers_mut());
            keep_old(copy.collections_mut(), record.collections_mut());
        }
        match &old {
            Some(o) if o.to_json() == record.to_json() => {
                self.report.records.unchanged += 1;
            }
            Some(_) => {
                self.report.records.changed += 1;
                record.add_to(&mut self.batch);
                self.batch_len += 1;
            }
            None => {
                self.report.records.new += 1;
                record.add_to(&mut self.batch);
                self.batch_len += 1;
            }
        }
        for l in imported.linked {
            self.link(l)?;
        }
        Ok(())
    }

    fn link(&mut self, l: Record) -> Result<()> {
        let key = (l.type_name(), l.slug().to_string());
        let name = l.title().to_string();
        if let Some(k) = self.known.get_mut(&key) {
            if key.0 != "body" || !k.ours || k.names.contains(&name) {
                return Ok(());
            }
            // A body this source made, met under another name: the name becomes an alias.
            k.names.push(name.clone());
            let Some(body) = k.body.as_deref_mut() else {
                return Ok(());
            };
            if body.name == name || body.aliases.contains(&name) {
                return Ok(());
            }
            body.aliases.push(name.clone());
            if self.aliased.insert(key.1.clone()) {
                self.report.updated += 1;
            }
            match self.pending.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    // In the batch being made: changed there.
                    let slug = &e.key().1;
                    if let Some(b) = self.batch.bodies.iter_mut().find(|b| &b.slug == slug) {
                        b.aliases.push(name);
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    // Written by an earlier batch (perhaps not committed yet) or an earlier
                    // run: written again, from the copy kept here.
                    e.insert(());
                    self.batch.bodies.push(body.clone());
                    self.batch_len += 1;
                }
            }
            return Ok(());
        }
        if self.known.len() > 200_000 {
            // What was forgotten is asked of the store from now on: every batch that
            // made it must be committed first.
            self.settle();
            self.known.clear();
        }
        let existing = if key.0 == "body" {
            stored(self.store, &l)?
        } else if self.store.exists(l.record_type(), &key.1)? {
            self.known.insert(
                key,
                Known {
                    names: vec![],
                    ours: false,
                    body: None,
                },
            );
            return Ok(());
        } else {
            None
        };
        match existing {
            None => {
                let mut l = l;
                if let Some(c) = &self.options.collection {
                    join(l.collections_mut(), &c.slug);
                }
                *self.report.created.entry(key.0).or_insert(0) += 1;
                let body = match &l {
                    Record::Body(b) => Some(Box::new(b.clone())),
                    _ => None,
                };
                self.known.insert(
                    key.clone(),
                    Known {
                        names: vec![name],
                        ours: true,
                        body,
                    },
                );
                self.pending.insert(key, ());
                l.add_to(&mut self.batch);
                self.batch_len += 1;
            }
            Some(Record::Body(mut b)) => {
                let source = |r: &Record| match r {
                    Record::Body(b) => b.provenance.sources.first().map(|s| s.title.clone()),
                    _ => None,
                };
                let ours = source(&l).is_some()
                    && b.provenance.sources.first().map(|s| s.title.clone()) == source(&l);
                let mut names = vec![b.name.clone()];
                names.extend(b.aliases.iter().cloned());
                if ours && !names.contains(&name) {
                    b.aliases.push(name.clone());
                    names.push(name);
                    if self.aliased.insert(key.1.clone()) {
                        self.report.updated += 1;
                    }
                    self.pending.insert(key.clone(), ());
                    self.batch.bodies.push(b.clone());
                    self.batch_len += 1;
                }
                let body = ours.then(|| Box::new(b));
                self.known.insert(key, Known { names, ours, body });
            }
            Some(_) => {
                self.known.insert(
                    key,
                    Known {
                        names: vec![],
                        ours: false,
                        body: None,
                    },
                );
            }
        }
        Ok(())
    }

    /// For a dry run: waits for the first pass, if it runs beside this one, and returns its
    /// error. Says so when the wait is long.
    pub(crate) fn wait_for_check(&mut self, progress: &mut dyn Progress) -> Result<()> {
        let Some(rx) = self.checked.take() else {
            return Ok(());
        };
        let t = Instant::now();
        let answer = match rx.recv_timeout(Duration::from_secs(1)) {
            Err(RecvTimeoutError::Timeout) => {
                progress.println("still checking every file…");
                rx.recv().ok()
            }
            answer => answer.ok(),
        };
        self.report.phases.check_wait += t.elapsed();
        match answer {
            Some(Ok(spent)) => {
                self.report.phases.check = spent;
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => bail!("the checking thread failed"),
        }
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        let mut batch = std::mem::take(&mut self.batch);
        // Each batch carries the collection its records name: it is written (the first
        // time, or where its title changed) in the batch's own transaction.
        batch.collections.extend(self.options.collection.clone());
        self.batch_len = 0;
        self.pending.clear();
        let empty = batch.documents.is_empty()
            && batch.events.is_empty()
            && batch.bodies.is_empty()
            && batch.people.is_empty()
            && batch.topics.is_empty();
        if empty || self.options.dry_run {
            return Ok(());
        }
        let Some(tx) = &self.store_tx else {
            return Ok(());
        };
        // Waits while the store's thread writes the batch before. An error means that
        // thread stopped on one; it is reported when it is joined.
        if tx.send(batch).is_err() {
            bail!("the store stopped writing")
        }
        self.in_flight += 1;
        if let Some(acks) = &self.acks {
            self.in_flight -= acks.try_iter().count().min(self.in_flight);
        }
        Ok(())
    }

    /// Waits until the store has committed every batch sent to it, before a question to
    /// the store whose answer one of them may change.
    fn settle(&mut self) {
        let Some(acks) = &self.acks else {
            return;
        };
        while self.in_flight > 0 {
            if acks.recv().is_err() {
                // The store's thread stopped; its error is reported when it is joined.
                break;
            }
            self.in_flight -= 1;
        }
    }
}
