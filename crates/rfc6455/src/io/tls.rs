//! `wss://`: the client's TLS ([`Connector`], [`MaybeTlsStream`]) and
//! the pieces a server needs.
//!
//! TLS sits under the WebSocket, never inside it: the client wraps its TCP
//! stream before the opening handshake; a server wraps the streams it
//! accepts and hands them to [`accept`](crate::accept), which takes any
//! `AsyncRead + AsyncWrite + Unpin`. Nothing here knows RFC 6455.
//!
//! # The choices, as features
//!
//! | Feature | Adds |
//! |---|---|
//! | `rustls` | `rustls-ring` + `webpki-roots`: rustls trusting the Mozilla roots |
//! | `rustls-ring` | rustls with its `ring` crypto provider |
//! | `rustls-aws-lc-rs` | rustls with its `aws-lc-rs` crypto provider (rustls' own default) |
//! | `rustls-no-provider` | rustls alone: the application installs a process-default provider |
//! | `webpki-roots` | trust the Mozilla roots compiled into `webpki-roots` |
//! | `rustls-native-certs` | trust the operating system's certificates |
//! | `rustls-platform-verifier` | verify with the operating system's verifier |
//! | `native-tls` | a second backend: the platform's TLS library ([`Connector::NativeTls`]) |
//!
//! Every `rustls-*` feature and `webpki-roots` turn on rustls
//! (`rustls-no-provider`); the trust stores are rustls'. native-tls uses
//! the platform's store.
//!
//! # Client: the default connector
//!
//! [`connect`](crate::connect) takes `wss://` URLs (default port 443)
//! with [`Connector::Auto`], which [`default_connector`] resolves at the
//! first `wss://` URL:
//!
//! 1. **rustls**, if it has a crypto provider ([`crypto_provider`]): the
//!    process default if the application installed one, else `aws-lc-rs`,
//!    else `ring`. It trusts ([`default_client_config`]) the platform's
//!    verifier if `rustls-platform-verifier` is on, else the operating
//!    system's certificates (`rustls-native-certs`) and the `webpki-roots`
//!    (both, when both are on).
//! 2. else **native-tls**, trusting the platform's store.
//! 3. else a typed error, before any byte is sent:
//!    [`TlsError::NoCryptoProvider`], [`TlsError::NoTrustAnchors`],
//!    [`TlsError::NativeCerts`] or, without TLS, [`TlsError::NotEnabled`].
//!
//! SNI is the URL's host and ALPN offers `http/1.1`. Through a proxy
//! ([`ClientConfig::proxy`](crate::ClientConfig::proxy)), TLS runs inside
//! the tunnel, with the target's name. To trust a private CA or a
//! self-signed certificate instead, pass a configuration of yours in a
//! [`Connector`]; with rustls, [`client_config`] builds one:
//!
//! ```no_run
//! # #[cfg(feature = "rustls-no-provider")]
//! # async fn run(ca_pem_file: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::tls::rustls::pki_types::{pem::PemObject, CertificateDer};
//! use rfc6455::tls::{client_config, rustls::RootCertStore, Connector};
//!
//! let mut roots = RootCertStore::empty();
//! for cert in CertificateDer::pem_file_iter(ca_pem_file)? {
//!     roots.add(cert?)?;
//! }
//! let connector = Connector::Rustls(client_config(roots)?);
//! let (ws, _) = rfc6455::connect_with_connector(
//!     "wss://localhost:9443/chat",
//!     rfc6455::Config::default(),
//!     connector,
//! )
//! .await?;
//! # Ok(()) }
//! ```
//!
//! With native-tls, see [`Connector::NativeTls`].
//!
//! # Server
//!
//! Accept TCP, run the TLS handshake with a `tokio_rustls::TlsAcceptor`
//! (or a `tokio_native_tls::TlsAcceptor`), then [`accept`](crate::accept)
//! the TLS stream like any other; `?` turns a failed TLS handshake into
//! [`Error::Tls`]:
//!
//! ```no_run
//! # #[cfg(feature = "rustls-no-provider")]
//! # async fn run(cert_pem: &str, key_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::tls::rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
//! use rfc6455::tls::{crypto_provider, rustls, tokio_rustls::TlsAcceptor};
//! use std::sync::Arc;
//!
//! let certs = CertificateDer::pem_file_iter(cert_pem)?.collect::<Result<Vec<_>, _>>()?;
//! let key = PrivateKeyDer::from_pem_file(key_pem)?;
//! let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider()?)
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

