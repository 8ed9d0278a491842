//! `differential_frame`: the same bytes through our parser and tungstenite's.
//!
//! Two levels:
//! 1. **Header**: [`FrameHeader::decode`] against tungstenite's
//!    `FrameHeader::parse`: accept/reject, and every field of a header both
//!    accept (FIN, RSV, opcode, mask, length, header size).
//! 2. **Connection**: our [`Connection`] against tungstenite's `WebSocket`
//!    over an in-memory stream, in both roles: the messages delivered and
//!    how the stream ends (needs more bytes, closed, or failed with which
//!    close code).
//!
//! Every disagreement the RFC explains is listed in [`Known`] and in
//! `fuzz/README.md` with its section; the target panics on any other.

use rfc6455::frame::{FrameHeader, MAX_HEADER_LEN};
use rfc6455::{Config, Connection, Error, Message, ProtocolError, Role};
use rfc6455_test_support::wire::{self, Decoded};
use std::collections::VecDeque;
use std::io::{self, Cursor, Read, Write};
use tungstenite::protocol::frame::FrameHeader as TheirHeader;
use tungstenite::protocol::{Role as TheirRole, WebSocket, WebSocketConfig};

/// A documented difference between the two implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Ours rejects a control frame over 125 bytes or without FIN in the
    /// header decoder; tungstenite's header parser accepts it and its
    /// protocol layer rejects it once the payload has arrived (§5.5). Same
    /// verdict, other layer.
    ControlRuleInHeader,
    /// Ours rejects a 64-bit length with the top bit set (§5.2: "the most
    /// significant bit MUST be 0") with 1002; tungstenite parses it and
    /// fails with 1009 because of its frame size limit.
    TopBitOfLength,
    /// Ours rejects a length not in its shortest form (§5.2: "the minimal
    /// number of bytes MUST be used"); tungstenite accepts it.
    NonMinimalLength,
    /// Ours fails on a Close code that may not be sent (§7.4.1, §7.4.2) with
    /// 1002 as an error; tungstenite delivers a Close with 1002 and answers
    /// with 1002, so the wire sees the same. For 1012 and 1013, which IANA
    /// registered after RFC 6455 reserved them, tungstenite delivers the
    /// Close as is.
    CloseCodeNotAllowed,
    /// Ours fails from the first bytes that break a rule (a header, the
    /// first invalid UTF-8 byte: §8.1 fail fast); tungstenite waits for the
    /// whole frame first, so with the frame cut it needs more bytes.
    FailsEarlier,
    /// A frame that breaks two rules at once, each implementation naming the
    /// one it checks first: a size limit (tungstenite, 1009) or a §5 rule
    /// (ours, 1002); a Close reason that is not UTF-8 (tungstenite, 1007,
    /// §5.5.1) or a Close code not allowed (ours, 1002, §7.4). The RFC
    /// orders neither.
    OrderOfChecks,
}

/// The checks of the `differential_frame` target. Returns the known
/// differences it met, for the tests.
pub fn check(data: &[u8]) -> Vec<Known> {
    let mut known = Vec::new();
    if let Some(k) = compare_headers(&data[..data.len().min(32)]) {
        known.push(k);
    }
    for role in [Role::Server, Role::Client] {
        known.extend(compare_connections(role, data));
    }
    known
}

