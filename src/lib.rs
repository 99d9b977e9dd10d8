//! Rust SDK for Clerk's Backend API.
pub mod client;
pub(crate) mod open_enum;

#[allow(missing_docs, clippy::all)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/bapi.rs"));
}
