//! Named steps on the generated code itself (after progenitor, before the
//! code is written). Like the spec rules, each counts what it changed and
//! fails the build when it changes nothing.

use quote::{ToTokens, quote};
use std::collections::BTreeSet;

/// typify writes a builder (`types::builder::X`) for every struct; the
/// request builders only use those of request bodies. The others (reply
/// types, which callers decode rather than build) are dropped: they were half
/// of the generated code, and compile time follows its size.
pub fn drop_reply_builders(file: &mut syn::File) -> Result<usize, String> {
    // Builders named by the request builders (`types::builder::CreateUserBody`).
    let mut used = BTreeSet::new();
    for item in &file.items {
        if let syn::Item::Mod(m) = item
            && m.ident == "builder"
        {
            collect_builder_refs(m.to_token_stream(), &mut used);
        }
    }
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("generated code has no `types` module")?;
    let keep = |name: &str| used.contains(name);
    // `impl X { pub fn builder() -> builder::X }` on the types themselves.
    let before = types.1.len();
    types.1.retain(|item| match item {
        syn::Item::Impl(imp) if imp.trait_.is_none() && is_builder_fn_only(imp) => {
            self_name(imp).is_none_or(|name| keep(&name))
        }
        _ => true,
    });
    let removed_fns = before - types.1.len();
    let builders = types
        .1
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("generated code has no `types::builder` module")?;
    let before = builders.1.len();
    builders.1.retain(|item| match item {
        syn::Item::Struct(s) => keep(&s.ident.to_string()),
        syn::Item::Impl(imp) => self_name(imp).is_none_or(|name| keep(&name)),
        _ => true,
    });
    let removed = before - builders.1.len();
    if removed == 0 || removed_fns == 0 {
        return Err("drop_reply_builders: typify's builders are not where expected".into());
    }
    Ok(removed_fns)
}

/// Names following `types::builder::` in a token stream.
fn collect_builder_refs(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    let mut recent: Vec<String> = Vec::new();
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Group(g) => collect_builder_refs(g.stream(), out),
            proc_macro2::TokenTree::Ident(ident) => {
                let text = ident.to_string();
                if recent.len() >= 2
                    && recent[recent.len() - 2] == "types"
                    && recent[recent.len() - 1] == "builder"
                {
                    out.insert(text.clone());
                }
                recent.push(text);
            }
            proc_macro2::TokenTree::Punct(_) => {}
            proc_macro2::TokenTree::Literal(_) => recent.clear(),
        }
    }
}

/// The last segment of an impl's self type (`super::X` and `X` give `X`).
fn self_name(imp: &syn::ItemImpl) -> Option<String> {
    match &*imp.self_ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn is_builder_fn_only(imp: &syn::ItemImpl) -> bool {
    imp.items.len() == 1
        && matches!(&imp.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder")
}

/// The field types the setters convert to through `crate::convert`, as the
/// generated code spells them (spaces removed).
fn leaf_type(t: &str, string_types: &BTreeSet<String>) -> Option<String> {
    const PLAIN: &[&str] = &[
        "::std::string::String",
        "bool",
        "i64",
        "u64",
        "f64",
        "::std::num::NonZeroU64",
        "::std::vec::Vec<::std::string::String>",
        "::serde_json::Map<::std::string::String,::serde_json::Value>",
        "::serde_json::Value",
    ];
    if PLAIN.contains(&t) {
        return Some(t.to_string());
    }
    // A string type of the API, or a list of them.
    let (list, name) = match t
        .strip_prefix("::std::vec::Vec<")
        .and_then(|rest| rest.strip_suffix('>'))
    {
        Some(inner) => (true, inner),
        None => (false, t),
    };
    let short = name
        .strip_prefix("crate::api::types::")
        .or_else(|| name.strip_prefix("super::"))
        .or_else(|| name.strip_prefix("types::"))?;
    string_types.contains(short).then(|| {
        if list {
            format!("::std::vec::Vec<crate::api::types::{short}>")
        } else {
            format!("crate::api::types::{short}")
        }
    })
}

/// How a body field wraps its type: `T`, `Option<T>` or `Option<Nullable<T>>`.
fn field_shape(t: &str) -> (&'static str, &str) {
    if let Some(inner) = t
        .strip_prefix("::std::option::Option<crate::Nullable<")
        .and_then(|rest| rest.strip_suffix(">>"))
    {
        return ("IntoNullableArg", inner);
    }
    if let Some(inner) = t
        .strip_prefix("::std::option::Option<")
        .and_then(|rest| rest.strip_suffix('>'))
    {
        return ("IntoOptionalArg", inner);
    }
    ("IntoArg", t)
}

fn no_spaces(tokens: impl ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        // A trailing comma inside angle brackets (`Map<A, B,>`) from the printer.
        .replace(",>", ">")
}

/// The target of a setter's `V: TryInto<X>` bound.
fn try_into_target(f: &syn::ImplItemFn) -> Option<syn::Type> {
    let [syn::GenericParam::Type(param)] = f.sig.generics.params.iter().collect::<Vec<_>>()[..]
    else {
        return None;
    };
    let clause = f.sig.generics.where_clause.as_ref()?;
    for predicate in &clause.predicates {
        let syn::WherePredicate::Type(p) = predicate else {
            continue;
        };
        if param.ident != no_spaces(&p.bounded_ty) {
            continue;
        }
        for bound in &p.bounds {
            let syn::TypeParamBound::Trait(tb) = bound else {
                continue;
            };
            let last = tb.path.segments.last()?;
            if last.ident != "TryInto" {
                continue;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            if let Some(syn::GenericArgument::Type(t)) = args.args.first() {
                return Some(t.clone());
            }
        }
    }
    None
}

/// The mutable module `name` inside `items`.
fn module_mut<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    })
}

