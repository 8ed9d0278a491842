//! [`GoingAway`]: the graceful shutdown of WebSockets that no [`Server`]
//! accepted (upgraded by hyper or axum, or accepted by hand): each sends
//! 1001 Going Away when it fires, and the application waits, bounded, for
//! them to finish.
//!
//! Owns the tracking (which WebSockets are still alive, which tasks to
//! abort at the deadline). Does not own the Close itself: the
//! [`WebSocket`] sends it, from the same signal a [`Server`] uses.
//!
//! [`Server`]: super::Server

use super::shutdown::Signal;
use super::WebSocket;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::{AbortHandle, JoinHandle};

/// A shutdown signal that WebSockets served outside a [`Server`] join:
/// those upgraded by hyper or axum ([`hyper::Upgrade::going_away`],
/// [`axum::WebSocketUpgrade::going_away`]) or accepted by hand
/// ([`watch`](Self::watch)). [`shutdown`](Self::shutdown) makes each
/// send 1001 Going Away (RFC 6455 §7.4.1), waits for their closing
/// handshakes up to a timeout, aborts the tasks it [`spawn`](Self::spawn)ed
/// that are still running, and reports what happened.
///
/// axum's `with_graceful_shutdown` stops accepting and waits for HTTP
/// connections, but an upgraded connection is no longer one of them: this
/// is what closes them. Cheap to clone; clones are the same signal.
///
/// A WebSocket sends its 1001 when it is next polled for a message, so the
/// code that owns it should keep reading it (`ws.next().await`), as an
/// echo loop does; once the peer answers, the stream ends.
///
/// ```no_run
/// # #[cfg(feature = "axum")]
/// # async fn run() -> std::io::Result<()> {
/// use futures_util::{SinkExt, StreamExt};
/// use rfc6455::axum::WebSocketUpgrade;
/// use rfc6455::GoingAway;
/// use std::time::Duration;
///
/// let going_away = GoingAway::new();
/// let joined = going_away.clone();
/// let app = axum::Router::new().route(
///     "/ws",
///     axum::routing::get(move |upgrade: WebSocketUpgrade| async move {
///         upgrade.going_away(&joined).on_upgrade(|mut ws| async move {
///             while let Some(Ok(msg)) = ws.next().await {
///                 if msg.is_data() && ws.send(msg).await.is_err() {
///                     break;
///                 }
///             }
///         })
///     }),
/// );
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// axum::serve(listener, app)
///     .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap_or(()) })
///     .await?;
/// // axum stopped accepting; now the WebSockets it upgraded.
/// let report = going_away.shutdown(Duration::from_secs(10)).await;
/// println!("{report}");
/// # Ok(()) }
/// ```
///
/// [`Server`]: crate::Server
/// [`hyper::Upgrade::going_away`]: crate::hyper::Upgrade::going_away
/// [`axum::WebSocketUpgrade::going_away`]: crate::axum::WebSocketUpgrade::going_away
#[derive(Debug, Clone, Default)]
pub struct GoingAway {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Fired by `shutdown`; every watched WebSocket holds a listener.
    signal: Arc<Signal>,
    /// The tasks `spawn` started and that are still running.
    tasks: Mutex<Tasks>,
}

#[derive(Debug, Default)]
struct Tasks {
    next_id: u64,
    /// The abort handle, set once the task is spawned.
    running: HashMap<u64, Option<AbortHandle>>,
}

/// What [`GoingAway::shutdown`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoingAwayReport {
    /// Watched WebSockets alive when the shutdown started.
    pub open_at_shutdown: usize,
    /// Of those, the ones that finished (were dropped) within the timeout.
    pub closed: usize,
    /// Of those, the ones still alive at the timeout. Those in tasks of
    /// [`GoingAway::spawn`] (as every one upgraded by the axum extractor)
    /// were aborted; others are left to the code that owns them.
    pub aborted: usize,
}

impl std::fmt::Display for GoingAwayReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at shutdown {} open: {} closed, {} aborted",
            self.open_at_shutdown, self.closed, self.aborted
        )
    }
}

impl GoingAway {
    /// A signal that has not fired, with nothing watching it.
    #[must_use]
    pub fn new() -> GoingAway {
        GoingAway::default()
    }

    /// Makes `ws` join this shutdown: when it fires, `ws` sends 1001
    /// Going Away (at its next poll), and the shutdown counts it open
    /// until it is dropped. A WebSocket watched after the shutdown started
    /// closes at once. Replaces any signal `ws` watched before.
    pub fn watch<S>(&self, ws: &mut WebSocket<S>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        ws.set_going_away(self.inner.signal.listener());
    }

    /// Spawns `task` on the tokio runtime, tracked: if it is still running
    /// when a [`shutdown`](Self::shutdown)'s timeout ends, it is aborted
    /// (dropping the WebSocket it owns). Run the code that owns a watched
    /// WebSocket this way so that the wait is bounded whatever it does.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Registered before it starts, completed after: a task that ends
        // at once (or is dropped by a runtime shutting down) has removed
        // its entry by then, and no handle is left behind.
        let id = {
            let mut tasks = self.lock_tasks();
            let id = tasks.next_id;
            tasks.next_id += 1;
            tasks.running.insert(id, None);
            id
        };
        let done = Untrack {
            inner: Arc::clone(&self.inner),
            id,
        };
        let handle = tokio::spawn(async move {
            let _done = done;
            task.await;
        });
        if let Some(slot) = self.lock_tasks().running.get_mut(&id) {
            *slot = Some(handle.abort_handle());
        }
        handle
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        self.inner.signal.is_fired()
    }

    /// Watched WebSockets not dropped yet.
    #[must_use]
    pub fn open(&self) -> usize {
        self.inner.signal.live()
    }

    /// Fires the signal (every watched WebSocket sends 1001 Going Away),
    /// waits up to `timeout` for all of them to finish, then aborts the
    /// tasks of [`spawn`](Self::spawn) still running. Calling it again
    /// waits again, for what is left.
    pub async fn shutdown(&self, timeout: Duration) -> GoingAwayReport {
        self.inner.signal.fire();
        let open_at_shutdown = self.open();
        let _ = tokio::time::timeout(timeout, self.inner.signal.all_dropped()).await;
        let left = self.open().min(open_at_shutdown);
        let running = std::mem::take(&mut self.lock_tasks().running);
        for task in running.into_values().flatten() {
            task.abort();
        }
        GoingAwayReport {
            open_at_shutdown,
            closed: open_at_shutdown - left,
            aborted: left,
        }
    }

    fn lock_tasks(&self) -> MutexGuard<'_, Tasks> {
        self.inner.lock_tasks()
    }
}

impl Inner {
    fn lock_tasks(&self) -> MutexGuard<'_, Tasks> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Forgets a task of [`GoingAway::spawn`] when it ends (or is aborted).
struct Untrack {
    inner: Arc<Inner>,
    id: u64,
}

impl Drop for Untrack {
    fn drop(&mut self) {
        self.inner.lock_tasks().running.remove(&self.id);
    }
}
