//! `deflate`: permessage-deflate's compressor and decompressor (RFC 7692
//! §7.2), alone, for every window size and context-takeover setting.
//!
//! Two modes, chosen by the first byte:
//! - **inflate**: arbitrary bytes, as a hostile peer's compressed messages,
//!   cut into pieces anywhere, through an [`Inflater`] with a message limit.
//!   Must hold: no panic; the output never exceeds the limit by more than
//!   the one byte that proves it was passed, in length and in allocated
//!   capacity (a bomb cannot make us allocate); and it agrees with a
//!   reference that inflates each message whole with zlib (flate2's raw
//!   `Decompress`, the window the peer agreed): same bytes when the
//!   reference stays within the limit, an error when it fails, `TooLong`
//!   exactly when it produces more than the limit.
//! - **compress**: messages (empty, tiny, large, compressible or not, with
//!   repeats across messages for context takeover) through a [`Deflater`]
//!   at any level, then through an [`Inflater`] of the agreed window, fed
//!   in pieces. Must hold: the compressed message does not end with the
//!   `00 00 FF FF` tail (§7.2.1), is never empty (it holds a block); it
//!   inflates back to the message, with our inflater at the exact limit and
//!   with the reference, and with a 15-bit window, unless that one gets
//!   one byte less of limit and must say `TooLong` (for a non-empty
//!   message); an 8-bit window is refused (`can_compress`, see
//!   [`Deflater`]) and leaves the output untouched.

use super::input::Input;
use flate2::{Decompress, FlushDecompress, Status};
use rfc6455::deflate::{Deflater, InflateError, Inflater};

/// The four bytes a sender removes and a receiver appends (§7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Plaintext bytes one input may ask for, all messages together.
const MAX_TOTAL: usize = 1 << 11;

/// The checks of the `deflate` target.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let first = input.byte();
    let window_bits = 8 + (first >> 1) % 8;
    let no_context_takeover = first & 0x10 != 0;
    if first & 1 == 0 {
        check_inflate(window_bits, no_context_takeover, &mut input);
    } else {
        let level = u32::from(first >> 5) + u32::from(input.byte() % 3);
        check_compress(window_bits, no_context_takeover, level, &mut input);
    }
}

/// The reference: one direction's zlib state, inflating whole messages.
struct Reference {
    state: Decompress,
    no_context_takeover: bool,
}

/// What the reference made of one message.
#[derive(Debug)]
enum Outcome {
    /// The message, whole (`limit + 1` bytes at most: enough to know).
    Message(Vec<u8>),
    /// zlib refused the data.
    Invalid,
}

impl Reference {
    fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        // zlib's raw inflate takes 8 as 9; flate2 wants 9–15. A larger
        // window accepts every stream a smaller one does.
        let window_bits = window_bits.max(9);
        Reference {
            state: Decompress::new_with_window_bits(false, window_bits),
            no_context_takeover,
        }
    }

    /// Inflates `payload` plus the tail (§7.2.2), producing at most
    /// `cap` bytes. A final block ends the message (what follows it is not
    /// DEFLATE data of this message) and the context with it.
    fn inflate(&mut self, payload: &[u8], cap: usize) -> Outcome {
        let mut data = payload.to_vec();
        data.extend_from_slice(&TAIL);
        let mut out = Vec::new();
        let mut rest = &data[..];
        let mut ended = false;
        let outcome = loop {
            if out.len() == out.capacity() {
                // Grow as needed: most messages are small, the cap large.
                out.reserve_exact((out.len() + 4096).min(cap) - out.len());
            }
            let before_in = self.state.total_in();
            let before_out = self.state.total_out();
            let status = match self
                .state
                .decompress_vec(rest, &mut out, FlushDecompress::Sync)
            {
                Ok(status) => status,
                Err(_) => break Outcome::Invalid,
            };
            rest = &rest[(self.state.total_in() - before_in) as usize..];
            let produced = self.state.total_out() - before_out;
            if status == Status::StreamEnd {
                ended = true;
                break Outcome::Message(out);
            }
            if out.len() == cap {
                break Outcome::Message(out);
            }
            let room_left = out.len() < out.capacity();
            let stalled = produced == 0 && before_in == self.state.total_in();
            if room_left && (rest.is_empty() || stalled) {
                break Outcome::Message(out);
            }
        };
        if self.no_context_takeover || ended || matches!(outcome, Outcome::Invalid) {
            // flate2 resets to the window the state was made with.
            self.state.reset(false);
        }
        outcome
    }
}