/// Setters take what a Rust programmer has at hand: `&str` for a string,
/// an integer literal for any number (a `NonZeroU64` too), arrays and
/// iterators for lists, `json!` for JSON objects, a plain value for an
/// optional or nullable field (see `src/convert.rs`). progenitor and typify
/// bound setters by `TryInto<FieldType>`, which only the field type itself
/// (and `Nullable::from(..)`, `Some(..to_string())`, ...) satisfies.
///
/// Rewrites the bound of every setter whose field type `crate::convert`
/// knows into the matching `crate::convert` trait, so that a failed
/// conversion (a limit of 0, a JSON array for metadata) becomes an error
/// that names the field, returned by `send()`. Optional body fields of
/// other types (nested objects, timestamps) take the value or an `Option` of
/// it; the remaining setters (required nested objects, the request body
/// itself) keep their `TryInto` bound, which also takes a body builder.
/// `string_types` are the API's string enums and string newtypes (they
/// implement `FromStr`); the conversions of those a setter takes, and of the
/// other types, are added to the `types` module. Returns (request-builder
/// setters, body-builder setters).
pub fn natural_setters(
    file: &mut syn::File,
    string_types: &BTreeSet<String>,
) -> Result<(usize, usize), String> {
    let mut used_string_types = BTreeSet::new();
    let mut exact_types = BTreeSet::new();
    let params = {
        let builder = module_mut(&mut file.items, "builder")
            .ok_or("generated code has no `builder` module")?;
        rewrite_setters(
            builder,
            string_types,
            &mut used_string_types,
            &mut exact_types,
            false,
        )?
    };
    let types =
        module_mut(&mut file.items, "types").ok_or("generated code has no `types` module")?;
    let bodies = {
        let builders =
            module_mut(types, "builder").ok_or("generated code has no `types::builder` module")?;
        rewrite_setters(
            builders,
            string_types,
            &mut used_string_types,
            &mut exact_types,
            true,
        )?
    };
    if params == 0 || bodies == 0 || used_string_types.is_empty() {
        return Err(format!(
            "natural_setters: the setters are not where expected ({params} request-builder \
             setters, {bodies} body-builder setters, {} string types)",
            used_string_types.len()
        ));
    }
    let names = used_string_types
        .iter()
        .map(|n| quote::format_ident!("{}", n));
    types.push(syn::parse_quote!(crate::convert::string_type!(#(#names),*);));
    let exact = exact_types
        .iter()
        .map(|t| syn::parse_str::<syn::Type>(t).map_err(|e| format!("{t}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if !exact.is_empty() {
        types.push(syn::parse_quote!(crate::convert::exact_type!(#(#exact),*);));
    }
    Ok((params, bodies))
}

fn rewrite_setters(
    items: &mut [syn::Item],
    string_types: &BTreeSet<String>,
    used_string_types: &mut BTreeSet<String>,
    exact_types: &mut BTreeSet<String>,
    bodies: bool,
) -> Result<usize, String> {
    let mut count = 0;
    for item in items.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let Some(owner) = self_name(imp) else {
            continue;
        };
        for impl_item in &mut imp.items {
            let syn::ImplItem::Fn(f) = impl_item else {
                continue;
            };
            let Some(target) = try_into_target(f) else {
                continue;
            };
            let name = f.sig.ident.clone();
            // The field a setter sets has the setter's name.
            let body_text = no_spaces(&f.block);
            if !body_text.starts_with(&format!("{{self.{name}=value.try_into()")) {
                continue;
            }
            let target = no_spaces(&target);
            let (shape, inner) = if bodies {
                field_shape(&target)
            } else {
                ("IntoArg", target.as_str())
            };
            let leaf = match leaf_type(inner, string_types) {
                Some(leaf) => {
                    if let Some(short) = leaf
                        .strip_prefix("crate::api::types::")
                        .or_else(|| leaf.strip_prefix("::std::vec::Vec<crate::api::types::"))
                    {
                        used_string_types.insert(short.trim_end_matches('>').to_string());
                    }
                    leaf
                }
                // Another type (a nested object, a timestamp) in an optional
                // body field: the value itself, or an Option of it.
                None if bodies && shape != "IntoArg" => {
                    let full = inner.replace("super::", "crate::api::types::");
                    exact_types.insert(full.clone());
                    full
                }
                None => continue,
            };
            let leaf: syn::Type =
                syn::parse_str(&leaf).map_err(|e| format!("setter {owner}::{name}: {e}"))?;
            let shape = quote::format_ident!("{}", shape);
            let method = quote::format_ident!(
                "{}",
                match shape.to_string().as_str() {
                    "IntoNullableArg" => "into_nullable_arg",
                    "IntoOptionalArg" => "into_optional_arg",
                    _ => "into_arg",
                }
            );
            let field = syn::ext::IdentExt::unraw(&name).to_string();
            let label = if bodies {
                format!("`{owner}.{field}`")
            } else {
                format!("parameter `{field}`")
            };
            // Request builders keep optional parameters as Option<T>.
            let optional = !bodies && body_text.contains(".map(Some)");
            let wrap = optional.then(|| quote!(.map(Some)));
            let attrs = &f.attrs;
            let vis = &f.vis;
            *f = syn::parse_quote! {
                #(#attrs)*
                #vis fn #name<V>(mut self, value: V) -> Self
                where
                    V: crate::convert::#shape<#leaf>,
                {
                    self.#name = crate::convert::#shape::#method(value)
                        #wrap
                        .map_err(|e| crate::convert::field_error(#label, e));
                    self
                }
            };
            count += 1;
        }
    }
    Ok(count)
}

/// Every `send()` returns `crate::Result<T>`: the reply itself, or the
/// crate's one error type. progenitor's `send()` returns
/// `Result<ResponseValue<T>, progenitor_client::Error<ClerkErrors>>`, a
/// second error type (callers had to convert it before `is_not_found()`)
/// around a wrapper most callers only unwrap. And its decoding of a reply
/// says neither which operation nor which field failed.
///
/// In every `send()`: the return type becomes `crate::Result<T>` (`()` for
/// replies without a body); the request goes out through
/// `crate::reply::send` (the transport every call shares: headers, retries,
/// tracing); a success body is decoded
/// by `crate::reply::decode`, whose error names the operation and the JSON
/// path of the failing field; an error reply becomes `crate::Error::Api`
/// through `crate::reply::error`; an invalid parameter becomes
/// `crate::Error::InvalidRequest`. Returns the number of `send()`s rewritten.
pub fn one_error_type(file: &mut syn::File) -> Result<usize, String> {
    each_send(file, "one_error_type", rewrite_send)
}

/// Runs `rewrite` on every `send()` of the builder module; returns how many there are, and
/// fails when there is none or `rewrite` fails (naming the step and the builder).
fn each_send(
    file: &mut syn::File,
    step: &str,
    rewrite: fn(&mut syn::ImplItemFn) -> Result<(), String>,
) -> Result<usize, String> {
    let builder =
        module_mut(&mut file.items, "builder").ok_or("generated code has no `builder` module")?;
    let mut count = 0;
    for item in builder.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        let Some(owner) = self_name(imp) else {
            continue;
        };
        for impl_item in &mut imp.items {
            let syn::ImplItem::Fn(f) = impl_item else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            rewrite(f).map_err(|e| format!("{step}: {owner}::send: {e}"))?;
            count += 1;
        }
    }
    if count == 0 {
        return Err(format!("{step}: no send() found"));
    }
    Ok(count)
}

/// progenitor sends the spec's version in an `api-version` header on every
/// request; Clerk reads `Clerk-API-Version`, which the transport sets. The
/// header is dropped from every `send()` here rather than removed again on
/// each request (building and then removing it costs a header map per
/// call). Returns the number of `send()`s changed; fails when one has no
/// such header, since then progenitor's output changed.
pub fn drop_api_version_header(file: &mut syn::File) -> Result<usize, String> {
    each_send(file, "drop_api_version_header", drop_api_version)
}

fn drop_api_version(f: &mut syn::ImplItemFn) -> Result<(), String> {
    let stmts = &mut f.block.stmts;
    let append = stmts
        .iter()
        .position(|s| {
            let s = no_spaces(s);
            s.starts_with("header_map.append(") && s.contains("from_static(\"api-version\")")
        })
        .ok_or("no api-version header")?;
    stmts.remove(append);
    // The map is dropped too when nothing else goes into it.
    if stmts
        .iter()
        .any(|s| no_spaces(s).starts_with("header_map."))
    {
        return Ok(());
    }
    let declared = stmts
        .iter()
        .position(|s| no_spaces(s).starts_with("letmutheader_map="))
        .ok_or("no header map")?;
    stmts.remove(declared);
    let (block, removed) = drop_headers_call(f.block.to_token_stream());
    if removed != 1 {
        return Err(format!(
            "expected one `.headers(header_map)`, found {removed}"
        ));
    }
    f.block = syn::parse2(block).map_err(|e| e.to_string())?;
    Ok(())
}

/// Removes `.headers(header_map)` from a method chain; returns the tokens and
/// how many were removed.
fn drop_headers_call(tokens: proc_macro2::TokenStream) -> (proc_macro2::TokenStream, usize) {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut removed = 0;
    let mut i = 0;
    while i < trees.len() {
        let is_call = matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == '.')
            && matches!(trees.get(i + 1), Some(TokenTree::Ident(id)) if id == "headers")
            && matches!(trees.get(i + 2), Some(TokenTree::Group(g))
                if g.delimiter() == Delimiter::Parenthesis && no_spaces(g.stream()) == "header_map");
        if is_call {
            removed += 1;
            i += 3;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(g) => {
                let (inner, n) = drop_headers_call(g.stream());
                removed += n;
                let mut group = Group::new(g.delimiter(), inner);
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    (out.into_iter().collect(), removed)
}

fn rewrite_send(f: &mut syn::ImplItemFn) -> Result<(), String> {
    // `Result<ResponseValue<T>, Error<ClerkErrors>>` -> `crate::Result<T>`.
    let syn::ReturnType::Type(_, ret) = &f.sig.output else {
        return Err("no return type".into());
    };
    let wrapper = first_type_arg(ret).ok_or("return type is not Result<ResponseValue<T>, _>")?;
    if !no_spaces(&wrapper).starts_with("ResponseValue<") {
        return Err(format!("unexpected return type {}", no_spaces(ret)));
    }
    let reply = first_type_arg(&wrapper).ok_or("ResponseValue without a type")?;
    f.sig.output = syn::parse_quote!(-> crate::Result<#reply>);

    // The operation's name, from `let info = OperationInfo { operation_id: "…" };`.
    let stmts = &mut f.block.stmts;
    let info_at = stmts
        .iter()
        .position(|s| no_spaces(s).starts_with("letinfo=OperationInfo{"))
        .ok_or("no OperationInfo")?;
    let operation = operation_id(&stmts[info_at]).ok_or("no operation_id")?;
    // pre hook, exec, post hook, `let response = result?;`.
    let expected = [
        "client.pre(&mutrequest,&info).await?;",
        "letresult=client.exec(request,&info).await;",
        "client.post(&result,&info).await?;",
        "letresponse=result?;",
    ];
    let found: Vec<String> = stmts
        .iter()
        .skip(info_at + 1)
        .take(4)
        .map(no_spaces)
        .collect();
    if found != expected {
        return Err(format!("unexpected request sequence {found:?}"));
    }
    stmts.splice(
        info_at + 1..info_at + 5,
        [syn::parse_quote!(let response = crate::reply::send(client, request, &info).await?;)],
    );
    // The status match, last.
    let Some(syn::Stmt::Expr(syn::Expr::Match(m), None)) = stmts.last_mut() else {
        return Err("the last statement is not the status match".into());
    };
    for arm in &mut m.arms {
        let body = no_spaces(&arm.body);
        let body = match body.strip_prefix('{').and_then(|b| b.strip_suffix('}')) {
            Some(inner) => inner.to_string(),
            None => body,
        };
        let new: syn::Expr = if body == "ResponseValue::from_response(response).await" {
            syn::parse_quote!(crate::reply::decode(&crate::reply::body(response).await?, #operation))
        } else if body == "Ok(ResponseValue::empty(response))" {
            syn::parse_quote!(Ok(()))
        } else if body.starts_with("Err(Error::ErrorResponse(ResponseValue::from_response(") {
            syn::parse_quote!(Err(crate::reply::error(response).await))
        } else if body == "Err(Error::UnexpectedResponse(response))" {
            syn::parse_quote!(Err(crate::reply::unexpected(response).await))
        } else {
            return Err(format!("unexpected status arm {body}"));
        };
        *arm.body = new;
    }
    // `.map_err(Error::InvalidRequest)`: progenitor's error; ours instead.
    let block = replace_invalid_request(f.block.to_token_stream());
    f.block = syn::parse2(block).map_err(|e| e.to_string())?;
    if no_spaces(&f.block).contains("ResponseValue") {
        return Err("ResponseValue is still used".into());
    }
    Ok(())
}

fn first_type_arg(t: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = t else { return None };
    let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// The string literal of `operation_id: "…"` in a statement.
fn operation_id(stmt: &syn::Stmt) -> Option<String> {
    let text = stmt.to_token_stream().to_string();
    let start = text.find("operation_id")?;
    let rest = &text[start..];
    let open = rest.find('"')? + 1;
    let close = rest[open..].find('"')? + open;
    Some(rest[open..close].to_string())
}

/// `Error :: InvalidRequest` (progenitor's) -> `crate :: Error :: InvalidRequest`.
fn replace_invalid_request(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), replace_invalid_request(g.stream()));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            TokenTree::Ident(ident)
                if ident == "Error"
                    && matches!(trees.get(i + 3), Some(TokenTree::Ident(next)) if next == "InvalidRequest")
                    && !matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == ':') =>
            {
                out.extend(quote!(crate::Error));
            }
            other => out.push(other.clone()),
        }
    }
    out.into_iter().collect()
}

/// typify makes a required field that may be `null` fail when it is absent
/// (`deserialize_with = Option::deserialize`). Clerk sometimes leaves such
/// fields out of replies: they decode as `None` instead (serde's rule for
/// absent `Option` fields), and `None` is still sent back as `null`, so a
/// reply that carried `null` encodes back to the same JSON. A required field
/// of any JSON value (`serde_json::Value`, which holds `null` itself) decodes
/// as `Value::Null` when absent.
pub fn absent_nullable_is_none(file: &mut syn::File) -> Result<usize, String> {
    let types = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("generated code has no `types` module")?;
    let mut changed = 0;
    for item in types.1.iter_mut() {
        let fields: Vec<&mut syn::Field> = match item {
            syn::Item::Struct(s) => s.fields.iter_mut().collect(),
            syn::Item::Enum(e) => e
                .variants
                .iter_mut()
                .flat_map(|v| v.fields.iter_mut())
                .collect(),
            _ => continue,
        };
        for field in fields {
            changed += strip_option_deserialize(&mut field.attrs)?;
            let any_value = quote::quote!(::serde_json::Value).to_string();
            let has_serde = field.attrs.iter().any(|a| a.path().is_ident("serde"));
            if field.ty.to_token_stream().to_string() == any_value && !has_serde {
                field.attrs.push(syn::parse_quote!(#[serde(default)]));
                changed += 1;
            }
        }
    }
    if changed == 0 {
        return Err("absent_nullable_is_none: no required nullable field found".into());
    }
    Ok(changed)
}

/// Removes `deserialize_with = "::std::option::Option::deserialize"` from
/// `#[serde(…)]` attributes, keeping their other entries.
fn strip_option_deserialize(attrs: &mut Vec<syn::Attribute>) -> Result<usize, String> {
    const ENTRY: &str = "deserialize_with = \"::std::option::Option::deserialize\"";
    let mut changed = 0;
    let mut keep = Vec::new();
    for mut attr in std::mem::take(attrs) {
        if let syn::Meta::List(list) = &mut attr.meta
            && list.path.is_ident("serde")
        {
            let entries: Vec<String> = split_top_level(&list.tokens.to_string());
            let compact = |e: &str| e.split_whitespace().collect::<String>();
            let rest: Vec<String> = entries
                .iter()
                .filter(|e| compact(e) != compact(ENTRY))
                .cloned()
                .collect();
            if rest.len() != entries.len() {
                changed += 1;
                if rest.is_empty() {
                    continue;
                }
                list.tokens = rest
                    .join(", ")
                    .parse()
                    .map_err(|e| format!("serde attribute: {e}"))?;
            }
        }
        keep.push(attr);
    }
    *attrs = keep;
    Ok(changed)
}

/// The comma-separated entries of an attribute's tokens (commas inside
/// strings or brackets do not split).
fn split_top_level(tokens: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for c in tokens.chars() {
        if in_str {
            current.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            ',' if depth == 0 => {
                entries.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        entries.push(current.trim().to_string());
    }
    entries
}
