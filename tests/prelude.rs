//! Every operation can be called as `clerk.<method>()` with only the
//! prelude in scope: no method is ambiguous between two extension traits.
//! The calls are generated from the spec by the build; this file compiles
//! them.

use clerk_backend_api::operations::OPERATIONS;
use clerk_backend_api::prelude::*;
use std::collections::BTreeSet;

include!(concat!(env!("OUT_DIR"), "/prelude_calls.rs"));

#[test]
fn every_operation_is_a_method_under_the_prelude() {
    let clerk = Clerk::new("sk_test_prelude").unwrap();
    let calls = every_operation(&clerk);
    let called: Vec<&str> = calls.iter().map(|(name, _)| *name).collect();
    let table: Vec<&str> = OPERATIONS.iter().map(|op| op.method_name).collect();
    assert_eq!(called, table);
    // Each returns its own request builder.
    let builders: BTreeSet<&str> = calls.iter().map(|(_, builder)| *builder).collect();
    assert_eq!(builders.len(), OPERATIONS.len());
    assert!(
        builders
            .iter()
            .all(|b| b.starts_with("clerk_backend_api::api::builder::")),
        "{builders:?}"
    );
}
