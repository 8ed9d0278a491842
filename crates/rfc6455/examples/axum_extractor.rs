//! A WebSocket server on axum 0.8 built on rfc6455's extractor
//! (`rfc6455::axum::WebSocketUpgrade`, feature `axum`), with all it adds to
//! axum's own: permessage-deflate (RFC 7692), subprotocol selection, a
//! callback for upgrades that fail, and a graceful shutdown that closes
//! the upgraded WebSockets with 1001 Going Away (`GoingAway`), which
//! axum's `with_graceful_shutdown` does not.
//!
//! It echoes every message: it is the Autobahn testee of
//! `scripts/autobahn.sh server --testee axum_extractor` (all 517 cases,
//! compression included). The first argument is the address to listen on;
//! Ctrl-C shuts it down.
//!
//! ```text
//! cargo run -p rfc6455 --features axum --example axum_extractor -- 127.0.0.1:9001
//! ```

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use rfc6455::axum::WebSocketUpgrade;
use rfc6455::deflate::DeflateConfig;
use rfc6455::{Config, GoingAway, WebSocket};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// The subprotocols spoken here; a client offering none gets none.
const PROTOCOLS: [&str; 2] = ["echo.v2", "echo.v1"];

/// How long a shutdown waits for the WebSockets' closing handshakes.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The WebSocket endpoint: 101 with permessage-deflate and the first
/// subprotocol offered that we speak, then an echo; or the refusal (400,
/// or 426 for a version other than 13).
async fn echo(State(going_away): State<GoingAway>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .config(Config::default().deflate(DeflateConfig::default()))
        .protocols(PROTOCOLS)
        .going_away(&going_away)
        .on_failed_upgrade(|e| eprintln!("axum_extractor: upgrade failed: {e}"))
        .on_upgrade(|mut ws| async move {
            if let Err(e) = echo_messages(&mut ws).await {
                eprintln!("axum_extractor: {e}");
            }
        })
}

/// Echoes until the peer closes (or the shutdown's 1001 is answered).
async fn echo_messages(
    ws: &mut WebSocket<rfc6455::hyper::UpgradedIo>,
) -> Result<(), rfc6455::Error> {
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            // Queued: the next `next()` writes all that one read produced
            // in one write.
            ws.feed(msg).await?;
        }
    }
    Ok(())
}

/// Serves the endpoint on `listener` until `shutdown` completes, then
/// closes the upgraded WebSockets (1001) and waits for them, bounded.
async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<rfc6455::GoingAwayReport> {
    let going_away = GoingAway::new();
    let app = Router::new()
        .route("/", get(echo))
        .with_state(going_away.clone());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    // axum stopped accepting; the upgraded connections are ours to close.
    Ok(going_away.shutdown(SHUTDOWN_TIMEOUT).await)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    eprintln!(
        "axum_extractor: listening on ws://{}",
        listener.local_addr()?
    );
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let report = serve(listener, ctrl_c).await?;
    eprintln!("axum_extractor: {report}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use rfc6455::CloseCode;

    /// A real round trip (with permessage-deflate) and a refused plain
    /// GET, against this example's server (crates/test-support).
    #[tokio::test]
    async fn echoes_over_websocket_and_refuses_plain_http() {
        rfc6455_test_support::echo_checks::check_echo_server(|listener| {
            super::serve(listener, std::future::pending())
        })
        .await;
    }

    /// The shutdown closes an open WebSocket with 1001 and reports it.
    #[tokio::test]
    async fn shutdown_sends_going_away() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(super::serve(listener, async {
            let _ = stopped.await;
        }));
        let code = rfc6455_test_support::echo_checks::close_code_at_shutdown(addr, || {
            let _ = stop.send(());
        })
        .await;
        assert_eq!(code, Some(CloseCode::GOING_AWAY));
        let report = server.await.unwrap().unwrap();
        assert_eq!((report.open_at_shutdown, report.closed), (1, 1), "{report}");
    }
}
