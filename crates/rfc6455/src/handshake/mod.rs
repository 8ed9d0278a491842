//! The opening handshake (RFC 6455 §4): the HTTP Upgrade request and its
//! 101 response, built and validated for both roles.
//!
//! Owns:
//! - the client's request, [`ClientRequest`] (§4.1), and the client's checks
//!   of the server's answer, [`ClientRequest::parse_response`] (§4.1);
//! - the server's checks of the request, [`parse_request`] (§4.2.1), its 101
//!   answer, [`Request::accept`] (§4.2.2), and the answer that refuses a
//!   handshake, [`reject_response`] (§4.2.2 items 2–4, §4.4);
//! - `Sec-WebSocket-Accept`, [`accept_key`], and the client nonce,
//!   [`generate_key`];
//! - the same in the `http` crate's types, for hyper, axum and other stacks
//!   that read HTTP themselves: [`Request::from_http`],
//!   [`Request::accept_http`], [`reject_http`], [`ClientRequest::to_http`],
//!   [`ClientRequest::check_http_response`], and [`IntoClientRequest`], what
//!   [`connect`](crate::connect) takes;
//! - a refusal's status, fields and body, [`ErrorResponse`], its body
//!   decoded (chunked, `Content-Length` or to the end) and bounded by
//!   [`ResponseBody`].
//!
//! Does not own: sockets and timeouts (the tokio layer), URL parsing, and
//! policy about origins, resources or authentication: the application
//! decides and refuses with [`HandshakeError::Rejected`]. The one extension
//! is permessage-deflate (RFC 7692), offered by a client and accepted by a
//! server when [`Config::deflate`](crate::Config#structfield.deflate) is
//! set; its parameters are negotiated in [`deflate`](crate::deflate). A
//! server's `Sec-WebSocket-Extensions` that names anything the client did
//! not offer fails the client's handshake (§4.1 item 5,
//! [`HandshakeError::UnofferedExtension`]).
//!
//! The parsers work like `httparse`, which they use: they take the bytes
//! read so far and answer `Ok(None)` while the head is incomplete, or the
//! parsed head and how many bytes it took. Bytes after the head are the
//! first frames and are left alone. They never read more than
//! [`Config::max_handshake_size`](crate::Config#structfield.max_handshake_size) bytes, hold at most
//! [`Config::max_handshake_headers`](crate::Config#structfield.max_handshake_headers) header fields, never panic, and
//! allocate only copies of the (bounded) head.
//!
//! ```
//! use rfc6455::handshake::{parse_request, ClientRequest};
//! use rfc6455::Config;
//!
//! let config = Config::default();
//! let client = ClientRequest::new("example.com", "/chat").with_protocols(["chat"]);
//! let mut wire = Vec::new();
//! client.encode(&mut wire);
//!
//! let (request, n) = parse_request(&wire, &config)?.expect("complete head");
//! assert_eq!(n, wire.len());
//! let mut answer = Vec::new();
//! request.accept(Some("chat"), &mut answer)?;
//!
//! let (response, _) = client.parse_response(&answer, &config)?.expect("complete head");
//! assert_eq!(response.protocol.as_deref(), Some("chat"));
//! # Ok::<(), rfc6455::HandshakeError>(())
//! ```

mod admission;
mod client;
mod error_response;
mod http;
mod redirect;
mod server;

pub use self::http::reject_http;
#[cfg(feature = "tokio")]
pub(crate) use admission::{for_the_handler, to_parts};
pub use admission::{
    offered_protocols, Accept, Admission, AdmissionFuture, Decision, FieldName, FieldValue,
    Refusal, MAX_REFUSAL_BODY,
};
pub use client::{ClientRequest, IntoClientRequest, ServerResponse};
pub use error_response::{ErrorResponse, ResponseBody};
pub use redirect::{is_redirect, RedirectError, Redirects};
pub use server::{parse_request, reject_response, Request};

