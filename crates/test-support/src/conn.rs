//! One `Connection` driven by hand: make one in either role, feed it bytes
//! and collect its events, drain and decode what it wrote. For two
//! connections talking to each other, see [`crate::pair`].

use crate::wire::{read_frames, Frame};
use rfc6455::{Config, Connection, Error, Message, Role};

/// A server connection with the default configuration.
pub fn server() -> Connection {
    Connection::new(Role::Server, Config::default())
}

/// A client connection with the default configuration.
pub fn client() -> Connection {
    Connection::new(Role::Client, Config::default())
}

/// Drains everything `conn` wrote, every piece, as the bytes on the wire.
pub fn take_wire(conn: &mut Connection) -> Vec<u8> {
    let bytes = pending_wire(conn);
    conn.advance_output(bytes.len());
    bytes
}

/// Everything `conn` has pending, every piece, without draining it.
pub fn pending_wire(conn: &Connection) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(conn.pending_output_len());
    for piece in conn.pending_output_chunks() {
        bytes.extend_from_slice(piece);
    }
    bytes
}

/// Drains and decodes (with the RFC-literal reader) everything `conn` wrote.
pub fn take_output(conn: &mut Connection) -> Vec<Frame> {
    read_frames(&take_wire(conn))
}

/// Collects events until an error or the need for more bytes.
pub fn drain_events(conn: &mut Connection) -> (Vec<Message>, Option<Error>) {
    let mut events = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(msg)) => events.push(msg),
            Ok(None) => return (events, None),
            Err(e) => return (events, Some(e)),
        }
    }
}

/// Feeds `bytes` and collects events until an error or the need for more.
pub fn feed(conn: &mut Connection, bytes: &[u8]) -> (Vec<Message>, Option<Error>) {
    conn.receive(bytes);
    drain_events(conn)
}

/// Feeds `bytes` and asserts the connection failed and sent a Close with
/// `code` as its last output frame.
pub fn assert_fails_with(conn: &mut Connection, bytes: &[u8], code: u16) -> Error {
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
