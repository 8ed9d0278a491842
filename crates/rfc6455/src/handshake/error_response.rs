//! A server's answer that is not 101 (RFC 6455 §4.1: "If the status code
//! received from the server is not 101, the client handles the response per
//! HTTP procedures"): the status, the header fields and the body, read up
//! to a bounded size so that a 401 or a 403 can explain itself.
//!
//! Owns the body's framing (RFC 9112 §6.3: `Transfer-Encoding: chunked`,
//! `Content-Length`, or everything up to the end of the connection), decoded
//! over bytes without IO. Does not own the reading nor the clock: the tokio
//! layer feeds [`ResponseBody`] what it reads until
//! [`is_done`](ResponseBody::is_done), the connection ends, or the handshake
//! timeout elapses.

use super::find_header;
use crate::token::trim_ows;

/// A server's non-101 answer to the opening handshake: held by
/// [`HandshakeError::UnexpectedStatus`](crate::HandshakeError::UnexpectedStatus).
///
/// ```
/// use rfc6455::handshake::ClientRequest;
/// use rfc6455::{Config, HandshakeError};
///
/// let request = ClientRequest::new("example.com", "/");
/// let answer = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\
///     Content-Length: 7\r\n\r\nno key!";
/// let Err(HandshakeError::UnexpectedStatus(mut refusal)) =
///     request.parse_response(answer, &Config::default())
/// else {
///     panic!("a refusal");
/// };
/// assert_eq!(refusal.status, 401);
/// assert_eq!(refusal.header("www-authenticate"), Some(&b"Bearer"[..]));
/// // The head only: the body is read by whoever reads the bytes.
/// assert!(refusal.body.is_empty());
/// let mut body = rfc6455::handshake::ResponseBody::new(&refusal, 64 << 10);
/// body.receive(&answer[refusal.head_len()..]);
/// assert!(body.is_done());
/// body.finish(&mut refusal, false);
/// assert_eq!(refusal.body, b"no key!");
/// assert!(refusal.body_complete);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The status code (never 101).
    pub status: u16,
    /// The reason phrase, as sent (lossily decoded, may be empty).
    pub reason: String,
    /// Every header field, in order, names as received (compare them
    /// case-insensitively, or use [`ErrorResponse::header`]).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, decoded from its framing (chunked or not), at most
    /// [`Config::max_error_body`](crate::Config#structfield.max_error_body)
    /// bytes. Empty from [`ClientRequest::parse_response`](super::ClientRequest::parse_response),
    /// which sees the head only; filled by `connect` and `client_handshake`.
    pub body: Vec<u8>,
    /// Whether `body` is the whole body: `false` if it was cut at the
    /// limit or by the handshake timeout, or the connection ended (or the
    /// framing broke) before its announced end.
    pub body_complete: bool,
    /// The length of the head in the bytes parsed (where the body starts).
    head_len: usize,
}

impl ErrorResponse {
    pub(super) fn new(
        status: u16,
        reason: Option<&str>,
        headers: Vec<(String, Vec<u8>)>,
        head_len: usize,
    ) -> Self {
        ErrorResponse {
            status,
            reason: reason.unwrap_or_default().to_owned(),
            headers,
            body: Vec::new(),
            body_complete: false,
            head_len,
        }
    }

    /// Sets where the body starts, once the head's length is known.
    pub(super) fn set_head_len(&mut self, head_len: usize) {
        self.head_len = head_len;
    }

    /// The value of the first header field called `name`, compared
    /// case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        find_header(&self.headers, name)
    }

    /// How many bytes the head took in the buffer it was parsed from: the
    /// body's first bytes follow (0 when parsed from `http` types).
    #[must_use]
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// The body as text, lossily decoded: what a server put in a plain
    /// text refusal.
    #[must_use]
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// The longest chunk-size line (with its extensions) and the most trailer
/// bytes accepted before the framing is taken as broken.
const MAX_CHUNK_LINE: usize = 1024;
const MAX_TRAILERS: usize = 8 << 10;

/// Decodes the body of an [`ErrorResponse`] from bytes fed to it, without
/// IO (RFC 9112 §6.3): chunked, `Content-Length`, or up to the end of the
/// connection. Keeps at most `max` bytes of body; never errs (a refusal is
/// already the error): broken framing ends the body, marked incomplete.
#[derive(Debug)]
pub struct ResponseBody {
    framing: Framing,
    body: Vec<u8>,
    max: usize,
    /// Reached the body's end as its framing announced.
    complete: bool,
    /// Stopped: complete, at the limit, or broken framing.
    done: bool,
}

#[derive(Debug)]
enum Framing {
    /// This many bytes still to come.
    Length(u64),
    /// Up to the end of the connection.
    Close,
    Chunked(Chunk),
}