use crate::token::{is_token, list_items, trim_ows};
use crate::{Config, HandshakeError};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID a server appends to the client's key to prove it speaks
/// WebSocket (RFC 6455 §1.3, §4.2.2 item 5.4).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Version` this crate speaks (RFC 6455 §4.1 item 9).
pub const VERSION: &str = "13";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`:
/// base64(SHA-1(key + [`GUID`])), RFC 6455 §4.2.2 item 5.4.
///
/// `key` is the header value as sent (still base64, not decoded), without
/// surrounding whitespace.
///
/// ```
/// use rfc6455::handshake::accept_key;
/// // The example of RFC 6455 §1.3.
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
#[must_use]
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID.as_bytes());
    STANDARD.encode(sha1.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 encoded
/// (RFC 6455 §4.1 item 7), from the same generator as the masking keys
/// (the thread's ChaCha generator of `rand`, seeded from the operating
/// system).
///
/// ```
/// use rfc6455::handshake::generate_key;
/// let key = generate_key();
/// assert_eq!(key.len(), 24);
/// assert_ne!(key, generate_key());
/// ```
#[must_use]
pub fn generate_key() -> String {
    STANDARD.encode(crate::random::nonce())
}

/// Base64 as RFC 4648 §4 with canonical padding, lenient about the unused
/// low bits of the last character: the example key of RFC 6455 §4.1 item 7,
/// "AQIDBAUGBwgJCgsMDQ4PEC==", sets them.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Whether `key` is a valid `Sec-WebSocket-Key`: base64 that decodes to
/// exactly 16 bytes (RFC 6455 §4.2.1 item 5, §4.1 item 7).
fn is_valid_key(key: &[u8]) -> bool {
    // 16 bytes are always 24 characters, the last two "==".
    let mut decoded = [0u8; 18];
    key.len() == 24 && KEY_BASE64.decode_slice(key, &mut decoded) == Ok(16)
}

/// The input httparse may look at: the head can never be longer than
/// `max_handshake_size`, so neither is the work of scanning for its end.
fn bounded<'b>(buf: &'b [u8], config: &Config) -> &'b [u8] {
    &buf[..buf.len().min(config.max_handshake_size)]
}

/// Storage for the parsed header fields. At most `max_handshake_headers`, and
/// never more than could fit in `max_handshake_size` bytes (a field line takes
/// at least 3, `a:\n`), so a careless `usize::MAX` cannot ask for the moon.
fn header_storage<'b>(config: &Config) -> Vec<httparse::Header<'b>> {
    let fit = config.max_handshake_size / 3 + 1;
    vec![httparse::EMPTY_HEADER; config.max_handshake_headers.min(fit)]
}

/// Maps httparse's answer on [`bounded`] input to ours: `Some(n)` for a
/// complete head of `n` bytes, `None` for an incomplete one that may still
/// fit, and `TooLarge` once it cannot.
fn head_len(
    status: Result<httparse::Status<usize>, httparse::Error>,
    buf_len: usize,
    config: &Config,
) -> Result<Option<usize>, HandshakeError> {
    match status {
        Ok(httparse::Status::Complete(n)) => Ok(Some(n)),
        Ok(httparse::Status::Partial) if buf_len > config.max_handshake_size => {
            Err(HandshakeError::TooLarge {
                what: crate::HandshakeLimit::Bytes,
                max: config.max_handshake_size,
            })
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooLarge {
            what: crate::HandshakeLimit::Headers,
            max: config.max_handshake_headers,
        }),
        Err(e) => Err(HandshakeError::Malformed(e.to_string())),
    }
}

/// The values of every header field called `name` (case-insensitive,
/// RFC 7230 §3.2), in order.
fn values<'a>(
    headers: &'a [httparse::Header<'a>],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// Whether the `name` fields, read together as one comma-separated list,
/// hold `token` (ASCII case-insensitive). Lists may be split across several
/// fields of the same name (RFC 7230 §3.2.2).
fn list_contains(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    values(headers, name)
        .flat_map(list_items)
        .any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
}

/// The trimmed value of the one `name` field: `Ok(None)` if absent,
/// `Err(())` if repeated.
fn single_value<'a>(
    headers: &'a [httparse::Header<'a>],
    name: &'a str,
) -> Result<Option<&'a [u8]>, ()> {
    let mut found = values(headers, name);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => Ok(Some(trim_ows(value))),
        (Some(_), Some(_)) => Err(()),
    }
}

/// Header fields this module writes itself: a caller adding one would make
/// a second, contradicting copy, or smuggle a body into the handshake.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "sec-websocket-accept",
    "content-length",
    "transfer-encoding",
];

/// Checks a header field given by the application before it is written:
/// the name a token and not one this module writes, the value free of
/// control characters (so no CR LF can start a new field or end the head).
fn check_extra_header(name: &str, value: &str) -> Result<(), HandshakeError> {
    if !is_token(name.as_bytes()) {
        return Err(HandshakeError::Malformed(format!(
            "header name {name:?} is not a token"
        )));
    }
    if RESERVED_HEADERS
        .iter()
        .any(|reserved| name.eq_ignore_ascii_case(reserved))
    {
        return Err(HandshakeError::Malformed(format!(
            "header {name} is written by the handshake itself"
        )));
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(HandshakeError::Malformed(format!(
            "value of header {name} holds a control character"
        )));
    }
    Ok(())
}

/// Owned copies of the parsed fields, names as received.
fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect()
}

