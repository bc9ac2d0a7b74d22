//! Hostile parameters and paths on every other route: OAI-PMH arguments, the API's
//! filters and cursors, paging, sorting, chronology filters, citation files and record
//! slugs. Each gets an answer below 500 (an OAI-PMH error is a 200 with its error code),
//! never a crash or a dropped connection, and the server keeps answering.

use crate::harness::*;

/// Values that break careless parsers: multi-byte characters across fixed offsets,
/// huge numbers, signs, traversal, NUL and control characters, markup, long runs.
const VALUES: &[&str] = &[
    "",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2002-05-2é",
    "2002-05-21T00:00:00Z",
    "2002-05-21é",
    "é",
    "🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀",
    "../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "\u{0}",
    "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%",
    "%%%%",
    "a,b,c,,,,",
];

/// Routes with `V` where a value goes.
const ROUTES: &[&str] = &[
    "/oai?verb=ListRecords&metadataPrefix=oai_dc&from=V",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc&until=V",
    "/oai?verb=ListRecords&resumptionToken=V",
    "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=V",
    "/oai?verb=ListIdentifiers&metadataPrefix=V",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=V",
    "/oai?verb=V",
    "/api/v1/documents?limit=V",
    "/api/v1/documents?cursor=V",
    "/api/v1/events?kind=V&body=V",
    "/api/v1/documents?date=V",
    "/api/v1/dossiers/nato-russia/sections/V",
    "/api/v1/search?q=nato&limit=V&cursor=V",
    "/api/v1/search?q=nato&facets=V",
    "/search?q=nato&page=V",
    "/search?q=nato&per_page=V",
    "/search?q=nato&sort=V",
    "/dossiers/nato-russia/chronology?body=V&kind=V",
    "/bibliography.ris?documents=V",
    "/citations/V",
    "/citations/V.bib",
    "/documents/V",
    "/bodies/V",
    "/dossiers/V/feed.atom",
    "/dossiers/V/bibliography.bib",
];

#[test]
fn hostile_parameters_and_paths_get_an_answer_below_500() {
    let archive = Archive::seeded();
    let server = Server::start(&archive);
    let mut tally = Tally::new("parameters and paths");
    let mut long = vec!["x".repeat(10_000), "é".repeat(3_000), "1".repeat(5_000)];
    long.extend(VALUES.iter().map(|v| v.to_string()));
    for route in ROUTES {
        for v in &long {
            let path = route.replace('V', &encode(v));
            let Some((status, body)) = server.get(&path, "text/html, application/json;q=0.9")
            else {
                panic!("no answer to {}", short(&path));
            };
            assert!(
                status < 500,
                "{} answered {status}: {}",
                short(&path),
                short(&body)
            );
            tally.count(status >= 400 || body.contains("<error code="));
        }
        server.assert_alive(route);
    }
}
