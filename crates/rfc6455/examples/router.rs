//! Two WebSocket endpoints on one [`Server`]: `/chat` echoes what each
//! client says, `/feed` sends a tick every second and ignores input. The
//! admission hook refuses other paths with `404` before the upgrade (RFC
//! 6455 §4.2.2 item 2: "the server ... MAY respond with an HTTP error"),
//! and the handler routes on the path it was [`Accepted`] with.
//!
//! ```text
//! cargo run -p rfc6455 --example router -- 127.0.0.1:9001
//! websocat ws://127.0.0.1:9001/chat
//! websocat ws://127.0.0.1:9001/feed
//! ```

use futures_util::{SinkExt, StreamExt};
use rfc6455::handshake::{Accept, Admission, Refusal};
use rfc6455::{Accepted, Config, Message, Server, WebSocket};
use std::time::Duration;
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1);
    let server = server(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    println!("routing on ws://{}/chat and /feed", server.local_addr()?);
    let handle = server.shutdown_handle();
    tokio::spawn(async move {
        tokio::signal::ctrl_c().await.ok();
        handle.shutdown();
    });
    println!("{}", server.serve(route).await);
    Ok(())
}

/// The server: only `/chat` and `/feed` get past admission.
async fn server(addr: &str) -> std::io::Result<Server> {
    let admission = Admission::sync(|request| match request.uri.path() {
        "/chat" | "/feed" => Ok(Accept::new()),
        path => Err(Refusal::new(404).body(format!("no endpoint at {path}"))),
    });
    Ok(Server::bind(addr, Config::default())
        .await?
        .admission(admission))
}

/// Sends each connection to its endpoint.
async fn route(ws: WebSocket<TcpStream>, accepted: Accepted) {
    match accepted.request.uri.path() {
        "/chat" => chat(ws).await,
        _ => feed(ws).await,
    }
}

/// Echoes every Text and Binary message.
async fn chat(mut ws: WebSocket<TcpStream>) {
    while let Some(Ok(msg)) = ws.next().await {
        if msg.is_data() && ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// A tick a second until the client leaves (or the server shuts down).
async fn feed(mut ws: WebSocket<TcpStream>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                n += 1;
                if ws.send(Message::text(format!("tick {n}"))).await.is_err() {
                    break;
                }
            }
            msg = ws.next() => match msg {
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc6455::{CloseCode, Error, HandshakeError};

    #[tokio::test]
    async fn routes_chat_and_feed_and_refuses_the_rest() {
        let server = server("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.shutdown_handle();
        let serving = tokio::spawn(server.serve(route));

        let (mut chat, _) = rfc6455::connect(format!("ws://{addr}/chat")).await.unwrap();
        chat.send(Message::text("hello")).await.unwrap();
        assert_eq!(chat.next().await.unwrap().unwrap(), Message::text("hello"));

        let (mut feed, _) = rfc6455::connect(format!("ws://{addr}/feed")).await.unwrap();
        let first = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .unwrap();
        assert_eq!(first.unwrap().unwrap(), Message::text("tick 1"));

        let refused = rfc6455::connect(format!("ws://{addr}/nowhere")).await;
        assert!(
            matches!(
                refused,
                Err(Error::Handshake(HandshakeError::UnexpectedStatus(ref r))) if r.status == 404
            ),
            "{refused:?}"
        );

        chat.close(CloseCode::NORMAL, "").await.unwrap();
        feed.close(CloseCode::NORMAL, "").await.unwrap();
        handle.shutdown();
        let report = serving.await.unwrap();
        assert_eq!(report.failed_handshakes, 1, "{report}");
    }
}
