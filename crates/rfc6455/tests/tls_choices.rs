//! The TLS choices (features `rustls-ring`, `rustls-aws-lc-rs`,
//! `native-tls`): our client over each, with real sockets and real TLS,
//! to our wss:// server with a CA made at test time; through an HTTP
//! proxy with native-tls; and the typed errors of a certificate the
//! client does not trust. The default connector's trust stores are in
//! `tls_system_store.rs`. `cargo test -p rfc6455 --all-features --test
//! tls_choices` runs every test here.
#![cfg(feature = "rustls")]

use futures_util::{SinkExt, StreamExt};
use rfc6455::tls::rustls;
use rfc6455::{ClientConfig, CloseCode, Config, Connector, MaybeTlsStream, Message};
use rfc6455_test_support::tls::{echo_server, Pki, Served};
use std::sync::Arc;
use std::time::Duration;

/// Long enough for a loaded CI machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// Connects to `url` with `client`, echoes a message, closes, and checks
/// what the server saw (SNI `sni`, ALPN `http/1.1`). Returns nothing: the
/// caller already checked the stream it wanted with `check`.
async fn echo(
    client: &ClientConfig,
    url: &str,
    sni: Option<&str>,
    served: &mut tokio::sync::mpsc::UnboundedReceiver<Served>,
    check: impl FnOnce(&MaybeTlsStream),
) {
    let (mut ws, _) = tokio::time::timeout(LIMIT, client.connect(url))
        .await
        .expect("connect in time")
        .unwrap_or_else(|e| panic!("{url}: {e:?}"));
    check(ws.get_ref());
    let msg = Message::text("over the chosen TLS");
    ws.send(msg.clone()).await.unwrap();
    let echoed = tokio::time::timeout(LIMIT, ws.next()).await.unwrap();
    assert_eq!(echoed.unwrap().unwrap(), msg);
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(ws.next().await.is_none());
    match tokio::time::timeout(LIMIT, served.recv()).await.unwrap() {
        Some(Served::Closed { sni: got, alpn, .. }) => {
            assert_eq!(got.as_deref(), sni, "SNI");
            assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]), "ALPN");
        }
        other => panic!("server saw {other:?}"),
    }
}

/// A rustls client configuration on `provider` trusting `pki`'s CA.
fn rustls_config(provider: rustls::crypto::CryptoProvider, pki: &Pki) -> Connector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Connector::Rustls(Arc::new(config))
}

async fn rustls_round_trip(provider: rustls::crypto::CryptoProvider) {
    let pki = Pki::new();
    let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
    let client = ClientConfig::default().connector(rustls_config(provider, &pki));
    let url = format!("wss://localhost:{port}/");
    echo(&client, &url, Some("localhost"), &mut served, |s| {
        assert!(matches!(s, MaybeTlsStream::Rustls(_)), "{s:?}");
    })
    .await;
}

#[tokio::test]
async fn rustls_with_ring() {
    rustls_round_trip(rustls::crypto::ring::default_provider()).await;
}

#[cfg(feature = "rustls-aws-lc-rs")]
#[tokio::test]
async fn rustls_with_aws_lc_rs() {
    rustls_round_trip(rustls::crypto::aws_lc_rs::default_provider()).await;
}

/// `client_config`, on the provider this build picks (`aws-lc-rs` when
/// both are on), trusting our CA.
#[tokio::test]
async fn client_config_on_the_build_s_provider() {
    let pki = Pki::new();
    let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
    let client = ClientConfig::default().connector(pki.connector());
    let url = format!("wss://127.0.0.1:{port}/");
    echo(&client, &url, None, &mut served, |_| {}).await;
}

#[cfg(feature = "native-tls")]
mod native_tls {
    use super::*;
    use rfc6455::tls::native_tls::{Certificate, TlsConnector};
    use rfc6455::{Error, TlsError};
    use rfc6455_test_support::proxies::tinyproxy;

    /// native-tls trusting `pki`'s CA (a private root), offering `http/1.1`.
    fn connector(pki: &Pki) -> Connector {
        let ca = Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap();
        let connector = TlsConnector::builder()
            .add_root_certificate(ca)
            .request_alpns(&["http/1.1"])
            .build()
            .unwrap();
        Connector::NativeTls(connector)
    }

    fn is_native_tls(stream: &MaybeTlsStream) {
        match stream {
            MaybeTlsStream::NativeTls(tls) => {
                let alpn = tls.get_ref().negotiated_alpn().unwrap();
                assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
            }
            other => panic!("not native-tls: {other:?}"),
        }
    }

    #[tokio::test]
    async fn native_tls_trusting_a_private_root_by_name_and_by_ip() {
        let pki = Pki::new();
        let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 2).await;
        let client = ClientConfig::default().connector(connector(&pki));
        let url = format!("wss://localhost:{port}/");
        echo(&client, &url, Some("localhost"), &mut served, is_native_tls).await;
        let url = format!("wss://127.0.0.1:{port}/");
        echo(&client, &url, None, &mut served, is_native_tls).await;
    }

    #[tokio::test]
    async fn native_tls_inside_an_http_connect_tunnel_with_the_target_s_name() {
        let process = tinyproxy(None, "");
        let pki = Pki::new();
        let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
        let client = ClientConfig::default()
            .connector(connector(&pki))
            .proxy(rfc6455::proxy::Proxy::http("127.0.0.1", process.port));
        let url = format!("wss://localhost:{port}/");
        echo(&client, &url, Some("localhost"), &mut served, is_native_tls).await;
        assert!(
            process.log().contains(&port.to_string()),
            "not through the proxy:\n{}",
            process.log()
        );
    }

    #[tokio::test]
    async fn native_tls_that_does_not_trust_the_certificate_is_a_typed_error() {
        let pki = Pki::new();
        let other = Pki::new();
        let (port, _served) = echo_server(pki.acceptor(), Config::default(), 1).await;
        let client = ClientConfig::default().connector(connector(&other));
        let url = format!("wss://localhost:{port}/");
        let result = tokio::time::timeout(LIMIT, client.connect(&url))
            .await
            .expect("fails in time");
        match result {
            Err(Error::Tls(TlsError::NativeTls(e))) => {
                let text = e.to_string();
                assert!(text.contains("certificate"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }
}
