//! [`Server`]: an accept loop over any [`Listener`] (TCP, TLS, Unix
//! sockets) with a connection limit, an admission hook, and graceful
//! shutdown.

use super::handshake::{accept_inner, Accepted};
use super::listener::Listener;
use super::shutdown::Signal;
use super::stats::{Cause, Counters, ServerStats, StatsHandle};
use super::WebSocket;
use crate::config::Config;
use crate::error::{Error, HandshakeError};
use crate::handshake::{Accept, Admission, Refusal, Request};
use crate::trace;
use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The server's synchronous decision on an opening handshake request: `Ok`
/// with the subprotocol to select (one of [`Request::protocols`], or
/// `None`), or `Err` with the HTTP status that refuses it (403 for a bad
/// `Origin`). Kept for [`Server::policy`]; [`Admission`] can `await` and
/// answer in full.
pub type Policy = dyn Fn(&Request) -> Result<Option<String>, u16> + Send + Sync;

type ErrorHook<A> = dyn Fn(&A, &Error) + Send + Sync;

/// A WebSocket server on a [`Listener`]: TCP ([`bind`](Self::bind),
/// [`from_listener`](Self::from_listener)), TLS over it
/// ([`tls`](Self::tls), feature `rustls`), or a Unix domain socket
/// ([`bind_unix`](Self::bind_unix)).
///
/// - Each connection's handshake (TLS, then WebSocket) runs in its own
///   task, bounded by `Config::handshake_timeout`, so a flood of half-open
///   or slow connections cannot stall the accept loop.
/// - At most [`max_connections`](Self::max_connections) connections
///   (handshaking or open) at a time; one more is answered
///   `503 Service Unavailable` and closed.
/// - An [`admission`](Self::admission) hook sees every valid request
///   (RFC 6455 §4.2.2 items 2–4) and may `await`; it refuses with a full
///   response (401 with `WWW-Authenticate`, 429 with `Retry-After`...) or
///   accepts with a subprotocol and extra fields (`Set-Cookie`). A hook
///   that panics or never answers costs its connection only (500, or 503
///   at the handshake timeout).
/// - The handler gets each [`WebSocket`] with what was [`Accepted`]: the
///   request (path, query, headers) as `http` types and the peer.
/// - [`ShutdownHandle::shutdown`] stops accepting, sends 1001 Going Away to
///   every open connection, waits up to
///   [`shutdown_timeout`](Self::shutdown_timeout) for their closing
///   handshakes, aborts what is left, and [`serve`](Self::serve) returns a
///   [`ShutdownReport`].
/// - It counts connections accepted, open, refused by cause and closed by
///   close code: [`stats_handle`](Self::stats_handle) reads them while it
///   serves, the [`ShutdownReport`] holds them at the end.
///
/// # Tracing
///
/// With the `tracing` feature, each connection runs in a span
/// `websocket{peer, path}` (level INFO; `path` once the request is read),
/// so the handler's own events land in it too, and the server reports:
///
/// | message | level | fields |
/// |---|---|---|
/// | `refused: max_connections open` (503) | INFO | `peer`, `status`, `reason` |
/// | `refused by the admission hook` (its status) | INFO | `status`, `reason` |
/// | `refused: the admission hook panicked` (500) | ERROR | `status`, `reason` |
/// | `refused: invalid admission answer` (500) | ERROR | `status`, `reason` |
/// | `refused: no admission decision in time` (503) | WARN | `status`, `reason` |
/// | `refused: not a valid opening handshake` (400, 426, 431) | DEBUG | `status`, `reason` |
/// | `handshake failed` (TLS, timeout, peer gone) | DEBUG | `cause`, `error` |
/// | `connection failed` (protocol error or limit: the Close sent) | DEBUG | `code`, `error` |
/// | `closing handshake started` | DEBUG | `code`, `reason`, `initiator` |
/// | `the peer answered our Close` | TRACE | `code` |
/// | `idle timeout`, `close timeout`, `write timeout` | DEBUG | `timeout` |
/// | `connection closed` | DEBUG | `code`, `initiator` |
///
/// What a hostile or broken peer causes is DEBUG (INFO for refusals that
/// a policy decided): a flood of it cannot flood the logs at the usual
/// levels. ERROR and WARN name what the server itself got wrong. No event
/// carries a payload or a query string. `code` is the close code as a
/// number (the one [`ClosesByCode`](crate::ClosesByCode) counts);
/// `initiator` is `local`, `remote` or (no Close either way, 1006) `none`.
/// A client connection ([`connect`](crate::connect)) runs its events in
/// `websocket_client{host, path}`, and reports `connect failed` (DEBUG,
/// `error`).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use futures_util::{SinkExt, StreamExt};
/// use rfc6455::handshake::{Accept, Admission, Refusal};
/// use rfc6455::{Config, Server};
///
/// let server = Server::bind("127.0.0.1:9001", Config::default())
///     .await?
///     .max_connections(1000)
///     .admission(Admission::sync(|request| {
///         match request.headers.get("origin").map(|o| o.as_bytes()) {
///             Some(b"https://example.com") | None => Ok(Accept::new()),
///             Some(_) => Err(Refusal::forbidden("origin not allowed")),
///         }
///     }));
/// let handle = server.shutdown_handle();
/// tokio::spawn(async move {
///     tokio::signal::ctrl_c().await.ok();
///     handle.shutdown();
/// });
/// let report = server
///     .serve(|mut ws, accepted| async move {
///         println!("{} on {}", accepted.peer, accepted.request.uri.path());
///         while let Some(Ok(msg)) = ws.next().await {
///             if msg.is_data() && ws.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     })
///     .await;
/// println!("{report}");
/// # Ok(()) }
/// ```
pub struct Server<L: Listener = TcpListener> {
    listener: L,
    /// Shared by every connection (a pointer each, not a copy).
    config: Arc<Config>,
    max_connections: usize,
    shutdown_timeout: Duration,
    admission: Admission,
    on_error: Option<Arc<ErrorHook<L::Addr>>>,
    signal: Arc<Signal>,
    counters: Arc<Counters>,
}

