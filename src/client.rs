//! The configured client.

/// State the generated client carries to our hooks.
#[derive(Clone, Debug, Default)]
pub struct Inner {}

impl progenitor_client::ClientHooks<Inner> for crate::generated::Client {}
