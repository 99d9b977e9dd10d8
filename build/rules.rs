//! Named adaptations of our spec for code generation.
//!
//! The files under `openapi/` state Clerk's API as it is. Some of those facts
//! make progenitor/typify generate code that is wrong for a client (it would
//! reject data Clerk is allowed to send) or that does not compile. Each rule
//! below changes the bundled document in memory, says why, counts what it
//! touched, and fails the build when it touches nothing: a spec update that
//! fixes or moves the problem is then noticed instead of silently ignored.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Operations left out of generation, with the reason. The hand-written layer
/// provides each of them.
pub const EXCLUDED_OPERATIONS: &[(&str, &str)] = &[
    (
        "SetUserProfileImage",
        "multipart/form-data upload, which progenitor cannot generate; see src/uploads.rs",
    ),
    (
        "UploadOrganizationLogo",
        "multipart/form-data upload, which progenitor cannot generate; see src/uploads.rs",
    ),
    (
        "UploadOAuthApplicationLogo",
        "multipart/form-data upload, which progenitor cannot generate; see src/uploads.rs",
    ),
];

/// A string enum that build.rs emits itself (through `open_enum!`) in place
/// of typify's closed enum.
pub struct OpenEnum {
    pub name: String,
    pub values: Vec<String>,
    pub description: Option<String>,
}

/// A request field that can be sent as an explicit `null`: the schema `name`
/// stands for `crate::Nullable<rust_type>`.
pub struct NullableField {
    pub name: String,
    pub rust_type: String,
}

/// What a rule did, for the build report.
#[allow(dead_code)] // `reason` is for readers of the rule list
pub struct Applied {
    pub name: &'static str,
    pub reason: &'static str,
    pub count: usize,
}

/// The outcome of all rules.
pub struct Adapted {
    pub open_enums: Vec<OpenEnum>,
    pub nullable_fields: Vec<NullableField>,
    pub excluded: Vec<Value>,
    pub applied: Vec<Applied>,
}

/// What rules hand on to code generation.
#[derive(Default)]
pub struct Out {
    pub open_enums: Vec<OpenEnum>,
    pub nullable_fields: Vec<NullableField>,
    /// The operations left out of generation, as the spec states them.
    pub excluded: Vec<Value>,
}

type RuleFn = fn(&mut Value, &mut Out) -> Result<usize, String>;

const RULES: &[(&str, &str, RuleFn)] = &[
    (
        "exclude_multipart_operations",
        "progenitor cannot generate multipart/form-data bodies; these operations are hand-written",
        exclude_multipart_operations,
    ),
    (
        "drop_deprecated_clashing_parameters",
        "two parameters of one operation map to the same Rust name; the deprecated one is dropped",
        drop_deprecated_clashing_parameters,
    ),
    (
        "drop_paginated_parameter",
        "on operations whose reply is a bare array, `paginated=true` makes Clerk wrap it in \
         `{data, total_count}`, a shape the spec does not describe, so the typed reply would \
         fail to decode; `stream()` and `pages()` page without it",
        drop_paginated_parameter,
    ),
    (
        "one_tag_per_operation",
        "progenitor puts an operation on one extension trait per tag; the prelude brings every \
         trait into scope, so an operation with two tags (a user's or an organization's billing \
         subscription and credits: Users or Organizations, and Billing) would be an ambiguous \
         method (E0034). Each keeps its first tag, the resource it belongs to, which the \
         operations table and the API groups already use",
        one_tag_per_operation,
    ),
    (
        "readable_method_names",
        "snake-casing `OAuth` and `URLs` gives `o_auth` and `ur_ls`; method names use \
         `oauth` and `urls` (the operations table keeps Clerk's ids)",
        readable_method_names,
    ),
    (
        "clerk_errors_for_every_error_response",
        "every error reply of the API carries the ClerkErrors body; inline or bodiless error \
         responses would give operations mixed or wrong error types, so each operation gets \
         ClerkErrors for every 4xx and 5xx status",
        clerk_errors_for_every_error_response,
    ),
    (
        "nullable_error_meta",
        "the API sends `meta: null` in error bodies",
        nullable_error_meta,
    ),
    (
        "allow_unknown_fields",
        "Clerk adds fields within an API version; `additionalProperties: false` would make typify \
         reject them with deny_unknown_fields",
        allow_unknown_fields,
    ),
    (
        "keep_extra_properties",
        "objects with listed properties that also allow any other key (the actor payload of an \
         actor token, say) would lose the other keys; an explicit schema makes typify keep them \
         in a flattened map",
        keep_extra_properties,
    ),
    (
        "absent_nullable_is_none",
        "a field that is required but nullable is sometimes left out of replies; it decodes as \
         None instead of failing",
        absent_nullable_is_none,
    ),
    (
        "unconstrained_strings",
        "pattern and length limits are the server's to enforce; checking them while decoding would \
         reject replies when Clerk widens a format",
        unconstrained_strings,
    ),
    (
        "open_string_enums",
        "Clerk adds enum values within an API version; every string enum becomes a named enum with \
         an Unknown(String) variant that keeps the value",
        open_string_enums,
    ),
    (
        "explicit_null_in_requests",
        "request fields that may be null are plain Options, so `null` (which clears a value) \
         could not be sent; they become Option<Nullable<T>>",
        explicit_null_in_requests,
    ),
];

