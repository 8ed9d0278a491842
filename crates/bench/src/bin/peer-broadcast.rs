//! Minimal broadcast servers, one per implementation, all alike: a
//! single-threaded tokio runtime (the server's CPU is one core), one task
//! per connection, fed by a `tokio::sync::broadcast` channel; the clients
//! send nothing and are not read from after the handshake.
//!
//! ```text
//! peer-broadcast IMPL [--addr HOST:PORT]     (default 127.0.0.1:9001)
//! ```
//!
//! It prints `peer-broadcast: IMPL listening on ws://ADDR/, control on
//! HOST:PORT` on stderr. Each line `COUNT SIZE` on the control port (see
//! `bench::broadcast`) makes it send COUNT messages of SIZE bytes (Text,
//! JSON-like, each stamped with its sequence number) into the channel,
//! back to back; each connection's task writes what it receives.
//!
//! IMPL is one of:
//! - `ours`: rfc6455 as a broadcaster should use it: one
//!   [`PreparedMessage`] per message (framed
//!   once), `feed_prepared` on each connection for every message waiting,
//!   then one flush.
//! - `tungstenite`: tokio-tungstenite the usual way: the `Message` cloned
//!   out of the channel and `send` on each connection.
//! - `fastwebsockets`: its usual way: a `Frame` borrowing the payload,
//!   `write_frame` on each connection.
//! - `tokio-websockets`: the `Message` cloned, `send` on each connection.
//! - `floor`: no WebSocket library: a handshake by hand, the frame built
//!   once by the broadcaster, and `write_all` of it on each connection
//!   (the messages of one wake-up gathered into one write). About what any
//!   broadcast server has to pay: one write system call per connection.
//! - `ours-deflate`: `ours` with permessage-deflate, the server resetting
//!   its context after each message (`server_no_context_takeover`):
//!   every connection shares one compression per message.
//! - `ours-deflate-per-conn`: the same negotiation, but a plain `Message`
//!   fed on each connection, which compresses it for that connection: the
//!   reference a prepared message's one compression is measured against.

use bench::broadcast::{corpus, parse_control_line, stamp};
use bench::child::{server_runtime, ErrorLog, PEER_BROADCAST_IMPLS};
use bytes::Bytes;
use clap::builder::PossibleValuesParser;
use clap::Parser;
use futures_util::{FutureExt, SinkExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::{Config, PreparedMessage};
use std::future::Future;
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError, Receiver, Sender};

/// A broadcast server of one implementation (rfc6455 or a peer), all alike.
#[derive(Parser)]
#[command(name = "peer-broadcast")]
struct Cli {
    /// The implementation that broadcasts (see the crate's README).
    #[arg(value_name = "IMPL", value_parser = PossibleValuesParser::new(PEER_BROADCAST_IMPLS))]
    implementation: String,
    /// Where to listen for WebSocket clients (the control port is any
    /// free one on the same host).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9001")]
    addr: String,
}

/// Messages the channel holds: the most one control line may ask for.
const CHANNEL: usize = 1024;

static ERRORS: ErrorLog = ErrorLog::new("peer-broadcast");

fn log_error(error: impl std::fmt::Display) {
    ERRORS.log(error);
}

