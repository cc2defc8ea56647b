//! The TLS crypto provider of S3 connections.
//!
//! reqwest is built with `rustls-no-provider` and object_store with `ring`,
//! so no build compiles aws-lc-sys from C (minutes of every cold build).
//! Without a bundled provider, reqwest takes rustls' process-wide default
//! and panics when there is none, so the first S3 client installs ring's.

/// Installs rustls' ring provider as the process default, unless the
/// program installed one already (that one is kept and used).
pub(crate) fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: either
        // way a provider is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
