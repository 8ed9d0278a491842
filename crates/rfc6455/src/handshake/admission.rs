//! Admission: the server's own decision on a valid opening handshake
//! (RFC 6455 §4.2.2 items 2–4: origin, resource, subprotocol,
//! authentication), taken by an application hook that may `await`.
//!
//! Owns the hook type, [`Admission`], and its two answers: [`Accept`]
//! (a subprotocol, extra fields such as `Set-Cookie`, values for the
//! handler) and [`Refusal`] (a full HTTP/1.1 response: status, fields, a
//! short body). Both are written here, as bytes ([`Accept::encode`],
//! [`Refusal::encode`]) or as `http` types ([`Accept::to_http`],
//! [`Refusal::to_http`]), so that a [`Server`](crate::Server),
//! [`accept_with_admission`](crate::accept_with_admission) and a hyper or
//! axum handler send the same answers.
//!
//! Does not own sockets, timeouts or panics (the tokio layer runs the hook
//! under `Config::handshake_timeout` and catches its panics), nor the
//! checks of §4.2.1, which run before the hook sees a request.

use super::server::{reason_phrase, Request};
use super::{check_extra_header, list_items, put_header};
use crate::deflate::DeflateParams;
use crate::{Config, HandshakeError};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What an [`Admission`] hook answers: accept, or refuse with a response.
pub type Decision = Result<Accept, Refusal>;

/// The future an [`Admission`] hook returns, boxed.
pub type AdmissionFuture = Pin<Box<dyn Future<Output = Decision> + Send>>;

type Hook = dyn Fn(&http::request::Parts) -> AdmissionFuture + Send + Sync;

/// An application's hook that decides on every valid opening handshake
/// (RFC 6455 §4.2.2 items 2–4), and may `await` to do so (a token lookup,
/// a rate limiter). It sees the request head as `http::request::Parts`:
/// method, URI (path and query), headers (`Cookie`, `Authorization`,
/// `Origin`...), and in its extensions, when a [`Server`](crate::Server)
/// runs it, the peer's address (a `std::net::SocketAddr` for TCP and TLS,
/// a `tokio::net::unix::SocketAddr` for Unix sockets).
///
/// The same value serves a [`Server`](crate::Server)
/// ([`Server::admission`](crate::Server::admission)), a single stream
/// ([`accept_with_admission`](crate::accept_with_admission)), and a
/// handler on another HTTP stack ([`Admission::admit`], then
/// [`Accept::to_http`] or [`Refusal::to_http`]). Cheap to clone.
///
/// Clone what the future needs out of the request before the `async`
/// block: the future must own its data (`'static`).
///
/// ```
/// use rfc6455::handshake::{Accept, Admission, Refusal};
/// use std::time::Duration;
///
/// let admission = Admission::new(|request| {
///     let token = request
///         .headers
///         .get(http::header::AUTHORIZATION)
///         .and_then(|v| v.to_str().ok())
///         .map(str::to_owned);
///     async move {
///         // An `await` on a session store would go here.
///         match token.as_deref() {
///             Some("Bearer good") => Ok(Accept::new().header("Set-Cookie", "session=1; HttpOnly")),
///             Some("Bearer flood") => Err(Refusal::too_many_requests(Duration::from_secs(30))),
///             Some(_) => Err(Refusal::forbidden("unknown token")),
///             None => Err(Refusal::unauthorized("Bearer realm=\"chat\"")),
///         }
///     }
/// });
/// # let _ = admission;
/// ```
#[derive(Clone)]
pub struct Admission(Arc<Hook>);

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Admission(..)")
    }
}

impl Default for Admission {
    fn default() -> Self {
        Admission::accept_all()
    }
}

impl Admission {
    /// A hook from a function of the request head that returns a future.
    pub fn new<F, Fut>(hook: F) -> Admission
    where
        F: Fn(&http::request::Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        Admission(Arc::new(move |request: &http::request::Parts| {
            Box::pin(hook(request)) as AdmissionFuture
        }))
    }

