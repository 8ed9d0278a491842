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
    let mut ws = rfc6455::connect(&url).await?;
    for text in args {
        ws.send(Message::text(text)).await?;
        match ws.next().await {
            Some(Ok(Message::Text(reply))) => println!("< {reply}"),
            Some(Ok(other)) => println!("< {other:?}"),
            Some(Err(e)) => return Err(e),
            None => break,
        }
    }
    ws.close(CloseCode::NORMAL, "done").await
}