#[derive(Debug)]
enum Chunk {
    /// Reading the chunk-size line: its bytes so far.
    Size(Vec<u8>),
    /// This many data bytes still to come.
    Data(u64),
    /// The CRLF after a chunk's data: how many bytes of it seen.
    DataEnd(u8),
    /// The trailer section: its bytes so far, and whether the current line
    /// is empty so far.
    Trailers(usize, bool),
}

impl ResponseBody {
    /// A decoder for `response`'s body, keeping at most `max` bytes.
    #[must_use]
    pub fn new(response: &ErrorResponse, max: usize) -> Self {
        let chunked = response
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"))
            .flat_map(|(_, value)| value.split(|&b| b == b','))
            .next_back()
            .is_some_and(|last| trim_ows(last).eq_ignore_ascii_case(b"chunked"));
        let length = response.header("content-length").and_then(decimal);
        let no_body = matches!(response.status, 100..=199 | 204 | 304);
        let framing = if no_body {
            Framing::Length(0)
        } else if chunked {
            Framing::Chunked(Chunk::Size(Vec::new()))
        } else if let Some(length) = length {
            Framing::Length(length)
        } else {
            Framing::Close
        };
        let mut decoder = ResponseBody {
            framing,
            body: Vec::new(),
            max,
            complete: false,
            done: false,
        };
        decoder.check_length_end();
        decoder
    }

    /// Feeds the bytes read after the head (or after what was fed before).
    /// Bytes past the body's end, or past the limit, are ignored.
    pub fn receive(&mut self, mut input: &[u8]) {
        while !self.done && !input.is_empty() {
            let used = match &mut self.framing {
                Framing::Close => self.keep(input, u64::MAX),
                Framing::Length(left) => {
                    let left = *left;
                    let used = self.keep(input, left);
                    self.framing = Framing::Length(left - used as u64);
                    if !self.done {
                        self.check_length_end();
                    }
                    used
                }
                Framing::Chunked(_) => self.chunked(input),
            };
            input = &input[used..];
        }
    }

    /// Whether nothing more is wanted: the body ended, reached the limit,
    /// or its framing broke.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Puts the body into `response`. `eof` says the connection ended,
    /// which completes a body framed by the connection's end.
    pub fn finish(self, response: &mut ErrorResponse, eof: bool) {
        // A body up to the end is whole if the end came before the limit.
        let closed = eof && !self.done && matches!(self.framing, Framing::Close);
        response.body_complete = self.complete || closed;
        response.body = self.body;
    }

    /// Consumes up to `most` bytes of `input`, keeping them up to the
    /// limit; past the limit, stops (the body is cut).
    fn keep(&mut self, input: &[u8], most: u64) -> usize {
        let take = input.len().min(usize::try_from(most).unwrap_or(usize::MAX));
        let room = self.max - self.body.len();
        if take > room {
            self.body.extend_from_slice(&input[..room]);
            self.done = true;
        } else {
            self.body.extend_from_slice(&input[..take]);
        }
        take
    }

    fn check_length_end(&mut self) {
        if matches!(self.framing, Framing::Length(0)) {
            self.complete = true;
            self.done = true;
        }
    }

    /// One step of the chunked decoding (RFC 9112 §7.1); returns the bytes
    /// consumed.
    fn chunked(&mut self, input: &[u8]) -> usize {
        let Framing::Chunked(state) = &mut self.framing else {
            return input.len();
        };
        match state {
            Chunk::Size(line) => {
                let Some(end) = input.iter().position(|&b| b == b'\n') else {
                    line.extend_from_slice(input);
                    if line.len() > MAX_CHUNK_LINE {
                        self.done = true;
                    }
                    return input.len();
                };
                line.extend_from_slice(&input[..end]);
                let size = chunk_size(line);
                match size {
                    _ if line.len() > MAX_CHUNK_LINE => self.done = true,
                    None => self.done = true,
                    Some(0) => *state = Chunk::Trailers(0, true),
                    Some(size) => *state = Chunk::Data(size),
                }
                end + 1
            }
            Chunk::Data(left) => {
                let left = *left;
                let used = self.keep(input, left);
                if let Framing::Chunked(state) = &mut self.framing {
                    *state = match left - used as u64 {
                        0 => Chunk::DataEnd(0),
                        left => Chunk::Data(left),
                    };
                }
                used
            }
            Chunk::DataEnd(seen) => {
                match (input[0], *seen) {
                    (b'\r', 0) => *seen = 1,
                    (b'\n', _) => *state = Chunk::Size(Vec::new()),
                    _ => self.done = true,
                }
                1
            }
            Chunk::Trailers(total, line_empty) => {
                *total += 1;
                match input[0] {
                    b'\n' if *line_empty => {
                        self.complete = true;
                        self.done = true;
                    }
                    b'\n' => *line_empty = true,
                    b'\r' => {}
                    _ => *line_empty = false,
                }
                if *total > MAX_TRAILERS {
                    self.done = true;
                }
                1
            }
        }
    }
}

