//! `connection_server` and `connection_client`: a session of received bytes
//! and API calls through the sans-IO [`Connection`].
//!
//! The session is decoded from the bytes ([`Op`]): whole frames (well
//! formed or breaking one rule), raw chunks, valid text split across
//! fragments, Close frames, `send`, `close` and `advance_output` calls. Two
//! connections play it: one gets each received chunk at once, the other in
//! pieces of 1 to 16 bytes (every cut of a header, of a UTF-8 character).
//! Must hold:
//! - no panic;
//! - both deliver the same events and write the same frames: chunking never
//!   changes the outcome;
//! - every error carries a close code (the one its variant names; 1009 with
//!   the configured limit for a size error), fails the connection, and is
//!   the last event;
//! - memory is bounded by the limits: a data message never exceeds
//!   `max_message_size`, a control payload 125 bytes, and input waiting in
//!   the buffer of an open connection never exceeds 125 bytes, however big
//!   the frames, but for the payload of a frame that is a whole message,
//!   kept until it is complete (and then no more than that frame declared,
//!   within `max_frame_size`), unless `max_write_buffer_size` bytes wait to be written
//!   (then `next_event` processes nothing, and `send` refuses data with
//!   `WriteBufferFull`); at most `max_queued_pongs` automatic Pongs wait in
//!   the output, then only the latest Ping's, written once the output
//!   drains or before our Close (§5.5.3);
//! - the output is exactly what the RFC says to write, in order, whether
//!   copied into one buffer or queued without a copy (a server's big
//!   payloads, sent here up to 16 KiB + 7 bytes): our sends,
//!   a Pong echoing each Ping received before we sent a Close (§5.5.2), one
//!   Close answering the peer's (§5.5.1) or naming the error (§7.1.7), every
//!   frame final, masked iff we are the client (§5.3), and nothing at all
//!   after the first Close (§5.5.1);
//! - calls that may not be made fail cleanly: anything after our Close
//!   (`ConnectionClosed`), a control payload over 125 bytes, a close code
//!   not allowed on the wire (§7.4).

