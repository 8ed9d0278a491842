//! Errors: RFC violations by the peer ([`ProtocolError`], each knowing the
//! close code it is answered with), opening-handshake failures
//! ([`HandshakeError`], each knowing its HTTP status), and the crate-wide
//! [`Error`] that nests them beside limits, TLS ([`TlsError`]) and I/O.

use crate::close::CloseCode;
use std::fmt;

/// A violation of RFC 6455 by the peer. The connection answers each with a
/// Close frame carrying [`ProtocolError::close_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A server received an unmasked frame (§5.1): 1002.
    UnmaskedFrame,
    /// A client received a masked frame (§5.1): 1002.
    MaskedFrame,
    /// RSV1, RSV2 or RSV3 set without an extension that defines them (§5.2),
    /// or RSV1 on a control or continuation frame (RFC 7692 §6.1): 1002.
    ReservedBits(u8),
    /// An opcode reserved for future use, 0x3–0x7 or 0xB–0xF (§5.2): 1002.
    ReservedOpcode(u8),
    /// A 64-bit payload length with its most significant bit set (§5.2): 1002.
    InvalidPayloadLength,
    /// A payload length not in its shortest encoding (§5.2): 1002.
    NonMinimalLength,
    /// A control frame with a payload over 125 bytes (§5.5): 1002.
    ControlFrameTooLong(u64),
    /// A control frame without FIN (§5.5): 1002.
    FragmentedControlFrame,
    /// A continuation frame with no message to continue (§5.4): 1002.
    UnexpectedContinuation,
    /// A new Text or Binary frame inside a fragmented message (§5.4): 1002.
    ExpectedContinuation,
    /// Text, or a close reason, that is not valid UTF-8 (§8.1): 1007.
    InvalidUtf8,
    /// A Close payload of exactly one byte (§5.5.1): 1002.
    InvalidCloseLength,
    /// A close code not allowed on the wire (§7.4): 1002.
    InvalidCloseCode(u16),
    /// A compressed message that is not valid DEFLATE (RFC 7692 §6.2): 1007.
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code this violation is answered with (RFC 6455 §7.4.1).
    #[must_use]
    pub fn close_code(self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCompressedData => {
                CloseCode::INVALID_PAYLOAD
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::UnmaskedFrame => f.write_str("client frame is not masked"),
            ProtocolError::MaskedFrame => f.write_str("server frame is masked"),
            ProtocolError::ReservedBits(bits) => {
                write!(f, "reserved bits {bits:#05b} set without an extension")
            }
            ProtocolError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            ProtocolError::InvalidPayloadLength => {
                f.write_str("64-bit payload length has its most significant bit set")
            }
            ProtocolError::NonMinimalLength => {
                f.write_str("payload length not encoded in the minimal number of bytes")
            }
            ProtocolError::ControlFrameTooLong(len) => {
                write!(f, "control frame payload of {len} bytes exceeds 125")
            }
            ProtocolError::FragmentedControlFrame => f.write_str("control frame is fragmented"),
            ProtocolError::UnexpectedContinuation => {
                f.write_str("continuation frame with no message to continue")
            }
            ProtocolError::ExpectedContinuation => {
                f.write_str("new data frame inside a fragmented message")
            }
            ProtocolError::InvalidUtf8 => f.write_str("invalid UTF-8 in text"),
            ProtocolError::InvalidCloseLength => f.write_str("close payload of one byte"),
            ProtocolError::InvalidCloseCode(code) => write!(f, "invalid close code {code}"),
            ProtocolError::InvalidCompressedData => {
                f.write_str("compressed message is not valid DEFLATE")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Which limit of [`Config`](crate::Config) an opening handshake's head
/// broke ([`HandshakeError::TooLarge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeLimit {
    /// More than `Config::max_handshake_size` bytes.
    Bytes,
    /// More header fields than `Config::max_handshake_headers`.
    Headers,
}

impl fmt::Display for HandshakeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandshakeLimit::Bytes => "bytes",
            HandshakeLimit::Headers => "headers",
        })
    }
}

/// Which timeout of the tokio layer elapsed ([`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The opening handshake (and, for a server over TLS, the TLS
    /// handshake before it) took longer than `Config::handshake_timeout`.
    Handshake,
    /// The peer did not finish the closing handshake within
    /// `Config::close_timeout`.
    Close,
    /// Nothing arrived from the peer for `Config::idle_timeout`.
    Idle,
    /// Output waited and the transport took none of it for
    /// `Config::write_timeout`: the peer stopped reading.
    Write,
    /// No TCP connection to the host (or to the proxy) was made within
    /// `ClientConfig::connect_timeout`, resolution included.
    Connect,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Handshake => "handshake",
            TimeoutKind::Close => "close",
            TimeoutKind::Idle => "idle",
            TimeoutKind::Write => "write",
            TimeoutKind::Connect => "connect",
        })
    }
}

