//! `roundtrip`: messages encoded by one role and decoded by the other give
//! back the same messages.
//!
//! The sender is a [`Connection`] (`send`, one frame per message) or the
//! codec itself ([`FrameHeader::encode`] and [`apply_mask_offset`], with
//! fragments cut anywhere, even inside a UTF-8 character, control frames
//! between fragments, and masking keys and masking offsets from the input).
//! Lengths cover the 7-, 16- and 64-bit encodings. The receiver is a
//! [`Connection`] of the other role, fed in chunks of sizes from the input.
//! Both ends may have agreed on permessage-deflate (RFC 7692), any window
//! size and context takeover.
//! Must hold:
//! - the receiver delivers exactly the messages sent, in order (a control
//!   frame between fragments before the message it interrupts), then the
//!   Close with its code and its reason cut to fit (§5.5.1);
//! - masking in pieces at any offset equals masking at once, and equals the
//!   byte-wise definition of §5.3;
//! - the receiver's output, fed back, gives the sender a Pong for every Ping
//!   (up to `max_queued_pongs`, then one for the latest, §5.5.3) and the
//!   Close echoing its code: both ends then consider the closing handshake
//!   done (§7.1).

use super::input::Input;
use crate::wire;
use bytes::Bytes;
use rfc6455::deflate::DeflateConfig;
use rfc6455::frame::{FrameHeader, OpCode, MAX_CONTROL_PAYLOAD};
use rfc6455::mask::{apply_mask, apply_mask_offset, apply_mask_scalar};
use rfc6455::{CloseFrame, Config, Connection, Message, Role};

/// Codes a sender may close with (RFC 6455 §7.4.1, §7.4.2).
const CODES: [u16; 11] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999,
];

/// Payload bytes one input may ask for, all messages together.
const MAX_TOTAL: usize = 1 << 18;

/// The same with permessage-deflate agreed (16-bit lengths; the 64-bit ones
/// are exercised without compression).
const MAX_TOTAL_DEFLATE: usize = 1 << 14;

/// The checks of the `roundtrip` target.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let first = input.byte();
    let (sender_role, receiver_role) = if first & 1 == 1 {
        (Role::Server, Role::Client)
    } else {
        (Role::Client, Role::Server)
    };
    // Bit 1: permessage-deflate agreed (RFC 7692), with windows, context
    // takeover, level and threshold from the input. Messages the sender's
    // connection writes are then compressed; the codec's are not (§6 lets
    // each message choose).
    let deflate = (first & 2 != 0).then(|| input.deflate_params());
    let config = Config::default().deflate(deflate.map(|_| {
        DeflateConfig::default()
            .level(u32::from(input.byte() % 10))
            .threshold(usize::from(input.byte() & 0x7f))
    }));
    let mut sender = Connection::with_deflate(sender_role, config.clone(), deflate);
    let mut on_wire = Vec::new();
    let mut expected = Vec::new();
    let mut pings = Vec::new();
    let mut total = 0;

    // Compression (and inflating in the chunks below, which may be a byte
    // each) costs far more per byte: a smaller budget keeps the target fast
    // enough to run millions of inputs.
    let budget = if deflate.is_some() {
        MAX_TOTAL_DEFLATE
    } else {
        MAX_TOTAL
    };
    for _ in 0..64 {
        if input.is_empty() || total > budget {
            break;
        }
        let b = input.byte();
        let len = match input.byte() {
            short @ 0..=0xef => usize::from(short),
            0xff => 0x10000 + usize::from(input.byte()) * 16,
            long => 126 + usize::from(long - 0xf0) * 4500,
        };
        if deflate.is_some() && total + len > budget {
            break;
        }
        total += len;
        let payload = input.payload(len);
        let message = match b & 3 {
            0 => Message::text(String::from_utf8_lossy(&payload).into_owned()),
            1 => Message::Binary(Bytes::from(payload)),
            2 => Message::Ping(Bytes::copy_from_slice(
                &payload[..len.min(MAX_CONTROL_PAYLOAD)],
            )),
            _ => Message::Pong(Bytes::copy_from_slice(
                &payload[..len.min(MAX_CONTROL_PAYLOAD)],
            )),
        };
        if b & 4 == 0 {
            sender
                .send(message.clone())
                .expect("send on an open connection");
            drain_output(&mut sender, &mut on_wire);
            if let Message::Ping(data) = &message {
                pings.push(Message::Pong(data.clone()));
            }
        } else {
            encode(
                sender_role,
                &message,
                b,
                &mut input,
                &mut on_wire,
                &mut expected,
                &mut pings,
            );
        }
        expected.push(message);
    }

    let code = CODES[usize::from(input.byte()) % CODES.len()];
    let reason_len = usize::from(input.byte());
    let reason = String::from_utf8_lossy(input.take(reason_len)).into_owned();
    let mut fits = reason.len().min(123);
    while !reason.is_char_boundary(fits) {
        fits -= 1;
    }
    sender
        .close(Some(CloseFrame::new(code, reason.clone())))
        .expect("close on an open connection");
    drain_output(&mut sender, &mut on_wire);
    expected.push(Message::Close(Some(CloseFrame::new(code, &reason[..fits]))));

    // Deliver in chunks whose sizes the rest of the input gives.
    let mut receiver = Connection::with_deflate(receiver_role, config, deflate);
    let mut received = Vec::new();
    let mut sizes = input.rest().iter().cycle();
    let mut rest = on_wire.as_slice();
    while !rest.is_empty() {
        let size = sizes.next().map_or(rest.len(), |s| usize::from(*s) * 7 + 1);
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        receiver.receive(chunk);
        while let Some(message) = receiver
            .next_event()
            .unwrap_or_else(|e| panic!("receiver failed: {e} after {received:?}"))
        {
            received.push(message);
        }
    }
    assert_eq!(received.len(), expected.len(), "received {received:?}");
    for (got, want) in received.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert!(receiver.close_received() && receiver.close_sent());

    // The answers travel back: a Pong per Ping, then the echoed Close. The
    // receiver's output was never drained, so past `max_queued_pongs` only
    // the latest Ping is answered, right before the Close (§5.5.3).
    let cap = receiver.config().max_queued_pongs.max(1);
    if pings.len() > cap {
        let latest = pings.pop();
        pings.truncate(cap);
        pings.extend(latest);
    }
    let mut answers_on_wire = Vec::new();
    drain_output(&mut receiver, &mut answers_on_wire);
    sender.receive(&answers_on_wire);
    let mut answers = Vec::new();
    while let Some(message) = sender
        .next_event()
        .expect("the receiver's answers are valid")
    {
        answers.push(message);
    }
    pings.push(Message::Close(Some(CloseFrame::new(code, ""))));
    assert_eq!(answers, pings);
    assert!(sender.close_received() && sender.close_sent());
    assert!(!sender.is_failed() && !receiver.is_failed());
    let server = if sender_role == Role::Server {
        &sender
    } else {
        &receiver
    };
    assert!(
        server.should_close_transport(),
        "§7.1.1: the server closes TCP first"
    );
}

