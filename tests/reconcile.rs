//! The W3C Reconciliation Service API at `/reconcile` over real HTTP, as OpenRefine uses
//! it: every answer (manifest, batches, suggestions) validated against the specification's
//! JSON schemas (version 0.2, tests/fixtures/reconciliation/), the queries we send
//! validated against the query schema, scores and `match`, type and property constraints,
//! the preview and view links, an index that follows every write, and hostile requests.

mod common;

use common::TestServer;
use dossier_model::*;
use dossier_store::Store;
use serde_json::{json, Value};
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with(|store| {
        let mut archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
        archive.bodies.push(body(
            "atlantic-test-body",
            "Atlantic Test Body",
            &["ATB"],
            &[("wikidata", "Q424242")],
        ));
        archive.bodies.push(body(
            "hostile",
            "<script>alert(1)</script> Council",
            &["\"><img src=x onerror=alert(1)>"],
            &[],
        ));
        store.write(&archive).expect("stores");
    })
});

fn body(slug: &str, name: &str, acronyms: &[&str], ids: &[(&str, &str)]) -> Body {
    Body {
        slug: slug.into(),
        name: name.into(),
        acronyms: acronyms.iter().map(|s| s.to_string()).collect(),
        aliases: Vec::new(),
        kind: BodyKind::Organisation,
        established: Some(Edtf::parse("1990").unwrap()),
        ended: None,
        founding_document: None,
        predecessors: Vec::new(),
        successors: Vec::new(),
        part_of: None,
        format: None,
        decision_rule: None,
        summary: Some("A body <em>made up</em> for the reconciliation tests.".into()),
        identifiers: ids
            .iter()
            .map(|(s, v)| ExternalId::new(IdScheme::parse(s).unwrap(), v).unwrap())
            .collect(),
        dossiers: Vec::new(),
        collections: Vec::new(),
        provenance: Provenance::default(),
    }
}

/// Serves the specification's schemas from the fixtures by their `$id`. The manifest
/// schema's one reference outside the specification, Swagger 2.0's security definitions
/// (for `authentication`, which this service does not offer), is served as a schema that
/// nothing satisfies: a manifest that carried `authentication` would fail, stricter than
/// the specification (see tests/fixtures/reconciliation/PROVENANCE.md).
struct Fixtures;

impl jsonschema::Retrieve for Fixtures {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == "http://swagger.io/v2/schema.json" {
            return Ok(
                json!({"definitions": {"securityDefinitions": {"additionalProperties": false}}}),
            );
        }
        let name = uri
            .as_str()
            .strip_prefix("https://reconciliation-api.github.io/specs/0.2/schemas/")
            .ok_or_else(|| format!("not one of the fixtures: {}", uri.as_str()))?;
        Ok(schema_file(name))
    }
}

