//! An echo server on axum 0.8, through rfc6455's extractor
//! (`rfc6455::axum::WebSocketUpgrade`, feature `axum`): the route handler
//! takes the handshake, answers 101 with permessage-deflate negotiated
//! (RFC 7692), and the callback echoes on the WebSocket. A request that is
//! not a WebSocket handshake gets the refusal: 400, or 426 for a version
//! other than 13 (RFC 6455 §4.4).
//!
//! ```text
//! cargo run -p rfc6455 --features axum --example axum_echo -- 127.0.0.1:9001
//! ```
//!
//! `axum_extractor` adds subprotocols and a graceful shutdown.

use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use rfc6455::axum::WebSocketUpgrade;
use rfc6455::deflate::DeflateConfig;
use rfc6455::Config;
use tokio::net::TcpListener;

/// The WebSocket endpoint: 101 and an echo, or the refusal.
async fn echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .config(Config::default().deflate(DeflateConfig::default()))
        .on_upgrade(|mut ws| async move {
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_data() && ws.send(msg).await.is_err() {
                    break;
                }
            }
        })
}

/// Serves the endpoint on every connection `listener` accepts.
async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, Router::new().route("/", get(echo))).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    eprintln!("axum_echo: listening on ws://{}", listener.local_addr()?);
    serve(listener).await
}

#[cfg(test)]
mod tests {
    /// A real round trip (with permessage-deflate) and a refused plain
    /// GET, against this example's server (crates/test-support).
    #[tokio::test]
    async fn echoes_over_websocket_and_refuses_plain_http() {
        rfc6455_test_support::echo_checks::check_echo_server(super::serve).await;
    }
}
