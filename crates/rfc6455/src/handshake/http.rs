//! The opening handshake (RFC 6455 §4) in the `http` crate's types, for
//! servers and clients on hyper, axum or any stack that reads HTTP itself.
//!
//! Owns the conversions:
//! - server: an `http::Request` checked like the bytes of
//!   [`parse_request`](super::parse_request) ([`Request::from_http`],
//!   [`Request::from_parts`]), its 101 answer ([`Request::accept_http`]) and
//!   the refusal ([`reject_http`]) as `http::Response<()>`;
//! - client: [`ClientRequest`] to and from `http::Request<()>`
//!   ([`ClientRequest::to_http`], [`ClientRequest::from_uri`], `TryFrom`),
//!   the server's `http::Response` checked like
//!   [`ClientRequest::parse_response`] ([`ClientRequest::check_http_response`]),
//!   and the [`IntoClientRequest`](super::IntoClientRequest) impl for
//!   `http::Request<()>` and `http::Uri`, which lives beside the trait.
//!
//! Does not own the rules: every check runs the code the byte parsers run,
//! on the header fields the other stack parsed. Nor the limits
//! ([`Config::max_handshake_size`](crate::Config#structfield.max_handshake_size) and
//! `max_handshake_headers`): the stack that read the head enforces its own.

use super::client::ClientRequest;
use super::server::{
    check_extended_connect, check_request, reject_fields, reject_status, ConnectHead, Request,
    RequestHead,
};
use super::{list_items, trim_ows, ServerResponse, VERSION};
use crate::deflate::DeflateParams;
use crate::{Config, Error, HandshakeError};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

/// The fields of `headers` as httparse would have given them, so that the
/// checks of the byte parsers run on them unchanged.
fn fields(headers: &HeaderMap) -> Vec<httparse::Header<'_>> {
    headers
        .iter()
        .map(|(name, value)| httparse::Header {
            name: name.as_str(),
            value: value.as_bytes(),
        })
        .collect()
}

fn malformed(why: String) -> HandshakeError {
    HandshakeError::Malformed(why)
}

