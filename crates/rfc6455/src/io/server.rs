//! [`Server`]: an accept loop with a connection limit, a request policy,
//! and graceful shutdown.

use super::handshake::accept_with_policy;
use super::shutdown::Signal;
use super::WebSocket;
use crate::config::Config;
use crate::handshake::Request;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The server's decision on an opening handshake request: `Ok` with the
/// subprotocol to select (one of [`Request::protocols`], or `None`), or
/// `Err` with the HTTP status that refuses it (403 for a bad `Origin`).
pub type Policy = dyn Fn(&Request) -> Result<Option<String>, u16> + Send + Sync;

/// A WebSocket server on a TCP listener.
///
/// - Each connection's handshake runs in its own task, bounded by
///   `Config::handshake_timeout`, so a flood of half-open or slow
///   connections cannot stall the accept loop.
/// - At most [`max_connections`](Self::max_connections) connections
///   (handshaking or open) at a time; one more is answered
///   `503 Service Unavailable` and closed.
/// - A [`policy`](Self::policy) sees every valid request and may refuse it
///   with a status, or pick its subprotocol.
/// - [`ShutdownHandle::shutdown`] stops accepting, sends 1001 Going Away to
///   every open connection, waits up to
///   [`shutdown_timeout`](Self::shutdown_timeout) for their closing
///   handshakes, aborts what is left, and [`serve`](Self::serve) returns a
///   [`ShutdownReport`].
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use futures_util::{SinkExt, StreamExt};
/// use rfc6455::{Config, Server};
///
/// let server = Server::bind("127.0.0.1:9001", Config::default())
///     .await?
///     .max_connections(1000)
///     .policy(|request| match request.origin.as_deref() {
///         Some("https://example.com") | None => Ok(None),
///         Some(_) => Err(403),
///     });
/// let handle = server.shutdown_handle();
/// tokio::spawn(async move {
///     tokio::signal::ctrl_c().await.ok();
///     handle.shutdown();
/// });
/// let report = server
///     .serve(|mut ws, _peer| async move {
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
pub struct Server {
    listener: TcpListener,
    config: Config,
    max_connections: usize,
    shutdown_timeout: Duration,
    policy: Arc<Policy>,
    signal: Arc<Signal>,
}

impl std::fmt::Debug for Server {
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

/// What a [`Server`] did, returned by [`Server::serve`] after shutdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// TCP connections accepted.
    pub accepted: u64,
    /// Connections refused with 503 because `max_connections` were open.
    pub refused: u64,
    /// Handshakes that failed (bad request, refused by the policy, timed
    /// out); each got its HTTP status.
    pub failed_handshakes: u64,
    /// Connections open when the shutdown started.
    pub open_at_shutdown: usize,
    /// Of those, the ones that finished within the shutdown timeout.
    pub closed: usize,
    /// Of those, the ones still running at the timeout, aborted.
    pub aborted: usize,
}

impl std::fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "accepted {}, refused {} (over the limit), failed handshakes {}; \
             at shutdown {} open: {} closed, {} aborted",
            self.accepted,
            self.refused,
            self.failed_handshakes,
            self.open_at_shutdown,
            self.closed,
            self.aborted
        )
    }
}

impl Server {
    /// Listens on `addr`, with `config` for every connection.
    pub async fn bind(addr: impl ToSocketAddrs, config: Config) -> io::Result<Server> {
        Ok(Server::from_listener(
            TcpListener::bind(addr).await?,
            config,
        ))
    }

    /// Serves on a listener bound elsewhere.
    pub fn from_listener(listener: TcpListener, config: Config) -> Server {
        Server {
            listener,
            config,
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(10),
            policy: Arc::new(|_: &Request| Ok(None)),
            signal: Signal::new(),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
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
    /// resource, subprotocol, authentication). Default: accept, no
    /// subprotocol.
    #[must_use]
    pub fn policy<F>(mut self, policy: F) -> Self
    where
        F: Fn(&Request) -> Result<Option<String>, u16> + Send + Sync + 'static,
    {
        self.policy = Arc::new(policy);
        self
    }

    /// A handle that stops this server.
    #[must_use]
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            signal: Arc::clone(&self.signal),
        }
    }

    /// Accepts connections until shut down, running `handler` in its own
    /// task for each one whose handshake succeeded. Returns once the
    /// shutdown is over.
    ///
    /// The handler should read the `WebSocket` until it ends: on shutdown
    /// the connection sends 1001 Going Away, and the stream ends once the
    /// peer has answered (or `Config::close_timeout` passed).
    pub async fn serve<H, Fut>(self, handler: H) -> ShutdownReport
    where
        H: Fn(WebSocket<TcpStream>, SocketAddr) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let permits = Arc::new(Semaphore::new(self.max_connections));
        let failed = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        let mut report = ShutdownReport::default();
        let stop = self.signal.listener();
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
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
            let (mut stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: keep serving the others.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            report.accepted += 1;
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                report.refused += 1;
                tokio::spawn(async move {
                    let _ = stream.write_all(SERVICE_UNAVAILABLE).await;
                    let _ = stream.shutdown().await;
                });
                continue;
            };
            let config = self.config.clone();
            let policy = Arc::clone(&self.policy);
            let handler = Arc::clone(&handler);
            let failed = Arc::clone(&failed);
            let going_away = self.signal.listener();
            // Made out here, so that the task holds only the pointer to the
            // handshake's state that `accept_with_policy` returns (freed
            // once it is done), not what it needs (the config, the policy,
            // the stream).
            let handshake = accept_with_policy(stream, config, move |r| policy(r));
            let fut = async move {
                let _permit = permit;
                // The handler's future is boxed too, and made where no await
                // follows in the same scope: otherwise the task would keep
                // room for the WebSocket twice (the value moved into the
                // handler and the handler's own copy), 1.9 KB in all.
                let handling = match handshake.await {
                    Ok(mut ws) => {
                        ws.set_going_away(going_away);
                        Box::pin(handler(ws, peer))
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                };
                handling.await;
            };
            tasks.spawn(fut);
        }
        drop(self.listener);
        report.open_at_shutdown = tasks.len();
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
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
        report.failed_handshakes = failed.load(Ordering::Relaxed);
        report
    }
}

const SERVICE_UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 24\r\n\r\n\
too many connections now";
