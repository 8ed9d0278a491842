//! Test support: raw frame builders that can break any rule, connections
//! in each role, and a decoder for what a connection wrote.
#![allow(dead_code, unreachable_pub)]

#[cfg(feature = "rustls")]
pub mod tls;

use rfc6455::frame::FrameHeader;
use rfc6455::mask::apply_mask_scalar;
use rfc6455::{Config, Connection, Role};

pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Opcodes as raw numbers, so tests can send reserved ones.
pub const CONT: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// A raw frame: any opcode, RSV bits and mask, minimal length encoding.
pub fn raw_frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let start = out.len();
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    let body = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        let _ = start;
        apply_mask_scalar(&mut out[body..], key, 0);
    }
    out
}

/// A frame as a client sends it (masked).
pub fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(fin, 0, opcode, Some(KEY), payload)
}

/// A frame as a server sends it (unmasked).
pub fn server_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(fin, 0, opcode, None, payload)
}

/// A close payload: code then reason bytes.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

pub fn server() -> Connection {
    Connection::new(Role::Server, Config::default())
}

pub fn client() -> Connection {
    Connection::new(Role::Client, Config::default())
}

/// A frame a connection wrote, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub fin: bool,
    pub opcode: u8,
    pub masked: bool,
    pub payload: Vec<u8>,
}

impl Written {
    /// The close code of a written Close frame.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// Drains everything `conn` wrote, every piece, as the bytes on the wire.
pub fn take_wire(conn: &mut Connection) -> Vec<u8> {
    let bytes: Vec<u8> = conn.pending_output_chunks().flatten().copied().collect();
    conn.advance_output(bytes.len());
    bytes
}

/// Drains and decodes everything `conn` wrote.
pub fn take_output(conn: &mut Connection) -> Vec<Written> {
    let bytes = take_wire(conn);
    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (header, len) = FrameHeader::decode(rest)
            .expect("connection wrote an invalid header")
            .expect("connection wrote a partial header");
        let end = len + header.payload_len as usize;
        let mut payload = rest[len..end].to_vec();
        if let Some(key) = header.mask {
            apply_mask_scalar(&mut payload, key, 0);
        }
        frames.push(Written {
            fin: header.fin,
            opcode: header.opcode.as_u8(),
            masked: header.mask.is_some(),
            payload,
        });
        rest = &rest[end..];
    }
    frames
}

/// Feeds `bytes` and collects events until an error or the need for more.
pub fn feed(
    conn: &mut Connection,
    bytes: &[u8],
) -> (Vec<rfc6455::Message>, Option<rfc6455::Error>) {
    conn.receive(bytes);
    let mut events = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(msg)) => events.push(msg),
            Ok(None) => return (events, None),
            Err(e) => return (events, Some(e)),
        }
    }
}

/// Feeds `bytes` to a server and asserts it failed and sent a Close with
/// `code` as its only output frame (the last one).
pub fn assert_fails_with(conn: &mut Connection, bytes: &[u8], code: u16) -> rfc6455::Error {
    let (_, error) = feed(conn, bytes);
    let error = error.unwrap_or_else(|| panic!("expected a failure with {code}"));
    assert_eq!(error.close_code().map(u16::from), Some(code), "{error}");
    let out = take_output(conn);
    let last = out.last().expect("a Close frame was queued");
    assert_eq!(last.close_code(), Some(code), "{out:?}");
    assert!(conn.is_failed());
    assert!(conn.should_close_transport());
    error
}