impl Request {
    /// Validates a client's opening handshake that another HTTP stack (hyper,
    /// axum...) parsed, with exactly the checks and errors of
    /// [`parse_request`](super::parse_request) (RFC 6455 §4.2.1): on `Err`,
    /// answer with [`reject_http`]. The body is not looked at; a request that
    /// announces one (`Transfer-Encoding`, `Content-Length` other than 0) is
    /// [`Malformed`](HandshakeError::Malformed), as on the wire.
    ///
    /// [`Request::resource`] is the request's URI as the stack gives it:
    /// path and query for the usual origin form.
    ///
    /// Only HTTP/1.1 upgrades are WebSocket handshakes here: HTTP/2's
    /// extended CONNECT (RFC 8441) fails as
    /// [`MethodNotGet`](HandshakeError::MethodNotGet); check it with
    /// [`Request::from_extended_connect`].
    ///
    /// ```
    /// use rfc6455::handshake::Request;
    /// use rfc6455::HandshakeError;
    ///
    /// let request = http::Request::get("/chat")
    ///     .header("Host", "server.example.com")
    ///     .header("Upgrade", "websocket")
    ///     .header("Connection", "Upgrade")
    ///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    ///     .header("Sec-WebSocket-Version", "13")
    ///     .body(())?;
    /// let checked = Request::from_http(&request)?;
    /// assert_eq!(checked.resource, "/chat");
    ///
    /// let plain = http::Request::get("/").header("Host", "h").body(())?;
    /// assert_eq!(Request::from_http(&plain), Err(HandshakeError::MissingUpgrade));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_http<B>(request: &http::Request<B>) -> Result<Request, HandshakeError> {
        check_http(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
        )
    }

    /// Validates a WebSocket's extended CONNECT, the opening handshake over
    /// HTTP/2 (RFC 8441 §4, §5) or HTTP/3 (RFC 9220 §3), as the HTTP stack
    /// decoded it: `protocol` is the `:protocol` pseudo-header field, which
    /// the `http` types do not carry (hyper gives it as the request
    /// extension `hyper::ext::Protocol`, h2 as `h2::ext::Protocol`). On
    /// `Err`, answer with [`reject_http`]: 400 saying what is missing, 501
    /// for another `:protocol`, 426 for another version.
    ///
    /// [`Request::resource`] is `:path` (path and query), [`Request::host`]
    /// `:authority`, and [`Request::key`] empty: there is no
    /// `Sec-WebSocket-Key` over HTTP/2. [`Request::accept_http`] answers it
    /// with a 200 (§5).
    ///
    /// ```
    /// use rfc6455::handshake::Request;
    /// use rfc6455::{Config, HandshakeError};
    ///
    /// let request = http::Request::connect("https://server.example.com/chat")
    ///     .version(http::Version::HTTP_2)
    ///     .header("Sec-WebSocket-Version", "13")
    ///     .header("Sec-WebSocket-Protocol", "chat")
    ///     .body(())?;
    /// let checked = Request::from_extended_connect(&request, Some("websocket"))?;
    /// assert_eq!((checked.resource.as_str(), checked.host.as_str()), ("/chat", "server.example.com"));
    /// let (response, _) = checked.accept_http(Some("chat"), &Config::default())?;
    /// assert_eq!(response.status(), http::StatusCode::OK);
    /// assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    ///
    /// let other = Request::from_extended_connect(&request, Some("webtransport"));
    /// assert_eq!(other.unwrap_err().status(), 501);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_extended_connect<B>(
        request: &http::Request<B>,
        protocol: Option<&str>,
    ) -> Result<Request, HandshakeError> {
        check_http_connect(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            protocol,
        )
    }

    /// [`Request::from_extended_connect`] for the head alone, as
    /// `http::Request::into_parts` gives it (the axum extractor's).
    pub fn from_extended_connect_parts(
        parts: &http::request::Parts,
        protocol: Option<&str>,
    ) -> Result<Request, HandshakeError> {
        check_http_connect(
            &parts.method,
            parts.version,
            &parts.uri,
            &parts.headers,
            protocol,
        )
    }

    /// [`Request::from_http`] for the head alone, as
    /// `http::Request::into_parts` gives it.
    pub fn from_parts(parts: &http::request::Parts) -> Result<Request, HandshakeError> {
        check_http(&parts.method, parts.version, &parts.uri, &parts.headers)
    }

    /// The server's opening handshake accepting this request, as an
    /// `http::Response<()>` (RFC 6455 §4.2.2 item 5): status 101, the fields
    /// of [`Request::accept`] (for an extended CONNECT over HTTP/2 or
    /// HTTP/3, [`Request::from_extended_connect`]: status 200 and no
    /// `Upgrade`, `Connection` or `Sec-WebSocket-Accept`, RFC 8441 §5), and, if `config.deflate` is set and the client
    /// offered permessage-deflate acceptably (RFC 7692 §5), its agreement in
    /// `Sec-WebSocket-Extensions`. Returns the negotiated parameters beside
    /// it: build the connection with
    /// [`WebSocket::from_raw_with_deflate`](crate::WebSocket::from_raw_with_deflate)
    /// and them, and the same `config`, once the stack has switched
    /// protocols.
    ///
    /// `protocol` must be one of [`Request::protocols`] (§4.2.2 item 4):
    /// otherwise the error is [`HandshakeError::UnofferedSubprotocol`].
    /// More fields (`Set-Cookie`...) can be added to the response's headers.
    ///
    /// ```
    /// # use rfc6455::handshake::Request;
    /// use rfc6455::deflate::DeflateConfig;
    /// use rfc6455::Config;
    /// # let request = http::Request::get("/chat").header("Host", "server.example.com")
    /// #     .header("Upgrade", "websocket").header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    /// #     .header("Sec-WebSocket-Version", "13")
    /// #     .header("Sec-WebSocket-Protocol", "chat, superchat")
    /// #     .header("Sec-WebSocket-Extensions", "permessage-deflate").body(())?;
    /// let config = Config::default().deflate(DeflateConfig::default());
    /// let checked = Request::from_http(&request)?;
    /// let (response, deflate) = checked.accept_http(Some("chat"), &config)?;
    /// assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
    /// assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /// assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    /// assert!(deflate.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept_http(
        &self,
        protocol: Option<&str>,
        config: &Config,
    ) -> Result<(http::Response<()>, Option<DeflateParams>), HandshakeError> {
        let deflate = config
            .deflate
            .as_ref()
            .and_then(|settings| self.negotiate_deflate(settings));
        let mut response = http::Response::new(());
        *response.status_mut() = if self.key.is_empty() {
            // An extended CONNECT (RFC 8441 §5).
            StatusCode::OK
        } else {
            StatusCode::SWITCHING_PROTOCOLS
        };
        for (name, value) in self.accept_fields(protocol, deflate.as_ref())? {
            // Tokens, base64 and extension parameters: visible ASCII.
            let value = HeaderValue::try_from(value)
                .map_err(|e| malformed(format!("value of {name}: {e}")))?;
            response.headers_mut().append(name, value);
        }
        Ok((response, deflate))
    }
}

/// The head of an `http::Request`, checked by the byte parser's rules.
fn check_http(
    method: &Method,
    version: Version,
    uri: &http::Uri,
    headers: &HeaderMap,
) -> Result<Request, HandshakeError> {
    let resource = uri.to_string();
    let fields = fields(headers);
    check_request(&RequestHead {
        method: method.as_str(),
        http11: version == Version::HTTP_11,
        resource: &resource,
        headers: &fields,
    })
}

/// Appends a request's fields to `headers`. Names are tokens and values
/// free of controls (checked when added), so this only fails on what the
/// `http` crate refuses.
fn append_fields(
    headers: &mut HeaderMap,
    fields: Vec<(&str, String)>,
) -> Result<(), HandshakeError> {
    for (name, value) in fields {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| malformed(format!("header {name}: {e}")))?;
        let value = HeaderValue::try_from(value)
            .map_err(|e| malformed(format!("value of header {name}: {e}")))?;
        headers.append(name, value);
    }
    Ok(())
}

