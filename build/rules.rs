//! Named adaptations of our spec for code generation.
//!
//! The files under `openapi/` state Clerk's API as it is. Some of those facts
//! make progenitor/typify generate code that is wrong for a client (it would
//! reject data Clerk is allowed to send) or that does not compile. Each rule
//! below changes the bundled document in memory, says why, counts what it
//! touched, and fails the build when it touches nothing: a spec update that
//! fixes or moves the problem is then noticed instead of silently ignored.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

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
    pub unions: Vec<Union>,
    pub nullable_fields: Vec<NullableField>,
    pub excluded: Vec<Value>,
    pub applied: Vec<Applied>,
}

/// What rules hand on to code generation.
#[derive(Default)]
pub struct Out {
    pub open_enums: Vec<OpenEnum>,
    pub unions: Vec<Union>,
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
        "required_alternatives",
        "an `anyOf` of `required` lists only (\"domain or domains\") made typify repeat the whole \
         object once per alternative and keep the first that decodes, dropping the other field \
         when both are sent; the fields stay optional on one struct and the server checks the rule",
        required_alternatives,
    ),
    (
        "undefined_required_properties",
        "a required property the schema does not define has no type to decode; a reply without \
         it would fail, and with it the value is kept among the unknown fields",
        undefined_required_properties,
    ),
    (
        "double_precision_numbers",
        "`format: float` would give f32, which cannot hold every value the API sends; numbers are f64",
        double_precision_numbers,
    ),
    (
        "discriminated_unions",
        "a `oneOf` with a discriminator became an untagged enum that takes the first variant whose \
         required fields are present, dropping the fields of the right one; it becomes an enum \
         chosen by the discriminator, with an Unknown variant that keeps an object of a kind \
         added later",
        discriminated_unions,
    ),
    (
        "best_fit_unions",
        "a `oneOf`/`anyOf` of objects without a discriminator became an untagged enum that takes \
         the first variant that decodes; it becomes an enum that takes the variant defining most \
         of the object's fields, or keeps the JSON when none decodes",
        best_fit_unions,
    ),
    (
        "keep_unknown_fields",
        "Clerk adds fields within an API version; every object of a success reply keeps the keys \
         it does not define in a flattened `extra` map, so decoding and encoding again gives back \
         what was received",
        keep_unknown_fields,
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
        unions: out.unions,
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

// ---------------------------------------------------------------------------
// Lossless decoding of replies.
// ---------------------------------------------------------------------------

/// A `oneOf`/`anyOf` of objects that build.rs emits itself (through
/// `one_of!`) in place of typify's untagged enum, which takes the first
/// variant that decodes and so can pick the wrong one.
pub struct Union {
    /// The schema it replaces.
    pub schema: String,
    /// The Rust type name.
    pub name: String,
    /// The property whose value selects the variant, when the spec names one.
    pub tag: Option<String>,
    pub description: Option<String>,
    pub variants: Vec<UnionVariant>,
}

/// One variant of a [`Union`].
pub struct UnionVariant {
    /// The Rust variant name.
    pub name: String,
    /// The generated type it holds (in `types`).
    pub type_name: String,
    /// Values of the tag property that select it.
    pub tags: Vec<String>,
    /// The properties it defines.
    pub fields: Vec<String>,
    /// The properties it requires.
    pub required: Vec<String>,
    /// Its string properties with listed values, and those values.
    pub enums: Vec<(String, Vec<String>)>,
}

/// Marks a named schema already recorded as a union, so that the walk over
/// inline schemas leaves it in place.
const NAMED_UNION: &str = "x-named-union";

fn required_alternatives(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        let Some(alternatives) = obj.get("anyOf").and_then(Value::as_array) else {
            return 0;
        };
        let only_required = alternatives.iter().all(|a| {
            a.as_object()
                .is_some_and(|a| a.len() == 1 && a.contains_key("required"))
        });
        if !only_required || obj.get("properties").is_none() {
            return 0;
        }
        // Each listed property is still defined (and documented) on the
        // object itself; only the "at least one of" constraint goes.
        obj.remove("anyOf");
        1
    })
}

