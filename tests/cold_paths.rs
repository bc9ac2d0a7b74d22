//! Long lists over real HTTP: a body's page and a dossier's generated list show their
//! first records, count them all, and link to the page that lists them all.

mod common;

use common::{decode_entities, text_of, TestServer};
use std::sync::LazyLock;

/// More meetings of the Permanent Joint Council than a page lists.
const EXTRA: usize = 80;

/// The built-in dossier plus [`EXTRA`] meetings of the PJC (copies of a built-in one).
static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with(|store| {
        use dossier_store::Store;
        let mut a = dossier_ingest::builtin::archive().unwrap();
        let meeting = a
            .events
            .iter()
            .find(|e| e.bodies.iter().any(|b| b == "pjc"))
            .unwrap()
            .clone();
        for i in 0..EXTRA {
            let mut e = meeting.clone();
            e.slug = format!("extra-meeting-{i}");
            e.title = format!("Extra meeting {i}");
            a.events.push(e);
        }
        // A body in no dossier, as the bodies an import links to are, with as many visits.
        let mut lonely = a.bodies[0].clone();
        lonely.slug = "lonely".into();
        lonely.name = "Lonely Body".into();
        lonely.acronyms.clear();
        lonely.aliases.clear();
        lonely.dossiers.clear();
        a.bodies.push(lonely);
        for i in 0..EXTRA {
            let mut e = meeting.clone();
            e.slug = format!("lonely-visit-{i}");
            e.title = format!("Lonely visit {i}");
            e.bodies = vec!["lonely".into()];
            a.events.push(e);
        }
        store.write(&a).unwrap();
    })
});

/// The `href`s of the `<a>`s inside elements of class `more`.
fn more_links(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(".more a").unwrap();
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .map(decode_entities)
        .collect()
}

#[test]
fn a_body_page_lists_its_first_events_and_links_to_them_all() {
    let (status, _, json) = SERVER.json("/bodies/pjc");
    assert_eq!(status, 200);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), dossier_publish::views::BODY_LIST_PREVIEW);
    let total = json["events_total"].as_u64().unwrap() as usize;
    assert!(total > EXTRA, "{total}");
    assert_eq!(
        json["more"][0]["url"],
        "/dossiers/nato-russia/chronology?body=pjc"
    );

    let (status, html) = SERVER.html("/bodies/pjc");
    assert_eq!(status, 200);
    assert!(
        text_of(&html).contains(&format!("The first 50 of {total} events")),
        "{}",
        text_of(&html)
    );
    assert_eq!(
        more_links(&html),
        ["/dossiers/nato-russia/chronology?body=pjc"]
    );
    // The page linked to lists every one of them.
    let (status, chronology) = SERVER.html("/dossiers/nato-russia/chronology?body=pjc");
    assert_eq!(status, 200);
    for i in 0..EXTRA {
        assert!(
            chronology.contains(&format!("Extra meeting {i}<")),
            "meeting {i}"
        );
    }
}

#[test]
fn a_long_generated_list_shows_its_first_records_and_links_onwards() {
    let (status, _, json) = SERVER.json("/dossiers/nato-russia");
    assert_eq!(status, 200);
    let mut lists = Vec::new();
    let mut stack: Vec<&serde_json::Value> = json["sections"].as_array().unwrap().iter().collect();
    while let Some(s) = stack.pop() {
        lists.extend(s["lists"].as_array().unwrap());
        stack.extend(s["children"].as_array().unwrap());
    }
    let meetings = lists
        .iter()
        .find(|l| l["caption"] == "Meetings of the Permanent Joint Council")
        .unwrap();
    assert_eq!(meetings["items"].as_array().unwrap().len(), 50);
    assert!(meetings["total"].as_u64().unwrap() as usize > EXTRA);
    assert_eq!(
        meetings["more_url"],
        "/dossiers/nato-russia/chronology?body=pjc"
    );
    assert_eq!(meetings["more_exact"], false);
    // A list that fits is whole and links nowhere else.
    let short = lists
        .iter()
        .find(|l| l["caption"] == "Selected speeches")
        .unwrap();
    assert_eq!(
        short["items"].as_array().unwrap().len() as u64,
        short["total"].as_u64().unwrap()
    );
    assert!(short.get("more_url").is_none());

    let (status, html) = SERVER.html("/dossiers/nato-russia");
    assert_eq!(status, 200);
    assert!(more_links(&html).contains(&"/dossiers/nato-russia/chronology?body=pjc".to_string()));
    assert!(
        text_of(&html).contains("The first 50 of"),
        "{}",
        text_of(&html)
    );
}

#[test]
fn a_body_in_no_dossier_links_to_the_search_for_it() {
    let (status, _, json) = SERVER.json("/bodies/lonely");
    assert_eq!(status, 200);
    assert_eq!(json["events"].as_array().unwrap().len(), 50);
    assert_eq!(json["events_total"], EXTRA);
    let url = json["more"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(url, "/search?q=body%3Alonely&sort=date");
    let (status, html) = SERVER.html("/bodies/lonely");
    assert_eq!(status, 200);
    assert_eq!(more_links(&html), vec![url.as_str()]);
    // The search lists every visit (and the body itself).
    let (status, _, found) = SERVER.json(&url);
    assert_eq!(status, 200);
    assert_eq!(found["total"], EXTRA + 1, "{found}");
}