    /// A hook that accepts every valid request, with no subprotocol.
    #[must_use]
    pub fn accept_all() -> Admission {
        Admission::new(|_| std::future::ready(Ok(Accept::new())))
    }

    /// A hook from a synchronous function: for decisions that need no
    /// `await` (an `Origin` allow-list, a route table).
    ///
    /// ```
    /// use rfc6455::handshake::{Accept, Admission, Refusal};
    /// let admission = Admission::sync(|request| match request.uri.path() {
    ///     "/chat" => Ok(Accept::new()),
    ///     _ => Err(Refusal::new(404).body("no such resource")),
    /// });
    /// # let _ = admission;
    /// ```
    pub fn sync<F>(hook: F) -> Admission
    where
        F: Fn(&http::request::Parts) -> Decision + Send + Sync + 'static,
    {
        Admission::new(move |request| std::future::ready(hook(request)))
    }

    /// Runs the hook on `request`. The future owns what it needs, so it
    /// can be spawned or bounded by a timeout.
    #[must_use]
    pub fn admit(&self, request: &http::request::Parts) -> AdmissionFuture {
        (self.0)(request)
    }
}

/// The subprotocols a client offered in `Sec-WebSocket-Protocol`, most
/// preferred first, gathered from every such field (RFC 6455 §4.2.1 item
/// 8): what an [`Admission`] hook picks [`Accept::protocol`] from. Items
/// that are not UTF-8 are skipped (the §4.2.1 checks refuse them anyway).
///
/// ```
/// use rfc6455::handshake::offered_protocols;
/// let mut headers = http::HeaderMap::new();
/// headers.append("sec-websocket-protocol", "chat.v2, chat.v1".parse()?);
/// assert_eq!(offered_protocols(&headers), ["chat.v2", "chat.v1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn offered_protocols(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|value| list_items(value.as_bytes()))
        .filter_map(|item| std::str::from_utf8(item).ok())
        .collect()
}

/// The first invalid name or value given to a builder, kept to be
/// reported when the answer is written (as `http`'s builders do).
#[derive(Debug, Clone, Default)]
struct Fields {
    map: HeaderMap,
    invalid: Option<String>,
}

/// A header name `http` can parse: `&str`, `String`, `HeaderName`...
/// (what `http::HeaderName::try_from` takes).
pub trait FieldName {
    /// The name, or why it is not one.
    fn into_name(self) -> Result<HeaderName, String>;
}

impl<K> FieldName for K
where
    HeaderName: TryFrom<K>,
    <HeaderName as TryFrom<K>>::Error: fmt::Display,
{
    fn into_name(self) -> Result<HeaderName, String> {
        HeaderName::try_from(self).map_err(|e| format!("invalid header name: {e}"))
    }
}

/// A header value `http` can parse: `&str`, `String`, `HeaderValue`...
/// (what `http::HeaderValue::try_from` takes). CR, LF and other control
/// characters but tab are refused.
pub trait FieldValue {
    /// The value, or why it is not one.
    fn into_value(self) -> Result<HeaderValue, String>;
}

impl<V> FieldValue for V
where
    HeaderValue: TryFrom<V>,
    <HeaderValue as TryFrom<V>>::Error: fmt::Display,
{
    fn into_value(self) -> Result<HeaderValue, String> {
        HeaderValue::try_from(self).map_err(|e| format!("invalid header value: {e}"))
    }
}

impl Fields {
    fn add(&mut self, name: impl FieldName, value: impl FieldValue) {
        if self.invalid.is_some() {
            return;
        }
        let (name, value) = match (name.into_name(), value.into_value()) {
            (Ok(name), Ok(value)) => (name, value),
            (Err(why), _) | (_, Err(why)) => return self.invalid = Some(why),
        };
        if self.map.len() >= MAX_FIELDS {
            return self.invalid = Some(format!("more than {MAX_FIELDS} header fields"));
        }
        self.map.append(name, value);
    }

