//! Minimal echo servers, one per implementation, all alike: a
//! single-threaded tokio runtime (the server's CPU is one core), one task
//! per connection, no permessage-deflate, every Text and Binary message
//! sent back as it came.
//!
//! ```text
//! peer-echo IMPL [--addr HOST:PORT]     (default 127.0.0.1:9001)
//! ```
//!
//! IMPL is one of:
//! - `ours`: rfc6455 as its README's echo: `next()`, then `send()`
//!   (which flushes) for each message.
//! - `ours-feed`: rfc6455 as the fuzzserver testee uses it, with `feed()`
//!   for each message and no flush:
//!   `WebSocket` writes pending output before it waits for input, so the
//!   echoes of one read leave in one write.
//! - `tungstenite`: tokio-tungstenite, `next()` then `send()`.
//! - `fastwebsockets`: its `FragmentCollector`, auto-pong on (the
//!   default), as its own echo example. Its server handshake needs hyper;
//!   this one does the handshake by hand and hands the stream over with
//!   `WebSocket::after_handshake`, so no HTTP server sits in its memory.
//! - `tokio-websockets`: `ServerBuilder::accept`, `next()` then `send()`,
//!   as its own echo example (with default limits).
//! - `floor`: no WebSocket library: a handshake by hand, then frames are
//!   parsed and unmasked in place and written back; large echoes straight
//!   from the input buffer, small ones of a read gathered into one write.
//!   About what any echo server has to pay.

use bench::child::{server_runtime, ErrorLog, PEER_ECHO_IMPLS};
use bench::wire::{self, OP_CLOSE, OP_PING, OP_PONG};
use bytes::{Buf, BytesMut};
use clap::builder::PossibleValuesParser;
use clap::Parser;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::future::Future;
use std::io;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// An echo server of one implementation (rfc6455 or a peer), all alike.
#[derive(Parser)]
#[command(name = "peer-echo")]
struct Cli {
    /// The implementation that echoes (see the crate's README).
    #[arg(value_name = "IMPL", value_parser = PossibleValuesParser::new(PEER_ECHO_IMPLS))]
    implementation: String,
    /// Where to listen.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9001")]
    addr: String,
}

static ERRORS: ErrorLog = ErrorLog::new("peer-echo");

fn log_error(error: impl std::fmt::Display) {
    ERRORS.log(error);
}

fn main() {
    let Cli {
        implementation,
        addr,
    } = Cli::parse();
    let runtime = server_runtime("peer-echo");
    runtime.block_on(async {
        let listener = match TcpListener::bind(&addr).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("peer-echo: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        };
        eprintln!("peer-echo: {implementation} listening on ws://{addr}/");
        match implementation.as_str() {
            "ours" => serve(listener, ours).await,
            "ours-feed" => serve(listener, ours_feed).await,
            "tungstenite" => serve(listener, tungstenite).await,
            "fastwebsockets" => serve(listener, fastwebsockets).await,
            "tokio-websockets" => serve(listener, tokio_websockets).await,
            _ => serve(listener, floor).await,
        }
    });
}

async fn serve<F, Fut, E>(listener: TcpListener, echo: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    log_error(e);
                    continue;
                }
                // `map`, not an `async move` block awaiting the echo: the
                // block would keep the echo's future twice in its state
                // (the captured value and the one being awaited,
                // rust-lang/rust#62958), and every idle connection with it.
                tokio::spawn(echo(stream).map(|result| {
                    if let Err(e) = result {
                        log_error(format!("connection: {e}"));
                    }
                }));
            }
            Err(e) => {
                // Out of file descriptors, most likely: wait, do not spin.
                log_error(format!("accept: {e}"));
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

async fn ours(stream: TcpStream) -> Result<(), rfc6455::Error> {
    let mut ws = rfc6455::accept(stream).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

async fn ours_feed(stream: TcpStream) -> Result<(), rfc6455::Error> {
    let mut ws = rfc6455::accept(stream).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_data() {
            // Queued, written when `next()` finds no more input (or when
            // the write buffer fills).
            ws.feed(msg).await?;
        }
    }
    Ok(())
}

async fn tungstenite(stream: TcpStream) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

async fn fastwebsockets(mut stream: TcpStream) -> Result<(), fastwebsockets::WebSocketError> {
    let rest = wire::server_handshake(&mut stream).await?;
    if !rest.is_empty() {
        // A client that sends frames before the 101: not ours.
        return Err(io::Error::new(io::ErrorKind::InvalidData, "data before the 101").into());
    }
    let ws = fastwebsockets::WebSocket::after_handshake(stream, fastwebsockets::Role::Server);
    let mut ws = fastwebsockets::FragmentCollector::new(ws);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            fastwebsockets::OpCode::Close => break,
            fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary => {
                ws.write_frame(frame).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn tokio_websockets(stream: TcpStream) -> Result<(), tokio_websockets::Error> {
    let (_request, mut ws) = tokio_websockets::ServerBuilder::new()
        .accept(stream)
        .await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}

/// Length of the masking key: what a client's header has more than a
/// server's.
const MASK_KEY_LEN: usize = 4;
/// Frames from this size are written from the input buffer; smaller ones
/// are gathered so that all the echoes of a read leave in one write.
const WRITE_IN_PLACE: usize = 16 << 10;

/// No library: parse, unmask in place, write back; one write per read.
async fn floor(mut stream: TcpStream) -> io::Result<()> {
    let rest = wire::server_handshake(&mut stream).await?;
    // No buffer while idle: it is made when input first arrives.
    let mut input = BytesMut::from(&rest[..]);
    let mut output = Vec::new();
    loop {
        while let Some(header) = wire::parse_header(&input) {
            let total = header.header_len + header.len as usize;
            if input.len() < total {
                input.reserve(total - input.len());
                break;
            }
            let Some(key) = header.mask else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "unmasked client frame",
                ));
            };
            let body = &mut input[header.header_len..total];
            rfc6455::mask::apply_mask(body, key);
            let opcode = match header.opcode {
                OP_PING => OP_PONG,
                OP_PONG => {
                    input.advance(total);
                    continue;
                }
                op => op,
            };
            // Echoed frame by frame (a fragment stays a fragment). The
            // server's header is the client's less the mask bit and the
            // 4-byte key: moved in place to end where the payload starts.
            input.copy_within(..header.header_len - MASK_KEY_LEN, MASK_KEY_LEN);
            input[MASK_KEY_LEN] = (input[MASK_KEY_LEN] & 0xf0) | opcode;
            input[MASK_KEY_LEN + 1] &= 0x7f;
            let frame = &input[MASK_KEY_LEN..total];
            if frame.len() >= WRITE_IN_PLACE {
                // Large: from the input buffer itself, no copy.
                if !output.is_empty() {
                    stream.write_all(&output).await?;
                    output.clear();
                }
                stream.write_all(frame).await?;
            } else {
                output.extend_from_slice(frame);
            }
            input.advance(total);
            if opcode == OP_CLOSE {
                stream.write_all(&output).await?;
                return Ok(());
            }
        }
        if !output.is_empty() {
            stream.write_all(&output).await?;
            output.clear();
        }
        stream.readable().await?;
        if input.capacity() - input.len() < 64 << 10 {
            input.reserve(256 << 10);
        }
        match stream.try_read_buf(&mut input) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}
