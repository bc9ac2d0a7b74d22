//! [`Editing`]: who may change what, and how a change becomes a draft or a revision.

use crate::check::{self, Checked};
use crate::error::{EditError, FieldError};
use crate::who::{Intent, Who};
use dossier_auth::{Right, Role};
use dossier_model::RecordType;
use dossier_store::{Author, Origin, Revision, RevisionQuery, Revisions, Status, Store};
use serde_json::Value;
use std::sync::Arc;

/// The editing service over a store that keeps revisions. Cheap to clone. Blocking (it
/// reads and writes the store), so the server calls it from its request workers.
#[derive(Clone)]
pub struct Editing {
    store: Arc<dyn Store>,
}

/// "A contributor", "An editor": a role as the subject of a sentence.
fn a_role(role: Role) -> String {
    let name = role.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    };
    format!("{article} {name}")
}

/// Why `who` may not use `right`, in words that say what to do instead.
fn forbidden(who: &Who, right: Right) -> EditError {
    if !who.write && who.role.can(right) {
        return EditError::Forbidden(
            "This API token can only read; changing records needs a token with write scope.".into(),
        );
    }
    let role = a_role(who.role);
    EditError::Forbidden(match right {
        Right::Publish if who.role.can(Right::SendToReview) => format!(
            "{role} cannot publish; send the change to review and a reviewer will publish it."
        ),
        Right::Publish => format!(
            "{role} cannot publish; save a draft and an editor will send it to review."
        ),
        Right::SendToReview => format!(
            "{role} cannot send a change to review; save a draft and an editor will send it to review."
        ),
        Right::Revert => format!("{role} cannot revert a record; ask a reviewer."),
        Right::EditAny => format!("{role} can change only their own drafts."),
        _ => format!("{role} cannot change records; ask an admin for a contributor's account."),
    })
}

fn require(who: &Who, right: Right) -> Result<(), EditError> {
    if who.can(right) {
        Ok(())
    } else {
        Err(forbidden(who, right))
    }
}

fn no_draft(id: i64) -> EditError {
    EditError::NotFound(format!(
        "There is no draft {id}, or it is not yours to see."
    ))
}

impl Editing {
    /// The service over `store`, or `None` when the store keeps no revisions (nothing
    /// can be edited through it).
    pub fn new(store: Arc<dyn Store>) -> Option<Editing> {
        store.revisions()?;
        Some(Editing { store })
    }