#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub use {rustls, tokio_rustls};

#[cfg(feature = "webpki-roots")]
#[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
pub use webpki_roots;

#[cfg(feature = "native-tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
pub use {native_tls, tokio_native_tls};

#[cfg(any(feature = "rustls-no-provider", feature = "native-tls"))]
use std::sync::{Arc, OnceLock};
#[cfg(feature = "rustls-no-provider")]
use std::sync::{Mutex, PoisonError};

/// The stream under a client's [`WebSocket`](crate::WebSocket): plain TCP
/// for `ws://`, TLS over TCP for `wss://`.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// `ws://`: TCP as it is.
    Plain(TcpStream),
    /// `wss://` over rustls (boxed: a TLS session is a kilobyte, TCP a
    /// few words).
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// `wss://` over native-tls (boxed, as [`Rustls`](Self::Rustls)).
    #[cfg(feature = "native-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
    NativeTls(Box<tokio_native_tls::TlsStream<TcpStream>>),
}

/// `$body` for whichever stream `$stream` holds, bound to `$s`.
macro_rules! each_stream {
    ($stream:expr, $s:ident => $body:expr) => {
        match $stream {
            MaybeTlsStream::Plain($s) => $body,
            #[cfg(feature = "rustls-no-provider")]
            MaybeTlsStream::Rustls($s) => $body,
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls($s) => $body,
        }
    };
}

impl MaybeTlsStream {
    /// The TCP stream underneath (for its addresses or socket options).
    #[must_use]
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp,
            #[cfg(feature = "rustls-no-provider")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0,
            #[cfg(feature = "native-tls")]
            MaybeTlsStream::NativeTls(tls) => tls.get_ref().get_ref().get_ref(),
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
        each_stream!(self.get_mut(), s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self.get_mut(), s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self.get_mut(), s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each_stream!(self, s => s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self.get_mut(), s => Pin::new(s).poll_flush(cx))
    }

    /// Closes the write side; over TLS, sends `close_notify` first.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self.get_mut(), s => Pin::new(s).poll_shutdown(cx))
    }
}

/// How a client secures `wss://` URLs (`ws://` URLs always use plain TCP).
///
/// [`Connector::default()`] is [`Auto`](Self::Auto), what
/// [`connect`](crate::connect) uses: the TLS this build enables, chosen
/// as the [module](self#client-the-default-connector) says.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Connector {
    /// The TLS this build enables, resolved by [`default_connector`] when
    /// a `wss://` URL is connected; what cannot be resolved (no crypto
    /// provider, no trust anchors, no TLS at all) fails that connect with
    /// [`Error::Tls`], before any byte is sent.
    #[default]
    Auto,
    /// No TLS: a `wss://` URL fails with [`TlsError::PlainConnector`] (or
    /// [`TlsError::NotEnabled`] in a build without TLS).
    Plain,
    /// rustls with this configuration: its provider, trust anchors,
    /// protocol versions and ALPN (set `http/1.1`, as [`client_config`]
    /// does, for servers that check it) are used as they are.
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    Rustls(Arc<rustls::ClientConfig>),
    /// native-tls with this connector: its trust store (the platform's,
    /// plus any root it was given), protocol versions and ALPN (offer
    /// `http/1.1`, as [`native_tls_connector`] does, for servers that
    /// check it). Through a proxy too: TLS runs inside the tunnel, with
    /// the target's name.
    ///
    /// ```no_run
    /// # async fn run(ca_pem: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    /// use rfc6455::tls::native_tls::{Certificate, TlsConnector};
    ///
    /// let connector = TlsConnector::builder()
    ///     .add_root_certificate(Certificate::from_pem(ca_pem)?)
    ///     .request_alpns(&["http/1.1"])
    ///     .build()?;
    /// let (ws, _) = rfc6455::ClientConfig::default()
    ///     .connector(rfc6455::Connector::NativeTls(connector))
    ///     .connect("wss://localhost:9443/chat")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "native-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
    NativeTls(native_tls::TlsConnector),
}

