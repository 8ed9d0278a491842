//! `streaming_receive`: a peer's byte stream, built from the input, through
//! `Connection::next_streamed_event` and, fed the same pieces, through
//! `next_event`, both checked against a model of what the peer sent.
//!
//! The peer (either role, so the receiver is the other) sends Text and
//! Binary messages cut into fragments anywhere (inside a UTF-8 character
//! too), with Pings, Pongs or a Close between fragments (RFC 6455 §5.4),
//! compressed or not under permessage-deflate (RFC 7692) negotiated with
//! window sizes and context takeover from the input (compressed here with
//! zlib itself, as one DEFLATE stream across fragments, §6.1), Text with
//! an invalid UTF-8 sequence put anywhere (or a character cut at its
//! end), and sizes around `max_streamed_message_size` (= `max_message_size`
//! for the whole-message side). The stream is delivered in pieces whose
//! sizes the rest of the input gives. Must hold, for both APIs:
//! - the events are the model's: every data message whole (the streamed
//!   one's chunks concatenated), control frames in wire order, until the
//!   first problem of the stream;
//! - a message with invalid UTF-8 fails the connection with 1007, one
//!   over the limit with 1009 (`MessageTooLong` with that limit), at the
//!   piece that holds the byte revealing it: the first byte that cannot
//!   be UTF-8 any more (fail fast, §8.1), the header of the frame that
//!   passes the limit, or, compressed, the wire byte whose inflating
//!   (by zlib, fed a byte at a time) reveals it; nothing fails otherwise;
//! - streamed chunks are never empty nor, inflated, over 64 KiB; what
//!   was handed out of a message never passes the limit, and of a Text
//!   is always valid UTF-8 so far;
//! - both connections write the same frames (Pongs, the Close echo), the
//!   failure's Close carrying its code.
//!
//! The one difference allowed: a compressed message that breaks both
//! rules within one piece may fail with either code (the whole-message
//! side inflates the piece before it validates; the streamed side
//! validates every 64 KiB it inflates).

use super::input::Input;
use super::streaming::Got;
use super::utf8::first_invalid_prefix;
use crate::wire::{self, read_frames};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use rfc6455::deflate::DeflateConfig;
use rfc6455::{Config, Connection, Error, Message, MessageKind, Role, StreamEvent};

/// `max_streamed_message_size` (and `max_message_size`) choices: empty,
/// the 7- and 16-bit length edges, a 64 KiB inflated chunk, and none
/// (`usize::MAX`, as `Config` documents it).
const LIMITS: [usize; 8] = [0, 1, 125, 126, 1000, 65_535, 65_536, usize::MAX];

/// Sequences that make a text invalid wherever they land.
const INVALID: [&[u8]; 7] = [
    b"\xff",
    b"\x80",
    b"\xc0\xaf",
    b"\xe0\x80\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf0\x9f\x98",
];

/// Data bytes one input may ask for, all messages together.
const BUDGET: usize = 1 << 17;

/// The most bytes of one inflated chunk (the library's promise).
const INFLATED_CHUNK: usize = 64 << 10;

/// The tail a compressed message's last sync flush ends with, removed on
/// the wire (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];

/// Where the stream first breaks a rule: the wire index of the byte that
/// reveals each problem of the first message that has one.
#[derive(Debug, Clone, Copy, Default)]
struct Problem {
    /// Invalid UTF-8 (1007).
    utf8: Option<usize>,
    /// Over the limit (1009).
    long: Option<usize>,
    /// The message is compressed: its two problems may swap within a piece.
    compressed: bool,
}

/// The peer: the wire it writes, its compressor, and a zlib inflater that
/// mirrors the receiver's to find where inflated bytes come out.
struct Peer {
    masks: bool,
    wire: Vec<u8>,
    frames: u8,
    deflate: Option<PeerDeflate>,
    limit: usize,
    /// What the receiver delivers, each with the wire index of its last
    /// byte.
    events: Vec<(usize, Got)>,
    problem: Option<Problem>,
    closed: bool,
    /// The one big message was sent.
    big_sent: bool,
    /// Whether each data message begun, in order, is compressed.
    compressed: Vec<bool>,
}

