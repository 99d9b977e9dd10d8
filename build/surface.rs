//! Reads the generated code back and describes it: the operations table the
//! client uses at run time, the pagination helpers, and a compact digest of
//! the public surface that the snapshot test compares (so every change of the
//! spec or of the generator shows up as a reviewable diff).

use quote::{ToTokens, format_ident, quote};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One operation as the spec states it.
pub struct Operation {
    pub id: String,
    pub method_name: String,
    pub http_method: String,
    pub path: String,
    pub tag: String,
}

/// The operations of the (adapted) spec, in document order.
pub fn operations(spec: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    let Some(paths) = spec["paths"].as_object() else {
        return ops;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(name) = op["operationId"].as_str() else {
                continue;
            };
            // Clerk's id, when a rule changed the one code is generated from.
            let id = op["x-operation-id"].as_str().unwrap_or(name);
            ops.push(Operation {
                id: id.to_string(),
                method_name: heck::ToSnakeCase::to_snake_case(name),
                http_method: method.to_uppercase(),
                path: path.clone(),
                tag: op["tags"][0].as_str().unwrap_or("").to_string(),
            });
        }
    }
    ops
}

/// A type rendered compactly: `Option<Vec<types::User>>`.
fn ty(t: &syn::Type) -> String {
    compact(&t.to_token_stream().to_string())
}

fn compact(tokens: &str) -> String {
    // Drop the spaces the token printer puts everywhere, keeping one only
    // between two words (`dyn Trait`, `'a mut`), then one after each comma.
    let chars: Vec<char> = tokens.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'';
    let mut s = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = s.chars().last();
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if let (Some(b), Some(&a)) = (before, after)
                && word(b)
                && word(a)
                && !s.ends_with(' ')
            {
                s.push(' ');
            }
        } else {
            s.push(c);
            if c == ',' {
                s.push(' ');
            }
        }
    }
    for prefix in [
        "::std::string::",
        "::std::vec::",
        "::std::option::",
        "::std::num::",
    ] {
        s = s.replace(prefix, "");
    }
    s.replace("::serde_json::", "serde_json::")
        .replace("crate::api::types::", "")
        .replace("super::", "")
        .replace("types::", "")
        .replace(", >", ">")
        .replace(",  ", ", ")
}

/// `{ a: A, b: B }` or `(A)`, without attributes.
fn fields(f: &syn::Fields) -> String {
    match f {
        syn::Fields::Named(named) => {
            let list: Vec<String> = named
                .named
                .iter()
                .filter_map(|f| Some(format!("{}: {}", f.ident.as_ref()?, ty(&f.ty))))
                .collect();
            format!("{{ {} }}", list.join(", "))
        }
        syn::Fields::Unnamed(unnamed) => {
            let list: Vec<String> = unnamed.unnamed.iter().map(|f| ty(&f.ty)).collect();
            format!("({})", list.join(", "))
        }
        syn::Fields::Unit => String::new(),
    }
}

/// The items of `mod name` at the top of the generated file.
fn module<'a>(file: &'a syn::File, name: &str) -> Option<&'a Vec<syn::Item>> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|c| &c.1),
        _ => None,
    })
}

/// The request builder of every operation: its fields and reply type.
struct Builder {
    fields: Vec<(String, String)>,
    success: String,
}

fn builders(file: &syn::File) -> BTreeMap<String, Builder> {
    let mut out = BTreeMap::new();
    let Some(items) = module(file, "builder") else {
        return out;
    };
    for item in items {
        if let syn::Item::Struct(s) = item {
            let fields = s
                .fields
                .iter()
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), ty(&f.ty))))
                .filter(|(name, _)| name != "client")
                .map(|(name, t)| (name, builder_field_type(&t)))
                .collect();
            out.insert(
                s.ident.to_string(),
                Builder {
                    fields,
                    success: String::new(),
                },
            );
        }
    }
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            if f.sig.ident != "send" {
                continue;
            }
            if let syn::ReturnType::Type(_, t) = &f.sig.output
                && let Some(b) = out.get_mut(&name)
            {
                b.success = reply_type(t).map(|t| ty(&t)).unwrap_or_default();
            }
        }
    }
    out
}