    /// The store this service edits.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn revs(&self) -> Result<&dyn Revisions, EditError> {
        self.store.revisions().ok_or_else(|| {
            EditError::Forbidden(
                "This archive's store keeps no revisions, so it cannot be edited.".into(),
            )
        })
    }

    /// The published record's JSON (the model's serde form) and its version, or `None`
    /// when it does not exist (never did, or deleted). The version is read before and
    /// after the record, so the pair always belongs together: a change made from it
    /// can never overwrite a version its author did not see.
    pub fn current(&self, ty: RecordType, slug: &str) -> Result<Option<(Value, i64)>, EditError> {
        let revs = self.revs()?;
        let first = revs.version(ty, slug)?;
        let mut version = first;
        for _ in 0..5 {
            let value = self.published(ty, slug)?;
            let again = revs.version(ty, slug)?;
            if again == version {
                return Ok(value.map(|v| (v, version)));
            }
            version = again;
        }
        // Changed under every read: answered as the conflict it would become.
        Err(EditError::Conflict {
            current: version,
            base: first,
        })
    }

    /// The published record as JSON, without its version.
    fn published(&self, ty: RecordType, slug: &str) -> Result<Option<Value>, EditError> {
        let json = match ty {
            RecordType::Dossier => match self.store.dossier(slug)? {
                Some(d) => serde_json::to_value(&d).ok(),
                None => return Ok(None),
            },
            _ => match self.store.record(ty, slug)? {
                Some(r) => serde_json::from_str(&r.to_json()).ok(),
                None => return Ok(None),
            },
        };
        json.map(Some).ok_or_else(|| {
            EditError::Store(dossier_store::StoreError::Invalid(format!(
                "the stored {} `{slug}` cannot be written as JSON",
                ty.as_str()
            )))
        })
    }

    /// Every check a save runs, without saving: the JSON read as the model's type (a
    /// type error named by its path), the slug in it equal to `slug`, then the model's
    /// own rules with the store's records (unknown slugs, bad dates, a successor dated
    /// before its predecessor…).
    pub fn check(&self, ty: RecordType, slug: &str, value: &Value) -> Result<(), Vec<FieldError>> {
        check::check(self.store.as_ref(), ty, slug, value).map(|_| ())
    }

    fn checked(&self, ty: RecordType, slug: &str, value: &Value) -> Result<Checked, EditError> {
        check::check(self.store.as_ref(), ty, slug, value).map_err(EditError::Invalid)
    }

    /// The JSON to save for `value` (`None`: a deletion, of a record that exists).
    fn data(
        &self,
        ty: RecordType,
        slug: &str,
        value: Option<&Value>,
    ) -> Result<Option<String>, EditError> {
        match value {
            Some(v) => Ok(Some(self.checked(ty, slug, v)?.json)),
            None if self.store.exists(ty, slug)? => Ok(None),
            None => Err(EditError::NotFound(format!(
                "There is no {} `{slug}` to delete.",
                ty.as_str()
            ))),
        }
    }

    /// A draft must be made from the version that is published now.
    fn fresh(&self, ty: RecordType, slug: &str, base: i64) -> Result<(), EditError> {
        let current = self.revs()?.version(ty, slug)?;
        if current == base {
            Ok(())
        } else {
            Err(EditError::Conflict { current, base })
        }
    }

    /// Saves a change to the record `ty`/`slug` (`value` its whole new JSON; `None`
    /// deletes it) made from published version `base`: published at once (`Publish`,
    /// which needs the right to publish) or kept as a draft (`Draft`, or `Review` for an
    /// editor who sends it on). A stale `base` is a conflict, and nothing is saved.
    #[allow(clippy::too_many_arguments)]
    pub fn save(
        &self,
        who: &Who,
        ty: RecordType,
        slug: &str,
        value: Option<Value>,
        base: i64,
        intent: Intent,
        comment: &str,
    ) -> Result<Revision, EditError> {
        require(who, intent.right())?;
        let revs = self.revs()?;
        let data = self.data(ty, slug, value.as_ref())?;
        let author = who.author();
        match intent {
            Intent::Publish => {
                Ok(revs.publish(ty, slug, data.as_deref(), base, &author, comment)?)
            }
            Intent::Draft | Intent::Review => {
                self.fresh(ty, slug, base)?;
                let status = if intent == Intent::Review {
                    Status::Review
                } else {
                    Status::Draft
                };
                Ok(revs.save_draft(ty, slug, data.as_deref(), base, &author, comment, status)?)
            }
        }
    }

    /// Creates a record from `value` (its slug is the record's): refused when a record
    /// of the type has that slug already.
    pub fn create(
        &self,
        who: &Who,
        ty: RecordType,
        value: Value,
        intent: Intent,
        comment: &str,
    ) -> Result<Revision, EditError> {
        require(who, intent.right())?;
        let Some(slug) = value
            .get("slug")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Err(EditError::Invalid(vec![FieldError::new(
                "slug",
                "This field is required.",
            )]));
        };
        if self.store.exists(ty, &slug)? {
            return Err(EditError::Invalid(vec![FieldError::new(
                "slug",
                format!(
                    "A {} with the slug `{slug}` exists already; choose another slug or edit that one.",
                    ty.as_str()
                ),
            )]));
        }
        // A record deleted earlier keeps counting its versions: a new one continues them.
        let base = self.revs()?.version(ty, &slug)?;
        self.save(who, ty, &slug, Some(value), base, intent, comment)
    }

    /// An open draft `who` may see, or NotFound (a draft of someone else's is answered
    /// as missing to a contributor).
    fn open_draft(&self, who: &Who, id: i64) -> Result<Revision, EditError> {
        let rev = self.revs()?.revision(id)?.ok_or_else(|| no_draft(id))?;
        if rev.status == Status::Published || !self.can_see(Some(who), &rev) {
            return Err(no_draft(id));
        }
        if !rev.status.is_open_draft() {
            return Err(EditError::NotADraft);
        }
        Ok(rev)
    }

    fn is_author(who: &Who, rev: &Revision) -> bool {
        rev.author.user == Some(who.user)
    }

    /// Changes the open draft `id` (its author, or an editor): `value` its whole new
    /// JSON (`None`: the draft deletes the record), made from published version `base`;
    /// `intent` as for [`Editing::save`] (`Publish` publishes it at once).
    #[allow(clippy::too_many_arguments)]
    pub fn update_draft(
        &self,
        who: &Who,
        id: i64,
        value: Option<Value>,
        base: i64,
        intent: Intent,
        comment: &str,
    ) -> Result<Revision, EditError> {
        require(who, Right::Draft)?;
        let rev = self.open_draft(who, id)?;
        if !Self::is_author(who, &rev) {
            require(who, Right::EditAny)?;
        }
        require(who, intent.right())?;
        let data = self.data(rev.record, &rev.slug, value.as_ref())?;
        self.fresh(rev.record, &rev.slug, base)?;
        let revs = self.revs()?;
        let author = who.author();
        let status = match intent {
            Intent::Draft => Status::Draft,
            Intent::Review | Intent::Publish => Status::Review,
        };
        let updated = revs.update_draft(id, data.as_deref(), base, &author, comment, status)?;
        if intent == Intent::Publish {
            return Ok(revs.publish_draft(id, &author, comment)?);
        }
        Ok(updated)
    }

    /// Sends the open draft `id` to review (an editor).
    pub fn send_to_review(&self, who: &Who, id: i64, comment: &str) -> Result<Revision, EditError> {
        require(who, Right::SendToReview)?;
        self.open_draft(who, id)?;
        Ok(self
            .revs()?
            .review(id, Status::Review, &who.author(), comment)?)
    }

    /// Returns the open draft `id` to its author with a comment saying why (a reviewer).
    pub fn return_draft(&self, who: &Who, id: i64, comment: &str) -> Result<Revision, EditError> {
        require(who, Right::Publish)?;
        self.open_draft(who, id)?;
        if comment.trim().is_empty() {
            return Err(EditError::Invalid(vec![FieldError::new(
                "comment",
                "Say why the draft goes back, so that its author knows what to change.",
            )]));
        }
        Ok(self
            .revs()?
            .review(id, Status::Returned, &who.author(), comment)?)
    }

    /// Discards the open draft `id` (its author, or a reviewer). It is kept, never
    /// published.
    pub fn discard(&self, who: &Who, id: i64, comment: &str) -> Result<Revision, EditError> {
        require(who, Right::Draft)?;
        let rev = self.open_draft(who, id)?;
        if !Self::is_author(who, &rev) && !who.can(Right::Publish) {
            return Err(EditError::Forbidden(format!(
                "{} cannot discard someone else's draft; only its author or a reviewer can.",
                a_role(who.role)
            )));
        }
        Ok(self
            .revs()?
            .review(id, Status::Discarded, &who.author(), comment)?)
    }

    /// Publishes the open draft `id` (a reviewer) as the record's next version, checked
    /// again against the archive as it is now; a conflict when the record changed since
    /// the draft was made.
    pub fn publish_draft(&self, who: &Who, id: i64, comment: &str) -> Result<Revision, EditError> {
        require(who, Right::Publish)?;
        let rev = self.open_draft(who, id)?;
        match &rev.data {
            Some(json) => {
                let value: Value = serde_json::from_str(json)
                    .map_err(|e| EditError::Invalid(vec![FieldError::new("", e.to_string())]))?;
                self.checked(rev.record, &rev.slug, &value)?;
            }
            None => {
                self.data(rev.record, &rev.slug, None)?;
            }
        }
        Ok(self.revs()?.publish_draft(id, &who.author(), comment)?)
    }

    /// Reverts the record to what published revision `to` made it (a reviewer): a new
    /// published revision with that revision's data. Reverting to a deletion deletes the
    /// record; reverting a deleted record to an earlier revision restores it.
    pub fn revert(
        &self,
        who: &Who,
        ty: RecordType,
        slug: &str,
        to: i64,
        comment: &str,
    ) -> Result<Revision, EditError> {
        require(who, Right::Revert)?;
        let revs = self.revs()?;
        let target = revs
            .revision(to)?
            .filter(|r| r.record == ty && r.slug == slug && r.status == Status::Published)
            .ok_or_else(|| {
                EditError::NotFound(format!(
                    "Revision {to} is not a published revision of the {} `{slug}`.",
                    ty.as_str()
                ))
            })?;
        let (now, version) = match self.current(ty, slug)? {
            Some((v, version)) => (Some(v), version),
            None => (None, revs.version(ty, slug)?),
        };
        let value: Option<Value> = match &target.data {
            Some(json) => Some(
                serde_json::from_str(json)
                    .map_err(|e| EditError::Invalid(vec![FieldError::new("", e.to_string())]))?,
            ),
            None => None,
        };
        if value == now {
            return Err(EditError::Invalid(vec![FieldError::new(
                "",
                format!("The record is already as revision {to} left it; nothing to revert."),
            )]));
        }
        let data = match &value {
            Some(v) => Some(self.checked(ty, slug, v)?.json),
            None => None,
        };
        let author = Author {
            origin: Origin::Revert,
            ..who.author()
        };
        let comment = if comment.trim().is_empty() {
            format!("Reverted to revision {to}")
        } else {
            comment.to_string()
        };
        Ok(revs.publish(ty, slug, data.as_deref(), version, &author, &comment)?)
    }

    /// Whether `who` (`None`: an anonymous reader) may see `rev`: a published revision
    /// everyone; a draft its author, or anyone who may edit any record.
    pub fn can_see(&self, who: Option<&Who>, rev: &Revision) -> bool {
        if rev.status == Status::Published {
            return true;
        }
        who.is_some_and(|w| {
            w.can(Right::EditAny) || (w.can(Right::Draft) && Self::is_author(w, rev))
        })
    }

    /// One revision, with its data, if `who` may see it.
    pub fn revision(&self, who: Option<&Who>, id: i64) -> Result<Revision, EditError> {
        self.revs()?
            .revision(id)?
            .filter(|r| self.can_see(who, r))
            .ok_or_else(|| {
                EditError::NotFound(format!(
                    "There is no revision {id}, or it is not yours to see."
                ))
            })
    }

    /// The drafts `q` asks for that `who` may see: a contributor their own, an editor
    /// everyone's. Statuses default to the open ones (draft, review, returned); published
    /// revisions are never listed here.
    pub fn drafts(&self, who: &Who, q: &RevisionQuery) -> Result<Vec<Revision>, EditError> {
        require(who, Right::Draft)?;
        let mut q = q.clone();
        if q.statuses.is_empty() {
            q.statuses = vec![Status::Draft, Status::Review, Status::Returned];
        } else {
            q.statuses.retain(|s| *s != Status::Published);
            if q.statuses.is_empty() {
                return Ok(Vec::new());
            }
        }
        if !who.can(Right::EditAny) {
            q.author = Some(who.user);
        }
        Ok(self
            .revs()?
            .revisions(&q)?
            .into_iter()
            .filter(|r| self.can_see(Some(who), r))
            .collect())
    }

    /// The record's published revisions, newest first, `limit` of them with ids below
    /// `before`; without their data.
    pub fn history(
        &self,
        ty: RecordType,
        slug: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Revision>, EditError> {
        self.changes(&RevisionQuery {
            record: Some(ty),
            slug: Some(slug.to_string()),
            before,
            limit,
            ..Default::default()
        })
    }

    /// Published revisions across the archive as `q` filters them (its statuses are
    /// ignored: never a draft), newest first: recent changes and their feed.
    pub fn changes(&self, q: &RevisionQuery) -> Result<Vec<Revision>, EditError> {
        let q = RevisionQuery {
            statuses: vec![Status::Published],
            ..q.clone()
        };
        Ok(self.revs()?.revisions(&q)?)
    }
}
