//! Writing through the JSON API over real HTTP: a record's ETag, `PATCH` (JSON Merge
//! Patch), `PUT` and `DELETE` with `If-Match` and a Bearer token, drafts and review by
//! role, 412/428, 401/403, 422 with the field at fault, revisions and revert, drafts kept
//! from readers, and hostile bodies. Every answer is checked against the OpenAPI document
//! the server serves, as tests/api.rs does for reads.

mod common;

use common::accounts::{add_user, auth};
use common::TestServer;
use dossier_auth::{Actor, Role, Scope};
use dossier_store::Store;
use serde_json::{json, Value};

const DOC: &str = "/api/v1/documents/founding-act-1997";
const DOC_REVISIONS: &str = "/api/v1/documents/founding-act-1997/revisions";
const DOC_PAGE: &str = "/documents/founding-act-1997";
const MERGE: &str = "application/merge-patch+json";

/// One answer, read whole.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag: {} {}", self.status, self.body))
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// A server over the built-in dossier with an account and a token for each role.
struct Api {
    server: TestServer,
    openapi: Value,
    /// Write tokens.
    contributor: String,
    editor: String,
    reviewer: String,
    /// A reviewer's read-scope token.
    reviewer_read: String,
    /// Another contributor's tokens.
    other_read: String,
    other_write: String,
}

fn token(server: &TestServer, email: &str, scope: Scope) -> String {
    auth(server)
        .create_token(&Actor::Cli, email, scope, "api_write test")
        .unwrap_or_else(|e| panic!("token for {email}: {e}"))
        .1
}

impl Api {
    fn new() -> Api {
        let server = TestServer::builtin();
        for (email, name, role) in [
            (
                "contributor@example.org",
                "Carla Contributor",
                Role::Contributor,
            ),
            ("other@example.org", "Otto Other", Role::Contributor),
            ("editor@example.org", "Edith Editor", Role::Editor),
            ("reviewer@example.org", "Rita Reviewer", Role::Reviewer),
        ] {
            add_user(&server, email, name, role);
        }
        let api = Api {
            contributor: token(&server, "contributor@example.org", Scope::Write),
            editor: token(&server, "editor@example.org", Scope::Write),
            reviewer: token(&server, "reviewer@example.org", Scope::Write),
            reviewer_read: token(&server, "reviewer@example.org", Scope::Read),
            other_read: token(&server, "other@example.org", Scope::Read),
            other_write: token(&server, "other@example.org", Scope::Write),
            openapi: Value::Null,
            server,
        };
        let doc = api.send("GET", "/api/v1/openapi.json", &[], None).unwrap();
        assert_eq!(doc.status, 200);
        Api {
            openapi: doc.json(),
            ..api
        }
    }