use super::input::Input;
use crate::wire::{self, BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use bytes::Bytes;
use rfc6455::frame::MAX_CONTROL_PAYLOAD;
use rfc6455::{CloseCode, CloseFrame, Config, Connection, Error, Message, Role};

/// The checks of the `connection_server` and `connection_client` targets.
pub fn check(role: Role, data: &[u8]) {
    let mut input = Input::new(data);
    let config = match input.byte() % 4 {
        0 => Config::default(),
        1 => Config::default()
            .max_frame_size(64)
            .max_message_size(256)
            .max_write_buffer_size(200)
            .max_queued_pongs(2),
        2 => Config::default()
            .max_frame_size(1 << 20)
            .max_message_size(100)
            .max_queued_pongs(1),
        _ => Config::default().max_frame_size(0).max_message_size(0),
    };
    let mut pair = Pair::new(role, config);
    for _ in 0..512 {
        if input.is_empty() {
            break;
        }
        let op = Op::decode(role, &mut input);
        pair.apply(op);
    }
    pair.finish();
}

/// Raw bytes received by a connection with the default limits, at once and
/// in small pieces. For inputs of targets that have no session structure.
pub fn check_raw(role: Role, data: &[u8]) {
    let mut pair = Pair::new(role, Config::default());
    pair.apply(Op::Receive(data.to_vec()));
    pair.finish();
}

/// One step of a session.
#[derive(Debug, Clone)]
pub enum Op {
    /// Bytes from the peer, delivered to the first connection at once.
    Receive(Vec<u8>),
    /// The same, split once at this offset.
    ReceiveSplit(Vec<u8>, usize),
    /// `send`.
    Send(Message),
    /// `close`.
    Close(Option<CloseFrame>),
    /// `advance_output` by this many bytes (`usize::MAX`: everything).
    Advance(usize),
}

/// Opcodes a generated frame may have: the six of RFC 6455, two reserved.
const OPCODES: [u8; 8] = [CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG, 0x3, 0xb];

/// Close codes worth trying: every class of §7.4.
const CODES: [u16; 16] = [
    1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1010, 1011, 1012, 1015, 2999, 3000, 4999, 5000,
];

impl Op {
    /// The next step, decoded from `input`. Frames are masked as the peer
    /// of a `role` connection must mask them, unless a flag says otherwise.
    pub fn decode(role: Role, input: &mut Input<'_>) -> Op {
        let peer_masks = role == Role::Server;
        match input.byte() % 10 {
            0..=2 => {
                // One frame: any opcode, RSV bits rarely, lengths in all
                // three encodings.
                let b = input.byte();
                let flags = input.byte();
                let opcode = OPCODES[usize::from((b >> 1) & 7)];
                let fin = b & 1 == 0;
                let rsv = if b & 0x10 != 0 { (b >> 5) & 7 } else { 0 };
                let len_sel = input.byte();
                let len = match len_sel >> 6 {
                    0 | 1 => usize::from(len_sel & 0x7f),
                    2 => 120 + usize::from(input.byte()) * 4,
                    _ => usize::from(input.u16() & 0x0fff),
                };
                let payload = input.payload(len);
                let masked = peer_masks != (flags & 1 == 1 && flags & 2 == 2);
                let mask = masked.then(|| input.key());
                let frame = wire::raw_frame(fin, rsv, opcode, mask, &payload);
                Op::split(frame, flags >> 2)
            }
            3 => {
                let n = usize::from(input.byte());
                Op::Receive(input.take(n).to_vec())
            }
            4 => {
                // A Close frame with a code (valid or not) and a reason
                // (UTF-8 or not), or an empty or one-byte body.
                let b = input.byte();
                let mut payload = match b & 3 {
                    0 => Vec::new(),
                    1 => vec![input.byte()],
                    2 => CODES[usize::from(b >> 4)].to_be_bytes().to_vec(),
                    _ => input.u16().to_be_bytes().to_vec(),
                };
                let reason_len = usize::from(input.byte() % 128);
                if b & 4 == 0 {
                    payload.extend_from_slice(input.take(reason_len));
                } else {
                    let reason = String::from_utf8_lossy(input.take(reason_len)).into_owned();
                    payload.extend_from_slice(reason.as_bytes());
                }
                payload.truncate(MAX_CONTROL_PAYLOAD);
                let mask = peer_masks.then(|| input.key());
                Op::split(wire::raw_frame(true, 0, CLOSE, mask, &payload), b >> 3)
            }
            5 => {
                // Valid text in up to four fragments cut anywhere, maybe
                // inside a character, with a Ping between two of them.
                let n = usize::from(input.byte());
                let text = String::from_utf8_lossy(input.take(n)).into_owned();
                let text = text.as_bytes();
                let cuts = input.byte();
                let mut points: Vec<usize> = (0..cuts & 3)
                    .map(|_| usize::from(input.byte()) % (text.len() + 1))
                    .collect();
                points.sort_unstable();
                points.push(text.len());
                let ping_after = usize::from(cuts >> 2) % points.len();
                let mut bytes = Vec::new();
                let mut start = 0;
                for (i, end) in points.iter().enumerate() {
                    let opcode = if i == 0 { TEXT } else { CONTINUATION };
                    let fin = i + 1 == points.len();
                    let mask = peer_masks.then(|| input.key());
                    bytes.extend(wire::raw_frame(fin, 0, opcode, mask, &text[start..*end]));
                    if i == ping_after && !fin {
                        let mask = peer_masks.then(|| input.key());
                        bytes.extend(wire::raw_frame(true, 0, PING, mask, b"between"));
                    }
                    start = *end;
                }
                Op::split(bytes, input.byte())
            }
            6 => {
                let kind = input.byte();
                let len = usize::from(input.byte());
                // Now and then around 16 KiB, where a server's payloads
                // start to be queued without a copy.
                let len = if kind & 0x20 != 0 {
                    (16 << 10) - 8 + len % 16
                } else {
                    len
                };
                let payload = Bytes::from(input.payload(len));
                Op::Send(match kind % 5 {
                    0 => Message::text(String::from_utf8_lossy(&payload).into_owned()),
                    1 => Message::Binary(payload),
                    2 => Message::Ping(payload),
                    3 => Message::Pong(payload),
                    _ => Message::Close(close_frame(kind, input)),
                })
            }
            7 => {
                let kind = input.byte();
                Op::Close(close_frame(kind, input))
            }
            8 => Op::Advance(match input.byte() {
                0xff => usize::MAX,
                n => usize::from(n) * 3,
            }),
            _ => {
                // A small Ping, the control frame with a reply.
                let len = usize::from(input.byte() % 8);
                let payload = input.payload(len);
                let mask = peer_masks.then(|| input.key());
                Op::Receive(wire::raw_frame(true, 0, PING, mask, &payload))
            }
        }
    }

    fn split(bytes: Vec<u8>, selector: u8) -> Op {
        match selector {
            0..=31 => Op::Receive(bytes),
            at => {
                let at = usize::from(at) % (bytes.len() + 1);
                Op::ReceiveSplit(bytes, at)
            }
        }
    }
}

/// An argument for `close`: none, or a code (allowed or not) and a reason
/// that may be longer than fits.
fn close_frame(kind: u8, input: &mut Input<'_>) -> Option<CloseFrame> {
    if kind & 0x80 != 0 {
        return None;
    }
    let code = if kind & 0x40 != 0 {
        input.u16()
    } else {
        CODES[usize::from(input.byte() & 0xf)]
    };
    let len = usize::from(input.byte());
    let reason = String::from_utf8_lossy(&input.payload(len)).into_owned();
    Some(CloseFrame::new(code, reason))
}

/// What a connection must have written, frame by frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// A final frame with this opcode and payload.
    Frame(u8, Vec<u8>),
    /// The Close that fails the connection: this code, any UTF-8 reason.
    FailClose(u16),
}