impl Connector {
    /// The connector that serves a URL (`tls`: whether it is `wss://`) to
    /// `host`: [`Auto`](Self::Auto) resolved, and checked before any byte
    /// is sent that it can name the host. Never `Auto`; `Plain` only for
    /// `ws://`.
    pub(crate) fn resolve(&self, tls: bool, host: &str) -> Result<Connector, Error> {
        #[cfg(not(feature = "rustls-no-provider"))]
        let _ = host;
        if !tls {
            return Ok(Connector::Plain);
        }
        match self {
            // `default_connector` never answers `Auto`.
            Connector::Auto => default_connector()?.resolve(tls, host),
            Connector::Plain if TLS_BUILT => Err(TlsError::PlainConnector.into()),
            Connector::Plain => Err(TlsError::NotEnabled.into()),
            #[cfg(feature = "rustls-no-provider")]
            Connector::Rustls(_) => server_name(host).map(|_| self.clone()),
            #[cfg(feature = "native-tls")]
            Connector::NativeTls(_) => Ok(self.clone()),
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
        match self.resolve(tls, host)? {
            #[cfg(feature = "rustls-no-provider")]
            Connector::Rustls(config) => {
                let connector = tokio_rustls::TlsConnector::from(config);
                let stream = connector.connect(server_name(host)?, tcp).await?;
                Ok(MaybeTlsStream::Rustls(Box::new(stream)))
            }
            #[cfg(feature = "native-tls")]
            Connector::NativeTls(connector) => {
                let connector = tokio_native_tls::TlsConnector::from(connector);
                let stream = connector.connect(host, tcp).await?;
                Ok(MaybeTlsStream::NativeTls(Box::new(stream)))
            }
            // `resolve` answers `Plain` for `ws://` only, never `Auto`.
            Connector::Plain | Connector::Auto => Ok(MaybeTlsStream::Plain(tcp)),
        }
    }
}

/// Whether this build has a TLS backend.
const TLS_BUILT: bool = cfg!(any(feature = "rustls-no-provider", feature = "native-tls"));

/// The connector [`Connector::Auto`] stands for in this build, in this
/// order:
///
/// 1. rustls (a `rustls-*` feature) when it has a crypto provider:
///    [`default_client_config`];
/// 2. else native-tls (feature `native-tls`): [`native_tls_connector`];
/// 3. else the error of rustls ([`TlsError::NoCryptoProvider`]), or
///    [`TlsError::NotEnabled`] in a build without TLS.
///
/// Call it at start-up to fail early; [`connect`](crate::connect) calls
/// it at each `wss://` URL (the configuration is built once, then shared).
///
/// # Errors
///
/// [`Error::Tls`]'s [`TlsError`]: no TLS, no crypto provider, no trust
/// anchors, a trust store that could not be loaded.
pub fn default_connector() -> Result<Connector, TlsError> {
    pick(rustls_default(), native_tls_default)
}

/// The rule of [`default_connector`], over what each backend gave (`None`:
/// not built).
fn pick(
    rustls: Option<Result<Connector, TlsError>>,
    native_tls: impl FnOnce() -> Option<Result<Connector, TlsError>>,
) -> Result<Connector, TlsError> {
    match rustls {
        #[cfg(feature = "rustls-no-provider")]
        Some(Err(TlsError::NoCryptoProvider)) => {
            native_tls().unwrap_or(Err(TlsError::NoCryptoProvider))
        }
        Some(rustls) => rustls,
        None => native_tls().unwrap_or(Err(TlsError::NotEnabled)),
    }
}

#[cfg(feature = "rustls-no-provider")]
fn rustls_default() -> Option<Result<Connector, TlsError>> {
    Some(default_client_config().map(Connector::Rustls))
}

#[cfg(not(feature = "rustls-no-provider"))]
fn rustls_default() -> Option<Result<Connector, TlsError>> {
    None
}

#[cfg(feature = "native-tls")]
fn native_tls_default() -> Option<Result<Connector, TlsError>> {
    Some(native_tls_connector().map(Connector::NativeTls))
}

#[cfg(not(feature = "native-tls"))]
fn native_tls_default() -> Option<Result<Connector, TlsError>> {
    None
}

/// The name TLS gives the server: a DNS name (sent as SNI) or an IP
/// address (checked against the certificate, not sent).
#[cfg(feature = "rustls-no-provider")]
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, Error> {
    rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| TlsError::InvalidServerName(host.to_owned()).into())
}

