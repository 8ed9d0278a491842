//! The client's side of the opening handshake (RFC 6455 §4.1): the request
//! it sends and the checks it makes of the server's answer.

use super::ErrorResponse;
use super::{
    accept_key, bounded, check_extra_header, find_header, generate_key, head_len, header_storage,
    is_token, is_valid_key, list_contains, list_items, owned_headers, put_header, single_value,
    values, VERSION,
};
use crate::deflate::{DeflateConfig, DeflateParams};
use crate::{Config, Error, HandshakeError};
use std::fmt::Write as _;

/// The client's opening handshake (RFC 6455 §4.1): a GET request asking to
/// upgrade to WebSocket, with a fresh random key. It keeps what it offered
/// so that [`ClientRequest::parse_response`] can check the server's answer
/// against it.
///
/// ```
/// use rfc6455::handshake::ClientRequest;
///
/// let request = ClientRequest::new("example.com:8080", "/chat?room=1")
///     .with_protocols(["chat.v2", "chat.v1"])
///     .with_header("Origin", "http://example.com");
/// let mut out = Vec::new();
/// request.encode(&mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n"));
/// assert!(text.contains("\r\nSec-WebSocket-Protocol: chat.v2, chat.v1\r\n"));
/// assert!(text.ends_with("\r\nOrigin: http://example.com\r\n\r\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    pub(super) host: String,
    pub(super) resource: String,
    pub(super) key: String,
    pub(super) protocols: Vec<String>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) deflate: Option<DeflateConfig>,
    /// For a `wss://` URI (RFC 6455 §3): TLS, default port 443.
    pub(super) tls: bool,
}

/// The server's accepted answer to a [`ClientRequest`] (RFC 6455 §4.1, §4.2.2
/// item 5), after every check the client must make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerResponse {
    /// The status code: always 101 for a response that passed the checks.
    pub status: u16,
    /// The subprotocol the server selected, one of those offered: the
    /// _Subprotocol In Use_ (§4.1). `None` if the server selected none.
    pub protocol: Option<String>,
    /// The permessage-deflate parameters the server agreed to, if it did.
    pub deflate: Option<DeflateParams>,
    /// Every header field of the response, in order, names as received
    /// (compare them case-insensitively, or use [`ServerResponse::header`]).
    pub headers: Vec<(String, Vec<u8>)>,
}

impl ServerResponse {
    /// The value of the first header field called `name`, compared
    /// case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        find_header(&self.headers, name)
    }
}

impl ClientRequest {
    /// A request for `resource` on `host`, with a fresh key
    /// ([`generate_key`]), no subprotocol and no extra
    /// header.
    ///
    /// `host` is the `Host` value, host plus `:port` when the port is not the
    /// scheme's default (§4.1 item 4); `resource` is the path and query of
    /// the URI (§3), `"/"` if empty, and a leading `/` is added if missing.
    /// Bytes that may not appear in a request line or field (controls,
    /// space, non-ASCII) are percent-encoded rather than sent raw, so neither
    /// can break the request apart; a host in Unicode must be given in its
    /// ASCII (punycode) form.
    #[must_use]
    pub fn new(host: &str, resource: &str) -> Self {
        let mut path = String::with_capacity(resource.len() + 1);
        if !resource.starts_with('/') {
            path.push('/');
        }
        percent_encode_into(resource, &mut path);
        let mut host_value = String::with_capacity(host.len());
        percent_encode_into(host, &mut host_value);
        ClientRequest {
            host: host_value,
            resource: path,
            key: generate_key(),
            protocols: Vec::new(),
            headers: Vec::new(),
            deflate: None,
            tls: false,
        }
    }

    /// Offers permessage-deflate (RFC 7692) with these settings; the
    /// response's answer is checked by [`parse_response`](Self::parse_response)
    /// and lands in [`ServerResponse::deflate`].
    ///
    /// ```
    /// use rfc6455::deflate::DeflateConfig;
    /// use rfc6455::handshake::ClientRequest;
    /// let request = ClientRequest::new("example.com", "/").with_deflate(DeflateConfig::default());
    /// let mut out = Vec::new();
    /// request.encode(&mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    /// ```
    #[must_use]
    pub fn with_deflate(mut self, config: DeflateConfig) -> Self {
        self.deflate = Some(config);
        self
    }