/// The head of an extended CONNECT, checked by
/// [`check_extended_connect`]. `:authority` is the URI's, or else `Host`
/// (RFC 9113 §8.3.1 lets a client convey it either way).
fn check_http_connect(
    method: &Method,
    version: Version,
    uri: &http::Uri,
    headers: &HeaderMap,
    protocol: Option<&str>,
) -> Result<Request, HandshakeError> {
    if !matches!(version, Version::HTTP_2 | Version::HTTP_3) {
        return Err(HandshakeError::NotExtendedConnect(
            "extended CONNECT is HTTP/2 or HTTP/3",
        ));
    }
    let host = || {
        let mut hosts = headers.get_all(http::header::HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(host), None) => host.to_str().ok(),
            _ => None,
        }
    };
    let fields = fields(headers);
    check_extended_connect(&ConnectHead {
        method: method.as_str(),
        protocol,
        scheme: uri.scheme_str(),
        authority: uri
            .authority()
            .map(http::uri::Authority::as_str)
            .or_else(host),
        path: uri.path_and_query().map(http::uri::PathAndQuery::as_str),
        headers: &fields,
    })
}

/// The response that refuses a handshake failing with `error`, as an
/// `http::Response<()>`: the status and fields of
/// [`reject_response`](super::reject_response) (RFC 6455 §4.2.1, §4.2.2
/// items 2–4; a 426 names `Sec-WebSocket-Version: 13`, §4.4), without
/// `Content-Length`, which the stack writes for the body you give it: the
/// error's `Display`, as `reject_response` sends, is a good one.
///
/// ```
/// use rfc6455::handshake::reject_http;
/// use rfc6455::HandshakeError;
///
/// let error = HandshakeError::UnsupportedVersion;
/// let response = reject_http(&error).map(|()| error.to_string());
/// assert_eq!(response.status(), http::StatusCode::UPGRADE_REQUIRED);
/// assert_eq!(response.headers()["sec-websocket-version"], "13");
/// assert_eq!(response.body(), "Sec-WebSocket-Version missing or not 13");
/// ```
#[must_use]
pub fn reject_http(error: &HandshakeError) -> http::Response<()> {
    let status = reject_status(error);
    let mut response = http::Response::new(());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reject_fields(status) {
        response
            .headers_mut()
            .append(name, HeaderValue::from_static(value));
    }
    response
}