/// The crypto provider this crate's rustls configurations use: the
/// process default if the application installed one
/// ([`CryptoProvider::install_default`](rustls::crypto::CryptoProvider::install_default)),
/// else `aws-lc-rs` (feature `rustls-aws-lc-rs`), else `ring` (feature
/// `rustls-ring`). With both features on, `aws-lc-rs` wins, as it does in
/// rustls' own defaults. A server can build its `ServerConfig` with it
/// too (the [module](self#server) shows how).
///
/// # Errors
///
/// [`TlsError::NoCryptoProvider`] when none of the three is there (a
/// build with `rustls-no-provider` and a trust store alone, say).
#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub fn crypto_provider() -> Result<Arc<rustls::crypto::CryptoProvider>, TlsError> {
    choose_provider(
        rustls::crypto::CryptoProvider::get_default(),
        compiled_provider(),
    )
}

/// The rule of [`crypto_provider`]: the installed one, else the compiled one.
#[cfg(feature = "rustls-no-provider")]
fn choose_provider(
    installed: Option<&Arc<rustls::crypto::CryptoProvider>>,
    compiled: Option<&Arc<rustls::crypto::CryptoProvider>>,
) -> Result<Arc<rustls::crypto::CryptoProvider>, TlsError> {
    installed
        .or(compiled)
        .cloned()
        .ok_or(TlsError::NoCryptoProvider)
}

/// The provider the features compiled in, made once (so that the
/// configuration made with it can be shared).
#[cfg(feature = "rustls-no-provider")]
fn compiled_provider() -> Option<&'static Arc<rustls::crypto::CryptoProvider>> {
    static PROVIDER: OnceLock<Option<Arc<rustls::crypto::CryptoProvider>>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| new_provider().map(Arc::new))
        .as_ref()
}

#[cfg(feature = "rustls-aws-lc-rs")]
fn new_provider() -> Option<rustls::crypto::CryptoProvider> {
    Some(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc-rs")))]
fn new_provider() -> Option<rustls::crypto::CryptoProvider> {
    Some(rustls::crypto::ring::default_provider())
}

#[cfg(all(
    feature = "rustls-no-provider",
    not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs"))
))]
fn new_provider() -> Option<rustls::crypto::CryptoProvider> {
    None
}

/// A builder on [`crypto_provider`] with rustls's safe default protocol
/// versions (TLS 1.2 and 1.3).
#[cfg(feature = "rustls-no-provider")]
fn builder(
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>, TlsError> {
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)
}