struct PeerDeflate {
    compress: Compress,
    /// The compressed messages the receiver's inflater has seen since it
    /// last reset: zlib replays them (only) to place a problem.
    history: Vec<Vec<u8>>,
    window_bits: u8,
    /// Negotiated for the peer's direction: both ends reset per message.
    no_context_takeover: bool,
}

/// A message's bytes on the wire: for each data (or compressed) byte, its
/// wire index; and the wire index of the last byte of its final frame.
struct Placed {
    at: Vec<usize>,
    /// Per frame: the wire index of its header's last byte, and the data
    /// bytes sent once it is in (uncompressed).
    headers: Vec<(usize, usize)>,
    end: usize,
    /// The wire index of the first Close between its fragments.
    closed_at: Option<usize>,
}

/// The checks of the `streaming_receive` target.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let receiver_role = if flags & 1 == 1 {
        Role::Client
    } else {
        Role::Server
    };
    let limit = LIMITS[usize::from(flags >> 2) % LIMITS.len()];
    let params = (flags & 2 != 0).then(|| input.deflate_params());
    let mut peer = Peer {
        masks: receiver_role == Role::Server,
        wire: Vec::new(),
        frames: 0,
        deflate: params.map(|p| {
            let (window_bits, no_context_takeover) = match receiver_role {
                Role::Server => (p.client_max_window_bits, p.client_no_context_takeover),
                Role::Client => (p.server_max_window_bits, p.server_no_context_takeover),
            };
            let level = Compression::new(u32::from(input.byte() % 10));
            PeerDeflate {
                compress: Compress::new_with_window_bits(level, false, window_bits),
                history: Vec::new(),
                window_bits,
                no_context_takeover,
            }
        }),
        limit,
        events: Vec::new(),
        problem: None,
        closed: false,
        big_sent: false,
        compressed: Vec::new(),
    };
    let mut total = 0;
    for _ in 0..32 {
        if input.is_empty() || peer.problem.is_some() || peer.closed || total > BUDGET {
            break;
        }
        let b = input.byte();
        match b & 3 {
            0 | 1 => total += peer.message(b, &mut input),
            2 => peer.control(input.byte(), &mut input),
            _ => peer.close(&mut input),
        }
    }

    let config = Config::default()
        .max_frame_size(usize::MAX)
        .max_message_size(limit)
        .max_streamed_message_size(limit)
        .deflate(params.map(|_| DeflateConfig::default()));
    let mut whole = Receiver::new(Connection::with_deflate(
        receiver_role,
        config.clone(),
        params,
    ));
    let mut streamed = Receiver::new(Connection::with_deflate(receiver_role, config, params));
    let sizes: Vec<u8> = input.rest().to_vec();
    let mut sizes = sizes.iter().cycle();
    let mut pieces = Vec::new();
    let mut fed = 0;
    // At most about 128 pieces: a big message is not fed a byte at a time.
    let floor = peer.wire.len() / 128;
    while fed < peer.wire.len() {
        let size = floor.max(match sizes.next() {
            Some(s) if s & 0x80 != 0 => 1 + usize::from(s & 0x7f) * 512,
            Some(s) => 1 + usize::from(*s) % 16,
            None => peer.wire.len(),
        });
        let end = (fed + size).min(peer.wire.len());
        pieces.push(end);
        let piece = &peer.wire[fed..end];
        fed = end;
        whole.feed_whole(piece);
        streamed.feed_streamed(piece, limit, &peer.compressed);
    }

    for (side, receiver) in [("whole", &whole), ("streamed", &streamed)] {
        peer.judge(side, receiver, &pieces);
    }
    let codes = |r: &Receiver| r.error.as_ref().and_then(|(e, _)| e.close_code());
    if codes(&whole) == codes(&streamed) {
        assert_eq!(streamed.got, whole.got, "streamed vs whole");
    }
    assert_eq!(streamed.conn.is_failed(), whole.conn.is_failed());
    // The same frames back to the peer: Pongs, the Close and its code
    // (the failure's reason may say how far each got).
    let frames = |r: &mut Receiver| {
        let mut frames = read_frames(&crate::take_wire(&mut r.conn));
        if let Some(last) = frames.last_mut() {
            if last.opcode == wire::CLOSE && r.error.is_some() {
                last.payload.truncate(2);
            }
        }
        frames
    };
    let (from_whole, from_streamed) = (frames(&mut whole), frames(&mut streamed));
    if codes(&whole) == codes(&streamed) {
        assert_eq!(from_streamed, from_whole, "the receivers' output");
    }
    for (r, out) in [(&whole, &from_whole), (&streamed, &from_streamed)] {
        if let Some((error, _)) = &r.error {
            let code = error.close_code().map(u16::from);
            assert_eq!(out.last().and_then(wire::Frame::close_code), code);
        }
    }
}

