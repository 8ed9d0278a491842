//! The checks of the `error_response` target: a refusal (a status other
//! than 101, RFC 6455 §4.1 "per HTTP procedures") with whatever body a
//! hostile server sends, into `handshake::ResponseBody`, the sans-IO
//! decoder `connect` reads a refusal's body with (RFC 9112 §6.3: chunked,
//! `Content-Length`, or up to the connection's end).
//!
//! The input: one byte picks the body limit, one seeds how the body is cut
//! into reads, the rest is the response (head, then body). A head that
//! `ClientRequest::parse_response` does not take as a complete refusal
//! ends the check.
//!
//! What must hold: never a panic; the body is never longer than the limit;
//! fed whole, in reads of 1–16 bytes, or a byte at a time, the decoder
//! keeps the same body and the same verdict (complete or not); and both
//! are what a whole-input reading of RFC 9112 gives: for chunked framing
//! (§7.1), sizes of 1–15 hex digits (no sign) on lines of at most 1 KiB
//! that may end in LF alone, each chunk's data followed by CR LF or LF,
//! then at most 8 KiB of trailer lines up to an empty one; for
//! `Content-Length`, 1*DIGIT (§8.6). The body is complete only if its
//! framing ended (for a body up to the connection's end: the connection
//! ended) within the limit.

use rfc6455::handshake::{ClientRequest, ErrorResponse, ResponseBody};
use rfc6455::{Config, HandshakeError};

/// The body limits an input picks from.
const LIMITS: [usize; 6] = [0, 1, 7, 64, 1024, 64 << 10];

/// Longest chunk-size line (with extensions) and trailer section the
/// decoder waits through (`error_response.rs`).
const MAX_CHUNK_LINE: usize = 1024;
const MAX_TRAILERS: usize = 8 << 10;

/// The checks of the `error_response` target.
pub fn check(data: &[u8]) {
    let [limit, seed, response @ ..] = data else {
        return;
    };
    let max = LIMITS[usize::from(*limit) % LIMITS.len()];
    let client = ClientRequest::new("server.example.com", "/chat");
    let Err(HandshakeError::UnexpectedStatus(refusal)) =
        client.parse_response(response, &Config::default())
    else {
        return;
    };
    let wire = &response[refusal.head_len()..];
    let (full, ended) = reference(&refusal, wire);
    for eof in [false, true] {
        let want_complete = match framing(&refusal) {
            Framing::Close => eof && full.len() <= max,
            _ => ended && full.len() <= max,
        };
        let want = (&full[..full.len().min(max)], want_complete);
        let whole = decode(&refusal, max, [wire].into_iter(), eof);
        assert_eq!(
            (whole.body.as_slice(), whole.body_complete),
            want,
            "fed whole, eof {eof}, limit {max}: {wire:02x?}"
        );
        let pieces = decode(&refusal, max, Cuts::new(wire, *seed), eof);
        assert_eq!(
            (pieces.body.as_slice(), pieces.body_complete),
            want,
            "fed in pieces (seed {seed}), eof {eof}, limit {max}: {wire:02x?}"
        );
    }
    if wire.len() <= 4096 {
        let bytes = decode(&refusal, max, wire.chunks(1), true);
        let want = decode(&refusal, max, [wire].into_iter(), true);
        assert_eq!(bytes.body, want.body, "a byte at a time");
        assert_eq!(bytes.body_complete, want.body_complete, "a byte at a time");
    }
}

/// Feeds `pieces` to a decoder of `refusal`'s body until it is done, and
/// returns the refusal with its body.
fn decode<'a>(
    refusal: &ErrorResponse,
    max: usize,
    pieces: impl Iterator<Item = &'a [u8]>,
    eof: bool,
) -> ErrorResponse {
    let mut body = ResponseBody::new(refusal, max);
    let mut was_done = body.is_done();
    for piece in pieces {
        body.receive(piece);
        assert!(!was_done || body.is_done(), "done, then not done");
        was_done = body.is_done();
    }
    let mut out = refusal.clone();
    body.finish(&mut out, eof);
    assert!(
        out.body.len() <= max,
        "{} bytes over the limit {max}",
        out.body.len()
    );
    out
}