/// The Close payload `close(Some(frame))` writes: the code, then the reason
/// cut at a character boundary so the payload fits in 125 bytes.
fn close_payload(frame: &CloseFrame) -> Vec<u8> {
    let mut end = frame.reason.len().min(123);
    while !frame.reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = frame.code.as_u16().to_be_bytes().to_vec();
    payload.extend_from_slice(&frame.reason.as_bytes()[..end]);
    payload
}

/// One connection and what it must have done.
struct Side {
    role: Role,
    config: Config,
    conn: Connection,
    /// Every byte drained from `pending_output`.
    written: Vec<u8>,
    expect: Vec<Expect>,
    close_sent: bool,
    /// No more events may come (a Close arrived or an error was returned).
    done: bool,
    /// Every event and error, as text, for comparing the two sides.
    log: Vec<Logged>,
    /// Automatic Pongs queued since the output was last empty.
    queued_pongs: usize,
    /// The Pong held back for the latest Ping.
    deferred_pong: Option<Vec<u8>>,
    /// Pending output before the `next_event` call being checked.
    pending_before: usize,
}

impl Side {
    fn new(role: Role, config: Config) -> Self {
        Side {
            role,
            conn: Connection::new(role, config.clone()),
            config,
            written: Vec::new(),
            expect: Vec::new(),
            close_sent: false,
            done: false,
            log: Vec::new(),
            queued_pongs: 0,
            deferred_pong: None,
            pending_before: 0,
        }
    }

    fn output_full(&self) -> bool {
        self.conn.pending_output_len() >= self.config.max_write_buffer_size
    }

    /// All the pending output, every piece, in order.
    fn pending(&self) -> Vec<u8> {
        let pending: Vec<u8> = self
            .conn
            .pending_output_chunks()
            .flatten()
            .copied()
            .collect();
        assert_eq!(pending.len(), self.conn.pending_output_len());
        assert_eq!(
            self.conn.pending_output(),
            &pending[..self.conn.pending_output().len()],
            "pending_output is the first piece"
        );
        pending
    }

