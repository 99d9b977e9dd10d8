//! Generates the typed webhook events from our description under `openapi/webhooks/`.
//!
//! 1. Load `openapi.json` (the event list under `x-webhooks`) and `schemas/<Name>.json`.
//! 2. Run the named steps in [`STEPS`] over the schemas. Each one says why it exists, counts
//!    what it changed, and fails the build when it changes nothing: a step that no longer
//!    matches means the spec moved and the step must be revisited, not silently kept.
//! 3. Hand the result to typify for the structs. String enums, tagged unions and the event
//!    enum are not left to typify: they become invocations of the macros in
//!    `src/webhooks/macros.rs`, which give them an `Unknown` fallback.
//! 4. Write `webhooks_types.rs` and `webhooks_events.rs` to `OUT_DIR`, next to
//!    `webhooks-steps.txt` (what each step changed) and `webhooks-schemas.json` (what typify
//!    was given), which are there to be read when a step needs revisiting.
//!
//! The generated files are never edited; anything to adapt is a step here.

use heck::ToPascalCase;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Entry point from `build.rs`.
pub fn generate() {
    println!("cargo:rerun-if-changed=build/webhooks.rs");
    println!("cargo:rerun-if-changed=openapi/webhooks");
    if let Err(e) = run() {
        panic!("generating webhook types from openapi/webhooks: {e}");
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?);
    let mut spec = Spec::load(&root.join("openapi/webhooks"))?;

    let mut report = String::new();
    for step in STEPS {
        let count = (step.run)(&mut spec)?;
        if count == 0 {
            return Err(format!(
                "step `{}` changed nothing; the spec no longer has what it adapts ({}). \
                 Remove or update the step.",
                step.name, step.reason
            ));
        }
        report.push_str(&format!(
            "{:<34} {:>4}  {}\n",
            step.name, count, step.reason
        ));
    }

    // What typify is given, for reading when a step needs revisiting.
    let adapted = serde_json::to_string_pretty(&spec.defs).map_err(|e| e.to_string())?;
    write(&out.join("webhooks-schemas.json"), &adapted)?;
    let (mut file, names) = run_typify(&spec)?;
    for step in CODE_STEPS {
        let count = (step.run)(&mut file);
        if count == 0 {
            return Err(format!(
                "step `{}` changed nothing in typify's output ({}). Remove or update the step.",
                step.name, step.reason
            ));
        }
        report.push_str(&format!(
            "{:<34} {:>4}  {}\n",
            step.name, count, step.reason
        ));
    }
    let mut types = prettyplease::unparse(&file);
    if types.contains("deny_unknown_fields") {
        return Err("generated types would reject unknown fields".into());
    }
    for e in &spec.enums {
        types += &open_enum_text(e)?;
    }
    for u in &spec.unions {
        types += &union_text(u, &names)?;
    }
    syn::parse_file(&types).map_err(|e| format!("generated types: {e}"))?;
    write(&out.join("webhooks_types.rs"), &types)?;
    write(
        &out.join("webhooks_events.rs"),
        &events_text(&spec, &names)?,
    )?;
    write(&out.join("webhooks-steps.txt"), &report)?;
    Ok(())
}

/// A webhook event from `x-webhooks`.
struct EventDef {
    /// The `type` value, such as `user.created`.
    name: String,
    description: String,
    /// Schema of `data`, either a `$ref` or inline until a step names it.
    data: Value,
}

/// A string enum taken out of the schemas, generated with an `Unknown` fallback.
struct OpenEnum {
    name: String,
    description: Option<String>,
    values: Vec<String>,
}

/// A `oneOf` with a discriminator, generated as a tagged enum with an `Unknown` fallback.
struct Union {
    name: String,
    description: Option<String>,
    tag: String,
    /// (tag value, definition name)
    variants: Vec<(String, String)>,
}

struct Spec {
    /// JSON Schema definitions, keyed by name.
    defs: BTreeMap<String, Value>,
    events: Vec<EventDef>,
    enums: Vec<OpenEnum>,
    unions: Vec<Union>,
}