/// Applies every rule, in order, failing on the first one that matches nothing.
pub fn apply(spec: &mut Value) -> Result<Adapted, String> {
    let mut out = Out::default();
    let mut applied = Vec::new();
    for (name, reason, rule) in RULES {
        let count = rule(spec, &mut out).map_err(|e| format!("rule {name}: {e}"))?;
        if count == 0 {
            return Err(format!(
                "rule {name} matched nothing. The spec no longer has the problem it works around \
                 ({reason}); remove or update the rule in build/rules.rs"
            ));
        }
        applied.push(Applied {
            name,
            reason,
            count,
        });
    }
    Ok(Adapted {
        open_enums: out.open_enums,
        nullable_fields: out.nullable_fields,
        excluded: out.excluded,
        applied,
    })
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Calls `f` with (path, method, operation) for every operation.
fn for_each_operation(
    spec: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>) -> Result<(), String>,
) -> Result<(), String> {
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no paths")?;
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                f(path, method, op)?;
            }
        }
    }
    Ok(())
}

fn operation_id(op: &Map<String, Value>) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("")
}

fn exclude_multipart_operations(spec: &mut Value, out: &mut Out) -> Result<usize, String> {
    let mut found = Vec::new();
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no paths")?;
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let multipart: Vec<String> = item
            .iter()
            .filter(|(_, op)| {
                op.pointer("/requestBody/content/multipart~1form-data")
                    .is_some()
            })
            .map(|(method, _)| method.clone())
            .collect();
        for method in multipart {
            let op = item.remove(&method).unwrap_or_default();
            let id = op["operationId"].as_str().unwrap_or("").to_string();
            if !EXCLUDED_OPERATIONS.iter().any(|(name, _)| *name == id) {
                return Err(format!(
                    "{} {path} ({id}) has a multipart body but is not listed in EXCLUDED_OPERATIONS",
                    method.to_uppercase()
                ));
            }
            found.push(id);
            out.excluded.push(op);
        }
    }
    paths.retain(|_, item| item.as_object().is_some_and(|m| !m.is_empty()));
    for (name, _) in EXCLUDED_OPERATIONS {
        if !found.iter().any(|id| id == name) {
            return Err(format!(
                "{name} is listed as excluded but the spec has no such multipart operation"
            ));
        }
    }
    Ok(found.len())
}

/// The Rust identifier progenitor derives from a parameter name.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    out
}

fn one_tag_per_operation(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    let mut trimmed = 0;
    for_each_operation(spec, |path, method, op| {
        if let Some(tags) = op.get_mut("tags").and_then(Value::as_array_mut)
            && tags.len() > 1
        {
            if !tags[0].is_string() {
                return Err(format!("{method} {path}: the first tag is not a name"));
            }
            tags.truncate(1);
            trimmed += 1;
        }
        Ok(())
    })?;
    Ok(trimmed)
}

