//! Query syntax abuse, on every endpoint that parses a query and on the CLI: each query
//! gets an answer (200, or 400 with a message), never a crash, a hang or a 5xx, and the
//! server answers its home page after every batch.

use crate::harness::*;

/// Shapes that nest, chain or repeat, each at several sizes up to far past any limit.
fn shaped() -> Vec<String> {
    let mut q = Vec::new();
    for n in [1, 16, 64, 240, 1_000, 10_000] {
        q.push(format!("{}a", "-".repeat(n)));
        q.push(format!("{}a", "NOT ".repeat(n)));
        q.push(format!("{}a{}", "(".repeat(n), ")".repeat(n)));
        q.push("(".repeat(n));
        q.push(")".repeat(n));
        q.push("\"".repeat(n));
        q.push(format!("{}a", "a OR ".repeat(n)));
        q.push(format!("{}a", "a AND ".repeat(n)));
        q.push("nato ".repeat(n));
        q.push(format!("\"{}\"", "nato russia ".repeat(n)));
        q.push("kind:".repeat(n));
        q.push("kind:treaty ".repeat(n));
        q.push(format!("{}nato", "(-".repeat(n)));
        q.push(format!("{}nato", "(NOT ".repeat(n)));
        q.push(format!("{}a", "-(".repeat(n)));
        q.push("OR ".repeat(n));
        q.push("date:1997..2002 ".repeat(n));
        q.push(format!("date:{}", "..".repeat(n)));
    }
    q.push("x".repeat(100_000));
    q.push(format!("\"{}\"", "x ".repeat(20_000)));
    q.push("year:-99999999999999999999".into());
    q.push("date:99999999-99-99..-0".into());
    q.push("date:1997-13-45..1997-00-00".into());
    q.push("type:<script>alert(1)</script>".into());
    q.push("body:\u{0}\u{1}\u{7f}".into());
    q.push("\u{202e}nato\u{200b}\u{feff}".into());
    q.push("🦀".repeat(5_000));
    q.push("é".repeat(20_000));
    q
}

/// Random operator soup from a deterministic generator: sizes from a few tokens to a
/// few thousand.
fn soup(n: usize) -> Vec<String> {
    const TOKENS: &[&str] = &[
        "(", ")", "-", "NOT ", "OR ", "AND ", "\"", "nato", "russia", "kind:", "treaty", "date:",
        "..", "1997", "year:", "body:pjc", ":", " ", "*", "\\", "'", "&", "%",
    ];
    let mut rng = Rng::new(20);
    (0..n)
        .map(|i| {
            let len = 1 + rng.below(if i % 4 == 0 { 4_000 } else { 40 });
            (0..len).map(|_| *rng.pick(TOKENS)).collect()
        })
        .collect()
}

/// Every endpoint that takes a query, as a path with `Q` where the query goes, and the
/// media type asked for.
const ENDPOINTS: &[(&str, &str)] = &[
    ("/search?q=Q", "text/html"),
    ("/search?q=Q&sort=date", "application/json"),
    ("/api/v1/search?q=Q", "application/json"),
    ("/bibliography.ris?q=Q", "*/*"),
];

#[test]
fn hostile_queries_get_an_answer_and_the_server_keeps_answering() {
    let archive = Archive::seeded();
    let server = Server::start(&archive);
    let mut tally = Tally::new("queries (HTTP)");
    let queries: Vec<String> = shaped().into_iter().chain(soup(150)).collect();
    for (i, q) in queries.iter().enumerate() {
        // Each query on one endpoint in turn, and the worst shapes on all of them.
        let endpoints: Vec<_> = if i % 7 == 0 || q.len() > 1_000 {
            ENDPOINTS.to_vec()
        } else {
            vec![ENDPOINTS[i % ENDPOINTS.len()]]
        };
        for (path, accept) in endpoints {
            let url = path.replace('Q', &encode(q));
            if url.len() > URI_LIMIT {
                // HTTP's own limit answers first: see the test below.
                continue;
            }
            let Some((status, body)) = server.get(&url, accept) else {
                panic!("no answer to {}", short(&url));
            };
            assert!(
                matches!(status, 200 | 400 | 414 | 431),
                "{} answered {status}: {}",
                short(&url),
                short(&body)
            );
            if status != 200 {
                assert!(
                    !body.trim().is_empty(),
                    "a refusal without a message: {}",
                    short(&url)
                );
            }
            tally.count(status != 200);
        }
        if i % 25 == 0 {
            server.assert_alive(q);
        }
    }
    server.assert_alive("the last query");
    // The archive still searches as before.
    let (status, body) = server
        .get("/api/v1/search?q=founding+act", "application/json")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("founding-act"), "{}", short(&body));
}

/// hyper refuses a request target of 64 KiB or more with 414 before the router sees it.
const URI_LIMIT: usize = 65_000;

#[test]
fn a_request_target_past_http_limits_is_refused_and_the_server_keeps_answering() {
    use std::io::{Read, Write};
    let archive = Archive::seeded();
    let server = Server::start(&archive);
    let mut tally = Tally::new("queries (oversized targets)");
    let addr = server.base.trim_start_matches("http://").to_string();
    for size in [70_000, 1 << 20, 8 << 20] {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let target = format!("/search?q={}", "a".repeat(size));
        // The server may close before it has read everything: that is a refusal too.
        let _ = c.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty()
                || answer.starts_with("HTTP/1.1 414")
                || answer.starts_with("HTTP/1.1 431")
                || answer.starts_with("HTTP/1.1 400"),
            "a {size}-byte target got: {}",
            short(&answer)
        );
        tally.count(true);
        server.assert_alive(&format!("a {size}-byte request target"));
    }
}

#[test]
fn hostile_queries_on_the_command_line_are_refused_or_answered() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("queries (CLI)");
    let queries: Vec<String> = shaped()
        .into_iter()
        .filter(|q| q.len() <= 20_000)
        .step_by(3)
        .collect();
    for q in &queries {
        let r = archive.run(&["search", "--json", q]);
        if !r.ok() {
            assert!(
                r.stderr.to_lowercase().contains("query"),
                "a refusal that does not say it is the query: {}",
                short(&r.stderr)
            );
        }
        tally.count(!r.ok());
    }
}
