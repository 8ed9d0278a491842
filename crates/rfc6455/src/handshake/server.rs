//! The server's side of the opening handshake: reading the client's request
//! (RFC 6455 §4.2.1) and answering it, with 101 (§4.2.2) or an error status.

use super::{
    accept_key, bounded, check_extra_header, find_header, head_len, header_storage, is_token,
    is_valid_key, list_contains, list_items, owned_headers, put_header, single_value, values,
    VERSION,
};
use crate::deflate::{DeflateConfig, DeflateParams};
use crate::{Config, HandshakeError};

/// A client's opening handshake that passed every check of RFC 6455
/// §4.2.1, as returned by [`parse_request`] (from bytes) or
/// [`Request::from_http`] (from an `http::Request`).
///
/// The server may still refuse it by its own policy (origin, resource,
/// authentication: §4.2.2 items 2–4) with [`reject_response`] (or
/// [`reject_http`](super::reject_http)) and [`HandshakeError::Rejected`],
/// or take it with [`Request::accept`] (or [`Request::accept_http`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The Request-URI: the /resource name/ (path and query, §3), or an
    /// absolute URI containing it (§4.2.1 item 1), as sent.
    pub resource: String,
    /// The `Host` value, trimmed (§4.2.1 item 2).
    pub host: String,
    /// The `Sec-WebSocket-Key` value, trimmed, still base64 (§4.2.1 item 5);
    /// empty for an extended CONNECT over HTTP/2 or HTTP/3, which has none
    /// (RFC 8441 §5, [`Request::from_extended_connect`]).
    pub key: String,
    /// The subprotocols offered in `Sec-WebSocket-Protocol`, most preferred
    /// first, gathered from every such field (§4.2.1 item 8). Each is an
    /// HTTP token.
    pub protocols: Vec<String>,
    /// The `Origin` value, if sent (§4.2.1 item 7, §10.2). A browser always
    /// sends it; a server that serves browsers should check it.
    pub origin: Option<String>,
    /// Every header field of the request, in order, names as received
    /// (compare them case-insensitively, or use [`Request::header`]).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Parses and validates a client's opening handshake from the start of `buf`