impl ClientRequest {
    /// A request for a `ws://` or `wss://` URI (RFC 6455 §3): `Host` is the
    /// URI's host, with the port unless it is the scheme's default (80, 443);
    /// the resource is its path and query, `/` if empty. Fails with
    /// [`Error::InvalidUrl`] for another scheme, no host, or user info.
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    ///
    /// let request = ClientRequest::from_uri(&"wss://example.com:443/chat?x=1".parse()?)?;
    /// assert_eq!((request.host(), request.resource()), ("example.com", "/chat?x=1"));
    /// assert!(request.is_tls());
    /// assert!(ClientRequest::from_uri(&"http://example.com/".parse()?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_uri(uri: &http::Uri) -> Result<ClientRequest, Error> {
        let invalid = |why: &str| Error::InvalidUrl(format!("{uri}: {why}"));
        // RFC 6455 §3: the default ports are 80 and 443.
        let (tls, default_port) = match uri.scheme_str() {
            Some("ws") => (false, 80),
            Some("wss") => (true, 443),
            _ => return Err(invalid("scheme must be ws:// or wss://")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        // `ws://:` and `ws://:80/` have an authority with an empty host,
        // which would send an empty `Host` field (§4.1 item 4 needs one).
        if authority.host().is_empty() {
            return Err(invalid("no host"));
        }
        if authority.as_str().contains('@') {
            return Err(invalid("user info is not supported"));
        }
        if authority.port().is_none() && authority.as_str().len() > authority.host().len() + 1 {
            return Err(invalid("the port is not a number from 0 to 65535"));
        }
        let host = match authority.port_u16() {
            Some(port) if port != default_port => format!("{}:{port}", authority.host()),
            _ => authority.host().to_owned(),
        };
        let resource = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = ClientRequest::new(&host, resource);
        request.tls = tls;
        Ok(request)
    }

    /// This request as an `http::Request<()>`: `GET`, HTTP/1.1, the URI
    /// `ws://` (or `wss://`, see [`is_tls`](Self::is_tls)) + `Host` +
    /// resource, and the fields [`encode`](Self::encode) writes, in order.
    ///
    /// Fails with [`HandshakeError::Malformed`] if the host and resource make
    /// no URI the `http` crate takes (a resource holding `#`, a host holding
    /// `/`...).
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    ///
    /// let request = ClientRequest::new("example.com", "/chat").with_protocols(["chat"]);
    /// let http = request.to_http()?;
    /// assert_eq!(http.uri(), "ws://example.com/chat");
    /// assert_eq!(http.headers()["sec-websocket-key"], request.key());
    /// assert_eq!(http.headers()["sec-websocket-protocol"], "chat");
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn to_http(&self) -> Result<http::Request<()>, HandshakeError> {
        let mut request = http::Request::get(self.uri(if self.tls { "wss" } else { "ws" })?)
            .body(())
            .map_err(|e| malformed(e.to_string()))?;
        append_fields(request.headers_mut(), self.fields())?;
        Ok(request)
    }

    /// This request as an extended CONNECT (RFC 8441 §4 over HTTP/2, RFC
    /// 9220 §3 over HTTP/3): `CONNECT`, version HTTP/2, the URI `http://`
    /// (or `https://` for `wss://`) + host + resource (the stack makes
    /// `:scheme`, `:authority` and `:path` of it), and
    /// `Sec-WebSocket-Version`, the subprotocols, the extensions and the
    /// extra fields; no `Host`, `Upgrade`, `Connection` or
    /// `Sec-WebSocket-Key` (§5). The `:protocol` pseudo-header field is
    /// not in the `http` types: the stack adds it (h2's
    /// `ext::Protocol::from_static("websocket")`, as
    /// [`http2::Http2Client`](crate::http2::Http2Client) does).
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    ///
    /// let request = ClientRequest::new("example.com", "/chat").with_protocols(["chat"]);
    /// let connect = request.to_extended_connect()?;
    /// assert_eq!(connect.method(), http::Method::CONNECT);
    /// assert_eq!(connect.uri(), "http://example.com/chat");
    /// assert_eq!(connect.headers()["sec-websocket-version"], "13");
    /// assert!(connect.headers().get("sec-websocket-key").is_none());
    /// # Ok::<(), rfc6455::HandshakeError>(())
    /// ```
    pub fn to_extended_connect(&self) -> Result<http::Request<()>, HandshakeError> {
        let mut request =
            http::Request::connect(self.uri(if self.tls { "https" } else { "http" })?)
                .version(Version::HTTP_2)
                .body(())
                .map_err(|e| malformed(e.to_string()))?;
        append_fields(request.headers_mut(), self.websocket_fields())?;
        Ok(request)
    }

    /// The URI `scheme://host/resource`, if one holds this host and this
    /// resource as they are: the `http` crate reads a `#` as the start of
    /// a fragment and drops it, so `exam#ple.com` would become the host
    /// `exam`, and `/a#b` the resource `/a`.
    fn uri(&self, scheme: &str) -> Result<http::Uri, HandshakeError> {
        let text = format!("{scheme}://{}{}", self.host, self.resource);
        let uri =
            http::Uri::try_from(text.as_str()).map_err(|e| malformed(format!("{text}: {e}")))?;
        let authority = uri.authority().map(http::uri::Authority::as_str);
        if authority != Some(self.host.as_str()) {
            return Err(malformed(format!("{text}: no URI holds this host")));
        }
        let kept = uri.path_and_query().map(http::uri::PathAndQuery::as_str);
        if kept != Some(self.resource.as_str()) {
            return Err(malformed(format!("{text}: no URI holds this resource")));
        }
        Ok(uri)
    }

    /// Validates the server's answer to [`to_extended_connect`](Self::to_extended_connect)
    /// (RFC 8441 §5): a 2xx, and the subprotocol and extensions as
    /// [`check_http_response`](Self::check_http_response) checks them.
    /// Another status is [`HandshakeError::UnexpectedStatus`].
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    ///
    /// let request = ClientRequest::new("example.com", "/chat").with_protocols(["chat"]);
    /// let ok = http::Response::builder().status(200).header("Sec-WebSocket-Protocol", "chat").body(())?;
    /// assert_eq!(request.check_extended_connect_response(&ok)?.protocol.as_deref(), Some("chat"));
    /// let refused = http::Response::builder().status(501).body(())?;
    /// assert!(request.check_extended_connect_response(&refused).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_extended_connect_response<B>(
        &self,
        response: &http::Response<B>,
    ) -> Result<ServerResponse, HandshakeError> {
        let fields = fields(response.headers());
        self.check_connect_response(response.status().as_u16(), &fields)
    }

    /// Validates the server's answer that another HTTP stack parsed, with
    /// exactly the checks and errors of
    /// [`parse_response`](Self::parse_response) (RFC 6455 §4.1).
    ///
    /// ```
    /// use rfc6455::handshake::ClientRequest;
    ///
    /// let request = ClientRequest::new("server.example.com", "/chat")
    ///     .with_key("dGhlIHNhbXBsZSBub25jZQ==")?;
    /// let response = http::Response::builder()
    ///     .status(101)
    ///     .header("Upgrade", "websocket")
    ///     .header("Connection", "Upgrade")
    ///     .header("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    ///     .body(())?;
    /// let checked = request.check_http_response(&response)?;
    /// assert_eq!(checked.protocol, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_http_response<B>(
        &self,
        response: &http::Response<B>,
    ) -> Result<ServerResponse, HandshakeError> {
        let fields = fields(response.headers());
        self.check_response(
            response.status().as_u16(),
            response.version() == Version::HTTP_11,
            &fields,
        )
    }
}