fn drop_deprecated_clashing_parameters(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    // Parameters shared through components are referenced by `$ref`.
    let shared: BTreeMap<String, Value> = spec
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .map(|params| {
            params
                .iter()
                .map(|(k, v)| (format!("#/components/parameters/{k}"), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let resolve = |p: &Value| -> Value {
        match p["$ref"].as_str() {
            Some(r) => shared.get(r).cloned().unwrap_or(Value::Null),
            None => p.clone(),
        }
    };
    let mut dropped = 0;
    for_each_operation(spec, |path, method, op| {
        let id = operation_id(op).to_string();
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return Ok(());
        };
        let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let resolved: Vec<Value> = params.iter().map(resolve).collect();
        for (i, p) in resolved.iter().enumerate() {
            let name = p["name"].as_str().unwrap_or("");
            by_name.entry(snake(name)).or_default().push(i);
        }
        let mut remove = Vec::new();
        for (rust_name, idx) in by_name.into_iter().filter(|(_, idx)| idx.len() > 1) {
            let deprecated: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|&i| resolved[i]["deprecated"] == json!(true))
                .collect();
            if deprecated.len() != idx.len() - 1 {
                return Err(format!(
                    "{method} {path} ({id}): parameters clash as `{rust_name}` and it is not clear \
                     which one to keep"
                ));
            }
            remove.extend(deprecated);
        }
        remove.sort_unstable();
        for i in remove.into_iter().rev() {
            params.remove(i);
            dropped += 1;
        }
        Ok(())
    })?;
    Ok(dropped)
}

fn drop_paginated_parameter(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    const PAGINATED: &str = "#/components/parameters/Paginated";
    let responses = spec["components"]["responses"].clone();
    let schemas = spec["components"]["schemas"].clone();
    let mut dropped = 0;
    for_each_operation(spec, |_, _, op| {
        // The success reply, through a shared response when referenced.
        let reply = &op["responses"]["200"];
        let reply = match reply["$ref"].as_str() {
            Some(r) => &responses[r.trim_start_matches("#/components/responses/")],
            None => reply,
        };
        let schema = &reply["content"]["application/json"]["schema"];
        let schema = match schema["$ref"].as_str() {
            Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
            None => schema,
        };
        if schema["type"] != json!("array") {
            return Ok(());
        }
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            let before = params.len();
            params.retain(|p| p["$ref"] != json!(PAGINATED));
            dropped += before - params.len();
        }
        Ok(())
    })?;
    Ok(dropped)
}

/// Acronyms that heck would cut into letters (`OAuth` -> `o_auth`,
/// `URLs` -> `ur_ls`), and how method names spell them instead.
const ACRONYMS: &[(&str, &str)] = &[("OAuth", "Oauth"), ("URLs", "Urls")];

fn readable_method_names(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    let mut renamed = 0;
    for_each_operation(spec, |_, _, op| {
        let id = operation_id(op).to_string();
        let mut name = id.clone();
        for (from, to) in ACRONYMS {
            name = name.replace(from, to);
        }
        if name != id {
            // The original id stays known: the operations table reports it.
            op.insert("x-operation-id".into(), json!(id));
            op.insert("operationId".into(), json!(name));
            renamed += 1;
        }
        Ok(())
    })?;
    Ok(renamed)
}

const CLERK_ERRORS_RESPONSE: &str = "#/components/responses/ClerkErrors";

fn clerk_errors_for_every_error_response(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    if spec.pointer("/components/responses/ClerkErrors").is_none() {
        return Err("components/responses/ClerkErrors is missing".into());
    }
    // Named responses whose body is ClerkErrors already.
    let clerk_error_refs: Vec<String> = spec["components"]["responses"]
        .as_object()
        .map(|responses| {
            responses
                .iter()
                .filter(|(_, r)| {
                    r.pointer("/content/application~1json/schema/$ref")
                        == Some(&json!("#/components/schemas/ClerkErrors"))
                })
                .map(|(name, _)| format!("#/components/responses/{name}"))
                .collect()
        })
        .unwrap_or_default();
    let mut changed = 0;
    for_each_operation(spec, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let errors: Vec<String> = responses
            .keys()
            .filter(|code| !code.starts_with('2'))
            .cloned()
            .collect();
        for code in errors {
            let is_clerk_errors = responses[&code]["$ref"]
                .as_str()
                .is_some_and(|r| clerk_error_refs.iter().any(|known| known == r));
            if !is_clerk_errors {
                changed += 1;
            }
            responses.remove(&code);
        }
        // One entry per status class: every error status, listed or not (a
        // 429 or a 503, say), carries the same body. Ranges rather than
        // `default`, which progenitor would count as a success type too.
        for range in ["4XX", "5XX"] {
            responses.insert(range.into(), json!({ "$ref": CLERK_ERRORS_RESPONSE }));
        }
        Ok(())
    })?;
    Ok(changed)
}