fn schema_file(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/reconciliation/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Checks `value` against the specification's schema `name`.
fn check(name: &str, value: &Value) {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_retriever(Fixtures)
        .build(&schema_file(name))
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid against {name}:\n{}\n{value:#}",
        errors.join("\n")
    );
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// GET; status, headers, body.
fn get(path: &str) -> (u16, ureq::http::HeaderMap, String) {
    let mut r = agent()
        .get(&format!("{}{path}", SERVER.base))
        .call()
        .unwrap();
    let h = r.headers().clone();
    (
        r.status().as_u16(),
        h,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn get_json(path: &str) -> Value {
    let (status, h, body) = get(path);
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(h["content-type"], "application/json", "{path}");
    serde_json::from_str(&body).unwrap()
}

/// POSTs a batch as OpenRefine does (a form with `queries=`); status, content type, JSON.
fn post_batch(queries: &Value) -> (u16, String, Value) {
    post_raw(
        "application/x-www-form-urlencoded",
        &form(&queries.to_string()),
    )
}

fn post_raw(content_type: &str, body: &str) -> (u16, String, Value) {
    let mut r = agent()
        .post(&format!("{}/reconcile", SERVER.base))
        .header("Content-Type", content_type)
        .send(body)
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    let text = r.body_mut().read_to_string().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, ct, v)
}

/// Reconciles a batch (checking the batch and the answer against the schemas).
fn reconcile(queries: Value) -> Value {
    check("reconciliation-query-batch.json", &queries);
    let (status, ct, v) = post_batch(&queries);
    assert_eq!(status, 200, "{v}");
    assert_eq!(ct, "application/json");
    check("reconciliation-result-batch.json", &v);
    v
}

fn first(v: &Value, key: &str) -> Value {
    v[key]["result"][0].clone()
}

#[test]
fn the_manifest_is_valid_and_names_the_services() {
    let m = get_json("/reconcile");
    check("manifest.json", &m);
    assert_eq!(m["versions"], json!(["0.2"]));
    let ids: Vec<&str> = m["defaultTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["body", "person", "document", "event"]);
    assert!(m["view"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/reconcile/view/{{id}}"));
    assert_eq!(
        m["suggest"]["entity"]["service_path"],
        "/reconcile/suggest/entity"
    );
    // Any origin may read it, and ask before a POST.
    let (_, h, _) = {
        let mut r = agent()
            .get(&format!("{}/reconcile", SERVER.base))
            .header("Origin", "http://127.0.0.1:3333")
            .call()
            .unwrap();
        let h = r.headers().clone();
        (r.status(), h, r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(h["access-control-allow-origin"], "*");
    let r = agent()
        .options(&format!("{}/reconcile", SERVER.base))
        .header("Origin", "http://127.0.0.1:3333")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .call()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
}

#[test]
fn names_acronyms_and_misspellings() {
    let v = reconcile(json!({
        "q0": {"query": "North Atlantic Treaty Organization"},
        "q1": {"query": "NATO", "type": "body", "limit": 3},
        "q2": {"query": "Russian Federatoin", "type": "body"},
        "q3": {"query": "Vladimir Putin", "type": "person"},
        "q4": {"query": "nothing like any name here, zzqx"},
        "q5": {"query": "russian federation", "type": "person"},
    }));
    let nato = first(&v, "q0");
    assert_eq!(nato["id"], "body/nato");
    assert_eq!(nato["match"], true);
    assert_eq!(nato["score"], 100.0);
    assert_eq!(nato["type"], json!([{"id": "body", "name": "Body"}]));
    assert!(nato["description"]
        .as_str()
        .unwrap()
        .starts_with("Organisation"));
    let acronym = first(&v, "q1");
    assert_eq!(
        (acronym["id"].as_str(), acronym["match"].as_bool()),
        (Some("body/nato"), Some(true))
    );
    assert!(v["q1"]["result"].as_array().unwrap().len() <= 3);
    let misspelt = first(&v, "q2");
    assert_eq!(misspelt["id"], "body/russian-federation");
    assert_eq!(misspelt["match"], false);
    assert!(misspelt["score"].as_f64().unwrap() < 90.0);
    assert_eq!(first(&v, "q3")["id"], "person/vladimir-putin");
    assert_eq!(v["q4"]["result"], json!([]));
    // Of another type: never the body.
    assert!(v["q5"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"].as_str().unwrap().starts_with("person/")));
}

#[test]
fn properties_constrain_and_identifiers_match() {
    let v = reconcile(json!({
        // An identifier matches whatever the name.
        "id": {"query": "Some other name", "properties": [{"pid": "wikidata", "v": "Q424242"}]},
        // Only an identifier.
        "only": {"properties": [{"pid": "wikidata", "v": {"id": "Q424242", "name": "ATB"}}]},
        // Another kind: found, scored lower, not a match.
        "kind": {"query": "Atlantic Test Body", "properties": [{"pid": "kind", "v": "state"}]},
        "kind_ok": {"query": "Atlantic Test Body", "properties": [{"pid": "kind", "v": "Organisation"}]},
        "year": {"query": "Atlantic Test Body", "properties": [{"pid": "date", "v": 1991}]},
        "year_ok": {"query": "Atlantic Test Body", "properties": [{"pid": "date", "v": "1990-01-01"}]},
        "should": {"query": "Atlantic Test Body", "type": "person", "type_strict": "should"},
        "all": {"query": "Atlantic Test Body", "type": ["person", "body"], "type_strict": "all"},
    }));
    for key in ["id", "only"] {
        let c = first(&v, key);
        assert_eq!(c["id"], "body/atlantic-test-body", "{key}: {v}");
        assert_eq!(c["match"], true, "{key}");
    }
    for (bad, good) in [("kind", "kind_ok"), ("year", "year_ok")] {
        let (b, g) = (first(&v, bad), first(&v, good));
        assert_eq!(b["id"], "body/atlantic-test-body");
        assert_eq!(
            (b["match"].as_bool(), g["match"].as_bool()),
            (Some(false), Some(true)),
            "{bad}"
        );
        assert!(b["score"].as_f64() < g["score"].as_f64());
    }
    let should = first(&v, "should");
    assert_eq!(should["id"], "body/atlantic-test-body");
    assert_eq!(should["match"], false);
    assert_eq!(v["all"]["result"], json!([]));
}

#[test]
fn an_openrefine_round_trip() {
    // OpenRefine reads the manifest, offers its types and properties, reconciles the
    // column ten rows at a time, previews candidates and links matched cells to the view.
    let m = get_json("/reconcile");
    let suggest = |service: &str, prefix: &str| {
        let path = m["suggest"][service]["service_path"].as_str().unwrap();
        get_json(&format!("{path}?prefix={prefix}"))
    };
    let types = suggest("type", "bo");
    check("suggest-types-response.json", &types);
    assert_eq!(types["result"], json!([{"id": "body", "name": "Body"}]));
    let props = suggest("property", "wiki");
    check("suggest-properties-response.json", &props);
    assert_eq!(props["result"][0]["id"], "wikidata");
    let entities = suggest("entity", "russ");
    check("suggest-entities-response.json", &entities);
    assert_eq!(entities["result"][0]["id"], "body/russian-federation");
    assert_eq!(
        entities["result"][0]["notable"],
        json!([{"id": "body", "name": "Body"}])
    );
    let typed = get_json("/reconcile/suggest/entity?prefix=vlad&type=person");
    check("suggest-entities-response.json", &typed);
    assert_eq!(typed["result"][0]["id"], "person/vladimir-putin");
    let column = [
        "NATO",
        "Russian Federation",
        "Ukraine",
        "United Kingdom",
        "PJC",
        "NATO-Russia Council",
        "Partnership for Peace",
        "Kosovo Force",
        "UNSC",
        "EAPC",
    ];
    let batch: serde_json::Map<String, Value> = column
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                format!("q{i}"),
                json!({"query": name, "type": "body", "type_strict": "should"}),
            )
        })
        .collect();
    let v = reconcile(Value::Object(batch));
    for (i, name) in column.iter().enumerate() {
        let c = first(&v, &format!("q{i}"));
        assert_eq!(c["match"], true, "{name}: {v}");
    }
    let id = first(&v, "q1")["id"].as_str().unwrap().to_string();
    let preview_url = m["preview"]["url"].as_str().unwrap().replace("{{id}}", &id);
    let path = &preview_url[preview_url.find("/reconcile").unwrap()..];
    let (status, h, html) = get(path);
    assert_eq!(status, 200);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("Russian Federation"), "{html}");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors *"));
    // The view link, with the id as written and percent-encoded.
    for id_in_url in [id.clone(), id.replace('/', "%2F")] {
        let view = m["view"]["url"]
            .as_str()
            .unwrap()
            .replace("{{id}}", &id_in_url);
        let path = &view[view.find("/reconcile").unwrap()..];
        let (status, h, _) = get(path);
        assert_eq!(status, 301, "{path}");
        assert_eq!(h["location"], "/bodies/russian-federation");
    }
    let (status, _, _) = get("/bodies/russian-federation");
    assert_eq!(status, 200);
    // The same batch as a GET.
    let q = form(&json!({"q0": {"query": "EAPC"}}).to_string());
    let v = get_json(&format!("/reconcile?{q}"));
    check("reconciliation-result-batch.json", &v);
    assert_eq!(first(&v, "q0")["id"], "body/eapc");
}

#[test]
fn the_index_follows_every_write() {
    let s = TestServer::with(|store| {
        store
            .write(&Archive {
                bodies: vec![body("first-body", "First Reconciled Body", &[], &[])],
                ..Default::default()
            })
            .unwrap();
    });
    let ask = |name: &str| -> Value {
        let form = form(&json!({"q": {"query": name}}).to_string());
        let mut r = agent()
            .post(&format!("{}/reconcile", s.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(&form)
            .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["q"]["result"][0].clone()
    };
    assert_eq!(ask("First Reconciled Body")["id"], "body/first-body");
    assert!(ask("Second Reconciled Body")["id"] != "body/second-body");
    // A write beside the server is seen by the very next query.
    s.store
        .write(&Archive {
            bodies: vec![
                body("second-body", "Second Reconciled Body", &[], &[]),
                body("first-body", "First Renamed Body", &[], &[]),
            ],
            ..Default::default()
        })
        .unwrap();
    let second = ask("Second Reconciled Body");
    assert_eq!(
        (second["id"].as_str(), second["match"].as_bool()),
        (Some("body/second-body"), Some(true))
    );
    let renamed = ask("First Reconciled Body");
    assert_eq!(renamed["match"], false, "the old name is gone: {renamed}");
    assert_eq!(ask("First Renamed Body")["match"], true);
    assert!(s.store.delete(RecordType::Body, "second-body").unwrap());
    let gone = ask("Second Reconciled Body");
    assert!(
        gone["id"] != "body/second-body" && gone["match"] != true,
        "{gone}"
    );
    let (status, _, _) = {
        let mut r = agent()
            .get(&format!("{}/reconcile/preview?id=body/second-body", s.base))
            .call()
            .unwrap();
        (
            r.status().as_u16(),
            (),
            r.body_mut().read_to_string().unwrap(),
        )
    };
    assert_eq!(status, 404);
}

/// POSTs a form body over a plain socket, ignoring a write the server cut short;
/// returns the status and the whole answer.
fn raw_post(body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(SERVER.addr).unwrap();
    let head = format!(
        "POST /reconcile HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\nqueries=",
        SERVER.addr,
        body.len() + "queries=".len()
    );
    c.write_all(head.as_bytes()).unwrap();
    let _ = c.write_all(body.as_bytes());
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// A refused request: its status and problem+json detail.
fn refused(content_type: &str, body: &str) -> (u16, String) {
    let (status, ct, v) = post_raw(content_type, body);
    assert_eq!(ct, "application/problem+json", "{v}");
    assert_eq!(v["status"], status);
    (status, v["detail"].as_str().unwrap().to_string())
}

/// `queries=…` as a form encodes it.
fn form(queries: &str) -> String {
    let mut out = String::from("queries=");
    for b in queries.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[test]
fn hostile_requests_are_refused_clearly() {
    let f = "application/x-www-form-urlencoded";
    let many: serde_json::Map<String, Value> = (0..1001)
        .map(|i| (format!("q{i}"), json!({"query": "NATO"})))
        .collect();
    let (status, detail) = refused(f, &form(&Value::Object(many).to_string()));
    assert_eq!(status, 400);
    assert!(detail.contains("at most 1000 queries"), "{detail}");
    // A batch of the largest size is answered.
    let most: serde_json::Map<String, Value> = (0..1000)
        .map(|i| (format!("q{i}"), json!({"query": "NATO", "limit": 1})))
        .collect();
    let (status, _, v) = post_batch(&Value::Object(most));
    assert_eq!(status, 200);
    assert_eq!(v.as_object().unwrap().len(), 1000);
    // Too large a body: refused once it passes the bound (the server need not read on).
    let (status, answer) = raw_post(&"a".repeat((4 << 20) + 1));
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    // Deep nesting.
    let deep = format!("{{\"q0\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, detail) = refused(f, &form(&deep));
    assert_eq!(status, 400);
    assert!(detail.contains("not valid JSON"), "{detail}");
    // Wrong types, unknown fields, types and properties, a query too long.
    for (queries, says) in [
        (r#"["NATO"]"#, "JSON object"),
        (r#"{"q0": "NATO"}"#, "must be an object"),
        (r#"{"q0": {"query": ["NATO"]}}"#, "`query` must be a string"),
        (r#"{"q0": {"query": "NATO", "limit": "ten"}}"#, "`limit`"),
        (r#"{"q0": {"query": "NATO", "limit": 1000000}}"#, "`limit`"),
        (
            r#"{"q0": {"query": "NATO", "type": "<script>"}}"#,
            "is not one of",
        ),
        (
            r#"{"q0": {"query": "NATO", "type_strict": "maybe"}}"#,
            "`type_strict`",
        ),
        (
            r#"{"q0": {"query": "NATO", "properties": {"pid": "kind"}}}"#,
            "`properties` must be a list",
        ),
        (
            r#"{"q0": {"query": "NATO", "properties": [{"pid": "x", "v": "y"}]}}"#,
            "is not a property",
        ),
        (
            r#"{"q0": {"query": "NATO", "properties": [{"pid": "kind", "v": [[1]]}]}}"#,
            "`v` must be",
        ),
        (
            r#"{"q0": {"query": "NATO", "callback": "alert"}}"#,
            "is not a field",
        ),
        (r#"{"q0": {"limit": 3}}"#, "needs `query` or `properties`"),
    ] {
        let (status, detail) = refused(f, &form(queries));
        assert_eq!(status, 400, "{queries}");
        assert!(detail.contains(says), "{queries}: {detail}");
        assert!(
            detail.contains("q0") || !queries.contains("q0") || says == "JSON object",
            "{detail}"
        );
        assert!(!detail.contains("<script>"), "{detail}");
    }
    let long = json!({"q0": {"query": "x".repeat(1001)}}).to_string();
    assert!(refused(f, &form(&long)).1.contains("longer than 1000"));
    assert!(refused(f, "query=NATO").1.contains("no `queries` field"));
    assert!(refused("text/xml", "<queries/>")
        .1
        .contains("application/x-www-form-urlencoded"));
    // The batch itself as JSON is read too.
    let (status, _, v) = post_raw("application/json", r#"{"q0": {"query": "NATO"}}"#);
    assert_eq!(status, 200);
    assert_eq!(first(&v, "q0")["id"], "body/nato");
    // Previews and views of ids that are not ids.
    for path in [
        "/reconcile/preview",
        "/reconcile/preview?id=nato",
        "/reconcile/preview?id=body/..%2F..%2Fetc%2Fpasswd",
        "/reconcile/preview?id=javascript:alert(1)",
        "/reconcile/view/topic%2Fx",
        "/reconcile/view/body/%3Cscript%3E",
        "/reconcile/suggest/entity",
        "/reconcile/suggest/entity?prefix=n&type=topic",
        "/reconcile/suggest/entity?prefix=n&cursor=-1",
    ] {
        let (status, h, body) = get(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(h["content-type"], "application/problem+json", "{path}");
        assert!(!body.contains("<script"), "{path}: {body}");
    }
    let (status, _, _) = get("/reconcile/preview?id=body/no-such-body");
    assert_eq!(status, 404);
}

#[test]
fn script_in_names_stays_text() {
    let v = reconcile(json!({"q0": {"query": "<script>alert(1)</script> Council"}}));
    let c = first(&v, "q0");
    assert_eq!(c["id"], "body/hostile");
    assert_eq!(c["name"], "<script>alert(1)</script> Council");
    let (status, h, html) = get("/reconcile/preview?id=body/hostile");
    assert_eq!(status, 200);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<em>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Council"),
        "{html}"
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    // Suggestions are JSON data, and say so.
    let (_, h, body) = get("/reconcile/suggest/entity?prefix=%3Cscript");
    assert_eq!(h["content-type"], "application/json");
    let s: Value = serde_json::from_str(&body).unwrap();
    check("suggest-entities-response.json", &s);
    assert_eq!(s["result"][0]["id"], "body/hostile");
}