fn undefined_required_properties(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        let Some(defined) = obj.get("properties").and_then(Value::as_object) else {
            return 0;
        };
        let defined: Vec<String> = defined.keys().cloned().collect();
        match obj.get_mut("required").and_then(Value::as_array_mut) {
            Some(required) => {
                let before = required.len();
                required.retain(|r| r.as_str().is_some_and(|r| defined.iter().any(|d| d == r)));
                before - required.len()
            }
            None => 0,
        }
    })
}

fn double_precision_numbers(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    count_in_schemas(spec, |obj| {
        if obj.get("type") == Some(&json!("number")) && obj.get("format") == Some(&json!("float")) {
            obj.insert("format".into(), json!("double"));
            1
        } else {
            0
        }
    })
}

fn discriminated_unions(spec: &mut Value, out: &mut Out) -> Result<usize, String> {
    unions(spec, out, true)
}

fn best_fit_unions(spec: &mut Value, out: &mut Out) -> Result<usize, String> {
    unions(spec, out, false)
}

/// Whether `schema` is a union this rule handles: with a discriminator
/// (`tagged`), or a `oneOf`/`anyOf` of two or more objects without one.
fn is_union(schema: &Value, schemas: &Map<String, Value>, tagged: bool) -> bool {
    let Some(list) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    else {
        return false;
    };
    let has_tag = schema.pointer("/discriminator/propertyName").is_some();
    if tagged {
        return has_tag && schema.get("oneOf").is_some();
    }
    !has_tag
        && list.len() >= 2
        && list.iter().all(|v| {
            let v = match v["$ref"].as_str() {
                Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
                None => v,
            };
            v.get("properties").is_some()
        })
}

fn unions(spec: &mut Value, out: &mut Out, tagged: bool) -> Result<usize, String> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("spec has no schemas")?
        .clone();
    let mut taken: Vec<String> = schemas.keys().cloned().collect();
    let before = out.unions.len();
    // Unions that are named schemas stay where they are.
    let mut found: Vec<(String, Value)> = Vec::new();
    for (name, schema) in &schemas {
        if is_union(schema, &schemas, tagged) {
            found.push((name.clone(), schema.clone()));
        }
    }
    for (name, _) in &found {
        spec["components"]["schemas"][name][NAMED_UNION] = json!(true);
    }
    // Inline ones become named schemas, referenced from their place.
    let mut inline: Vec<(String, Value)> = Vec::new();
    walk_schemas(spec, &mut |schema, ctx| {
        if schema.get(NAMED_UNION).is_some() || !is_union(schema, &schemas, tagged) {
            return Ok(());
        }
        let name = unique(&typify_name(ctx, &schemas), &mut taken);
        let obj = schema.as_object_mut().ok_or("union is not an object")?;
        // Nullability and the prose of the place stay where they are.
        let mut place = Map::new();
        for key in ["description", "nullable"] {
            if let Some(v) = obj.get(key) {
                place.insert(key.to_string(), v.clone());
            }
        }
        obj.remove("nullable");
        obj.remove("type");
        place.insert(
            "allOf".into(),
            json!([{ "$ref": format!("#/components/schemas/{name}") }]),
        );
        inline.push((name, Value::Object(std::mem::replace(obj, place))));
        Ok(())
    })?;
    let mut new_schemas: Vec<(String, Value)> = Vec::new();
    for (name, mut schema) in found.into_iter().chain(inline) {
        let union = union_of(&name, &mut schema, &schemas, &mut taken, &mut new_schemas)?;
        if let Some(obj) = schema.as_object_mut() {
            obj.remove(NAMED_UNION);
        }
        new_schemas.push((name, schema));
        out.unions.push(union);
    }
    let count = out.unions.len() - before;
    let target = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("spec has no schemas")?;
    for (name, schema) in new_schemas {
        target.insert(name, schema);
    }
    Ok(count)
}