/// `Result<Option<T>, String>` -> `Option<T>`; `Result<T, String>` -> `T`.
fn builder_field_type(t: &str) -> String {
    t.strip_prefix("Result<")
        .and_then(|rest| rest.strip_suffix(", String>"))
        .map(|inner| inner.replace("builder::", ""))
        .unwrap_or_else(|| t.to_string())
}

/// Builder struct name progenitor derives from a method name.
fn builder_name(method_name: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(method_name)
}

/// Checks that every operation has its builder and returns the digest text.
pub fn digest(
    file: &syn::File,
    ops: &[Operation],
    rules_report: &str,
    excluded: &[(&str, &str)],
    open_enums: &[(String, Vec<String>)],
) -> Result<String, String> {
    let builders = builders(file);
    let traits = operation_traits(file)?;
    let mut out = String::new();
    let _ = writeln!(out, "# Adaptation rules (name, places changed)");
    out.push_str(rules_report);
    let _ = writeln!(out, "\n# Excluded operations");
    for (id, reason) in excluded {
        let _ = writeln!(out, "{id}: {reason}");
    }
    let _ = writeln!(
        out,
        "\n# Operations: method | trait | HTTP path | parameters | body -> reply \
         (every send() returns crate::Result<reply>)"
    );
    let mut sorted: Vec<&Operation> = ops.iter().collect();
    sorted.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    for op in sorted {
        let b = builders
            .get(&builder_name(&op.method_name))
            .ok_or_else(|| format!("no builder generated for {}", op.id))?;
        let params: Vec<String> = b
            .fields
            .iter()
            .filter(|(n, _)| n != "body")
            .map(|(n, t)| format!("{n}: {t}"))
            .collect();
        let body = b
            .fields
            .iter()
            .find(|(n, _)| n == "body")
            .map(|(_, t)| t.as_str())
            .unwrap_or("-");
        let owner = traits
            .get(&op.method_name)
            .ok_or_else(|| format!("{} is on no extension trait", op.method_name))?;
        let _ = writeln!(
            out,
            "{} | {} | {} {} | {} | {} -> {}",
            op.method_name,
            owner,
            op.http_method,
            op.path,
            params.join(", "),
            body,
            b.success,
        );
    }
    let _ = writeln!(out, "\n# Types");
    for item in module(file, "types").into_iter().flatten() {
        match item {
            syn::Item::Struct(s) => {
                let _ = writeln!(out, "struct {} {}", s.ident, fields(&s.fields));
            }
            syn::Item::Enum(e) => {
                let variants: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| match &v.fields {
                        syn::Fields::Unit => v.ident.to_string(),
                        f => format!("{}{}", v.ident, fields(f)),
                    })
                    .collect();
                let _ = writeln!(out, "enum {} {{ {} }}", e.ident, variants.join(", "));
            }
            _ => {}
        }
    }
    let _ = writeln!(out, "\n# Open enums (each also has Unknown(String))");
    let mut enums: Vec<_> = open_enums.iter().collect();
    enums.sort();
    for (name, values) in enums {
        let _ = writeln!(out, "{name} {{ {} }}", values.join(", "));
    }
    Ok(out)
}

/// The extension trait of every operation method. Fails when a method is on
/// several traits: with all of them in the prelude, a call would be
/// ambiguous (E0034).
pub fn operation_traits(file: &syn::File) -> Result<BTreeMap<String, String>, String> {
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Trait(t) = item else { continue };
        let name = t.ident.to_string();
        if !(name.starts_with("Client") && name.ends_with("Ext")) {
            continue;
        }
        for trait_item in &t.items {
            let syn::TraitItem::Fn(f) = trait_item else {
                continue;
            };
            let method = f.sig.ident.to_string();
            if let Some(other) = owners.insert(method.clone(), name.clone()) {
                return Err(format!(
                    "{method} is on {other} and {name}: ambiguous under the prelude; \
                     see the rule one_tag_per_operation"
                ));
            }
        }
    }
    Ok(owners)
}

