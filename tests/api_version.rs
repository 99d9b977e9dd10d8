//! The version the client asks for (`Clerk-API-Version`) is the version our
//! spec describes, so moving the spec to a new Clerk version cannot leave the
//! header behind (see MAINTAINING.md).

#[test]
fn api_version_is_the_spec_version() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/bapi/openapi.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        doc["info"]["version"].as_str(),
        Some(clerk_backend_api::client::API_VERSION),
        "openapi/bapi describes another API version than `API_VERSION` (src/client.rs): \
         bump one to match the other"
    );
}
