//! What `spec-update` changed, in terms a maintainer reviews: operations,
//! schemas and other components, fields, tags, each added, removed or
//! changed. Built from the facts (`facts.rs`) of the document before and
//! after, so prose never shows up as a change.

use crate::facts::{self, Level, METHODS, OPERATION_MAPS, flatten, flatten_operation};
use crate::node::Node;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Facts of one item, keyed relative to the item.
type Facts = BTreeMap<String, String>;

/// The report.
pub struct Summary {
    version: (Option<String>, Option<String>),
    sections: Vec<(&'static str, Compared)>,
}

/// Items of one kind, compared.
#[derive(Default)]
struct Compared {
    added: Vec<String>,
    removed: Vec<String>,
    /// Item, then one line per changed detail.
    changed: Vec<(String, Vec<String>)>,
}

impl Summary {
    pub fn new(old: &Node, new: &Node) -> Summary {
        let (old, new) = (old.to_value(), new.to_value());
        let version = |doc: &Value| doc["info"]["version"].as_str().map(str::to_string);
        let mut sections = vec![
            (
                "operations",
                compare(&operations(&old), &operations(&new), areas),
            ),
            (
                "schemas",
                compare(
                    &components(&old, "schemas"),
                    &components(&new, "schemas"),
                    areas,
                ),
            ),
        ];
        for section in facts::COMPONENT_SECTIONS.iter().skip(1) {
            let compared = compare(
                &components(&old, section),
                &components(&new, section),
                areas,
            );
            if !compared.is_empty() {
                sections.push((section, compared));
            }
        }
        sections.push(("fields", compare_fields(&old, &new)));
        let tags = compare(&tags(&old), &tags(&new), areas);
        if !tags.is_empty() {
            sections.push(("tags", tags));
        }
        Summary {
            version: (version(&old), version(&new)),
            sections,
        }
    }
}

impl Compared {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.version {
            (old, new) if old != new => writeln!(
                f,
                "version: {} -> {}",
                old.as_deref().unwrap_or("none"),
                new.as_deref().unwrap_or("none")
            )?,
            (_, new) => writeln!(
                f,
                "version: {} (unchanged)",
                new.as_deref().unwrap_or("none")
            )?,
        }
        for (name, c) in &self.sections {
            write!(
                f,
                "{name}: {} added, {} removed, {} changed",
                c.added.len(),
                c.removed.len(),
                c.changed.len()
            )?;
            if *name == "fields" {
                write!(f, " (in operations and schemas that both versions have)")?;
            }
            writeln!(f)?;
            for item in &c.added {
                writeln!(f, "  + {item}")?;
            }
            for item in &c.removed {
                writeln!(f, "  - {item}")?;
            }
            for (item, details) in &c.changed {
                writeln!(f, "  ~ {item}: {}", details.join("; "))?;
            }
        }
        Ok(())
    }
}

/// Compares two sets of items; `details` says what changed in one item.
fn compare(
    old: &BTreeMap<String, Facts>,
    new: &BTreeMap<String, Facts>,
    details: fn(&Facts, &Facts) -> Vec<String>,
) -> Compared {
    let mut out = Compared::default();
    for (name, facts) in new {
        match old.get(name) {
            None => out.added.push(name.clone()),
            Some(before) if before != facts => {
                out.changed.push((name.clone(), details(before, facts)))
            }
            Some(_) => {}
        }
    }
    out.removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    out
}

/// The facts that differ, named by their first part (`requestBody`,
/// `response[200]`, `properties.email`, `required`).
fn areas(old: &Facts, new: &Facts) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in old.keys().chain(new.keys()) {
        if old.get(key) != new.get(key) {
            let mut parts = key.trim_start_matches(['.', ' ']).split('.');
            let mut area = parts.next().unwrap_or_default().to_string();
            if area == "properties"
                && let Some(field) = parts.next()
            {
                area = format!("{area}.{field}");
            }
            out.push(area);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Field details: each own fact that differs, with both values.
fn field_details(old: &Facts, new: &Facts) -> Vec<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "absent".into());
            format!(
                "{} {} -> {}",
                k.trim_start_matches('.'),
                show(old.get(k)),
                show(new.get(k))
            )
        })
        .collect()
}

