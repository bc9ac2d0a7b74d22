//! JSON Merge Patch (RFC 7396): how `PATCH` with `application/merge-patch+json` changes a
//! record's JSON. An object merges member by member, `null` removes a member, anything
//! else (arrays included) replaces the value whole.

use serde_json::{Map, Value};

/// Applies `patch` to `target` in place, as RFC 7396 section 2 defines.
///
/// Recursion follows the patch's nesting, which `serde_json` bounds (128 levels) for
/// anything parsed from a request.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(object) = target else {
        return;
    };
    for (name, value) in members {
        if value.is_null() {
            object.remove(name);
        } else {
            merge_patch(object.entry(name.as_str()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(target: &str, patch: &str) -> Value {
        let mut t: Value = serde_json::from_str(target).unwrap();
        merge_patch(&mut t, &serde_json::from_str(patch).unwrap());
        t
    }

    /// Every example of RFC 7396, appendix A.
    #[test]
    fn the_rfc_examples() {
        let cases = [
            (r#"{"a":"b"}"#, r#"{"a":"c"}"#, r#"{"a":"c"}"#),
            (r#"{"a":"b"}"#, r#"{"b":"c"}"#, r#"{"a":"b","b":"c"}"#),
            (r#"{"a":"b"}"#, r#"{"a":null}"#, r#"{}"#),
            (r#"{"a":"b","b":"c"}"#, r#"{"a":null}"#, r#"{"b":"c"}"#),
            (r#"{"a":["b"]}"#, r#"{"a":"c"}"#, r#"{"a":"c"}"#),
            (r#"{"a":"c"}"#, r#"{"a":["b"]}"#, r#"{"a":["b"]}"#),
            (
                r#"{"a":{"b":"c"}}"#,
                r#"{"a":{"b":"d","c":null}}"#,
                r#"{"a":{"b":"d"}}"#,
            ),
            (r#"{"a":[{"b":"c"}]}"#, r#"{"a":[1]}"#, r#"{"a":[1]}"#),
            (r#"["a","b"]"#, r#"["c","d"]"#, r#"["c","d"]"#),
            (r#"{"a":"b"}"#, r#"["c"]"#, r#"["c"]"#),
            (r#"{"a":"foo"}"#, r#"null"#, r#"null"#),
            (r#"{"a":"foo"}"#, r#""bar""#, r#""bar""#),
            (r#"{"e":null}"#, r#"{"a":1}"#, r#"{"e":null,"a":1}"#),
            (r#"[1,2]"#, r#"{"a":"b","c":null}"#, r#"{"a":"b"}"#),
            (
                r#"{}"#,
                r#"{"a":{"bb":{"ccc":null}}}"#,
                r#"{"a":{"bb":{}}}"#,
            ),
        ];
        for (target, patch, result) in cases {
            let want: Value = serde_json::from_str(result).unwrap();
            assert_eq!(patched(target, patch), want, "{target} + {patch}");
        }
    }

    /// The example of RFC 7396, section 3.
    #[test]
    fn the_rfc_section_3_example() {
        let mut target = json!({
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged"
        });
        let patch = json!({
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": null},
            "tags": ["example"]
        });
        merge_patch(&mut target, &patch);
        assert_eq!(
            target,
            json!({
                "title": "Hello!",
                "author": {"givenName": "John"},
                "tags": ["example"],
                "content": "This will be unchanged",
                "phoneNumber": "+01-123-456-7890"
            })
        );
    }

    #[test]
    fn a_record_field_is_changed_and_another_removed() {
        let mut doc = json!({"slug": "a", "title": "A", "date": "1997-05-27", "place": "Paris"});
        merge_patch(&mut doc, &json!({"date": "1997-05", "place": null}));
        assert_eq!(doc, json!({"slug": "a", "title": "A", "date": "1997-05"}));
    }

    /// Any JSON up to a few levels deep.
    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-c]{0,3}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Applying a patch twice is applying it once (RFC 7396 patches are idempotent),
        /// and the result never keeps a member the patch set to null.
        #[test]
        fn a_patch_is_idempotent_and_null_removes(target in json(), patch in json()) {
            let mut once = target.clone();
            merge_patch(&mut once, &patch);
            let mut twice = once.clone();
            merge_patch(&mut twice, &patch);
            proptest::prop_assert_eq!(&once, &twice);
            if let (Value::Object(p), Value::Object(r)) = (&patch, &once) {
                for (k, v) in p {
                    proptest::prop_assert_eq!(v.is_null(), !r.contains_key(k));
                }
            }
        }
    }
}
