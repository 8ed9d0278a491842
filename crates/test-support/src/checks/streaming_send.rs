//! `streaming_send`: messages sent in pieces (`Connection::begin_message`,
//! `send_fragment`) against the same messages sent whole (`send`), both
//! read back by a connection of the other role.
//!
//! Two senders of one role get the same session from the input: data
//! messages, each sent whole or, by the first sender only, begun and cut
//! into fragments anywhere (inside a UTF-8 character too, an empty last
//! fragment sometimes), with Pings, Pongs or a Close between fragments
//! (RFC 6455 §5.4, §5.5; the second sender sends those before the whole
//! message); `Config::max_outgoing_frame_size` from the input (so `send`
//! fragments too); permessage-deflate (RFC 7692) with windows, context
//! takeover, level and threshold from the input; and, sometimes, an
//! output bound of a few hundred bytes that is written out only when
//! full. Must hold:
//! - a receiver of the other role decodes from each sender exactly the
//!   messages and control frames sent, in order (with `next_event`, and
//!   from the fragmenting sender's bytes also with `next_streamed_event`
//!   in pieces of 1 to 16 bytes), and never fails;
//! - every call writes well-formed frames: the first of a message with
//!   its opcode, the rest continuations, exactly one FIN (on the last
//!   fragment), RSV1 on the first frame only and only when compressed
//!   (always, for a fragmented message under permessage-deflate; from the
//!   threshold on, for a whole one), none longer than
//!   `max_outgoing_frame_size`, masked iff the sender is a client, and
//!   nothing after the Close;
//! - the payloads of a call, unmasked and concatenated, are its data;
//!   compressed, zlib inflates them to it, each fragment at once (a sync
//!   flush ends every fragment), the last with the removed tail (§7.2.1);
//! - errors where the API promises them, changing nothing:
//!   `MessageStreaming` for a data `send` or a second `begin_message`
//!   during a fragmented message, `NoMessageBegun` for `send_fragment`
//!   outside one, `WriteBufferFull` (with the lengths) while the output
//!   is full, `ConnectionClosed` after the Close; and no panic.

use super::input::Input;
use super::streaming::{streamed_events, whole_events, Got};
use super::streaming_receive::inflate_into;
use crate::wire::{self, read_frames, Frame};
use flate2::{Decompress, FlushDecompress};
use rfc6455::deflate::DeflateConfig;
use rfc6455::{Config, Connection, Error, Message, MessageKind, Role};

/// Data bytes one input may send, all messages together, without and
/// with compression (zlib's time, instrumented too, is most of it).
const BUDGET: usize = 1 << 17;
const BUDGET_DEFLATE: usize = 1 << 13;

/// The tail a compressed message's last sync flush ends with, removed on
/// the wire (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// RSV1 as `wire::Frame::rsv` holds it (RSV1 the high bit of three).
const RSV1: u8 = 0b100;

/// One sender, the bytes it wrote, and a zlib inflater that follows its
/// compressed messages.
struct Sender {
    conn: Connection,
    name: &'static str,
    /// What was written out (drained).
    wire: Vec<u8>,
    /// How much of the pending output earlier calls wrote.
    seen: usize,
    /// The output is drained only when full.
    hold: bool,
    zlib: Option<(Decompress, u8, bool)>,
}

