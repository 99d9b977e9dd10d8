//! TLS for the default HTTP client: rustls with the ring provider and the
//! platform's certificate verifier.
//!
//! The configuration is handed to this client only; no process-wide default
//! provider is installed, so an application's own rustls setup is untouched.

use crate::{Error, Result};
use rustls_platform_verifier::BuilderVerifierExt;
use std::sync::Arc;

pub(crate) fn rustls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?
        .with_platform_verifier()
        .map_err(|e| Error::Config(format!("TLS certificate verifier: {e}")))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