/// Describes the union `name`; inline variants become named schemas (added
/// to `new_schemas`) so that they are generated as structs of their own.
fn union_of(
    name: &str,
    schema: &mut Value,
    schemas: &Map<String, Value>,
    taken: &mut Vec<String>,
    new_schemas: &mut Vec<(String, Value)>,
) -> Result<Union, String> {
    let tag = schema
        .pointer("/discriminator/propertyName")
        .and_then(Value::as_str)
        .map(str::to_string);
    // Tag values the mapping assigns to each variant schema.
    let mut mapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(mapping) = schema
        .pointer("/discriminator/mapping")
        .and_then(Value::as_object)
    {
        for (value, target) in mapping {
            let target = target.as_str().ok_or("mapping target is not a string")?;
            let target = target.trim_start_matches("#/components/schemas/");
            mapped
                .entry(target.to_string())
                .or_default()
                .push(value.clone());
        }
    }
    let key = if schema.get("oneOf").is_some() {
        "oneOf"
    } else {
        "anyOf"
    };
    let list = schema[key].as_array_mut().ok_or("union without variants")?;
    let mut parts = Vec::new();
    for (i, entry) in list.iter_mut().enumerate() {
        let (schema_name, variant) = match entry["$ref"].as_str() {
            Some(r) => {
                let n = r.trim_start_matches("#/components/schemas/").to_string();
                let v = schemas
                    .get(&n)
                    .ok_or_else(|| format!("{name}: no schema {n}"))?
                    .clone();
                (n, v)
            }
            None => {
                let n = unique(&format!("{name}Variant{i}"), taken);
                let v = std::mem::replace(
                    entry,
                    json!({ "$ref": format!("#/components/schemas/{n}") }),
                );
                new_schemas.push((n.clone(), v.clone()));
                (n, v)
            }
        };
        let fields = defined_properties(&variant, schemas);
        let required = required_properties(&variant, schemas);
        let enums = enum_properties(&variant, schemas);
        let tags = match &tag {
            None => Vec::new(),
            Some(tag) => {
                let stated: Option<Vec<String>> = variant
                    .pointer(&format!("/properties/{tag}/enum"))
                    .and_then(Value::as_array)
                    .map(|values| {
                        values
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    });
                match (mapped.get(&schema_name), stated) {
                    (Some(m), Some(s)) if m.iter().any(|v| !s.contains(v)) => {
                        return Err(format!(
                            "{name}: the mapping gives {schema_name} the {tag} {m:?}, its schema allows {s:?}"
                        ));
                    }
                    (Some(m), _) => m.clone(),
                    (None, Some(s)) => s,
                    // Without either, the schema name is the value.
                    (None, None) => vec![schema_name.clone()],
                }
            }
        };
        parts.push((rust_type_name(&schema_name), tags, fields, required, enums));
    }
    let names = variant_names(
        &parts.iter().map(|(t, ..)| t.clone()).collect::<Vec<_>>(),
        name,
    );
    Ok(Union {
        schema: name.to_string(),
        name: rust_type_name(name),
        tag,
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        variants: parts
            .into_iter()
            .zip(names)
            .map(
                |((type_name, tags, fields, required, enums), name)| UnionVariant {
                    name,
                    type_name,
                    tags,
                    fields,
                    required,
                    enums,
                },
            )
            .collect(),
    })
}

/// The property names an object schema defines, through `allOf` too.
fn defined_properties(schema: &Value, schemas: &Map<String, Value>) -> Vec<String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => match schemas.get(r.trim_start_matches("#/components/schemas/")) {
            Some(s) => s,
            None => return Vec::new(),
        },
        None => schema,
    };
    let mut names: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        for n in defined_properties(part, schemas) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// The name typify gives an inline schema at `ctx` (a place named by
/// [`walk_schemas`]): its schema's Rust name, then the rest of the place
/// (`SAMLAccount` + `Verification` gives `SamlAccountVerification`).
fn typify_name(ctx: &str, schemas: &Map<String, Value>) -> String {
    let owner = schemas
        .keys()
        .filter(|name| ctx.starts_with(&pascal(name)))
        .max_by_key(|name| pascal(name).len());
    match owner {
        Some(name) => format!("{}{}", rust_type_name(name), &ctx[pascal(name).len()..]),
        None => heck::ToPascalCase::to_pascal_case(ctx),
    }
}

/// The string enums among an object schema's properties, with their values.
fn enum_properties(schema: &Value, schemas: &Map<String, Value>) -> Vec<(String, Vec<String>)> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => match schemas.get(r.trim_start_matches("#/components/schemas/")) {
            Some(s) => s,
            None => return Vec::new(),
        },
        None => schema,
    };
    let mut found: Vec<(String, Vec<String>)> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, prop)| Some((name.clone(), string_enum_values(prop)?)))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        found.extend(enum_properties(part, schemas));
    }
    found
}

