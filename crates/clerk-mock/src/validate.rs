//! Checks a JSON request body against the operation's schema and reports the first problem
//! with the code Clerk uses for it (missing, unknown, wrongly typed or out-of-range parameters).
//!
//! Only what a request schema in the description uses is checked: types, `nullable`,
//! `required`, `additionalProperties: false`, `enum`, `minimum`/`maximum`, `minItems`/`maxItems`
//! and `items`. Composite schemas (`oneOf`, `allOf`) are accepted as they come.

use crate::error::ApiError;
use serde_json::Value;

/// Validates `value` (found at `name`, dotted for nested fields) against `schema`.
pub(crate) fn check(schema: &Value, value: &Value, name: &str) -> Result<(), ApiError> {
    if value.is_null() {
        // Clerk treats an explicit null as "not given" for optional fields; required ones are
        // reported by the parent.
        return Ok(());
    }
    if schema.get("oneOf").is_some()
        || schema.get("anyOf").is_some()
        || schema.get("allOf").is_some()
    {
        return Ok(());
    }
    let ty = schema.get("type").and_then(Value::as_str);
    if let Some(ty) = ty
        && !type_matches(ty, value)
    {
        let label = if name.is_empty() {
            "request body"
        } else {
            name
        };
        return Err(ApiError::param_type(label, json_type(value), ty));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        let allowed: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return Err(ApiError::param_value(
            name,
            &format!("must be one of {}", allowed.join(", ")),
        ));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(ApiError::param_value(
                name,
                &format!("must be at least {min}"),
            ));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(ApiError::param_too_large(name, max as i64));
        }
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for field in required.iter().filter_map(Value::as_str) {
                    if map.get(field).is_none_or(Value::is_null) {
                        return Err(ApiError::param_missing(&join(name, field)));
                    }
                }
            }
            let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
            for (key, item) in map {
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => check(sub, item, &join(name, key))?,
                    None if closed => return Err(ApiError::param_unknown(&join(name, key))),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                return Err(ApiError::param_value(
                    name,
                    &format!("needs at least {min} item(s)"),
                ));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && items.len() as u64 > max
            {
                return Err(ApiError::param_value(
                    name,
                    &format!("takes at most {max} items"),
                ));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(
                        item_schema,
                        item,
                        &format!("{}[{i}]", if name.is_empty() { "body" } else { name }),
                    )?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_string()
    } else {
        format!("{parent}.{field}")
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["user_id", "actor"],
            "properties": {
                "user_id": { "type": "string" },
                "actor": { "type": "object", "required": ["sub"], "properties": { "sub": { "type": "string" } } },
                "expires_in_seconds": { "type": "integer", "minimum": 1, "maximum": 100 },
                "kind": { "type": "string", "enum": ["a", "b"] }
            }
        })
    }

    fn code(value: Value) -> Option<(&'static str, String)> {
        check(&schema(), &value, "").err().map(|e| {
            (
                e.code,
                e.meta["param_name"].as_str().unwrap_or("").to_string(),
            )
        })
    }

    #[test]
    fn accepts_a_valid_body() {
        assert_eq!(
            code(json!({ "user_id": "u", "actor": { "sub": "x", "extra": 1 } })),
            None
        );
    }

    #[test]
    fn reports_each_problem_with_its_code() {
        assert_eq!(
            code(json!({ "actor": { "sub": "x" } })),
            Some(("form_param_missing", "user_id".into()))
        );
        assert_eq!(
            code(json!({ "user_id": "u", "actor": {} })),
            Some(("form_param_missing", "actor.sub".into()))
        );
        assert_eq!(
            code(json!({ "user_id": "u", "actor": { "sub": "x" }, "nope": 1 })),
            Some(("form_param_unknown", "nope".into()))
        );
        assert_eq!(
            code(json!({ "user_id": 5, "actor": { "sub": "x" } })),
            Some(("form_param_value_invalid", "user_id".into()))
        );
        assert_eq!(
            code(json!({ "user_id": "u", "actor": { "sub": "x" }, "expires_in_seconds": 1000 })),
            Some(("form_param_value_too_large", "expires_in_seconds".into()))
        );
        assert_eq!(
            code(json!({ "user_id": "u", "actor": { "sub": "x" }, "kind": "c" })),
            Some(("form_param_value_invalid", "kind".into()))
        );
        assert_eq!(
            code(json!([1])),
            Some(("form_param_value_invalid", "request body".into()))
        );
    }
}
