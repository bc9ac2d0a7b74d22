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
}