/// The property names an object schema requires, through `allOf` too.
fn required_properties(schema: &Value, schemas: &Map<String, Value>) -> Vec<String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => match schemas.get(r.trim_start_matches("#/components/schemas/")) {
            Some(s) => s,
            None => return Vec::new(),
        },
        None => schema,
    };
    let mut names: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        for n in required_properties(part, schemas) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names
}

/// The Rust type name typify gives a named schema.
fn rust_type_name(schema_name: &str) -> String {
    heck::ToPascalCase::to_pascal_case(schema_name.replace('.', "-").as_str())
}

/// Variant names from the variants' type names: the words they all start
/// with are left out (`VerificationOtp`, `VerificationAdmin` give `Otp`,
/// `Admin`); a single variant loses the words it shares with the union's
/// name (`VerificationPasskey` in `PasskeyVerification` gives `Passkey`).
fn variant_names(types: &[String], union: &str) -> Vec<String> {
    let words: Vec<Vec<String>> = types.iter().map(|t| pascal_words(t)).collect();
    let skip = if words.len() >= 2 {
        let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
        (0..shortest.saturating_sub(1))
            .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
            .count()
    } else {
        let union_words = pascal_words(&rust_type_name(union));
        words
            .first()
            .map(|w| {
                (0..w.len().saturating_sub(1))
                    .take_while(|&i| union_words.contains(&w[i]))
                    .count()
            })
            .unwrap_or(0)
    };
    words
        .iter()
        .map(|w| {
            let name = w[skip..].concat();
            if name.starts_with(|c: char| c.is_ascii_digit()) {
                format!("V{name}")
            } else {
                name
            }
        })
        .collect()
}

/// `JwksEd25519PublicKey` gives `Jwks`, `Ed25519`, `Public`, `Key`.
fn pascal_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in name.chars() {
        match words.last_mut() {
            Some(w) if !c.is_ascii_uppercase() => w.push(c),
            _ => words.push(c.to_string()),
        }
    }
    words
}

/// Names of the component schemas that a success reply reaches.
fn reply_schema_names(spec: &Value) -> BTreeSet<String> {
    let mut pending: Vec<String> = Vec::new();
    for item in spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                if !code.starts_with('2') {
                    continue;
                }
                let response = match response["$ref"].as_str() {
                    Some(r) => {
                        &spec["components"]["responses"]
                            [r.trim_start_matches("#/components/responses/")]
                    }
                    None => response,
                };
                collect_schema_refs(response, &mut pending);
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone()) {
            collect_schema_refs(&spec["components"]["schemas"][&name], &mut pending);
        }
    }
    reached
}

fn collect_schema_refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    ("$ref", Some(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => collect_schema_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_schema_refs(v, out)),
        _ => {}
    }
}

/// Calls `f` on every schema object of every success reply: the named
/// schemas they reach, inline reply schemas and shared responses.
fn walk_reply_schemas(
    spec: &mut Value,
    f: &mut dyn FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let named = reply_schema_names(spec);
    let mut shared: BTreeSet<String> = BTreeSet::new();
    for_each_operation(spec, |_, _, op| {
        let base = pascal(operation_id(op));
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        for (code, response) in responses.iter_mut() {
            if !code.starts_with('2') {
                continue;
            }
            match response["$ref"].as_str() {
                Some(r) => {
                    shared.insert(r.trim_start_matches("#/components/responses/").to_string());
                }
                None => walk_content(response, &format!("{base}Response"), f)?,
            }
        }
        Ok(())
    })?;
    for name in shared {
        if let Some(response) = spec.pointer_mut(&format!("/components/responses/{name}")) {
            walk_content(response, &format!("{}Response", pascal(&name)), f)?;
        }
    }
    for name in named {
        if let Some(schema) = spec.pointer_mut(&format!("/components/schemas/{name}")) {
            walk_schema(schema, &pascal(&name), f)?;
        }
    }
    Ok(())
}

fn keep_unknown_fields(spec: &mut Value, _: &mut Out) -> Result<usize, String> {
    let mut changed = 0;
    walk_reply_schemas(spec, &mut |schema, _| {
        if let Some(obj) = schema.as_object_mut()
            && obj.contains_key("properties")
            && !obj.contains_key("additionalProperties")
        {
            // typify keeps the other keys in a flattened `extra` map.
            obj.insert("additionalProperties".into(), json!({}));
            changed += 1;
        }
        Ok(())
    })?;
    Ok(changed)
}
