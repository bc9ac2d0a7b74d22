//! The JSON API over real HTTP: every endpoint of the OpenAPI document answers, and each
//! answer (success and error) validates against the schema the document gives for it;
//! pagination, filters, ETags, CORS and problem+json.

mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::builtin);

static OPENAPI: LazyLock<Value> = LazyLock::new(|| {
    let (status, ct, body) = SERVER.get("/api/v1/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(ct, "application/json");
    serde_json::from_str(&body).unwrap()
});

/// A validator for the schema at `schema` (a `$ref` into the document's components).
fn validator(schema: &Value) -> jsonschema::Validator {
    let mut root = json!({ "components": OPENAPI["components"].clone() });
    for (k, v) in schema.as_object().expect("a schema object") {
        root[k] = v.clone();
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"))
}

/// Checks `body` against the documented response `status` of `path`'s GET.
fn check(path_template: &str, status: u16, media: &str, body: &Value) {
    let op = &OPENAPI["paths"][path_template]["get"];
    assert!(
        op.is_object(),
        "{path_template} is not in the OpenAPI document"
    );
    let mut response = op["responses"][status.to_string()].clone();
    if let Some(r) = response["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        response = OPENAPI["components"]["responses"][name].clone();
    }
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{path_template}: no {media} schema documented for {status}"
    );
    let v = validator(schema);
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{path_template} ({status}) does not match its schema:\n{}\n{body:#}",
        errors.join("\n")
    );
}

/// A GET; returns status, content type and JSON.
fn get(path: &str) -> (u16, String, Value) {
    let (status, ct, body) = SERVER.get(path);
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, ct, json)
}

fn first_slug(collection: &str) -> String {
    let (_, _, v) = get(&format!("/api/v1/{collection}?limit=1"));
    v["items"][0]["slug"].as_str().unwrap().to_string()
}

/// A path of the document with its parameters filled in (and `q` for the search, which
/// needs one).
fn concrete(template: &str) -> String {
    if template == "/api/v1/search" {
        return "/api/v1/search?q=pjc".into();
    }
    template
        .replace("/dossiers/{slug}", "/dossiers/nato-russia")
        .replace("/documents/{slug}", "/documents/founding-act-1997")
        .replace("/bodies/{slug}", "/bodies/nato")
        .replace("/people/{slug}", "/people/vladimir-putin")
        .replace(
            "/events/{slug}",
            &format!("/events/{}", first_slug("events")),
        )
        .replace(
            "/topics/{slug}",
            &format!("/topics/{}", first_slug("topics")),
        )
        .replace("{key}", "a-i-1")
}

