//! Loads the project's OpenAPI description, kept as split JSON files, into one document.
//!
//! Layout read: `openapi.json` (everything except paths and component schemas),
//! `paths/*.json` (each a map from path to path item) and `schemas/<Name>.json` (one schema
//! each, stored under `components.schemas.<Name>`). Used by the build script and by the
//! conformance tests, so both see exactly the same document.
#![allow(dead_code)]

use serde_json::{Map, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// Reads every file of the split description under `dir` and merges them.
pub fn load(dir: &Path) -> Result<Value, String> {
    let mut root = read_json(&dir.join("openapi.json"))?;
    let root_obj = root
        .as_object_mut()
        .ok_or_else(|| format!("{}: the root document is not an object", dir.display()))?;

    let mut paths = Map::new();
    for file in json_files(&dir.join("paths"))? {
        let Value::Object(items) = read_json(&file)? else {
            return Err(format!("{}: expected a map of paths", file.display()));
        };
        for (path, item) in items {
            if paths.insert(path.clone(), item).is_some() {
                return Err(format!("{}: path {path} is defined twice", file.display()));
            }
        }
    }
    if let Some(Value::Object(inline)) = root_obj.get("paths") {
        for (path, item) in inline {
            paths.entry(path.clone()).or_insert_with(|| item.clone());
        }
    }
    root_obj.insert("paths".into(), Value::Object(paths));

    let components = root_obj
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    let components = components
        .as_object_mut()
        .ok_or_else(|| "components is not an object".to_string())?;
    let schemas = components
        .entry("schemas")
        .or_insert_with(|| Value::Object(Map::new()));
    let schemas = schemas
        .as_object_mut()
        .ok_or_else(|| "components.schemas is not an object".to_string())?;
    for file in json_files(&dir.join("schemas"))? {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: unreadable file name", file.display()))?
            .to_string();
        schemas.insert(name, read_json(&file)?);
    }
    Ok(root)
}

fn read_json(file: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// The `.json` files of a directory, sorted so that output does not depend on the file system.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Looks up a local reference such as `#/components/schemas/User`.
pub fn lookup<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    // Schema names may contain `.` (e.g. `JWKS.rsa.PublicKey`), which JSON pointers keep as is;
    // only `~` and `/` are escaped.
    doc.pointer(pointer)
}

/// Follows `$ref` chains until a value without `$ref` (bounded, in case of a loop).
pub fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => match lookup(doc, reference) {
                Some(target) => value = target,
                None => return value,
            },
            None => return value,
        }
    }
    value
}

/// HTTP methods of a path item, in the order operations are listed.
pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One operation of the document, with its path item's parameters merged in.
pub struct OperationRef<'a> {
    pub method: &'static str,
    pub path: &'a str,
    pub op: &'a Value,
    pub parameters: Vec<&'a Value>,
}

impl OperationRef<'_> {
    /// The operation id, or `METHOD path` when the document gives none.
    pub fn id(&self) -> String {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.path))
    }
}

/// Every operation of the document, sorted by path then method.
pub fn operations(doc: &Value) -> Vec<OperationRef<'_>> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    let mut keys: Vec<&String> = paths.keys().collect();
    keys.sort();
    for path in keys {
        let item = deref(doc, &paths[path]);
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().map(|p| deref(doc, p)).collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut parameters = shared.clone();
            if let Some(own) = op.get("parameters").and_then(Value::as_array) {
                for p in own.iter().map(|p| deref(doc, p)) {
                    // An operation's parameter replaces a path-level one with the same name and place.
                    parameters.retain(|q| {
                        !(q.get("name") == p.get("name") && q.get("in") == p.get("in"))
                    });
                    parameters.push(p);
                }
            }
            out.push(OperationRef {
                method,
                path,
                op,
                parameters,
            });
        }
    }
    out
}

/// The lowest documented 2xx status of an operation and its response object.
pub fn success_response<'a>(doc: &'a Value, op: &'a Value) -> Option<(u16, &'a Value)> {
    let responses = op.get("responses")?.as_object()?;
    responses
        .iter()
        .filter_map(|(status, response)| {
            let code: u16 = status.parse().ok()?;
            (200..300)
                .contains(&code)
                .then(|| (code, deref(doc, response)))
        })
        .min_by_key(|(code, _)| *code)
}

/// The JSON schema of a response or request body, when it has `application/json` content.
pub fn json_content_schema<'a>(doc: &'a Value, holder: &'a Value) -> Option<&'a Value> {
    let content = holder.get("content")?.as_object()?;
    content
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .and_then(|(_, media)| media.get("schema"))
        .map(|schema| deref(doc, schema))
}