fn nullable_error_meta(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    let mut changed = 0;
    for schema in ["ClerkError", "ClerkErrors"] {
        if let Some(meta) =
            spec.pointer_mut(&format!("/components/schemas/{schema}/properties/meta"))
            && meta.get("nullable") != Some(&json!(true))
        {
            meta["nullable"] = json!(true);
            changed += 1;
        }
    }
    Ok(changed)
}

/// Where a schema sits, used to name the types hoisted out of it.
fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else if c.is_ascii_uppercase() && !prev_lower {
                // Keep acronyms readable: "OAuthApp" stays, "SAML" -> "Saml".
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            upper = false;
        } else {
            upper = true;
            prev_lower = false;
        }
    }
    out
}

/// Visits every schema object of the document, depth first (children before
/// their parent), with a name describing where it sits.
fn walk_schemas(
    spec: &mut Value,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            walk_schema(schema, &pascal(name), f)?;
        }
    }
    if let Some(params) = spec
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        for (name, param) in params.iter_mut() {
            if let Some(schema) = param.get_mut("schema") {
                walk_schema(schema, &pascal(name), f)?;
            }
        }
    }
    if let Some(responses) = spec
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        for (name, response) in responses.iter_mut() {
            walk_content(response, &format!("{}Response", pascal(name)), f)?;
        }
    }
    for_each_operation(spec, |_, _, op| {
        let base = pascal(operation_id(op));
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for param in params {
                let name = pascal(param["name"].as_str().unwrap_or(""));
                if let Some(schema) = param.get_mut("schema") {
                    walk_schema(schema, &format!("{base}{name}"), f)?;
                }
            }
        }
        if let Some(body) = op.get_mut("requestBody") {
            walk_content(body, &format!("{base}Body"), f)?;
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                walk_content(response, &format!("{base}Response"), f)?;
            }
        }
        Ok(())
    })
}

fn walk_content(
    holder: &mut Value,
    ctx: &str,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                walk_schema(schema, ctx, f)?;
            }
        }
    }
    Ok(())
}

fn walk_schema(
    schema: &mut Value,
    ctx: &str,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let Some(obj) = schema.as_object_mut() else {
        return Ok(());
    };
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            walk_schema(prop, &format!("{ctx}{}", pascal(name)), f)?;
        }
    }
    if let Some(items) = obj.get_mut("items") {
        walk_schema(items, &format!("{ctx}Item"), f)?;
    }
    if let Some(extra) = obj.get_mut("additionalProperties")
        && extra.is_object()
    {
        walk_schema(extra, &format!("{ctx}Value"), f)?;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            let single = list.len() == 1;
            for (i, sub) in list.iter_mut().enumerate() {
                let name = if single {
                    ctx.to_string()
                } else {
                    format!("{ctx}Variant{i}")
                };
                walk_schema(sub, &name, f)?;
            }
        }
    }
    if let Some(not) = obj.get_mut("not") {
        walk_schema(not, ctx, f)?;
    }
    f(schema, ctx)
}

/// Calls `f` on every schema object of the document and adds up the number
/// of changes it reports.
fn count_in_schemas(
    spec: &mut Value,
    mut f: impl FnMut(&mut Map<String, Value>) -> usize,
) -> Result<usize, String> {
    let mut changed = 0;
    walk_schemas(spec, &mut |schema, _| {
        if let Some(obj) = schema.as_object_mut() {
            changed += f(obj);
        }
        Ok(())
    })?;
    Ok(changed)
}

fn allow_unknown_fields(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        if obj.get("additionalProperties") == Some(&json!(false)) {
            obj.remove("additionalProperties");
            1
        } else {
            0
        }
    })
}

fn keep_extra_properties(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        if obj.contains_key("properties") && obj.get("additionalProperties") == Some(&json!(true)) {
            // typify ignores `true` but flattens an extra map for `{}`.
            obj.insert("additionalProperties".into(), json!({}));
            1
        } else {
            0
        }
    })
}

