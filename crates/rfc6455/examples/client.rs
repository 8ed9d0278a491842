//! A client: sends each argument as a text message and prints the replies.
//!
//! ```text
//! cargo run -p rfc6455 --example client -- ws://127.0.0.1:9001 hello world
//! cargo run -p rfc6455 --features rustls --example client -- wss://example.com/echo hi
//! ```

use futures_util::{SinkExt, StreamExt};
use rfc6455::{CloseCode, Message};

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    for reply in run(&url, args).await? {
        println!("< {reply}");
    }
    Ok(())
}

/// Sends each text, waits for one reply to each, then closes (1000).
async fn run(
    url: &str,
    texts: impl IntoIterator<Item = String>,
) -> Result<Vec<String>, rfc6455::Error> {
    let (mut ws, _) = rfc6455::connect(url).await?;
    let mut replies = Vec::new();
    for text in texts {
        ws.send(Message::text(text)).await?;
        match ws.next().await {
            Some(Ok(Message::Text(reply))) => replies.push(reply.to_string()),
            Some(Ok(other)) => replies.push(format!("{other:?}")),
            Some(Err(e)) => return Err(e),
            None => break,
        }
    }
    ws.close(CloseCode::NORMAL, "done").await?;
    Ok(replies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_each_argument_and_collects_the_echoes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = rfc6455::accept(stream).await.unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    ws.send(Message::text(t.to_uppercase())).await.unwrap();
                }
            }
        });
        let replies = run(&format!("ws://{addr}/"), ["hello".into(), "world".into()])
            .await
            .unwrap();
        assert_eq!(replies, ["HELLO", "WORLD"]);
        server.await.unwrap();
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_connect_error() {
        // Bound then dropped: nothing listens there.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = run(&format!("ws://{addr}/"), []).await.unwrap_err();
        assert!(matches!(err, rfc6455::Error::Connect(_)), "got {err:?}");
    }
}
