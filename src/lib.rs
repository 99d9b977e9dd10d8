//! Rust SDK for Clerk's Backend API.

pub mod webhooks;