/// Cuts `wire` into reads of 1–16 bytes, sizes from a seeded generator.
struct Cuts<'a> {
    rest: &'a [u8],
    state: u32,
}

impl<'a> Cuts<'a> {
    fn new(wire: &'a [u8], seed: u8) -> Self {
        Cuts {
            rest: wire,
            state: u32::from(seed) | 1,
        }
    }
}

impl<'a> Iterator for Cuts<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        // xorshift32
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        let len = (self.state % 16) as usize + 1;
        let (piece, rest) = self.rest.split_at(len.min(self.rest.len()));
        self.rest = rest;
        Some(piece)
    }
}

/// How a response delimits its body (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    Close,
}

fn framing(refusal: &ErrorResponse) -> Framing {
    if matches!(refusal.status, 100..=199 | 204 | 304) {
        return Framing::Length(0);
    }
    // §6.3 item 4: chunked if it is the final transfer coding.
    let last_coding = refusal
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, value)| value.split(|&b| b == b','))
        .last();
    if last_coding.is_some_and(|coding| ows_trimmed(coding).eq_ignore_ascii_case(b"chunked")) {
        return Framing::Chunked;
    }
    let length = refusal.header("content-length").map(ows_trimmed);
    match length {
        Some(digits) if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            std::str::from_utf8(digits)
                .ok()
                .and_then(|text| text.parse().ok())
                .map_or(Framing::Close, Framing::Length)
        }
        _ => Framing::Close,
    }
}

/// The whole body `wire` holds by `refusal`'s framing, with no limit, and
/// whether the framing's end was in it.
fn reference(refusal: &ErrorResponse, wire: &[u8]) -> (Vec<u8>, bool) {
    match framing(refusal) {
        Framing::Length(len) => {
            let have = usize::try_from(len).map_or(wire.len(), |len| len.min(wire.len()));
            (wire[..have].to_vec(), wire.len() as u64 >= len)
        }
        Framing::Close => (wire.to_vec(), false),
        Framing::Chunked => chunked(wire),
    }
}

/// RFC 9112 §7.1, read whole.
fn chunked(mut rest: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
            return (body, false);
        };
        let line = &rest[..lf];
        if line.len() > MAX_CHUNK_LINE {
            return (body, false);
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let size = ows_trimmed(line.split(|&b| b == b';').next().unwrap_or_default());
        if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
            return (body, false);
        }
        let size = size.iter().fold(0u64, |n, &d| {
            n * 16 + u64::from((d as char).to_digit(16).unwrap())
        });
        rest = &rest[lf + 1..];
        if size == 0 {
            return (body, trailers_end(rest));
        }
        let have = usize::try_from(size).map_or(rest.len(), |size| size.min(rest.len()));
        body.extend_from_slice(&rest[..have]);
        if (have as u64) < size {
            return (body, false);
        }
        rest = &rest[have..];
        rest = match rest {
            [b'\r', b'\n', after @ ..] | [b'\n', after @ ..] => after,
            _ => return (body, false),
        };
    }
}

/// Whether the trailer section (field lines, then an empty line; CR
/// ignored) ends within `MAX_TRAILERS` bytes of `rest`.
fn trailers_end(rest: &[u8]) -> bool {
    let mut line_empty = true;
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'\n' if line_empty => return true,
            b'\n' => line_empty = true,
            b'\r' => {}
            _ => line_empty = false,
        }
        if i + 1 > MAX_TRAILERS {
            return false;
        }
    }
    false
}

/// `value` without spaces and tabs around it (OWS, RFC 9110 §5.6.3).
fn ows_trimmed(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let Some(start) = start else {
        return &[];
    };
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(start);
    &value[start..=end]
}