/// (RFC 6455 §4.2.1).
///
/// - `Ok(None)`: the head is incomplete; call again with more bytes.
/// - `Ok(Some((request, n)))`: the head took `n` bytes. Bytes after them
///   are the client's first frames, to be handed to the connection.
/// - `Err(e)`: answer with [`reject_response`]`(&e, ..)` and close.
///   [`TooLarge`](HandshakeError::TooLarge) (431) once `buf` holds more than
///   `config.max_handshake_size` bytes without a complete head, or the head
///   has more than `config.max_handshake_headers` fields;
///   [`Malformed`](HandshakeError::Malformed) (400) for bytes that are not
///   an HTTP/1.x request head.
///
/// Checks, in the order of §4.2.1, each answered with 400 unless noted:
/// 1. the method is `GET` ([`MethodNotGet`](HandshakeError::MethodNotGet))
///    and the version HTTP/1.1 ([`HttpVersion`](HandshakeError::HttpVersion));
/// 2. exactly one non-empty UTF-8 `Host` ([`MissingHost`](HandshakeError::MissingHost));
/// 3. `Upgrade` holds the token `websocket`, any case
///    ([`MissingUpgrade`](HandshakeError::MissingUpgrade));
/// 4. `Connection`, a token list possibly split across several fields, holds
///    `upgrade`, any case, e.g. `keep-alive, Upgrade`
///    ([`MissingConnectionUpgrade`](HandshakeError::MissingConnectionUpgrade));
/// 5. exactly one `Sec-WebSocket-Key`, base64 of exactly 16 bytes
///    ([`InvalidKey`](HandshakeError::InvalidKey));
/// 6. exactly one `Sec-WebSocket-Version`, `13`
///    ([`UnsupportedVersion`](HandshakeError::UnsupportedVersion), 426,
///    also when it is missing);
/// 7. at most one `Origin`, in UTF-8; every offered subprotocol a token;
///    no body (`Transfer-Encoding`, or `Content-Length` other than 0),
///    since the bytes after the head are frames (all
///    [`Malformed`](HandshakeError::Malformed)).
///
/// A header value that is not valid UTF-8 fails the check that reads it;
/// other values are kept as bytes in [`Request::headers`].
///
/// ```
/// use rfc6455::handshake::parse_request;
/// use rfc6455::Config;
///
/// // The example of RFC 6455 §1.3.
/// let wire = b"GET /chat HTTP/1.1\r\n\
///     Host: server.example.com\r\n\
///     Upgrade: websocket\r\n\
///     Connection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Origin: http://example.com\r\n\
///     Sec-WebSocket-Protocol: chat, superchat\r\n\
///     Sec-WebSocket-Version: 13\r\n\r\n";
///
/// let config = Config::default();
/// assert_eq!(parse_request(&wire[..30], &config)?, None);
/// let (request, n) = parse_request(wire, &config)?.unwrap();
/// assert_eq!(n, wire.len());
/// assert_eq!(request.resource, "/chat");
/// assert_eq!(request.protocols, ["chat", "superchat"]);
/// assert_eq!(request.origin.as_deref(), Some("http://example.com"));
/// # Ok::<(), rfc6455::HandshakeError>(())
/// ```
pub fn parse_request(
    buf: &[u8],
    config: &Config,
) -> Result<Option<(Request, usize)>, HandshakeError> {
    let mut storage = header_storage(config);
    let mut request = httparse::Request::new(&mut storage);
    let status = request.parse(bounded(buf, config));
    let Some(n) = head_len(status, buf.len(), config)? else {
        return Ok(None);
    };
    // httparse reads only HTTP/1.0 (0) and HTTP/1.1 (1).
    let head = RequestHead {
        method: request.method.unwrap_or(""),
        http11: request.version == Some(1),
        resource: request.path.unwrap_or("/"),
        headers: &*request.headers,
    };
    Ok(Some((check_request(&head)?, n)))
}

/// A request head as parsed by httparse or by another HTTP stack (see
/// [`Request::from_http`]): what [`check_request`] validates.
pub(super) struct RequestHead<'a> {
    pub(super) method: &'a str,
    /// Whether the version is HTTP/1.1.
    pub(super) http11: bool,
    pub(super) resource: &'a str,
    pub(super) headers: &'a [httparse::Header<'a>],
}

