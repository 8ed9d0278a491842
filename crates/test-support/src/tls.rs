//! TLS test support: a private CA and a server certificate made at test
//! time (rcgen), the rustls configurations that use them, and a wss://
//! echo server.

use futures_util::{SinkExt, StreamExt};
use rfc6455::tls::rustls::{self, pki_types::PrivateKeyDer, RootCertStore};
use rfc6455::tls::tokio_rustls::TlsAcceptor;
use rfc6455::{Config, Connector, Error, Message};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

/// A CA and a certificate it signed for `localhost` and `127.0.0.1`.
pub struct Pki {
    /// The CA's certificate, PEM.
    pub ca_pem: String,
    /// The CA's certificate, DER.
    pub ca_der: rustls::pki_types::CertificateDer<'static>,
    /// The server's certificate, PEM.
    pub server_cert_pem: String,
    /// The server's certificate, DER.
    pub server_cert_der: rustls::pki_types::CertificateDer<'static>,
    /// The server's private key, PEM (PKCS#8).
    pub server_key_pem: String,
    /// The server's private key, DER (PKCS#8).
    pub server_key_der: Vec<u8>,
}

impl Pki {
    /// A fresh CA and server certificate (a new key pair each time).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "rfc6455 test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "rfc6455 test server");
        let server_cert = params.signed_by(&server_key, &ca).unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            server_cert_pem: server_cert.pem(),
            server_cert_der: server_cert.der().clone(),
            server_key_pem: server_key.serialize_pem(),
            server_key_der: server_key.serialize_der(),
        }
    }

    /// A connector that trusts this CA (and nothing else).
    pub fn connector(&self) -> Connector {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        Connector::Rustls(rfc6455::tls::client_config(roots).unwrap())
    }

    /// A TLS acceptor serving the certificate with ALPN `http/1.1`.
    pub fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::try_from(self.server_key_der.clone()).unwrap();
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.server_cert_der.clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }

    /// Writes `ca.pem`, `server.pem` and `server.key` into a fresh folder.
    pub fn write_files(&self) -> TempDir {
        let dir = TempDir::new();
        std::fs::write(dir.path().join("ca.pem"), &self.ca_pem).unwrap();
        std::fs::write(dir.path().join("server.pem"), &self.server_cert_pem).unwrap();
        std::fs::write(dir.path().join("server.key"), &self.server_key_pem).unwrap();
        dir
    }
}

/// A folder under the system's temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty folder.
    #[allow(clippy::new_without_default)]
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rfc6455-tls-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How one connection to [`echo_server`] ended.
#[derive(Debug)]
pub enum Served {
    /// The WebSocket ended with `last` (the peer's Close); the client sent
    /// `sni` as its server name, and TLS agreed on `alpn`.
    Closed {
        /// The last non-data message (the peer's Close).
        last: Option<Message>,
        /// The server name the client sent (SNI).
        sni: Option<String>,
        /// The protocol ALPN agreed on.
        alpn: Option<Vec<u8>>,
    },
    /// TLS, the opening handshake or the WebSocket failed.
    Failed(Error),
}

/// A wss:// echo server on 127.0.0.1 for `connections` connections; each
/// connection's end comes out of the returned channel.
pub async fn echo_server(
    acceptor: TlsAcceptor,
    config: Config,
    connections: usize,
) -> (u16, tokio::sync::mpsc::UnboundedReceiver<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for _ in 0..connections {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, config, tx) = (acceptor.clone(), config.clone(), tx.clone());
            tokio::spawn(async move {
                let served = match serve(acceptor, tcp, config).await {
                    Ok((last, sni, alpn)) => Served::Closed { last, sni, alpn },
                    Err(e) => Served::Failed(e),
                };
                let _ = tx.send(served);
            });
        }
    });
    (port, rx)
}

async fn serve(
    acceptor: TlsAcceptor,
    tcp: tokio::net::TcpStream,
    config: Config,
) -> Result<(Option<Message>, Option<String>, Option<Vec<u8>>), Error> {
    // The point of the test: a TLS stream goes into `accept` as it is, and
    // `?` turns a failed TLS handshake into `Error::Tls`.
    let tls = acceptor.accept(tcp).await?;
    let sni = tls.get_ref().1.server_name().map(str::to_owned);
    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    let mut ws = rfc6455::accept_with_config(tls, config).await?;
    let mut last = None;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        } else if matches!(msg, Message::Close(_)) {
            last = Some(msg);
        }
    }
    Ok((last, sni, alpn))
}
