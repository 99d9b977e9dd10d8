//! Generates the Backend API client from the vendored spec under `openapi/`.
#[path = "build/webhooks.rs"]
mod webhooks;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=openapi");
    webhooks::generate();
}
