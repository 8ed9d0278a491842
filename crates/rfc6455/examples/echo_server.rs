//! An echo server: every Text and Binary message comes back unchanged.
//!
//! ```text
//! cargo run -p rfc6455 --example echo_server -- 127.0.0.1:9001
//! cargo run -p rfc6455 --example client -- ws://127.0.0.1:9001 hello
//! ```

use futures_util::{SinkExt, StreamExt};

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on ws://{addr}");
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