/// Inflates one message through `inflater`, the payload cut at `cuts`.
fn inflate_in_pieces(
    inflater: &mut Inflater,
    payload: &[u8],
    cuts: &[usize],
    limit: usize,
) -> (Vec<u8>, Result<(), InflateError>) {
    let mut out = Vec::new();
    let mut start = 0;
    let mut result = Ok(());
    for &end in cuts.iter().chain(std::iter::once(&payload.len())) {
        let end = end.clamp(start, payload.len());
        result = inflater.inflate(&payload[start..end], &mut out, limit);
        check_bound(&out, out.capacity(), limit);
        start = end;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = inflater.finish(&mut out, limit);
        check_bound(&out, out.capacity(), limit);
    } else {
        inflater.reset();
    }
    (out, result)
}

/// Memory stays within the limit plus the one byte that shows it passed.
fn check_bound(out: &[u8], capacity: usize, limit: usize) {
    assert!(
        out.len() <= limit + 1,
        "{} bytes out, limit {limit}",
        out.len()
    );
    // The Vec starts empty, so all of its capacity is the inflater's
    // doing: it reserves exactly, never past limit + 1.
    assert!(
        capacity <= limit.saturating_add(1),
        "{capacity} bytes allocated, limit {limit}"
    );
}

/// Up to four sorted cut points inside a payload of `len` bytes.
fn cuts(input: &mut Input<'_>, len: usize) -> Vec<usize> {
    let b = input.byte();
    let mut points: Vec<usize> = (0..b & 3)
        .map(|_| usize::from(input.u16()) % (len + 1))
        .collect();
    points.sort_unstable();
    points
}

fn check_inflate(window_bits: u8, no_context_takeover: bool, input: &mut Input<'_>) {
    let limit = match input.byte() % 4 {
        0 => usize::from(input.byte()),
        1 => usize::from(input.u16()),
        2 => 1 << 20,
        _ => 0,
    };
    let mut ours = Inflater::new(window_bits, no_context_takeover);
    let mut reference = Reference::new(window_bits, no_context_takeover);
    for _ in 0..64 {
        if input.is_empty() {
            break;
        }
        let len = usize::from(input.u16() % 2048);
        let payload = input.take(len).to_vec();
        let cuts = cuts(input, payload.len());
        let (out, result) = inflate_in_pieces(&mut ours, &payload, &cuts, limit);
        let expected = reference.inflate(&payload, limit + 1);
        match (&result, &expected) {
            (Ok(()), Outcome::Message(whole)) => {
                assert!(
                    whole.len() <= limit,
                    "ours accepted, reference made {} > {limit}",
                    whole.len()
                );
                assert_eq!(&out, whole, "inflated bytes differ from zlib's");
            }
            (Err(InflateError::TooLong { len }), Outcome::Message(whole)) => {
                assert!(*len > limit, "TooLong at {len}, limit {limit}");
                assert!(
                    whole.len() > limit,
                    "ours passed the limit, reference made {}",
                    whole.len()
                );
                assert_eq!(out[..], whole[..out.len()], "prefix differs from zlib's");
            }
            (Err(InflateError::Invalid), Outcome::Invalid) => {}
            (Err(InflateError::TooLong { .. }), Outcome::Invalid) => {
                // Ours stopped at the limit before reaching the bad bytes;
                // the reference, with the same cap, ran into them.
            }
            (Err(InflateError::Invalid), Outcome::Message(whole)) => {
                // The reference may stop at the cap before the bad bytes.
                assert!(
                    whole.len() > limit,
                    "ours refused data zlib inflates: {payload:02x?}"
                );
            }
            (Ok(()), Outcome::Invalid) => panic!("ours accepted data zlib refuses: {payload:02x?}"),
        }
        if result.is_err() {
            // A receiver fails the connection here (§7.1.7); a fresh pair
            // goes on with the rest of the input.
            ours = Inflater::new(window_bits, no_context_takeover);
            reference = Reference::new(window_bits, no_context_takeover);
        }
    }
}

