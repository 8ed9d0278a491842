//! Raw peers over loopback TCP, for tests that must send what no
//! well-behaved endpoint would: they write any bytes and read back the
//! bytes a server answered, with no WebSocket library in between.

use rfc6455::handshake::ClientRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The bytes of `request`'s head, as a client sends them.
pub fn encoded(request: &ClientRequest) -> Vec<u8> {
    let mut head = Vec::new();
    request.encode(&mut head);
    head
}

/// A raw TCP client that sent `request` (any bytes) to `addr` and got a
/// `101 Switching Protocols`: from here on it writes raw frames.
pub async fn raw_client(addr: &str, request: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let response = read_head(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 101"), "{response}");
    stream
}

/// Reads an HTTP head one byte at a time (so not a byte of what follows
/// it), up to its blank line or until the peer stops sending (EOF, or a
/// reset from a server that refused). The head must be UTF-8.
pub async fn read_head(stream: &mut TcpStream) -> String {
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
