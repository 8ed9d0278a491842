//! An echo server: every Text and Binary message comes back unchanged.
//!
//! ```text
//! cargo run -p rfc6455 --example echo_server -- 127.0.0.1:9001
//! cargo run -p rfc6455 --example client -- ws://127.0.0.1:9001 hello
//! ```

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let addr = std::env::args().nth(1);
    let listener = TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:9001")).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    serve(listener).await
}

/// Accepts connections forever, each in a task of its own.
async fn serve(listener: TcpListener) -> Result<(), rfc6455::Error> {
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let result = async {
                let mut ws = rfc6455::accept(stream).await?;
                while let Some(msg) = ws.next().await {
                    let msg = msg?;
                    if msg.is_data() {
                        ws.send(msg).await?;
                    }
                }
                Ok::<_, rfc6455::Error>(())
            };
            match result.await {
                Ok(()) => println!("{peer}: closed"),
                // The library already sent the peer the right Close frame.
                Err(e) => println!("{peer}: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc6455::{CloseCode, Message};

    #[tokio::test]
    async fn echoes_text_and_binary_then_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener));
        let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
        for msg in [Message::text("hello"), Message::binary(vec![0u8, 1, 255])] {
            ws.send(msg.clone()).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), msg);
        }
        ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    }
}