fn their_header(buf: &[u8]) -> Result<Option<(TheirHeader, u64, usize)>, String> {
    let mut cursor = Cursor::new(buf);
    match TheirHeader::parse(&mut cursor) {
        Ok(Some((header, len))) => Ok(Some((header, len, cursor.position() as usize))),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Header level. `None`: the same verdict; `Some(k)`: a known difference.
fn compare_headers(data: &[u8]) -> Option<Known> {
    let ours = FrameHeader::decode(data);
    let theirs = their_header(data);
    match (&ours, &theirs) {
        (Ok(Some((h, n))), Ok(Some((t, len, their_n)))) => {
            let their_rsv = (u8::from(t.rsv1) << 2) | (u8::from(t.rsv2) << 1) | u8::from(t.rsv3);
            let same = h.fin == t.is_final
                && h.rsv == their_rsv
                && h.opcode.as_u8() == u8::from(t.opcode)
                && h.mask == t.mask
                && h.payload_len == *len
                && n == their_n;
            assert!(same, "{data:02x?}: ours {h:?} ({n} bytes), tungstenite {t:?} len {len} ({their_n} bytes)");
            None
        }
        (Ok(None), Ok(None)) => None,
        (Err(e), Ok(Some((t, len, _)))) => Some(classify_header_error(data, *e, t, *len)),
        (Err(_), Ok(None)) => {
            // Ours decides from fewer bytes; complete the header and compare.
            let mut padded = data.to_vec();
            padded.resize(MAX_HEADER_LEN, 0);
            compare_headers(&padded).or(Some(Known::FailsEarlier))
        }
        (Err(_), Err(_)) => None,
        _ => panic!("{data:02x?}: ours {ours:?}, tungstenite {theirs:?}"),
    }
}

/// Ours rejects a header tungstenite's parser accepts: which known case.
fn classify_header_error(data: &[u8], error: ProtocolError, t: &TheirHeader, len: u64) -> Known {
    let control = u8::from(t.opcode) & 0x8 != 0;
    match error {
        ProtocolError::FragmentedControlFrame if control && !t.is_final => {
            Known::ControlRuleInHeader
        }
        ProtocolError::ControlFrameTooLong(n) if control && n == len && len > 125 => {
            Known::ControlRuleInHeader
        }
        ProtocolError::InvalidPayloadLength if len >> 63 != 0 => Known::TopBitOfLength,
        e if format!("{e:?}").contains("Minimal") => {
            assert_eq!(
                wire::decode_header(data),
                Decoded::Error(wire::HeaderError::NonMinimalLength)
            );
            Known::NonMinimalLength
        }
        e => panic!("{data:02x?}: ours rejects with {e:?}, tungstenite accepts {t:?} len {len}"),
    }
}

/// An event either implementation delivered, in common terms.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

/// How a run over the bytes ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// Waiting for more bytes.
    NeedMore,
    /// A Close was delivered; nothing more is read.
    Closed,
    /// Failed, answering with this close code.
    Failed(u16, String),
}

fn ours(role: Role, data: &[u8]) -> (Vec<Event>, End) {
    let mut conn = Connection::new(role, Config::default());
    conn.receive(data);
    let mut events = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(message)) => {
                let closing = matches!(message, Message::Close(_));
                events.push(match message {
                    Message::Text(t) => Event::Text(t.as_bytes().to_vec()),
                    Message::Binary(b) => Event::Binary(b.to_vec()),
                    Message::Ping(b) => Event::Ping(b.to_vec()),
                    Message::Pong(b) => Event::Pong(b.to_vec()),
                    Message::Close(f) => Event::Close(f.map(|f| (f.code.as_u16(), f.reason))),
                });
                if closing {
                    return (events, End::Closed);
                }
            }
            Ok(None) => return (events, End::NeedMore),
            Err(e) => {
                let code = e.close_code().map_or(0, |c| c.as_u16());
                return (events, End::Failed(code, describe(&e)));
            }
        }
    }
}

fn describe(error: &Error) -> String {
    match error {
        Error::Protocol(p) => format!("{p:?}"),
        other => format!("{other:?}"),
    }
}

/// An in-memory stream: reads what it was given, then would block.
struct Mock {
    input: VecDeque<u8>,
    output: Vec<u8>,
}

impl Read for Mock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.input.read(buf)
    }
}

impl Write for Mock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn theirs(role: Role, data: &[u8]) -> (Vec<Event>, End) {
    use tungstenite::Error as E;
    use tungstenite::Message as M;
    let role = match role {
        Role::Server => TheirRole::Server,
        Role::Client => TheirRole::Client,
    };
    let stream = Mock {
        input: data.iter().copied().collect(),
        output: Vec::new(),
    };
    // Its default limits are ours (64 MiB messages, 16 MiB frames); smaller
    // buffers only make each run cheaper.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let mut ws = WebSocket::from_raw_socket(stream, role, Some(config));
    let mut events = Vec::new();
    loop {
        match ws.read() {
            Ok(message) => {
                let closing = matches!(message, M::Close(_));
                events.push(match message {
                    M::Text(t) => Event::Text(t.as_bytes().to_vec()),
                    M::Binary(b) => Event::Binary(b.to_vec()),
                    M::Ping(b) => Event::Ping(b.to_vec()),
                    M::Pong(b) => Event::Pong(b.to_vec()),
                    M::Close(f) => {
                        Event::Close(f.map(|f| (u16::from(f.code), f.reason.as_str().to_owned())))
                    }
                    M::Frame(_) => unreachable!("read never returns raw frames"),
                });
                if closing {
                    return (events, End::Closed);
                }
            }
            Err(E::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                return (events, End::NeedMore)
            }
            Err(E::Utf8(why)) => return (events, End::Failed(1007, why)),
            Err(E::Capacity(e)) => return (events, End::Failed(1009, e.to_string())),
            Err(E::Protocol(e)) => return (events, End::Failed(1002, format!("{e:?}"))),
            Err(e) => panic!("tungstenite read failed with {e:?}"),
        }
    }
}