/// The client's handshake from an `http::Request<()>`: its URI as in
/// [`ClientRequest::from_uri`], its fields kept as extra fields
/// (`Origin`, `Authorization`, `Cookie`...), with these exceptions:
///
/// - `Sec-WebSocket-Protocol`: the offered subprotocols, tokens, none twice;
/// - `Sec-WebSocket-Key`: used instead of a random one (for tests only,
///   see [`ClientRequest::with_key`]);
/// - `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Version`: the
///   handshake writes them, so they must agree with it (the URI's
///   authority; the token `websocket`; the token `upgrade`; `13`);
/// - `Sec-WebSocket-Extensions` is refused: permessage-deflate is offered
///   through [`Config::deflate`](crate::Config#structfield.deflate) (or
///   [`ClientRequest::with_deflate`]);
/// - a body (`Transfer-Encoding`, `Content-Length` other than 0) is refused.
///
/// A method other than `GET`, a version other than HTTP/1.1, or a field
/// value that is not UTF-8 is an error too. Errors are
/// [`Error::InvalidUrl`] for the URI, [`Error::Handshake`] otherwise.
///
/// ```
/// use rfc6455::handshake::ClientRequest;
///
/// let request = http::Request::get("ws://example.com/chat")
///     .header("Sec-WebSocket-Protocol", "chat.v2, chat.v1")
///     .header("Authorization", "Bearer token")
///     .body(())?;
/// let request = ClientRequest::try_from(request)?;
/// assert_eq!(request.protocols(), ["chat.v2", "chat.v1"]);
///
/// let post = http::Request::post("ws://example.com/").body(())?;
/// assert!(ClientRequest::try_from(post).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<http::Request<()>> for ClientRequest {
    type Error = Error;

    fn try_from(request: http::Request<()>) -> Result<Self, Error> {
        let (parts, ()) = request.into_parts();
        if parts.method != Method::GET {
            return Err(HandshakeError::MethodNotGet.into());
        }
        if parts.version != Version::HTTP_11 {
            return Err(HandshakeError::HttpVersion.into());
        }
        let mut client = ClientRequest::from_uri(&parts.uri)?;
        let mut protocols = Vec::new();
        for (name, value) in &parts.headers {
            let text = std::str::from_utf8(value.as_bytes())
                .map_err(|_| malformed(format!("value of header {name} is not UTF-8")))?;
            let trimmed = std::str::from_utf8(trim_ows(text.as_bytes())).unwrap_or(text);
            let has = |token: &str| {
                list_items(text.as_bytes()).any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
            };
            let disagrees = || {
                malformed(format!(
                    "header {name}: {text:?} disagrees with the handshake"
                ))
            };
            match name.as_str() {
                "host" if trimmed.eq_ignore_ascii_case(&client.host) => {}
                "upgrade" if has("websocket") => {}
                "connection" if has("upgrade") => {}
                "sec-websocket-version" if trimmed == VERSION => {}
                "host" | "upgrade" | "connection" => return Err(disagrees().into()),
                "sec-websocket-version" => return Err(HandshakeError::UnsupportedVersion.into()),
                "sec-websocket-key" => client = client.with_key(trimmed)?,
                "sec-websocket-protocol" => protocols.extend(
                    list_items(text.as_bytes()).map(|p| String::from_utf8_lossy(p).into_owned()),
                ),
                "sec-websocket-extensions" => return Err(malformed(
                    "offer permessage-deflate with Config::deflate, not Sec-WebSocket-Extensions"
                        .to_owned(),
                )
                .into()),
                "content-length" if trimmed == "0" => {}
                "content-length" | "transfer-encoding" => {
                    return Err(
                        malformed("a WebSocket handshake request has no body".to_owned()).into(),
                    )
                }
                _ => client = client.try_with_header(name.as_str(), text)?,
            }
        }
        Ok(client.try_with_protocols(protocols)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::DeflateConfig;
    use crate::handshake::{parse_request, reject_response, IntoClientRequest};

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    /// `head` (a request head on the wire) as the `http::Request` another
    /// stack would make of it.
    fn to_http_request(head: &[u8]) -> http::Request<()> {
        let mut storage = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Request::new(&mut storage);
        assert!(parsed.parse(head).unwrap().is_complete());
        let version = match parsed.version {
            Some(1) => Version::HTTP_11,
            _ => Version::HTTP_10,
        };
        let mut request = http::Request::builder()
            .method(parsed.method.unwrap())
            .uri(parsed.path.unwrap())
            .version(version);
        for header in parsed.headers.iter() {
            request = request.header(header.name, header.value);
        }
        request.body(()).unwrap()
    }

    fn head(request_line: &str, fields: &[&str]) -> Vec<u8> {
        let mut out = format!("{request_line}\r\n");
        for field in fields {
            out.push_str(field);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    #[test]
    fn from_http_agrees_with_parse_request() {
        let valid = [
            "Host: example.com",
            "Upgrade: websocket",
            "Connection: keep-alive, Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: chat, superchat",
            "Origin: http://example.com",
        ];
        let mut heads = vec![
            head("GET /chat?x=1 HTTP/1.1", &valid),
            head("POST /chat HTTP/1.1", &valid),
            head("GET /chat HTTP/1.0", &valid),
        ];
        // Each field left out in turn, then each replaced by a wrong value.
        for skip in 0..valid.len() {
            let mut fields = valid.to_vec();
            fields.remove(skip);
            heads.push(head("GET / HTTP/1.1", &fields));
        }
        let wrong = [
            "Host: a\r\nHost: b",
            "Upgrade: h2c",
            "Connection: close",
            "Sec-WebSocket-Key: c2hvcnQ=",
            "Sec-WebSocket-Version: 8",
            "Sec-WebSocket-Protocol: a b",
            "Origin: a\r\nOrigin: b",
        ];
        for (i, field) in wrong.iter().enumerate() {
            let mut fields = valid.to_vec();
            fields[i] = field;
            heads.push(head("GET / HTTP/1.1", &fields));
        }
        for extra in [
            "Content-Length: 5",
            "Transfer-Encoding: chunked",
            "Content-Length: 0",
        ] {
            let mut fields = valid.to_vec();
            fields.push(extra);
            heads.push(head("GET / HTTP/1.1", &fields));
        }
        for wire in heads {
            let bytes = parse_request(&wire, &Config::default()).map(|r| r.unwrap().0);
            let request = to_http_request(&wire);
            let from_http = Request::from_http(&request);
            let text = String::from_utf8_lossy(&wire);
            match (&bytes, &from_http) {
                // Names differ in case only: the http crate lowercases them.
                (Ok(a), Ok(b)) => {
                    assert_eq!(
                        (&a.resource, &a.host, &a.key),
                        (&b.resource, &b.host, &b.key)
                    );
                    assert_eq!((&a.protocols, &a.origin), (&b.protocols, &b.origin));
                    assert_eq!(a.headers.len(), b.headers.len(), "{text}");
                }
                _ => assert_eq!(bytes, from_http, "{text}"),
            }
            let (parts, ()) = request.into_parts();
            assert_eq!(from_http, Request::from_parts(&parts), "{text}");
        }
    }

    fn valid_request() -> http::Request<()> {
        http::Request::get("/chat")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", KEY)
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Protocol", "chat, superchat")
            .header(
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_max_window_bits",
            )
            .body(())
            .unwrap()
    }

    /// The fields of a head on the wire, names lowercased, in order.
    fn wire_fields(wire: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8(wire.to_vec()).unwrap();
        let (head, _) = text.split_once("\r\n\r\n").unwrap();
        head.lines()
            .skip(1)
            .map(|line| {
                let (name, value) = line.split_once(": ").unwrap();
                (name.to_ascii_lowercase(), value.to_owned())
            })
            .collect()
    }

    /// The fields of an `http` head, in order.
    fn http_fields(headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn accept_http_has_the_fields_of_accept() {
        let request = Request::from_http(&valid_request()).unwrap();
        for deflate in [None, Some(DeflateConfig::default())] {
            let config = Config {
                deflate: deflate.clone(),
                ..Config::default()
            };
            let (response, params) = request.accept_http(Some("chat"), &config).unwrap();
            assert_eq!(params.is_some(), deflate.is_some());
            let mut bytes = Vec::new();
            request
                .accept_with_deflate(Some("chat"), params.as_ref(), &mut bytes)
                .unwrap();
            assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
            assert_eq!(http_fields(response.headers()), wire_fields(&bytes));
        }
        assert_eq!(
            request.accept_http(Some("mqtt"), &Config::default()).err(),
            Some(HandshakeError::UnofferedSubprotocol("mqtt".to_owned()))
        );
    }

    #[test]
    fn reject_http_has_the_status_and_fields_of_reject_response() {
        for error in [
            HandshakeError::MissingUpgrade,
            HandshakeError::UnsupportedVersion,
            HandshakeError::TooLarge {
                what: crate::HandshakeLimit::Bytes,
                max: 1,
            },
            HandshakeError::Rejected(403),
            HandshakeError::Rejected(200),
        ] {
            let response = reject_http(&error).map(|()| error.to_string());
            let mut bytes = Vec::new();
            reject_response(&error, &mut bytes);
            let bytes = String::from_utf8(bytes).unwrap();
            let (head, body) = bytes.split_once("\r\n\r\n").unwrap();
            let status = format!("HTTP/1.1 {} ", response.status().as_u16());
            assert!(head.starts_with(&status), "{head}");
            for (name, value) in response.headers() {
                let line = format!("\r\n{name}: {}", value.to_str().unwrap());
                assert!(
                    head.to_ascii_lowercase()
                        .contains(&line.to_ascii_lowercase()),
                    "{head}"
                );
            }
            assert_eq!(head.lines().count(), response.headers().len() + 2, "{head}");
            assert_eq!(response.body(), body);
        }
    }

    #[test]
    fn client_request_round_trips_through_http() {
        let request = ClientRequest::new("example.com:8080", "/chat?room=1")
            .with_key(KEY)
            .unwrap()
            .with_protocols(["chat.v2", "chat.v1"])
            .with_header("authorization", "Bearer t")
            .with_header("cookie", "a=1");
        let http = request.to_http().unwrap();
        assert_eq!(http.method(), Method::GET);
        assert_eq!(http.uri(), "ws://example.com:8080/chat?room=1");
        let back = ClientRequest::try_from(http).unwrap();
        assert_eq!(back, request);

        let mut tls = ClientRequest::from_uri(&"wss://example.com/".parse().unwrap()).unwrap();
        tls = tls.with_key(KEY).unwrap();
        let http = tls.to_http().unwrap();
        assert_eq!(http.uri(), "wss://example.com/");
        assert_eq!(ClientRequest::try_from(http).unwrap(), tls);
    }

    #[test]
    fn to_http_writes_the_fields_of_encode() {
        let request = ClientRequest::new("h", "/")
            .with_protocols(["chat"])
            .with_deflate(DeflateConfig::default())
            .with_header("Origin", "http://h");
        let mut wire = Vec::new();
        request.encode(&mut wire);
        let http = request.to_http().unwrap();
        assert_eq!(http_fields(http.headers()), wire_fields(&wire));
    }

    #[test]
    fn to_http_refuses_what_the_uri_cannot_hold() {
        assert!(matches!(
            ClientRequest::new("h", "/a#b").to_http(),
            Err(HandshakeError::Malformed(_))
        ));
        assert!(matches!(
            ClientRequest::new("h/x", "/").to_http(),
            Err(HandshakeError::Malformed(_))
        ));
        // A `#` in the host would make the URI's host a prefix of it
        // (found by the extended_connect fuzz target).
        for request in [
            ClientRequest::new("exam#ple.com", "/"),
            ClientRequest::new("h", "/a#b"),
        ] {
            assert!(matches!(
                request.to_http(),
                Err(HandshakeError::Malformed(_))
            ));
            assert!(matches!(
                request.to_extended_connect(),
                Err(HandshakeError::Malformed(_))
            ));
        }
    }

    fn client_error(request: http::request::Builder) -> Error {
        ClientRequest::try_from(request.body(()).unwrap()).expect_err("not a WebSocket request")
    }

    /// RFC 8441 §4 and §5: what makes an extended CONNECT a WebSocket's.
    #[test]
    fn extended_connect_checks() {
        let connect = |uri: &str, fields: &[(&str, &str)]| {
            let mut request = http::Request::connect(uri).version(Version::HTTP_2);
            for (name, value) in fields {
                request = request.header(*name, *value);
            }
            request.body(()).unwrap()
        };
        let v13 = [("sec-websocket-version", "13")];
        let ok = connect("https://example.com/chat?room=1", &v13);
        let checked = Request::from_extended_connect(&ok, Some("websocket")).unwrap();
        assert_eq!(checked.resource, "/chat?room=1");
        assert_eq!(checked.host, "example.com");
        assert!(checked.key.is_empty());
        // The Upgrade token's case does not matter (RFC 6455 §4.2.1 item 3).
        assert!(Request::from_extended_connect(&ok, Some("WebSocket")).is_ok());
        // A 200, with none of HTTP/1.1's fields; never as HTTP/1.1 bytes.
        let (response, _) = checked.accept_http(None, &Config::default()).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().is_empty());
        assert!(checked.accept(None, &mut Vec::new()).is_err());

        let err = |request: &http::Request<()>, protocol| {
            Request::from_extended_connect(request, protocol).unwrap_err()
        };
        assert_eq!(
            err(&ok, None),
            HandshakeError::NotExtendedConnect("no :protocol")
        );
        assert_eq!(err(&ok, Some("webtransport")).status(), 501);
        let mut http11 = connect("https://example.com/", &v13);
        *http11.version_mut() = Version::HTTP_11;
        assert!(matches!(
            err(&http11, Some("websocket")),
            HandshakeError::NotExtendedConnect(_)
        ));
        let mut get = connect("https://example.com/", &v13);
        *get.method_mut() = Method::GET;
        assert!(matches!(
            err(&get, Some("websocket")),
            HandshakeError::NotExtendedConnect(_)
        ));
        let no_scheme = connect("/chat", &v13);
        assert_eq!(
            err(&no_scheme, Some("websocket")),
            HandshakeError::NotExtendedConnect("no :scheme")
        );
        for field in [
            "connection",
            "upgrade",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
        ] {
            let request = connect("https://example.com/", &[v13[0], (field, "x")]);
            assert!(
                matches!(
                    err(&request, Some("websocket")),
                    HandshakeError::NotExtendedConnect(_)
                ),
                "{field}"
            );
        }
        let trailers = connect("https://example.com/", &[v13[0], ("te", "trailers")]);
        assert!(Request::from_extended_connect(&trailers, Some("websocket")).is_ok());
        let gzip = connect("https://example.com/", &[v13[0], ("te", "gzip")]);
        assert!(matches!(
            err(&gzip, Some("websocket")),
            HandshakeError::NotExtendedConnect(_)
        ));
        let no_version = connect("https://example.com/", &[]);
        assert_eq!(
            err(&no_version, Some("websocket")),
            HandshakeError::UnsupportedVersion
        );
    }

    #[test]
    fn requests_that_cannot_be_websocket_are_errors() {
        let get = || http::Request::get("ws://example.com/");
        assert!(matches!(
            client_error(http::Request::post("ws://example.com/")),
            Error::Handshake(HandshakeError::MethodNotGet)
        ));
        assert!(matches!(
            client_error(get().version(Version::HTTP_10)),
            Error::Handshake(HandshakeError::HttpVersion)
        ));
        for uri in [
            "http://example.com/",
            "/chat",
            "ws://u:p@example.com/",
            "ws://h:70000/",
        ] {
            assert!(
                matches!(client_error(http::Request::get(uri)), Error::InvalidUrl(_)),
                "{uri}"
            );
        }
        for (name, value) in [
            ("Content-Length", "2"),
            ("Transfer-Encoding", "chunked"),
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
            ("Host", "other.example.com"),
            ("Upgrade", "h2c"),
            ("Connection", "close"),
            ("Sec-WebSocket-Protocol", "a b"),
            ("Sec-WebSocket-Accept", "x"),
        ] {
            let error = client_error(get().header(name, value));
            assert!(
                matches!(error, Error::Handshake(HandshakeError::Malformed(_))),
                "{name}: {error}"
            );
        }
        assert!(matches!(
            client_error(get().header("Sec-WebSocket-Version", "8")),
            Error::Handshake(HandshakeError::UnsupportedVersion)
        ));
        assert!(matches!(
            client_error(get().header("Sec-WebSocket-Key", "short")),
            Error::Handshake(HandshakeError::InvalidKey)
        ));
        let not_utf8 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(matches!(
            client_error(get().header("X-Name", not_utf8)),
            Error::Handshake(HandshakeError::Malformed(_))
        ));
    }

    #[test]
    fn fields_the_handshake_writes_may_agree_with_it() {
        let request = http::Request::get("ws://example.com:8080/")
            .header("Host", "EXAMPLE.com:8080")
            .header("Upgrade", "WebSocket")
            .header("Connection", "keep-alive, Upgrade")
            .header("Sec-WebSocket-Version", "13")
            .header("Content-Length", "0")
            .body(())
            .unwrap();
        let request = ClientRequest::try_from(request).unwrap();
        assert_eq!(request.host(), "example.com:8080");
        let mut wire = Vec::new();
        request.encode(&mut wire);
        let wire = String::from_utf8(wire).unwrap();
        assert_eq!(wire.matches("\r\nHost:").count(), 1, "{wire}");
        assert!(
            !wire.to_ascii_lowercase().contains("content-length"),
            "{wire}"
        );
    }

    #[test]
    fn check_http_response_agrees_with_parse_response() {
        let request = ClientRequest::new("h", "/")
            .with_key(KEY)
            .unwrap()
            .with_protocols(["chat"]);
        let accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
        let cases: [(&str, &[&str]); 6] = [
            (
                "HTTP/1.1 101 OK",
                &["Upgrade: websocket", "Connection: Upgrade", accept],
            ),
            (
                "HTTP/1.1 200 OK",
                &["Upgrade: websocket", "Connection: Upgrade", accept],
            ),
            ("HTTP/1.1 101 OK", &["Connection: Upgrade", accept]),
            (
                "HTTP/1.1 101 OK",
                &["Upgrade: websocket", "Connection: Upgrade"],
            ),
            (
                "HTTP/1.1 101 OK",
                &[
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    accept,
                    "Sec-WebSocket-Protocol: mqtt",
                ],
            ),
            (
                "HTTP/1.1 101 OK",
                &[
                    "Upgrade: websocket",
                    "Connection: Upgrade",
                    accept,
                    "Sec-WebSocket-Extensions: x",
                ],
            ),
        ];
        for (status_line, fields) in cases {
            let wire = head(status_line, fields);
            let bytes = request
                .parse_response(&wire, &Config::default())
                .map(|r| r.unwrap().0);
            let mut response = http::Response::builder().status(&status_line[9..12]);
            for field in fields {
                let (name, value) = field.split_once(": ").unwrap();
                response = response.header(name, value);
            }
            let checked = request.check_http_response(&response.body(()).unwrap());
            match (bytes, checked) {
                (Ok(a), Ok(b)) => assert_eq!((a.status, a.protocol), (b.status, b.protocol)),
                // Field names and the reason phrase differ in `http` types.
                (
                    Err(HandshakeError::UnexpectedStatus(a)),
                    Err(HandshakeError::UnexpectedStatus(b)),
                ) => assert_eq!(a.status, b.status),
                (a, b) => assert_eq!(a, b, "{status_line} {fields:?}"),
            }
        }
    }

    #[test]
    fn into_client_request_for_every_kind() {
        let url = "ws://example.com/chat";
        let uri: http::Uri = url.parse().unwrap();
        let from = |r: Result<ClientRequest, Error>| {
            let r = r.unwrap();
            (r.host().to_owned(), r.resource().to_owned(), r.is_tls())
        };
        let expected = ("example.com".to_owned(), "/chat".to_owned(), false);
        assert_eq!(from(url.into_client_request()), expected);
        assert_eq!(from(url.to_owned().into_client_request()), expected);
        assert_eq!(from((&url.to_owned()).into_client_request()), expected);
        assert_eq!(from((&uri).into_client_request()), expected);
        assert_eq!(from(uri.clone().into_client_request()), expected);
        let request = http::Request::get(uri).body(()).unwrap();
        assert_eq!(from(request.into_client_request()), expected);
        let client = ClientRequest::new("example.com", "/chat");
        assert_eq!(from(client.into_client_request()), expected);
        assert!(matches!(
            "no url".into_client_request(),
            Err(Error::InvalidUrl(_))
        ));
        // Found by the handshake_response fuzz target: an empty host.
        for url in ["ws://:", "ws://:80/", "wss://:443/chat"] {
            assert!(
                matches!(url.into_client_request(), Err(Error::InvalidUrl(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn from_uri_ports_and_paths() {
        let request = |url: &str| ClientRequest::from_uri(&url.parse().unwrap()).unwrap();
        assert_eq!(request("ws://example.com:80").host(), "example.com");
        assert_eq!(request("ws://example.com:443").host(), "example.com:443");
        assert_eq!(request("wss://example.com:80").host(), "example.com:80");
        assert_eq!(request("ws://[::1]:9001").host(), "[::1]:9001");
        assert_eq!(request("ws://example.com").resource(), "/");
        assert_eq!(request("ws://example.com?x=1").resource(), "/?x=1");
    }
}
