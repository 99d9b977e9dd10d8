//! Assembles the split spec under `openapi/<api>/` into one OpenAPI document.
//!
//! Layout: `openapi.json` holds everything but paths and schemas; each file in
//! `paths/` maps paths to path items (one file per resource group, so a path
//! may have its methods spread over several files); each file in `schemas/`
//! holds one schema, named after the file. Files are read in name order so the
//! result, and the code generated from it, is deterministic.

use serde_json::{Map, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// Reads and merges the spec found in `dir`.
pub fn bundle(dir: &Path) -> Result<Value, String> {
    let mut root = read_json(&dir.join("openapi.json"))?;
    let mut paths = Map::new();
    for file in json_files(&dir.join("paths"))? {
        let Value::Object(items) = read_json(&file)? else {
            return Err(format!("{}: expected an object of paths", file.display()));
        };
        for (path, item) in items {
            let Value::Object(methods) = item else {
                return Err(format!("{}: path {path} is not an object", file.display()));
            };
            let entry = paths
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let target = entry.as_object_mut().expect("inserted as an object");
            for (method, op) in methods {
                if target.insert(method.clone(), op).is_some() {
                    return Err(format!(
                        "{}: {method} {path} is defined twice",
                        file.display()
                    ));
                }
            }
        }
    }
    let mut schemas = Map::new();
    for file in json_files(&dir.join("schemas"))? {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: file name is not UTF-8", file.display()))?
            .to_string();
        schemas.insert(name, read_json(&file)?);
    }
    let obj = root
        .as_object_mut()
        .ok_or("openapi.json: expected an object")?;
    obj.insert("paths".into(), Value::Object(paths));
    let components = obj
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("openapi.json: components is not an object")?;
    components.insert("schemas".into(), Value::Object(schemas));
    Ok(root)
}

/// The JSON files of a directory, sorted by name; none if it does not exist.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