/// The value of the first field called `name` (case-insensitive).
fn find_header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Appends one `name: value` field line.
fn put_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(name: &'a str, value: &'a [u8]) -> httparse::Header<'a> {
        httparse::Header { name, value }
    }

    #[test]
    fn accept_key_matches_rfc_1_3_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_key_is_16_bytes_of_base64() {
        let key = generate_key();
        assert!(is_valid_key(key.as_bytes()), "{key}");
        assert_eq!(STANDARD.decode(&key).unwrap().len(), 16);
    }

    #[test]
    fn key_validation() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        // RFC 6455 §4.1 item 7 example, non-zero trailing bits.
        assert!(is_valid_key(b"AQIDBAUGBwgJCgsMDQ4PEC=="));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ")); // unpadded
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=")); // 23 chars
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZSE=")); // 17 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j")); // 15 bytes
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j*Q==")); // not base64
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ-_")); // url-safe alphabet
        assert!(!is_valid_key(&[0xff; 24]));
    }

    #[test]
    fn trim_ows_strips_spaces_and_tabs_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
        assert_eq!(trim_ows(b"\r\nx"), b"\r\nx");
    }

    #[test]
    fn list_items_split_trim_and_skip_empty() {
        let items: Vec<&[u8]> = list_items(b" keep-alive ,, Upgrade,\t").collect();
        assert_eq!(items, [&b"keep-alive"[..], &b"Upgrade"[..]]);
        assert_eq!(list_items(b" , ,").count(), 0);
    }

    #[test]
    fn list_contains_spans_fields_and_ignores_case() {
        let headers = [
            header("Connection", b"keep-alive"),
            header("content-type", b"upgrade"),
            header("CONNECTION", b"close, UpGrAdE"),
        ];
        assert!(list_contains(&headers, "connection", "upgrade"));
        assert!(!list_contains(&headers, "connection", "upgraded"));
        assert!(!list_contains(&headers[..2], "connection", "upgrade"));
        let substring = [header("Connection", b"notupgrade, upgrade-ish")];
        assert!(!list_contains(&substring, "connection", "upgrade"));
    }

    #[test]
    fn single_value_rejects_repeats() {
        let headers = [header("A", b" x "), header("b", b"1"), header("B", b"2")];
        assert_eq!(single_value(&headers, "a"), Ok(Some(&b"x"[..])));
        assert_eq!(single_value(&headers, "b"), Err(()));
        assert_eq!(single_value(&headers, "c"), Ok(None));
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"chat"));
        assert!(is_token(b"v2.bookings.example.net"));
        assert!(is_token(b"!#$%&'*+-.^_`|~"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(!is_token(b"a/b"));
        assert!(!is_token(b"caf\xc3\xa9"));
        assert!(!is_token(b"a\r\nb"));
    }

    #[test]
    fn extra_headers_cannot_inject_or_override() {
        assert!(check_extra_header("Origin", "http://example.com").is_ok());
        assert!(check_extra_header("X-Tab", "a\tb").is_ok());
        assert!(check_extra_header("X", "a\r\nEvil: 1").is_err());
        assert!(check_extra_header("X", "a\nb").is_err());
        assert!(check_extra_header("X", "a\0b").is_err());
        assert!(check_extra_header("Bad Name", "v").is_err());
        assert!(check_extra_header("", "v").is_err());
        assert!(check_extra_header("sec-websocket-KEY", "v").is_err());
        assert!(check_extra_header("Content-Length", "5").is_err());
    }

    #[test]
    fn header_storage_is_bounded_by_size() {
        let config = Config {
            max_handshake_headers: usize::MAX,
            max_handshake_size: 300,
            ..Config::default()
        };
        assert_eq!(header_storage(&config).len(), 101);
        assert_eq!(header_storage(&Config::default()).len(), 64);
    }

    #[test]
    fn head_len_maps_httparse_outcomes() {
        let config = Config {
            max_handshake_size: 10,
            max_handshake_headers: 3,
            ..Config::default()
        };
        let complete = Ok(httparse::Status::Complete(7));
        assert_eq!(head_len(complete, 50, &config), Ok(Some(7)));
        assert_eq!(
            head_len(Ok(httparse::Status::Partial), 10, &config),
            Ok(None)
        );
        assert_eq!(
            head_len(Ok(httparse::Status::Partial), 11, &config),
            Err(HandshakeError::TooLarge {
                what: crate::HandshakeLimit::Bytes,
                max: 10
            })
        );
        assert_eq!(
            head_len(Err(httparse::Error::TooManyHeaders), 5, &config),
            Err(HandshakeError::TooLarge {
                what: crate::HandshakeLimit::Headers,
                max: 3
            })
        );
        assert!(matches!(
            head_len(Err(httparse::Error::Token), 5, &config),
            Err(HandshakeError::Malformed(_))
        ));
    }

    #[test]
    fn find_header_ignores_case() {
        let headers = vec![("X-Thing".to_owned(), b"1".to_vec())];
        assert_eq!(find_header(&headers, "x-thing"), Some(&b"1"[..]));
        assert_eq!(find_header(&headers, "x-other"), None);
    }
}
