//! Builds an example value from a response schema: the smallest document the schema accepts
//! that still looks like Clerk's (every required field present with the right type, nullable
//! fields null, `object` set to its single allowed value, ids carrying a prefix).
//!
//! The server fills in fresh ids and timestamps when it answers (see `src/synth.rs`); ids are
//! written here as `<prefix>_mock` so it can find them.

use super::spec::{deref, lookup};
use serde_json::{Map, Value, json};

/// The id prefix Clerk uses for an object kind (the value of its `object` field).
pub fn id_prefix(object: &str) -> String {
    let known = match object {
        "user" => "user",
        "session" => "sess",
        "client" => "client",
        "email_address" | "phone_number" | "web3_wallet" | "passkey" => "idn",
        "organization" => "org",
        "organization_membership" => "orgmem",
        "organization_invitation" => "orginv",
        "organization_domain" => "orgdmn",
        "invitation" => "inv",
        "allowlist_identifier" => "alid",
        "blocklist_identifier" => "blid",
        "actor_token" => "act",
        "sign_in_token" => "sit",
        "jwt_template" => "jtmp",
        "domain" => "dmn",
        "redirect_url" => "ru",
        "saml_connection" => "samlc",
        "saml_account" => "samlacc",
        "enterprise_connection" => "entconn",
        "oauth_application" => "oa",
        "machine" => "mch",
        "role" => "role",
        "permission" => "perm",
        "waitlist_entry" => "wle",
        "instance" => "ins",
        "external_account" => "eac",
        "agent_task" => "agtsk",
        "template" => "tmpl",
        "sign_up_attempt" => "sua",
        "directory" => "dir",
        "scim_directory" => "scimdir",
        "role_set" => "rs",
        _ => "",
    };
    if known.is_empty() {
        object.replace('_', "")
    } else {
        known.to_string()
    }
}

/// A string matching `pattern`, for the simple anchored patterns the description uses
/// (literals, groups with alternatives, character classes, `\\w`/`\\S`/`\\d`, quantifiers).
/// Repeated classes become runs of `0`, which the server turns into fresh hex digits.
pub fn from_pattern(pattern: &str) -> Option<String> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let chars: Vec<char> = body.chars().collect();
    generate(&chars)
}

fn generate(chars: &[char]) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        // One atom, then its quantifier.
        let (atom, next): (String, usize) = match chars[i] {
            '(' => {
                let mut depth = 0;
                let mut end = i;
                for (j, c) in chars.iter().enumerate().skip(i) {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = j;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                if end == i {
                    return None;
                }
                let mut inner = &chars[i + 1..end];
                if inner.starts_with(&['?', ':']) {
                    inner = &inner[2..];
                }
                // The first top-level alternative.
                let mut depth = 0;
                let cut = inner
                    .iter()
                    .position(|c| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        *c == '|' && depth == 0
                    })
                    .unwrap_or(inner.len());
                (generate(&inner[..cut])?, end + 1)
            }
            '[' => {
                let end = chars.iter().skip(i + 1).position(|c| *c == ']')? + i + 1;
                let class = &chars[i + 1..end];
                let c = match class.first() {
                    Some('^') | None => 'x',
                    Some(first) => *first,
                };
                (c.to_string(), end + 1)
            }
            '\\' => {
                let c = match chars.get(i + 1)? {
                    'w' | 'd' => '0',
                    'S' => 'x',
                    other => *other,
                };
                (c.to_string(), i + 2)
            }
            '.' => ("x".to_string(), i + 1),
            c => (c.to_string(), i + 1),
        };
        i = next;
        let times = match chars.get(i) {
            Some('?') | Some('*') => {
                i += 1;
                0
            }
            Some('+') => {
                i += 1;
                1
            }
            Some('{') => {
                let end = chars.iter().skip(i).position(|c| *c == '}')? + i;
                let spec: String = chars[i + 1..end].iter().collect();
                i = end + 1;
                spec.split(',').next()?.trim().parse().ok()?
            }
            _ => 1,
        };
        for _ in 0..times {
            out.push_str(&atom);
        }
    }
    Some(out)
}

/// Collects the properties and required names of a schema, following `allOf` and `$ref`.
fn flatten<'a>(
    doc: &'a Value,
    schema: &'a Value,
    props: &mut Vec<(&'a String, &'a Value)>,
    required: &mut Vec<&'a str>,
    depth: usize,
) {
    if depth > 12 {
        return;
    }
    let schema = deref(doc, schema);
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in p {
            props.retain(|(n, _)| *n != name);
            props.push((name, sub));
        }
    }
    if let Some(r) = schema.get("required").and_then(Value::as_array) {
        required.extend(r.iter().filter_map(Value::as_str));
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            flatten(doc, part, props, required, depth + 1);
        }
    }
    // An object that must also satisfy one of several alternatives: take the first one.
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            flatten(doc, first, props, required, depth + 1);
        }
    }
}