fn operations(doc: &Value) -> BTreeMap<String, Facts> {
    let mut out = BTreeMap::new();
    for (name, op) in each_operation(doc) {
        let mut f = Facts::new();
        flatten_operation(op, "", &mut f);
        out.insert(name, f);
    }
    out
}

fn each_operation(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for section in OPERATION_MAPS {
        for (path, item) in doc[section].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if METHODS.contains(&method.as_str()) {
                    out.push((facts::operation_key(method, path), op));
                }
            }
        }
    }
    out
}

fn components(doc: &Value, section: &str) -> BTreeMap<String, Facts> {
    let mut out = BTreeMap::new();
    for (name, item) in doc["components"][section].as_object().into_iter().flatten() {
        let mut f = Facts::new();
        flatten(item, "", Level::Keywords, &mut f);
        out.insert(format!("{section}.{name}"), f);
    }
    out
}

/// Tags of the tag list, compared by name only (the rest is prose).
fn tags(doc: &Value) -> BTreeMap<String, Facts> {
    doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .map(|name| (format!("tag {name}"), Facts::new()))
        .collect()
}

/// Fields of the operations and schemas both documents have.
fn compare_fields(old: &Value, new: &Value) -> Compared {
    let collect = |doc: &Value, other: &Value| {
        let mut out = BTreeMap::new();
        let theirs: BTreeMap<String, &Value> = each_operation(other).into_iter().collect();
        for (name, op) in each_operation(doc) {
            if !theirs.contains_key(&name) {
                continue;
            }
            for (_, media) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                fields(&media["schema"], &format!("{name} body"), &mut out);
            }
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                for (_, media) in response["content"].as_object().into_iter().flatten() {
                    fields(&media["schema"], &format!("{name} {code}"), &mut out);
                }
            }
        }
        for section in ["schemas", "responses"] {
            for (name, item) in doc["components"][section].as_object().into_iter().flatten() {
                if other["components"][section].get(name).is_none() {
                    continue;
                }
                let prefix = if section == "schemas" {
                    name.clone()
                } else {
                    format!("{section}.{name}")
                };
                match section {
                    "schemas" => fields(item, &prefix, &mut out),
                    _ => {
                        for (_, media) in item["content"].as_object().into_iter().flatten() {
                            fields(&media["schema"], &prefix, &mut out);
                        }
                    }
                }
            }
        }
        out
    };
    compare(&collect(old, new), &collect(new, old), field_details)
}

/// Every field under a schema, with its own facts (not those of the fields
/// inside it) and whether its parent requires it.
fn fields(schema: &Value, prefix: &str, out: &mut BTreeMap<String, Facts>) {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, field) in schema["properties"].as_object().into_iter().flatten() {
        let path = format!("{prefix}.{name}");
        let mut all = Facts::new();
        flatten(field, "", Level::Keywords, &mut all);
        let mut own: Facts = all
            .into_iter()
            .filter(|(k, _)| !k.contains(".properties."))
            .collect();
        own.insert(
            "required".into(),
            required.contains(&name.as_str()).to_string(),
        );
        out.insert(path.clone(), own);
        fields(field, &path, out);
    }
    if schema["items"].is_object() {
        fields(&schema["items"], &format!("{prefix}[]"), out);
    }
    if schema["additionalProperties"].is_object() {
        fields(
            &schema["additionalProperties"],
            &format!("{prefix}{{}}"),
            out,
        );
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for sub in schema[key].as_array().into_iter().flatten() {
            fields(sub, prefix, out);
        }
    }
}
