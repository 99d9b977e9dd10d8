//! Generates the Backend API client from the vendored spec under `openapi/`.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=openapi");
}