    /// The fields as checked `(name, value)` strings, or the error that
    /// makes the answer a 500: an invalid name or value, one the
    /// handshake writes itself, or too many bytes in all.
    fn checked(&self) -> Result<Vec<(&str, &str)>, HandshakeError> {
        if let Some(why) = &self.invalid {
            return Err(HandshakeError::Malformed(why.clone()));
        }
        let mut fields = Vec::with_capacity(self.map.len());
        let mut total = 0;
        for (name, value) in &self.map {
            let value = value.to_str().map_err(|_| {
                HandshakeError::Malformed(format!("value of {name} is not visible ASCII"))
            })?;
            check_extra_header(name.as_str(), value)?;
            total += name.as_str().len() + value.len() + 4;
            if total > MAX_FIELD_BYTES {
                return Err(HandshakeError::Malformed(format!(
                    "extra header fields over {MAX_FIELD_BYTES} bytes"
                )));
            }
            fields.push((name.as_str(), value));
        }
        Ok(fields)
    }
}

/// At most this many extra fields in an answer.
const MAX_FIELDS: usize = 32;
/// At most this many bytes of extra fields in an answer.
const MAX_FIELD_BYTES: usize = 8 << 10;

/// An [`Admission`] hook's yes: the 101 answer (RFC 6455 §4.2.2 item 5)
/// with a subprotocol of the client's offer (§4.2.2 item 4, /subprotocol/),
/// extra header fields (`Set-Cookie`...), and values handed to the
/// connection's handler in its request's extensions (the user the token
/// named...). permessage-deflate is negotiated as usual beside them.
///
/// An invalid field, one the handshake writes itself (`Upgrade`,
/// `Sec-WebSocket-*`, `Content-Length`...), or a subprotocol the client
/// did not offer is the server's bug: the client gets
/// `500 Internal Server Error` and the accept fails with the reason.
///
/// ```
/// use rfc6455::handshake::Accept;
/// #[derive(Clone)]
/// struct User(String);
/// let accept = Accept::new()
///     .protocol("chat.v2")
///     .header("Set-Cookie", "session=7; Secure; HttpOnly")
///     .extension(User("ada".to_owned()));
/// assert_eq!(accept.selected_protocol(), Some("chat.v2"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Accept {
    protocol: Option<String>,
    fields: Fields,
    extensions: http::Extensions,
}

impl Accept {
    /// Accept, with no subprotocol and no extra field.
    #[must_use]
    pub fn new() -> Accept {
        Accept::default()
    }

    /// Selects `protocol`, which must be one the client offered
    /// ([`offered_protocols`]).
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Accept {
        self.protocol = Some(protocol.into());
        self
    }

    /// Selects `protocol` if `Some` (convenient with
    /// `offered_protocols(..).into_iter().find(..)`).
    #[must_use]
    pub fn maybe_protocol(mut self, protocol: Option<impl Into<String>>) -> Accept {
        self.protocol = protocol.map(Into::into);
        self
    }

    /// Adds a header field to the 101 answer, after the handshake's own.
    #[must_use]
    pub fn header(mut self, name: impl FieldName, value: impl FieldValue) -> Accept {
        self.fields.add(name, value);
        self
    }

    /// Hands `value` to the connection's handler, in the extensions of the
    /// request it gets (`Accepted::request.extensions`).
    #[must_use]
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Accept {
        self.extensions.insert(value);
        self
    }

