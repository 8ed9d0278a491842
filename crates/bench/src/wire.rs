//! The bytes of RFC 6455 that the load generator and the `floor` echo
//! server need, written out plainly: the opening handshake of both sides
//! (§4), frame headers (§5.2) and masked frames (§5.3). Nothing here
//! validates more than a benchmark needs; it is not a WebSocket library.

use base64::Engine;
use sha1::{Digest, Sha1};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The GUID of RFC 6455 §1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The client's key: a fixed one is fine for a benchmark (§4.1 asks for a
/// random one to defeat caching proxies, and there are none here).
pub const CLIENT_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The largest handshake either side reads.
const MAX_HANDSHAKE: usize = 8 << 10;

/// Text frame opcode.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const OP_BINARY: u8 = 0x2;
/// Continuation frame opcode.
pub const OP_CONTINUATION: u8 = 0x0;
/// Close frame opcode.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame opcode.
pub const OP_PING: u8 = 0x9;
/// Pong frame opcode.
pub const OP_PONG: u8 = 0xA;

/// `Sec-WebSocket-Accept` for `key` (§4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

/// The client's opening handshake for `host` and `path`.
pub fn client_request(host: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {CLIENT_KEY}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads an HTTP head (up to the blank line); returns it and whatever
/// came after it.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed during the opening handshake",
            ));
        }
        // Search from just before the new bytes: the blank line may
        // straddle two reads.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(at) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = from + at + 4;
            let rest = head.split_off(end);
            return Ok((head, rest));
        }
        if head.len() > MAX_HANDSHAKE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "handshake longer than 8 KiB",
            ));
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The client side: sends the request and checks the server's 101 and
/// `Sec-WebSocket-Accept`. Returns the bytes that followed the response.
pub async fn client_handshake<S>(stream: &mut S, host: &str, path: &str) -> io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream
        .write_all(client_request(host, path).as_bytes())
        .await?;
    let (head, rest) = read_head(stream).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            return Err(invalid(format!(
                "bad handshake: unparsable response {:?}",
                String::from_utf8_lossy(&head)
            )))
        }
    }
    if response.code != Some(101) {
        return Err(invalid(format!(
            "bad handshake: status {:?} {:?}, not 101",
            response.code.unwrap_or(0),
            response.reason.unwrap_or("")
        )));
    }
    let expected = accept_key(CLIENT_KEY.as_bytes());
    let accept = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|h| h.value);
    if accept != Some(expected.as_bytes()) {
        return Err(invalid(format!(
            "bad handshake: Sec-WebSocket-Accept {:?}, expected {expected:?}",
            accept.map(String::from_utf8_lossy)
        )));
    }
    Ok(rest)
}

/// The server side, for servers whose library has no handshake of its
/// own without an HTTP server (fastwebsockets) or that have no library
/// at all (floor): reads the request, answers 101. Returns the bytes that
/// followed the request.
pub async fn server_handshake<S>(stream: &mut S) -> io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (head, rest) = read_head(stream).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) {
        return Err(invalid("unparsable request".into()));
    }
    let key = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
        .ok_or_else(|| invalid("no Sec-WebSocket-Key".into()))?
        .value;
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    );
    stream.write_all(response.as_bytes()).await?;
    Ok(rest)
}

/// A frame header (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// FIN bit.
    pub fin: bool,
    /// The opcode (low four bits of the first byte).
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub len: u64,
    /// Length of the header itself, in bytes.
    pub header_len: usize,
}

/// Parses a frame header at the start of `buf`; `None` until it is
/// complete.
pub fn parse_header(buf: &[u8]) -> Option<Header> {
    let [b0, b1, ..] = *buf else { return None };
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as u64,
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (n as u64, 2),
    };
    let mask = if masked {
        let key: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    } else {
        None
    };
    Some(Header {
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        mask,
        len,
        header_len: at,
    })
}

/// Appends a header for a final frame of `opcode` and `len` bytes, masked
/// with `mask` if given.
pub fn write_header(out: &mut Vec<u8>, opcode: u8, len: usize, mask: Option<[u8; 4]>) {
    out.push(0x80 | opcode);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

/// A complete, masked client frame carrying `payload`.
pub fn masked_frame(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    write_header(&mut frame, opcode, payload.len(), Some(key));
    let at = frame.len();
    frame.extend_from_slice(payload);
    rfc6455::mask::apply_mask(&mut frame[at..], key);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_the_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key(CLIENT_KEY.as_bytes()),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn masked_frames_parse_back_at_each_length_encoding() {
        let key = [1, 2, 3, 4];
        for len in [0usize, 16, 125, 126, 65535, 65536, 70000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let frame = masked_frame(OP_BINARY, &payload, key);
            let header = parse_header(&frame).unwrap();
            assert_eq!(
                header,
                Header {
                    fin: true,
                    opcode: OP_BINARY,
                    mask: Some(key),
                    len: len as u64,
                    header_len: frame.len() - len,
                }
            );
            let mut body = frame[header.header_len..].to_vec();
            rfc6455::mask::apply_mask(&mut body, key);
            assert_eq!(body, payload);
            // Every strict prefix of the header is incomplete.
            for cut in 0..header.header_len {
                assert_eq!(parse_header(&frame[..cut]), None, "len {len}, cut {cut}");
            }
        }
    }

    #[test]
    fn unmasked_server_header() {
        let mut out = Vec::new();
        write_header(&mut out, OP_TEXT, 300, None);
        assert_eq!(out, [0x81, 126, 1, 44]);
        let header = parse_header(&out).unwrap();
        assert_eq!((header.mask, header.len, header.header_len), (None, 300, 4));
    }
}