    /// Our Close goes out now: the held-back Pong first.
    fn expect_deferred_pong(&mut self) {
        if let Some(payload) = self.deferred_pong.take() {
            self.expect.push(Expect::Frame(PONG, payload));
        }
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.conn.receive(bytes);
        self.drain();
    }

    /// `next_event` until it needs more input, checking each event.
    fn drain(&mut self) {
        loop {
            let full = self.output_full();
            self.pending_before = self.conn.pending_output_len();
            let result = self.conn.next_event();
            if full {
                assert!(
                    matches!(result, Ok(None)),
                    "next_event processed input with a full output: {result:?}"
                );
            }
            match result {
                Ok(Some(message)) => self.on_event(message),
                Ok(None) => break,
                Err(error) => {
                    self.on_error(&error);
                    break;
                }
            }
        }
        if !self.conn.is_closed() && !self.output_full() {
            let buffered = self.conn.input_mut().len();
            // A frame that is a whole message waits in the input until
            // complete: what it declared, within the frame limit.
            let frame = buffered + self.conn.frame_bytes_missing();
            assert!(
                buffered <= MAX_CONTROL_PAYLOAD || frame <= self.config.max_frame_size,
                "an open connection holds {buffered} bytes of input after next_event returned None"
            );
        }
        if self.done {
            assert_eq!(
                self.conn.next_event().ok(),
                Some(None),
                "an event after the last"
            );
        }
    }

    fn on_event(&mut self, message: Message) {
        assert!(!self.done, "event {message:?} after a Close or an error");
        self.log.push(Logged::Event(message.clone()));
        match &message {
            Message::Text(text) => {
                assert!(std::str::from_utf8(text.as_bytes()).is_ok());
                assert!(
                    text.len() <= self.config.max_message_size,
                    "{} bytes",
                    text.len()
                );
            }
            Message::Binary(data) => {
                assert!(
                    data.len() <= self.config.max_message_size,
                    "{} bytes",
                    data.len()
                );
            }
            Message::Ping(data) => {
                assert!(data.len() <= MAX_CONTROL_PAYLOAD);
                if !self.close_sent {
                    if self.pending_before == 0 {
                        self.queued_pongs = 0;
                    }
                    if self.queued_pongs < self.config.max_queued_pongs.max(1) {
                        self.queued_pongs += 1;
                        self.expect.push(Expect::Frame(PONG, data.to_vec()));
                    } else {
                        self.deferred_pong = Some(data.to_vec());
                    }
                }
            }
            Message::Pong(data) => assert!(data.len() <= MAX_CONTROL_PAYLOAD),
            Message::Close(frame) => {
                if let Some(frame) = frame {
                    assert!(frame.code.is_valid_on_wire(), "{frame:?} accepted");
                    assert!(frame.reason.len() <= 123);
                }
                assert!(self.conn.close_received() && self.conn.is_closed());
                if !self.close_sent {
                    self.expect_deferred_pong();
                    // §5.5.1: answer with a Close echoing the code.
                    let echo = frame
                        .as_ref()
                        .map(|f| f.code.as_u16().to_be_bytes().to_vec())
                        .unwrap_or_default();
                    self.expect.push(Expect::Frame(CLOSE, echo));
                    self.close_sent = true;
                }
                assert!(self.conn.close_sent());
                self.done = true;
            }
        }
    }

    fn on_error(&mut self, error: &Error) {
        assert!(!self.done, "error {error:?} after a Close or an error");
        self.log.push(Logged::Error(format!("{error:?}")));
        let code = error
            .close_code()
            .unwrap_or_else(|| panic!("next_event returned {error:?}, which has no close code"));
        match error {
            Error::Protocol(e) => assert_eq!(code, e.close_code()),
            Error::FrameTooLong { len, max_len } => {
                assert_eq!(*max_len, self.config.max_frame_size);
                assert!(*len > *max_len as u64);
                assert_eq!(code, CloseCode::MESSAGE_TOO_BIG);
            }
            Error::MessageTooLong { len, max_len } => {
                assert_eq!(*max_len, self.config.max_message_size);
                assert!(*len > *max_len as u64);
                assert_eq!(code, CloseCode::MESSAGE_TOO_BIG);
            }
            other => panic!("next_event returned {other:?}"),
        }
        assert!(
            code.is_valid_on_wire(),
            "fails with {code}, which may not be sent"
        );
        assert!(self.conn.is_failed() && self.conn.is_closed());
        assert!(self.conn.should_close_transport(), "§7.1.7");
        // A failing connection sends its Close and nothing else.
        self.deferred_pong = None;
        if !self.close_sent {
            self.expect.push(Expect::FailClose(code.as_u16()));
            self.close_sent = true;
        }
        assert!(self.conn.close_sent());
        self.done = true;
    }

