//! Rust SDK for Clerk's Backend API.