/// Why an opening handshake failed (RFC 6455 §4). On the server side each
/// maps to the HTTP status it is answered with ([`HandshakeError::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The bytes are not a well-formed HTTP/1.1 message head: 400.
    Malformed(String),
    /// The request or response head is bigger than
    /// `Config::max_handshake_size` bytes or has more than
    /// `Config::max_handshake_headers` header fields: 431.
    TooLarge {
        /// Which limit the head broke.
        what: HandshakeLimit,
        /// The configured maximum.
        max: usize,
    },
    /// The request method is not GET (§4.2.1 item 1): 400.
    MethodNotGet,
    /// The request is older than HTTP/1.1 (§4.2.1 item 1): 400.
    HttpVersion,
    /// No `Host` header (§4.2.1 item 2): 400.
    MissingHost,
    /// `Upgrade` does not hold `websocket` (§4.2.1 item 3, §4.1 item 2).
    MissingUpgrade,
    /// `Connection` has no `Upgrade` token (§4.2.1 item 4, §4.1 item 3).
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Key` is missing, repeated, or not 16 bytes in base64
    /// (§4.2.1 item 5): 400.
    InvalidKey,
    /// `Sec-WebSocket-Version` is missing or not 13 (§4.2.1 item 6): 426 with
    /// `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// The server answered with a status other than 101 (§4.1): its
    /// status, header fields and body (up to
    /// [`Config::max_error_body`](crate::Config#structfield.max_error_body)
    /// bytes), so that a 401 or a 403 explains itself.
    UnexpectedStatus(Box<crate::handshake::ErrorResponse>),
    /// `Sec-WebSocket-Accept` is missing or wrong (§4.1 item 4).
    InvalidAccept,
    /// The server selected a subprotocol the client did not offer (§4.1 item 6).
    UnofferedSubprotocol(String),
    /// The server selected an extension the client did not offer (§4.1 item 5).
    UnofferedExtension(String),
    /// The request was refused by the server's own policy, with this status.
    Rejected(u16),
    /// The request was refused by the server's admission hook
    /// ([`Refusal`](crate::handshake::Refusal)) with this status and body
    /// (RFC 6455 §4.2.2 items 2–4).
    Refused {
        /// The status sent.
        status: u16,
        /// The body sent: why.
        reason: String,
    },
    /// The server's admission hook panicked: 500, and only this connection
    /// is lost.
    AdmissionPanicked,
    /// An HTTP/2 or HTTP/3 request that is not a WebSocket's extended
    /// CONNECT (RFC 8441 §4, §5; RFC 9220 §3): another method, no
    /// `:protocol`, no `:scheme` or `:path`, or a field HTTP/2 forbids
    /// (`Connection`, `Upgrade`...): 400, saying which.
    NotExtendedConnect(&'static str),
    /// An extended CONNECT for another protocol than `websocket` (RFC 8441
    /// §4): 501, naming it.
    UnsupportedProtocol(String),
    /// Client side: the HTTP/2 server's SETTINGS do not enable the
    /// extended CONNECT protocol (`SETTINGS_ENABLE_CONNECT_PROTOCOL`, RFC
    /// 8441 §3), so no WebSocket can be opened on that connection; use
    /// HTTP/1.1.
    NoExtendedConnect,
}

