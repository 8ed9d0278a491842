//! The Autobahn Testsuite's server testee: an echo server, with the
//! library's default limits and permessage-deflate on.
//!
//! `fuzzserver [--addr HOST:PORT] [--tls CERT KEY]` (default
//! `127.0.0.1:9001`) answers every Text and Binary message with the same
//! message, runs until killed, and logs one line per connection that ends
//! in an error. With `--tls` it serves `wss://` with the certificate chain
//! and private key in those PEM files.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

/// The Autobahn Testsuite's server testee: an echo server (ws://, or wss://
/// with --tls).
#[derive(Parser)]
#[command(name = "fuzzserver")]
struct Cli {
    /// Where to listen.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9001")]
    addr: String,
    /// Serve wss:// with the certificate chain and private key in these PEM files.
    #[arg(long, num_args = 2, value_names = ["CERT_PEM", "KEY_PEM"])]
    tls: Option<Vec<String>>,
}

// One thread: the Autobahn Testsuite runs its cases one at a time, and a
// benchmark pins the server to one CPU, where a multi-thread runtime only
// adds wake-ups across threads and an allocator arena per worker.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Cli { addr, tls } = Cli::parse();
    let tls = match tls
        .map(|files| testee::tls_acceptor(&files[0], &files[1]))
        .transpose()
    {
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
                    if let Err(e) = serve(stream, peer, tls).await {
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

/// The handshakes (TLS when asked, then WebSocket's) in the task of the
/// accept; the echo then gets a task of its own and this one ends. An idle
/// connection so holds one task sized for the echo alone, not for the
/// handshakes' state beside it.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<rfc6455::tls::tokio_rustls::TlsAcceptor>,
) -> Result<(), rfc6455::Error> {
    stream.set_nodelay(true)?;
    match tls {
        None => start_echo(stream, peer).await,
        Some(acceptor) => {
            // Bounded like the opening handshake: a peer that connects
            // and says nothing must not hold the task forever.
            let timeout = testee::config().handshake_timeout;
            // Boxed, so that the accept's task is not sized for a TLS
            // handshake while it is doing the plain one.
            let tls = Box::pin(tokio::time::timeout(timeout, acceptor.accept(stream)))
                .await
                .map_err(|_| rfc6455::Error::Timeout {
                    what: rfc6455::TimeoutKind::Handshake,
                })??;
            start_echo(tls, peer).await
        }
    }
}

async fn start_echo<S>(stream: S, peer: SocketAddr) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut ws = rfc6455::accept_with_config(stream, testee::config()).await?;
    // The block borrows `ws` where it captured it. An `async fn` taking
    // the WebSocket by value would keep it twice in its state, the
    // argument and the variable it is moved into (rust-lang/rust#62958),
    // and every idle connection with it.
    tokio::spawn(async move {
        if let Err(e) = echo_messages(&mut ws).await {
            eprintln!("fuzzserver: {peer}: {e}");
        }
    });
    Ok(())
}

/// Echoes until the peer closes.
async fn echo_messages<S>(ws: &mut rfc6455::WebSocket<S>) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        // A `match`, not `while let Some(msg) = ws.next().await`: the
        // scrutinee of a `while let` lives through the body, so the
        // future would keep room for it beside the message being fed.
        let msg = match ws.next().await {
            Some(msg) => msg?,
            None => return Ok(()),
        };
        if msg.is_data() {
            // `feed`, not `send`: queued without a flush. `next` writes all
            // that is queued in one write before it waits for input, so
            // everything one read produced is answered with one write.
            ws.feed(msg).await?;
        }
    }
}
