//! The tokio layer: async `connect`, `accept`, and [`WebSocket`], a
//! `Stream` + `Sink` of [`Message`](crate::Message)s over any
//! `AsyncRead + AsyncWrite`, TLS or not (`wss://`, see [`tls`]).
//!
//! This layer only moves bytes and keeps time (handshake and closing
//! timeouts). Every protocol rule lives in the sans-IO
//! [`Connection`](crate::Connection); if one shows up here, it belongs there.

#[cfg(feature = "axum")]
pub mod axum;
mod client;
mod dial;
mod going_away;
mod handshake;
#[cfg(feature = "http2")]
pub mod http2;
mod listener;
mod observer;
mod pool;
mod server;
mod shutdown;
mod split;
mod stats;
mod stream;
mod streaming;
pub mod tls;
#[cfg(feature = "hyper")]
pub mod upgrade;

pub use client::ClientConfig;
pub use going_away::{GoingAway, GoingAwayReport};
pub use handshake::{
    accept, accept_with_admission, accept_with_config, accept_with_policy, client_handshake,
    connect, connect_with_config, connect_with_connector, Accepted,
};
pub use listener::Listener;
#[cfg(feature = "rustls-no-provider")]
pub use listener::TlsListener;
pub use server::{Policy, Server, ShutdownHandle, ShutdownReport};
pub use split::{ReadHalf, ReuniteError, WriteHalf};
pub use stats::{ClosesByCode, Refusals, ServerStats, StatsHandle};
pub use stream::WebSocket;
pub use streaming::{MessageReader, MessageWriter};
pub use tls::{Connector, MaybeTlsStream};

/// Moves as much of `chunk` as fits into `buf`, and says how much: the
/// step of every `AsyncRead` here that hands out buffered `Bytes`.
pub(crate) fn take_into(chunk: &mut bytes::Bytes, buf: &mut tokio::io::ReadBuf<'_>) -> usize {
    let n = chunk.len().min(buf.remaining());
    buf.put_slice(&chunk[..n]);
    bytes::Buf::advance(chunk, n);
    n
}