/// The checks of the `streaming_send` target.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let (role, peer) = if flags & 1 == 1 {
        (Role::Server, Role::Client)
    } else {
        (Role::Client, Role::Server)
    };
    let params = (flags & 2 != 0).then(|| input.deflate_params());
    let settings = params.map(|_| {
        DeflateConfig::default()
            .level(u32::from(input.byte() % 10))
            .threshold(usize::from(input.byte() & 0x7f))
    });
    let threshold = settings.as_ref().map(|s| s.threshold);
    let max_out = match (flags >> 2) & 7 {
        2 => Some(1),
        3 => Some(2),
        4 => Some(125),
        5 => Some(126),
        6 => Some(1 + usize::from(input.byte())),
        7 => Some(1000),
        _ => None,
    };
    let mut config = Config::default()
        .max_outgoing_frame_size(max_out)
        .deflate(settings);
    let hold = flags & 0x20 != 0;
    if hold {
        config = config.max_write_buffer_size(64 + usize::from(input.byte()) * 4);
    }
    let zlib = params.map(|p| match role {
        Role::Server => (p.server_max_window_bits, p.server_no_context_takeover),
        Role::Client => (p.client_max_window_bits, p.client_no_context_takeover),
    });
    let sender = |name| Sender {
        conn: Connection::with_deflate(role, config.clone(), params),
        name,
        wire: Vec::new(),
        seen: 0,
        hold,
        zlib: zlib
            .map(|(bits, reset)| (Decompress::new_with_window_bits(false, bits), bits, reset)),
    };
    let (mut pieces, mut whole) = (sender("fragmenting"), sender("whole"));
    let mut expected: Vec<Got> = Vec::new();
    let budget = match (params, max_out) {
        (Some(_), _) => BUDGET_DEFLATE,
        (None, Some(max)) => BUDGET.min(max * 256),
        (None, None) => BUDGET,
    };
    let mut total = 0;
    let mut closed = false;
    for _ in 0..32 {
        if input.is_empty() || closed || total > budget {
            break;
        }
        let b = input.byte();
        match b & 3 {
            0 | 1 => {
                let (kind, data) = message(b, &mut input, budget - total.min(budget));
                total += data.len();
                let compressed_whole = threshold.is_some_and(|t| data.len() >= t);
                if b & 8 == 0 {
                    pieces.send_whole(kind, &data, compressed_whole, max_out);
                } else {
                    let done = pieces.send_in_pieces(kind, &data, b, &mut input, |control| {
                        whole.send_control(control);
                        expected.push(Got::Control(control.clone()));
                    });
                    if !done {
                        closed = true;
                        break;
                    }
                }
                whole.send_whole(kind, &data, compressed_whole, max_out);
                expected.push(Got::Data(kind, data));
            }
            2 => {
                let control = control(b, &mut input);
                for sender in [&mut pieces, &mut whole] {
                    sender.send_control(&control);
                }
                expected.push(Got::Control(control));
            }
            _ => {
                // Outside a message: no fragment to send.
                let before = pieces.conn.pending_output_len();
                let error = pieces.conn.send_fragment(b"x", b & 4 != 0);
                assert!(matches!(error, Err(Error::NoMessageBegun)), "{error:?}");
                assert_eq!(pieces.conn.pending_output_len(), before);
                assert!(!pieces.conn.is_sending_message());
            }
        }
    }
    if !closed && input.byte() & 1 == 1 {
        let close = close(&mut input);
        for sender in [&mut pieces, &mut whole] {
            sender.send_control(&close);
        }
        expected.push(Got::Control(close));
        closed = true;
    }
    if closed {
        let conn = &mut pieces.conn;
        let closed_error = |r: Result<(), Error>| matches!(r, Err(Error::ConnectionClosed));
        assert!(closed_error(conn.begin_message(MessageKind::Text)));
        assert!(closed_error(conn.send_fragment(b"late", true)));
        assert!(closed_error(conn.send(Message::text("late"))));
    }

    for sender in [&mut pieces, &mut whole] {
        sender.drain();
        check_sequence(&read_frames(&sender.wire), role, max_out);
        let mut receiver = Connection::with_deflate(peer, Config::default(), params);
        receiver.receive(&sender.wire);
        let (got, error) = whole_events(&mut receiver);
        assert!(
            error.is_none(),
            "{}: the receiver failed: {error:?}",
            sender.name
        );
        assert_eq!(got, expected, "{}: received", sender.name);
    }
    // The fragments, streamed to the application as they arrive.
    let mut receiver = Connection::with_deflate(peer, Config::default(), params);
    let mut step = 0usize;
    let wire = &pieces.wire;
    // Pieces of 1 to 16 bytes, or 8 in all for a longer wire (every
    // streamed step of a compressed message costs a 64 KiB chunk's
    // buffer; `streaming_receive` cuts finer).
    let floor = wire.len() / 8;
    let (got, error) = streamed_events(&mut receiver, wire, |left| {
        step += 1;
        let size = 1 + (usize::from(wire[step % wire.len()]) + step) % 16;
        size.max(floor).min(left)
    });
    assert!(error.is_none(), "streamed: the receiver failed: {error:?}");
    assert_eq!(got, expected, "streamed: received");
}

/// A data message's kind and data from the input, at most `room` bytes.
fn message(b: u8, input: &mut Input<'_>, room: usize) -> (MessageKind, Vec<u8>) {
    let len = match input.byte() {
        short @ 0..=0xef => usize::from(short),
        // 64-bit lengths, if the budget has room.
        0xff => 0x10000 + usize::from(input.byte()),
        long => 126 + usize::from(long - 0xf0) * 300,
    };
    let len = if len > room { len % 256 } else { len };
    let data = input.payload(len.min(room));
    if b & 4 == 0 {
        let text = String::from_utf8_lossy(&data).into_owned();
        (MessageKind::Text, text.into_bytes())
    } else {
        (MessageKind::Binary, data)
    }
}