const OPENAPI_REF: &str = "#/components/schemas/";
const JSON_SCHEMA_REF: &str = "#/definitions/";
/// The schema of the fields around `data` in every event.
const ENVELOPE: &str = "WebhookEventPayload";

impl Spec {
    fn load(dir: &Path) -> Result<Self, String> {
        let root = read_json(&dir.join("openapi.json"))?;
        let mut defs = BTreeMap::new();
        let mut files = std::fs::read_dir(dir.join("schemas"))
            .map_err(|e| format!("{}: {e}", dir.join("schemas").display()))?
            .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        files.sort();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let name = file
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| format!("{}: file name is not UTF-8", file.display()))?;
            defs.insert(name.to_string(), read_json(file)?);
        }
        let hooks = root
            .get("x-webhooks")
            .and_then(Value::as_object)
            .ok_or("openapi.json: no `x-webhooks` object")?;
        let events = hooks
            .iter()
            .map(|(name, item)| EventDef::read(name, item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Spec {
            defs,
            events,
            enums: Vec::new(),
            unions: Vec::new(),
        })
    }
}

impl EventDef {
    /// Reads one event, checking that its body is the envelope plus `data`.
    fn read(name: &str, item: &Value) -> Result<Self, String> {
        let at = |what: &str| format!("x-webhooks.{name}: {what}");
        let post = item.get("post").ok_or_else(|| at("no `post` operation"))?;
        let description = post
            .get("description")
            .and_then(Value::as_str)
            .ok_or_else(|| at("no description"))?
            .to_string();
        let schema = post
            .pointer("/requestBody/content/application~1json/schema")
            .ok_or_else(|| at("no JSON request body schema"))?;
        let parts = schema
            .get("allOf")
            .and_then(Value::as_array)
            .ok_or_else(|| at("body is not `allOf`"))?;
        let envelope = format!("{OPENAPI_REF}{ENVELOPE}");
        let mut data = None;
        let mut has_envelope = false;
        for part in parts {
            if part.get("$ref").and_then(Value::as_str) == Some(envelope.as_str()) {
                has_envelope = true;
                continue;
            }
            match part.pointer("/properties/data") {
                Some(d) if part["properties"].as_object().is_some_and(|p| p.len() == 1) => {
                    data = Some(d.clone())
                }
                _ => return Err(at("body part other than the envelope and `data`")),
            }
        }
        let data = data.ok_or_else(|| at("no `data` schema"))?;
        if !has_envelope {
            return Err(at("body does not include the envelope"));
        }
        Ok(EventDef {
            name: name.to_string(),
            description,
            data,
        })
    }

    /// Rust variant name: `organizationInvitation.accepted` → `OrganizationInvitationAccepted`.
    fn variant(&self) -> String {
        self.name.replace('.', "_").to_pascal_case()
    }
}

struct Step {
    name: &'static str,
    reason: &'static str,
    run: fn(&mut Spec) -> Result<usize, String>,
}