/// The size of a chunk-size line (hex, then optional `;extensions` and a
/// CR): `None` if it is not one. `chunk-size = 1*HEXDIG` (RFC 9112 §7.1):
/// no sign, at most 15 digits (so that it fits a `u64` with room).
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.split(|&b| b == b';').next().unwrap_or_default();
    let digits = trim_ows(digits);
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// A `Content-Length` value: `1*DIGIT` (RFC 9110 §8.6) between optional
/// whitespace, that fits a `u64`; `None` otherwise (no sign, no other
/// space, no list), and the body is then read to the connection's end.
fn decimal(value: &[u8]) -> Option<u64> {
    let digits = trim_ows(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> ErrorResponse {
        let headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
            .collect();
        ErrorResponse::new(status, Some("x"), headers, 0)
    }

    /// Decodes `wire` fed in pieces of `step` bytes; returns the body,
    /// whether it is complete, and whether the decoder was done before EOF.
    fn decode(r: &ErrorResponse, wire: &[u8], max: usize, step: usize) -> (Vec<u8>, bool, bool) {
        let mut body = ResponseBody::new(r, max);
        for piece in wire.chunks(step.max(1)) {
            body.receive(piece);
        }
        let done = body.is_done();
        let mut r = r.clone();
        body.finish(&mut r, true);
        (r.body, r.body_complete, done)
    }

    #[test]
    fn content_length_bodies() {
        let r = response(401, &[("Content-Length", "5")]);
        for step in [1, 2, 100] {
            assert_eq!(
                decode(&r, b"hello, extra", 64, step),
                (b"hello".to_vec(), true, true)
            );
            assert_eq!(
                decode(&r, b"hel", 64, step),
                (b"hel".to_vec(), false, false)
            );
            assert_eq!(
                decode(&r, b"hello", 3, step),
                (b"hel".to_vec(), false, true)
            );
        }
        let lying = response(401, &[("Content-Length", "18446744073709551615")]);
        assert_eq!(decode(&lying, b"ab", 64, 1), (b"ab".to_vec(), false, false));
        let empty = response(403, &[("Content-Length", "0")]);
        assert!(ResponseBody::new(&empty, 64).is_done());
        // Not 1*DIGIT: read to the end instead (`str::parse` took "+5").
        for not_a_length in [
            "+5",
            "5 5",
            "5,5",
            "-1",
            "",
            "\u{85}5",
            "99999999999999999999",
        ] {
            let r = response(401, &[("Content-Length", not_a_length)]);
            assert_eq!(
                decode(&r, b"hello, extra", 64, 3),
                (b"hello, extra".to_vec(), true, false),
                "{not_a_length:?}"
            );
        }
        let spaced = response(401, &[("Content-Length", " \t5 ")]);
        assert_eq!(decode(&spaced, b"hello!", 64, 1).0, b"hello");
    }

    #[test]
    fn close_delimited_bodies() {
        let r = response(500, &[("Content-Length", "nope")]);
        assert_eq!(
            decode(&r, b"all of it", 64, 4),
            (b"all of it".to_vec(), true, false)
        );
        let endless = vec![b'x'; 10_000];
        assert_eq!(decode(&r, &endless, 64, 7), (vec![b'x'; 64], false, true));
        let none = response(204, &[]);
        assert_eq!(decode(&none, b"ignored", 64, 1), (Vec::new(), true, true));
    }

    #[test]
    fn chunked_bodies() {
        let r = response(
            403,
            &[
                ("Transfer-Encoding", "gzip, chunked"),
                ("Content-Length", "2"),
            ],
        );
        let wire = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\nafter";
        for step in [1, 3, 1000] {
            assert_eq!(
                decode(&r, wire, 64, step),
                (b"hello, world".to_vec(), true, true)
            );
            assert_eq!(
                decode(&r, wire, 8, step),
                (b"hello, w".to_vec(), false, true)
            );
        }
        assert_eq!(
            decode(&r, b"3\nabc\n0\n\n", 64, 1),
            (b"abc".to_vec(), true, true)
        );
        // Broken framing ends the body, incomplete.
        // A sign is not a HEXDIG (`from_str_radix` took "+3").
        for broken in [
            &b"zz\r\n"[..],
            b"3\r\nabcX",
            b"fffffffffffffffff\r\n",
            b"+3\r\nabc\r\n0\r\n\r\n",
            b"-0\r\n\r\n",
        ] {
            let (_, complete, done) = decode(&r, broken, 64, 1);
            assert!(!complete && done, "{broken:?}");
        }
        let long_line = [b"1;".as_slice(), &[b'a'; 2000]].concat();
        assert!(decode(&r, &long_line, 64, 100).2);
        let endless_trailers = [b"0\r\n".as_slice(), &[b'a'; 10_000]].concat();
        assert_eq!(
            decode(&r, &endless_trailers, 64, 100),
            (Vec::new(), false, true)
        );
    }
}
