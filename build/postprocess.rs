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