/// `config` with ALPN `http/1.1` (RFC 6455 runs over HTTP/1.1), shared.
#[cfg(feature = "rustls-no-provider")]
fn finish(mut config: rustls::ClientConfig) -> Arc<rustls::ClientConfig> {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A client configuration trusting `roots`: the [`crypto_provider`], its
/// safe default protocol versions (TLS 1.2 and 1.3), no client
/// certificate, ALPN `http/1.1` (RFC 6455 runs over HTTP/1.1).
///
/// # Errors
///
/// [`TlsError::NoCryptoProvider`] without a provider;
/// [`TlsError::Rustls`] if the provider supports none of the default
/// protocol versions.
#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub fn client_config(roots: rustls::RootCertStore) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let config = builder(crypto_provider()?)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(finish(config))
}

/// The configuration [`Connector::Auto`] uses with rustls: on the
/// [`crypto_provider`], trusting
///
/// - the platform's verifier if `rustls-platform-verifier` is on (it
///   takes precedence: the other trust stores are then unused; on
///   Android, initialize `rustls-platform-verifier` first, as its docs
///   say);
/// - else the union of the operating system's certificates
///   (`rustls-native-certs`) and the Mozilla roots of `webpki-roots`,
///   whichever are on.
///
/// Built once per provider, then shared (the system's certificates are
/// read once).
///
/// # Errors
///
/// [`TlsError::NoCryptoProvider`]; [`TlsError::NativeCerts`] if the
/// system's certificates could not be read (none could be, and there were
/// errors); [`TlsError::NoTrustAnchors`] if the trust stores gave no
/// certificate at all (no trust store feature, or a machine without
/// certificates); [`TlsError::PlatformVerifier`] if the platform's
/// verifier could not start.
#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub fn default_client_config() -> Result<Arc<rustls::ClientConfig>, TlsError> {
    type Made = (
        Arc<rustls::crypto::CryptoProvider>,
        Arc<rustls::ClientConfig>,
    );
    static MADE: Mutex<Option<Made>> = Mutex::new(None);
    let provider = crypto_provider()?;
    // Held while the trust store loads: concurrent first connects wait
    // for one load instead of each reading the system's certificates.
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((for_provider, config)) = &*made {
        if Arc::ptr_eq(for_provider, &provider) {
            return Ok(Arc::clone(config));
        }
    }
    let config = with_default_trust(builder(Arc::clone(&provider))?)?;
    *made = Some((provider, Arc::clone(&config)));
    Ok(config)
}

#[cfg(feature = "rustls-platform-verifier")]
fn with_default_trust(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let provider = Arc::clone(builder.crypto_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new(provider).map_err(TlsError::PlatformVerifier)?;
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(finish(config))
}

#[cfg(all(
    feature = "rustls-no-provider",
    not(feature = "rustls-platform-verifier")
))]
fn with_default_trust(
    builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    #[allow(unused_mut)] // without a trust store feature
    let mut roots = rustls::RootCertStore::empty();
    #[cfg(feature = "rustls-native-certs")]
    add_native_certs(&mut roots, rustls_native_certs::load_native_certs())?;
    #[cfg(feature = "webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if roots.is_empty() {
        return Err(TlsError::NoTrustAnchors);
    }
    Ok(finish(
        builder.with_root_certificates(roots).with_no_client_auth(),
    ))
}

/// Adds the certificates `found` in the system's store to `roots`. Some
/// unreadable files among readable ones are not an error (as for
/// `rustls-platform-verifier`); nothing read and errors are.
#[cfg(feature = "rustls-native-certs")]
#[cfg_attr(feature = "rustls-platform-verifier", allow(dead_code))]
fn add_native_certs(
    roots: &mut rustls::RootCertStore,
    found: rustls_native_certs::CertificateResult,
) -> Result<(), TlsError> {
    let (added, _unparsable) = roots.add_parsable_certificates(found.certs);
    if added == 0 && !found.errors.is_empty() {
        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(TlsError::NativeCerts(errors.join("; ")));
    }
    Ok(())
}

