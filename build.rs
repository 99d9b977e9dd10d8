//! Generates the Backend API client from the vendored spec under `openapi/`.
//!
//! Steps: bundle the split spec (`build/bundle.rs`), apply the named
//! adaptation rules (`build/rules.rs`), run progenitor, put the open enums the
//! rules emit into the generated `types` module, and write the result plus a
//! report of the rules to `OUT_DIR`. Webhook event types are generated from
//! `openapi/webhooks/` by `build/webhooks.rs`.

#[path = "build/bundle.rs"]
mod bundle;
#[path = "build/groups.rs"]
mod groups;
#[path = "build/postprocess.rs"]
mod postprocess;
#[path = "build/replies.rs"]
mod replies;
#[path = "build/rules.rs"]
mod rules;
#[path = "build/surface.rs"]
mod surface;
#[path = "build/webhooks.rs"]
mod webhooks;

use quote::{format_ident, quote};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rerun-if-changed=openapi");
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    webhooks::generate();
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?);

    let mut spec_json = bundle::bundle(&root.join("openapi/bapi"))?;
    // Rules see the whole spec (their counts and checks are about it); the
    // groups a build leaves out are removed afterwards.
    let mut adapted = rules::apply(&mut spec_json)?;
    groups::trim(&mut spec_json, &groups::disabled(), &adapted.excluded)?;
    let kept = |name: &str| spec_json["components"]["schemas"].get(name).is_some();
    adapted.open_enums.retain(|e| kept(&e.name));
    adapted.unions.retain(|u| kept(&u.schema));
    adapted.nullable_fields.retain(|f| kept(&f.name));
    let ops = surface::operations(&spec_json);
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(spec_json.clone()).map_err(|e| format!("openapi/bapi: {e}"))?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Separate)
        .with_derive("schemars::JsonSchema")
        .with_inner_type(quote!(crate::client::Inner))
        .with_hooks(progenitor::HooksMode::Expected);
    for e in &adapted.open_enums {
        settings.with_replacement(
            &e.name,
            format!("crate::api::types::{}", e.name),
            [progenitor::TypeImpl::FromStr, progenitor::TypeImpl::Display].into_iter(),
        );
    }
    for u in &adapted.unions {
        settings.with_replacement(
            &u.schema,
            format!("crate::api::types::{}", u.name),
            std::iter::empty(),
        );
    }
    for f in &adapted.nullable_fields {
        settings.with_replacement(
            &f.name,
            format!("crate::Nullable<{}>", f.rust_type),
            std::iter::empty(),
        );
    }
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor: {e}"))?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| format!("parse: {e}"))?;
    postprocess::drop_reply_builders(&mut file)?;
    postprocess::absent_nullable_is_none(&mut file)?;
    let enums = open_enums(&adapted.open_enums)?;
    push_items(&mut file, "types", enums)?;
    let unions = one_ofs(&adapted.unions)?;
    push_items(&mut file, "types", unions)?;
    let (builder_items, page_items) = surface::pagination(&file, &spec_json, &ops)?;
    push_items(&mut file, "builder", builder_items)?;
    push_items(&mut file, "types", page_items)?;
    let linked = surface::link_operation_docs(&mut file)?;
    if let Some(op) = ops.iter().find(|op| !linked.contains(&op.method_name)) {
        return Err(format!(
            "the docs of {} were not linked to its types",
            op.id
        ));
    }
    let string_types = string_types(&file, &adapted.open_enums);
    let (param_setters, body_setters) = postprocess::natural_setters(&mut file, &string_types)?;
    // Read before `one_error_type` rewrites the `ResponseValue<T>` it looks for.
    let replies_table = replies::table(&file, &ops)?;
    let sends = postprocess::one_error_type(&mut file)?;
    let version_headers = postprocess::drop_api_version_header(&mut file)?;
    // Each operation on exactly one trait (the build fails otherwise).
    surface::operation_traits(&file)?;

    let code = prettyplease::unparse(&file);
    if code.contains("deny_unknown_fields") {
        return Err("generated code still rejects unknown fields".into());
    }
    write(&out.join("bapi.rs"), &code)?;
    write(&out.join("replies.rs"), &replies_table)?;
    write(
        &out.join("operations.rs"),
        &surface::operations_table(&ops, rules::EXCLUDED_OPERATIONS),
    )?;

    write(&out.join("prelude_calls.rs"), &surface::prelude_calls(&ops))?;

    let mut report = String::new();
    for a in &adapted.applied {
        report.push_str(&format!("{} {}\n", a.name, a.count));
    }
    report.push_str(&format!(
        "(post-generation) natural_setters {param_setters} request-builder setters, \
         {body_setters} body-builder setters\n(post-generation) one_error_type {sends}\n\
         (post-generation) drop_api_version_header {version_headers}\n"
    ));
    let enum_values: Vec<(String, Vec<String>)> = adapted
        .open_enums
        .iter()
        .map(|e| (e.name.clone(), e.values.clone()))
        .collect();
    let digest = surface::digest(
        &file,
        &ops,
        &report,
        rules::EXCLUDED_OPERATIONS,
        &enum_values,
    )?;
    let digest = digest + &unions_digest(&adapted.unions);
    write(&out.join("surface.txt"), &digest)?;
    Ok(())
}

