//! The generated surface, as a reviewable snapshot, and its coverage of the
//! spec's operations. (With every API group: the default features.)
#![cfg(all(
    feature = "billing",
    feature = "enterprise-sso",
    feature = "machine-auth"
))]

use clerk_backend_api::operations::{EXCLUDED_OPERATIONS, OPERATIONS};
use clerk_backend_api::types::{ActorToken, ClerkErrors, Organization, Session, User};
use std::collections::BTreeSet;

const SURFACE: &str = include_str!(concat!(env!("OUT_DIR"), "/surface.txt"));

#[test]
fn generated_surface() {
    insta::assert_snapshot!("surface", SURFACE);
}

#[test]
fn json_schemas_of_core_types() {
    for (name, schema) in [
        ("User", schemars::schema_for!(User)),
        ("Session", schemars::schema_for!(Session)),
        ("Organization", schemars::schema_for!(Organization)),
        ("ActorToken", schemars::schema_for!(ActorToken)),
        ("ClerkErrors", schemars::schema_for!(ClerkErrors)),
    ] {
        let text = serde_json::to_string_pretty(&schema).unwrap();
        insta::assert_snapshot!(format!("schema_{name}"), text);
    }
}

/// Operation ids stated by the spec files, read independently of build.rs.
fn spec_operation_ids() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/bapi/paths");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let paths: serde_json::Value = serde_json::from_str(&text).unwrap();
        for item in paths.as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let id = op["operationId"].as_str().unwrap().to_string();
                assert!(ids.insert(id.clone()), "{id} appears twice");
            }
        }
    }
    ids
}

#[test]
fn generated_plus_excluded_is_the_whole_spec() {
    let spec = spec_operation_ids();
    assert_eq!(spec.len(), 249, "the 2026-05-12 spec has 249 operations");
    let generated: BTreeSet<String> = OPERATIONS
        .iter()
        .map(|o| o.operation_id.to_string())
        .collect();
    let excluded: BTreeSet<String> = EXCLUDED_OPERATIONS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert!(generated.is_disjoint(&excluded));
    let covered: BTreeSet<String> = generated.union(&excluded).cloned().collect();
    assert_eq!(covered, spec);
    assert_eq!(OPERATIONS.len(), 246);
}

#[test]
fn excluded_operations_are_written_by_hand() {
    use clerk_backend_api::operations::HAND_WRITTEN;
    let hand: BTreeSet<&str> = HAND_WRITTEN.iter().map(|o| o.operation_id).collect();
    let excluded: BTreeSet<&str> = EXCLUDED_OPERATIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(hand, excluded);
    // Their paths and methods are the spec's.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/bapi/paths");
    for op in HAND_WRITTEN {
        let found = std::fs::read_dir(dir).unwrap().any(|entry| {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let paths: serde_json::Value = serde_json::from_str(&text).unwrap();
            paths[op.path][op.http_method.to_lowercase()]["operationId"] == op.operation_id
        });
        assert!(
            found,
            "{} is not {} {} in the spec",
            op.operation_id, op.http_method, op.path
        );
    }
}

#[test]
fn operations_table_is_sorted_for_lookup() {
    assert!(
        OPERATIONS
            .windows(2)
            .all(|w| w[0].method_name < w[1].method_name)
    );
    let op = clerk_backend_api::operations::find("create_actor_token").unwrap();
    assert_eq!((op.http_method, op.path), ("POST", "/actor_tokens"));
}
