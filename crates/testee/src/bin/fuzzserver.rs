//! The Autobahn Testsuite's server testee: an echo server, with the
//! library's default limits and permessage-deflate on.
//!
//! `fuzzserver [--addr HOST:PORT]` (default `127.0.0.1:9001`) answers every
//! Text and Binary message with the same message, runs until killed, and
//! logs one line per connection that ends in an error.

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: fuzzserver [--addr HOST:PORT]   (default 127.0.0.1:9001)";

#[tokio::main]
async fn main() {
    let mut addr = String::from("127.0.0.1:9001");
    if let Err(message) = testee::parse_flags(
        std::env::args().skip(1),
        USAGE,
        &mut [("--addr", &mut addr)],
    ) {
        eprintln!("{message}");
        std::process::exit(2);
    }
    let listener = match TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("fuzzserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("fuzzserver: listening on ws://{addr}");
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("fuzzserver: {peer}: {e}");
                    }
                });
            }
            Err(e) => {
                eprintln!("fuzzserver: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn echo(stream: TcpStream) -> Result<(), rfc6455::Error> {
    stream.set_nodelay(true)?;
    let mut ws = rfc6455::accept_with_config(stream, testee::config()).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}