impl HandshakeError {
    /// The HTTP status a server answers this failure with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::TooLarge { .. } => 431,
            HandshakeError::UnsupportedVersion => 426,
            HandshakeError::Rejected(status) | HandshakeError::Refused { status, .. } => *status,
            HandshakeError::AdmissionPanicked => 500,
            HandshakeError::UnsupportedProtocol(_) => 501,
            _ => 400,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Malformed(why) => write!(f, "malformed HTTP: {why}"),
            HandshakeError::TooLarge { what, max } => {
                write!(f, "handshake too large: more than {max} {what}")
            }
            HandshakeError::MethodNotGet => f.write_str("method is not GET"),
            HandshakeError::HttpVersion => f.write_str("HTTP version older than 1.1"),
            HandshakeError::MissingHost => f.write_str("missing Host header"),
            HandshakeError::MissingUpgrade => f.write_str("missing `Upgrade: websocket`"),
            HandshakeError::MissingConnectionUpgrade => {
                f.write_str("`Connection` header lacks the `upgrade` token")
            }
            HandshakeError::InvalidKey => {
                f.write_str("Sec-WebSocket-Key missing, repeated, or not 16 bytes")
            }
            HandshakeError::UnsupportedVersion => {
                f.write_str("Sec-WebSocket-Version missing or not 13")
            }
            HandshakeError::UnexpectedStatus(response) => {
                write!(f, "server answered {}, not 101", response.status)
            }
            HandshakeError::InvalidAccept => f.write_str("Sec-WebSocket-Accept missing or wrong"),
            HandshakeError::UnofferedSubprotocol(p) => {
                write!(f, "server selected subprotocol {p:?} that was not offered")
            }
            HandshakeError::UnofferedExtension(e) => {
                write!(f, "server selected extension {e:?} that was not offered")
            }
            HandshakeError::Rejected(status) => write!(f, "request rejected with {status}"),
            HandshakeError::Refused { status, reason } if reason.is_empty() => {
                write!(f, "request refused with {status}")
            }
            HandshakeError::Refused { status, reason } => {
                write!(f, "request refused with {status}: {reason}")
            }
            HandshakeError::AdmissionPanicked => f.write_str("the admission hook panicked"),
            HandshakeError::NotExtendedConnect(why) => {
                write!(f, "not a WebSocket extended CONNECT: {why}")
            }
            HandshakeError::UnsupportedProtocol(p) => {
                write!(f, "extended CONNECT for {p:?}, not websocket")
            }
            HandshakeError::NoExtendedConnect => f.write_str(
                "the HTTP/2 server does not enable the extended CONNECT protocol (RFC 8441)",
            ),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// Why TLS (`wss://`) failed or could not be used.
///
/// With rustls, errors that rustls reports through the transport (a
/// certificate the client does not trust, an alert from the peer, a
/// record that is not TLS) become `TlsError::Rustls` wherever they
/// surface: in `connect`, while a `WebSocket` reads or writes, and when
/// `?` converts the `std::io::Error` of a `TlsAcceptor` into [`Error`].
/// With native-tls, a failed handshake is `TlsError::NativeTls`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TlsError {
    /// A `wss://` URL, but this build has no TLS: enable the `rustls`
    /// feature of `rfc6455` (or another TLS feature).
    NotEnabled,
    /// A `wss://` URL given to `connect_with_connector` with
    /// `Connector::Plain`, which never uses TLS.
    PlainConnector,
    /// The URL's host is neither a DNS name nor an IP address, so TLS cannot
    /// name the server (SNI) or check its certificate.
    InvalidServerName(String),
    /// rustls has no crypto provider: the build has neither
    /// `rustls-ring` nor `rustls-aws-lc-rs`, and the application installed
    /// no process default (`rustls::crypto::CryptoProvider::install_default`).
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    NoCryptoProvider,
    /// The default rustls configuration has no certificate to trust: no
    /// trust store feature is on, or the operating system's store
    /// (`rustls-native-certs`) is empty on this machine.
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    NoTrustAnchors,
    /// The operating system's certificates (`rustls-native-certs`) could
    /// not be read: what went wrong, for each place tried.
    #[cfg(feature = "rustls-native-certs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-native-certs")))]
    NativeCerts(String),
    /// The platform's verifier (`rustls-platform-verifier`) could not
    /// start (on Linux: no certificate in the system's store).
    #[cfg(feature = "rustls-platform-verifier")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-platform-verifier")))]
    PlatformVerifier(rustls::Error),
    /// rustls failed: the certificate is not trusted, has expired or names
    /// another host; the peer sent an alert; the bytes are not TLS.
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    Rustls(rustls::Error),
    /// native-tls failed: the handshake (an untrusted certificate, say), or
    /// making a connector.
    #[cfg(feature = "native-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-tls")))]
    NativeTls(crate::tls::NativeTlsError),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::NotEnabled => f.write_str(
                "wss:// needs TLS, which this build lacks (enable the `rustls` feature of rfc6455, \
                 or `native-tls`)",
            ),
            TlsError::PlainConnector => {
                f.write_str("wss:// URL given with Connector::Plain, which never uses TLS")
            }
            TlsError::InvalidServerName(host) => {
                write!(f, "{host:?} is not a DNS name or IP address TLS can verify")
            }
            #[cfg(feature = "rustls-no-provider")]
            TlsError::NoCryptoProvider => f.write_str(
                "rustls has no crypto provider: enable the `rustls-ring` or `rustls-aws-lc-rs` \
                 feature of rfc6455, or install a process default \
                 (rustls::crypto::CryptoProvider::install_default)",
            ),
            #[cfg(feature = "rustls-no-provider")]
            TlsError::NoTrustAnchors => f.write_str(
                "no certificate to trust: the enabled trust stores gave none (enable \
                 `webpki-roots`, `rustls-native-certs` or `rustls-platform-verifier`, or pass \
                 Connector::Rustls with roots of yours)",
            ),
            #[cfg(feature = "rustls-native-certs")]
            TlsError::NativeCerts(why) => {
                write!(f, "the system's certificates could not be loaded: {why}")
            }
            #[cfg(feature = "rustls-platform-verifier")]
            TlsError::PlatformVerifier(e) => {
                write!(f, "the platform's certificate verifier could not start: {e}")
            }
            #[cfg(feature = "rustls-no-provider")]
            TlsError::Rustls(e) => write!(f, "{e}"),
            #[cfg(feature = "native-tls")]
            TlsError::NativeTls(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "rustls-no-provider")]
            TlsError::Rustls(e) => Some(e),
            #[cfg(feature = "rustls-platform-verifier")]
            TlsError::PlatformVerifier(e) => Some(e),
            #[cfg(feature = "native-tls")]
            TlsError::NativeTls(e) => Some(e),
            _ => None,
        }
    }
}