    /// Uses `key` as `Sec-WebSocket-Key` instead of the random one, for
    /// reproducible tests. The RFC requires a fresh random nonce per
    /// connection (§4.1 item 7), so real clients should not call this.
    ///
    /// Fails with [`HandshakeError::InvalidKey`] unless `key` is base64 of
    /// exactly 16 bytes.
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    /// let request = ClientRequest::new("server.example.com", "/chat")
    ///     .with_key("dGhlIHNhbXBsZSBub25jZQ==")?;
    /// assert_eq!(request.key(), "dGhlIHNhbXBsZSBub25jZQ==");
    /// assert!(ClientRequest::new("h", "/").with_key("short").is_err());
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn with_key(mut self, key: &str) -> Result<Self, HandshakeError> {
        if !is_valid_key(key.as_bytes()) {
            return Err(HandshakeError::InvalidKey);
        }
        self.key = key.to_owned();
        Ok(self)
    }

    /// Offers these subprotocols, most preferred first, in
    /// `Sec-WebSocket-Protocol` (§4.1 item 10), replacing any earlier offer.
    ///
    /// # Panics
    ///
    /// If a name is not an HTTP token (visible ASCII without separators) or
    /// appears twice, which §4.1 item 10 forbids. Use
    /// [`ClientRequest::try_with_protocols`] for names that are not
    /// constants of the program.
    #[must_use]
    pub fn with_protocols<I, S>(self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        match self.try_with_protocols(protocols) {
            Ok(request) => request,
            Err(e) => panic!("ClientRequest::with_protocols: {e}"),
        }
    }