#[test]
fn the_openapi_document_lists_exactly_the_endpoints() {
    let paths: BTreeSet<&str> = OPENAPI["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "/api/v1",
        "/api/v1/openapi.json",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{slug}",
        "/api/v1/dossiers/{slug}/sections",
        "/api/v1/dossiers/{slug}/sections/{key}",
        "/api/v1/documents",
        "/api/v1/documents/{slug}",
        "/api/v1/bodies",
        "/api/v1/bodies/{slug}",
        "/api/v1/people",
        "/api/v1/people/{slug}",
        "/api/v1/events",
        "/api/v1/events/{slug}",
        "/api/v1/topics",
        "/api/v1/topics/{slug}",
        "/api/v1/search",
        // Writes (tests/api_write.rs): each record type's revisions and revert.
        "/api/v1/documents/{slug}/revisions",
        "/api/v1/documents/{slug}/revisions/{id}/revert",
        "/api/v1/bodies/{slug}/revisions",
        "/api/v1/bodies/{slug}/revisions/{id}/revert",
        "/api/v1/people/{slug}/revisions",
        "/api/v1/people/{slug}/revisions/{id}/revert",
        "/api/v1/events/{slug}/revisions",
        "/api/v1/events/{slug}/revisions/{id}/revert",
        "/api/v1/topics/{slug}/revisions",
        "/api/v1/topics/{slug}/revisions/{id}/revert",
    ]
    .into();
    assert_eq!(paths, expected);
    assert_eq!(OPENAPI["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", *OPENAPI);
}

#[test]
fn every_endpoint_answers_as_documented() {
    for (template, item) in OPENAPI["paths"].as_object().unwrap() {
        // Writes are tested over real HTTP in tests/api_write.rs.
        if template.ends_with("openapi.json") || item.get("get").is_none() {
            continue;
        }
        let path = concrete(template);
        let (status, ct, body) = get(&path);
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(ct, "application/json", "{path}");
        check(template, 200, "application/json", &body);
        if let Some(items) = body["items"].as_array() {
            assert!(!items.is_empty(), "{path} lists something");
        }
        // Unknown records and bad parameters answer problem+json, as documented.
        if template.contains('{') {
            let missing = path.replacen(path.rsplit('/').next().unwrap(), "no-such-record", 1);
            let (status, ct, body) = get(&missing);
            assert_eq!(status, 404, "{missing}");
            assert_eq!(ct, "application/problem+json");
            check(template, 404, "application/problem+json", &body);
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, ct, body) = get(&format!("{path}{sep}frobnicate=1"));
        assert_eq!(status, 400, "{path}{sep}frobnicate=1");
        assert_eq!(ct, "application/problem+json");
        check(template, 400, "application/problem+json", &body);
        assert!(body["detail"].as_str().unwrap().contains("frobnicate"));
    }
}

#[test]
fn the_vocabularies_in_the_document_are_the_models() {
    use dossier_model::*;
    let schemas = &OPENAPI["components"]["schemas"];
    let list = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let slugs = |all: Vec<&'static str>| all.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        list("DocumentKind"),
        slugs(DocumentKind::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("EventKind"),
        slugs(EventKind::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("BodyKind"),
        slugs(BodyKind::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("Level"),
        slugs(Level::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("LegalStatus"),
        slugs(LegalStatus::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("Availability"),
        slugs(Availability::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("TopicKind"),
        slugs(TopicKind::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("TopicStatus"),
        slugs(TopicStatus::ALL.iter().map(|k| k.slug()).collect())
    );
    assert_eq!(
        list("DocumentRelation"),
        slugs(DocumentRelation::ALL.iter().map(|k| k.slug()).collect())
    );
}

#[test]
fn pages_follow_cursors_to_the_end() {
    let (_, _, all) = get("/api/v1/documents?limit=500");
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 20);
    let mut seen = Vec::new();
    let mut path = "/api/v1/documents?limit=7".to_string();
    loop {
        let (status, h, body) = SERVER.request("GET", &path, &[], None);
        assert_eq!(status, 200);
        let page: Value = serde_json::from_str(&body).unwrap();
        check("/api/v1/documents", 200, "application/json", &page);
        assert_eq!(page["total"], total);
        assert_eq!(page["limit"], 7);
        for item in page["items"].as_array().unwrap() {
            seen.push(item["slug"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                let link = h["link"].to_str().unwrap();
                assert!(
                    link.starts_with(&format!(
                        "<{}/api/v1/documents?limit=7&cursor={c}>",
                        SERVER.base
                    )),
                    "{link}"
                );
                assert!(link.ends_with("; rel=\"next\""));
                path = format!("/api/v1/documents?limit=7&cursor={c}");
            }
            None => {
                assert!(h.get("link").is_none(), "no next link on the last page");
                break;
            }
        }
    }
    let expected: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, expected, "the pages together are the list, in order");
    for bad in [
        "limit=0",
        "limit=501",
        "limit=x",
        "cursor=garbage",
        "limit=5&limit=6",
    ] {
        let (status, ct, body) = get(&format!("/api/v1/documents?{bad}"));
        assert_eq!(status, 400, "{bad}");
        assert_eq!(ct, "application/problem+json");
        check("/api/v1/documents", 400, "application/problem+json", &body);
    }
}

#[test]
fn filters() {
    let (_, _, v) = get("/api/v1/documents?kind=declaration&dossier=nato-russia");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|d| d["kind"] == "declaration"));
    let (_, _, v) = get("/api/v1/events?body=pjc");
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["bodies"].as_array().unwrap().contains(&json!("pjc"))));
    let (status, _, v) = get("/api/v1/documents?kind=poem");
    assert_eq!(status, 400);
    assert!(
        v["detail"].as_str().unwrap().contains("founding-act"),
        "{v}"
    );
    let (status, _, _) = get("/api/v1/documents?dossier=Not%20A%20Slug");
    assert_eq!(status, 400);
    let (status, _, v) = get("/api/v1/no-such-endpoint");
    assert_eq!(status, 404);
    assert_eq!(v["status"], 404);
}

#[test]
fn etags_and_conditional_requests() {
    let (status, h, _) = SERVER.request("GET", "/api/v1/documents/founding-act-1997", &[], None);
    assert_eq!(status, 200);
    let tag = h["etag"].to_str().unwrap().to_string();
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    let (status, h2, body) = SERVER.request(
        "GET",
        "/api/v1/documents/founding-act-1997",
        &[("If-None-Match", &tag)],
        None,
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(h2["etag"], tag.as_str());
    let (status, _, _) = SERVER.request(
        "GET",
        "/api/v1/documents/founding-act-1997",
        &[("If-None-Match", "\"something-else\"")],
        None,
    );
    assert_eq!(status, 200);
    // A record's ETag is its version (`"v1"`), a validator of its own address: another
    // record at the same version has the same one (writes take it in If-Match).
    assert!(tag.starts_with("\"v"), "{tag}");
    let (status, _, _) = SERVER.request(
        "GET",
        "/api/v1/openapi.json",
        &[("If-None-Match", "*")],
        None,
    );
    assert_eq!(status, 304);
}

#[test]
fn any_origin_may_read() {
    let (status, h, _) = SERVER.request(
        "GET",
        "/api/v1/dossiers",
        &[("Origin", "https://elsewhere.example")],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(h["access-control-allow-origin"], "*");
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("link"),
        "{exposed}"
    );
    let (status, h, _) = SERVER.request(
        "OPTIONS",
        "/api/v1/documents",
        &[
            ("Origin", "https://elsewhere.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "if-none-match"),
        ],
        None,
    );
    assert!(status == 200 || status == 204, "{status}");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
}

#[test]
fn a_document_has_every_field_and_absolute_links() {
    let (_, _, d) = get("/api/v1/documents/joint-statement-moscow-2000-02-16");
    assert_eq!(d["slug"], "joint-statement-moscow-2000-02-16");
    assert_eq!(d["issued_by"], json!(["nato", "russian-federation"]));
    assert_eq!(d["date"], "2000-02-16");
    assert!(d["summary"].is_string(), "the summary is there");
    // Issue 27: the period covered (null when not recorded) and the texts (none held).
    assert_eq!(
        d["coverage"],
        Value::Null,
        "empty fields are present as null"
    );
    assert_eq!(d["texts"], json!([]));
    assert_eq!(
        d["url"],
        format!(
            "{}/documents/joint-statement-moscow-2000-02-16",
            SERVER.base
        )
    );
    assert_eq!(
        d["api_url"],
        format!(
            "{}/api/v1/documents/joint-statement-moscow-2000-02-16",
            SERVER.base
        )
    );
    assert!(d["created"].as_str().unwrap().ends_with('Z'));
    let redacted = {
        let mut d = d.clone();
        for k in ["created", "changed"] {
            d[k] = json!("[timestamp]");
        }
        for k in ["url", "api_url"] {
            let v = d[k].as_str().unwrap().replace(&SERVER.base, "[base]");
            d[k] = json!(v);
        }
        d
    };
    insta::assert_json_snapshot!("document", redacted);
    let (_, _, s) = get("/api/v1/dossiers/nato-russia/sections/a-i-1");
    assert_eq!(s["parent"], "a-i");
    assert_eq!(s["depth"], 3);
    assert!(s["references"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["target"]["type"] == "document"));
}

/// The schemas are strict: a field too many or too few, or a wrong type, fails. (Guards
/// the tests above against a validator that accepts anything.)
#[test]
fn the_schemas_refuse_what_the_api_does_not_promise() {
    let (_, _, d) = get("/api/v1/documents/founding-act-1997");
    let schema = &OPENAPI["paths"]["/api/v1/documents/{slug}"]["get"]["responses"]["200"]
        ["content"]["application/json"]["schema"];
    let v = validator(schema);
    assert!(v.is_valid(&d));
    let mut extra = d.clone();
    extra["surprise"] = json!(1);
    assert!(!v.is_valid(&extra), "an undocumented field");
    let mut missing = d.clone();
    missing.as_object_mut().unwrap().remove("legal_status");
    assert!(!v.is_valid(&missing), "a missing field");
    let mut wrong = d.clone();
    wrong["kind"] = json!("poem");
    assert!(!v.is_valid(&wrong), "a kind outside the vocabulary");
    let mut bad_url = d;
    bad_url["provenance"]["sources"] = json!([{"title": "x", "url": 5, "fields": []}]);
    assert!(!v.is_valid(&bad_url), "a nested wrong type");
}

/// The slugs (with types) of a list of hits.
fn hit_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}:{}",
                h["type"].as_str().unwrap(),
                h["slug"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn search_answers_what_the_search_page_answers() {
    for (q, sort) in [
        ("pjc", "relevance"),
        ("kind:declaration", "date"),
        ("russia OR nato", "date-desc"),
    ] {
        let enc = q.replace(' ', "%20");
        let (status, ct, api) = get(&format!("/api/v1/search?q={enc}&sort={sort}&limit=100"));
        assert_eq!(status, 200, "{q}: {api}");
        assert_eq!(ct, "application/json");
        check("/api/v1/search", 200, "application/json", &api);
        let (status, _, page) = SERVER.json(&format!("/search?q={enc}&sort={sort}&per_page=100"));
        assert_eq!(status, 200);
        assert!(page["total"].as_u64().unwrap() > 0, "{q} finds something");
        assert_eq!(api["total"], page["total"], "{q}");
        assert_eq!(api["query"], page["query"]);
        assert_eq!(api["sort"], sort);
        assert_eq!(
            hit_ids(&api["items"]),
            hit_ids(&page["hits"]),
            "{q}: same hits, same order"
        );
        for (a, p) in api["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(page["hits"].as_array().unwrap())
        {
            assert_eq!(a["snippet"], p["snippet"]);
            assert_eq!(a["date_human"], p["date_human"]);
            assert_eq!(
                a["url"],
                format!("{}{}", SERVER.base, p["url"].as_str().unwrap())
            );
        }
        // The facets are the page's, each with a link to the narrower search.
        let names = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|g| g["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&api["facets"]), names(&page["facets"]));
        assert!(!api["facets"].as_array().unwrap().is_empty());
        for (a, p) in api["facets"]
            .as_array()
            .unwrap()
            .iter()
            .zip(page["facets"].as_array().unwrap())
        {
            assert_eq!(
                a["values"].as_array().unwrap().len(),
                p["values"].as_array().unwrap().len()
            );
            for (av, pv) in a["values"]
                .as_array()
                .unwrap()
                .iter()
                .zip(p["values"].as_array().unwrap())
            {
                assert_eq!(av["count"], pv["count"]);
                assert_eq!(av["query"], pv["query"]);
            }
        }
    }
    // A facet's link runs the narrower query.
    let (_, _, api) = get("/api/v1/search?q=pjc");
    let value = &api["facets"][0]["values"][0];
    let link = value["api_url"].as_str().unwrap();
    let (status, _, narrower) = get(link.strip_prefix(&SERVER.base).unwrap());
    assert_eq!(status, 200, "{link}");
    assert_eq!(narrower["total"], value["count"], "{link}");
    // Hits link to their records in the API, and those answer.
    for h in api["items"].as_array().unwrap().iter().take(10) {
        let url = h["api_url"].as_str().unwrap();
        let (status, _, _) = get(url.strip_prefix(&SERVER.base).unwrap());
        assert_eq!(status, 200, "{url}");
    }
}

#[test]
fn search_pages_follow_cursors_to_the_end() {
    let (_, _, all) = get("/api/v1/search?q=nato&limit=100");
    let total = all["total"].as_u64().unwrap() as usize;
    assert!(total > 12 && total <= 100, "{total}");
    let expected = hit_ids(&all["items"]);
    let mut seen = Vec::new();
    let mut path = "/api/v1/search?q=nato&limit=5".to_string();
    loop {
        let (status, h, body) = SERVER.request("GET", &path, &[], None);
        assert_eq!(status, 200, "{path}");
        let page: Value = serde_json::from_str(&body).unwrap();
        check("/api/v1/search", 200, "application/json", &page);
        assert_eq!(page["total"], total);
        assert_eq!(page["limit"], 5);
        seen.extend(hit_ids(&page["items"]));
        match page["next_cursor"].as_str() {
            Some(c) => {
                let link = h["link"].to_str().unwrap();
                let next = format!("/api/v1/search?q=nato&limit=5&cursor={c}");
                assert_eq!(link, format!("<{}{next}>; rel=\"next\"", SERVER.base));
                path = next;
            }
            None => {
                assert!(h.get("link").is_none(), "no next link on the last page");
                break;
            }
        }
    }
    assert_eq!(seen, expected, "the pages together are the hits, in order");
    // A cursor from pages of 5 read with pages of 3: the window starts where it says.
    let (_, _, first) = get("/api/v1/search?q=nato&limit=5");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, _, odd) = get(&format!("/api/v1/search?q=nato&limit=3&cursor={cursor}"));
    assert_eq!(status, 200);
    assert_eq!(hit_ids(&odd["items"]), expected[5..8].to_vec());
    let (_, _, odd) = get(&format!("/api/v1/search?q=nato&limit=4&cursor={cursor}"));
    assert_eq!(
        hit_ids(&odd["items"]),
        expected[5..9].to_vec(),
        "across two index pages"
    );
}

#[test]
fn search_refuses_what_it_cannot_run() {
    // No query, a malformed one, and bad paging: 400 problem+json that says what is wrong.
    for (bad, says) in [
        ("", "`q` is required"),
        ("?q=", "`q` is required"),
        ("?q=%20%20", "`q` is required"),
        ("?q=pjc&sort=title", "sort"),
        ("?q=pjc&limit=101", "limit"),
        ("?q=pjc&limit=0", "limit"),
        ("?q=pjc&cursor=garbage", "cursor"),
        ("?q=pjc&q=nrc", "twice"),
        ("?q=pjc&page=2", "page"),
    ] {
        let (status, ct, body) = get(&format!("/api/v1/search{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(ct, "application/problem+json");
        check("/api/v1/search", 400, "application/problem+json", &body);
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{bad}: {body}"
        );
    }
    // A malformed query: the parser's message, the same as the search page gives.
    for q in ["%22unclosed", "(pjc", "kind:", "date:1990..x"] {
        let (status, _, body) = get(&format!("/api/v1/search?q={q}"));
        assert_eq!(status, 400, "{q}: {body}");
        check("/api/v1/search", 400, "application/problem+json", &body);
        let (page_status, _, page) = SERVER.json(&format!("/search?q={q}"));
        assert_eq!(page_status, 400);
        assert_eq!(body["detail"], page["detail"], "{q}");
    }
    // A cursor past the paging window is refused, not run.
    // (`djE6MTAwMDA` is "v1:10000" in URL-safe base64, as the API writes its cursors.)
    let (status, _, body) = get("/api/v1/search?q=pjc&cursor=djE6MTAwMDA");
    assert_eq!(status, 400);
    assert!(body["detail"].as_str().unwrap().contains("cursor"));
    let (status, _, _) = get("/api/v1/search?q=pjc&cursor=djE6OTk5OQ"); // "v1:9999"
    assert_eq!(status, 200, "the last offset inside the window");
}

#[test]
fn search_has_etags_and_cors() {
    let path = "/api/v1/search?q=founding%20act";
    let (status, h, _) = SERVER.request(
        "GET",
        path,
        &[("Origin", "https://elsewhere.example")],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(h["access-control-allow-origin"], "*");
    let tag = h["etag"].to_str().unwrap().to_string();
    let (status, _, body) = SERVER.request("GET", path, &[("If-None-Match", &tag)], None);
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (_, other, _) = SERVER.request("GET", "/api/v1/search?q=pjc", &[], None);
    assert_ne!(other["etag"], tag.as_str());
    let (_, _, index) = get("/api/v1");
    assert_eq!(index["search"], format!("{}/api/v1/search", SERVER.base));
}
