//! The Autobahn Testsuite's server testee: an echo server, with the
//! library's default limits and permessage-deflate on.
//!
//! `fuzzserver [--addr HOST:PORT] [--tls CERT KEY]` (default
//! `127.0.0.1:9001`) answers every Text and Binary message with the same
//! message, runs until killed, and logs one line per connection that ends
//! in an error. With `--tls` it serves `wss://` with the certificate chain
//! and private key in those PEM files.

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: fuzzserver [--addr HOST:PORT] [--tls CERT_PEM KEY_PEM]   \
                     (default 127.0.0.1:9001, ws://)";

#[tokio::main]
async fn main() {
    let mut addr = String::from("127.0.0.1:9001");
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let tls = testee::take_flag(&mut args, "--tls", 2, USAGE).and_then(|tls| {
        testee::parse_flags(args.into_iter(), USAGE, &mut [("--addr", &mut addr)])?;
        tls.map(|files| testee::tls_acceptor(&files[0], &files[1]))
            .transpose()
    });
    let tls = match tls {
        Ok(tls) => tls,
        Err(message) => {
            eprintln!("fuzzserver: {message}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("fuzzserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    eprintln!("fuzzserver: listening on {scheme}://{addr}");
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let tls = tls.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, tls).await {
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

async fn serve(
    stream: TcpStream,
    tls: Option<rfc6455::tls::tokio_rustls::TlsAcceptor>,
) -> Result<(), rfc6455::Error> {
    stream.set_nodelay(true)?;
    match tls {
        None => echo(stream).await,
        Some(acceptor) => {
            // Bounded like the opening handshake: a peer that connects
            // and says nothing must not hold the task forever.
            let timeout = testee::config().handshake_timeout;
            let tls = Box::pin(tokio::time::timeout(timeout, acceptor.accept(stream)))
                .await
                .map_err(|_| rfc6455::Error::Timeout {
                    what: "TLS handshake",
                })??;
            echo(tls).await
        }
    }
}

async fn echo<S>(stream: S) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The echo's future boxed, made where no await follows in the same
    // scope (`accept_with_config` boxes the handshake's): the task then
    // holds two pointers, not the handshake's state beside the WebSocket,
    // so an idle connection stays small.
    let running = match rfc6455::accept_with_config(stream, testee::config()).await {
        Ok(ws) => Box::pin(echo_messages(ws)),
        Err(e) => return Err(e),
    };
    running.await
}

async fn echo_messages<S>(mut ws: rfc6455::WebSocket<S>) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            // `feed`, not `send`: queued without a flush. `next` writes all
            // that is queued in one write before it waits for input, so
            // everything one read produced is answered with one write.
            ws.feed(msg).await?;
        }
    }
    Ok(())
}
