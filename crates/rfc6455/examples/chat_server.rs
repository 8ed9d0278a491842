//! A broadcast chat server: every Text message a client sends goes to all
//! the other clients, prefixed with the sender's address.
//!
//! Each connection is split: its reading half feeds one shared
//! `tokio::sync::broadcast` channel, its writing half, in a task of its
//! own, forwards what the others said. The channel is bounded, so a client
//! that reads too slowly misses messages (and is told how many) instead of
//! growing the server's memory.
//!
//! ```text
//! cargo run -p rfc6455 --example chat_server -- 127.0.0.1:9001
//! # in two other terminals, with any WebSocket client, e.g. websocat:
//! websocat ws://127.0.0.1:9001
//! ```

use futures_util::{SinkExt, StreamExt};
use rfc6455::Message;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// How many messages a slow client may fall behind before it misses some.
const BACKLOG: usize = 256;

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    println!("chat on ws://{}", listener.local_addr()?);
    serve(listener).await
}

/// One line of the chat: who said it, and what.
#[derive(Clone, Debug)]
struct Said {
    from: SocketAddr,
    text: String,
}

async fn serve(listener: TcpListener) -> Result<(), rfc6455::Error> {
    let (room, _) = broadcast::channel::<Said>(BACKLOG);
    loop {
        let (stream, peer) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            if let Err(e) = client(stream, peer, room).await {
                println!("{peer}: {e}");
            }
        });
    }
}

async fn client(
    stream: TcpStream,
    peer: SocketAddr,
    room: broadcast::Sender<Said>,
) -> Result<(), rfc6455::Error> {
    let ws = rfc6455::accept(stream).await?;
    let (mut writer, mut reader) = ws.split();
    let mut heard = room.subscribe();
    // The writing half: what the others say, until this client leaves.
    let forward = tokio::spawn(async move {
        loop {
            let text = match heard.recv().await {
                Ok(said) if said.from == peer => continue,
                Ok(said) => format!("{}: {}", said.from, said.text),
                Err(broadcast::error::RecvError::Lagged(n)) => format!("({n} messages missed)"),
                Err(broadcast::error::RecvError::Closed) => break,
            };
            if writer.send(Message::text(text)).await.is_err() {
                break;
            }
        }
    });
    // The reading half: what this client says, to everyone.
    let mut result = Ok(());
    while let Some(msg) = reader.next().await {
        match msg {
            Ok(Message::Text(text)) => {
                // No receiver only means nobody else is here.
                let _ = room.send(Said {
                    from: peer,
                    text: text.to_string(),
                });
            }
            Ok(_) => {}
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    forward.abort();
    println!("{peer}: left");
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc6455::CloseCode;
    use std::time::Duration;

    async fn next_text(ws: &mut rfc6455::WebSocket<rfc6455::MaybeTlsStream>) -> String {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time");
        match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            other => panic!("expected a text, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_message_reaches_every_other_client_but_not_its_sender() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener));
        let url = format!("ws://{addr}/");
        let (mut alice, _) = rfc6455::connect(&url).await.unwrap();
        let (mut bob, _) = rfc6455::connect(&url).await.unwrap();
        let (mut carol, _) = rfc6455::connect(&url).await.unwrap();
        let alice_addr = alice.get_ref().tcp().local_addr().unwrap();
        let bob_addr = bob.get_ref().tcp().local_addr().unwrap();
        // Let the server subscribe all three before anyone speaks.
        tokio::time::sleep(Duration::from_millis(200)).await;

        alice.send(Message::text("hi all")).await.unwrap();
        assert_eq!(next_text(&mut bob).await, format!("{alice_addr}: hi all"));
        assert_eq!(next_text(&mut carol).await, format!("{alice_addr}: hi all"));

        bob.send(Message::text("hi alice")).await.unwrap();
        // Alice hears Bob, and never her own message.
        assert_eq!(next_text(&mut alice).await, format!("{bob_addr}: hi alice"));
        assert_eq!(next_text(&mut carol).await, format!("{bob_addr}: hi alice"));

        for ws in [&mut alice, &mut bob, &mut carol] {
            ws.close(CloseCode::NORMAL, "").await.unwrap();
        }
    }
}
