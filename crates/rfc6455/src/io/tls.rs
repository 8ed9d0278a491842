//! `wss://`: the client's TLS ([`Connector`], [`MaybeTlsStream`]) and,
//! with the `rustls` feature, the rustls pieces a server needs.
//!
//! TLS sits under the WebSocket, never inside it: the client wraps its TCP
//! stream before the opening handshake; a server wraps the streams it
//! accepts and hands them to [`accept`](crate::accept), which takes any
//! `AsyncRead + AsyncWrite + Unpin`. Nothing here knows RFC 6455.
//!
//! # Client
//!
//! [`connect`](crate::connect) takes `wss://` URLs (default port 443) and
//! checks the server's certificate against the Mozilla roots of
//! `webpki-roots`, with SNI set to the URL's host and ALPN `http/1.1`. To
//! trust a private CA or a self-signed certificate instead, build a
//! configuration with `client_config` (feature `rustls`) and pass it in a [`Connector`]:
//!
//! ```no_run
//! # #[cfg(feature = "rustls")]
//! # async fn run(ca_pem_file: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::tls::rustls::pki_types::{pem::PemObject, CertificateDer};
//! use rfc6455::tls::{client_config, rustls::RootCertStore, Connector};
//!
//! let mut roots = RootCertStore::empty();
//! for cert in CertificateDer::pem_file_iter(ca_pem_file)? {
//!     roots.add(cert?)?;
//! }
//! let connector = Connector::Rustls(client_config(roots));
//! let (ws, _) = rfc6455::connect_with_connector(
//!     "wss://localhost:9443/chat",
//!     rfc6455::Config::default(),
//!     connector,
//! )
//! .await?;
//! # Ok(()) }
//! ```
//!
//! # Server
//!
//! Accept TCP, run the TLS handshake with a `tokio_rustls::TlsAcceptor`,
//! then [`accept`](crate::accept) the TLS stream like any other; `?` turns
//! a failed TLS handshake into [`Error::Tls`]:
//!
//! ```no_run
//! # #[cfg(feature = "rustls")]
//! # async fn run(cert_pem: &str, key_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::tls::rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
//! use rfc6455::tls::{rustls, tokio_rustls::TlsAcceptor};
//! use std::sync::Arc;
//!
//! let certs = CertificateDer::pem_file_iter(cert_pem)?.collect::<Result<Vec<_>, _>>()?;
//! let key = PrivateKeyDer::from_pem_file(key_pem)?;
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let mut config = rustls::ServerConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .with_no_client_auth()
//!     .with_single_cert(certs, key)?;
//! config.alpn_protocols = vec![b"http/1.1".to_vec()];
//! let acceptor = TlsAcceptor::from(Arc::new(config));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9443").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let acceptor = acceptor.clone();
//!     tokio::spawn(async move {
//!         let mut ws = rfc6455::accept(acceptor.accept(tcp).await?).await?;
//!         // ... use `ws` as over plain TCP
//!         Ok::<_, rfc6455::Error>(())
//!     });
//! }
//! # }
//! ```

use crate::error::{Error, TlsError};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[cfg(feature = "rustls")]
pub use {rustls, tokio_rustls, webpki_roots};

#[cfg(feature = "rustls")]
use std::sync::{Arc, OnceLock};

/// The stream under a client's [`WebSocket`](crate::WebSocket): plain TCP
/// for `ws://`, TLS over TCP for `wss://`.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// `ws://`: TCP as it is.
    Plain(TcpStream),
    /// `wss://` over rustls (boxed: a TLS session is a kilobyte, TCP a
    /// few words).
    #[cfg(feature = "rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP stream underneath (for its addresses or socket options).
    #[must_use]
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0,
        }
    }

    /// Whether the stream is TLS.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        !matches!(self, MaybeTlsStream::Plain(_))
    }
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    /// Closes the write side; over TLS, sends `close_notify` first.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// How a client secures `wss://` URLs (`ws://` URLs always use plain TCP).
///
/// [`Connector::default()`] is what [`connect`](crate::connect) uses:
/// with the `rustls` feature, rustls trusting the `webpki-roots`
/// certificates (`default_client_config`); without it, [`Plain`](Self::Plain).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Connector {
    /// No TLS: a `wss://` URL fails with [`TlsError::PlainConnector`] (or
    /// [`TlsError::NotEnabled`] in a build without the `rustls` feature).
    Plain,
    /// rustls with this configuration: its trust anchors, protocol
    /// versions and ALPN (set `http/1.1`, as [`client_config`] does, for
    /// servers that check it) are used as they are.
    #[cfg(feature = "rustls")]
    Rustls(Arc<rustls::ClientConfig>),
}

// Derivable only in a build without `rustls`.
#[allow(clippy::derivable_impls)]
impl Default for Connector {
    fn default() -> Self {
        #[cfg(feature = "rustls")]
        return Connector::Rustls(default_client_config());
        #[cfg(not(feature = "rustls"))]
        Connector::Plain
    }
}

impl Connector {
    /// Checks before connecting that this connector can serve a URL
    /// (`tls`: whether it is `wss://`) to `host`.
    pub(crate) fn check(&self, tls: bool, host: &str) -> Result<(), Error> {
        #[cfg(not(feature = "rustls"))]
        let _ = host;
        if !tls {
            return Ok(());
        }
        match self {
            Connector::Plain if cfg!(feature = "rustls") => Err(TlsError::PlainConnector.into()),
            Connector::Plain => Err(TlsError::NotEnabled.into()),
            #[cfg(feature = "rustls")]
            Connector::Rustls(_) => server_name(host).map(drop),
        }
    }

    /// Wraps a connected `tcp` stream for a URL (`tls`: whether it is
    /// `wss://`) to `host`, running the TLS handshake if there is one.
    pub(crate) async fn wrap(
        &self,
        tls: bool,
        host: &str,
        tcp: TcpStream,
    ) -> Result<MaybeTlsStream, Error> {
        self.check(tls, host)?;
        match self {
            _ if !tls => Ok(MaybeTlsStream::Plain(tcp)),
            Connector::Plain => Err(TlsError::NotEnabled.into()), // refused by `check`
            #[cfg(feature = "rustls")]
            Connector::Rustls(config) => {
                let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
                let stream = connector.connect(server_name(host)?, tcp).await?;
                Ok(MaybeTlsStream::Rustls(Box::new(stream)))
            }
        }
    }
}

/// The name TLS gives the server: a DNS name (sent as SNI) or an IP
/// address (checked against the certificate, not sent).
#[cfg(feature = "rustls")]
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, Error> {
    rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| TlsError::InvalidServerName(host.to_owned()).into())
}

/// A client configuration trusting `roots`: rustls's `ring` provider, its
/// safe default protocol versions (TLS 1.2 and 1.3), no client certificate,
/// ALPN `http/1.1` (RFC 6455 runs over HTTP/1.1).
#[cfg(feature = "rustls")]
#[must_use]
pub fn client_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports rustls's default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// The configuration [`Connector::default()`] uses: [`client_config`]
/// trusting the Mozilla root certificates of `webpki-roots`. Built once,
/// then shared.
#[cfg(feature = "rustls")]
pub fn default_client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        client_config(roots)
    });
    Arc::clone(config)
}