/// The checks of RFC 6455 §4.2.1 (listed on [`parse_request`]), for every
/// source of request heads: one copy of the rules.
pub(super) fn check_request(head: &RequestHead<'_>) -> Result<Request, HandshakeError> {
    // §4.2.1 item 1. HTTP methods are case-sensitive (RFC 7230 §3.1.1).
    if head.method != "GET" {
        return Err(HandshakeError::MethodNotGet);
    }
    if !head.http11 {
        return Err(HandshakeError::HttpVersion);
    }
    let headers = head.headers;

    // §4.2.1 item 2. RFC 7230 §5.4: more than one Host is a 400.
    let host = match single_value(headers, "host") {
        Ok(Some(host)) if !host.is_empty() => {
            std::str::from_utf8(host).map_err(|_| HandshakeError::MissingHost)?
        }
        Ok(_) => return Err(HandshakeError::MissingHost),
        Err(()) => return Err(malformed("more than one Host header")),
    };
    // §4.2.1 items 3 and 4.
    if !list_contains(headers, "upgrade", "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !list_contains(headers, "connection", "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    // §4.2.1 item 5. A valid key is base64, so ASCII.
    let key = match single_value(headers, "sec-websocket-key") {
        Ok(Some(key)) if is_valid_key(key) => String::from_utf8_lossy(key).into_owned(),
        _ => return Err(HandshakeError::InvalidKey),
    };
    let (origin, protocols) = check_websocket_fields(headers)?;
    // Whatever follows the head is read as frames; a body announced here
    // would be read as frames by us and as a body by a proxy in between.
    if values(headers, "transfer-encoding").next().is_some()
        || values(headers, "content-length").any(|v| super::trim_ows(v) != b"0")
    {
        return Err(malformed("handshake request has a body"));
    }

    Ok(Request {
        resource: head.resource.to_owned(),
        host: host.to_owned(),
        key,
        protocols,
        origin,
        headers: owned_headers(headers),
    })
}

/// The fields every WebSocket handshake request carries the same way,
/// over HTTP/1.1 and in an extended CONNECT (RFC 8441 §5): the version,
/// the origin and the subprotocols offered.
fn check_websocket_fields(
    headers: &[httparse::Header<'_>],
) -> Result<(Option<String>, Vec<String>), HandshakeError> {
    // §4.2.1 item 6, §4.4.
    match single_value(headers, "sec-websocket-version") {
        Ok(Some(version)) if version == VERSION.as_bytes() => {}
        _ => return Err(HandshakeError::UnsupportedVersion),
    }
    // §4.2.1 item 7.
    let origin = match single_value(headers, "origin") {
        Ok(None) => None,
        Ok(Some(origin)) => Some(
            std::str::from_utf8(origin)
                .map_err(|_| malformed("Origin is not UTF-8"))?
                .to_owned(),
        ),
        Err(()) => return Err(malformed("more than one Origin header")),
    };
    // §4.2.1 item 8, §4.1 item 10: 1#token.
    let mut protocols = Vec::new();
    for item in values(headers, "sec-websocket-protocol").flat_map(list_items) {
        if !is_token(item) {
            return Err(malformed("Sec-WebSocket-Protocol is not a list of tokens"));
        }
        protocols.push(String::from_utf8_lossy(item).into_owned());
    }
    Ok((origin, protocols))
}

/// An extended CONNECT's head (RFC 8441 §4 over HTTP/2, RFC 9220 §3 over
/// HTTP/3), its pseudo-header fields as the HTTP stack decoded them: what
/// [`check_extended_connect`] validates.
pub(super) struct ConnectHead<'a> {
    pub(super) method: &'a str,
    /// `:protocol`.
    pub(super) protocol: Option<&'a str>,
    /// `:scheme`.
    pub(super) scheme: Option<&'a str>,
    /// `:authority`.
    pub(super) authority: Option<&'a str>,
    /// `:path`, path and query.
    pub(super) path: Option<&'a str>,
    pub(super) headers: &'a [httparse::Header<'a>],
}

/// The header fields HTTP/2 and HTTP/3 forbid, being about a connection
/// (RFC 9113 §8.2.2, RFC 9114 §4.2); `TE` is allowed as `trailers` alone.
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
];

/// The checks of a WebSocket's extended CONNECT (RFC 8441 §4 and §5, RFC
/// 9220 §3): the method is `CONNECT` with `:protocol` `websocket` (any
/// case, as the Upgrade token of RFC 6455 §4.2.1 item 3; another protocol
/// is a 501), `:scheme`, `:path` and `:authority` are present, no
/// connection-specific field is; then version 13, the origin and the
/// subprotocols as over HTTP/1.1 (§4.2.1 items 6–8). There is no
/// `Sec-WebSocket-Key` to check: RFC 8441 §5 leaves it and
/// `Sec-WebSocket-Accept` out, and [`Request::key`] is empty.
pub(super) fn check_extended_connect(head: &ConnectHead<'_>) -> Result<Request, HandshakeError> {
    if head.method != "CONNECT" {
        return Err(HandshakeError::NotExtendedConnect(
            "the method is not CONNECT",
        ));
    }
    match head.protocol {
        Some(p) if p.eq_ignore_ascii_case("websocket") => {}
        Some(p) => return Err(HandshakeError::UnsupportedProtocol(p.to_owned())),
        None => return Err(HandshakeError::NotExtendedConnect("no :protocol")),
    }
    if head.scheme.is_none_or(str::is_empty) {
        return Err(HandshakeError::NotExtendedConnect("no :scheme"));
    }
    let Some(path) = head.path.filter(|p| !p.is_empty()) else {
        return Err(HandshakeError::NotExtendedConnect("no :path"));
    };
    let host = match head.authority {
        Some(authority) if !authority.is_empty() => authority,
        _ => return Err(HandshakeError::MissingHost),
    };
    let headers = head.headers;
    for name in CONNECTION_SPECIFIC {
        if values(headers, name).next().is_some() {
            return Err(HandshakeError::NotExtendedConnect(
                "a connection-specific field (Connection, Upgrade, Keep-Alive, Proxy-Connection, Transfer-Encoding)",
            ));
        }
    }
    if values(headers, "te").any(|v| !super::trim_ows(v).eq_ignore_ascii_case(b"trailers")) {
        return Err(HandshakeError::NotExtendedConnect("TE other than trailers"));
    }
    let (origin, protocols) = check_websocket_fields(headers)?;
    Ok(Request {
        resource: path.to_owned(),
        host: host.to_owned(),
        key: String::new(),
        protocols,
        origin,
        headers: owned_headers(headers),
    })
}