/// The connector [`Connector::Auto`] uses with native-tls: the platform's
/// trust store and protocol versions, ALPN `http/1.1`. Built once, then
/// shared.
///
/// # Errors
///
/// [`TlsError::NativeTls`] if the platform's TLS library could not make
/// a connector (it could not load its trust store, say).
#[cfg(feature = "native-tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
pub fn native_tls_connector() -> Result<native_tls::TlsConnector, TlsError> {
    static MADE: OnceLock<native_tls::TlsConnector> = OnceLock::new();
    if let Some(connector) = MADE.get() {
        return Ok(connector.clone());
    }
    let connector = native_tls::TlsConnector::builder()
        .request_alpns(&["http/1.1"])
        .build()
        .map_err(|e| TlsError::NativeTls(e.into()))?;
    Ok(MADE.get_or_init(|| connector).clone())
}

/// A native-tls error ([`TlsError::NativeTls`]): `native_tls::Error`,
/// shared so that [`TlsError`] stays `Clone`. Two are equal when they are
/// the same error.
#[cfg(feature = "native-tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
#[derive(Debug, Clone)]
pub struct NativeTlsError(Arc<native_tls::Error>);

#[cfg(feature = "native-tls")]
impl NativeTlsError {
    /// The error native-tls gave.
    #[must_use]
    pub fn get_ref(&self) -> &native_tls::Error {
        &self.0
    }
}

#[cfg(feature = "native-tls")]
impl From<native_tls::Error> for NativeTlsError {
    fn from(e: native_tls::Error) -> Self {
        NativeTlsError(Arc::new(e))
    }
}

