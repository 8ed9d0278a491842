//! The Autobahn Testsuite's server testee: an echo server, with the
//! library's default limits and permessage-deflate on.
//!
//! `fuzzserver [--addr HOST:PORT] [--tls CERT KEY | --http2] [--streaming]
//! [--max-streamed-message-size BYTES]` (default `127.0.0.1:9001`) answers
//! every Text and Binary message with the same message, runs until killed,
//! and logs one line per connection that ends in an error. With `--tls` it
//! serves `wss://` with the certificate chain and private key in those PEM
//! files. With `--http2` it serves WebSockets over HTTP/2 with prior
//! knowledge instead (RFC 8441, `rfc6455::http2::serve_connection`). With
//! `--streaming` it echoes each message as a stream: every
//! piece sent back as a fragment as soon as it arrives (validated and
//! inflated on the way in, compressed again on the way out), never the
//! whole message held, so a message of any size (up to
//! `--max-streamed-message-size`, the library's default otherwise) costs
//! the memory of one piece. All of it runs through the library's
//! [`Server`], as an application would. The line it starts with names the
//! address it listens on (the port it was given, or the one the kernel
//! chose for port 0).

use clap::Parser;
use futures_util::{FutureExt, SinkExt, StreamExt};
use rfc6455::{Listener, Server, StreamEvent};
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
    /// Echo each message piece by piece as it arrives (streaming receive
    /// and send), instead of whole.
    #[arg(long)]
    streaming: bool,
    /// The limit on a streamed message (`Config::max_streamed_message_size`).
    #[arg(long, value_name = "BYTES")]
    max_streamed_message_size: Option<usize>,
    /// Serve WebSockets over HTTP/2 with prior knowledge (RFC 8441's
    /// extended CONNECT, `rfc6455::http2::serve_connection`) instead of
    /// HTTP/1.1.
    #[arg(long, conflicts_with = "tls")]
    http2: bool,
}

// One thread: the Autobahn Testsuite runs its cases one at a time, and a
// benchmark pins the server to one CPU, where a multi-thread runtime only
// adds wake-ups across threads and an allocator arena per worker.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Cli {
        addr,
        tls,
        streaming,
        max_streamed_message_size,
        http2,
    } = Cli::parse();
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
    let mut config = testee::config();
    if let Some(limit) = max_streamed_message_size {
        config.max_streamed_message_size = limit;
    }
    if http2 {
        return serve_http2(&addr, config, streaming).await;
    }
    let server = match Server::bind(&addr, config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("fuzzserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let addr = match server.local_addr() {
        Ok(local) => local.to_string(),
        Err(_) => addr,
    };
    match tls {
        None => serve(server, "ws", &addr, streaming).await,
        Some(acceptor) => serve(server.tls(acceptor), "wss", &addr, streaming).await,
    }
}

/// Echoes on every connection `server` accepts, and logs each handshake
/// or connection that ends in an error.
async fn serve<L>(server: Server<L>, scheme: &str, addr: &str, streaming: bool)
where
    L: Listener,
    L::Addr: Debug,
{
    eprintln!("fuzzserver: listening on {scheme}://{addr}");
    let server =
        server.on_handshake_error(|peer, error| eprintln!("fuzzserver: {peer:?}: {error}"));
    server
        .serve(move |mut ws, accepted| {
            let peer = accepted.peer;
            // The block borrows `ws` where it captured it. An `async fn`
            // taking the WebSocket by value would keep it twice in its
            // state, the argument and the variable it is moved into
            // (rust-lang/rust#62958), and every idle connection with it.
            async move {
                if let Err(e) = echo(&mut ws, streaming).await {
                    eprintln!("fuzzserver: {peer:?}: {e}");
                }
            }
        })
        .await;
}

/// Serves WebSockets over HTTP/2 (prior knowledge) on `addr`, one
/// `serve_connection` per TCP connection, echoing as over HTTP/1.1.
async fn serve_http2(addr: &str, config: rfc6455::Config, streaming: bool) {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("fuzzserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let local = listener
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    eprintln!("fuzzserver: listening on h2c://{local} (WebSockets over HTTP/2)");
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let upgrade = rfc6455::hyper::Upgrade::new(config.clone());
        tokio::spawn(async move {
            let served =
                rfc6455::http2::serve_connection(tcp, peer, upgrade, move |mut ws, accepted| {
                    let peer = accepted.peer;
                    async move {
                        if let Err(e) = echo(&mut ws, streaming).await {
                            eprintln!("fuzzserver: {peer:?}: {e}");
                        }
                    }
                })
                .await;
            if let Err(e) = served {
                eprintln!("fuzzserver: {peer:?}: HTTP/2: {e}");
            }
        });
    }
}

/// Echoes until the peer closes: each message piece by piece when
/// `streaming`, else whole.
async fn echo<S>(ws: &mut rfc6455::WebSocket<S>, streaming: bool) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if streaming {
        echo_streamed(ws).await
    } else {
        echo_messages(ws).await
    }
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

/// The most data `echo_streamed` gathers into one fragment.
const MAX_GATHERED: usize = 64 << 10;

/// Echoes each message piece by piece until the peer closes. The pieces
/// that arrived together (in one read: a peer's small fragments, or a big
/// frame's inflated chunks) go back together, as one fragment of at most
/// [`MAX_GATHERED`] bytes; whatever is gathered is queued before waiting
/// for more input, and written with the next read as `echo_messages` does
/// with whole messages, so nothing is held back while the peer is silent.
/// Writing waits while `Config::write_buffer_size` bytes are queued, so a
/// peer that sends faster than it reads is slowed down (its sending waits
/// on TCP's window), never buffered without bound.
async fn echo_streamed<S>(ws: &mut rfc6455::WebSocket<S>) -> Result<(), rfc6455::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut gathered = Vec::new();
    loop {
        // What is ready without waiting; before waiting, the gathered
        // pieces go out.
        let event = match ws.next_streamed().now_or_never() {
            Some(event) => event,
            None => {
                if !gathered.is_empty() {
                    ws.feed_fragment(&gathered, false).await?;
                    gathered.clear();
                }
                ws.next_streamed().await
            }
        };
        let event = match event {
            Some(event) => event?,
            None => return Ok(()),
        };
        match event {
            StreamEvent::MessageStart { kind } => ws.begin_message(kind)?,
            StreamEvent::Data(chunk) => {
                if gathered.len() + chunk.len() > MAX_GATHERED && !gathered.is_empty() {
                    ws.feed_fragment(&gathered, false).await?;
                    gathered.clear();
                }
                if chunk.len() >= MAX_GATHERED {
                    ws.feed_fragment(&chunk, false).await?;
                } else {
                    gathered.extend_from_slice(&chunk);
                }
            }
            StreamEvent::MessageEnd => {
                ws.feed_fragment(&gathered, true).await?;
                gathered.clear();
            }
            // A whole message comes only when `next()` began it (never
            // here); echoed whole all the same.
            StreamEvent::Message(msg) if msg.is_data() => ws.feed(msg).await?,
            // Pings are answered, Pongs ignored and a Close echoed by the
            // connection itself.
            _ => {}
        }
    }
}
