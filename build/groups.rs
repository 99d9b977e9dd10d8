//! API groups as cargo features.
//!
//! The less-used parts of the API can be left out of generation, to shorten
//! compile times: each group below is a cargo feature (all on by default).
//! Turning one off removes its operations, and the schemas only they use,
//! before code is generated.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// (cargo feature, tags of the operations it brings).
pub const GROUPS: &[(&str, &[&str])] = &[
    ("billing", &["Billing"]),
    (
        "enterprise-sso",
        &[
            "SAML Connections",
            "Enterprise Connections",
            "SCIM Directories",
            "Directories",
            "Admin Portal Link Tokens",
        ],
    ),
    (
        "machine-auth",
        &[
            "Machines",
            "M2M Tokens",
            "API Keys",
            "OAuth Applications",
            "OAuth Access Tokens",
        ],
    ),
];

/// The groups whose feature is off in this build.
pub fn disabled() -> Vec<&'static str> {
    GROUPS
        .iter()
        .filter(|(feature, _)| {
            let var = format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"));
            std::env::var_os(var).is_none()
        })
        .map(|(feature, _)| *feature)
        .collect()
}

/// Removes the operations of the disabled groups (by their first tag) and
/// every schema no remaining operation reaches. `hand_written` are operations
/// implemented outside generation: the schemas they use stay too. Returns how
/// many operations went.
pub fn trim(spec: &mut Value, disabled: &[&str], hand_written: &[Value]) -> Result<usize, String> {
    if disabled.is_empty() {
        return Ok(0);
    }
    let tags: BTreeSet<&str> = GROUPS
        .iter()
        .filter(|(feature, _)| disabled.contains(feature))
        .flat_map(|(_, tags)| tags.iter().copied())
        .collect();
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no paths")?;
    let mut removed = 0;
    for item in paths.values_mut() {
        if let Some(item) = item.as_object_mut() {
            let before = item.len();
            item.retain(|_, op| !op["tags"][0].as_str().is_some_and(|t| tags.contains(t)));
            removed += before - item.len();
        }
    }
    paths.retain(|_, item| item.as_object().is_some_and(|m| !m.is_empty()));

    // Keep the schemas the remaining paths reach, directly or through shared
    // responses, parameters and other schemas.
    let components = spec["components"].clone();
    let mut reached = BTreeSet::new();
    let mut pending = Vec::new();
    collect_refs(&spec["paths"], &mut pending);
    for op in hand_written {
        if !op["tags"][0].as_str().is_some_and(|t| tags.contains(t)) {
            collect_refs(op, &mut pending);
        }
    }
    while let Some(reference) = pending.pop() {
        if !reached.insert(reference.clone()) {
            continue;
        }
        let target = reference
            .strip_prefix("#/components/")
            .and_then(|rest| rest.split_once('/'))
            .map(|(section, name)| &components[section][name]);
        if let Some(target) = target {
            collect_refs(target, &mut pending);
        }
    }
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let kept: Map<String, Value> = std::mem::take(schemas)
            .into_iter()
            .filter(|(name, _)| reached.contains(&format!("#/components/schemas/{name}")))
            .collect();
        *schemas = kept;
    }
    Ok(removed)
}

fn collect_refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