    /// The subprotocol selected, if any.
    #[must_use]
    pub fn selected_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extra header fields.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.fields.map
    }

    /// Takes the values for the handler out.
    pub fn take_extensions(&mut self) -> http::Extensions {
        std::mem::take(&mut self.extensions)
    }

    /// Appends the 101 answer to `request` (RFC 6455 §4.2.2 item 5): the
    /// fields of [`Request::accept_with_deflate`] with `deflate` (from
    /// [`Request::negotiate_deflate`]), then the extra fields. Nothing is
    /// written on error (see the type's docs).
    pub fn encode(
        &self,
        request: &Request,
        deflate: Option<&DeflateParams>,
        out: &mut Vec<u8>,
    ) -> Result<(), HandshakeError> {
        let extra = self.fields.checked()?;
        request.respond(self.protocol.as_deref(), deflate, &extra, out)
    }

    /// The 101 answer as an `http::Response<()>`, for hyper, axum and
    /// other stacks: [`Request::accept_http`] (which negotiates
    /// permessage-deflate when `config.deflate` is set) with the extra
    /// fields added. Returns the negotiated parameters beside it, for
    /// [`WebSocket::from_raw_with_deflate`](crate::WebSocket::from_raw_with_deflate).
    pub fn to_http(
        &self,
        request: &Request,
        config: &Config,
    ) -> Result<(http::Response<()>, Option<DeflateParams>), HandshakeError> {
        self.fields.checked()?;
        let (mut response, deflate) = request.accept_http(self.protocol.as_deref(), config)?;
        for (name, value) in &self.fields.map {
            response.headers_mut().append(name, value.clone());
        }
        Ok((response, deflate))
    }
}

/// The most bytes of a refusal's body; a longer one is cut (on a
/// character boundary).
pub const MAX_REFUSAL_BODY: usize = 1024;

/// An [`Admission`] hook's no: a complete HTTP/1.1 response that refuses
/// the upgrade (RFC 6455 §4.2.2 items 2–4: "an appropriate HTTP error
/// code"), sent before the connection is closed.
///
/// It is always well-formed and bounded: a status from 300 to 599 (another
/// is sent as 500), `Connection: close`, `Content-Length`, `Content-Type:
/// text/plain; charset=utf-8` unless set, the extra fields (validated:
/// tokens, no control characters, not a field the response writes itself,
/// at most 32 and 8 KiB), and a body of at most [`MAX_REFUSAL_BODY`]
/// bytes. An invalid field turns the answer into a 500 and the error
/// names it.
///
/// ```
/// use rfc6455::handshake::Refusal;
/// use std::time::Duration;
///
/// let mut out = Vec::new();
/// Refusal::unauthorized("Bearer realm=\"chat\"").encode(&mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
/// assert!(text.contains("\r\nwww-authenticate: Bearer realm=\"chat\"\r\n"));
/// assert!(text.contains("\r\nConnection: close\r\n"));
///
/// let busy = Refusal::too_many_requests(Duration::from_secs(30));
/// assert_eq!(busy.status(), 429);
/// assert_eq!(busy.to_http().headers()["retry-after"], "30");
/// ```
#[derive(Debug, Clone)]
pub struct Refusal {
    status: u16,
    /// Boxed, as `error`: a `Result` with a refusal stays small.
    fields: Box<Fields>,
    body: String,
    /// Set for refusals made from a handshake error: the error to return.
    error: Option<Box<HandshakeError>>,
}

impl Refusal {
    /// A refusal with `status` and an empty body.
    #[must_use]
    pub fn new(status: u16) -> Refusal {
        Refusal {
            status,
            fields: Box::default(),
            body: String::new(),
            error: None,
        }
    }

    /// `401 Unauthorized` with `WWW-Authenticate: <challenge>` (RFC 9110
    /// §11.6.1, §15.5.2), e.g. `Bearer realm="chat"`.
    #[must_use]
    pub fn unauthorized(challenge: &str) -> Refusal {
        Refusal::new(401)
            .header(http::header::WWW_AUTHENTICATE, challenge)
            .body("authentication required")
    }

    /// `403 Forbidden` saying why (a refused `Origin`, RFC 6455 §10.2; a
    /// user without access).
    #[must_use]
    pub fn forbidden(reason: &str) -> Refusal {
        Refusal::new(403).body(reason)
    }

    /// `429 Too Many Requests` with `Retry-After` in whole seconds (RFC
    /// 6585 §4, RFC 9110 §10.2.3).
    #[must_use]
    pub fn too_many_requests(retry_after: std::time::Duration) -> Refusal {
        Refusal::new(429)
            .header(http::header::RETRY_AFTER, retry_after.as_secs().to_string())
            .body("too many requests")
    }