/// The steps, in order. Later steps rely on earlier ones (enums are taken out before
/// `nullable` is rewritten, for instance).
const STEPS: &[Step] = &[
    Step {
        name: "name-inline-event-data",
        reason: "typify needs a named definition for each event's data; inline ones get `<Event>Data`",
        run: name_inline_event_data,
    },
    Step {
        name: "openapi-refs-to-definitions",
        reason: "typify resolves JSON Schema `#/definitions/`, not OpenAPI `#/components/schemas/`",
        run: refs_to_definitions,
    },
    Step {
        name: "open-tagged-unions",
        reason: "`oneOf` with a discriminator becomes an enum chosen by the tag, with an `Unknown` variant for new kinds",
        run: open_tagged_unions,
    },
    Step {
        name: "open-string-enums",
        reason: "string enums get an `Unknown(String)` variant so new values from Clerk still decode",
        run: open_string_enums,
    },
    Step {
        name: "name-inline-objects",
        reason: "an object declared inside a property becomes a named definition, so the field keeps its doc (typify moves it to the type)",
        run: name_inline_objects,
    },
    Step {
        name: "merge-all-of-objects",
        reason: "a definition made of `allOf` objects becomes one object with all their properties; typify's own merge drops field docs and trips over them",
        run: merge_all_of_objects,
    },
    Step {
        name: "drop-string-patterns",
        reason: "a pattern becomes a validating newtype that rejects values outside today's pattern",
        run: drop_string_patterns,
    },
    Step {
        name: "drop-required-alternatives",
        reason: "`anyOf` of `required` lists (one of two fields present) has no Rust shape; both stay optional",
        run: drop_required_alternatives,
    },
    Step {
        name: "unwrap-lone-references",
        reason: "`allOf`/`oneOf` around a single `$ref` only carries docs or nullability in OpenAPI 3.0; typify would inline a copy of the type",
        run: unwrap_lone_references,
    },
    Step {
        name: "keep-unknown-fields",
        reason: "objects with properties get `additionalProperties: {}`, so typify keeps unknown fields in `extra` instead of dropping or rejecting them",
        run: keep_unknown_fields,
    },
    Step {
        name: "move-nullable-to-uses",
        reason: "a definition marked nullable means its uses may be null; typify only understands nullable uses",
        run: move_nullable_to_uses,
    },
    Step {
        name: "nullable-to-null-type",
        reason: "OpenAPI 3.0 `nullable: true` is JSON Schema `null` as an allowed type",
        run: nullable_to_null_type,
    },
];

fn name_inline_event_data(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for event in &mut spec.events {
        if event.data.get("$ref").is_some() {
            continue;
        }
        let name = format!("{}Data", event.variant());
        let mut schema = event.data.clone();
        if let Some(obj) = schema.as_object_mut() {
            obj.entry("description").or_insert_with(|| {
                Value::String(format!("The `data` of `{}` events.", event.name))
            });
        }
        if spec.defs.insert(name.clone(), schema).is_some() {
            return Err(format!("definition `{name}` already exists"));
        }
        event.data = json!({ "$ref": format!("{OPENAPI_REF}{name}") });
        count += 1;
    }
    Ok(count)
}

fn refs_to_definitions(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    let mut fix = |node: &mut Value| {
        if let Some(Value::String(r)) = node.get_mut("$ref")
            && let Some(name) = r.strip_prefix(OPENAPI_REF)
        {
            *r = format!("{JSON_SCHEMA_REF}{name}");
            count += 1;
        }
        if let Some(Value::Object(map)) = node.pointer_mut("/discriminator/mapping") {
            for target in map.values_mut() {
                if let Value::String(r) = target
                    && let Some(name) = r.strip_prefix(OPENAPI_REF)
                {
                    *r = format!("{JSON_SCHEMA_REF}{name}");
                }
            }
        }
        Ok(())
    };
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| fix(node))?;
    }
    for event in &mut spec.events {
        fix(&mut event.data)?;
    }
    Ok(count)
}

fn name_inline_objects(spec: &mut Spec) -> Result<usize, String> {
    let mut found = Vec::new();
    for (def_name, def) in spec.defs.iter_mut() {
        if let Some(Value::Object(props)) = def.get_mut("properties") {
            name_inline_in(props, def_name, &mut found);
        }
        for part in def
            .get_mut("allOf")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(Value::Object(props)) = part.get_mut("properties") {
                name_inline_in(props, def_name, &mut found);
            }
        }
    }
    let count = found.len();
    for (name, schema) in found {
        if spec.defs.insert(name.clone(), schema).is_some() {
            return Err(format!(
                "inline object name `{name}` clashes with a definition"
            ));
        }
    }
    Ok(count)
}

