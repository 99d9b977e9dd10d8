//! Checks an answer against the success schema of its operation in the description.

use crate::schema;
use serde_json::Value;
use std::sync::OnceLock;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(schema::load_spec)
}

/// Panics unless `body` is what the success schema of `operation_id` describes.
#[track_caller]
pub fn assert_shape(operation_id: &str, body: &Value) {
    let doc = spec();
    let (_, schema) = schema::success_schema(doc, operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    let schema = schema.unwrap_or_else(|| panic!("{operation_id} answers no body"));
    if let Err(e) = schema::check(doc, schema, body, "$") {
        panic!("{operation_id}: {e}\n  body: {body}");
    }
}
