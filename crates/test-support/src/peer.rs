//! Raw peers over loopback TCP, for tests that must send what no
//! well-behaved endpoint would: they write any bytes and read back the
//! bytes a server answered, with no WebSocket library in between. Peers
//! that never read use a receive buffer as small as the kernel allows, so
//! that what is written to them soon stalls.
//!
//! The other way round, [`scripted_server`] and [`hostile_server`] play a
//! server our client meets: they read its request and answer with any
//! bytes, at any pace.

use rfc6455::handshake::{accept_key, parse_request, ClientRequest};
use rfc6455::Config;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// The receive buffer a peer that never reads asks for; the kernel rounds
/// it up to its minimum (a few KiB on Linux). The sender's own buffer
/// still takes a few MiB on loopback before its writes stall.
const SMALL_WINDOW: u32 = 4096;

/// The bytes of `request`'s head, as a client sends them.
pub fn encoded(request: &ClientRequest) -> Vec<u8> {
    let mut head = Vec::new();
    request.encode(&mut head);
    head
}

/// A raw TCP client that sent `request` (any bytes) to `addr` and got a
/// `101 Switching Protocols`: from here on it writes raw frames.
pub async fn raw_client(addr: &str, request: &[u8]) -> TcpStream {
    upgrade(TcpStream::connect(addr).await.unwrap(), request).await
}

/// A raw client like [`raw_client`] with a tiny receive buffer, for a
/// peer that stops reading: once a few KiB wait in it, TCP flow control
/// stops the server's writes.
pub async fn raw_client_small_window(addr: &str, request: &[u8]) -> TcpStream {
    let addr: SocketAddr = addr.parse().expect("an IP address and port");
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .unwrap();
    // Set before connecting, so that the window offered in the handshake
    // is already small.
    socket.set_recv_buffer_size(SMALL_WINDOW).unwrap();
    upgrade(socket.connect(addr).await.unwrap(), request).await
}

async fn upgrade(mut stream: TcpStream, request: &[u8]) -> TcpStream {
    stream.write_all(request).await.unwrap();
    let response = read_head(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 101"), "{response}");
    stream
}

/// A listener on an ephemeral loopback port whose connections have a tiny
/// receive buffer (they inherit it), for a raw server that stops reading.
pub fn listener_small_window() -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(SMALL_WINDOW).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(16).unwrap()
}

/// Accepts one connection on `listener` and answers its opening handshake
/// with a valid `101 Switching Protocols`: from here on the test decides
/// what the raw server writes, and whether it ever reads.
pub async fn raw_server(listener: &TcpListener) -> TcpStream {
    let (mut stream, _) = listener.accept().await.unwrap();
    let head = read_head(&mut stream).await;
    let (request, _) = parse_request(head.as_bytes(), &Config::default())
        .unwrap()
        .expect("a complete request head");
    stream
        .write_all(&switching(&request.key, ""))
        .await
        .unwrap();
    stream
}

/// Reads an HTTP head one byte at a time (so not a byte of what follows
/// it), up to its blank line or until the peer stops sending (EOF, or a
/// reset from a server that refused). The head must be UTF-8.
pub async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8(head).expect("an HTTP head in UTF-8")
}

/// An HTTP response as a raw client read it: the head (status line and
/// fields, without the blank line) and the body its `Content-Length` gave.
#[derive(Debug)]
pub struct RawResponse {
    /// The head, CR LF between lines.
    pub head: String,
    /// The body: `Content-Length` bytes, or none without the field.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The value of the first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` (any bytes) on `stream` and reads the response: its
/// head, then exactly the `Content-Length` bytes of its body.
pub async fn exchange<S>(stream: &mut S, request: &[u8]) -> RawResponse
where
    S: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // The server may answer (and close) before it read everything.
    let _ = stream.write_all(request).await;
    let head = read_head(stream).await;
    let mut response = RawResponse {
        head: head.trim_end().to_owned(),
        body: Vec::new(),
    };
    if let Some(len) = response.header("content-length") {
        let mut body = vec![0; len.parse().expect("a Content-Length")];
        stream.read_exact(&mut body).await.expect("the whole body");
        response.body = body;
    }
    response
}

/// [`exchange`] over a new TCP connection to `addr`.
pub async fn exchange_tcp(addr: &str, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    exchange(&mut stream, request).await
}

/// A raw server on an ephemeral loopback port for one connection: it reads
/// the request head (a byte at a time, so not a byte more), then hands the
/// stream and the request's `Sec-WebSocket-Key` to `script`, which may
/// write anything at any pace. Returns the address and the task, whose
/// output is the script's.
pub async fn scripted_server<F, Fut>(script: F) -> (String, JoinHandle<Vec<u8>>)
where
    F: FnOnce(TcpStream, String) -> Fut + Send + 'static,
    Fut: Future<Output = Vec<u8>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let head = read_head(&mut stream).await;
        let (request, _) = parse_request(head.as_bytes(), &Config::default())
            .unwrap()
            .expect("a complete request head");
        script(stream, request.key).await
    });
    (addr, task)
}

/// A [`scripted_server`] that answers the request with `answer(key)`, then
/// returns what the client sent after it (its Close, if any) until the
/// client closed TCP, or 10 s passed.
pub async fn hostile_server<F>(answer: F) -> (String, JoinHandle<Vec<u8>>)
where
    F: FnOnce(&str) -> Vec<u8> + Send + 'static,
{
    scripted_server(|mut stream, key| async move {
        let _ = stream.write_all(&answer(&key)).await;
        read_until_closed(&mut stream, Duration::from_secs(10)).await
    })
    .await
}

/// Reads everything until the peer closes TCP (or fails), for at most
/// `limit`.
pub async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    out
}

/// A valid `101 Switching Protocols` head for a request with `key`, with
/// `extra` (whole field lines, each ending in CR LF) before its blank line.
pub fn switching(key: &str, extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_key(key.as_bytes())
    )
    .into_bytes()
}

/// The close code of the first Close among the frames a client wrote
/// (every one of which must be masked, RFC 6455 §5.1).
pub fn client_close_code(bytes: &[u8]) -> Option<u16> {
    let frames = crate::read_frames(bytes);
    assert!(frames.iter().all(|f| f.masked), "an unmasked client frame");
    frames.iter().find_map(crate::Frame::close_code)
}
