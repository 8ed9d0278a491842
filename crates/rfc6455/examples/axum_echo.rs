//! An echo server on axum 0.8: a route handler takes the request, rfc6455
//! checks it as a WebSocket handshake (RFC 6455 §4.2.1) and makes the 101
//! answer the handler returns, and once hyper (under axum) hands over the
//! connection, rfc6455 speaks WebSocket on it. A request that is not a
//! WebSocket handshake gets the refusal: 400, or 426 for a version other
//! than 13 (§4.4).
//!
//! ```text
//! cargo run -p rfc6455 --example axum_echo -- 127.0.0.1:9001
//! ```

use axum::extract::Request;
use axum::http::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use rfc6455::deflate::DeflateConfig;
use rfc6455::{handshake, Config, Role, WebSocket};
use tokio::net::TcpListener;

/// The library's defaults with permessage-deflate on (as the Autobahn
/// testee `fuzzserver`).
fn config() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

/// The WebSocket endpoint: 101 and an echo, or the refusal.
async fn echo(mut request: Request) -> Response<String> {
    let config = config();
    let accepted = handshake::Request::from_http(&request)
        .and_then(|checked| checked.accept_http(None, &config));
    let (response, deflate) = match accepted {
        Ok(accepted) => accepted,
        Err(e) => return handshake::reject_http(&e).map(|()| e.to_string()),
    };
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let io = match upgrade.await {
            Ok(upgraded) => TokioIo::new(upgraded),
            Err(e) => return eprintln!("axum_echo: upgrade failed: {e}"),
        };
        let mut ws = WebSocket::from_raw_with_deflate(io, Role::Server, config, deflate);
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_data() && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    response.map(|()| String::new())
}

fn app() -> Router {
    Router::new().route("/", get(echo))
}

/// Serves `app` on every connection `listener` accepts.
async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app()).await
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
