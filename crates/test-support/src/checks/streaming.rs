//! Streaming receive against the whole-message API: the same received
//! bytes through `Connection::next_event` (all at once) and
//! `Connection::next_streamed_event` (in pieces of 1 to 16 bytes), with and
//! without permessage-deflate. Must hold:
//! - no panic;
//! - every streamed message is one `MessageStart`, chunks that are never
//!   empty (nor, inflated, bigger than 64 KiB) and one `MessageEnd`, and
//!   its chunks concatenated are the whole-message API's message; control
//!   frames come in the same order;
//! - both fail, or neither, with the same close code (the limits set
//!   alike: `max_message_size` = `max_streamed_message_size`, no frame
//!   limit, so a size error is 1009 in both).
//!
//! Run on the raw inputs of `differential_frame` (frames as a peer sends
//! them) in both roles.

use rfc6455::deflate::{DeflateConfig, DeflateParams};
use rfc6455::{Config, Connection, Error, Message, MessageKind, Role, StreamEvent};

/// What a connection delivered: whole data messages (reassembled from
/// their chunks when streamed), or control frames.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    /// A Text or Binary message's kind and data.
    Data(MessageKind, Vec<u8>),
    /// A Ping, Pong or Close.
    Control(Message),
}

/// The checks, for `data` received by a connection of `role`.
pub fn check_raw(role: Role, data: &[u8]) {
    let limit = match data.first().map_or(0, |b| b % 3) {
        0 => 64,
        1 => 1000,
        _ => 1 << 20,
    };
    for deflate in [false, true] {
        let mut config = Config::default()
            .max_frame_size(usize::MAX)
            .max_message_size(limit)
            .max_streamed_message_size(limit);
        if deflate {
            config = config.deflate(DeflateConfig::default());
        }
        let params = deflate.then(DeflateParams::default);
        let mut whole = Connection::with_deflate(role, config.clone(), params);
        let mut streamed = Connection::with_deflate(role, config, params);
        whole.receive(data);
        let (expected, expected_error) = whole_events(&mut whole);
        let mut step = 0usize;
        // Pieces of 1 to 16 bytes: every cut of a header and a character.
        let pieces = |left: usize| {
            step += 1;
            (1 + (data[step % data.len()] as usize + step) % 16).min(left)
        };
        let (got, error) = streamed_events(&mut streamed, data, pieces);
        assert_eq!(got, expected, "deflate {deflate}: streamed vs whole");
        let codes = |e: &Option<Error>| e.as_ref().map(|e| e.close_code());
        assert_eq!(
            codes(&error),
            codes(&expected_error),
            "deflate {deflate}: {error:?} vs {expected_error:?}"
        );
        assert_eq!(streamed.is_failed(), whole.is_failed());
    }
}

/// Everything `next_event` gives from what `conn` has buffered, until it
/// needs more or fails.
pub fn whole_events(conn: &mut Connection) -> (Vec<Got>, Option<Error>) {
    let mut got = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(Message::Text(text))) => {
                got.push(Got::Data(MessageKind::Text, text.as_bytes().to_vec()));
            }
            Ok(Some(Message::Binary(data))) => {
                got.push(Got::Data(MessageKind::Binary, data.to_vec()))
            }
            Ok(Some(control)) => got.push(Got::Control(control)),
            Ok(None) => return (got, None),
            Err(error) => return (got, Some(error)),
        }
    }
}

/// Feeds `data` to `conn` in pieces (`piece(left)` bytes at a time, at
/// least 1) and collects what `next_streamed_event` gives, each message
/// reassembled from its chunks, checking that every message is one start,
/// chunks that are never empty nor bigger than 64 KiB, and one end.
pub fn streamed_events(
    conn: &mut Connection,
    data: &[u8],
    mut piece: impl FnMut(usize) -> usize,
) -> (Vec<Got>, Option<Error>) {
    let mut got = Vec::new();
    let mut current: Option<(MessageKind, Vec<u8>)> = None;
    let mut rest = data;
    loop {
        loop {
            match conn.next_streamed_event() {
                Ok(Some(StreamEvent::MessageStart { kind })) => {
                    assert!(current.is_none(), "a start inside a message");
                    current = Some((kind, Vec::new()));
                }
                Ok(Some(StreamEvent::Data(chunk))) => {
                    assert!(!chunk.is_empty(), "an empty chunk");
                    assert!(chunk.len() <= 64 << 10, "a chunk of {}", chunk.len());
                    let (_, message) = current.as_mut().expect("data outside a message");
                    message.extend_from_slice(&chunk);
                }
                Ok(Some(StreamEvent::MessageEnd)) => {
                    let (kind, message) = current.take().expect("an end outside a message");
                    got.push(Got::Data(kind, message));
                }
                Ok(Some(StreamEvent::Message(message))) => {
                    assert!(!message.is_data(), "a whole message while streaming");
                    got.push(Got::Control(message));
                }
                Ok(Some(other)) => panic!("unknown event {other:?}"),
                Ok(None) => break,
                Err(error) => return (got, Some(error)),
            }
        }
        if rest.is_empty() {
            return (got, None);
        }
        let take = piece(rest.len()).clamp(1, rest.len());
        conn.receive(&rest[..take]);
        rest = &rest[take..];
    }
}