    /// Like [`ClientRequest::with_protocols`], but fails with
    /// [`HandshakeError::Malformed`] instead of panicking.
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    /// let request = ClientRequest::new("h", "/");
    /// assert!(request.clone().try_with_protocols(["chat"]).is_ok());
    /// assert!(request.clone().try_with_protocols(["two words"]).is_err());
    /// assert!(request.try_with_protocols(["chat", "chat"]).is_err());
    /// ```
    pub fn try_with_protocols<I, S>(mut self, protocols: I) -> Result<Self, HandshakeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut offered: Vec<String> = Vec::new();
        for protocol in protocols {
            let protocol = protocol.into();
            if !is_token(protocol.as_bytes()) {
                return Err(HandshakeError::Malformed(format!(
                    "subprotocol {protocol:?} is not a token"
                )));
            }
            if offered.contains(&protocol) {
                return Err(HandshakeError::Malformed(format!(
                    "subprotocol {protocol:?} offered twice"
                )));
            }
            offered.push(protocol);
        }
        self.protocols = offered;
        Ok(self)
    }

    /// Adds a header field, such as `Origin` (§4.1 item 8), `Authorization`
    /// or `Cookie` (§4.1 item 12), sent after the handshake's own fields in
    /// the order added.
    ///
    /// # Panics
    ///
    /// If `name` is not an HTTP token, is a field the handshake writes itself
    /// (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`, `Content-Length`,
    /// `Transfer-Encoding`), or `value` holds a control character such as
    /// CR or LF. Use [`ClientRequest::try_with_header`] for values that come
    /// from outside the program.
    #[must_use]
    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self.try_with_header(name, value) {
            Ok(request) => request,
            Err(e) => panic!("ClientRequest::with_header: {e}"),
        }
    }

    /// Like [`ClientRequest::with_header`], but fails with
    /// [`HandshakeError::Malformed`] instead of panicking.
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    /// let request = ClientRequest::new("h", "/");
    /// assert!(request.clone().try_with_header("Cookie", "a=1").is_ok());
    /// assert!(request.clone().try_with_header("Cookie", "a=1\r\nX: y").is_err());
    /// assert!(request.try_with_header("Sec-WebSocket-Key", "x").is_err());
    /// ```
    pub fn try_with_header(mut self, name: &str, value: &str) -> Result<Self, HandshakeError> {
        check_extra_header(name, value)?;
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The `Sec-WebSocket-Key` this request sends (§4.1 item 7).
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The subprotocols offered, most preferred first (§4.1 item 10).
    #[must_use]
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The `Host` value, as it will be sent.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The Request-URI, as it will be sent.
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Whether the request is for a `wss://` URI (RFC 6455 §3): made by
    /// [`from_uri`](Self::from_uri) (or [`IntoClientRequest`])
    /// from one; [`ClientRequest::new`] is for `ws://`.
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The permessage-deflate settings offered, if any
    /// ([`with_deflate`](Self::with_deflate)).
    #[must_use]
    pub fn deflate(&self) -> Option<&DeflateConfig> {
        self.deflate.as_ref()
    }

    /// The header fields of the request head, in the order
    /// [`encode`](Self::encode) writes them (shared with
    /// [`to_http`](Self::to_http)).
    pub(super) fn fields(&self) -> Vec<(&str, String)> {
        let mut fields = vec![
            ("Host", self.host.clone()),
            ("Upgrade", "websocket".to_owned()),
            ("Connection", "Upgrade".to_owned()),
            ("Sec-WebSocket-Key", self.key.clone()),
        ];
        fields.extend(self.websocket_fields());
        fields
    }

    /// The fields every WebSocket handshake request carries the same way,
    /// over HTTP/1.1 and in an extended CONNECT (RFC 8441 §5): the
    /// version, the subprotocols, the extensions and the extra fields.
    pub(super) fn websocket_fields(&self) -> Vec<(&str, String)> {
        let mut fields = vec![("Sec-WebSocket-Version", VERSION.to_owned())];
        if !self.protocols.is_empty() {
            fields.push(("Sec-WebSocket-Protocol", self.protocols.join(", ")));
        }
        if let Some(deflate) = &self.deflate {
            fields.push(("Sec-WebSocket-Extensions", deflate.offer()));
        }
        for (name, value) in &self.headers {
            fields.push((name, value.clone()));
        }
        fields
    }

    /// Appends the request head to `out` (RFC 6455 §4.1 items 1–12):
    /// `GET <resource> HTTP/1.1`, `Host`, `Upgrade: websocket`,
    /// `Connection: Upgrade`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`,
    /// `Sec-WebSocket-Protocol` if any was offered, the extra header fields,
    /// and the empty line that ends the head.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.resource.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in self.fields() {
            put_header(out, name, value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }

    /// Parses and validates the server's response from the start of `buf`
    /// (RFC 6455 §4.1, "the client MUST validate the server's response").
    ///
    /// - `Ok(None)`: the head is incomplete; call again with more bytes.
    /// - `Ok(Some((response, n)))`: the head took `n` bytes. Bytes after them
    ///   are the server's first frames, to be handed to the connection.
    /// - `Err(TooLarge)`: `buf` holds more than `config.max_handshake_size`
    ///   bytes without a complete head, or the head has more than
    ///   `config.max_handshake_headers` fields.
    ///
    /// Checks, each failing the handshake:
    /// 1. the status is 101 ([`UnexpectedStatus`](HandshakeError::UnexpectedStatus)
    ///    with the status, the reason and the fields otherwise, item 1:
    ///    its body follows at [`ErrorResponse::head_len`], to be decoded by
    ///    [`ResponseBody`](super::ResponseBody)) and the version HTTP/1.1;
    /// 2. `Upgrade` holds the token `websocket`, any case
    ///    ([`MissingUpgrade`](HandshakeError::MissingUpgrade), item 2);
    /// 3. `Connection`, a token list possibly split across several fields,
    ///    holds `upgrade`, any case
    ///    ([`MissingConnectionUpgrade`](HandshakeError::MissingConnectionUpgrade), item 3);
    /// 4. exactly one `Sec-WebSocket-Accept`, equal to
    ///    [`accept_key`]`(key)` once trimmed
    ///    ([`InvalidAccept`](HandshakeError::InvalidAccept), item 4);
    /// 5. `Sec-WebSocket-Extensions` holds nothing that was not offered: no
    ///    extension at all without [`with_deflate`](Self::with_deflate), else
    ///    at most permessage-deflate with parameters that answer the offer
    ///    (RFC 7692 §7.1)
    ///    ([`UnofferedExtension`](HandshakeError::UnofferedExtension), item 5);
    /// 6. `Sec-WebSocket-Protocol`, if present, exactly one of the offered
    ///    subprotocols, in a single field
    ///    ([`UnofferedSubprotocol`](HandshakeError::UnofferedSubprotocol), item 6).
    ///
    /// A header value that is not valid UTF-8 fails the check that reads it.
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    /// use rfc6455::Config;
    ///
    /// let request = ClientRequest::new("server.example.com", "/chat")
    ///     .with_key("dGhlIHNhbXBsZSBub25jZQ==")?
    ///     .with_protocols(["chat", "superchat"]);
    /// let answer = b"HTTP/1.1 101 Switching Protocols\r\n\
    ///     Upgrade: websocket\r\n\
    ///     Connection: Upgrade\r\n\
    ///     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    ///     Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x02hi";
    ///
    /// let config = Config::default();
    /// assert_eq!(request.parse_response(&answer[..20], &config)?, None);
    /// let (response, n) = request.parse_response(answer, &config)?.unwrap();
    /// assert_eq!(response.protocol.as_deref(), Some("chat"));
    /// assert_eq!(&answer[n..], b"\x81\x02hi"); // the first frame
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn parse_response(
        &self,
        buf: &[u8],
        config: &Config,
    ) -> Result<Option<(ServerResponse, usize)>, HandshakeError> {
        let mut storage = header_storage(config);
        let mut response = httparse::Response::new(&mut storage);
        let status = response.parse(bounded(buf, config));
        let Some(n) = head_len(status, buf.len(), config)? else {
            return Ok(None);
        };
        // A complete head always has a code and a version.
        let code = response.code.unwrap_or(0);
        let checked = self
            .check_response(code, response.version == Some(1), response.headers)
            .map_err(|mut error| {
                if let HandshakeError::UnexpectedStatus(refusal) = &mut error {
                    refusal.set_head_len(n);
                    refusal.reason = response.reason.unwrap_or_default().to_owned();
                }
                error
            })?;
        Ok(Some((checked, n)))
    }

    /// The checks of RFC 6455 §4.1 on the server's answer (listed on
    /// [`parse_response`](Self::parse_response)), for every source of
    /// response heads: one copy of the rules. `http11` says whether the
    /// version is HTTP/1.1.
    pub(super) fn check_response(
        &self,
        code: u16,
        http11: bool,
        headers: &[httparse::Header<'_>],
    ) -> Result<ServerResponse, HandshakeError> {
        if code != 101 {
            let refusal = ErrorResponse::new(code, None, owned_headers(headers), 0);
            return Err(HandshakeError::UnexpectedStatus(Box::new(refusal)));
        }
        if !http11 {
            return Err(HandshakeError::Malformed(
                "101 response is not HTTP/1.1".to_owned(),
            ));
        }

        if !list_contains(headers, "upgrade", "websocket") {
            return Err(HandshakeError::MissingUpgrade);
        }
        if !list_contains(headers, "connection", "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        match single_value(headers, "sec-websocket-accept") {
            Ok(Some(accept)) if accept == accept_key(self.key.as_bytes()).as_bytes() => {}
            _ => return Err(HandshakeError::InvalidAccept),
        }
        self.check_negotiation(code, headers)
    }

    /// The checks of an extended CONNECT's answer (RFC 8441 §5, RFC 9220
    /// §3): a 2xx (the stream is then the WebSocket's), and the
    /// subprotocol and extensions as over HTTP/1.1 (RFC 6455 §4.1 items
    /// 5–6); there is no `Sec-WebSocket-Accept` to check.
    pub(super) fn check_connect_response(
        &self,
        code: u16,
        headers: &[httparse::Header<'_>],
    ) -> Result<ServerResponse, HandshakeError> {
        if !(200..300).contains(&code) {
            let refusal = ErrorResponse::new(code, None, owned_headers(headers), 0);
            return Err(HandshakeError::UnexpectedStatus(Box::new(refusal)));
        }
        self.check_negotiation(code, headers)
    }

    /// The extensions and the subprotocol the server selected, each one
    /// this request offered (RFC 6455 §4.1 items 5–6, RFC 7692 §5).
    fn check_negotiation(
        &self,
        code: u16,
        headers: &[httparse::Header<'_>],
    ) -> Result<ServerResponse, HandshakeError> {
        let deflate = match &self.deflate {
            None => {
                if let Some(extensions) = values(headers, "sec-websocket-extensions").next() {
                    return Err(HandshakeError::UnofferedExtension(extension_name(
                        extensions,
                    )));
                }
                None
            }
            Some(config) => {
                let mut texts = Vec::new();
                for value in values(headers, "sec-websocket-extensions") {
                    let text = std::str::from_utf8(value)
                        .map_err(|_| HandshakeError::UnofferedExtension(extension_name(value)))?;
                    texts.push(text);
                }
                config
                    .validate_response(texts)
                    .map_err(HandshakeError::UnofferedExtension)?
            }
        };
        let protocol = match single_value(headers, "sec-websocket-protocol") {
            Ok(None) => None,
            Ok(Some(selected)) => match self.protocols.iter().find(|p| p.as_bytes() == selected) {
                Some(offered) => Some(offered.clone()),
                None => {
                    return Err(HandshakeError::UnofferedSubprotocol(
                        String::from_utf8_lossy(selected).into_owned(),
                    ))
                }
            },
            Err(()) => {
                let all: Vec<_> = values(headers, "sec-websocket-protocol")
                    .map(String::from_utf8_lossy)
                    .collect();
                return Err(HandshakeError::UnofferedSubprotocol(all.join(", ")));
            }
        };
        Ok(ServerResponse {
            status: code,
            protocol,
            deflate,
            headers: owned_headers(headers),
        })
    }
}

/// What [`connect`](crate::connect) takes: anything that makes a client's
/// opening handshake, like tokio-tungstenite's trait of the same name.
///
/// Implemented for URLs (`&str`, `String`, `&String`, `http::Uri`), for
/// `http::Request<()>` (its fields kept: subprotocols, `Authorization`,
/// `Cookie`...; see the `TryFrom` impl of [`ClientRequest`]) and for
/// [`ClientRequest`] itself.
///
/// ```no_run
/// # #[cfg(feature = "tokio")]
/// # async fn run() -> Result<(), rfc6455::Error> {
/// let request = http::Request::get("wss://example.com/chat")
///     .header("Authorization", "Bearer token")
///     .header("Sec-WebSocket-Protocol", "chat")
///     .body(())
///     .expect("a valid request");
/// let (ws, _) = rfc6455::connect(request).await?;
/// assert_eq!(ws.protocol(), Some("chat"));
/// # Ok(()) }
/// ```
pub trait IntoClientRequest {
    /// The handshake, or why there is none: [`Error::InvalidUrl`] for a
    /// URL that is not `ws://` or `wss://`, [`Error::Handshake`] for a
    /// request that cannot be a WebSocket one.
    fn into_client_request(self) -> Result<ClientRequest, Error>;
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        let uri: http::Uri = self
            .parse()
            .map_err(|e| Error::InvalidUrl(format!("{self}: {e}")))?;
        ClientRequest::from_uri(&uri)
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for &http::Uri {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        ClientRequest::from_uri(self)
    }
}

impl IntoClientRequest for http::Uri {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        ClientRequest::from_uri(&self)
    }
}

impl IntoClientRequest for http::Request<()> {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        ClientRequest::try_from(self)
    }
}

impl IntoClientRequest for ClientRequest {
    fn into_client_request(self) -> Result<ClientRequest, Error> {
        Ok(self)
    }
}

/// The name of the first extension in a `Sec-WebSocket-Extensions` value
/// (§9.1: `name; param=value, ...`), or the whole value if it has none.
fn extension_name(value: &[u8]) -> String {
    let name = list_items(value)
        .next()
        .and_then(|first| first.split(|&b| b == b';').next())
        .map(super::trim_ows)
        .filter(|name| !name.is_empty())
        .unwrap_or(value);
    String::from_utf8_lossy(name).into_owned()
}

/// Appends `s`, with every byte that may not appear raw in a request line or
/// a field value (controls, space, DEL, non-ASCII) as `%XX`.
fn percent_encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if (0x21..=0x7e).contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_visible_ascii() {
        let mut out = String::new();
        percent_encode_into("/a b/\u{e9}?q=1\r\n", &mut out);
        assert_eq!(out, "/a%20b/%C3%A9?q=1%0D%0A");
    }

    #[test]
    fn resource_gets_a_leading_slash() {
        assert_eq!(ClientRequest::new("h", "").resource(), "/");
        assert_eq!(ClientRequest::new("h", "?x=1").resource(), "/?x=1");
        assert_eq!(ClientRequest::new("h", "/a").resource(), "/a");
    }

    #[test]
    fn extension_name_is_the_first_token() {
        assert_eq!(
            extension_name(b" permessage-deflate; client_max_window_bits, x"),
            "permessage-deflate"
        );
        assert_eq!(extension_name(b""), "");
        assert_eq!(extension_name(b" ; a"), " ; a");
    }
}