impl<L: Listener + std::fmt::Debug> std::fmt::Debug for Server<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("max_connections", &self.max_connections)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

/// Stops a [`Server`]; cheap to clone and send to another task.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    signal: Arc<Signal>,
}

impl ShutdownHandle {
    /// Starts the graceful shutdown; [`Server::serve`] returns when it is
    /// over. Calling it again does nothing.
    pub fn shutdown(&self) {
        self.signal.fire();
    }
}

/// What a [`Server`] did, returned by [`Server::serve`] after shutdown:
/// how the shutdown went, and every counter ([`stats`](Self::stats)).
///
/// `accepted`, `refused` and `failed_handshakes` are kept for existing
/// callers; they are read from `stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Connections accepted (`stats.accepted`).
    pub accepted: u64,
    /// Connections refused with 503 because `max_connections` were open
    /// (`stats.refused.over_limit`).
    pub refused: u64,
    /// Handshakes that failed (TLS, bad request, refused by the
    /// admission hook, timed out): every refusal of `stats.refused` but
    /// those over the limit.
    pub failed_handshakes: u64,
    /// Connections open when the shutdown started.
    pub open_at_shutdown: usize,
    /// Of those, the ones that finished within the shutdown timeout.
    pub closed: usize,
    /// Of those, the ones still running at the timeout, aborted.
    pub aborted: usize,
    /// The server's counters once every connection's task ended: none
    /// open, unless a handler moved its `WebSocket` to a task of its own.
    pub stats: ServerStats,
}

impl std::fmt::Display for ShutdownReport {
    /// `at shutdown 2 open: 2 closed, 0 aborted; accepted 12, open 0;
    /// refused 3 (over the limit 1, ...); closed 9 (1000: 5, 1001: 2, ...)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at shutdown {} open: {} closed, {} aborted; {}",
            self.open_at_shutdown, self.closed, self.aborted, self.stats
        )
    }
}

impl Server<TcpListener> {
    /// Listens on TCP `addr`, with `config` for every connection.
    pub async fn bind(addr: impl ToSocketAddrs, config: Config) -> io::Result<Server> {
        Ok(Server::from_listener(
            TcpListener::bind(addr).await?,
            config,
        ))
    }
}

#[cfg(unix)]
impl Server<tokio::net::UnixListener> {
    /// Listens on a Unix domain socket at `path` (which must not exist),
    /// with `config` for every connection.
    pub fn bind_unix(
        path: impl AsRef<Path>,
        config: Config,
    ) -> io::Result<Server<tokio::net::UnixListener>> {
        Ok(Server::from_listener(
            tokio::net::UnixListener::bind(path)?,
            config,
        ))
    }
}

impl<L: Listener> Server<L> {
    /// Serves on a listener bound elsewhere: a `tokio::net::TcpListener`,
    /// a `tokio::net::UnixListener`, or any [`Listener`].
    pub fn from_listener(listener: L, config: Config) -> Server<L> {
        Server {
            listener,
            config: Arc::new(config),
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(10),
            admission: Admission::accept_all(),
            on_error: None,
            signal: Signal::new(),
            counters: Arc::default(),
        }
    }