/// A Ping or a Pong (bit 2 of `c`), with a payload from the input.
fn control(c: u8, input: &mut Input<'_>) -> Message {
    input.control(c & 4 != 0)
}

/// A Close with a code and a reason from the input.
fn close(input: &mut Input<'_>) -> Message {
    Message::Close(Some(input.close_frame()))
}

fn data_message(kind: MessageKind, data: &[u8]) -> Message {
    match kind {
        MessageKind::Text => Message::text(String::from_utf8(data.to_vec()).expect("UTF-8")),
        MessageKind::Binary => Message::binary(data.to_vec()),
    }
}

impl Sender {
    /// Calls `op`; while the output is full, it must refuse with
    /// `WriteBufferFull`, changing nothing, and succeed once written out.
    fn with_room(&mut self, mut op: impl FnMut(&mut Connection) -> Result<(), Error>) {
        let before = self.conn.pending_output_len();
        let sending = self.conn.is_sending_message();
        match op(&mut self.conn) {
            Ok(()) => {}
            Err(Error::WriteBufferFull { len, max_len }) => {
                assert!(self.hold, "{}: full without an output bound", self.name);
                assert_eq!(len, before, "{}: the length in the error", self.name);
                assert_eq!(max_len, self.conn.config().max_write_buffer_size);
                assert!(len >= max_len);
                assert_eq!(
                    self.conn.pending_output_len(),
                    before,
                    "{}: wrote",
                    self.name
                );
                assert_eq!(self.conn.is_sending_message(), sending);
                self.drain();
                op(&mut self.conn).unwrap_or_else(|e| panic!("{}: {e} with room", self.name));
            }
            Err(error) => panic!("{}: {error}", self.name),
        }
    }

    /// The frames the last call wrote.
    fn written(&mut self) -> Vec<Frame> {
        let pending = crate::pending_wire(&self.conn);
        let new = read_frames(&pending[self.seen..]);
        self.seen = pending.len();
        if !self.hold {
            self.drain();
        }
        new
    }

    /// Writes the pending output out.
    fn drain(&mut self) {
        self.wire.extend(crate::take_wire(&mut self.conn));
        self.seen = 0;
    }

    /// `send` of a data message: one frame, or several of at most
    /// `max_out`; compressed from the threshold on.
    fn send_whole(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        compressed: bool,
        max_out: Option<usize>,
    ) {
        let message = data_message(kind, data);
        self.with_room(|conn| conn.send(message.clone()));
        let frames = self.written();
        if let Some(max) = max_out {
            let max = max.max(1);
            assert!(
                frames.iter().all(|f| f.payload.len() <= max),
                "{}: a frame over {max}",
                self.name
            );
        }
        let payload = message_frames(&frames, kind, true, true, compressed);
        self.check_payload(&payload, data, compressed, true);
    }

    /// `begin_message`, then `data` cut at points from the input, each
    /// piece a `send_fragment`, with control frames (given to `between`
    /// as well) between them. False if a Close cut it short.
    fn send_in_pieces(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        b: u8,
        input: &mut Input<'_>,
        mut between: impl FnMut(&Message),
    ) -> bool {
        self.conn.begin_message(kind).expect("begin_message");
        assert!(self.conn.is_sending_message());
        let compressed = self.zlib.is_some();
        let mut points: Vec<usize> = (0..usize::from(b >> 5))
            .map(|_| usize::from(input.u16()) % (data.len() + 1))
            .collect();
        points.sort_unstable();
        points.push(data.len());
        if b & 16 != 0 {
            // An empty last fragment.
            points.push(data.len());
            // And the calls a fragmented message refuses.
            let before = self.conn.pending_output_len();
            // (A full output may be what `send` says first.)
            let full = self.conn.is_output_full();
            let busy = |r: Result<(), Error>| match r {
                Err(Error::MessageStreaming) => true,
                Err(Error::WriteBufferFull { .. }) => full,
                _ => false,
            };
            assert!(busy(self.conn.send(Message::binary(&b"x"[..]))));
            assert!(busy(self.conn.send(Message::text("x"))));
            assert!(busy(self.conn.begin_message(MessageKind::Binary)));
            assert_eq!(self.conn.pending_output_len(), before);
        }
        let mut start = 0;
        for (i, end) in points.iter().enumerate() {
            let last = i + 1 == points.len();
            let piece = &data[start..*end];
            self.with_room(|conn| conn.send_fragment(piece, last));
            let frames = self.written();
            let payload = message_frames(&frames, kind, i == 0, last, compressed);
            self.check_payload(&payload, piece, compressed, last);
            start = *end;
            assert_eq!(self.conn.is_sending_message(), !last);
            if last {
                break;
            }
            let c = input.byte();
            match c & 3 {
                0 => {}
                3 => {
                    let close = close(input);
                    between(&close);
                    self.send_control(&close);
                    return false;
                }
                _ => {
                    let control = control(c, input);
                    between(&control);
                    self.send_control(&control);
                }
            }
        }
        true
    }

