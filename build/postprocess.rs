//! Named steps on the generated code itself (after progenitor, before the
//! code is written). Like the spec rules, each counts what it changed and
//! fails the build when it changes nothing.

use quote::ToTokens;
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