    /// A request; a transport failure is an error (a closed connection, say).
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Answer, ureq::Error> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let url = format!("{}{path}", self.server.base);
        let result = match body {
            Some((ct, bytes)) => {
                let mut req = match method {
                    "PATCH" => agent.patch(&url),
                    "PUT" => agent.put(&url),
                    "POST" => agent.post(&url),
                    other => panic!("no body for {other}"),
                }
                .header("Content-Type", ct);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.send(&bytes[..])
            }
            None => match method {
                "GET" | "DELETE" => {
                    let mut req = if method == "GET" {
                        agent.get(&url)
                    } else {
                        agent.delete(&url)
                    };
                    for (k, v) in headers {
                        req = req.header(*k, *v);
                    }
                    req.call()
                }
                "POST" | "PATCH" | "PUT" => {
                    let mut req = match method {
                        "POST" => agent.post(&url),
                        "PATCH" => agent.patch(&url),
                        _ => agent.put(&url),
                    };
                    for (k, v) in headers {
                        req = req.header(*k, *v);
                    }
                    req.send_empty()
                }
                other => panic!("unknown method {other}"),
            },
        };
        let mut r = result?;
        Ok(Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.body_mut().read_to_string().unwrap_or_default(),
        })
    }

    /// A request whose answer must be one the OpenAPI document describes.
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let answer = self
            .send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        self.check(method, path, &answer);
        answer
    }

    /// `PATCH` of a merge patch with a token and an `If-Match`.
    fn patch(&self, path: &str, token: &str, if_match: &str, patch: &Value) -> Answer {
        let bearer = format!("Bearer {token}");
        self.call(
            "PATCH",
            path,
            &[("Authorization", &bearer), ("If-Match", if_match)],
            Some((MERGE, patch.to_string().into_bytes())),
        )
    }

    /// A GET without credentials, as a reader.
    fn get(&self, path: &str) -> Answer {
        self.call("GET", path, &[], None)
    }

    /// A GET with a token.
    fn get_as(&self, path: &str, token: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        self.call("GET", path, &[("Authorization", &bearer)], None)
    }

    /// The document's template for a concrete path (literal segments win).
    fn template_of(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap();
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &String)> = None;
        for template in self.openapi["paths"].as_object().unwrap().keys() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let fits = parts.iter().zip(&segments).all(|(t, s)| {
                if t.starts_with('{') {
                    true
                } else {
                    literal += 1;
                    t == s
                }
            });
            if fits && best.is_none_or(|(n, _)| literal > n) {
                best = Some((literal, template));
            }
        }
        best.unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"))
            .1
            .clone()
    }

    /// Checks an answer against the document: its status is documented for the
    /// operation, and its body matches the schema given for its media type.
    fn check(&self, method: &str, path: &str, answer: &Answer) {
        let template = self.template_of(path);
        let op = &self.openapi["paths"][&template][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let mut response = op["responses"][answer.status.to_string()].clone();
        if let Some(r) = response["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            response = self.openapi["components"]["responses"][name].clone();
        }
        assert!(
            response.is_object(),
            "{method} {template}: status {} is not documented ({})",
            answer.status,
            answer.body
        );
        if answer.status == 304 || answer.body.is_empty() {
            return;
        }
        let media = answer
            .header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_string();
        let schema = &response["content"][&media]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} ({}): no {media} schema documented",
            answer.status
        );
        let mut root = json!({ "components": self.openapi["components"].clone() });
        for (k, v) in schema.as_object().unwrap() {
            root[k] = v.clone();
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema does not compile: {e}\n{schema}"));
        let body = answer.json();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} ({}) does not match its schema:\n{}\n{body:#}",
            answer.status,
            errors.join("\n")
        );
    }

    /// The document's title and ETag as a reader gets them.
    fn public_doc(&self) -> (String, String) {
        let a = self.get(DOC);
        assert_eq!(a.status, 200, "{}", a.body);
        (a.json()["title"].as_str().unwrap().to_string(), a.etag())
    }

    /// Slugs of the API search's hits for `q`.
    fn search(&self, q: &str) -> Vec<String> {
        let a = self.get(&format!("/api/v1/search?q={q}"));
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["slug"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The site's own search page as JSON: the slugs of its hits.
    fn site_search(&self, q: &str) -> Vec<String> {
        let (status, _, v) = self.server.json(&format!("/search?q={q}"));
        assert_eq!(status, 200, "{v}");
        v["hits"]
            .as_array()
            .unwrap_or_else(|| panic!("no hits in {v}"))
            .iter()
            .map(|h| h["slug"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// Whether a version ETag: `"v12"`.
fn is_version_tag(tag: &str) -> bool {
    tag.strip_prefix("\"v")
        .and_then(|t| t.strip_suffix('"'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn a_records_etag_is_its_version_and_answers_304() {
    let api = Api::new();
    let a = api.get(DOC);
    assert_eq!(a.status, 200);
    let tag = a.etag();
    assert!(is_version_tag(&tag), "{tag}");
    let again = api.call("GET", DOC, &[("If-None-Match", &tag)], None);
    assert_eq!(again.status, 304);
    assert_eq!(again.etag(), tag);
    // The response cache's compressed copy carries the same version, suffixed.
    let gz = api.call("GET", DOC, &[("Accept-Encoding", "gzip")], None);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.etag(), format!("{}-gz\"", tag.trim_end_matches('"')));
    // Every record type answers one.
    for path in ["/api/v1/bodies/nato", "/api/v1/people/vladimir-putin"] {
        let a = api.get(path);
        assert_eq!(a.status, 200, "{path}");
        assert!(is_version_tag(&a.etag()), "{path}: {}", a.etag());
    }
}

#[test]
fn contributor_drafts_editor_sends_to_review_reviewer_publishes() {
    let api = Api::new();
    let (title, tag) = api.public_doc();
    assert!(api.search("quetzalcoatlus").is_empty());
    // Readers' answers come from the response cache, which must follow every change.
    assert_eq!(api.get(DOC).header("x-cache"), Some("hit"));

    // A contributor's change is a draft: readers see nothing of it.
    let a = api.patch(
        DOC,
        &api.contributor,
        &tag,
        &json!({"title": "Founding Act, as a contributor would have it"}),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    let draft = a.json();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["author"], "Carla Contributor");
    assert_eq!(draft["slug"], "founding-act-1997");
    assert!(draft["version"].is_null());
    assert_eq!(api.public_doc(), (title.clone(), tag.clone()));

    // An editor's, sent to review.
    let a = api.call(
        "PATCH",
        &format!("{DOC}?review=true&comment=Title%20as%20signed"),
        &[
            ("Authorization", &format!("Bearer {}", api.editor)),
            ("If-Match", &tag),
        ],
        Some((MERGE, br#"{"title": "Founding Act (editor)"}"#.to_vec())),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.json()["status"], "review");
    assert_eq!(a.json()["comment"], "Title as signed");
    assert_eq!(api.public_doc(), (title.clone(), tag.clone()));
    // Without ?review an editor's change is a draft too.
    let a = api.patch(DOC, &api.editor, &tag, &json!({"place": "Paris, Élysée"}));
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.json()["status"], "draft");

    // A reviewer's is published at once: the answer is the record with its new ETag,
    // and the next reader's GET (the response cache follows the store) and searches
    // show it.
    let new_title = "Founding Act Quetzalcoatlus";
    let a = api.patch(DOC, &api.reviewer, &tag, &json!({"title": new_title}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["title"], new_title);
    let new_tag = a.etag();
    assert!(is_version_tag(&new_tag) && new_tag != tag, "{new_tag}");
    assert_eq!(api.public_doc(), (new_title.to_string(), new_tag.clone()));
    assert!(api
        .search("quetzalcoatlus")
        .contains(&"founding-act-1997".to_string()));
    let page = api.server.html(DOC_PAGE);
    assert!(page.1.contains(new_title));
    let site = api.site_search("quetzalcoatlus");
    assert!(site.contains(&"founding-act-1997".to_string()), "{site:?}");
    // A reviewer keeping a change as a draft.
    let a = api.call(
        "PATCH",
        &format!("{DOC}?draft=true"),
        &[
            ("Authorization", &format!("Bearer {}", api.reviewer)),
            ("If-Match", &new_tag),
        ],
        Some((MERGE, br#"{"title": "Not yet"}"#.to_vec())),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(api.public_doc().0, new_title);
}

#[test]
fn a_stale_if_match_is_412_and_a_missing_one_428() {
    let api = Api::new();
    let (title, old) = api.public_doc();
    let a = api.patch(
        DOC,
        &api.reviewer,
        &old,
        &json!({"place": "Paris, Élysée Palace"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let current = a.etag();
    assert_ne!(current, old);
    // The old ETag is stale now: nothing is saved, and the answer names the current one.
    let a = api.patch(DOC, &api.reviewer, &old, &json!({"title": "Lost update"}));
    assert_eq!(a.status, 412, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    assert_eq!(a.etag(), current);
    // A weak tag never matches (If-Match compares strongly).
    let weak = format!("W/{current}");
    let a = api.patch(DOC, &api.reviewer, &weak, &json!({"title": "Lost update"}));
    assert_eq!(a.status, 412, "{}", a.body);
    // No If-Match at all.
    let a = api.call(
        "PATCH",
        DOC,
        &[("Authorization", &format!("Bearer {}", api.reviewer))],
        Some((MERGE, br#"{"title": "Blind write"}"#.to_vec())),
    );
    assert_eq!(a.status, 428, "{}", a.body);
    let a = api.call(
        "DELETE",
        DOC,
        &[("Authorization", &format!("Bearer {}", api.reviewer))],
        None,
    );
    assert_eq!(a.status, 428, "{}", a.body);
    assert_eq!(api.public_doc(), (title, current.clone()));
    // `*` and the compressed copy's tag both name the current version.
    let gz = api
        .call("GET", DOC, &[("Accept-Encoding", "gzip")], None)
        .etag();
    assert!(gz.ends_with("-gz\""), "{gz}");
    let a = api.patch(DOC, &api.reviewer, &gz, &json!({"place": "Paris, France"}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["place"], "Paris, France");
    let a = api.patch(DOC, &api.reviewer, "*", &json!({"place": "Paris (Élysée)"}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["place"], "Paris (Élysée)");
}

#[test]
fn tokens_and_rights() {
    let api = Api::new();
    let (title, tag) = api.public_doc();
    let patch = || Some((MERGE, br#"{"title": "Unauthorised"}"#.to_vec()));
    // No token: 401 with the challenge.
    let a = api.call("PATCH", DOC, &[("If-Match", &tag)], patch());
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
    // A token that is not one: 401 from the accounts layer.
    let a = api.call(
        "PATCH",
        DOC,
        &[("If-Match", &tag), ("Authorization", "Bearer not-a-token")],
        patch(),
    );
    assert_eq!(a.status, 401, "{}", a.body);
    assert!(a
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    // A read token, even a reviewer's: 403.
    let a = api.patch(
        DOC,
        &api.reviewer_read,
        &tag,
        &json!({"title": "Read only"}),
    );
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.json()["detail"].as_str().unwrap().contains("read"));
    // A contributor may not send to review, publish (there is no way to ask) or revert.
    let a = api.call(
        "PATCH",
        &format!("{DOC}?review=true"),
        &[
            ("Authorization", &format!("Bearer {}", api.contributor)),
            ("If-Match", &tag),
        ],
        patch(),
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let revisions = api.get(DOC_REVISIONS).json();
    let first = revisions[0]["id"].as_i64().unwrap();
    let a = api.call(
        "POST",
        &format!("{DOC_REVISIONS}/{first}/revert"),
        &[("Authorization", &format!("Bearer {}", api.contributor))],
        None,
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let a = api.call(
        "POST",
        &format!("{DOC_REVISIONS}/{first}/revert"),
        &[],
        None,
    );
    assert_eq!(a.status, 401, "{}", a.body);
    // An unknown record (and an address that cannot be a slug): 404.
    for path in [
        "/api/v1/documents/no-such-record",
        "/api/v1/documents/NOT_A_SLUG",
    ] {
        let a = api.patch(path, &api.reviewer, "*", &json!({"title": "x"}));
        assert_eq!(a.status, 404, "{path}: {}", a.body);
    }
    // Bad parameters: 400.
    for query in ["draft=maybe", "frobnicate=1", "draft=true&review=true"] {
        let a = api.patch(
            &format!("{DOC}?{query}"),
            &api.reviewer,
            &tag,
            &json!({"title": "x"}),
        );
        assert_eq!(a.status, 400, "{query}: {}", a.body);
    }
    assert_eq!(api.public_doc(), (title, tag));
}

#[test]
fn validation_errors_name_the_field_and_save_nothing() {
    let api = Api::new();
    let (title, tag) = api.public_doc();
    let field_errors = |a: &Answer| -> Vec<String> {
        assert_eq!(a.status, 422, "{}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
        a.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };
    let fields = field_errors(&api.patch(DOC, &api.reviewer, &tag, &json!({"date": "1997-13"})));
    assert!(fields.iter().any(|f| f == "date"), "{fields:?}");
    let fields = field_errors(&api.patch(
        DOC,
        &api.reviewer,
        &tag,
        &json!({"issued_by": ["no-such-body"]}),
    ));
    assert!(
        fields.iter().any(|f| f.starts_with("issued_by")),
        "{fields:?}"
    );
    // Contributors get the same checks on their drafts.
    let fields = field_errors(&api.patch(DOC, &api.contributor, &tag, &json!({"date": "1997-13"})));
    assert!(fields.iter().any(|f| f == "date"), "{fields:?}");
    // A patch that is not an object, and one that renames the record.
    field_errors(&api.patch(DOC, &api.reviewer, &tag, &json!(["title"])));
    let fields = field_errors(&api.patch(DOC, &api.reviewer, &tag, &json!({"slug": "other"})));
    assert!(fields.iter().any(|f| f == "slug"), "{fields:?}");
    assert_eq!(api.public_doc(), (title, tag));
}

#[test]
fn put_replaces_the_whole_record() {
    let api = Api::new();
    let (_, tag) = api.public_doc();
    let stored = api
        .server
        .store
        .document("founding-act-1997")
        .unwrap()
        .unwrap();
    let mut record = serde_json::to_value(&stored).unwrap();
    record["title"] = json!("Founding Act, replaced whole");
    record["summary"] = json!("Replaced through PUT.");
    let bearer = format!("Bearer {}", api.reviewer);
    // PUT takes application/json, not a merge patch.
    let a = api.call(
        "PUT",
        DOC,
        &[("Authorization", &bearer), ("If-Match", &tag)],
        Some((MERGE, record.to_string().into_bytes())),
    );
    assert_eq!(a.status, 415, "{}", a.body);
    let a = api.call(
        "PUT",
        DOC,
        &[("Authorization", &bearer), ("If-Match", &tag)],
        Some(("application/json", record.to_string().into_bytes())),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["title"], "Founding Act, replaced whole");
    assert_eq!(a.json()["summary"], "Replaced through PUT.");
    assert_eq!(api.public_doc().0, "Founding Act, replaced whole");
}

#[test]
fn delete_is_a_revision_and_revert_restores() {
    let api = Api::new();
    let bearer = format!("Bearer {}", api.reviewer);
    // A record others link to cannot go: 422, and it stays.
    let (_, doc_tag) = api.public_doc();
    let a = api.call(
        "DELETE",
        DOC,
        &[("Authorization", &bearer), ("If-Match", &doc_tag)],
        None,
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(api.get(DOC).status, 200);

    // An event nothing links to.
    let event = "/api/v1/events/blair-initiative-2001-11";
    let revisions = format!("{event}/revisions");
    let first = api.get(event);
    assert_eq!(first.status, 200, "{}", first.body);
    let (before_json, tag) = (first.json(), first.etag());
    // An editor's deletion is a draft: the record stays.
    let a = api.call(
        "DELETE",
        event,
        &[
            ("Authorization", &format!("Bearer {}", api.editor)),
            ("If-Match", &tag),
        ],
        None,
    );
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.json()["deleted"], true);
    assert_eq!(api.get(event).status, 200);
    // A reviewer's is published.
    let a = api.call(
        "DELETE",
        event,
        &[("Authorization", &bearer), ("If-Match", &tag)],
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let deletion = a.json();
    assert_eq!(deletion["deleted"], true);
    assert_eq!(deletion["status"], "published");
    assert_eq!(api.get(event).status, 404);
    // Its history stays readable: the deletion first, then what it deleted.
    let list = api.get(&revisions).json();
    assert_eq!(list[0]["id"], deletion["id"], "{list:#}");
    let before = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["deleted"] == false && r["status"] == "published")
        .expect("the revision before the deletion")["id"]
        .as_i64()
        .unwrap();
    // A write to the deleted record finds nothing.
    let a = api.patch(event, &api.reviewer, "*", &json!({"title": "Ghost"}));
    assert_eq!(a.status, 404, "{}", a.body);
    // Reverting to the revision before restores the record, as a new revision.
    let a = api.call(
        "POST",
        &format!("{revisions}/{before}/revert?comment=Deleted%20by%20mistake"),
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let restored = a.json();
    assert_eq!(restored["status"], "published");
    assert_eq!(restored["deleted"], false);
    assert_eq!(restored["origin"], "revert");
    assert_eq!(restored["comment"], "Deleted by mistake");
    assert!(restored["id"].as_i64() > deletion["id"].as_i64());
    let new_tag = a.etag();
    let now = api.get(event);
    assert_eq!(now.status, 200, "{}", now.body);
    assert_eq!(now.etag(), new_tag);
    let strip = |mut v: Value| {
        for stamp in ["created", "changed"] {
            v.as_object_mut().unwrap().remove(stamp);
        }
        v
    };
    assert_eq!(strip(now.json()), strip(before_json));
    // A revert with a stale If-Match, to a revision that is not this record's, and to
    // one that is not a number.
    let a = api.call(
        "POST",
        &format!("{revisions}/{before}/revert"),
        &[("Authorization", &bearer), ("If-Match", &tag)],
        None,
    );
    assert_eq!(a.status, 412, "{}", a.body);
    for path in [
        format!("/api/v1/bodies/nato/revisions/{before}/revert"),
        format!("{revisions}/first/revert"),
    ] {
        let a = api.call("POST", &path, &[("Authorization", &bearer)], None);
        assert_eq!(a.status, 404, "{path}: {}", a.body);
    }
}

#[test]
fn revisions_are_listed_newest_first_with_drafts_only_for_who_may_see_them() {
    let api = Api::new();
    let (_, tag) = api.public_doc();
    let a = api.patch(
        DOC,
        &api.reviewer,
        &tag,
        &json!({"place": "Paris, Élysée Palace"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let tag = a.etag();
    let a = api.patch(DOC, &api.reviewer, &tag, &json!({"place": "Paris, France"}));
    assert_eq!(a.status, 200, "{}", a.body);
    let tag = a.etag();
    let secret = "Zanzibarian draft title";
    let a = api.patch(DOC, &api.contributor, &tag, &json!({"title": secret}));
    assert_eq!(a.status, 202, "{}", a.body);
    let draft_id = a.json()["id"].as_i64().unwrap();

    // A reader: published revisions only, newest first, each with its fields.
    let list = api.get(DOC_REVISIONS).json();
    let items = list.as_array().unwrap();
    assert!(items.len() >= 3, "{list:#}");
    let ids: Vec<i64> = items.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert!(items.iter().all(|r| r["status"] == "published"));
    assert!(!ids.contains(&draft_id));
    assert_eq!(items[0]["author"], "Rita Reviewer");
    assert_eq!(
        items[0]["version"].as_i64(),
        Some(
            tag.trim_matches('"')
                .trim_start_matches('v')
                .parse::<i64>()
                .unwrap()
        )
    );
    assert!(items[0]["time"].as_str().unwrap().ends_with('Z'));
    // Its author sees the draft; so does an editor.
    for token in [&api.contributor, &api.editor] {
        let list = api.get_as(DOC_REVISIONS, token).json();
        let first = &list[0];
        assert_eq!(first["id"], draft_id, "{list:#}");
        assert_eq!(first["status"], "draft");
    }
    // Another contributor does not, with either token; nor a read token of a reviewer.
    for token in [&api.other_read, &api.other_write, &api.reviewer_read] {
        let list = api.get_as(DOC_REVISIONS, token).json();
        assert!(
            list.as_array().unwrap().iter().all(|r| r["id"] != draft_id),
            "{list:#}"
        );
    }
    // Paged: `limit`, and a Link to the next page.
    let a = api.get(&format!("{DOC_REVISIONS}?limit=1"));
    assert_eq!(a.json().as_array().unwrap().len(), 1);
    let link = a.header("link").expect("a Link to the next page");
    assert!(link.contains(&format!("before={}", ids[0])), "{link}");
    let next = api.get(&format!("{DOC_REVISIONS}?limit=1&before={}", ids[0]));
    assert_eq!(next.json()[0]["id"].as_i64(), Some(ids[1]));
    // Unknown records and bad parameters.
    assert_eq!(
        api.get("/api/v1/documents/no-such-record/revisions").status,
        404
    );
    assert_eq!(api.get(&format!("{DOC_REVISIONS}?limit=0")).status, 400);
    assert_eq!(
        api.get(&format!("{DOC_REVISIONS}?frobnicate=1")).status,
        400
    );
}

#[test]
fn a_draft_never_reaches_a_reader() {
    let api = Api::new();
    let (title, tag) = api.public_doc();
    let secret = "Xylophonic secret draft";
    let a = api.patch(
        DOC,
        &api.contributor,
        &tag,
        &json!({"title": secret, "summary": "xylophonic summary"}),
    );
    assert_eq!(a.status, 202, "{}", a.body);
    // Anonymous: the API, the page, the searches.
    assert_eq!(api.public_doc(), (title.clone(), tag.clone()));
    let page = api.server.html(DOC_PAGE).1;
    assert!(!page.contains("Xylophonic"));
    assert!(api.search("xylophonic").is_empty());
    assert!(api.site_search("xylophonic").is_empty());
    let list = api.get(DOC_REVISIONS).body;
    assert!(!list.contains("draft"), "{list}");
    // Another account's read token: the record as readers see it.
    let a = api.get_as(DOC, &api.other_read);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["title"], title.as_str());
    assert!(!api
        .get_as(DOC_REVISIONS, &api.other_read)
        .body
        .contains("Xylophonic"));
}

#[test]
fn hostile_bodies_are_refused_cleanly() {
    let api = Api::new();
    let (title, tag) = api.public_doc();
    let bearer = format!("Bearer {}", api.reviewer);
    let headers = [
        ("Authorization", bearer.as_str()),
        ("If-Match", tag.as_str()),
    ];
    // Nested 10,000 deep, objects and arrays: refused by the JSON parser's depth bound.
    let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let deep_array = format!(
        "{{\"aliases\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    for body in [deep_object, deep_array] {
        let a = api.call("PATCH", DOC, &headers, Some((MERGE, body.into_bytes())));
        assert_eq!(a.status, 400, "{}", a.body);
    }
    // 2 MB: 413, answered (not a dropped connection).
    let big = format!("{{\"summary\":\"{}\"}}", "x".repeat(2 << 20));
    let a = api.call("PATCH", DOC, &headers, Some((MERGE, big.into_bytes())));
    assert_eq!(a.status, 413, "{}", a.body);
    // Not JSON at all, and not UTF-8.
    for body in [b"title=x".to_vec(), vec![0xff, 0xfe, 0x00, 0x7b]] {
        let a = api.call("PATCH", DOC, &headers, Some((MERGE, body)));
        assert_eq!(a.status, 400, "{}", a.body);
    }
    // The wrong media type, and none.
    for ct in ["application/json", "text/plain"] {
        let a = api.call("PATCH", DOC, &headers, Some((ct, b"{}".to_vec())));
        assert_eq!(a.status, 415, "{ct}: {}", a.body);
        assert_eq!(a.header("accept-patch"), Some(MERGE));
    }
    let a = api.call("PATCH", DOC, &headers, None);
    assert_eq!(a.status, 415, "{}", a.body);
    assert_eq!(api.public_doc(), (title, tag.clone()));
    // The server still answers.
    assert_eq!(api.get(DOC).status, 200);

    // Markup in a title is stored as text and served escaped.
    let payload = "<script>alert('pwned')</script> Founding Act";
    let a = api.patch(DOC, &api.reviewer, &tag, &json!({"title": payload}));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["title"], payload);
    assert_eq!(api.get(DOC).json()["title"], payload);
    let page = api.server.html(DOC_PAGE).1;
    assert!(
        !page.contains("<script>alert("),
        "the payload is live on the page"
    );
    assert!(
        page.contains("&lt;script&gt;alert(") || page.contains("&lt;script&gt;"),
        "the payload is not shown escaped"
    );
}
