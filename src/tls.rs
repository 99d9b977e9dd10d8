//! TLS for the default HTTP client: rustls with the ring provider and the
//! platform's certificate verifier.
//!
//! The `rustls` feature builds reqwest without a built-in crypto provider
//! (its default one, aws-lc, takes minutes to compile). Our clients are
//! handed a configuration that names ring explicitly. Because cargo features
//! are shared by the whole program, another `reqwest::Client` of the
//! application would then find no provider and panic; so, when the process
//! has no default provider yet, ring is installed as the default too. An
//! application that installs its own provider first keeps it.

use crate::{Error, Result};
use rustls_platform_verifier::BuilderVerifierExt;
use std::sync::Arc;

pub(crate) fn rustls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a default exists.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?
        .with_platform_verifier()
        .map_err(|e| Error::Config(format!("TLS certificate verifier: {e}")))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
