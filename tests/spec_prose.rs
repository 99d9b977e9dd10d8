//! Counts the places of our spec that lack prose: every operation needs a
//! summary and a description; every parameter, request body, response,
//! schema and field needs a description. The count must be zero.

use serde_json::Value;
use std::path::Path;

fn described(node: &Value) -> bool {
    node["description"]
        .as_str()
        .is_some_and(|d| !d.trim().is_empty())
}

/// Walks a schema; `where_` names it in the report.
fn schema(node: &Value, where_: &str, missing: &mut Vec<String>) {
    if node.get("$ref").is_some() {
        return;
    }
    for (name, prop) in node["properties"].as_object().into_iter().flatten() {
        let here = format!("{where_}.{name}");
        // OpenAPI 3.0 ignores siblings of `$ref`, so a bare reference is
        // documented by the schema it points to.
        if prop.get("$ref").is_none() && !described(prop) {
            missing.push(format!("field {here}"));
        }
        schema(prop, &here, missing);
    }
    if node["items"].is_object() {
        schema(&node["items"], &format!("{where_}[]"), missing);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in node[key].as_array().into_iter().flatten().enumerate() {
            schema(sub, &format!("{where_}.{key}[{i}]"), missing);
        }
    }
}

fn json_files(dir: &Path) -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_operation_schema_and_field_is_described() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/bapi");
    let mut missing = Vec::new();
    let (mut operations, mut schemas, mut fields) = (0, 0, 0);

    for (_, paths) in json_files(&root.join("paths")) {
        for (path, item) in paths.as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let at = format!("{} {path}", method.to_uppercase());
                if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
                    missing.push(format!("summary of {at}"));
                }
                if !described(op) {
                    missing.push(format!("description of {at}"));
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p.get("$ref").is_none() && !described(p) {
                        missing.push(format!("parameter {} of {at}", p["name"]));
                    }
                }
                if let Some(body) = op.get("requestBody") {
                    if !described(body) {
                        missing.push(format!("request body of {at}"));
                    }
                    for media in body["content"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(_, m)| m)
                    {
                        schema(&media["schema"], &format!("{at} body"), &mut missing);
                    }
                }
                for (code, response) in op["responses"].as_object().unwrap() {
                    if response.get("$ref").is_some() {
                        continue;
                    }
                    if !described(response) {
                        missing.push(format!("response {code} of {at}"));
                    }
                    for media in response["content"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(_, m)| m)
                    {
                        schema(&media["schema"], &format!("{at} {code}"), &mut missing);
                    }
                }
            }
        }
    }
    for (name, s) in json_files(&root.join("schemas")) {
        schemas += 1;
        fields += s["properties"].as_object().map_or(0, |p| p.len());
        if !described(&s) {
            missing.push(format!("schema {name}"));
        }
        schema(&s, &name, &mut missing);
    }
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("openapi.json")).unwrap()).unwrap();
    for section in ["responses", "parameters"] {
        for (name, item) in doc["components"][section].as_object().into_iter().flatten() {
            if !described(item) {
                missing.push(format!("{section} {name}"));
            }
        }
    }
    for tag in doc["tags"].as_array().unwrap() {
        if !described(tag) {
            missing.push(format!("tag {}", tag["name"]));
        }
    }

    // The webhook events' schemas.
    let webhooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/webhooks/schemas");
    for (name, s) in json_files(&webhooks) {
        schemas += 1;
        fields += s["properties"].as_object().map_or(0, |p| p.len());
        if !described(&s) {
            missing.push(format!("webhook schema {name}"));
        }
        schema(&s, &format!("webhooks {name}"), &mut missing);
    }

    println!("{operations} operations, {schemas} schemas, {fields} top-level fields checked");
    // The list of what lacks prose comes first: after a spec update it is the
    // list of what to write, even before the count below is brought up to date.
    assert!(
        missing.is_empty(),
        "{} places lack prose:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(
        operations == 249 && schemas > 100,
        "the spec was not found whole"
    );
}