    /// Serves `wss://`: each connection runs the TLS handshake of
    /// `acceptor` first, in its own task, within `Config::handshake_timeout`
    /// and counted against [`max_connections`](Self::max_connections). A
    /// failed TLS handshake fails that connection only, with
    /// [`Error::Tls`] (see [`on_handshake_error`](Self::on_handshake_error)).
    ///
    /// ```no_run
    /// # async fn run(acceptor: rfc6455::tls::tokio_rustls::TlsAcceptor) -> std::io::Result<()> {
    /// let server = rfc6455::Server::bind("0.0.0.0:443", rfc6455::Config::default())
    ///     .await?
    ///     .tls(acceptor);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "rustls-no-provider")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls-no-provider")))]
    #[must_use]
    pub fn tls(
        self,
        acceptor: crate::tls::tokio_rustls::TlsAcceptor,
    ) -> Server<super::listener::TlsListener<L>>
    where
        L: Sync,
    {
        Server {
            listener: super::listener::TlsListener::new(self.listener, acceptor),
            config: self.config,
            max_connections: self.max_connections,
            shutdown_timeout: self.shutdown_timeout,
            admission: self.admission,
            on_error: self.on_error,
            signal: self.signal,
            counters: self.counters,
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.listener.local_addr()
    }

    /// Most connections at a time, handshaking or open. Default: 10,000.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// How long a graceful shutdown waits for open connections to finish
    /// their closing handshakes. Default: 10 s.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Decides on each valid request (RFC 6455 §4.2.2 items 2–4: origin,
    /// resource, subprotocol, authentication), and may `await`: see
    /// [`Admission`] and [`accept_with_admission`](crate::accept_with_admission),
    /// which runs it the same way. The request's extensions hold the peer's
    /// address (`L::Addr`). Default: accept, no subprotocol.
    #[must_use]
    pub fn admission(mut self, admission: Admission) -> Self {
        self.admission = admission;
        self
    }

    /// A synchronous decision on each valid request, kept for existing
    /// callers: `Ok` with the subprotocol, or `Err` with the status that
    /// refuses it. [`admission`](Self::admission) replaces it (and is
    /// replaced by it).
    #[must_use]
    pub fn policy<F>(self, policy: F) -> Self
    where
        F: Fn(&Request) -> Result<Option<String>, u16> + Send + Sync + 'static,
    {
        self.admission(Admission::sync(move |parts| {
            let request = Request::from_parts(parts).map_err(Refusal::from_error)?;
            match policy(&request) {
                Ok(protocol) => Ok(Accept::new().maybe_protocol(protocol)),
                Err(status) => Err(Refusal::from_error(HandshakeError::Rejected(status))),
            }
        }))
    }

    /// Called with the peer and the error of every connection that did
    /// not become a WebSocket: TLS failures ([`Error::Tls`]), bad requests
    /// and refusals ([`Error::Handshake`], whose status the client got;
    /// [`HandshakeError::Refused`] with 503 over `max_connections`),
    /// timeouts ([`Error::Timeout`]). For logs and metrics; keep it quick,
    /// it runs in the connection's task.
    #[must_use]
    pub fn on_handshake_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&L::Addr, &Error) + Send + Sync + 'static,
    {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// A handle that stops this server.
    #[must_use]
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            signal: Arc::clone(&self.signal),
        }
    }

    /// Its counters now (all zero before [`serve`](Self::serve), which
    /// takes the server: read them while it serves through a
    /// [`stats_handle`](Self::stats_handle)).
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.stats_handle().snapshot()
    }

    /// A handle that reads this server's counters, while it serves and
    /// after: connections accepted, open, refused by cause, closed by
    /// close code.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let server = rfc6455::Server::bind("127.0.0.1:9001", rfc6455::Config::default()).await?;
    /// let stats = server.stats_handle();
    /// let serving = tokio::spawn(server.serve(|_ws, _accepted| async {}));
    /// // ...
    /// let now = stats.snapshot();
    /// println!("{} open, {} refused over the limit", now.open, now.refused.over_limit);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle::new(Arc::clone(&self.counters))
    }

    /// Accepts connections until shut down, running `handler` in its own
    /// task for each one whose handshake succeeded, with what was
    /// [`Accepted`] (the request, the peer, the subprotocol). Returns once
    /// the shutdown is over.
    ///
    /// The handler should read the `WebSocket` until it ends: on shutdown
    /// the connection sends 1001 Going Away, and the stream ends once the
    /// peer has answered (or `Config::close_timeout` passed). A handler
    /// that panics loses its connection only.
    pub async fn serve<H, Fut>(self, handler: H) -> ShutdownReport
    where
        H: Fn(WebSocket<L::Io>, Accepted<L::Addr>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Server {
            mut listener,
            config,
            max_connections,
            shutdown_timeout,
            admission,
            on_error,
            signal,
            counters,
        } = self;
        let shared = Arc::new(Shared {
            handler,
            counters,
            on_error,
        });
        let permits = Arc::new(Semaphore::new(max_connections));
        let mut tasks = JoinSet::new();
        let mut report = ShutdownReport::default();
        let stop = signal.listener();
        loop {
            let accepted = tokio::select! {
                accepted = std::future::poll_fn(|cx| listener.poll_accept(cx)) => accepted,
                () = std::future::poll_fn(|cx| {
                    if stop.poll_fired(cx) {
                        std::task::Poll::Ready(())
                    } else {
                        std::task::Poll::Pending
                    }
                }) => break,
                // Reap finished connections as we go.
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            };
            let (conn, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: keep serving the others.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            shared.counters.accepted();
            let secure = listener.secure(conn);
            let deadline = Instant::now() + config.handshake_timeout;
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                shared.counters.refused(Cause::OverLimit);
                trace::event!(INFO, peer = ?peer, status = 503, reason = OVER_THE_LIMIT, "refused: max_connections open");
                if let Some(hook) = &shared.on_error {
                    let error = HandshakeError::Refused {
                        status: 503,
                        reason: OVER_THE_LIMIT.to_owned(),
                    };
                    hook(&peer, &Error::Handshake(error));
                }
                // The answer goes over TLS too, so it is bounded in time.
                tokio::spawn(tokio::time::timeout_at(deadline, async move {
                    if let Ok(mut io) = secure.await {
                        let _ = io.write_all(SERVICE_UNAVAILABLE).await;
                        let _ = io.shutdown().await;
                    }
                }));
                continue;
            };
            let config = Arc::clone(&config);
            let admission = admission.clone();
            let shared = Arc::clone(&shared);
            let going_away = signal.listener();
            let span = trace::server_span(&peer);
            // Boxed, so that the task holds only the pointer to the
            // handshake's state (freed once it is done), not what it needs
            // (the config, the hook, the stream, the peer).
            let handshake = Box::pin(async move {
                let io = match tokio::time::timeout_at(deadline, secure).await {
                    Ok(Ok(io)) => io,
                    Ok(Err(error)) => return Err((error, Cause::Tls, peer)),
                    Err(_) => {
                        let error = Error::Timeout {
                            what: crate::TimeoutKind::Handshake,
                        };
                        return Err((error, Cause::HandshakeTimeout, peer));
                    }
                };
                let decide = move |_: &Request, parts: &http::request::Parts| {
                    trace::record_path(&parts.uri);
                    admission.admit(parts)
                };
                accept_inner(io, peer.clone(), config, deadline, decide)
                    .await
                    .map_err(|error| {
                        let cause = Cause::of_handshake(&error);
                        (error, cause, peer)
                    })
            });
            let fut = async move {
                let _permit = permit;
                // The handler's future is boxed too, and made where no await
                // follows in the same scope: otherwise the task would keep
                // room for the WebSocket twice (the value moved into the
                // handler and the handler's own copy), 1.9 KB in all.
                let handling = match handshake.await {
                    Ok((mut ws, accepted)) => {
                        ws.set_going_away(going_away);
                        ws.observer_mut().count_in(Arc::clone(&shared.counters));
                        Box::pin((shared.handler)(ws, accepted))
                    }
                    Err((error, cause, peer)) => {
                        shared.counters.refused(cause);
                        // Refusals with a status were reported as they
                        // were sent (`handshake::refuse`).
                        if !matches!(error, Error::Handshake(_)) {
                            trace::event!(DEBUG, cause = cause.as_str(), %error, "handshake failed");
                        }
                        if let Some(hook) = &shared.on_error {
                            hook(&peer, &error);
                        }
                        return;
                    }
                };
                handling.await;
            };
            tasks.spawn(trace::instrument(fut, span));
        }
        drop(listener);
        report.open_at_shutdown = tasks.len();
        let deadline = tokio::time::Instant::now() + shutdown_timeout;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(_)) => report.closed += 1,
                Ok(None) => break,
                Err(_) => {
                    report.aborted = tasks.len();
                    tasks.shutdown().await;
                    break;
                }
            }
        }
        report.stats = StatsHandle::new(Arc::clone(&shared.counters)).snapshot();
        report.accepted = report.stats.accepted;
        report.refused = report.stats.refused.over_limit;
        report.failed_handshakes = report.stats.refused.total() - report.refused;
        report
    }
}

/// What every connection's task of one [`Server::serve`] shares.
struct Shared<H, A> {
    handler: H,
    counters: Arc<Counters>,
    on_error: Option<Arc<ErrorHook<A>>>,
}

/// The body of [`SERVICE_UNAVAILABLE`].
const OVER_THE_LIMIT: &str = "too many connections now";

const SERVICE_UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\n\r\n\
too many connections now";