fn main() {
    let Cli {
        implementation,
        addr,
    } = Cli::parse();
    let runtime = server_runtime("peer-broadcast");
    runtime.block_on(async {
        let bound = async {
            let listener = TcpListener::bind(&addr).await?;
            let host = listener.local_addr()?.ip();
            let control = TcpListener::bind((host, 0)).await?;
            io::Result::Ok((listener, control))
        };
        let (listener, control) = match bound.await {
            Ok(bound) => bound,
            Err(e) => {
                eprintln!("peer-broadcast: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        };
        let control_addr = control.local_addr().expect("a bound address");
        eprintln!(
            "peer-broadcast: {implementation} listening on ws://{addr}/, control on {control_addr}"
        );
        match implementation.as_str() {
            "ours" => serve(listener, control, prepared, ours).await,
            "tungstenite" => serve(listener, control, tungstenite_message, tungstenite).await,
            "fastwebsockets" => serve(listener, control, Bytes::from, fastwebsockets).await,
            "tokio-websockets" => {
                serve(
                    listener,
                    control,
                    tokio_websockets_message,
                    tokio_websockets,
                )
                .await
            }
            "floor" => serve(listener, control, floor_frame, floor).await,
            "ours-deflate" => serve(listener, control, prepared, ours_deflate).await,
            _ => serve(listener, control, message, ours_deflate_per_conn).await,
        }
    });
}

/// Accepts clients, each subscribed to the channel before its handshake
/// (so that a client that saw its 101 hears every later broadcast), and
/// turns each control line into messages made with `make`.
async fn serve<T, M, F, Fut, E>(listener: TcpListener, control: TcpListener, make: M, conn: F)
where
    T: Clone + Send + 'static,
    M: Fn(Vec<u8>) -> T + Send + 'static,
    F: Fn(TcpStream, Receiver<T>) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    let (tx, _) = broadcast::channel::<T>(CHANNEL);
    tokio::spawn(broadcaster(control, tx.clone(), make));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    log_error(e);
                    continue;
                }
                // `map`, not an `async move` block: see peer-echo.
                tokio::spawn(conn(stream, tx.subscribe()).map(|result| {
                    if let Err(e) = result {
                        log_error(format!("connection: {e}"));
                    }
                }));
            }
            Err(e) => {
                log_error(format!("accept: {e}"));
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// Serves control connections one after the other: each line `COUNT
/// SIZE` sends COUNT messages into the channel, numbered on from the last.
async fn broadcaster<T, M: Fn(Vec<u8>) -> T>(control: TcpListener, tx: Sender<T>, make: M) {
    let mut seq = 0u64;
    let mut base: Vec<u8> = Vec::new();
    loop {
        let stream = match control.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                log_error(format!("control accept: {e}"));
                continue;
            }
        };
        let mut lines = tokio::io::BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Some((count, size)) = parse_control_line(&line) else {
                log_error(format!("control: bad line {line:?}"));
                break;
            };
            if base.len() != size {
                base = corpus(size);
            }
            for _ in 0..count.min(CHANNEL) {
                let mut payload = base.clone();
                stamp(&mut payload, seq);
                seq += 1;
                // No receiver only means no client yet.
                let _ = tx.send(make(payload));
            }
        }
    }
}

/// The next message for this connection; `None` when the channel closed.
/// A connection that fell more than the channel behind fails.
async fn next<T: Clone>(rx: &mut Receiver<T>) -> io::Result<Option<T>> {
    match rx.recv().await {
        Ok(message) => Ok(Some(message)),
        Err(RecvError::Closed) => Ok(None),
        Err(RecvError::Lagged(n)) => Err(io::Error::other(format!("{n} messages missed"))),
    }
}

fn prepared(payload: Vec<u8>) -> PreparedMessage {
    PreparedMessage::text(String::from_utf8(payload).expect("the corpus is ASCII"))
}

fn message(payload: Vec<u8>) -> rfc6455::Message {
    rfc6455::Message::text(String::from_utf8(payload).expect("the corpus is ASCII"))
}

fn tungstenite_message(payload: Vec<u8>) -> tokio_tungstenite::tungstenite::Message {
    tokio_tungstenite::tungstenite::Message::text(
        String::from_utf8(payload).expect("the corpus is ASCII"),
    )
}

fn tokio_websockets_message(payload: Vec<u8>) -> tokio_websockets::Message {
    tokio_websockets::Message::text(String::from_utf8(payload).expect("the corpus is ASCII"))
}

/// permessage-deflate on our side, resetting the context after each
/// message (RFC 7692 §7.1.1.1): what lets connections share a compression.
fn deflate_config() -> Arc<Config> {
    let deflate = DeflateConfig::default().server_no_context_takeover(true);
    Arc::new(Config::default().deflate(deflate))
}