/// A test source that calls every operation through the prelude, so that a
/// method that cannot be called as `clerk.<method>()` fails to compile.
pub fn prelude_calls(ops: &[Operation]) -> String {
    let mut sorted: Vec<&Operation> = ops.iter().collect();
    sorted.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    let calls = sorted.iter().map(|op| {
        let m = format_ident!("{}", op.method_name);
        let name = &op.method_name;
        quote!((#name, ::std::any::type_name_of_val(&clerk.#m())),)
    });
    let tokens = quote! {
        /// Every generated operation called as a method of `Clerk`, with
        /// the type of the request builder it returns.
        pub fn every_operation(clerk: &Clerk) -> Vec<(&'static str, &'static str)> {
            vec![#(#calls)*]
        }
    };
    tokens.to_string()
}

/// The operations table compiled into the crate.
pub fn operations_table(ops: &[Operation], excluded: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&Operation> = ops.iter().collect();
    sorted.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    let rows = sorted.iter().map(|op| {
        let (m, id, http, path, tag) = (&op.method_name, &op.id, &op.http_method, &op.path, &op.tag);
        quote! {
            Operation { method_name: #m, operation_id: #id, http_method: #http, path: #path, tag: #tag },
        }
    });
    let excluded_rows = excluded.iter().map(|(id, reason)| quote!((#id, #reason),));
    let tokens = quote! {
        /// Every generated operation, sorted by method name.
        pub static OPERATIONS: &[Operation] = &[#(#rows)*];
        /// Operations of the spec that are not generated, with the reason.
        pub static EXCLUDED_OPERATIONS: &[(&str, &str)] = &[#(#excluded_rows)*];
    };
    tokens.to_string()
}

/// `stream()` and `pages()` for every request builder that takes `limit` and
/// `offset` (with the largest page size the spec allows for it), and `Page`
/// for every list reply shaped `{data, total_count}`. Returns the items to add
/// to the `builder` and `types` modules.
pub fn pagination(
    file: &syn::File,
    spec: &Value,
    ops: &[Operation],
) -> Result<(Vec<syn::Item>, Vec<syn::Item>), String> {
    let items = module(file, "builder").ok_or("generated code has no `builder` module")?;
    let mut builder_items = Vec::new();
    for item in items {
        let syn::Item::Struct(s) = item else { continue };
        let field = |name: &str| {
            s.fields
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
                .map(|f| ty(&f.ty))
        };
        let (Some(limit), Some(offset)) = (field("limit"), field("offset")) else {
            continue;
        };
        let name = s.ident.to_string();
        let op = ops
            .iter()
            .find(|op| builder_name(&op.method_name) == name)
            .ok_or_else(|| format!("builder {name} has no operation"))?;
        let page = success_type(items, &name)
            .ok_or_else(|| format!("builder {name}: cannot read the reply type of send()"))?;
        let max = limit_maximum(spec, op).unwrap_or(500);
        let ident = format_ident!("{}", name);
        let convert = |t: &str, v: proc_macro2::TokenStream| {
            if t.contains("f64") {
                quote!(#v as f64)
            } else {
                v
            }
        };
        let limit_value = convert(&limit, quote!(page.limit));
        let offset_value = convert(&offset, quote!(page.offset));
        let doc = format!(
            "Every item of every page, fetched `limit` at a time (at most {max}, the largest \
             page this operation allows). Other parameters set on the builder apply to every \
             page; `limit` and `offset` are managed here."
        );
        let tokens = quote! {
            impl<'a> #ident<'a> {
                #[doc = #doc]
                ///
                /// See [`crate::pagination`] for when the stream ends.
                pub fn stream(self) -> impl ::futures::Stream<Item = crate::Result<<#page as crate::pagination::Page>::Item>> + 'a {
                    crate::pagination::items(self.pages())
                }

                /// Like [`stream`](Self::stream), one page at a time.
                pub fn pages(self) -> impl ::futures::Stream<Item = crate::Result<#page>> + 'a {
                    self.pages_of(#max)
                }

                /// Like [`pages`](Self::pages), `size` items a page (at
                /// least 1, at most the operation's maximum).
                pub fn pages_of(self, size: u64) -> impl ::futures::Stream<Item = crate::Result<#page>> + 'a {
                    crate::pagination::pages(size.clamp(1, #max), move |page: crate::pagination::PageRequest| {
                        let request = self.clone().limit(#limit_value).offset(#offset_value);
                        async move { request.send().await }
                    })
                }
            }
        };
        builder_items.push(syn::parse2(tokens).map_err(|e| format!("pagination for {name}: {e}"))?);
    }
    if builder_items.is_empty() {
        return Err("no operation takes limit and offset".into());
    }

    // List replies: a `total_count` next to one list field, either a `Vec`
    // or a newtype around one (`Directories(Vec<Directory>)`).
    let types = module(file, "types").ok_or("generated code has no `types` module")?;
    let newtype_lists: BTreeMap<String, syn::Type> = types
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => match &s.fields {
                syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                    Some((s.ident.to_string(), vec_item(&f.unnamed[0].ty)?))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut type_items = Vec::new();
    // A newtype list is a page without a count.
    for (name, item_ty) in &newtype_lists {
        let ident = format_ident!("{}", name);
        let tokens = quote! {
            impl crate::pagination::Page for #ident {
                type Item = #item_ty;
                fn into_items(self) -> ::std::vec::Vec<Self::Item> { self.0 }
                fn len(&self) -> usize { self.0.len() }
                fn total_count(&self) -> Option<i64> { None }
            }
        };
        type_items.push(syn::parse2(tokens).map_err(|e| format!("Page for {name}: {e}"))?);
    }
    for item in types {
        let syn::Item::Struct(s) = item else { continue };
        let syn::Fields::Named(named) = &s.fields else {
            continue;
        };
        let Some(total) = named
            .named
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| i == "total_count"))
        else {
            continue;
        };
        let lists: Vec<(&syn::Ident, syn::Type, bool)> = named
            .named
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                if let Some(item) = vec_item(&f.ty) {
                    return Some((ident, item, false));
                }
                let name = f.ty.to_token_stream().to_string();
                newtype_lists
                    .get(&name)
                    .map(|item| (ident, item.clone(), true))
            })
            .collect();
        let [(field, item_ty, newtype)] = lists.as_slice() else {
            continue;
        };
        let items = if *newtype {
            quote!(self.#field.0)
        } else {
            quote!(self.#field)
        };
        let total_ty = ty(&total.ty);
        let total_expr = match total_ty.as_str() {
            t if t.starts_with("Option<") => quote!(self.total_count.map(|n| n as i64)),
            _ => quote!(Some(self.total_count as i64)),
        };
        let ident = &s.ident;
        let tokens = quote! {
            impl crate::pagination::Page for #ident {
                type Item = #item_ty;
                fn into_items(self) -> ::std::vec::Vec<Self::Item> { #items }
                fn len(&self) -> usize { #items.len() }
                fn total_count(&self) -> Option<i64> { #total_expr }
            }
        };
        type_items.push(syn::parse2(tokens).map_err(|e| format!("Page for {ident}: {e}"))?);
    }
    Ok((builder_items, type_items))
}

/// `T` of a `send()` returning `crate::Result<T>`, or (before
/// `postprocess::one_error_type`) progenitor's `Result<ResponseValue<T>, _>`.
fn reply_type(t: &syn::Type) -> Option<syn::Type> {
    let first = generic_arg(t, 0)?;
    match &first {
        syn::Type::Path(p) if p.path.segments.last()?.ident == "ResponseValue" => {
            generic_arg(&first, 0)
        }
        _ => Some(first),
    }
}

/// `T` of `send()` of builder `name`.
fn success_type(items: &[syn::Item], name: &str) -> Option<syn::Type> {
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if p.path.segments.last()?.ident != name {
            continue;
        }
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            if f.sig.ident != "send" {
                continue;
            }
            let syn::ReturnType::Type(_, t) = &f.sig.output else {
                return None;
            };
            return reply_type(t);
        }
    }
    None
}

/// The `n`th type argument of the last path segment of `t`.
fn generic_arg(t: &syn::Type, n: usize) -> Option<syn::Type> {
    let syn::Type::Path(p) = t else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .nth(n)
}

fn vec_item(t: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = t else { return None };
    if p.path.segments.last()?.ident != "Vec" {
        return None;
    }
    generic_arg(t, 0)
}

fn limit_maximum(spec: &Value, op: &Operation) -> Option<u64> {
    let params = spec["paths"][&op.path][op.http_method.to_lowercase()]["parameters"].as_array()?;
    for p in params {
        let p = match p["$ref"].as_str() {
            Some(r) => spec.pointer(r.trim_start_matches('#'))?,
            None => p,
        };
        if p["name"] == "limit" {
            return p["schema"]["maximum"].as_u64();
        }
    }
    None
}

/// Adds to the documentation of every operation method links to its request
/// builder, its body type and its reply type, so the docs lead from an
/// operation to the types it takes and returns.
pub fn link_operation_docs(
    file: &mut syn::File,
) -> Result<std::collections::BTreeSet<String>, String> {
    let builders = builders(file);
    let type_names: std::collections::BTreeSet<String> = module(file, "types")
        .into_iter()
        .flatten()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    let link_types = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| type_names.contains(*word))
            .map(|word| format!("[`{word}`](types::{word})"))
            .collect()
    };
    let mut linked = std::collections::BTreeSet::new();
    for item in &mut file.items {
        let syn::Item::Trait(t) = item else { continue };
        if !t.ident.to_string().starts_with("Client") {
            continue;
        }
        if let Some(example) = trait_example(t, &builders) {
            t.attrs.push(syn::parse_quote!(#[doc = #example]));
        }
        for trait_item in &mut t.items {
            let syn::TraitItem::Fn(f) = trait_item else {
                continue;
            };
            let name = builder_name(&f.sig.ident.to_string());
            let Some(b) = builders.get(&name) else {
                return Err(format!("no builder {name} for a client method"));
            };
            let mut lines = vec![format!("Request builder: [`{name}`](builder::{name}).")];
            if let Some((_, body)) = b.fields.iter().find(|(n, _)| n == "body") {
                let links = link_types(body);
                if !links.is_empty() {
                    lines.push(format!("Body: {}.", links.join(", ")));
                }
            }
            let reply = link_types(&b.success);
            if !reply.is_empty() {
                lines.push(format!("Reply: {}.", reply.join(", ")));
            }
            lines.push(
                "Errors: [`crate::Error`]; a 4xx or 5xx reply is [`Error::Api`](crate::Error::Api) \
                 with Clerk's errors."
                    .to_string(),
            );
            let doc = format!("\n\n{}", lines.join("\n"));
            f.attrs.push(syn::parse_quote!(#[doc = #doc]));
            linked.insert(f.sig.ident.to_string());
        }
    }
    Ok(linked)
}

/// A compiled example for a resource trait: its first operation that takes
/// no body and only string parameters (an id in the path, say).
fn trait_example(t: &syn::ItemTrait, builders: &BTreeMap<String, Builder>) -> Option<String> {
    for trait_item in &t.items {
        let syn::TraitItem::Fn(f) = trait_item else {
            continue;
        };
        let method = f.sig.ident.to_string();
        let b = builders.get(&builder_name(&method))?;
        if b.fields.iter().any(|(n, _)| n == "body") {
            continue;
        }
        let required: Vec<&String> = b
            .fields
            .iter()
            .filter(|(_, t)| !t.starts_with("Option<"))
            .map(|(n, _)| n)
            .collect();
        if b.fields
            .iter()
            .any(|(_, t)| !t.starts_with("Option<") && t != "String")
        {
            continue;
        }
        let setters: String = required
            .iter()
            .map(|n| format!("\n    .{n}(\"{}\")", example_value(n)))
            .collect();
        return Some(format!(
            "\n\n# Example\n\n```no_run\nuse clerk_backend_api::prelude::*;\n\n\
             # async fn run(clerk: Clerk) -> clerk_backend_api::Result<()> {{\n\
             let reply = clerk\n    .{method}(){setters}\n    .send()\n    .await?;\n\
             println!(\"{{reply:?}}\");\n# Ok(())\n# }}\n```"
        ));
    }
    None
}

/// A plausible value for a parameter, from its name.
fn example_value(name: &str) -> String {
    let prefix = match name {
        "user_id" => "user_",
        "organization_id" => "org_",
        "session_id" => "sess_",
        "client_id" => "client_",
        "invitation_id" => "inv_",
        _ => "",
    };
    if prefix.is_empty() {
        format!("{name}_123")
    } else {
        format!("{prefix}123")
    }
}