impl Peer {
    /// A Text or Binary message, maybe compressed, maybe invalid, in
    /// fragments with control frames between them; returns its size.
    fn message(&mut self, b: u8, input: &mut Input<'_>) -> usize {
        let size = input.byte();
        // One message per input may be big: around and past the 64 KiB of
        // an inflated chunk, a run of one letter (zlib's time, which the
        // fuzzer instruments too, is most of this target's).
        let big = size == 0xff && !self.big_sent;
        self.big_sent |= big;
        let len = match size {
            0xff if big => 0xff00 + usize::from(input.byte()) * 2,
            short @ 0..=0xf0 => usize::from(short),
            long => 126 + usize::from(long - 0xf0) * 300,
        };
        let kind = if b & 4 == 0 {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let mut data = if big {
            vec![b'a' + input.byte() % 26; len]
        } else {
            input.payload(len)
        };
        if kind == MessageKind::Text {
            data = String::from_utf8_lossy(&data).into_owned().into_bytes();
            if b & 8 != 0 {
                let bad = INVALID[usize::from(input.byte()) % INVALID.len()];
                let at = usize::from(input.u16()) % (data.len() + 1);
                data.splice(at..at, bad.iter().copied());
            }
        }
        let compressed = self.deflate.is_some() && b & 16 != 0;
        self.compressed.push(compressed);
        let payload = if compressed {
            self.compress(&data, b & 32 != 0)
        } else {
            data.clone()
        };
        let cuts = usize::from(b >> 6) + usize::from(b & 32 != 0 && !compressed);
        let mut points: Vec<usize> = (0..cuts)
            .map(|_| usize::from(input.u16()) % (payload.len() + 1))
            .collect();
        points.sort_unstable();
        let placed = self.fragments(kind, compressed, &payload, &points, input);
        let (utf8, long) = if compressed {
            self.inflated_positions(kind, &data, &payload, &placed)
        } else {
            self.plain_positions(kind, &data, &placed)
        };
        let before_close =
            |at: Option<usize>| at.filter(|at| placed.closed_at.is_none_or(|c| *at < c));
        let (utf8, long) = (before_close(utf8), before_close(long));
        if utf8.is_some() || long.is_some() {
            self.problem = Some(Problem {
                utf8,
                long,
                compressed,
            });
        } else if placed.closed_at.is_none() {
            self.events
                .push((placed.end, Got::Data(kind, data.clone())));
        }
        data.len()
    }

    /// Compresses `data` as one message (a sync flush, its tail removed);
    /// `reset`: without the earlier messages' context, as a peer may
    /// choose to (and must, if it agreed to no context takeover).
    fn compress(&mut self, data: &[u8], reset: bool) -> Vec<u8> {
        let Some(deflate) = &mut self.deflate else {
            return data.to_vec();
        };
        if reset || deflate.no_context_takeover {
            deflate.compress.reset();
        }
        let mut out = Vec::new();
        let mut rest = data;
        loop {
            out.reserve(rest.len() + 64);
            let spare = out.capacity() - out.len();
            let (before_in, before_out) =
                (deflate.compress.total_in(), deflate.compress.total_out());
            deflate
                .compress
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .expect("zlib compresses");
            rest = &rest[(deflate.compress.total_in() - before_in) as usize..];
            let produced = (deflate.compress.total_out() - before_out) as usize;
            if rest.is_empty() && produced < spare {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // Nothing new to flush: the empty stored block (§7.2.3.6), as
            // an empty message after another needs one.
            out.push(0);
        }
        out
    }

    /// Writes `payload` as frames cut at `points`, control frames from
    /// the input between them.
    fn fragments(
        &mut self,
        kind: MessageKind,
        compressed: bool,
        payload: &[u8],
        points: &[usize],
        input: &mut Input<'_>,
    ) -> Placed {
        let mut placed = Placed {
            at: Vec::with_capacity(payload.len()),
            headers: Vec::new(),
            end: 0,
            closed_at: None,
        };
        let mut start = 0;
        for (i, end) in points.iter().chain([&payload.len()]).enumerate() {
            let last = i == points.len();
            let opcode = match (i, kind) {
                (0, MessageKind::Text) => wire::TEXT,
                (0, MessageKind::Binary) => wire::BINARY,
                _ => wire::CONTINUATION,
            };
            let rsv = if i == 0 && compressed { 4 } else { 0 };
            let piece = &payload[start..*end];
            let payload_at = self.frame(last, rsv, opcode, piece);
            placed.headers.push((payload_at - 1, *end));
            placed.at.extend(payload_at..payload_at + piece.len());
            placed.end = self.wire.len() - 1;
            start = *end;
            if !last && placed.closed_at.is_none() {
                let c = input.byte();
                if c & 3 == 3 {
                    self.close(input);
                    placed.closed_at = Some(self.wire.len() - 1);
                } else if c & 3 != 0 {
                    self.control(c, input);
                }
            }
        }
        placed
    }

    /// A Ping or Pong with a payload from the input.
    fn control(&mut self, c: u8, input: &mut Input<'_>) {
        let message = input.control(c & 4 != 0);
        let opcode = match message {
            Message::Ping(_) => wire::PING,
            _ => wire::PONG,
        };
        self.frame(true, 0, opcode, &message.payload());
        self.events
            .push((self.wire.len() - 1, Got::Control(message)));
    }

    /// A Close with a code and a reason from the input: the end of what
    /// the receiver reads.
    fn close(&mut self, input: &mut Input<'_>) {
        let frame = input.close_frame();
        self.frame(true, 0, wire::CLOSE, &frame.to_payload());
        self.events.push((
            self.wire.len() - 1,
            Got::Control(Message::Close(Some(frame))),
        ));
        self.closed = true;
    }

    /// Appends a frame; returns the wire index of its payload.
    fn frame(&mut self, fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> usize {
        self.frames = self.frames.wrapping_add(1);
        let key = self
            .masks
            .then(|| [self.frames, 0x37, self.frames.wrapping_mul(7), 0x3d]);
        let frame = wire::raw_frame(fin, rsv, opcode, key, payload);
        let payload_at = self.wire.len() + frame.len() - payload.len();
        self.wire.extend_from_slice(&frame);
        payload_at
    }

    /// Where an uncompressed message's problems show: the invalid byte
    /// itself (or the end, for a character cut there), and the header
    /// that passes the limit.
    fn plain_positions(
        &self,
        kind: MessageKind,
        data: &[u8],
        placed: &Placed,
    ) -> (Option<usize>, Option<usize>) {
        let utf8 =
            invalid_index(kind, data).map(|i| placed.at.get(i).copied().unwrap_or(placed.end));
        let long = placed
            .headers
            .iter()
            .find(|(_, sent)| *sent > self.limit)
            .map(|(header, _)| *header);
        (utf8, long)
    }

    /// Where a compressed message's problems show: the wire byte whose
    /// inflating (zlib, a byte at a time) outputs the data byte that
    /// reveals it; the end of the final frame for what only its tail
    /// (§7.2.2) brings out.
    fn inflated_positions(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        payload: &[u8],
        placed: &Placed,
    ) -> (Option<usize>, Option<usize>) {
        let Some(deflate) = &mut self.deflate else {
            return (None, None);
        };
        let text = kind == MessageKind::Text;
        let problem = data.len() > self.limit || (text && std::str::from_utf8(data).is_err());
        if !problem {
            if deflate.no_context_takeover {
                deflate.history.clear();
            } else {
                deflate.history.push(payload.to_vec());
            }
            return (None, None);
        }
        // The receiver's inflater: the earlier messages of its context,
        // then this one a byte at a time. For each output length reached,
        // the wire index that reached it.
        let mut zlib = Decompress::new_with_window_bits(false, deflate.window_bits);
        for earlier in &deflate.history {
            let mut out = Vec::new();
            inflate_into(&mut zlib, earlier, &mut out, FlushDecompress::None);
            inflate_into(&mut zlib, &TAIL, &mut out, FlushDecompress::Sync);
        }
        let utf8 = invalid_index(kind, data);
        let long = (data.len() > self.limit).then_some(self.limit);
        let last_needed = utf8.max(long).unwrap_or(0);
        let mut out = Vec::with_capacity(data.len() + 1);
        let mut reached: Vec<(usize, usize)> = Vec::new();
        for (i, (byte, at)) in payload.iter().zip(&placed.at).enumerate() {
            if out.len() > last_needed {
                // Both placed: the rest at once.
                inflate_into(&mut zlib, &payload[i..], &mut out, FlushDecompress::None);
                break;
            }
            let byte = std::slice::from_ref(byte);
            inflate_into(&mut zlib, byte, &mut out, FlushDecompress::None);
            reached.push((out.len(), *at));
        }
        inflate_into(&mut zlib, &TAIL, &mut out, FlushDecompress::Sync);
        reached.push((out.len(), placed.end));
        assert_eq!(out, data, "zlib inflates the peer's message back");
        let wire_of = |index: usize| {
            reached
                .iter()
                .find(|(len, _)| *len > index)
                .map_or(placed.end, |(_, at)| *at)
        };
        (utf8.map(wire_of), long.map(wire_of))
    }

    /// Checks what `receiver` got against the model.
    fn judge(&self, side: &str, receiver: &Receiver, pieces: &[usize]) {
        let piece_of = |at: usize| pieces.iter().position(|end| at < *end);
        let delivered = |until: usize| -> Vec<Got> {
            self.events
                .iter()
                .filter(|(end, _)| *end < until)
                .map(|(_, got)| got.clone())
                .collect()
        };
        let Some(problem) = self.problem else {
            assert!(
                receiver.error.is_none(),
                "{side}: failed on a valid stream: {:?}",
                receiver.error
            );
            let all: Vec<Got> = self.events.iter().map(|(_, got)| got.clone()).collect();
            assert_eq!(receiver.got, all, "{side}: events");
            return;
        };
        let (error, failed_in) = receiver.error.as_ref().unwrap_or_else(|| {
            panic!("{side}: no failure for {problem:?}, got {:?}", receiver.got)
        });
        let code = error.close_code().map(u16::from);
        // The problem each code stands for, and where it shows.
        let mut allowed: Vec<(u16, usize)> = Vec::new();
        match (problem.utf8, problem.long) {
            (Some(u), Some(l)) if problem.compressed && piece_of(u) == piece_of(l) => {
                allowed.push((1007, u));
                allowed.push((1009, l));
            }
            (Some(u), Some(l)) if u < l => allowed.push((1007, u)),
            (_, Some(l)) => allowed.push((1009, l)),
            (Some(u), None) => allowed.push((1007, u)),
            (None, None) => unreachable!("a problem has a place"),
        }
        let Some(&(_, at)) = allowed.iter().find(|(c, _)| Some(*c) == code) else {
            panic!("{side}: failed with {error} for {problem:?}, pieces end {pieces:?}");
        };
        assert_eq!(
            Some(*failed_in),
            piece_of(at),
            "{side}: {error} not in the piece that holds wire byte {at} (pieces end {pieces:?})"
        );
        if let Error::MessageTooLong { len, max_len } = error {
            assert_eq!(*max_len, self.limit, "{side}: the limit in the error");
            assert!(*len > self.limit as u64, "{side}: {error}");
        }
        assert_eq!(
            receiver.got,
            delivered(at),
            "{side}: events before the failure"
        );
    }
}

/// Inflates `input` into `out` (all of it: `out` grows as needed).
pub(super) fn inflate_into(
    state: &mut Decompress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushDecompress,
) {
    loop {
        out.reserve(INFLATED_CHUNK);
        let spare = out.capacity() - out.len();
        let before = (state.total_in(), state.total_out());
        state
            .decompress_vec(input, out, flush)
            .expect("zlib inflates the peer's stream");
        input = &input[(state.total_in() - before.0) as usize..];
        let produced = (state.total_out() - before.1) as usize;
        if input.is_empty() && produced < spare {
            return;
        }
    }
}

/// The index of the data byte at which a Text stops being UTF-8: the
/// first byte no continuation makes valid, or one past the end for a
/// character cut by it; `None` for valid text and for Binary.
fn invalid_index(kind: MessageKind, data: &[u8]) -> Option<usize> {
    if kind == MessageKind::Binary {
        return None;
    }
    std::str::from_utf8(data).err()?;
    Some(first_invalid_prefix(data).map_or(data.len(), |n| n - 1))
}

/// One receiving connection and what it delivered.
struct Receiver {
    conn: Connection,
    got: Vec<Got>,
    /// The error, and the index of the piece after which it came.
    error: Option<(Error, usize)>,
    pieces: usize,
    /// The streamed message under way.
    current: Option<(MessageKind, Vec<u8>)>,
    /// Messages begun.
    started: usize,
}

impl Receiver {
    fn new(conn: Connection) -> Self {
        Receiver {
            conn,
            got: Vec::new(),
            error: None,
            pieces: 0,
            current: None,
            started: 0,
        }
    }

    fn feed_whole(&mut self, piece: &[u8]) {
        self.conn.receive(piece);
        self.pieces += 1;
        loop {
            match self.conn.next_event() {
                Ok(Some(Message::Text(text))) => self
                    .got
                    .push(Got::Data(MessageKind::Text, text.as_bytes().to_vec())),
                Ok(Some(Message::Binary(data))) => {
                    self.got.push(Got::Data(MessageKind::Binary, data.to_vec()))
                }
                Ok(Some(control)) => self.got.push(Got::Control(control)),
                Ok(None) => return,
                Err(error) => return self.failed(error),
            }
        }
    }

    fn feed_streamed(&mut self, piece: &[u8], limit: usize, compressed: &[bool]) {
        self.conn.receive(piece);
        self.pieces += 1;
        loop {
            match self.conn.next_streamed_event() {
                Ok(Some(StreamEvent::MessageStart { kind })) => {
                    assert!(self.current.is_none(), "a start inside a message");
                    self.current = Some((kind, Vec::new()));
                    self.started += 1;
                }
                Ok(Some(StreamEvent::Data(chunk))) => {
                    assert!(!chunk.is_empty(), "an empty chunk");
                    // Inflated: at most 64 KiB; as it arrived: at most
                    // what this piece brought.
                    let bound = if compressed[self.started - 1] {
                        INFLATED_CHUNK
                    } else {
                        piece.len()
                    };
                    assert!(chunk.len() <= bound, "a chunk of {}", chunk.len());
                    let (kind, data) = self.current.as_mut().expect("data outside a message");
                    data.extend_from_slice(&chunk);
                    assert!(
                        data.len() <= limit,
                        "{} bytes handed out, limit {limit}",
                        data.len()
                    );
                    if *kind == MessageKind::Text {
                        assert_eq!(first_invalid_prefix(data), None, "invalid UTF-8 handed out");
                    }
                }
                Ok(Some(StreamEvent::MessageEnd)) => {
                    let (kind, data) = self.current.take().expect("an end outside a message");
                    if kind == MessageKind::Text {
                        assert!(std::str::from_utf8(&data).is_ok(), "a Text ended invalid");
                    }
                    self.got.push(Got::Data(kind, data));
                }
                Ok(Some(StreamEvent::Message(message))) => {
                    assert!(!message.is_data(), "a whole message while streaming");
                    self.got.push(Got::Control(message));
                }
                Ok(Some(other)) => panic!("unknown event {other:?}"),
                Ok(None) => return,
                Err(error) => return self.failed(error),
            }
        }
    }

    fn failed(&mut self, error: Error) {
        assert!(self.error.is_none(), "an error after an error: {error}");
        assert!(self.conn.is_failed(), "{error} left the connection open");
        self.error = Some((error, self.pieces - 1));
    }
}

#[cfg(test)]
mod tests {
    /// Random inputs: the checks hold on what the layout can express.
    #[test]
    fn random_inputs_pass() {
        super::super::input::random_inputs(super::check, 300);
    }
}