/// The string types of the API: the open enums, and the types typify
/// generates with `FromStr` (string newtypes such as `PasswordHasher`).
fn string_types(file: &syn::File, open_enums: &[rules::OpenEnum]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = open_enums.iter().map(|e| e.name.clone()).collect();
    let types = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|c| &c.1),
        _ => None,
    });
    for item in types.into_iter().flatten() {
        if let syn::Item::Impl(imp) = item
            && let Some((path, _)) = &imp.trait_
            && path.segments.last().is_some_and(|s| s.ident == "FromStr")
            && let syn::Type::Path(p) = &*imp.self_ty
            && let Some(last) = p.path.segments.last()
        {
            names.insert(last.ident.to_string());
        }
    }
    names
}

/// Appends items to the module `name` at the top of the generated file.
fn push_items(file: &mut syn::File, name: &str, items: Vec<syn::Item>) -> Result<(), String> {
    let module = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => m.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| format!("generated code has no `{name}` module"))?;
    module.1.extend(items);
    Ok(())
}

/// One `open_enum!` invocation per open enum, for `mod types`.
fn open_enums(enums: &[rules::OpenEnum]) -> Result<Vec<syn::Item>, String> {
    let mut items = Vec::new();
    for e in enums {
        let name = format_ident!("{}", e.name);
        let doc = e
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}` values.", e.name));
        let variants = e.values.iter().map(|v| {
            let variant = format_ident!("{}", rules::variant_name(v));
            let doc = format!("`{v}`");
            quote!(#[doc = #doc] #variant => #v,)
        });
        let tokens = quote! {
            crate::open_enum::open_enum! {
                #[doc = #doc]
                #name { #(#variants)* }
            }
        };
        items.push(syn::parse2(tokens).map_err(|e| format!("open enum: {e}"))?);
    }
    Ok(items)
}

/// The unions build.rs emits, for the surface digest (the digest of
/// typify's types does not see them).
fn unions_digest(unions: &[rules::Union]) -> String {
    let mut text = String::from("\n# Unions\n");
    for u in unions {
        let tag = u
            .tag
            .as_deref()
            .map(|t| format!(" by {t}"))
            .unwrap_or_default();
        text.push_str(&format!("enum {}{tag} {{ ", u.name));
        for v in &u.variants {
            let tags = match v.tags.as_slice() {
                [] => String::new(),
                tags => format!(" = {}", tags.join(" | ")),
            };
            text.push_str(&format!(
                "{}({}){tags} requires [{}], ",
                v.name,
                v.type_name,
                v.required.join(", ")
            ));
        }
        text.push_str("Unknown(serde_json::Value) }\n");
    }
    text
}

/// One `one_of!` invocation per union, for `mod types`.
fn one_ofs(unions: &[rules::Union]) -> Result<Vec<syn::Item>, String> {
    let mut items = Vec::new();
    for u in unions {
        let name = format_ident!("{}", u.name);
        let doc = u
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}`: one of several object shapes.", u.name));
        let tag = u.tag.as_ref().map(|t| quote!(tag #t));
        let variants = u.variants.iter().map(|v| {
            let variant = format_ident!("{}", v.name);
            let ty = format_ident!("{}", v.type_name);
            let tags = &v.tags;
            let fields = &v.fields;
            let required = &v.required;
            let enums = v
                .enums
                .iter()
                .map(|(property, values)| quote!(#property = [#(#values),*]));
            let doc = match (&u.tag, v.tags.as_slice()) {
                (Some(t), [one]) => format!("`{t}` is `{one}`."),
                (Some(t), many) if !many.is_empty() => {
                    format!("`{t}` is one of `{}`.", many.join("`, `"))
                }
                _ => format!("A [`{}`].", v.type_name),
            };
            quote! {
                #[doc = #doc]
                #variant(#ty)
                    tags [#(#tags),*]
                    fields [#(#fields),*]
                    required [#(#required),*]
                    enums [#(#enums),*],
            }
        });
        let tokens = quote! {
            crate::one_of::one_of! {
                #[doc = #doc]
                #name #tag description #doc { #(#variants)* }
            }
        };
        items.push(syn::parse2(tokens).map_err(|e| format!("union {}: {e}", u.name))?);
    }
    Ok(items)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