#[cfg(feature = "native-tls")]
impl PartialEq for NativeTlsError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(feature = "native-tls")]
impl std::fmt::Display for NativeTlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(feature = "native-tls")]
impl std::error::Error for NativeTlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_the_default_and_resolves_for_wss_only() {
        assert!(matches!(Connector::default(), Connector::Auto));
        assert!(matches!(
            Connector::Auto.resolve(false, "example.com"),
            Ok(Connector::Plain)
        ));
        // The test build has rustls with `ring` and `webpki-roots` (through
        // the test support crate): `Auto` is rustls. With the system's
        // store, a machine without certificates gives its typed error.
        #[cfg(feature = "rustls")]
        match Connector::Auto.resolve(true, "example.com") {
            Ok(Connector::Rustls(_)) => {}
            #[cfg(feature = "rustls-platform-verifier")]
            Err(Error::Tls(TlsError::PlatformVerifier(_))) => {}
            #[cfg(feature = "rustls-native-certs")]
            Err(Error::Tls(TlsError::NativeCerts(_))) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_a_backend_wss_is_not_enabled() {
        assert_eq!(pick(None, || None).unwrap_err(), TlsError::NotEnabled);
    }

    #[cfg(feature = "rustls-no-provider")]
    #[test]
    fn rustls_wins_when_it_has_a_provider_and_its_error_stands_otherwise() {
        let rustls = || Some(Ok(Connector::Plain));
        let native =
            || -> Option<Result<Connector, TlsError>> { panic!("not asked when rustls answers") };
        assert!(matches!(pick(rustls(), native), Ok(Connector::Plain)));
        // Without a provider: native-tls if built, else the typed error.
        let no_provider = || Some(Err(TlsError::NoCryptoProvider));
        assert!(matches!(
            pick(no_provider(), || Some(Ok(Connector::Auto))),
            Ok(Connector::Auto)
        ));
        assert_eq!(
            pick(no_provider(), || None).unwrap_err(),
            TlsError::NoCryptoProvider
        );
        // Any other rustls error (no trust anchors) is not hidden.
        assert_eq!(
            pick(Some(Err(TlsError::NoTrustAnchors)), || Some(Ok(
                Connector::Auto
            )))
            .unwrap_err(),
            TlsError::NoTrustAnchors
        );
    }

    #[cfg(feature = "rustls-no-provider")]
    #[test]
    fn no_provider_is_a_typed_error_with_what_to_do() {
        let err = choose_provider(None, None).unwrap_err();
        assert_eq!(err, TlsError::NoCryptoProvider);
        let text = Error::from(err).to_string();
        assert!(text.contains("rustls-ring"), "{text}");
        assert!(text.contains("install_default"), "{text}");
    }

    #[cfg(feature = "rustls-ring")]
    #[test]
    fn an_installed_provider_wins_over_the_compiled_one() {
        let installed = Arc::new(rustls::crypto::ring::default_provider());
        let compiled = Arc::new(rustls::crypto::ring::default_provider());
        let chosen = choose_provider(Some(&installed), Some(&compiled)).unwrap();
        assert!(Arc::ptr_eq(&chosen, &installed));
        let chosen = choose_provider(None, Some(&compiled)).unwrap();
        assert!(Arc::ptr_eq(&chosen, &compiled));
    }

    /// Which provider the build compiled in: `aws-lc-rs` when both are.
    #[cfg(feature = "rustls-ring")]
    #[test]
    fn aws_lc_rs_wins_when_both_providers_are_built() {
        let provider = compiled_provider().expect("a provider is built");
        let key_provider = format!("{:?}", provider.key_provider);
        let expected = if cfg!(feature = "rustls-aws-lc-rs") {
            "AwsLcRs"
        } else {
            "Ring"
        };
        assert_eq!(key_provider, expected);
        // Made once: the default configuration is shared.
        assert!(Arc::ptr_eq(provider, compiled_provider().unwrap()));
        let config = default_client_config().unwrap();
        assert!(Arc::ptr_eq(&config, &default_client_config().unwrap()));
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }

    #[cfg(feature = "rustls-native-certs")]
    mod native_certs {
        use super::*;

        fn load(pem: Option<&str>) -> (Result<(), TlsError>, usize) {
            let dir = std::env::temp_dir().join(format!(
                "rfc6455-native-certs-{}-{}",
                std::process::id(),
                pem.map_or(0, str::len)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("ca.pem");
            if let Some(pem) = pem {
                std::fs::write(&file, pem).unwrap();
            }
            let found = rustls_native_certs::load_certs_from_paths(Some(&file), None);
            let mut roots = rustls::RootCertStore::empty();
            let result = add_native_certs(&mut roots, found);
            let _ = std::fs::remove_dir_all(&dir);
            (result, roots.len())
        }

        #[test]
        fn a_readable_store_adds_its_certificates() {
            let pki = rfc6455_test_support::tls::Pki::new();
            let (result, added) = load(Some(&pki.ca_pem));
            assert_eq!(result, Ok(()));
            assert_eq!(added, 1);
        }

        #[test]
        fn an_unreadable_store_is_a_typed_error_naming_it() {
            let (result, added) = load(None);
            assert_eq!(added, 0);
            match result {
                Err(TlsError::NativeCerts(why)) => assert!(why.contains("ca.pem"), "{why}"),
                other => panic!("{other:?}"),
            }
            let text = Error::from(TlsError::NativeCerts("x".into())).to_string();
            assert!(text.contains("system's certificates"), "{text}");
        }

        #[test]
        fn an_empty_store_is_no_error_here_but_no_trust_anchors_later() {
            let (result, added) = load(Some(""));
            assert_eq!((result, added), (Ok(()), 0));
            let text = TlsError::NoTrustAnchors.to_string();
            assert!(text.contains("webpki-roots"), "{text}");
        }
    }

    #[cfg(feature = "native-tls")]
    #[test]
    fn the_native_tls_connector_is_made_once() {
        // Building it loads the platform's store: it works on a machine
        // without certificates too (verification fails later, typed).
        native_tls_connector().unwrap();
        native_tls_connector().unwrap();
        let Err(e) = native_tls::Certificate::from_pem(b"not a certificate") else {
            panic!("not a certificate, parsed");
        };
        let err = TlsError::NativeTls(e.into());
        assert_eq!(err, err.clone(), "a clone is the same error");
        assert!(std::error::Error::source(&err).is_some());
    }
}
