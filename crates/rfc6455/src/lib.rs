//! A WebSocket implementation (RFC 6455), written from scratch.
//!
//! Three layers, each usable alone:
//!
//! 1. **Codec**: pure functions over bytes: [`frame`] headers (§5.2),
//!    [`mask`]ing (§5.3), the opening [`handshake`] (§4), close codes
//!    ([`CloseCode`], §7.4) and incremental [`utf8`] validation (§8.1).
//! 2. **Connection**: [`Connection`], a sans-IO state machine for both
//!    roles. Bytes in, events out; messages in, bytes out. It has no
//!    sockets and no clock, so it is deterministic and can be driven by any
//!    runtime, or by a test that injects any byte.
//! 3. **IO** (feature `tokio`, on by default): [`connect`], [`accept`] and
//!    [`WebSocket`], a `futures` `Stream` + `Sink` of [`Message`]s; with
//!    the `rustls` feature (off by default), `wss://` in both roles (see
//!    [`tls`]).
//!
//! Beside them, [`PreparedMessage`]: a message framed (and compressed)
//! once and sent on many connections, for broadcasts, with
//! [`Connection::buffered_amount`] to see how far each is behind.
//!
//! Every limit a peer can push against lives in [`Config`], with safe
//! defaults. Every violation of the RFC by the peer is answered by the
//! connection itself with the Close code the RFC names, before the error
//! reaches the caller.
//!
//! # Example: an echo server
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn run() -> Result<(), rfc6455::Error> {
//! use futures_util::{SinkExt, StreamExt};
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let mut ws = rfc6455::accept(stream).await?;
//!         while let Some(msg) = ws.next().await {
//!             let msg = msg?;
//!             if msg.is_data() {
//!                 ws.send(msg).await?;
//!             }
//!         }
//!         Ok::<_, rfc6455::Error>(())
//!     });
//! }
//! # }
//! ```
//!
//! # Features
//!
//! - `tokio` (default): the IO layer.
//! - `simd` (default): SIMD masking (SSE2 and AVX2 on x86_64, picked at
//!   run time; NEON on aarch64) and SIMD UTF-8 validation (`simdutf8`).
//!   Without it both use portable safe code only, with the same results
//!   (the [`mask`] tests check every implementation against the scalar
//!   reference).
//! - `tracing` (off): spans and events through `tracing`, a span per
//!   connection and an event for each refusal, protocol error, close and
//!   timeout (the list and their levels are in the `Server` docs). Off, none of
//!   it is compiled and `tracing` is not a dependency.
//! - `internals` (off): each masking implementation on its own, for the
//!   workspace's benchmarks. Not part of the stable API.
//! - `rustls` (off by default): `wss://`. [`connect`] then takes `wss://`
//!   URLs, checking the server against the `webpki-roots` trust anchors
//!   (or a configuration of yours, through [`Connector`]), and a server
//!   passes the streams of a `tokio_rustls::TlsAcceptor` to [`accept`].
//!   The [`tls`] module has both, with examples. Without TLS a `wss://`
//!   URL fails with [`TlsError::NotEnabled`].
//! - The TLS choices (off), each described in the [`tls`] module: the
//!   rustls provider (`rustls-ring`, `rustls-aws-lc-rs`, or
//!   `rustls-no-provider` for a process default), the trust store
//!   (`webpki-roots`, `rustls-native-certs`, `rustls-platform-verifier`),
//!   and `native-tls` as a second backend. `rustls` is `rustls-ring` +
//!   `webpki-roots`.
//! - `hyper` (off): [`hyper`](mod@hyper), WebSockets upgraded by hyper 1.x:
//!   a request becomes the 101 answer and a future of the [`WebSocket`],
//!   with subprotocols and permessage-deflate negotiated from [`Config`].
//! - `http2` (off, implies `hyper`): WebSockets over HTTP/2 (RFC 8441):
//!   [`hyper::Upgrade`] also takes an extended CONNECT and answers it with
//!   a 200, and [`http2`](mod@http2) opens WebSockets on an HTTP/2
//!   connection (the `h2` crate).
//! - `axum` (off, implies `hyper`): [`axum`](mod@axum), an axum 0.8
//!   extractor in the shape of axum's `WebSocketUpgrade`, with
//!   permessage-deflate. WebSockets upgraded either way can join a
//!   graceful shutdown, [`GoingAway`] (1001 Going Away, a bounded wait).
//!
//! ```no_run
//! # #[cfg(feature = "rustls")]
//! # async fn run() -> Result<(), rfc6455::Error> {
//! use futures_util::{SinkExt, StreamExt};
//!
//! let (mut ws, _) = rfc6455::connect("wss://example.com/chat").await?;
//! ws.send(rfc6455::Message::text("hello over TLS")).await?;
//! let reply = ws.next().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs, unreachable_pub)]
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Queries and builders whose result is the point: ignoring one is a bug.
#![warn(clippy::must_use_candidate, clippy::return_self_not_must_use)]

mod close;
mod config;
mod connection;
pub mod deflate;
mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
mod message;
mod output;
mod prepared;
pub mod proxy;
mod random;
mod token;
mod trace;
pub mod utf8;

#[cfg(feature = "tokio")]
mod io;

pub use close::{CloseCode, CloseFrame};
pub use config::Config;
pub use connection::{Connection, MessageKind, Role, StreamEvent};
pub use error::{
    ConnectError, Error, HandshakeError, HandshakeLimit, ProtocolError, TimeoutKind, TlsError,
};
pub use handshake::IntoClientRequest;
pub use message::{Message, Utf8Bytes};
pub use prepared::PreparedMessage;

#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub use io::TlsListener;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use io::{
    accept, accept_with_admission, accept_with_config, accept_with_policy, client_handshake,
    connect, connect_with_config, connect_with_connector, tls, Accepted, ClientConfig,
    ClosesByCode, Connector, GoingAway, GoingAwayReport, Listener, MaybeTlsStream, MessageReader,
    MessageWriter, Policy, ReadHalf, Refusals, ReuniteError, Server, ServerStats, ShutdownHandle,
    ShutdownReport, StatsHandle, WebSocket, WriteHalf,
};

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use io::axum;
#[cfg(feature = "http2")]
#[cfg_attr(docsrs, doc(cfg(feature = "http2")))]
pub use io::http2;
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub use io::upgrade as hyper;