    fn send(&mut self, message: Message) {
        let pending = self.conn.pending_output_len();
        let result = self.conn.send(message.clone());
        self.log.push(Logged::Call(format!("{result:?}")));
        if self.close_sent {
            assert!(matches!(result, Err(Error::ConnectionClosed)), "{result:?}");
            return;
        }
        if pending >= self.config.max_write_buffer_size && !matches!(message, Message::Close(_)) {
            assert!(
                matches!(result, Err(Error::WriteBufferFull { len, max_len })
                    if max_len == self.config.max_write_buffer_size && len == pending),
                "{result:?} with {pending} bytes pending"
            );
            return;
        }
        match message {
            Message::Text(text) => {
                assert!(result.is_ok(), "{result:?}");
                self.expect
                    .push(Expect::Frame(TEXT, text.as_bytes().to_vec()));
            }
            Message::Binary(data) => {
                assert!(result.is_ok(), "{result:?}");
                self.expect.push(Expect::Frame(BINARY, data.to_vec()));
            }
            Message::Ping(data) | Message::Pong(data) if data.len() > MAX_CONTROL_PAYLOAD => {
                assert!(
                    matches!(result, Err(Error::FrameTooLong { len, max_len: 125 }) if len == data.len() as u64),
                    "{result:?}"
                );
            }
            Message::Ping(data) => {
                assert!(result.is_ok(), "{result:?}");
                self.expect.push(Expect::Frame(PING, data.to_vec()));
            }
            Message::Pong(data) => {
                assert!(result.is_ok(), "{result:?}");
                self.expect.push(Expect::Frame(PONG, data.to_vec()));
            }
            Message::Close(frame) => self.after_close(frame, result),
        }
    }

    fn close(&mut self, frame: Option<CloseFrame>) {
        let result = self.conn.close(frame.clone());
        self.log.push(Logged::Call(format!("{result:?}")));
        if self.close_sent {
            assert!(matches!(result, Err(Error::ConnectionClosed)), "{result:?}");
            return;
        }
        self.after_close(frame, result);
    }

    fn after_close(&mut self, frame: Option<CloseFrame>, result: Result<(), Error>) {
        match frame {
            Some(frame) if !frame.code.is_valid_on_wire() => {
                assert!(
                    matches!(result, Err(Error::InvalidCloseCode(code)) if code == frame.code),
                    "close with {} gave {result:?}",
                    frame.code
                );
                assert!(!self.conn.close_sent());
            }
            frame => {
                assert!(result.is_ok(), "{result:?}");
                self.expect_deferred_pong();
                let payload = frame.as_ref().map(close_payload).unwrap_or_default();
                self.expect.push(Expect::Frame(CLOSE, payload));
                self.close_sent = true;
                assert!(self.conn.close_sent());
            }
        }
    }

    fn advance(&mut self, n: usize) {
        let before = self.pending();
        let n = n.min(before.len());
        self.written.extend_from_slice(&before[..n]);
        self.conn.advance_output(n);
        if n == before.len() {
            // Drained: the held-back Pong, if any, is queued now.
            self.queued_pongs = 0;
            if let Some(payload) = self.deferred_pong.take() {
                self.queued_pongs = 1;
                self.expect.push(Expect::Frame(PONG, payload));
                let frames = wire::read_frames(&self.pending());
                assert_eq!(frames.len(), 1, "the held-back Pong: {frames:?}");
                return;
            }
        }
        assert_eq!(self.pending(), &before[n..], "advance_output({n})");
    }