/// Every message waiting fed with `feed`, then one flush: the messages of
/// one wake-up leave in one write.
async fn prepared_loop<S>(
    mut ws: rfc6455::WebSocket<S>,
    mut rx: Receiver<PreparedMessage>,
) -> Result<(), rfc6455::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(message) = next(&mut rx).await? {
        ws.feed_prepared(&message).await?;
        loop {
            match rx.try_recv() {
                Ok(message) => ws.feed_prepared(&message).await?,
                Err(TryRecvError::Empty) => break,
                Err(e) => return Err(io::Error::other(e.to_string()).into()),
            }
        }
        ws.drain_to(0).await?;
    }
    Ok(())
}

async fn ours(stream: TcpStream, rx: Receiver<PreparedMessage>) -> Result<(), rfc6455::Error> {
    prepared_loop(rfc6455::accept(stream).await?, rx).await
}

async fn ours_deflate(
    stream: TcpStream,
    rx: Receiver<PreparedMessage>,
) -> Result<(), rfc6455::Error> {
    prepared_loop(
        rfc6455::accept_with_config(stream, deflate_config()).await?,
        rx,
    )
    .await
}

/// `ours-deflate`'s loop with a plain `Message`: compressed per connection.
async fn ours_deflate_per_conn(
    stream: TcpStream,
    mut rx: Receiver<rfc6455::Message>,
) -> Result<(), rfc6455::Error> {
    let mut ws = rfc6455::accept_with_config(stream, deflate_config()).await?;
    while let Some(message) = next(&mut rx).await? {
        ws.feed(message).await?;
        loop {
            match rx.try_recv() {
                Ok(message) => ws.feed(message).await?,
                Err(TryRecvError::Empty) => break,
                Err(e) => return Err(io::Error::other(e.to_string()).into()),
            }
        }
        ws.drain_to(0).await?;
    }
    Ok(())
}

async fn tungstenite(
    stream: TcpStream,
    mut rx: Receiver<tokio_tungstenite::tungstenite::Message>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    while let Some(message) = next(&mut rx).await? {
        ws.send(message).await?;
    }
    Ok(())
}

async fn fastwebsockets(
    mut stream: TcpStream,
    mut rx: Receiver<Bytes>,
) -> Result<(), fastwebsockets::WebSocketError> {
    let rest = bench::wire::server_handshake(&mut stream).await?;
    if !rest.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "data before the 101").into());
    }
    let mut ws = fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
    while let Some(payload) = next(&mut rx).await? {
        let frame = fastwebsockets::Frame::text(fastwebsockets::Payload::Borrowed(&payload));
        ws.write_frame(frame).await?;
    }
    Ok(())
}

/// The whole server frame (RFC 6455 §5.2: unmasked, FIN, Text).
fn floor_frame(payload: Vec<u8>) -> Bytes {
    let mut frame = Vec::with_capacity(payload.len() + 10);
    bench::wire::write_header(&mut frame, bench::wire::OP_TEXT, payload.len(), None);
    frame.extend_from_slice(&payload);
    frame.into()
}

async fn floor(mut stream: TcpStream, mut rx: Receiver<Bytes>) -> io::Result<()> {
    let rest = bench::wire::server_handshake(&mut stream).await?;
    if !rest.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "data before the 101",
        ));
    }
    let mut gathered = Vec::new();
    while let Some(frame) = next(&mut rx).await? {
        match rx.try_recv() {
            Err(TryRecvError::Empty) => stream.write_all(&frame).await?,
            next_frame => {
                gathered.extend_from_slice(&frame);
                let mut next_frame = next_frame;
                while let Ok(frame) = next_frame {
                    gathered.extend_from_slice(&frame);
                    next_frame = rx.try_recv();
                }
                stream.write_all(&gathered).await?;
                gathered.clear();
            }
        }
    }
    Ok(())
}

async fn tokio_websockets(
    stream: TcpStream,
    mut rx: Receiver<tokio_websockets::Message>,
) -> Result<(), tokio_websockets::Error> {
    let (_request, mut ws) = tokio_websockets::ServerBuilder::new()
        .accept(stream)
        .await?;
    while let Some(message) = next(&mut rx).await? {
        ws.send(message).await?;
    }
    Ok(())
}