/// Appends `message` as the codec encodes it: data in fragments cut at
/// points from the input, maybe a control frame between two of them.
/// Moves all of `conn`'s pending output to `out`, one piece at a time (a
/// server's big payloads are pieces of their own, queued without a copy).
fn drain_output(conn: &mut Connection, out: &mut Vec<u8>) {
    let total = conn.pending_output_len();
    let start = out.len();
    loop {
        let piece = conn.pending_output();
        if piece.is_empty() {
            break;
        }
        out.extend_from_slice(piece);
        let n = piece.len();
        conn.advance_output(n);
    }
    assert_eq!(out.len() - start, total, "pending_output_len");
}

fn encode(
    role: Role,
    message: &Message,
    b: u8,
    input: &mut Input<'_>,
    on_wire: &mut Vec<u8>,
    expected: &mut Vec<Message>,
    pings: &mut Vec<Message>,
) {
    let (opcode, payload) = match message {
        Message::Text(text) => (OpCode::Text, text.as_bytes().clone()),
        Message::Binary(data) => (OpCode::Binary, data.clone()),
        Message::Ping(data) => (OpCode::Ping, data.clone()),
        Message::Pong(data) => (OpCode::Pong, data.clone()),
        Message::Close(_) => unreachable!("the close is sent last, by the connection"),
    };
    if opcode == OpCode::Ping {
        pings.push(Message::Pong(payload.clone()));
    }
    let mut points = Vec::new();
    if !opcode.is_control() {
        for _ in 0..(b >> 3) & 3 {
            points.push(usize::from(input.byte()) * 61 % (payload.len() + 1));
        }
        points.sort_unstable();
    }
    points.push(payload.len());
    let interrupt_after = usize::from(b >> 5);
    let mut start = 0;
    for (i, end) in points.iter().enumerate() {
        let fin = i + 1 == points.len();
        let op = if i == 0 { opcode } else { OpCode::Continuation };
        write_frame(role, fin, op, &payload[start..*end], input, on_wire);
        if i == interrupt_after && !fin {
            // §5.4: control frames MAY be injected in the middle of a
            // fragmented message; they arrive before it completes.
            let control_len = usize::from(input.byte() % 16);
            let control = Bytes::from(input.payload(control_len));
            if b & 0x80 != 0 {
                write_frame(role, true, OpCode::Ping, &control, input, on_wire);
                pings.push(Message::Pong(control.clone()));
                expected.push(Message::Ping(control));
            } else {
                write_frame(role, true, OpCode::Pong, &control, input, on_wire);
                expected.push(Message::Pong(control));
            }
        }
        start = *end;
    }
}

/// One frame through [`FrameHeader::encode`], masked if `role` is the
/// client in two pieces: [`apply_mask`], then [`apply_mask_offset`] for
/// the rest.
fn write_frame(
    role: Role,
    fin: bool,
    opcode: OpCode,
    payload: &[u8],
    input: &mut Input<'_>,
    on_wire: &mut Vec<u8>,
) {
    let key = (role == Role::Client).then(|| input.key());
    FrameHeader::new(fin, opcode, key, payload.len() as u64).encode(on_wire);
    let mut body = payload.to_vec();
    if let Some(key) = key {
        let at = usize::from(input.byte()) % (body.len() + 1);
        let (head, tail) = body.split_at_mut(at);
        apply_mask(head, key);
        apply_mask_offset(tail, key, at);
        let mut reference = payload.to_vec();
        wire::mask_bytes(&mut reference, key);
        assert_eq!(
            body, reference,
            "apply_mask in pieces at {at} with {key:02x?}"
        );
        let mut scalar = payload.to_vec();
        apply_mask_scalar(&mut scalar, key, 0);
        assert_eq!(scalar, reference, "apply_mask_scalar with {key:02x?}");
        // Every implementation this CPU runs (scalar, word, SSE2, AVX2,
        // NEON), not only the one `apply_mask` picks, from the same offset.
        for imp in rfc6455::mask::implementations() {
            let mut piece = payload.to_vec();
            (imp.apply)(&mut piece[at..], key, at);
            assert_eq!(piece[at..], reference[at..], "{} at offset {at}", imp.name);
        }
        // Masking is its own inverse (§5.3).
        let mut back = body.clone();
        apply_mask(&mut back, key);
        assert_eq!(back, payload);
    }
    on_wire.extend_from_slice(&body);
}
