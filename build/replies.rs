//! The reply type of every generated operation, written to
//! `OUT_DIR/replies.rs` for the round-trip test (`tests/round_trip.rs`):
//! `replies! { "GetUser" => clerk_backend_api::types::User, … }`, keyed by
//! Clerk's `operationId`. Not part of the crate's API.

use super::surface::Operation;
use quote::ToTokens;

pub fn table(file: &syn::File, ops: &[Operation]) -> Result<String, String> {
    let builders = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or("generated code has no `builder` module")?;
    let mut out = String::from("replies! {\n");
    for op in ops {
        let builder = heck::ToUpperCamelCase::to_upper_camel_case(op.method_name.as_str());
        let ty = send_reply(&builders.1, &builder)
            .ok_or_else(|| format!("replies: no reply type found for {}", op.id))?;
        let ty = ty
            .to_token_stream()
            .to_string()
            .replace("crate :: api :: types ::", "types ::")
            .replace("types ::", "clerk_backend_api :: types ::");
        out.push_str(&format!("    {:?} => {ty},\n", op.id));
    }
    out.push_str("}\n");
    Ok(out)
}

/// `T` of `ResponseValue<T>` in the return type of `send()` of builder `name`.
fn send_reply(items: &[syn::Item], name: &str) -> Option<syn::Type> {
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
            return response_value(t);
        }
    }
    None
}

/// Finds `ResponseValue<T>` anywhere inside `t` and returns `T`.
fn response_value(t: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = t else { return None };
    for segment in &p.path.segments {
        let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
            continue;
        };
        for arg in &args.args {
            let syn::GenericArgument::Type(inner) = arg else {
                continue;
            };
            if segment.ident == "ResponseValue" {
                return Some(inner.clone());
            }
            if let Some(found) = response_value(inner) {
                return Some(found);
            }
        }
    }
    None
}
