//! The default connector (`Connector::Auto`, what `connect` uses) with the
//! system's trust store (features `rustls-native-certs` or
//! `rustls-platform-verifier`): it trusts a CA the system trusts, refuses
//! one it does not with a typed error, and honors a crypto provider the
//! application installed as the process default.
//!
//! One test in its own binary: it sets `SSL_CERT_FILE` (where the system's
//! store is on Linux) before anything reads it, and installs the process's
//! default provider, which nothing else may see.
#![cfg(all(
    feature = "rustls",
    any(feature = "rustls-native-certs", feature = "rustls-platform-verifier")
))]

use futures_util::{SinkExt, StreamExt};
use rfc6455::{Error, MaybeTlsStream, Message, TlsError};
use rfc6455_test_support::tls::{echo_server, Pki};
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

async fn echo_by_default(port: u16) -> Result<(), Error> {
    let url = format!("wss://localhost:{port}/");
    let (mut ws, _) = tokio::time::timeout(LIMIT, rfc6455::connect(url))
        .await
        .expect("in time")?;
    assert!(
        matches!(ws.get_ref(), MaybeTlsStream::Rustls(_)),
        "rustls wins"
    );
    ws.send(Message::text("trusted by the system")).await?;
    let echoed = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert_eq!(echoed.unwrap()?, Message::text("trusted by the system"));
    ws.close(rfc6455::CloseCode::NORMAL, "").await?;
    Ok(())
}

#[test]
fn the_default_connector_uses_the_system_store_and_the_installed_provider() {
    let system = Pki::new();
    let files = system.write_files();
    // The environment changes only while no other thread of this test runs
    // (a current-thread runtime, and none while it changes).
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };

    // A machine without certificates: a typed error naming the store, at
    // connect, before any byte is sent (port 9 is never dialled).
    std::env::set_var("SSL_CERT_FILE", files.path().join("missing.pem"));
    std::env::remove_var("SSL_CERT_DIR");
    let err = runtime()
        .block_on(rfc6455::connect("wss://localhost:9/"))
        .expect_err("no certificates");
    match &err {
        #[cfg(feature = "rustls-platform-verifier")]
        Error::Tls(TlsError::PlatformVerifier(_)) => {}
        #[cfg(not(feature = "rustls-platform-verifier"))]
        Error::Tls(TlsError::NativeCerts(why)) => assert!(why.contains("missing.pem"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("certificate"), "{err}");

    std::env::set_var("SSL_CERT_FILE", files.path().join("ca.pem"));
    runtime().block_on(async {
        let (port, _served) = echo_server(system.acceptor(), Default::default(), 1).await;
        echo_by_default(port).await.expect("a CA the system trusts");

        let stranger = Pki::new();
        let (port, _served) = echo_server(stranger.acceptor(), Default::default(), 1).await;
        match echo_by_default(port).await {
            Err(Error::Tls(TlsError::Rustls(rfc6455::tls::rustls::Error::InvalidCertificate(
                _,
            )))) => {}
            other => panic!("a CA the system does not trust: {other:?}"),
        }

        // The application's choice wins over the build's, once installed.
        use rfc6455::tls::rustls::crypto::{ring, CryptoProvider};
        ring::default_provider().install_default().unwrap();
        let installed = CryptoProvider::get_default().unwrap();
        let provider = rfc6455::tls::crypto_provider().unwrap();
        assert!(Arc::ptr_eq(&provider, installed));
        let config = rfc6455::tls::default_client_config().unwrap();
        assert!(Arc::ptr_eq(config.crypto_provider(), installed));
        let (port, _served) = echo_server(system.acceptor(), Default::default(), 1).await;
        echo_by_default(port)
            .await
            .expect("on the installed provider");
    });
}
