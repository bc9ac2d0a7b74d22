//! After a merge (issue 28), the merged-away record's old addresses answer `301 Moved
//! Permanently` to the survivor's, everywhere a record has an address: its page and the
//! pages and files under it, the JSON API, in HTML and JSON, GET and HEAD, with the query
//! string kept. Over real HTTP on a real port, the merge made through the store's API.
//! Unknown slugs still answer 404, a redirect is never to another host whatever the path,
//! and an undone merge stops redirecting at once.

mod common;

use common::accounts::{Answer, Client};
use common::TestServer;
use dossier_model::{Archive, Body, Document, Person, RecordType};
use dossier_store::{Author, Merge, SqliteStore, Store};
use std::io::{Read, Write};

/// The built-in dossier with a second record for Russia (`russia`, as an import of another
/// collection would make it) and for Lord Robertson, each linked from a document.
fn fill(store: &SqliteStore) {
    let mut archive: Archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
    let russia: Body = serde_json::from_value(serde_json::json!({
        "slug": "russia", "name": "Russia", "kind": "state",
        "identifiers": [{"scheme": "wikidata", "value": "Q159"}],
        "gaps": ["Imported from a travels collection; not checked."]
    }))
    .unwrap();
    let robertson: Person = serde_json::from_value(serde_json::json!({
        "slug": "lord-robertson", "name": "Lord Robertson of Port Ellen",
        "aliases": ["Robertson"]
    }))
    .unwrap();
    let trip: Document = serde_json::from_value(serde_json::json!({
        "slug": "visit-to-moscow", "title": "Visit to Moscow", "kind": "statement",
        "date": "2000-02-16", "issued_by": ["russia"], "authors": ["lord-robertson"]
    }))
    .unwrap();
    archive.bodies.push(russia);
    archive.people.push(robertson);
    archive.documents.push(trip);
    store.write(&archive).expect("the archive stores");
}

fn merge(server: &TestServer, record: RecordType, from: &str, into: &str) -> Merge {
    server
        .store
        .merges()
        .expect("the SQLite store merges")
        .merge(record, from, into, &Author::cli(), "the same record twice")
        .unwrap_or_else(|e| panic!("merging {from} into {into}: {e}"))
}

/// A client that follows no redirect.
fn client(server: &TestServer) -> Client {
    Client::new(server)
}

fn get(c: &mut Client, path: &str, accept: &str) -> Answer {
    c.get_with(path, &[("Accept", accept)])
}

/// Asserts a 301 from `path` to `to`, and that the survivor's address answers.
fn moved(c: &mut Client, path: &str, accept: &str, to: &str) {
    let a = get(c, path, accept);
    assert_eq!(a.status, 301, "{path} ({accept}): {}", a.body);
    assert_eq!(a.header("location"), Some(to), "{path}");
    assert!(a.body.is_empty(), "{path}: a 301 has no body: {}", a.body);
    assert_eq!(a.header("cache-control"), Some("no-cache"), "{path}");
}

/// Sends `request` as bytes, as written (no client tidies the path), and returns the
/// status line's code and the `Location` header, if any.
fn raw(server: &TestServer, target: &str) -> (u16, Option<String>) {
    raw_as(server, "GET", target)
}

/// [`raw`] with another method.
fn raw_as(server: &TestServer, method: &str, target: &str) -> (u16, Option<String>) {
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let location = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("location:"))
        .map(|l| l["location:".len()..].trim().to_string());
    (status, location)
}

#[test]
fn every_address_of_a_merged_body_or_person_answers_301_to_the_survivor() {
    let server = TestServer::with(fill);
    let mut c = client(&server);
    // Before the merge, both are records of their own.
    assert_eq!(get(&mut c, "/bodies/russia", "text/html").status, 200);
    let m = merge(&server, RecordType::Body, "russia", "russian-federation");
    assert_eq!(
        m.relinked,
        [(RecordType::Document, "visit-to-moscow".to_string())]
    );

    let html = "text/html";
    let json = "application/json";
    for (path, to) in [
        ("/bodies/russia", "/bodies/russian-federation"),
        (
            "/bodies/russia/timeline",
            "/bodies/russian-federation/timeline",
        ),
        (
            "/bodies/russia/timeline.svg",
            "/bodies/russian-federation/timeline.svg",
        ),
        (
            "/bodies/russia/relations.svg",
            "/bodies/russian-federation/relations.svg",
        ),
        (
            "/bodies/russia.eac.xml",
            "/bodies/russian-federation.eac.xml",
        ),
        ("/api/v1/bodies/russia", "/api/v1/bodies/russian-federation"),
        (
            "/bodies/russia?utm_source=a&x=%2F%2Fevil.example",
            "/bodies/russian-federation?utm_source=a&x=%2F%2Fevil.example",
        ),
    ] {
        moved(&mut c, path, html, to);
        moved(&mut c, path, json, to);
        // The survivor's address answers (the EAC-CPF file where that route exists).
        if !to.ends_with(".eac.xml") {
            let there = get(&mut c, to, json);
            assert_eq!(there.status, 200, "{to}: {}", there.body);
        }
    }
    // HEAD too.
    assert_eq!(
        raw_as(&server, "HEAD", "/bodies/russia"),
        (301, Some("/bodies/russian-federation".into()))
    );
    // The API's redirect keeps its CORS header, so a page elsewhere can follow it.
    let api = get(&mut c, "/api/v1/bodies/russia", json);
    assert_eq!(api.header("access-control-allow-origin"), Some("*"));

    // The survivor holds what moved, and the linking document points at it.
    let (_, _, body) = server.json("/api/v1/bodies/russian-federation");
    assert!(body.to_string().contains("Q159"), "{body}");
    let (_, _, doc) = server.json("/api/v1/documents/visit-to-moscow");
    assert!(doc.to_string().contains("russian-federation"), "{doc}");
    assert!(!doc.to_string().contains("\"russia\""), "{doc}");

    // People alike.
    merge(
        &server,
        RecordType::Person,
        "lord-robertson",
        "george-robertson",
    );
    for (path, to) in [
        ("/people/lord-robertson", "/people/george-robertson"),
        (
            "/api/v1/people/lord-robertson",
            "/api/v1/people/george-robertson",
        ),
        (
            "/people/lord-robertson.eac.xml",
            "/people/george-robertson.eac.xml",
        ),
    ] {
        moved(&mut c, path, html, to);
    }

    // A redirect names its type: no document, event or other record type is redirected by
    // a body's merge, and an unknown slug is still a 404.
    for path in [
        "/documents/russia",
        "/citations/russia.bib",
        "/api/v1/documents/russia",
        "/events/russia",
        "/people/russia",
        "/bodies/no-such-body",
        "/bodies/no-such-body/timeline",
        "/api/v1/bodies/no-such-body",
        "/people/no-such-person",
    ] {
        let a = get(&mut c, path, html);
        assert_eq!(a.status, 404, "{path}: {}", a.body);
        assert_eq!(a.header("location"), None, "{path}");
    }
    // The survivor's own pages are not redirected.
    assert_eq!(get(&mut c, "/bodies/russian-federation", html).status, 200);
    // A write to the old address is not redirected (a 301 would turn it into a GET).
    let put = c.send(
        "PUT",
        "/api/v1/bodies/russia",
        &[],
        Some(("application/json", "{}".into())),
    );
    assert_ne!(put.status, 301);
}