fn malformed(why: &str) -> HandshakeError {
    HandshakeError::Malformed(why.to_owned())
}

impl Request {
    /// The value of the first header field called `name`, compared
    /// case-insensitively.
    ///
    /// ```
    /// # use rfc6455::{handshake::parse_request, Config};
    /// # let wire = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
    /// #     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    /// #     Cookie: id=7\r\n\r\n";
    /// let (request, _) = parse_request(wire, &Config::default())?.unwrap();
    /// assert_eq!(request.header("cookie"), Some(&b"id=7"[..]));
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        find_header(&self.headers, name)
    }

    /// The subprotocol to select (RFC 6455 §4.2.2 item 4, /subprotocol/):
    /// the first of the client's offer, in its order of preference, that
    /// is in `supported` (compared exactly: subprotocol names are
    /// case-sensitive, §11.3.4). `None` if there is none: the server then
    /// accepts without one, and the client decides whether to go on.
    ///
    /// ```
    /// # use rfc6455::{handshake::parse_request, Config};
    /// # let wire = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
    /// #     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    /// #     Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n\r\n";
    /// let (request, _) = parse_request(wire, &Config::default())?.unwrap();
    /// assert_eq!(request.select_protocol(&["chat.v1", "chat.v2"]), Some("chat.v2"));
    /// assert_eq!(request.select_protocol(&["mqtt"]), None);
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    #[must_use]
    pub fn select_protocol<P: AsRef<str>>(&self, supported: &[P]) -> Option<&str> {
        self.protocols
            .iter()
            .find(|offered| supported.iter().any(|ours| ours.as_ref() == *offered))
            .map(String::as_str)
    }

    /// Appends the server's opening handshake, accepting this request
    /// (RFC 6455 §4.2.2 item 5): `HTTP/1.1 101 Switching Protocols`,
    /// `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept`
    /// ([`accept_key`] of the key), and
    /// `Sec-WebSocket-Protocol` if `protocol` is `Some`.
    ///
    /// `protocol` must be one of [`Request::protocols`] (§4.2.2 item 4,
    /// /subprotocol/): otherwise nothing is written and the error is
    /// [`HandshakeError::UnofferedSubprotocol`].
    ///
    /// ```
    /// # use rfc6455::{handshake::parse_request, Config};
    /// # let wire = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
    /// #     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    /// #     Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    /// let (request, _) = parse_request(wire, &Config::default())?.unwrap();
    /// let mut out = Vec::new();
    /// request.accept(Some("chat"), &mut out)?;
    /// // The answer of RFC 6455 §1.3, byte for byte.
    /// assert_eq!(
    ///     out,
    ///     b"HTTP/1.1 101 Switching Protocols\r\n\
    ///       Upgrade: websocket\r\n\
    ///       Connection: Upgrade\r\n\
    ///       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    ///       Sec-WebSocket-Protocol: chat\r\n\r\n"
    /// );
    /// assert!(request.accept(Some("mqtt"), &mut Vec::new()).is_err());
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn accept(&self, protocol: Option<&str>, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
        self.respond(protocol, None, &[], out)
    }

    /// The permessage-deflate parameters this server agrees to, given its
    /// settings: the first of the client's offers that is valid and
    /// acceptable (RFC 7692 §5, §7.1), or `None`.
    #[must_use]
    pub fn negotiate_deflate(&self, config: &DeflateConfig) -> Option<DeflateParams> {
        let offers = self
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
            .map(|(_, value)| std::str::from_utf8(value).ok());
        let offers: Option<Vec<&str>> = offers.collect();
        config.negotiate(offers?)
    }

    /// Like [`Request::accept`], agreeing to permessage-deflate with
    /// `deflate` (from [`negotiate_deflate`](Self::negotiate_deflate)) in
    /// `Sec-WebSocket-Extensions`, when `Some`.
    ///
    /// ```
    /// # use rfc6455::{handshake::parse_request, Config};
    /// use rfc6455::deflate::DeflateConfig;
    /// # let wire = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
    /// #     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    /// #     Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
    /// let (request, _) = parse_request(wire, &Config::default())?.unwrap();
    /// let params = request.negotiate_deflate(&DeflateConfig::default());
    /// let mut out = Vec::new();
    /// request.accept_with_deflate(None, params.as_ref(), &mut out)?;
    /// assert!(String::from_utf8(out).unwrap().contains("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn accept_with_deflate(
        &self,
        protocol: Option<&str>,
        deflate: Option<&DeflateParams>,
        out: &mut Vec<u8>,
    ) -> Result<(), HandshakeError> {
        self.respond(protocol, deflate, &[], out)
    }

    /// Like [`Request::accept_with_deflate`], with extra header fields
    /// (such as `Set-Cookie`) after the handshake's own: adding fields
    /// never turns compression off.
    ///
    /// Nothing is written, and the error is
    /// [`HandshakeError::Malformed`], if a name is not a token or is a field
    /// the handshake writes itself, or a value holds a control character
    /// such as CR or LF.
    ///
    /// ```
    /// use rfc6455::deflate::DeflateConfig;
    /// use rfc6455::handshake::parse_request;
    /// use rfc6455::Config;
    /// # let wire = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
    /// #     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
    /// #     Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    /// let (request, _) = parse_request(wire, &Config::default())?.unwrap();
    /// let params = request.negotiate_deflate(&DeflateConfig::default());
    /// let mut out = Vec::new();
    /// request.accept_with_headers(None, params.as_ref(), &[("Set-Cookie", "id=7")], &mut out)?;
    /// let head = String::from_utf8(out).unwrap();
    /// assert!(head.contains("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    /// assert!(head.ends_with("Set-Cookie: id=7\r\n\r\n"));
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn accept_with_headers(
        &self,
        protocol: Option<&str>,
        deflate: Option<&DeflateParams>,
        headers: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Result<(), HandshakeError> {
        self.respond(protocol, deflate, headers, out)
    }

    pub(super) fn respond(
        &self,
        protocol: Option<&str>,
        deflate: Option<&DeflateParams>,
        headers: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Result<(), HandshakeError> {
        if self.key.is_empty() {
            return Err(malformed(
                "an extended CONNECT is answered over HTTP/2 or HTTP/3 (accept_http), not with HTTP/1.1 bytes",
            ));
        }
        for (name, value) in headers {
            check_extra_header(name, value)?;
        }
        let fields = self.accept_fields(protocol, deflate)?;
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        for (name, value) in &fields {
            put_header(out, name, value.as_bytes());
        }
        for (name, value) in headers {
            put_header(out, name, value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The header fields of the 101 answer (§4.2.2 item 5), in order, after
    /// checking that `protocol` was offered (§4.2.2 item 4): shared by the
    /// bytes of [`Request::accept`] and the `http::Response` of
    /// [`Request::accept_http`].
    pub(super) fn accept_fields(
        &self,
        protocol: Option<&str>,
        deflate: Option<&DeflateParams>,
    ) -> Result<Vec<(&'static str, String)>, HandshakeError> {
        if let Some(protocol) = protocol {
            if !self.protocols.iter().any(|offered| offered == protocol) {
                return Err(HandshakeError::UnofferedSubprotocol(protocol.to_owned()));
            }
        }
        let mut fields = vec![
            ("Upgrade", "websocket".to_owned()),
            ("Connection", "Upgrade".to_owned()),
            ("Sec-WebSocket-Accept", accept_key(self.key.as_bytes())),
        ];
        if self.key.is_empty() {
            // An extended CONNECT (RFC 8441 §5): a 200 with none of them.
            fields.clear();
        }
        if let Some(protocol) = protocol {
            fields.push(("Sec-WebSocket-Protocol", protocol.to_owned()));
        }
        if let Some(deflate) = deflate {
            fields.push(("Sec-WebSocket-Extensions", deflate.to_response()));
        }
        Ok(fields)
    }
}

/// Appends the response that refuses a handshake (RFC 6455 §4.2.1, §4.2.2
/// items 2–4): the status line with [`HandshakeError::status`] and its
/// reason phrase, `Connection: close`, `Content-Type: text/plain;
/// charset=utf-8`, `Content-Length`, and the error's `Display` as the body.
/// The caller sends it, then closes the connection.
///
/// A 426 for [`UnsupportedVersion`](HandshakeError::UnsupportedVersion) also
/// carries `Sec-WebSocket-Version: 13`, the version this server speaks
/// (§4.2.2 item 4, /version/; §4.4), and `Upgrade: websocket`, which a 426
/// must name (RFC 7231 §6.5.15); `Connection` then lists `Upgrade` too, as a
/// sender of `Upgrade` must (RFC 7230 §6.7).
///
/// [`Rejected`](HandshakeError::Rejected) carries the application's status
/// (403 Forbidden for a refused origin, 404 Not Found for an unknown
/// resource...). A status outside 300–599, which cannot refuse an upgrade,
/// is written as 500.
///
/// ```
/// use rfc6455::handshake::reject_response;
/// use rfc6455::HandshakeError;
///
/// let mut out = Vec::new();
/// reject_response(&HandshakeError::UnsupportedVersion, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
/// assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
///
/// let mut out = Vec::new();
/// reject_response(&HandshakeError::Rejected(403), &mut out);
/// assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// ```
pub fn reject_response(error: &HandshakeError, out: &mut Vec<u8>) {
    let status = reject_status(error);
    let body = error.to_string();
    out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes());
    for (name, value) in reject_fields(status) {
        put_header(out, name, value.as_bytes());
    }
    put_header(out, "Content-Length", body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
}

/// The status that refuses a handshake failing with `error`: its own, or
/// 500 if that cannot refuse an upgrade (see [`reject_response`]).
pub(super) fn reject_status(error: &HandshakeError) -> u16 {
    match error.status() {
        status @ 300..=599 => status,
        _ => 500,
    }
}

/// The header fields of a refusal with `status`, but for `Content-Length`
/// (shared by [`reject_response`] and [`reject_http`](super::reject_http)).
pub(super) fn reject_fields(status: u16) -> Vec<(&'static str, &'static str)> {
    let mut fields = Vec::with_capacity(4);
    if status == 426 {
        fields.push(("Sec-WebSocket-Version", VERSION));
        fields.push(("Upgrade", "websocket"));
        fields.push(("Connection", "Upgrade, close"));
    } else {
        fields.push(("Connection", "close"));
    }
    fields.push(("Content-Type", "text/plain; charset=utf-8"));
    fields
}

/// The reason phrase of `status` (RFC 7231 §6.1, RFC 6585 §5), or a generic
/// one for its class.
pub(super) fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or(match status {
            300..=399 => "Redirection",
            400..=499 => "Client Error",
            _ => "Server Error",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(400), "Bad Request");
        assert_eq!(reason_phrase(403), "Forbidden");
        assert_eq!(reason_phrase(426), "Upgrade Required");
        assert_eq!(reason_phrase(431), "Request Header Fields Too Large");
        assert_eq!(reason_phrase(499), "Client Error");
        assert_eq!(reason_phrase(599), "Server Error");
    }

    #[test]
    fn reject_body_length_matches() {
        let mut out = Vec::new();
        reject_response(&HandshakeError::MissingHost, &mut out);
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "missing Host header");
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
    }
}