    /// Drains the output and checks it frame by frame against `expect`.
    fn written_frames(&mut self) -> Vec<wire::Frame> {
        // Twice at most: a held-back Pong is queued by the first drain.
        self.advance(usize::MAX);
        self.advance(usize::MAX);
        assert!(self.conn.pending_output().is_empty());
        assert_eq!(self.conn.pending_output_len(), 0);
        let frames = wire::read_frames(&self.written);
        let masked = self.role == Role::Client;
        for frame in &frames {
            assert!(frame.fin && frame.rsv == 0, "{frame:?}");
            assert_eq!(frame.masked, masked, "§5.3: {frame:?}");
            if frame.opcode & 0x8 != 0 {
                assert!(frame.payload.len() <= MAX_CONTROL_PAYLOAD);
            }
        }
        if let Some(first_close) = frames.iter().position(|f| f.opcode == CLOSE) {
            assert_eq!(
                first_close + 1,
                frames.len(),
                "§5.5.1: frames sent after our Close: {:?}",
                &frames[first_close..]
            );
        }
        assert_eq!(
            frames.len(),
            self.expect.len(),
            "wrote {frames:?}, expected {:?}",
            self.expect
        );
        for (frame, expect) in frames.iter().zip(&self.expect) {
            match expect {
                Expect::Frame(opcode, payload) => {
                    assert_eq!((frame.opcode, &frame.payload), (*opcode, payload));
                }
                Expect::FailClose(code) => {
                    assert_eq!(frame.opcode, CLOSE);
                    assert!(frame.payload.len() >= 2);
                    assert_eq!(
                        u16::from_be_bytes([frame.payload[0], frame.payload[1]]),
                        *code
                    );
                    assert!(std::str::from_utf8(&frame.payload[2..]).is_ok());
                }
            }
        }
        frames
    }
}

/// What a side did, in order: events, errors, results of calls.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Logged {
    Event(Message),
    Error(String),
    Call(String),
}

/// The same session on two connections: one gets each chunk whole, the
/// other in small pieces.
struct Pair {
    whole: Side,
    pieces: Side,
    /// How much of the logs has been compared.
    compared: usize,
}

impl Pair {
    fn new(role: Role, config: Config) -> Self {
        Pair {
            whole: Side::new(role, config.clone()),
            pieces: Side::new(role, config),
            compared: 0,
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Receive(bytes) => {
                self.whole.receive(&bytes);
                self.receive_in_pieces(&bytes);
            }
            Op::ReceiveSplit(bytes, at) => {
                self.whole.receive(&bytes[..at]);
                self.whole.receive(&bytes[at..]);
                self.receive_in_pieces(&bytes);
            }
            Op::Send(message) => {
                self.whole.send(message.clone());
                self.pieces.send(message);
            }
            Op::Close(frame) => {
                self.whole.close(frame.clone());
                self.pieces.close(frame);
            }
            Op::Advance(n) => {
                self.whole.advance(n);
                self.pieces.advance(n);
            }
        }
        assert_eq!(
            self.whole.log[self.compared..],
            self.pieces.log[self.compared..],
            "chunking changed the events"
        );
        self.compared = self.whole.log.len();
    }

    /// Delivers `bytes` in pieces of 1 to 16 bytes, so that most bytes of a
    /// frame, and every byte of a header, start a piece somewhere.
    fn receive_in_pieces(&mut self, bytes: &[u8]) {
        const SIZES: [usize; 8] = [1, 1, 2, 1, 3, 1, 5, 16];
        let mut rest = bytes;
        for size in SIZES.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, after) = rest.split_at((*size).min(rest.len()));
            self.pieces.receive(piece);
            rest = after;
        }
        // An empty receive still gives next_event a chance.
        if bytes.is_empty() {
            self.pieces.receive(&[]);
        }
    }

    fn finish(mut self) {
        let whole = self.whole.written_frames();
        let pieces = self.pieces.written_frames();
        assert_eq!(whole, pieces, "chunking changed the output");
    }
}