/// The next message to compress: text with repeats, random-looking bytes,
/// an earlier message again (context takeover pays off), or empty.
fn plaintext(input: &mut Input<'_>, sent: &[Vec<u8>]) -> Vec<u8> {
    let kind = input.byte();
    match kind % 5 {
        0 => Vec::new(),
        1 => input.take(usize::from(kind >> 2)).to_vec(),
        2 => {
            // Compressible: a piece repeated.
            let piece = input.take(usize::from(kind >> 3) + 1).to_vec();
            let times = usize::from(input.u16() % 128) + 1;
            piece
                .iter()
                .copied()
                .cycle()
                .take(piece.len() * times)
                .collect()
        }
        3 => {
            let len = usize::from(input.u16() % 2048);
            input.payload(len)
        }
        _ => sent
            .get(usize::from(kind >> 3) % sent.len().max(1))
            .cloned()
            .unwrap_or_default(),
    }
}

fn check_compress(window_bits: u8, no_context_takeover: bool, level: u32, input: &mut Input<'_>) {
    let mut deflater = Deflater::new(window_bits, no_context_takeover, level);
    if window_bits == 8 {
        assert!(!deflater.can_compress());
        let mut out = vec![1, 2, 3];
        assert!(
            !deflater.compress(b"hello", &mut out),
            "8-bit window compressed"
        );
        assert_eq!(out, [1, 2, 3], "a refused compress wrote");
        return;
    }
    assert!(deflater.can_compress());
    let mut ours = Inflater::new(window_bits, no_context_takeover);
    let mut reference = Reference::new(window_bits, no_context_takeover);
    // A second receiver, with the largest window, also checks the limit.
    let mut wide = Some(Inflater::new(15, no_context_takeover));
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;

    for _ in 0..6 {
        if input.is_empty() {
            break;
        }
        let message = plaintext(input, &sent);
        total += message.len();
        if total > MAX_TOTAL {
            break;
        }
        let mut wire = vec![0xaa];
        assert!(deflater.compress(&message, &mut wire));
        assert_eq!(wire[0], 0xaa, "compress overwrote what out held");
        let wire = wire.split_off(1);
        assert!(
            !wire.is_empty(),
            "§7.2.1: a compressed message holds a block"
        );
        assert!(
            !wire.ends_with(&TAIL),
            "§7.2.1: the tail was not removed: {wire:02x?}"
        );

        let cuts = cuts(input, wire.len());
        let limit = message.len();
        let (out, result) = inflate_in_pieces(&mut ours, &wire, &cuts, limit);
        assert_eq!(
            result,
            Ok(()),
            "our own compressed message failed to inflate"
        );
        assert!(out == message, "inflate(compress(m)) != m ({} bytes, level {level}, window {window_bits}, takeover {})", message.len(), !no_context_takeover);
        match reference.inflate(&wire, limit + 1) {
            Outcome::Message(whole) => {
                assert!(whole == message, "zlib inflates our message to other bytes")
            }
            Outcome::Invalid => panic!("zlib refuses our compressed message {wire:02x?}"),
        }

        if let Some(inflater) = wide.as_mut() {
            if !message.is_empty() && input.byte() & 1 == 1 {
                // One byte less of limit: refused with the length reached.
                let (out, result) = inflate_in_pieces(inflater, &wire, &[], limit - 1);
                assert!(
                    matches!(result, Err(InflateError::TooLong { len }) if len == limit),
                    "{result:?} with a limit one below {limit}"
                );
                assert_eq!(out.len(), limit);
                if !no_context_takeover {
                    // Its context lost the end of the message; a receiver
                    // fails the connection here anyway.
                    wide = None;
                }
            } else {
                // A receiver with the largest window must accept it too
                // (§7.1.2.1: the sender may use less than agreed).
                let (out, result) = inflate_in_pieces(inflater, &wire, &[], usize::MAX - 1);
                assert_eq!(result, Ok(()));
                assert!(out == message, "a 15-bit window inflates to other bytes");
            }
        }
        sent.push(message);
    }
}
