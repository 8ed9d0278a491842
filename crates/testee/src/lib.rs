//! Shared pieces of the Autobahn testees: their configuration and the TLS
//! setup of `--tls` and `--ca`; the harnesses behind `scripts/autobahn.sh`
//! ([`harness`]) and `scripts/fuzz.sh` ([`fuzz`]), and the report page
//! behind `scripts/report.sh` ([`report`]).
#![warn(missing_docs, unreachable_pub)]

pub mod autobahn;
pub mod fuzz;
pub mod harness;
pub mod report;

use rfc6455::deflate::DeflateConfig;
use rfc6455::tls::rustls::pki_types::pem::PemObject;
use rfc6455::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rfc6455::tls::rustls::{self, RootCertStore};
use rfc6455::tls::tokio_rustls::TlsAcceptor;
use rfc6455::{Config, Connector};
use std::sync::Arc;

/// The configuration both testees run with: the library's defaults (so the
/// conformance run tests what users get), with permessage-deflate on.
///
/// ```
/// let config = testee::config();
/// assert!(config.deflate.is_some());
/// assert_eq!(config.max_message_size, rfc6455::Config::default().max_message_size);
/// ```
pub fn config() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

/// A TLS acceptor serving the certificate chain in the PEM file `cert`
/// with the private key in the PEM file `key` (rustls with `ring`, ALPN
/// `http/1.1`).
pub fn tls_acceptor(cert: &str, key: &str) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from {cert}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{cert} holds no PEM certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {key}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{cert} and its key do not make a TLS server: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The client's connector: trusting the certificates in the PEM file `ca`
/// (a CA, or the server's self-signed certificate) when given, else the
/// library's default (the `webpki-roots` anchors).
pub fn connector(ca: Option<&str>) -> Result<Connector, String> {
    let Some(ca) = ca else {
        return Ok(Connector::default());
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("cannot read {ca}: {e}"))? {
        let cert = cert.map_err(|e| format!("cannot read {ca}: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("{ca}: not a usable trust anchor: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("{ca} holds no PEM certificate"));
    }
    let config = rfc6455::tls::client_config(roots).map_err(|e| e.to_string())?;
    Ok(Connector::Rustls(config))
}
