//! `/api/v1/topics`: areas of co-operation and sources of disagreement.

use super::paging::Page;
use super::record::{date, find, list_in_dossier, record_meta, RecordMeta};
use super::{Params, Result};
use crate::site::Site;
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::Store;
use serde::Serialize;

/// A topic: an area of co-operation or a source of disagreement.
#[derive(Debug, Serialize)]
pub struct ApiTopic {
    pub slug: String,
    pub title: String,
    pub kind: TopicKind,
    pub kind_label: &'static str,
    pub status: TopicStatus,
    pub status_label: &'static str,
    pub as_of: Option<String>,
    pub summary: Option<String>,
    /// Section keys.
    pub sections: Vec<String>,
    pub documents: Vec<String>,
    pub bodies: Vec<String>,
    #[serde(flatten)]
    pub record: RecordMeta,
}

fn topic_resource(store: &dyn Store, site: &Site, t: Topic) -> Result<ApiTopic> {
    Ok(ApiTopic {
        record: record_meta(
            store,
            site,
            RecordType::Topic,
            &t.slug,
            t.dossiers,
            t.provenance,
        )?,
        kind_label: t.kind.label(),
        status_label: t.status.label(),
        as_of: date(t.as_of),
        slug: t.slug,
        title: t.title,
        kind: t.kind,
        status: t.status,
        summary: t.summary,
        sections: t.sections,
        documents: t.documents,
        bodies: t.bodies,
    })
}

pub fn list_topics(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiTopic>> {
    list_in_dossier(
        params,
        |d| store.topics(d),
        |r| topic_resource(store, site, r),
    )
}

pub fn find_topic(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiTopic> {
    find(
        params,
        "topic",
        slug,
        || store.topic(slug),
        |r| topic_resource(store, site, r),
    )
}
