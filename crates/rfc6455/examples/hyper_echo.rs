//! An echo server on hyper 1.x, through rfc6455's hyper helper
//! (`rfc6455::hyper`, feature `hyper`): hyper reads the HTTP request,
//! `Upgrade::upgrade` checks it as a WebSocket handshake (RFC 6455 §4.2.1)
//! and makes the 101 answer, with permessage-deflate negotiated (RFC 7692),
//! and the future it returns yields the WebSocket once hyper hands over
//! the connection. A request that is not a WebSocket handshake gets the
//! refusal: 400, or 426 for a version other than 13 (§4.4).
//!
//! ```text
//! cargo run -p rfc6455 --features hyper --example hyper_echo -- 127.0.0.1:9001
//! ```

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use rfc6455::deflate::DeflateConfig;
use rfc6455::hyper::Upgrade;
use rfc6455::Config;
use std::convert::Infallible;
use tokio::net::TcpListener;

/// Answers one HTTP request: 101 and a WebSocket echo, or the refusal.
async fn handle(mut request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let upgrade = Upgrade::new(Config::default().deflate(DeflateConfig::default()));
    let (response, upgrading) = match upgrade.upgrade(&mut request) {
        Ok(accepted) => accepted,
        Err(refusal) => return Ok(refusal.to_http()),
    };
    tokio::spawn(async move {
        let mut ws = match upgrading.await {
            Ok(ws) => ws,
            Err(e) => return eprintln!("hyper_echo: upgrade failed: {e}"),
        };
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_data() && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    Ok(response)
}

/// Serves every connection `listener` accepts.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new()) // bounds the time to read a head
                .serve_connection(TokioIo::new(tcp), service_fn(handle))
                .with_upgrades();
            if let Err(e) = connection.await {
                eprintln!("hyper_echo: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    eprintln!("hyper_echo: listening on ws://{}", listener.local_addr()?);
    serve(listener).await;
    Ok(())
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