/// Takes the inline objects out of `props` (and out of the objects taken out).
fn name_inline_in(props: &mut Map<String, Value>, parent: &str, found: &mut Vec<(String, Value)>) {
    for (prop, schema) in props.iter_mut() {
        let Some(obj) = schema.as_object_mut() else {
            continue;
        };
        if !obj.contains_key("properties") {
            continue;
        }
        let name = format!("{parent}_{prop}").to_pascal_case();
        let mut inner = std::mem::take(obj);
        if let Some(Value::Object(nested)) = inner.get_mut("properties") {
            name_inline_in(nested, &name, found);
        }
        // Docs and nullability belong to the use; the type gets the same description.
        for key in ["description", "nullable", "deprecated"] {
            if let Some(v) = inner.get(key).cloned() {
                obj.insert(key.into(), v);
            }
        }
        inner.remove("nullable");
        inner.remove("deprecated");
        obj.insert(
            "$ref".into(),
            Value::String(format!("{JSON_SCHEMA_REF}{name}")),
        );
        found.push((name, Value::Object(inner)));
    }
}

fn merge_all_of_objects(spec: &mut Spec) -> Result<usize, String> {
    let composed: Vec<String> = spec
        .defs
        .iter()
        .filter(|(_, def)| def.get("allOf").is_some())
        .map(|(name, _)| name.clone())
        .collect();
    for name in &composed {
        let def = spec.defs[name].clone();
        let mut properties = Map::new();
        let mut required = BTreeSet::new();
        for part in def["allOf"].as_array().into_iter().flatten() {
            let part = match part.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let target = r.strip_prefix(JSON_SCHEMA_REF).unwrap_or(r);
                    spec.defs
                        .get(target)
                        .ok_or_else(|| format!("{name}: no definition {target}"))?
                }
                None => part,
            };
            if part.get("allOf").is_some() {
                return Err(format!("{name}: nested allOf is not supported"));
            }
            for (prop, schema) in part
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if properties.insert(prop.clone(), schema.clone()).is_some() {
                    return Err(format!("{name}: property `{prop}` defined twice"));
                }
            }
            let part_required = part
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            required.extend(part_required.filter_map(Value::as_str).map(str::to_string));
        }
        let mut merged = Map::new();
        if let Some(d) = def.get("description") {
            merged.insert("description".into(), d.clone());
        }
        merged.insert("type".into(), json!("object"));
        merged.insert("required".into(), json!(required));
        merged.insert("properties".into(), Value::Object(properties));
        spec.defs.insert(name.clone(), Value::Object(merged));
    }
    Ok(composed.len())
}

fn drop_string_patterns(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| {
            if let Some(obj) = node.as_object_mut() {
                count += usize::from(obj.remove("pattern").is_some());
            }
            Ok(())
        })?;
    }
    Ok(count)
}

fn drop_required_alternatives(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            let only_required = obj
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|alts| {
                    alts.iter().all(|a| {
                        a.as_object()
                            .is_some_and(|a| a.len() == 1 && a.contains_key("required"))
                    })
                });
            if only_required {
                obj.remove("anyOf");
                count += 1;
            }
            Ok(())
        })?;
    }
    Ok(count)
}

fn keep_unknown_fields(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            if obj.contains_key("properties") && obj.get("additionalProperties") != Some(&json!({}))
            {
                obj.insert("additionalProperties".into(), json!({}));
                count += 1;
            }
            Ok(())
        })?;
    }
    Ok(count)
}

fn move_nullable_to_uses(spec: &mut Spec) -> Result<usize, String> {
    let nullable: BTreeSet<String> = spec
        .defs
        .iter_mut()
        .filter_map(|(name, def)| {
            let obj = def.as_object_mut()?;
            (obj.get("nullable") == Some(&Value::Bool(true))).then(|| {
                obj.remove("nullable");
                name.clone()
            })
        })
        .collect();
    let refs: BTreeSet<String> = nullable
        .iter()
        .map(|n| format!("{JSON_SCHEMA_REF}{n}"))
        .collect();
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            if obj
                .get("$ref")
                .and_then(Value::as_str)
                .is_some_and(|r| refs.contains(r))
            {
                obj.insert("nullable".into(), Value::Bool(true));
            }
            Ok(())
        })?;
    }
    Ok(nullable.len())
}