    /// The refusal of a handshake that failed with `error`: what
    /// [`reject_response`](super::reject_response) writes (a 426 names
    /// `Sec-WebSocket-Version: 13`, §4.4); the error is returned as it is.
    #[must_use]
    pub fn from_error(error: HandshakeError) -> Refusal {
        let mut refusal =
            Refusal::new(super::server::reject_status(&error)).body(error.to_string());
        refusal.error = Some(Box::new(error));
        refusal
    }

    /// Adds a header field.
    #[must_use]
    pub fn header(mut self, name: impl FieldName, value: impl FieldValue) -> Refusal {
        self.fields.add(name, value);
        self
    }

    /// Sets the body, cut to [`MAX_REFUSAL_BODY`] bytes.
    #[must_use]
    pub fn body(mut self, text: impl Into<String>) -> Refusal {
        let mut text = text.into();
        if text.len() > MAX_REFUSAL_BODY {
            let mut end = MAX_REFUSAL_BODY;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        self.body = text;
        self
    }

    /// The status sent: the one given if from 300 to 599, 500 otherwise or
    /// when a field is invalid.
    #[must_use]
    pub fn status(&self) -> u16 {
        match (self.status, self.fields.checked()) {
            (status @ 300..=599, Ok(_)) => status,
            _ => 500,
        }
    }

    /// The body sent.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.body
    }

    /// The error a server returns for this refusal:
    /// [`HandshakeError::Refused`] with the status and body, or with 500
    /// and the invalid field that made it one; or the error it was made
    /// from ([`Refusal::from_error`]).
    #[must_use]
    pub fn to_error(&self) -> HandshakeError {
        if let Err(invalid) = self.fields.checked() {
            return HandshakeError::Refused {
                status: 500,
                reason: format!("invalid refusal: {invalid}"),
            };
        }
        if let Some(error) = &self.error {
            return (**error).clone();
        }
        HandshakeError::Refused {
            status: self.status(),
            reason: self.body.clone(),
        }
    }

    /// The fields after the status line, `Content-Length` last; an invalid
    /// set of extra fields is replaced by none.
    fn fields(&self) -> (u16, Vec<(&str, &str)>, &str) {
        let (status, extra, body) = match self.fields.checked() {
            Ok(extra) if (300..=599).contains(&self.status) => (self.status, extra, &*self.body),
            Ok(_) => (500, Vec::new(), &*self.body),
            Err(_) => (500, Vec::new(), "invalid refusal"),
        };
        let mut fields: Vec<(&str, &str)> = super::server::reject_fields(status);
        let has_type = extra
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if has_type {
            fields.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
        }
        fields.extend(extra);
        (status, fields, body)
    }

    /// Appends the response: status line, fields, `Content-Length`, body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (status, fields, body) = self.fields();
        out.extend_from_slice(
            format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).as_bytes(),
        );
        for (name, value) in fields {
            put_header(out, name, value.as_bytes());
        }
        put_header(out, "Content-Length", body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.as_bytes());
    }

    /// The response as an `http::Response<String>` for hyper, axum and
    /// other stacks: the status, fields and body of [`encode`](Self::encode)
    /// but `Content-Length`, which the stack writes.
    #[must_use]
    pub fn to_http(&self) -> http::Response<String> {
        let (status, fields, body) = self.fields();
        let mut response = http::Response::new(body.to_owned());
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in fields {
            // Checked by `Fields::checked` or static.
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

impl From<HandshakeError> for Refusal {
    fn from(error: HandshakeError) -> Refusal {
        Refusal::from_error(error)
    }
}

/// The request head a server hands its hook and handler, from a request
/// that passed the checks of §4.2.1: `http::request::Parts` with the
/// method, the resource as URI (path and query), HTTP/1.1 and every field.
/// A resource the `http` crate cannot hold as a URI, or a field it refuses,
/// is [`Malformed`](HandshakeError::Malformed) (400).
#[cfg(any(feature = "tokio", test))]
pub(crate) fn to_parts(request: &Request) -> Result<http::request::Parts, HandshakeError> {
    let uri = http::Uri::try_from(request.resource.as_str())
        .map_err(|e| HandshakeError::Malformed(format!("request target is not a URI: {e}")))?;
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = http::Method::GET;
    parts.uri = uri;
    parts.version = http::Version::HTTP_11;
    parts.headers.reserve(request.headers.len());
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| HandshakeError::Malformed(format!("header name {name:?}: {e}")))?;
        let value = HeaderValue::from_bytes(value)
            .map_err(|e| HandshakeError::Malformed(format!("value of {name}: {e}")))?;
        parts.headers.append(name, value);
    }
    Ok(parts)
}