fn is_object_schema(doc: &Value, schema: &Value) -> bool {
    let schema = deref(doc, schema);
    schema.get("type").and_then(Value::as_str) == Some("object")
        || schema.get("properties").is_some()
        || schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|all| all.iter().any(|s| is_object_schema(doc, s)))
}

/// The example value for `schema`; `name` is the property holding it (used for hints).
pub fn example(doc: &Value, schema: &Value, name: &str, stack: &mut Vec<String>) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) || stack.len() > 24 {
            // A schema that contains itself: stop with the smallest value of its type.
            return Value::Null;
        }
        let Some(target) = lookup(doc, reference) else {
            return Value::Null;
        };
        stack.push(reference.to_string());
        let value = example(doc, target, name, stack);
        stack.pop();
        return value;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && let Some(first) = values.iter().find(|v| !v.is_null())
    {
        return first.clone();
    }
    if is_object_schema(doc, schema) {
        return object_example(doc, schema, stack);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            if schema.get("nullable") == Some(&Value::Bool(true)) {
                return Value::Null;
            }
            return example(doc, first, name, stack);
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => Value::String(string_example(schema, name)),
        Some("integer") => json!(number_floor(schema) as i64),
        Some("number") => json!(number_floor(schema)),
        Some("boolean") => Value::Bool(name == "deleted"),
        Some("array") => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema
                .get("items")
                .map(|items| example(doc, items, name, stack));
            Value::Array((0..count).filter_map(|_| item.clone()).collect())
        }
        _ => Value::Null,
    }
}

fn number_floor(schema: &Value) -> f64 {
    let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
    let exclusive = schema.get("exclusiveMinimum") == Some(&Value::Bool(true));
    if exclusive { min + 1.0 } else { min.max(0.0) }
}

fn string_example(schema: &Value, name: &str) -> String {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    let mut text = match format {
        "date-time" => "2025-01-01T00:00:00Z".to_string(),
        "date" => "2025-01-01".to_string(),
        "email" => "user@example.com".to_string(),
        "uri" | "url" => "https://example.com".to_string(),
        _ => match schema
            .get("pattern")
            .and_then(Value::as_str)
            .and_then(from_pattern)
        {
            Some(s) => s,
            None if name.ends_with("_url") || name == "url" => "https://example.com".to_string(),
            None => String::new(),
        },
    };
    let min_len = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    while text.len() < min_len {
        text.push('x');
    }
    text
}

fn object_example(doc: &Value, schema: &Value, stack: &mut Vec<String>) -> Value {
    let mut props = Vec::new();
    let mut required = Vec::new();
    flatten(doc, schema, &mut props, &mut required, 0);
    let has_required = !required.is_empty();
    let kind = props
        .iter()
        .find(|(n, _)| n.as_str() == "object")
        .and_then(|(_, s)| deref(doc, s).get("enum"))
        .and_then(Value::as_array)
        .and_then(|v| v.first())
        .and_then(Value::as_str)
        .map(str::to_string);

    let mut out = Map::new();
    // Required names the schema gives no property for: present, with no particular value.
    for name in &required {
        if !props.iter().any(|(n, _)| n.as_str() == *name) {
            out.insert(name.to_string(), Value::Null);
        }
    }
    for (prop, sub) in &props {
        let name = prop.as_str();
        // Required fields, plus the `object` discriminator and the id, which make the example
        // recognisable; a schema without a required list gets all of its fields.
        let wanted = !has_required || required.contains(&name) || name == "object" || name == "id";
        if !wanted {
            continue;
        }
        let sub_schema = deref(doc, sub);
        let nullable = sub.get("nullable") == Some(&Value::Bool(true))
            || sub_schema.get("nullable") == Some(&Value::Bool(true));
        let value = if nullable {
            Value::Null
        } else if name == "id"
            && sub_schema.get("type").and_then(Value::as_str) == Some("string")
            && sub_schema.get("pattern").is_none()
        {
            match &kind {
                Some(kind) => Value::String(format!("{}_mock", id_prefix(kind))),
                None => Value::String("mock_mock".to_string()),
            }
        } else {
            example(doc, sub, name, stack)
        };
        out.insert(prop.to_string(), value);
    }
    Value::Object(out)
}
