//! A `wss://` client (feature `rustls`): sends the arguments as text
//! messages over TLS, all in one write, and prints the replies. The server
//! is checked against the Mozilla roots of `webpki-roots`, or, with `--ca
//! FILE`, against the certificates in that PEM file only (a private CA, a
//! self-signed server).
//!
//! ```text
//! cargo run -p rfc6455 --features rustls --example wss_client -- wss://example.com/echo hello
//! cargo run -p rfc6455 --features rustls --example wss_client -- --ca ca.pem wss://localhost:9443 hi
//! ```

use futures_util::{SinkExt, StreamExt};
use rfc6455::tls::rustls::pki_types::{pem::PemObject, CertificateDer};
use rfc6455::tls::rustls::RootCertStore;
use rfc6455::{CloseCode, Config, Connector, Message};
use std::error::Error;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut connector = Connector::default();
    if let Some(i) = args.iter().position(|a| a == "--ca") {
        let file = args.get(i + 1).ok_or("--ca needs a PEM file")?.clone();
        connector = trusting(&std::fs::read(&file)?)?;
        args.drain(i..i + 2);
    }
    let mut args = args.into_iter();
    let url = args
        .next()
        .ok_or("usage: wss_client [--ca PEM] wss://HOST[:PORT]/PATH [TEXT...]")?;
    for reply in run(&url, connector, args).await? {
        println!("< {reply}");
    }
    Ok(())
}

/// A connector that trusts the certificates in `pem` and nothing else.
fn trusting(pem: &[u8]) -> Result<Connector, Box<dyn Error>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots.add(cert?)?;
    }
    if roots.is_empty() {
        return Err("no certificate in the --ca file".into());
    }
    Ok(Connector::Rustls(rfc6455::tls::client_config(roots)?))
}

/// Sends every text over `wss://` with one flush (`feed` queues, `flush`
/// writes them together), then reads one reply to each and closes.
async fn run(
    url: &str,
    connector: Connector,
    texts: impl IntoIterator<Item = String>,
) -> Result<Vec<String>, rfc6455::Error> {
    let (mut ws, _) = rfc6455::connect_with_connector(url, Config::default(), connector).await?;
    let mut sent = 0;
    for text in texts {
        ws.feed(Message::text(text)).await?;
        sent += 1;
    }
    ws.flush().await?;
    let mut replies = Vec::with_capacity(sent);
    while replies.len() < sent {
        let Some(reply) = ws.next().await else { break };
        replies.push(match reply? {
            Message::Text(text) => text.to_string(),
            other => format!("{other:?}"),
        });
    }
    ws.close(CloseCode::NORMAL, "done").await?;
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc6455_test_support::tls::{echo_server, Pki};

    #[tokio::test]
    async fn talks_over_tls_to_a_server_signed_by_the_given_ca() {
        let pki = Pki::new();
        let (port, _served) = echo_server(pki.acceptor(), Config::default(), 1).await;
        let connector = trusting(pki.ca_pem.as_bytes()).unwrap();
        let replies = run(
            &format!("wss://localhost:{port}/"),
            connector,
            ["hi".into(), "there".into()],
        )
        .await
        .unwrap();
        assert_eq!(replies, ["hi", "there"]);
    }

    #[tokio::test]
    async fn refuses_a_server_its_roots_do_not_vouch_for() {
        let pki = Pki::new();
        let (port, _served) = echo_server(pki.acceptor(), Config::default(), 1).await;
        // The default connector trusts the public roots, not our test CA.
        let err = run(
            &format!("wss://localhost:{port}/"),
            Connector::default(),
            [],
        )
        .await
        .unwrap_err();
        assert!(matches!(err, rfc6455::Error::Tls(_)), "got {err:?}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        assert!(trusting(b"not a pem file").is_err());
    }
}
