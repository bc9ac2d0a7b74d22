use super::*;
use crate::query::parse;

/// Names of one body: "PJC" ↔ "Permanent Joint Council".
fn names() -> Synonyms {
    let mut s = Synonyms::default();
    let all = ["PJC", "Permanent Joint Council"];
    for n in all {
        s.names.insert(
            n.to_lowercase(),
            all.iter()
                .filter(|x| **x != n)
                .map(|x| x.to_string())
                .collect(),
        );
    }
    s.longest = 3;
    s
}

fn plan_of(query: &str) -> Plan {
    plan(&parse(query).expect("parses"), Sort::Relevance, &names())
}

fn words(ws: &[&str]) -> Vec<String> {
    ws.iter().map(|w| w.to_string()).collect()
}

fn kind(k: &str) -> Filter {
    Filter::Kind(k.into())
}

#[test]
fn bare_words_are_pruned() {
    assert_eq!(
        plan_of("nato"),
        Plan::Words {
            words: words(&["nato"]),
            all: true
        }
    );
    assert_eq!(
        plan_of("nato russia"),
        Plan::Words {
            words: words(&["nato", "russia"]),
            all: true
        }
    );
    assert_eq!(
        plan_of("nato OR russia"),
        Plan::Words {
            words: words(&["nato", "russia"]),
            all: false
        }
    );
}

#[test]
fn words_with_filters_run_under_a_bitset() {
    assert_eq!(
        plan_of("nato kind:treaty"),
        Plan::Filtered {
            text: Text::Words(words(&["nato"])),
            conditions: vec![Condition::Filter(kind("treaty"))],
        }
    );
    assert_eq!(
        plan_of("nato NOT russia -kind:treaty"),
        Plan::Filtered {
            text: Text::Words(words(&["nato"])),
            conditions: vec![
                Condition::NotWord("russia".into()),
                Condition::NotFilter(kind("treaty")),
            ],
        }
    );
}

#[test]
fn phrases_and_names_with_filters_are_units_under_a_bitset() {
    assert_eq!(
        plan_of("\"founding act\" kind:treaty"),
        Plan::Filtered {
            text: Text::Units(vec![words(&["founding", "act"])]),
            conditions: vec![Condition::Filter(kind("treaty"))],
        }
    );
    assert_eq!(
        plan_of("permanent joint council nato kind:treaty"),
        Plan::Filtered {
            text: Text::Units(vec![
                words(&["permanent", "joint", "council"]),
                words(&["nato"])
            ]),
            conditions: vec![Condition::Filter(kind("treaty"))],
        }
    );
    assert_eq!(
        plan_of("pjc kind:treaty"),
        Plan::Filtered {
            text: Text::Units(vec![words(&["pjc"])]),
            conditions: vec![Condition::Filter(kind("treaty"))],
        }
    );
}

#[test]
fn filters_alone_are_the_bitset() {
    assert_eq!(
        plan_of("kind:treaty"),
        Plan::Filters {
            conditions: vec![Condition::Filter(kind("treaty"))]
        }
    );
    assert_eq!(
        plan_of("kind:treaty NOT nato"),
        Plan::Filters {
            conditions: vec![
                Condition::Filter(kind("treaty")),
                Condition::NotWord("nato".into())
            ]
        }
    );
}

#[test]
fn anything_else_is_collected() {
    for q in [
        "\"founding act\"",
        "pjc",
        "permanent joint council",
        "nato OR \"founding act\"",
        "nato OR kind:treaty",
        "nato NOT pjc",
        "nato NOT \"founding act\"",
    ] {
        assert_eq!(plan_of(q), Plan::Collected(Order::Relevance), "{q}");
    }
    for q in ["NOT nato", "kind:treaty OR kind:act", "kind:treaty NOT pjc"] {
        assert_eq!(plan_of(q), Plan::Collected(Order::Stable), "{q}");
    }
}

#[test]
fn a_sort_by_date_is_collected_whatever_the_shape() {
    for q in [
        "nato",
        "nato kind:treaty",
        "kind:treaty",
        "\"founding act\"",
    ] {
        let node = parse(q).expect("parses");
        assert_eq!(
            plan(&node, Sort::Date, &names()),
            Plan::Collected(Order::Date)
        );
        assert_eq!(
            plan(&node, Sort::DateDesc, &names()),
            Plan::Collected(Order::DateDesc)
        );
    }
}
