//! What counts as a fact of an OpenAPI document, and what as prose.
//!
//! Facts are what a client depends on: paths, methods, operation ids,
//! parameters, request bodies, responses, schemas, fields, types, formats,
//! required and nullable flags, enum values, defaults. Prose is what a reader
//! depends on: summaries, descriptions, titles, examples, external docs, and
//! vendor extensions (`x-…`). `spec-diff` compares the facts; `spec-update`
//! takes the facts from Clerk's file and keeps our prose. Both decide through
//! this module, so they cannot disagree on where the line is.

use serde_json::Value;
use std::collections::BTreeMap;

/// The methods of a path item; other keys of a path item are not operations.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Top-level maps of operations: `paths` (keyed by path) and the webhook
/// events (keyed by event name, OpenAPI 3.1 `webhooks` or the `x-webhooks`
/// extension of 3.0 documents).
pub const OPERATION_MAPS: &[&str] = &["paths", "webhooks", "x-webhooks"];

/// The parts of `components` that hold facts (`examples`, `links` and
/// `callbacks` do not).
pub const COMPONENT_SECTIONS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
];

/// What the keys of an object are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// OpenAPI keywords (`type`, `description`, …): prose keys are skipped.
    Keywords,
    /// Names chosen by the document (fields, paths, status codes, media
    /// types…): a field named `description` is a fact.
    Names,
    /// Literal data (`default`, `enum`, `const`): every key is a fact.
    Data,
}

/// Keywords whose value maps names to objects.
const NAME_MAPS: &[&str] = &[
    "paths",
    "webhooks",
    "x-webhooks",
    "properties",
    "patternProperties",
    "responses",
    "content",
    "schemas",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "mapping",
    "encoding",
    "links",
    "callbacks",
    "variables",
];

/// Keywords whose value is literal data.
const DATA: &[&str] = &["default", "enum", "const"];

/// The level of the value found under `key` in an object of level `level`.
pub fn child_level(key: &str, level: Level) -> Level {
    match level {
        Level::Data => Level::Data,
        Level::Names => Level::Keywords,
        Level::Keywords if NAME_MAPS.contains(&key) => Level::Names,
        Level::Keywords if DATA.contains(&key) => Level::Data,
        Level::Keywords => Level::Keywords,
    }
}

/// Whether `key`, in an object of level `level`, holds prose or presentation
/// rather than a fact of the API.
pub fn is_prose(key: &str, level: Level) -> bool {
    level == Level::Keywords
        && (matches!(
            key,
            "description" | "summary" | "example" | "examples" | "externalDocs" | "title"
        ) || key.starts_with("x-"))
}

/// Flattens the facts of a document into `key -> value` lines.
pub fn facts(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for section in OPERATION_MAPS {
        for (path, item) in doc[section].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if METHODS.contains(&method.as_str()) {
                    flatten_operation(op, &operation_key(method, path), &mut out);
                }
            }
        }
    }
    for section in COMPONENT_SECTIONS {
        if let Some(items) = doc["components"][section].as_object() {
            for (name, value) in items {
                flatten(
                    value,
                    &format!("{section}.{name}"),
                    Level::Keywords,
                    &mut out,
                );
            }
        }
    }
    out
}

/// How an operation is named in fact keys and reports: `GET /users`.
pub fn operation_key(method: &str, path: &str) -> String {
    format!("{} {path}", method.to_uppercase())
}

/// The facts of one operation, each key starting with `base`.
pub fn flatten_operation(op: &Value, base: &str, out: &mut BTreeMap<String, String>) {
    for (key, value) in op.as_object().into_iter().flatten() {
        if is_prose(key, Level::Keywords) {
            continue;
        }
        match key.as_str() {
            "parameters" => {
                for p in value.as_array().into_iter().flatten() {
                    let name = match p["$ref"].as_str() {
                        Some(r) => format!("ref {r}"),
                        None => format!(
                            "{} {}",
                            p["in"].as_str().unwrap_or("?"),
                            p["name"].as_str().unwrap_or("?")
                        ),
                    };
                    flatten(p, &format!("{base} param[{name}]"), Level::Keywords, out);
                }
            }
            "responses" => {
                for (code, r) in value.as_object().into_iter().flatten() {
                    flatten(r, &format!("{base} response[{code}]"), Level::Keywords, out);
                }
            }
            _ => flatten(
                value,
                &format!("{base} {key}"),
                child_level(key, Level::Keywords),
                out,
            ),
        }
    }
}

/// Writes one line per scalar; `required` and `enum` lists as one value.
/// `level` says what the keys of `value` are, when it is an object.
pub fn flatten(value: &Value, key: &str, level: Level, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            // An object of prose only (a response that is just a
            // description) still exists: that is a fact.
            if map.keys().all(|k| is_prose(k, level)) {
                out.insert(key.to_string(), "{}".into());
            }
            for (k, v) in map {
                if is_prose(k, level) {
                    continue;
                }
                flatten(v, &format!("{key}.{k}"), child_level(k, level), out);
            }
        }
        Value::Array(items) if key.ends_with(".required") || key.ends_with(".tags") => {
            let mut names: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            names.sort();
            out.insert(key.to_string(), format!("[{}]", names.join(", ")));
        }
        Value::Array(items) if key.ends_with(".enum") => {
            let values: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            out.insert(key.to_string(), format!("[{}]", values.join(", ")));
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.insert(key.to_string(), "[]".into());
            }
            // Elements of a list of objects (parameters, `allOf`…) are read
            // as keywords; elements of literal data stay data.
            let element = if level == Level::Data {
                Level::Data
            } else {
                Level::Keywords
            };
            for (i, v) in items.iter().enumerate() {
                flatten(v, &format!("{key}[{i}]"), element, out);
            }
        }
        other => {
            out.insert(key.to_string(), other.to_string());
        }
    }
}