#[test]
fn chains_collapse_and_an_undone_merge_stops_redirecting() {
    let server = TestServer::with(fill);
    let mut c = client(&server);
    // russia → russian-federation, then russian-federation → ukraine (a test of chains,
    // not a claim about the world): both old addresses go straight to the last survivor.
    merge(&server, RecordType::Body, "russia", "russian-federation");
    let second = merge(&server, RecordType::Body, "russian-federation", "ukraine");
    moved(&mut c, "/bodies/russia", "text/html", "/bodies/ukraine");
    moved(
        &mut c,
        "/bodies/russian-federation",
        "text/html",
        "/bodies/ukraine",
    );

    // The second merge undone: russian-federation is a record again, served at once (no
    // redirect kept by the server's cache), and russia points at it again.
    server
        .store
        .merges()
        .unwrap()
        .undo_merge(second.id, &Author::cli(), "not the same")
        .unwrap();
    let a = get(&mut c, "/bodies/russian-federation", "text/html");
    assert_eq!(a.status, 200, "{}", a.body);
    moved(
        &mut c,
        "/bodies/russia",
        "text/html",
        "/bodies/russian-federation",
    );
}

#[test]
fn hostile_paths_never_redirect_off_the_site() {
    let server = TestServer::with(fill);
    merge(&server, RecordType::Body, "russia", "russian-federation");
    // Paths that try to make the Location leave the site or the record's prefix: none is
    // redirected anywhere but under /bodies/russian-federation, and most are plain 404s.
    for target in [
        "/bodies//evil.example",
        "/bodies/russia//evil.example",
        "/bodies/russia/..//evil.example",
        "/bodies/russia/../../..//evil.example",
        "/bodies/russia/./timeline",
        "/bodies/russia/",
        "/bodies/russia%2F%2Fevil.example",
        "/bodies/russia%2f..%2f..%2fevil",
        "/bodies/RUSSIA",
        "/bodies/russia%00",
        "/bodies/russia/%0d%0aSet-Cookie:%20x=1",
        "/bodies/russia/\\evil.example",
        "/bodies/russia?next=//evil.example",
        "/bodies/russia?%0d%0aSet-Cookie:x",
        "//bodies/russia",
        "/api/v1/bodies/russia/../../../evil",
        "http://evil.example/bodies/russia",
        &format!("/bodies/russia/{}", "a/".repeat(2000)),
        &format!("/bodies/{}", "r".repeat(5000)),
    ] {
        let (status, location) = raw(&server, target);
        if let Some(to) = &location {
            assert_eq!(status, 301, "{target}");
            assert!(
                to.starts_with("/bodies/russian-federation"),
                "{target} redirected to {to}"
            );
            let path = to.split('?').next().unwrap_or_default();
            assert!(!path.contains("//"), "{target} redirected to {to}");
            assert!(!to.contains('\r') && !to.contains('\n'), "{target}: {to:?}");
        } else {
            assert_ne!(status, 301, "{target}");
        }
    }
    // What is redirected: only the plain forms.
    assert_eq!(
        raw(&server, "/bodies/russia?next=//evil.example"),
        (
            301,
            Some("/bodies/russian-federation?next=//evil.example".into())
        )
    );
    assert_eq!(raw(&server, "/bodies/russia//evil.example").0, 404);
    assert_eq!(raw(&server, "/bodies/russia/..//evil.example").0, 404);
    assert_eq!(raw(&server, "/bodies/russia%2F%2Fevil.example").0, 404);
}