/// Connection level, one role. Returns the known differences met.
fn compare_connections(role: Role, data: &[u8]) -> Option<Known> {
    let (our_events, our_end) = ours(role, data);
    let (their_events, their_end) = theirs(role, data);
    if our_events == their_events && our_end == their_end {
        return None;
    }
    let context = || {
        format!(
            "{role:?} on {data:02x?}:\n  ours       {our_events:?} then {our_end:?}\n  tungstenite {their_events:?} then {their_end:?}"
        )
    };
    match (&our_end, &their_end) {
        (End::Failed(_, why), _)
            if (why.contains("Minimal") || why.starts_with("InvalidPayloadLength"))
                && their_events.starts_with(&our_events) =>
        {
            // Tungstenite read past a frame we reject; what it made of
            // the rest does not matter.
            if why.contains("Minimal") {
                Some(Known::NonMinimalLength)
            } else {
                Some(Known::TopBitOfLength)
            }
        }
        // Both fail after the same events: compare the codes only.
        (End::Failed(ours, why), End::Failed(theirs, _)) if our_events == their_events => {
            if ours == theirs {
                return None;
            }
            // A frame that breaks two rules: tungstenite checks a frame's
            // size before its other rules, and a Close reason's UTF-8
            // before its code.
            let size_first = *ours == 1002 && *theirs == 1009 && !why.contains("Utf8");
            let reason_first = *theirs == 1007 && why.starts_with("InvalidCloseCode");
            assert!(
                size_first || reason_first,
                "different close codes: {}",
                context()
            );
            Some(Known::OrderOfChecks)
        }
        (End::Failed(_, why), End::Closed)
            if why.starts_with("InvalidCloseCode")
                && their_events.len() == our_events.len() + 1
                && their_events.starts_with(&our_events) =>
        {
            let Some(Event::Close(Some((code, reason)))) = their_events.last() else {
                panic!("{}", context());
            };
            assert!(
                (*code == 1002 && reason == "Protocol violation") || matches!(code, 1012 | 1013),
                "{}",
                context()
            );
            Some(Known::CloseCodeNotAllowed)
        }
        (End::Failed(..), End::NeedMore) if our_events == their_events => Some(Known::FailsEarlier),
        _ => panic!("undocumented disagreement: {}", context()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rfc6455_test_support::wire::{raw_frame, CLOSE, TEXT};

    const KEY: Option<[u8; 4]> = Some([1, 2, 3, 4]);

    #[test]
    fn valid_stream_agrees() {
        let mut data = raw_frame(true, 0, TEXT, KEY, "héllo".as_bytes());
        data.extend(raw_frame(true, 0, CLOSE, KEY, &[0x03, 0xe8]));
        assert_eq!(check(&data), []);
    }

    #[test]
    fn known_differences_are_classified() {
        assert!(check(&[0x89, 126, 0, 200]).contains(&Known::ControlRuleInHeader));
        let mut top = vec![0x82, 127];
        top.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert!(check(&top).contains(&Known::TopBitOfLength));
        let close_1005 = raw_frame(true, 0, CLOSE, KEY, &[0x03, 0xed]);
        assert!(check(&close_1005).contains(&Known::CloseCodeNotAllowed));
        let bad_utf8 = raw_frame(true, 0, TEXT, KEY, b"ab\xff and more");
        assert!(check(&bad_utf8[..9]).contains(&Known::FailsEarlier));
    }
}