fn absent_nullable_is_none(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        let nullable: Vec<String> = obj
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, p)| p.get("nullable") == Some(&json!(true)))
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default();
        match obj.get_mut("required").and_then(Value::as_array_mut) {
            Some(required) => {
                let before = required.len();
                required.retain(|r| !r.as_str().is_some_and(|r| nullable.iter().any(|n| n == r)));
                before - required.len()
            }
            None => 0,
        }
    })
}

fn unconstrained_strings(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        if obj.get("type") != Some(&json!("string")) || obj.contains_key("enum") {
            return 0;
        }
        ["pattern", "minLength", "maxLength"]
            .iter()
            .filter(|key| obj.remove(**key).is_some())
            .count()
    })
}

fn string_enum_values(schema: &Value) -> Option<Vec<String>> {
    if schema.get("type") != Some(&json!("string")) {
        return None;
    }
    let values = schema.get("enum")?.as_array()?;
    values
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn open_string_enums(spec: &mut Value, out: &mut Out) -> Result<usize, String> {
    // Named enums first: they keep their schema name.
    let mut taken: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            taken.insert(name.clone(), string_enum_values(schema));
        }
    }
    // Then every inline enum becomes a named schema referenced from its place.
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    walk_schemas(spec, &mut |schema, ctx| {
        let Some(values) = string_enum_values(schema) else {
            return Ok(());
        };
        if schema.get("$ref").is_some() {
            return Ok(());
        }
        let ctx = heck::ToPascalCase::to_pascal_case(ctx);
        let mut name = ctx.clone();
        let mut n = 1;
        loop {
            match taken.get(&name) {
                None => break,
                Some(Some(existing)) if *existing == values => break,
                Some(_) => {
                    n += 1;
                    name = format!("{ctx}{n}");
                }
            }
        }
        let obj = schema.as_object_mut().ok_or("enum is not an object")?;
        // The enum definition moves; nullability, defaults and the prose of
        // the place stay where they are.
        let mut definition = Map::new();
        for key in ["type", "enum", "description"] {
            if let Some(v) = obj.get(key) {
                definition.insert(key.to_string(), v.clone());
            }
        }
        obj.remove("type");
        obj.remove("enum");
        obj.insert(
            "allOf".into(),
            json!([{ "$ref": format!("#/components/schemas/{name}") }]),
        );
        if !taken.contains_key(&name) {
            taken.insert(name.clone(), Some(values));
            hoisted.push((name, Value::Object(definition)));
        }
        Ok(())
    })?;
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no schemas")?;
    let count = hoisted.len();
    for (name, definition) in hoisted {
        schemas.insert(name, definition);
    }
    for (name, schema) in schemas.iter() {
        if let Some(values) = string_enum_values(schema) {
            out.open_enums.push(OpenEnum {
                name: name.clone(),
                values,
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    Ok(count + out.open_enums.len())
}

fn explicit_null_in_requests(spec: &mut Value, out: &mut Out) -> Result<usize, String> {
    // Request bodies: inline ones, and the named schemas they reference.
    let mut named_bodies: Vec<String> = Vec::new();
    let mut new_schemas: Vec<(String, Value)> = Vec::new();
    let mut taken: Vec<String> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    for_each_operation(spec, |_, _, op| {
        let ctx = format!("{}Body", pascal(operation_id(op)));
        let Some(schema) = op
            .get_mut("requestBody")
            .and_then(|body| body.pointer_mut("/content/application~1json/schema"))
        else {
            return Ok(());
        };
        if let Some(r) = schema["$ref"].as_str() {
            named_bodies.push(r.trim_start_matches("#/components/schemas/").to_string());
            return Ok(());
        }
        walk_schema(schema, &ctx, &mut |s, ctx| {
            nullable_properties(s, ctx, &mut taken, &mut new_schemas, &mut fields)
        })
    })?;
    for name in named_bodies {
        let ctx = pascal(&name);
        if let Some(schema) = spec.pointer_mut(&format!("/components/schemas/{name}")) {
            walk_schema(schema, &ctx, &mut |s, ctx| {
                nullable_properties(s, ctx, &mut taken, &mut new_schemas, &mut fields)
            })?;
        }
    }
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no schemas")?;
    for (name, schema) in new_schemas {
        schemas.insert(name, schema);
    }
    let count = fields.len();
    out.nullable_fields.extend(fields);
    Ok(count)
}

/// Replaces each nullable property of `schema` by a reference to a named
/// schema that code generation maps to `crate::Nullable<T>`.
fn nullable_properties(
    schema: &mut Value,
    ctx: &str,
    taken: &mut Vec<String>,
    new_schemas: &mut Vec<(String, Value)>,
    fields: &mut Vec<NullableField>,
) -> Result<(), String> {
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (prop_name, prop) in props.iter_mut() {
        if prop.get("nullable") != Some(&json!(true)) {
            continue;
        }
        let base =
            heck::ToPascalCase::to_pascal_case(format!("{ctx}{}", pascal(prop_name)).as_str());
        // A schema of its own for an object value, so it keeps its type.
        let is_object_with_fields =
            prop.get("type") == Some(&json!("object")) && prop.get("properties").is_some();
        let value_ref = if is_object_with_fields {
            let name = unique(&format!("{base}Value"), taken);
            let mut value = prop.clone();
            if let Some(obj) = value.as_object_mut() {
                obj.remove("nullable");
            }
            new_schemas.push((name.clone(), value));
            Some(name)
        } else {
            None
        };
        let Some(rust_type) = rust_type(prop, value_ref.as_deref()) else {
            // Any JSON value: `Some(Value::Null)` already sends null.
            continue;
        };
        let name = unique(&format!("{base}Nullable"), taken);
        let mut replacement = Map::new();
        if let Some(d) = prop.get("description") {
            replacement.insert("description".into(), d.clone());
        }
        replacement.insert(
            "allOf".into(),
            json!([{ "$ref": format!("#/components/schemas/{name}") }]),
        );
        // Never generated (it is replaced by `Nullable<T>`); it keeps the
        // field's schema so that what it references counts as used.
        new_schemas.push((
            name.clone(),
            json!({ "type": "object", "x-value": prop.clone() }),
        ));
        *prop = Value::Object(replacement);
        fields.push(NullableField { name, rust_type });
    }
    Ok(())
}

fn unique(name: &str, taken: &mut Vec<String>) -> String {
    let mut candidate = name.to_string();
    let mut n = 1;
    while taken.contains(&candidate) {
        n += 1;
        candidate = format!("{name}{n}");
    }
    taken.push(candidate.clone());
    candidate
}

/// The Rust type typify gives a (non-null) schema, for the simple shapes
/// request fields have; `None` for a schema without a type.
fn rust_type(schema: &Value, object_name: Option<&str>) -> Option<String> {
    if let Some(name) = object_name {
        return Some(format!("crate::api::types::{name}"));
    }
    if let Some(r) = schema["allOf"][0]["$ref"]
        .as_str()
        .or(schema["$ref"].as_str())
    {
        let name = r.trim_start_matches("#/components/schemas/");
        let name = heck::ToPascalCase::to_pascal_case(name.replace('.', "-").as_str());
        return Some(format!("crate::api::types::{name}"));
    }
    Some(
        match (schema["type"].as_str()?, schema["format"].as_str()) {
            ("string", Some("date-time")) => "::chrono::DateTime<::chrono::offset::Utc>".into(),
            ("string", _) => "::std::string::String".into(),
            ("boolean", _) => "bool".into(),
            ("integer", Some("int32")) => "i32".into(),
            ("integer", _) => "i64".into(),
            ("number", _) => "f64".into(),
            ("object", _) => "::serde_json::Map<::std::string::String, ::serde_json::Value>".into(),
            ("array", _) => format!(
                "::std::vec::Vec<{}>",
                rust_type(&schema["items"], None).unwrap_or_else(|| "::serde_json::Value".into())
            ),
            _ => return None,
        },
    )
}

/// The Rust variant name of an enum value.
pub fn variant_name(value: &str) -> String {
    let mut name = String::new();
    let rest = if let Some(rest) = value.strip_prefix('-') {
        name.push_str("Minus");
        rest
    } else if let Some(rest) = value.strip_prefix('+') {
        name.push_str("Plus");
        rest
    } else {
        value
    };
    match rest {
        "" => name.push_str("Empty"),
        "*" => name.push_str("Any"),
        _ => {
            let p = pascal(rest);
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                name.push('V');
            }
            name.push_str(&p);
        }
    }
    if name == "Unknown" {
        // The fallback variant owns this name.
        name.push_str("Value");
    }
    name
}
