//! A relay that lets a WebSocket client speaking HTTP/1.1 (the Autobahn
//! Testsuite's `wstest`) reach a WebSocket server over HTTP/2 (RFC 8441):
//! `h2relay --listen HOST:PORT --to HOST:PORT`.
//!
//! For each TCP connection it accepts, it reads the client's opening
//! handshake (RFC 6455 §4.2.1, checked by `rfc6455::handshake`), opens an
//! HTTP/2 connection to `--to` with prior knowledge, sends the same
//! request there as an extended CONNECT (`:protocol` websocket, the
//! client's `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions` and
//! `Origin` as they were), and answers the client with a 101 carrying the
//! server's choices as they were and the client's own
//! `Sec-WebSocket-Accept`; a refusal is passed on with its status. Then it
//! moves bytes both ways untouched, so every WebSocket frame the client
//! sends reaches the server as it was sent, and back: what is tested is the
//! server's framing, over HTTP/2. The ends map as RFC 8441 §5 says: the
//! client's FIN ends the stream (END_STREAM) and the stream's end closes
//! the TCP connection; a reset or an error drops both.
//!
//! One HTTP/2 connection per client connection (wstest opens one per
//! case), so each case's closing handshake and TCP close map one to one.

use clap::Parser;
use rfc6455::handshake::{accept_key, parse_request, Request};
use rfc6455::http2::Http2Client;
use rfc6455::Config;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A relay from HTTP/1.1 WebSocket clients to a WebSocket server over
/// HTTP/2 (RFC 8441), frames untouched.
#[derive(Parser)]
#[command(name = "h2relay")]
struct Cli {
    /// Where the HTTP/1.1 clients connect.
    #[arg(long, value_name = "HOST:PORT")]
    listen: String,
    /// The HTTP/2 server (prior knowledge).
    #[arg(long, value_name = "HOST:PORT")]
    to: String,
}

/// The handshake's bound in time, both sides.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Cli { listen, to } = Cli::parse();
    let listener = match TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("h2relay: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("h2relay: listening on ws://{listen}, relaying to h2c://{to}");
    loop {
        let Ok((client, peer)) = listener.accept().await else {
            continue;
        };
        let to = to.clone();
        tokio::spawn(async move {
            if let Err(e) = relay(client, &to).await {
                eprintln!("h2relay: {peer}: {e}");
            }
        });
    }
}

/// Relays one client connection.
async fn relay(mut client: TcpStream, to: &str) -> Result<(), String> {
    client.set_nodelay(true).ok();
    let config = Config::default();
    // The client's handshake, and what followed it (its first frames).
    let mut buf = Vec::new();
    let (request, used) = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            let mut chunk = [0u8; 4096];
            let n = client.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the client closed before its handshake".to_owned());
            }
            buf.extend_from_slice(&chunk[..n]);
            match parse_request(&buf, &config) {
                Ok(Some(parsed)) => return Ok(parsed),
                Ok(None) => {}
                Err(e) => return Err(format!("bad handshake: {e}")),
            }
        }
    })
    .await
    .map_err(|_| "no handshake in time".to_owned())??;

    let tcp = TcpStream::connect(to)
        .await
        .map_err(|e| format!("connect to {to}: {e}"))?;
    tcp.set_nodelay(true).ok();
    let server = Http2Client::handshake(tcp, &config)
        .await
        .map_err(|e| format!("HTTP/2 to {to}: {e}"))?;
    let (response, mut stream) = server
        .open(extended_connect(&request, to)?, HANDSHAKE_TIMEOUT)
        .await
        .map_err(|e| format!("extended CONNECT to {to}: {e}"))?;

    if !response.status().is_success() {
        let status = response.status();
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Refused")
        );
        client.write_all(head.as_bytes()).await.ok();
        return Err(format!("the server refused with {status}"));
    }
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(request.key.as_bytes())
    );
    for name in ["sec-websocket-protocol", "sec-websocket-extensions"] {
        for value in response.headers().get_all(name) {
            let value = value.to_str().map_err(|e| e.to_string())?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    client
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // The client's first frames, read with its handshake.
    stream
        .write_all(&buf[used..])
        .await
        .map_err(|e| e.to_string())?;
    // Frames untouched, both ways; each side's end passed on.
    tokio::io::copy_bidirectional(&mut client, &mut stream)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The client's request as an extended CONNECT to `to` (RFC 8441 §4): its
/// resource, and its WebSocket fields as they were.
fn extended_connect(request: &Request, to: &str) -> Result<http::Request<()>, String> {
    let mut connect = http::Request::connect(format!("http://{to}{}", request.resource))
        .version(http::Version::HTTP_2)
        .header("sec-websocket-version", "13");
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "sec-websocket-protocol" | "sec-websocket-extensions" | "origin"
        ) {
            connect = connect.header(lower, value.as_slice());
        }
    }
    connect.body(()).map_err(|e| e.to_string())
}
