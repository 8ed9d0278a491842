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
//!
//! `h2relay --from-http2 --listen HOST:PORT --to HOST:PORT` goes the other
//! way, for a client over HTTP/2 (`fuzzclient --http2`) and a server
//! speaking HTTP/1.1 (`wstest -m fuzzingserver`): it serves HTTP/2 with
//! the extended CONNECT protocol, and for each WebSocket stream opens a
//! TCP connection to `--to`, sends the request there as an HTTP/1.1
//! upgrade (a key of its own, the stream's WebSocket fields as they
//! were), answers the stream with a 200 carrying the server's choices
//! (or its refusal's status), and moves bytes untouched.

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
    /// The HTTP/2 server (prior knowledge); with --from-http2, the
    /// HTTP/1.1 server.
    #[arg(long, value_name = "HOST:PORT")]
    to: String,
    /// Serve HTTP/2 clients on --listen and relay to an HTTP/1.1 server.
    #[arg(long)]
    from_http2: bool,
}

/// The handshake's bound in time, both sides.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Cli {
        listen,
        to,
        from_http2,
    } = Cli::parse();
    let listener = match TcpListener::bind(&listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("h2relay: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    if from_http2 {
        eprintln!("h2relay: listening on h2c://{listen}, relaying to ws://{to}");
    } else {
        eprintln!("h2relay: listening on ws://{listen}, relaying to h2c://{to}");
    }
    loop {
        let Ok((client, peer)) = listener.accept().await else {
            continue;
        };
        let to = to.clone();
        tokio::spawn(async move {
            let relayed = if from_http2 {
                relay_from_http2(client, &to).await
            } else {
                relay(client, &to).await
            };
            if let Err(e) = relayed {
                eprintln!("h2relay: {peer}: {e}");
            }
        });
    }
}

/// Serves one HTTP/2 client connection: each WebSocket stream relayed to
/// its own HTTP/1.1 connection to `to`.
async fn relay_from_http2(client: TcpStream, to: &str) -> Result<(), String> {
    client.set_nodelay(true).ok();
    let mut connection = h2::server::Builder::new()
        .enable_connect_protocol()
        .handshake::<_, bytes::Bytes>(client)
        .await
        .map_err(|e| format!("HTTP/2: {e}"))?;
    while let Some(stream) = connection.accept().await {
        let (request, respond) = stream.map_err(|e| format!("HTTP/2: {e}"))?;
        let to = to.to_owned();
        tokio::spawn(async move {
            if let Err(e) = relay_stream(request, respond, &to).await {
                eprintln!("h2relay: stream: {e}");
            }
        });
    }
    Ok(())
}

/// Relays one extended CONNECT stream to an HTTP/1.1 server.
async fn relay_stream(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    to: &str,
) -> Result<(), String> {
    let resource = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let key = rfc6455::handshake::ClientRequest::new(to, &resource)
        .key()
        .to_owned();
    let mut head = format!(
        "GET {resource} HTTP/1.1\r\nHost: {to}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    for name in [
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "origin",
    ] {
        for value in request.headers().get_all(name) {
            let value = value.to_str().map_err(|e| e.to_string())?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut server = TcpStream::connect(to)
        .await
        .map_err(|e| format!("connect to {to}: {e}"))?;
    server.set_nodelay(true).ok();
    server
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // The server's answer head, and what followed it (its first frames).
    let mut buf = Vec::new();
    let (status, fields, used) = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        loop {
            let mut chunk = [0u8; 4096];
            let n = server.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed before its answer".to_owned());
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&buf) {
                Ok(httparse::Status::Complete(used)) => {
                    let fields: Vec<(String, Vec<u8>)> = response
                        .headers
                        .iter()
                        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                        .collect();
                    return Ok((response.code.unwrap_or(0), fields, used));
                }
                Ok(httparse::Status::Partial) if buf.len() < 64 << 10 => {}
                _ => return Err("the server's answer is not HTTP".to_owned()),
            }
        }
    })
    .await
    .map_err(|_| "no answer in time".to_owned())??;

    let mut answer = http::Response::builder().status(if status == 101 { 200 } else { status });
    if status == 101 {
        for (name, value) in &fields {
            if name == "sec-websocket-protocol" || name == "sec-websocket-extensions" {
                answer = answer.header(name, value.as_slice());
            }
        }
    }
    let answer = answer.body(()).map_err(|e| e.to_string())?;
    let send = respond
        .send_response(answer, status != 101)
        .map_err(|e| e.to_string())?;
    if status != 101 {
        return Err(format!("the server refused with {status}"));
    }
    let mut stream = rfc6455::http2::H2Stream::new(send, request.into_body());
    stream
        .write_all(&buf[used..])
        .await
        .map_err(|e| e.to_string())?;
    tokio::io::copy_bidirectional(&mut server, &mut stream)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
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