    /// `send` of a Ping or Pong, or `close`: one final frame.
    fn send_control(&mut self, message: &Message) {
        let (opcode, payload) = match message {
            Message::Ping(p) => (wire::PING, p.to_vec()),
            Message::Pong(p) => (wire::PONG, p.to_vec()),
            Message::Close(frame) => {
                let frame = frame.clone();
                self.conn.close(frame.clone()).expect("close");
                let payload = frame.map(|f| f.to_payload().to_vec()).unwrap_or_default();
                (wire::CLOSE, payload)
            }
            data => panic!("not a control frame: {data:?}"),
        };
        if opcode != wire::CLOSE {
            self.with_room(|conn| conn.send(message.clone()));
        }
        let frames = self.written();
        assert_eq!(frames.len(), 1, "{}: {frames:?}", self.name);
        let frame = &frames[0];
        assert!(
            frame.fin && frame.rsv == 0 && frame.opcode == opcode,
            "{frame:?}"
        );
        assert_eq!(frame.payload, payload, "{}: a control payload", self.name);
    }

    /// The payload of a call is its data: as it is, or, compressed, as
    /// zlib inflates it (the tail added after the last fragment).
    fn check_payload(&mut self, payload: &[u8], data: &[u8], compressed: bool, last: bool) {
        let name = self.name;
        let Some((zlib, bits, reset)) = self.zlib.as_mut().filter(|_| compressed) else {
            assert_eq!(payload, data, "{name}: the payload is not the data");
            return;
        };
        let mut out = Vec::new();
        inflate_into(zlib, payload, &mut out, FlushDecompress::None);
        if last {
            inflate_into(zlib, &TAIL, &mut out, FlushDecompress::Sync);
            if *reset {
                *zlib = Decompress::new_with_window_bits(false, *bits);
            }
        }
        assert_eq!(out, data, "{name}: zlib inflates the payload to other data");
    }
}

/// Checks the frames one call wrote of a data message (`first`: its
/// first call; `last`: its last) and returns their payloads, concatenated.
fn message_frames(
    frames: &[Frame],
    kind: MessageKind,
    first: bool,
    last: bool,
    compressed: bool,
) -> Vec<u8> {
    assert!(!frames.is_empty(), "a call wrote no frame");
    let mut payload = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        let opcode = match kind {
            _ if i > 0 || !first => wire::CONTINUATION,
            MessageKind::Text => wire::TEXT,
            MessageKind::Binary => wire::BINARY,
        };
        assert_eq!(frame.opcode, opcode, "frame {i} of {frames:?}");
        let rsv = if i == 0 && first && compressed {
            RSV1
        } else {
            0
        };
        assert_eq!(frame.rsv, rsv, "RSV of frame {i}, compressed {compressed}");
        assert_eq!(frame.fin, last && i + 1 == frames.len(), "FIN of frame {i}");
        payload.extend_from_slice(&frame.payload);
    }
    payload
}

/// Checks a whole output: messages of a first frame and continuations
/// (§5.4), control frames final, masked iff a client wrote them (§5.3),
/// data frames within `max_out`, nothing after the Close.
fn check_sequence(frames: &[Frame], role: Role, max_out: Option<usize>) {
    let mut in_message = false;
    let mut closed = false;
    for frame in frames {
        assert!(!closed, "a frame after the Close: {frame:?}");
        assert_eq!(frame.masked, role == Role::Client, "masking of {frame:?}");
        match frame.opcode {
            wire::CLOSE | wire::PING | wire::PONG => {
                assert!(frame.fin && frame.rsv == 0, "{frame:?}");
                closed = frame.opcode == wire::CLOSE;
                continue;
            }
            wire::TEXT | wire::BINARY => assert!(!in_message, "a message inside a message"),
            wire::CONTINUATION => {
                assert!(in_message, "a continuation outside a message");
                assert_eq!(frame.rsv, 0, "RSV on a continuation");
            }
            other => panic!("opcode {other}"),
        }
        in_message = !frame.fin;
        if let Some(max) = max_out {
            assert!(frame.payload.len() <= max.max(1), "a frame over {max}");
        }
    }
    assert!(!in_message || closed, "a message left unfinished");
}

#[cfg(test)]
mod tests {
    /// Random inputs: the checks hold on what the layout can express.
    #[test]
    fn random_inputs_pass() {
        super::super::input::random_inputs(super::check, 300);
    }
}
