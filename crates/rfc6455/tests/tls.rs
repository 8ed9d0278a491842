//! `wss://` (feature `rustls`): our client and our server over TLS, with a
//! CA and certificates made at test time; a client that does not trust the
//! certificate, and a server that gets plain HTTP, fail with errors instead
//! of hanging.
#![cfg(feature = "rustls")]

use futures_util::{SinkExt, StreamExt};
use rfc6455::tls::rustls;
use rfc6455::{CloseCode, CloseFrame, Config, Error, Message, TlsError};
use rfc6455_test_support::tls::{echo_server, Pki, Served};
use std::time::Duration;

/// Long enough for a loaded CI machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {LIMIT:?}"))
}

/// Echoes text, binary and a large message over `url`, closes with a
/// code, and checks what the server saw, including the SNI it got.
async fn echo_round_trips(
    url: &str,
    sni: Option<&str>,
    pki: &Pki,
    served: &mut tokio::sync::mpsc::UnboundedReceiver<Served>,
) {
    let (mut ws, _) = rfc6455::connect_with_connector(url, Config::default(), pki.connector())
        .await
        .expect("wss:// connect");
    assert!(ws.get_ref().is_tls());
    match ws.get_ref() {
        rfc6455::MaybeTlsStream::Rustls(tls) => {
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        }
        other => panic!("not TLS: {other:?}"),
    }

    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let messages = [
        Message::text("hello over TLS"),
        Message::binary(vec![0u8, 1, 2, 0xff]),
        Message::binary(large),
        Message::text("é".repeat(40_000)),
    ];
    for msg in messages {
        ws.send(msg.clone()).await.unwrap();
        let echoed = ws.next().await.expect("an echo").unwrap();
        assert_eq!(echoed, msg);
    }
    ws.close(CloseCode::from(4001), "bye over TLS")
        .await
        .unwrap();
    assert!(ws.next().await.is_none(), "the stream ends after close");

    match served.recv().await.expect("the server reports") {
        Served::Closed {
            last: Some(Message::Close(Some(frame))),
            sni: got,
            alpn,
        } => {
            assert_eq!(frame, CloseFrame::new(4001, "bye over TLS"));
            assert_eq!(got.as_deref(), sni, "SNI");
            assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]), "ALPN");
        }
        other => panic!("server saw {other:?}"),
    }
}

#[tokio::test]
async fn echo_over_wss_by_name_and_by_ip() {
    let pki = Pki::new();
    let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 2).await;
    within(
        "echo by name",
        echo_round_trips(
            &format!("wss://localhost:{port}/chat"),
            Some("localhost"),
            &pki,
            &mut served,
        ),
    )
    .await;
    within(
        "echo by IP address",
        // An IP address is checked against the certificate, never sent as SNI.
        echo_round_trips(&format!("wss://127.0.0.1:{port}/"), None, &pki, &mut served),
    )
    .await;
}

#[tokio::test]
async fn echo_over_wss_with_deflate() {
    let pki = Pki::new();
    let config = Config::default().deflate(rfc6455::deflate::DeflateConfig::default());
    let (port, mut served) = echo_server(pki.acceptor(), config.clone(), 1).await;
    within("deflate echo", async {
        let url = format!("wss://localhost:{port}");
        let (mut ws, _) = rfc6455::connect_with_connector(&url, config, pki.connector())
            .await
            .unwrap();
        let text = "compressible ".repeat(10_000);
        ws.send(Message::text(text.clone())).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(matches!(served.recv().await, Some(Served::Closed { .. })));
    })
    .await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_fails_with_a_tls_error() {
    let pki = Pki::new();
    let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
    // The default connector trusts the webpki roots (or, with those
    // features, the system's store), which did not sign the test CA.
    let err = within(
        "the untrusting client",
        rfc6455::connect(&format!("wss://localhost:{port}")),
    )
    .await
    .expect_err("an untrusted certificate is refused");
    match &err {
        Error::Tls(TlsError::Rustls(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ))) => {}
        other => panic!("expected an unknown-issuer TLS error, got {other:?}"),
    }
    assert!(err.to_string().starts_with("TLS error:"), "{err}");
    // The server's TLS handshake fails too (the client's alert), as a TLS
    // error through `?`.
    match within("the server", served.recv()).await {
        Some(Served::Failed(Error::Tls(_))) => {}
        other => panic!("server: {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_gets_plain_http_fails_cleanly() {
    let pki = Pki::new();
    let (port, mut served) = echo_server(pki.acceptor(), Config::default(), 1).await;
    let client = within(
        "the plain client",
        rfc6455::connect(&format!("ws://127.0.0.1:{port}/")),
    )
    .await;
    match within("the server", served.recv()).await {
        Some(Served::Failed(Error::Tls(TlsError::Rustls(_)))) => {}
        other => panic!("server: {other:?}"),
    }
    // The server answers with a TLS alert, which is no HTTP response.
    let err = client.expect_err("a TLS server does not upgrade plain HTTP");
    assert!(
        matches!(err, Error::Handshake(_) | Error::Io(_)),
        "client: {err:?}"
    );
}

#[tokio::test]
async fn a_wss_url_whose_host_is_not_a_server_name_is_a_typed_error() {
    let pki = Pki::new();
    // A URI host, but no DNS name: refused before any connection is tried.
    let err = rfc6455::connect_with_connector("wss://a..b:1/", Config::default(), pki.connector())
        .await
        .expect_err("not a server name");
    assert!(
        matches!(&err, Error::Tls(TlsError::InvalidServerName(host)) if host == "a..b"),
        "{err:?}"
    );
}
