//! A small JSON Schema checker for the OpenAPI 3.0 subset the description uses: `$ref`,
//! `type` with `nullable`, `enum`, `properties`/`required`/`additionalProperties`, `items`,
//! `allOf`/`oneOf`/`anyOf`, `pattern`, length, size and range bounds.
//!
//! Kept independent of the server's own request validation so that the two cannot share a bug.

use serde_json::Value;

/// Loads the description the crate was built from (the same split files).
pub fn load_spec() -> Value {
    let dir = std::path::PathBuf::from(env!("CLERK_MOCK_SPEC_DIR"));
    spec::load(&dir).unwrap_or_else(|e| panic!("cannot load the description: {e}"))
}

#[path = "../../build/spec.rs"]
pub mod spec;
#[path = "../../build/synth.rs"]
#[allow(dead_code)]
pub mod synth;

/// Checks `value` against `schema`; the error names the first mismatch and where it is.
pub fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = spec::lookup(doc, reference)
            .ok_or_else(|| format!("{at}: unresolvable {reference}"))?;
        return check(doc, target, value, at);
    }
    if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return Ok(());
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check(doc, part, value, at)?;
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let results: Vec<Result<(), String>> =
            one.iter().map(|s| check(doc, s, value, at)).collect();
        let passed = results.iter().filter(|r| r.is_ok()).count();
        if passed != 1 {
            let reasons: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            return Err(format!(
                "{at}: matches {passed} of the oneOf alternatives (exactly one needed): {reasons:?}"
            ));
        }
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| check(doc, s, value, at).is_ok())
    {
        return Err(format!("{at}: matches none of the anyOf alternatives"));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    let ty = schema.get("type").and_then(Value::as_str).or_else(|| {
        // Properties without a type still describe an object.
        schema.get("properties").map(|_| "object")
    });
    if let Some(ty) = ty {
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => return Err(format!("{at}: unknown type {other}")),
        };
        if !ok {
            return Err(format!("{at}: expected {ty}, got {value}"));
        }
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or_default();
                if !map.contains_key(name) {
                    return Err(format!("{at}: required field '{name}' is missing"));
                }
            }
            for (key, item) in map {
                let here = format!("{at}.{key}");
                match (
                    props.and_then(|p| p.get(key)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(sub), _) => check(doc, sub, item, &here)?,
                    (None, Some(Value::Bool(false))) => {
                        return Err(format!("{here}: field not allowed by the schema"));
                    }
                    (None, Some(extra @ Value::Object(_))) => check(doc, extra, item, &here)?,
                    (None, _) => {}
                }
            }
        }
        Value::Array(items) => {
            let len = items.len() as u64;
            if schema
                .get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|min| len < min)
            {
                return Err(format!("{at}: too few items"));
            }
            if schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|max| len > max)
            {
                return Err(format!("{at}: too many items"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(doc, item_schema, item, &format!("{at}[{i}]"))?;
                }
            }
        }
        Value::String(text) => {
            let len = text.chars().count() as u64;
            if schema
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|min| len < min)
            {
                return Err(format!("{at}: shorter than minLength"));
            }
            if schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|max| len > max)
            {
                return Err(format!("{at}: longer than maxLength"));
            }
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                let re = regex::Regex::new(pattern)
                    .map_err(|e| format!("{at}: bad pattern {pattern}: {e}"))?;
                if !re.is_match(text) {
                    return Err(format!("{at}: '{text}' does not match {pattern}"));
                }
            }
        }
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(0.0);
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|min| n < min)
            {
                return Err(format!("{at}: below minimum"));
            }
            if schema
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|max| n > max)
            {
                return Err(format!("{at}: above maximum"));
            }
        }
        Value::Null => {
            // Null passes only schemas that accept anything (no type, no enum).
            if ty.is_some() {
                return Err(format!("{at}: null where the schema does not allow it"));
            }
        }
        Value::Bool(_) => {}
    }
    Ok(())
}

/// The success response schema (status, schema) of an operation, by id.
pub fn success_schema<'a>(doc: &'a Value, operation_id: &str) -> Option<(u16, Option<&'a Value>)> {
    let op = spec::operations(doc)
        .into_iter()
        .find(|op| op.id() == operation_id)?;
    let (status, response) = spec::success_response(doc, op.op)?;
    Some((status, spec::json_content_schema(doc, response)))
}

/// Checks `body` against the named component schema.
pub fn check_component(doc: &Value, name: &str, body: &Value) -> Result<(), String> {
    let schema = doc["components"]["schemas"]
        .get(name)
        .ok_or_else(|| format!("no schema {name}"))?;
    check(doc, schema, body, name)
}

#[test]
fn checker_rejects_what_the_schema_forbids() {
    let doc = serde_json::json!({});
    let schema = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "object"],
        "properties": {
            "id": { "type": "string" },
            "object": { "type": "string", "enum": ["user"] },
            "name": { "type": "string", "nullable": true },
            "n": { "type": "integer" }
        }
    });
    assert!(
        check(
            &doc,
            &schema,
            &serde_json::json!({ "id": "u", "object": "user", "name": null }),
            "$"
        )
        .is_ok()
    );
    for bad in [
        serde_json::json!({ "object": "user" }),
        serde_json::json!({ "id": "u", "object": "session" }),
        serde_json::json!({ "id": "u", "object": "user", "extra": 1 }),
        serde_json::json!({ "id": null, "object": "user" }),
        serde_json::json!({ "id": "u", "object": "user", "n": 1.5 }),
    ] {
        assert!(
            check(&doc, &schema, &bad, "$").is_err(),
            "{bad} should fail"
        );
    }
}
