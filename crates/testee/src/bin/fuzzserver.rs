//! The Autobahn Testsuite's server testee: an echo server, with the
//! library's default limits and permessage-deflate on.
//!
//! `fuzzserver [--addr HOST:PORT] [--tls CERT KEY]` (default
//! `127.0.0.1:9001`) answers every Text and Binary message with the same
//! message, runs until killed, and logs one line per connection that ends
//! in an error. With `--tls` it serves `wss://` with the certificate chain
//! and private key in those PEM files. Both run through the library's
//! [`Server`], as an application would.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use rfc6455::{Listener, Server};
use std::fmt::Debug;
use tokio::io::{AsyncRead, AsyncWrite};

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
    // The library's `Server`, as an application runs it: its accept loop,
    // limits and handshake timeout (which bounds the TLS handshake too).
    let server = match Server::bind(&addr, testee::config()).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("fuzzserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match tls {
        None => serve(server, "ws", &addr).await,
        Some(acceptor) => serve(server.tls(acceptor), "wss", &addr).await,
    }
}

/// Echoes on every connection `server` accepts, and logs each handshake
/// or connection that ends in an error.
async fn serve<L>(server: Server<L>, scheme: &str, addr: &str)
where
    L: Listener,
    L::Addr: Debug,
{
    eprintln!("fuzzserver: listening on {scheme}://{addr}");
    let server =
        server.on_handshake_error(|peer, error| eprintln!("fuzzserver: {peer:?}: {error}"));
    server
        .serve(|mut ws, accepted| {
            let peer = accepted.peer;
            // The block borrows `ws` where it captured it. An `async fn`
            // taking the WebSocket by value would keep it twice in its
            // state, the argument and the variable it is moved into
            // (rust-lang/rust#62958), and every idle connection with it.
            async move {
                if let Err(e) = echo_messages(&mut ws).await {
                    eprintln!("fuzzserver: {peer:?}: {e}");
                }
            }
        })
        .await;
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