fn open_tagged_unions(spec: &mut Spec) -> Result<usize, String> {
    let mut found = Vec::new();
    for (def_name, def) in spec.defs.iter_mut() {
        walk(def, def_name, &mut |node, path| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            let Some(disc) = obj.remove("discriminator") else {
                return Ok(());
            };
            let tag = disc
                .get("propertyName")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{path}: discriminator without propertyName"))?
                .to_string();
            let mapping = disc.get("mapping").and_then(Value::as_object);
            let members = obj
                .remove("oneOf")
                .and_then(|v| v.as_array().cloned())
                .ok_or_else(|| format!("{path}: discriminator without oneOf"))?;
            let mut variants = Vec::new();
            for member in &members {
                let target = member
                    .get("$ref")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{path}: oneOf member is not a $ref"))?;
                let def = target
                    .strip_prefix(JSON_SCHEMA_REF)
                    .unwrap_or(target)
                    .to_string();
                // Without an entry in `mapping`, OpenAPI takes the schema name as the tag value.
                let value = mapping
                    .and_then(|m| m.iter().find(|(_, v)| v.as_str() == Some(target)))
                    .map(|(k, _)| k.clone())
                    .unwrap_or_else(|| def.clone());
                variants.push((value, def));
            }
            let name = path.to_pascal_case();
            found.push(Union {
                name: name.clone(),
                description: obj
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                tag,
                variants,
            });
            // The use keeps its description and nullability and points at the new type.
            obj.remove("type");
            obj.insert(
                "$ref".into(),
                Value::String(format!("{JSON_SCHEMA_REF}{name}")),
            );
            Ok(())
        })?;
    }
    for union in &found {
        // typify is told to use our type instead; the definition only has to exist.
        spec.defs
            .insert(union.name.clone(), json!({ "type": "object" }));
    }
    let count = found.len();
    spec.unions.extend(found);
    Ok(count)
}

fn unwrap_lone_references(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, _| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            for key in ["allOf", "oneOf"] {
                let lone = match obj.get(key).and_then(Value::as_array).map(Vec::as_slice) {
                    Some([only]) if only.as_object().is_some_and(|o| o.len() == 1) => {
                        only.get("$ref").cloned()
                    }
                    _ => None,
                };
                if let Some(target) = lone {
                    obj.remove(key);
                    // `type: object` next to the wrapper only restated the target's type.
                    obj.remove("type");
                    obj.insert("$ref".into(), target);
                    count += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(count)
}

fn open_string_enums(spec: &mut Spec) -> Result<usize, String> {
    let mut found = Vec::new();
    for (def_name, def) in spec.defs.iter_mut() {
        walk(def, def_name, &mut |node, path| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            let Some(values) = obj.get("enum").and_then(Value::as_array) else {
                return Ok(());
            };
            let values = values
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("{path}: enum with a value that is not a string"))?;
            if obj.get("type").and_then(Value::as_str) != Some("string") {
                return Err(format!("{path}: enum of a type other than string"));
            }
            obj.remove("enum");
            obj.remove("type");
            let name = path.to_pascal_case();
            found.push(OpenEnum {
                name: name.clone(),
                description: obj
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                values,
            });
            obj.insert(
                "$ref".into(),
                Value::String(format!("{JSON_SCHEMA_REF}{name}")),
            );
            Ok(())
        })?;
    }
    for e in &found {
        if spec
            .defs
            .insert(e.name.clone(), json!({ "type": "string" }))
            .is_some()
        {
            return Err(format!("enum name `{}` clashes with a definition", e.name));
        }
    }
    let count = found.len();
    spec.enums.extend(found);
    Ok(count)
}