/// Every error of this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke RFC 6455; a Close frame with its code was queued.
    Protocol(ProtocolError),
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// A frame's payload is longer than `Config::max_frame_size`; closed
    /// with 1009.
    FrameTooLong {
        /// The frame's payload length.
        len: u64,
        /// The configured maximum.
        max_len: usize,
    },
    /// A message is longer than `Config::max_message_size`; closed with 1009.
    MessageTooLong {
        /// The message length known so far.
        len: u64,
        /// The configured maximum.
        max_len: usize,
    },
    /// A message was sent, or a call made, after the connection closed.
    ConnectionClosed,
    /// A whole message was asked for or sent while one is streamed in
    /// that direction: `next_event` while `next_streamed_event` has begun
    /// one (receive its rest with `next_streamed_event`), or `send` of a
    /// Text or Binary while `begin_message` has begun one (end it with
    /// `send_fragment(.., true)`). The call changed nothing.
    MessageStreaming,
    /// `send_fragment` was called with no message begun
    /// (`Connection::begin_message`). The call changed nothing.
    NoMessageBegun,
    /// `send` was refused: `len` bytes already wait to be written, at least
    /// `Config::max_write_buffer_size`. Write some of the pending output
    /// first. (The tokio layer waits instead of returning this.)
    WriteBufferFull {
        /// Bytes waiting to be written.
        len: usize,
        /// The configured maximum.
        max_len: usize,
    },
    /// `close` was called with a code that may not be sent (§7.4.1:
    /// 1005, 1006, 1015 and codes outside the defined ranges).
    InvalidCloseCode(CloseCode),
    /// The peer closed the transport without a closing handshake (1006).
    AbnormalClosure,
    /// A timeout of the tokio layer elapsed (`what` names which).
    Timeout {
        /// Which timeout elapsed.
        what: TimeoutKind,
    },
    /// The URL given to `connect` is not a usable `ws://` or `wss://` URL.
    InvalidUrl(String),
    /// TLS failed, or a `wss://` URL could not use it.
    Tls(TlsError),
    /// The proxy refused the tunnel (a 407 or a 403 to `CONNECT`, a SOCKS5
    /// reply code) or broke its protocol.
    Proxy(crate::proxy::ProxyError),
    /// A redirect was not followed: one too many, a loop, from `wss://` to
    /// `ws://`, or a bad `Location`.
    Redirect(crate::handshake::RedirectError),
    /// No TCP connection could be made to the host or the proxy: its name
    /// did not resolve, or every address failed (each attempt's error is
    /// kept).
    Connect(ConnectError),
    /// An I/O error of the transport.
    Io(std::io::Error),
}