/// The fields the opening handshake itself consumes (RFC 6455 §4.2.1):
/// their outcome is the 101 answer, the subprotocol and the extensions
/// agreed on, which the tokio layer's `Accepted` holds.
#[cfg(feature = "tokio")]
const CONSUMED_FIELDS: [HeaderName; 6] = [
    http::header::UPGRADE,
    http::header::CONNECTION,
    http::header::SEC_WEBSOCKET_KEY,
    http::header::SEC_WEBSOCKET_VERSION,
    http::header::SEC_WEBSOCKET_EXTENSIONS,
    http::header::SEC_WEBSOCKET_PROTOCOL,
];

/// The request as an accepted connection's handler keeps it, for as long
/// as the connection lives: what the application needs (method, URI,
/// `Host`, `Cookie`, `Authorization`, `Origin`...), not the handshake's
/// own fields, in a header map sized for what is left; its extensions
/// are those the admission hook added.
#[cfg(feature = "tokio")]
pub(crate) fn for_the_handler(
    parts: http::request::Parts,
    extensions: http::Extensions,
) -> http::request::Parts {
    let http::request::Parts {
        method,
        uri,
        version,
        headers: all,
        ..
    } = parts;
    let kept = all
        .keys()
        .filter(|name| !CONSUMED_FIELDS.contains(name))
        .map(|name| all.get_all(name).iter().count())
        .sum();
    let mut headers = HeaderMap::with_capacity(kept);
    let mut current = None;
    for (name, value) in all {
        if let Some(name) = name {
            current = (!CONSUMED_FIELDS.contains(&name)).then_some(name);
        }
        if let Some(name) = &current {
            headers.append(name.clone(), value);
        }
    }
    let (mut kept_parts, ()) = http::Request::new(()).into_parts();
    kept_parts.method = method;
    kept_parts.uri = uri;
    kept_parts.version = version;
    kept_parts.headers = headers;
    kept_parts.extensions = extensions;
    kept_parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::parse_request;

    const WIRE: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Extensions: permessage-deflate\r\nCookie: a=1\r\n\r\n";

    fn request() -> Request {
        parse_request(WIRE, &Config::default()).unwrap().unwrap().0
    }

    fn head(bytes: &[u8]) -> (String, String) {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), body.to_owned())
    }

    #[test]
    #[cfg(feature = "tokio")]
    fn the_handler_keeps_the_request_without_the_handshake_fields() {
        let parts = to_parts(&request()).unwrap();
        assert_eq!(parts.headers.len(), 8);
        let mut extensions = http::Extensions::new();
        extensions.insert(7_u8);
        let kept = for_the_handler(parts, extensions);
        assert_eq!(kept.uri, "/chat?room=1");
        assert_eq!(kept.method, http::Method::GET);
        let names: Vec<_> = kept.headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["host", "cookie"]);
        assert_eq!(kept.headers["cookie"], "a=1");
        assert_eq!(kept.extensions.get::<u8>(), Some(&7));
    }

    #[test]
    fn accept_keeps_deflate_beside_extra_fields() {
        let request = request();
        let config = Config::default().deflate(crate::deflate::DeflateConfig::default());
        let deflate = request.negotiate_deflate(config.deflate.as_ref().unwrap());
        assert!(deflate.is_some());
        let accept = Accept::new().protocol("chat").header("Set-Cookie", "s=1");
        let mut out = Vec::new();
        accept.encode(&request, deflate.as_ref(), &mut out).unwrap();
        let (head, _) = head(&out);
        assert!(
            head.contains("\r\nSec-WebSocket-Extensions: permessage-deflate"),
            "{head}"
        );
        assert!(head.contains("\r\nSec-WebSocket-Protocol: chat"), "{head}");
        assert!(head.contains("\r\nset-cookie: s=1"), "{head}");

        let (response, params) = accept.to_http(&request, &config).unwrap();
        assert_eq!(params, deflate);
        assert_eq!(response.headers()["set-cookie"], "s=1");
        assert!(response.headers().contains_key("sec-websocket-extensions"));
    }

    #[test]
    fn accept_refuses_what_it_must_not_write() {
        let request = request();
        for accept in [
            Accept::new().header("Sec-WebSocket-Extensions", "x"),
            Accept::new().header("Content-Length", "3"),
            Accept::new().header("X", "a\r\nEvil: 1"),
            Accept::new().header("bad name", "v"),
            Accept::new().protocol("mqtt"),
        ] {
            let mut out = Vec::new();
            assert!(
                accept.encode(&request, None, &mut out).is_err(),
                "{accept:?}"
            );
            assert!(out.is_empty());
            assert!(accept.to_http(&request, &Config::default()).is_err());
        }
    }

    #[test]
    fn refusals_are_well_formed_and_bounded() {
        let cases = [
            Refusal::unauthorized("Bearer"),
            Refusal::forbidden("no"),
            Refusal::too_many_requests(std::time::Duration::from_millis(2500)),
            Refusal::new(200),
            Refusal::new(404).body("é".repeat(2000)),
            Refusal::new(403).header("X", "a\nb"),
            Refusal::new(403).header("Content-Length", "1"),
            Refusal::new(418)
                .header("Content-Type", "application/json")
                .body("{}"),
            Refusal::from_error(HandshakeError::UnsupportedVersion),
        ];
        for refusal in cases {
            let mut out = Vec::new();
            refusal.encode(&mut out);
            let (head, body) = head(&out);
            let status: u16 = head[9..12].parse().unwrap();
            assert_eq!(status, refusal.status(), "{head}");
            assert!((300..=599).contains(&status));
            assert!(body.len() <= MAX_REFUSAL_BODY, "{}", body.len());
            assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
            assert!(head.contains("close"), "{head}");
            assert_eq!(head.to_ascii_lowercase().matches("content-type").count(), 1);
            let http = refusal.to_http();
            assert_eq!(http.status().as_u16(), status);
            assert_eq!(http.body(), &body);
            assert_eq!(
                refusal.to_error().status(),
                status,
                "{:?}",
                refusal.to_error()
            );
        }
        let mut out = Vec::new();
        Refusal::from_error(HandshakeError::UnsupportedVersion).encode(&mut out);
        let mut expected = Vec::new();
        crate::handshake::reject_response(&HandshakeError::UnsupportedVersion, &mut expected);
        assert_eq!(out, expected);
        assert_eq!(
            Refusal::too_many_requests(std::time::Duration::from_secs(30)).to_error(),
            HandshakeError::Refused {
                status: 429,
                reason: "too many requests".to_owned()
            }
        );
    }

    #[test]
    fn parts_hold_the_request() {
        let parts = to_parts(&request()).unwrap();
        assert_eq!(parts.uri.path(), "/chat");
        assert_eq!(parts.uri.query(), Some("room=1"));
        assert_eq!(parts.headers["cookie"], "a=1");
        assert_eq!(offered_protocols(&parts.headers), ["chat", "superchat"]);
    }

    #[tokio::test]
    async fn hooks_await() {
        let admission = Admission::new(|request| {
            let path = request.uri.path().to_owned();
            async move {
                tokio::task::yield_now().await;
                if path == "/chat" {
                    Ok(Accept::new())
                } else {
                    Err(Refusal::new(404))
                }
            }
        });
        let parts = to_parts(&request()).unwrap();
        assert!(admission.admit(&parts).await.is_ok());
    }
}