fn nullable_to_null_type(spec: &mut Spec) -> Result<usize, String> {
    let mut count = 0;
    for def in spec.defs.values_mut() {
        walk(def, "", &mut |node, path| {
            let Some(obj) = node.as_object_mut() else {
                return Ok(());
            };
            match obj.remove("nullable") {
                Some(Value::Bool(true)) => {}
                Some(Value::Bool(false)) | None => return Ok(()),
                Some(other) => return Err(format!("{path}: nullable is {other}")),
            }
            count += 1;
            let composite = ["$ref", "allOf", "oneOf", "anyOf"]
                .iter()
                .any(|k| obj.contains_key(*k));
            if composite {
                // Docs stay on the use; the rest becomes the non-null alternative.
                let mut outer = Map::new();
                for key in ["description", "deprecated"] {
                    if let Some(v) = obj.remove(key) {
                        outer.insert(key.into(), v);
                    }
                }
                let inner = std::mem::take(obj);
                outer.insert("oneOf".into(), json!([inner, { "type": "null" }]));
                *obj = outer;
            } else {
                let ty = obj
                    .get("type")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{path}: nullable without a type"))?
                    .to_string();
                obj.insert("type".into(), json!([ty, "null"]));
            }
            Ok(())
        })?;
    }
    Ok(count)
}

/// Visits `node` and every schema below it, parents first. `path` names the node
/// (definition, then property names), which is what taken-out types are named after.
fn walk(
    node: &mut Value,
    path: &str,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    f(node, path)?;
    let Some(obj) = node.as_object_mut() else {
        return Ok(());
    };
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            walk(prop, &format!("{path}_{name}"), f)?;
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(members)) = obj.get_mut(key) {
            for member in members {
                walk(member, path, f)?;
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child @ Value::Object(_)) = obj.get_mut(key) {
            walk(child, path, f)?;
        }
    }
    Ok(())
}

/// Runs typify over the definitions; returns its code and the Rust name of each definition.
fn run_typify(spec: &Spec) -> Result<(syn::File, BTreeMap<String, String>), String> {
    let mut settings = typify::TypeSpaceSettings::default();
    settings.with_derive("PartialEq".to_string());
    for name in spec
        .enums
        .iter()
        .map(|e| &e.name)
        .chain(spec.unions.iter().map(|u| &u.name))
    {
        settings.with_replacement(name, name, std::iter::empty());
    }
    let mut space = typify::TypeSpace::new(&settings);
    let defs = spec
        .defs
        .iter()
        .map(|(name, schema)| {
            serde_json::from_value::<schemars::schema::Schema>(schema.clone())
                .map(|s| (name.clone(), s))
                .map_err(|e| format!("schema {name}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    space
        .add_ref_types(defs)
        .map_err(|e| format!("typify: {e}"))?;
    let mut names = BTreeMap::new();
    for name in spec.defs.keys() {
        let reference: schemars::schema::Schema =
            serde_json::from_value(json!({ "$ref": format!("{JSON_SCHEMA_REF}{name}") }))
                .map_err(|e| e.to_string())?;
        let id = space
            .add_type(&reference)
            .map_err(|e| format!("typify: {name}: {e}"))?;
        let ty = space
            .get_type(&id)
            .map_err(|e| format!("typify: {name}: {e}"))?;
        names.insert(name.clone(), ty.name());
    }
    let file = syn::parse2(space.to_stream()).map_err(|e| format!("typify output: {e}"))?;
    Ok((file, names))
}

struct CodeStep {
    name: &'static str,
    reason: &'static str,
    run: fn(&mut syn::File) -> usize,
}

/// Steps over typify's output, run like [`STEPS`].
const CODE_STEPS: &[CodeStep] = &[
    CodeStep {
        name: "absent-nullable-is-none",
        reason: "typify makes an absent required-but-nullable field an error; it decodes as None instead",
        run: absent_nullable_is_none,
    },
    CodeStep {
        name: "document-extra-fields",
        reason: "typify leaves the `extra` map of unknown fields undocumented",
        run: document_extra_fields,
    },
];

fn struct_fields(file: &mut syn::File) -> impl Iterator<Item = &mut syn::Field> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s),
            _ => None,
        })
        .flat_map(|s| s.fields.iter_mut())
}

