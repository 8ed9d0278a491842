//! [`Listener`]: where a [`Server`](super::Server) gets its connections:
//! TCP, Unix domain sockets (`cfg(unix)`), or TLS over either (feature
//! `rustls`).
//!
//! Accepting is split in two so that the accept loop never waits on a
//! peer: [`Listener::poll_accept`] only takes a connection the kernel
//! already has; [`Listener::secure`] (the TLS handshake, or nothing) runs
//! in the connection's own task, under `Config::handshake_timeout` and
//! inside the server's `max_connections`.

use crate::error::Error;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

/// A source of connections for a [`Server`](super::Server).
///
/// Implemented for `tokio::net::TcpListener`, `tokio::net::UnixListener`
/// (on Unix) and [`TlsListener`] (feature `rustls`) over either.
pub trait Listener: Send + 'static {
    /// A connection as accepted, before [`secure`](Self::secure).
    type Conn: Send + 'static;
    /// The stream the WebSocket runs on.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The peer's address (and the listener's own).
    type Addr: Clone + fmt::Debug + Send + Sync + 'static;

    /// Takes the next connection the system accepted.
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Conn, Self::Addr)>>;

    /// The address it listens on.
    fn local_addr(&self) -> io::Result<Self::Addr>;

    /// Makes the stream of a connection: the TLS handshake, or nothing.
    /// Runs in the connection's task, under the handshake timeout.
    fn secure(
        &self,
        conn: Self::Conn,
    ) -> impl Future<Output = Result<Self::Io, Error>> + Send + 'static;
}

impl Listener for TcpListener {
    type Conn = TcpStream;
    type Io = TcpStream;
    type Addr = SocketAddr;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        TcpListener::poll_accept(self, cx).map_ok(|(tcp, peer)| {
            // Handshakes and small messages are latency-bound.
            let _ = tcp.set_nodelay(true);
            (tcp, peer)
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpListener::local_addr(self)
    }

    fn secure(
        &self,
        conn: TcpStream,
    ) -> impl Future<Output = Result<TcpStream, Error>> + Send + 'static {
        std::future::ready(Ok(conn))
    }
}

#[cfg(unix)]
impl Listener for tokio::net::UnixListener {
    type Conn = tokio::net::UnixStream;
    type Io = tokio::net::UnixStream;
    type Addr = tokio::net::unix::SocketAddr;

    fn poll_accept(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(tokio::net::UnixStream, tokio::net::unix::SocketAddr)>> {
        tokio::net::UnixListener::poll_accept(self, cx)
    }

    fn local_addr(&self) -> io::Result<tokio::net::unix::SocketAddr> {
        tokio::net::UnixListener::local_addr(self)
    }

    fn secure(
        &self,
        conn: tokio::net::UnixStream,
    ) -> impl Future<Output = Result<tokio::net::UnixStream, Error>> + Send + 'static {
        std::future::ready(Ok(conn))
    }
}

/// TLS (`wss://`) over another listener, with a `tokio_rustls`
/// acceptor: the TLS handshake runs in each connection's task, under
/// `Config::handshake_timeout`, and a connection counts against
/// `max_connections` from the moment it is accepted. Made by
/// [`Server::tls`](super::Server::tls).
#[cfg(feature = "rustls-no-provider")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
pub struct TlsListener<L> {
    inner: L,
    acceptor: tokio_rustls::TlsAcceptor,
}

#[cfg(feature = "rustls-no-provider")]
impl<L: fmt::Debug> fmt::Debug for TlsListener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "rustls-no-provider")]
impl<L> TlsListener<L> {
    /// `inner`'s connections, secured by `acceptor`.
    pub fn new(inner: L, acceptor: tokio_rustls::TlsAcceptor) -> Self {
        TlsListener { inner, acceptor }
    }

    /// The listener underneath.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

#[cfg(feature = "rustls-no-provider")]
impl<L> Listener for TlsListener<L>
where
    L: Listener + Sync,
{
    type Conn = L::Conn;
    type Io = tokio_rustls::server::TlsStream<L::Io>;
    type Addr = L::Addr;

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(L::Conn, L::Addr)>> {
        self.inner.poll_accept(cx)
    }

    fn local_addr(&self) -> io::Result<L::Addr> {
        self.inner.local_addr()
    }

    fn secure(
        &self,
        conn: L::Conn,
    ) -> impl Future<Output = Result<Self::Io, Error>> + Send + 'static {
        let inner = self.inner.secure(conn);
        let acceptor = self.acceptor.clone();
        async move { Ok(acceptor.accept(inner.await?).await?) }
    }
}