/// Why a client could not open TCP to a host ([`Error::Connect`]): the
/// name did not resolve, or every address was tried and failed.
///
/// ```
/// # async fn run() {
/// // Nothing listens on port 9 of 127.0.0.1 here.
/// if let Err(rfc6455::Error::Connect(e)) = rfc6455::connect("ws://127.0.0.1:9/").await {
///     for (addr, why) in &e.attempts {
///         eprintln!("{addr}: {why}");
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectError {
    /// The host, as the URL (or the proxy's address) names it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Each address tried, in the order of the attempts' starts, with
    /// its error; empty when the name did not resolve.
    pub attempts: Vec<(std::net::SocketAddr, std::io::Error)>,
    /// The resolver's error, when the name did not resolve.
    pub resolve: Option<std::io::Error>,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, port) = (&self.host, self.port);
        if let Some(e) = &self.resolve {
            return write!(f, "cannot resolve {host}: {e}");
        }
        write!(f, "cannot connect to {host} port {port}")?;
        let mut sep = ": ";
        for (addr, e) in &self.attempts {
            write!(f, "{sep}{addr} ({e})")?;
            sep = ", ";
        }
        Ok(())
    }
}

impl std::error::Error for ConnectError {
    /// The resolver's error, or the last attempt's.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match (&self.resolve, self.attempts.last()) {
            (Some(e), _) | (None, Some((_, e))) => Some(e),
            (None, None) => None,
        }
    }
}

impl From<ConnectError> for Error {
    fn from(e: ConnectError) -> Self {
        Error::Connect(e)
    }
}

impl Error {
    /// The close code the connection sent because of this error, if any.
    #[must_use]
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Protocol(e) => Some(e.close_code()),
            Error::FrameTooLong { .. } | Error::MessageTooLong { .. } => {
                Some(CloseCode::MESSAGE_TOO_BIG)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(e) => write!(f, "protocol error ({}): {e}", e.close_code()),
            Error::Handshake(e) => write!(f, "handshake failed: {e}"),
            Error::FrameTooLong { len, max_len } => {
                write!(
                    f,
                    "frame of {len} bytes exceeds the limit of {max_len} (1009)"
                )
            }
            Error::MessageTooLong { len, max_len } => write!(
                f,
                "message of at least {len} bytes exceeds the limit of {max_len} (1009)"
            ),
            Error::ConnectionClosed => f.write_str("connection already closed"),
            Error::MessageStreaming => f.write_str("a message is being streamed: finish it first"),
            Error::NoMessageBegun => f.write_str("no message begun: call begin_message first"),
            Error::WriteBufferFull { len, max_len } => write!(
                f,
                "{len} bytes already wait to be written (limit {max_len}); write them first"
            ),
            Error::InvalidCloseCode(code) => write!(f, "close code {code} may not be sent"),
            Error::AbnormalClosure => {
                f.write_str("peer closed the transport without a Close frame")
            }
            Error::Timeout { what } => write!(f, "{what} timed out"),
            Error::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            Error::Tls(e) => write!(f, "TLS error: {e}"),
            Error::Proxy(e) => write!(f, "proxy error: {e}"),
            Error::Redirect(e) => write!(f, "{e}"),
            Error::Connect(e) => write!(f, "{e}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Protocol(e) => Some(e),
            Error::Handshake(e) => Some(e),
            Error::Tls(e) => Some(e),
            Error::Proxy(e) => Some(e),
            Error::Redirect(e) => Some(e),
            Error::Connect(e) => Some(e),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Error::Handshake(e)
    }
}

impl From<crate::proxy::ProxyError> for Error {
    fn from(e: crate::proxy::ProxyError) -> Self {
        Error::Proxy(e)
    }
}

impl From<crate::handshake::RedirectError> for Error {
    fn from(e: crate::handshake::RedirectError) -> Self {
        Error::Redirect(e)
    }
}

impl From<TlsError> for Error {
    fn from(e: TlsError) -> Self {
        Error::Tls(e)
    }
}

/// A native-tls handshake that failed (a client's, or a
/// `tokio_native_tls::TlsAcceptor`'s under `?`), as [`Error::Tls`].
#[cfg(feature = "native-tls")]
impl From<native_tls::Error> for Error {
    fn from(e: native_tls::Error) -> Self {
        Error::Tls(TlsError::NativeTls(e.into()))
    }
}

/// An I/O error, or a TLS error that tokio-rustls carried inside one (so
/// that it reaches the caller as [`Error::Tls`]).
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        #[cfg(feature = "rustls-no-provider")]
        if let Some(tls) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Error::Tls(TlsError::Rustls(tls.clone()));
        }
        Error::Io(e)
    }
}