fn absent_nullable_is_none(file: &mut syn::File) -> usize {
    type Metas = syn::punctuated::Punctuated<syn::Meta, syn::Token![,]>;
    let required_option: syn::Meta =
        syn::parse_quote!(deserialize_with = "::std::option::Option::deserialize");
    let mut count = 0;
    for field in struct_fields(file) {
        for attr in &mut field.attrs {
            if !attr.path().is_ident("serde") {
                continue;
            }
            let Ok(metas) = attr.parse_args_with(Metas::parse_terminated) else {
                continue;
            };
            if !metas.iter().any(|m| *m == required_option) {
                continue;
            }
            let kept = metas.into_iter().filter(|m| *m != required_option);
            *attr = syn::parse_quote!(#[serde(default, #(#kept),*)]);
            count += 1;
        }
    }
    count
}

fn document_extra_fields(file: &mut syn::File) -> usize {
    let mut count = 0;
    for field in struct_fields(file) {
        let is_extra = field.ident.as_ref().is_some_and(|i| i == "extra");
        if is_extra && !field.attrs.iter().any(|a| a.path().is_ident("doc")) {
            field.attrs.insert(
                0,
                syn::parse_quote!(#[doc = "Fields this version of the SDK does not know, kept as received."]),
            );
            count += 1;
        }
    }
    count
}

/// Writes `text` as `///` lines at `indent`.
fn doc_lines(text: &str, indent: &str) -> String {
    text.lines()
        .map(|line| {
            format!(
                "{indent}///{}{line}\n",
                if line.is_empty() { "" } else { " " }
            )
        })
        .collect()
}

fn ident(name: &str) -> Result<String, String> {
    syn::parse_str::<syn::Ident>(name).map_err(|_| format!("`{name}` is not a Rust identifier"))?;
    Ok(name.to_string())
}

fn open_enum_text(e: &OpenEnum) -> Result<String, String> {
    let doc = e
        .description
        .clone()
        .unwrap_or_else(|| format!("Values of `{}`.", e.name));
    let mut text = format!(
        "open_enum! {{\n{}    {} {{\n",
        doc_lines(&doc, "    "),
        ident(&e.name)?
    );
    let mut seen = BTreeSet::from(["Unknown".to_string()]);
    for value in &e.values {
        let variant = ident(&value.to_pascal_case())?;
        if !seen.insert(variant.clone()) {
            return Err(format!("{}: two values map to variant `{variant}`", e.name));
        }
        text += &doc_lines(&format!("`{value}`"), "        ");
        text += &format!("        {variant} => {value:?},\n");
    }
    text += "    }\n}\n";
    Ok(text)
}

fn union_text(u: &Union, names: &BTreeMap<String, String>) -> Result<String, String> {
    let doc = u
        .description
        .clone()
        .unwrap_or_else(|| format!("Kinds of `{}`.", u.name));
    let doc = format!("{doc}\n\nThe `{}` field tells which kind it is.", u.tag);
    let mut text = format!(
        "tagged_union! {{\n{}    {}, tag = {:?} {{\n",
        doc_lines(&doc, "    "),
        ident(&u.name)?,
        u.tag
    );
    for (value, def) in &u.variants {
        let ty = names
            .get(def)
            .ok_or_else(|| format!("union {}: no type {def}", u.name))?;
        let variant = ident(ty.strip_prefix("Verification").unwrap_or(ty))?;
        text += &doc_lines(&format!("`{}` is `{value}`.", u.tag), "        ");
        text += &format!("        {variant}({}) => {value:?},\n", ident(ty)?);
    }
    text += "    }\n}\n";
    Ok(text)
}

fn events_text(spec: &Spec, names: &BTreeMap<String, String>) -> Result<String, String> {
    let mut text = String::from("webhook_events! {\n");
    for event in &spec.events {
        let def = event
            .data
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(JSON_SCHEMA_REF))
            .ok_or_else(|| format!("event {}: data is not a reference", event.name))?;
        let ty = names
            .get(def)
            .ok_or_else(|| format!("event {}: no type {def}", event.name))?;
        text += &doc_lines(&format!("`{}`: {}", event.name, event.description), "    ");
        text += &format!(
            "    {}(crate::webhooks::types::{}) => {:?},\n",
            ident(&event.variant())?,
            ident(ty)?,
            event.name
        );
    }
    text += "}\n";
    Ok(text)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}
