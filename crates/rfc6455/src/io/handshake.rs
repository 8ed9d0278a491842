//! The opening handshake over a tokio stream, bounded in size and time.

use super::client::{open, ClientConfig, ProxySetting};
use super::tls::{Connector, MaybeTlsStream};
use super::WebSocket;
use crate::config::Config;
use crate::connection::Role;
use crate::deflate::DeflateParams;
use crate::error::{Error, HandshakeError};
use crate::handshake::{
    self, Accept, Admission, ClientRequest, Decision, ErrorResponse, IntoClientRequest, Refusal,
    ResponseBody, ServerResponse,
};
use crate::proxy::Proxy;
use crate::trace;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Accepts a WebSocket connection on `stream` with the default [`Config`].
///
/// Reads the client's opening handshake, validates it (RFC 6455 §4.2.1),
/// and answers 101, or the status the failure names (400, 426 with
/// `Sec-WebSocket-Version: 13`, 431) before returning the error. Bytes the
/// client sent right behind its request are kept as the first frames.
///
/// `stream` may be anything that reads and writes, TLS included:
/// `accept(tls_acceptor.accept(tcp).await?)` serves `wss://` (feature
/// `rustls` or `native-tls`; the [`tls`](crate::tls) module has the whole server).
///
/// ```no_run
/// # async fn run() -> Result<(), rfc6455::Error> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
/// let (stream, _) = listener.accept().await?;
/// let ws = rfc6455::accept(stream).await?;
/// # Ok(()) }
/// ```
///
/// The returned future is a pointer to the handshake's state on the heap,
/// freed when it completes: a task that awaits it and then serves the
/// connection is sized for the connection, not for the handshake's
/// buffers (an idle connection then costs about 1.5 KB in all).
pub fn accept<S>(stream: S) -> impl Future<Output = Result<WebSocket<S>, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_config(stream, Config::default())
}

/// [`accept`] with the given limits.
pub fn accept_with_config<S>(
    stream: S,
    config: impl Into<Arc<Config>>,
) -> impl Future<Output = Result<WebSocket<S>, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_policy(stream, config, |_| Ok(None))
}

/// [`accept`] with the given limits and a synchronous policy that decides
/// on each valid request (RFC 6455 §4.2.2 items 2–4): `Ok` with the
/// subprotocol to select (one of
/// [`Request::protocols`](crate::handshake::Request::protocols), or
/// `None`), or `Err` with the HTTP status that refuses it. A refused
/// request gets that status (403 for a bad `Origin`, §10.2) and the call
/// returns [`HandshakeError::Rejected`].
///
/// Kept for existing callers: [`accept_with_admission`] does the same
/// with a hook that may `await`, refuses with a full response (fields, a
/// body) and accepts with extra fields (`Set-Cookie`). A policy
/// `|request| Ok(pick(request))` becomes
/// `Admission::sync(|parts| Ok(Accept::new().maybe_protocol(pick(parts))))`.
///
/// ```no_run
/// # async fn run(stream: tokio::net::TcpStream) -> Result<(), rfc6455::Error> {
/// use rfc6455::Config;
/// let ws = rfc6455::accept_with_policy(stream, Config::default(), |request| {
///     if request.origin.as_deref() != Some("https://example.com") {
///         return Err(403);
///     }
///     // Prefer "chat.v2" when offered.
///     Ok(request.protocols.iter().find(|p| *p == "chat.v2").cloned())
/// })
/// .await?;
/// assert!(ws.protocol().is_none() || ws.protocol() == Some("chat.v2"));
/// # Ok(()) }
/// ```
pub fn accept_with_policy<S, F>(
    stream: S,
    config: impl Into<Arc<Config>>,
    policy: F,
) -> impl Future<Output = Result<WebSocket<S>, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&handshake::Request) -> Result<Option<String>, u16>,
{
    let config = config.into();
    let deadline = Instant::now() + config.handshake_timeout;
    let decide = move |request: &handshake::Request, _: &http::request::Parts| {
        std::future::ready(match policy(request) {
            Ok(protocol) => Ok(Accept::new().maybe_protocol(protocol)),
            Err(status) => Err(Refusal::from_error(HandshakeError::Rejected(status))),
        })
    };
    // Boxed: see `accept`.
    let handshake = Box::pin(accept_inner(stream, (), config, deadline, decide));
    async move { handshake.await.map(|(ws, _)| ws) }
}

/// What a server's opening handshake accepted, handed to the connection's
/// handler beside its [`WebSocket`]: the request (RFC 6455 §4.2.1) as
/// `http` types, who sent it, and what was agreed (§4.2.2 item 5).
#[derive(Debug)]
#[non_exhaustive]
pub struct Accepted<A = SocketAddr> {
    /// The request head: method, URI (path and query: route on
    /// `request.uri.path()`), version and the header fields an application
    /// reads (`Host`, `Cookie`, `Authorization`, `Origin`...). The fields
    /// of the handshake itself (`Upgrade`, `Connection`,
    /// `Sec-WebSocket-Key`, `-Version`, `-Extensions`, `-Protocol`) are
    /// left out: the admission hook saw them, and what they agreed is in
    /// [`protocol`](Self::protocol) and [`deflate`](Self::deflate). Its
    /// extensions hold what the hook added ([`Accept::extension`]).
    /// Kept for as long as the connection lives, so it holds only this.
    pub request: http::request::Parts,
    /// The peer's address.
    pub peer: A,
    /// The subprotocol selected, if any (also
    /// [`WebSocket::protocol`]).
    pub protocol: Option<String>,
    /// The permessage-deflate parameters agreed on (RFC 7692), if any:
    /// the one extension this crate negotiates.
    pub deflate: Option<DeflateParams>,
}

/// [`accept`] with the given limits and an [`Admission`] hook that decides
/// on each valid request (RFC 6455 §4.2.2 items 2–4) and may `await`.
/// `peer` (the stream's address, or `()`) is put in the request's
/// extensions for the hook to see, and returned in [`Accepted`].
///
/// - Accepted: the 101 answer (§4.2.2 item 5) carries the hook's
///   subprotocol and extra fields, and permessage-deflate when
///   `config.deflate` is set and the client offered it (RFC 7692).
/// - Refused: the client gets the [`Refusal`]'s full response (status,
///   fields, body; `Connection: close`), and the call fails with
///   [`HandshakeError::Refused`].
/// - A hook that panics costs this handshake only: the client gets 500
///   and the call fails with [`HandshakeError::AdmissionPanicked`]. One
///   that never answers is cut at `config.handshake_timeout` (which bounds
///   the whole handshake): the client gets 503 and the call fails with
///   [`Error::Timeout`].
///
/// Requests that fail the checks of §4.2.1 are answered as by [`accept`]
/// (400, 426 naming version 13 for §4.4, 431) and never reach the hook.
///
/// ```no_run
/// # async fn run(stream: tokio::net::TcpStream, peer: std::net::SocketAddr) -> Result<(), rfc6455::Error> {
/// use rfc6455::handshake::{Accept, Admission, Refusal};
/// use rfc6455::Config;
///
/// let admission = Admission::new(|request| {
///     let cookie = request.headers.get("cookie").cloned();
///     async move {
///         match cookie {
///             Some(_) => Ok(Accept::new()),
///             None => Err(Refusal::unauthorized("Cookie")),
///         }
///     }
/// });
/// let (ws, accepted) =
///     rfc6455::accept_with_admission(stream, peer, Config::default(), &admission).await?;
/// println!("{} opened {}", accepted.peer, accepted.request.uri);
/// # Ok(()) }
/// ```
pub fn accept_with_admission<S, A>(
    stream: S,
    peer: A,
    config: impl Into<Arc<Config>>,
    admission: &Admission,
) -> impl Future<Output = Result<(WebSocket<S>, Accepted<A>), Error>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: Clone + Send + Sync + 'static,
{
    let config = config.into();
    let deadline = Instant::now() + config.handshake_timeout;
    let admission = admission.clone();
    let decide = move |_: &handshake::Request, parts: &http::request::Parts| admission.admit(parts);
    // Boxed: see `accept`.
    Box::pin(accept_inner(stream, peer, config, deadline, decide))
}

/// The server's opening handshake, done by `deadline`: read and check the
/// request (§4.2.1), let `decide` accept or refuse it (§4.2.2), answer.
pub(super) async fn accept_inner<S, A, D, Fut>(
    mut stream: S,
    peer: A,
    config: Arc<Config>,
    deadline: Instant,
    decide: D,
) -> Result<(WebSocket<S>, Accepted<A>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: Clone + Send + Sync + 'static,
    D: FnOnce(&handshake::Request, &http::request::Parts) -> Fut,
    Fut: Future<Output = Decision>,
{
    // Set while the hook runs: a timeout then gets an answer.
    let admitting = AtomicBool::new(false);
    let work = async {
        let mut buf = Vec::new();
        let (request, used) = loop {
            read_some(&mut stream, &mut buf, &config).await?;
            match handshake::parse_request(&buf, &config) {
                Ok(None) => {}
                Ok(Some(parsed)) => break parsed,
                Err(error) => {
                    let refusal = Refusal::from_error(error);
                    return Err(refuse(&mut stream, refusal, Refuser::Request).await);
                }
            }
        };
        let mut parts = match handshake::to_parts(&request) {
            Ok(parts) => parts,
            Err(error) => {
                let refusal = Refusal::from_error(error);
                return Err(refuse(&mut stream, refusal, Refuser::Request).await);
            }
        };
        parts.extensions.insert(peer.clone());
        admitting.store(true, Ordering::Relaxed);
        let decision = admit_catching_panics(|| decide(&request, &parts)).await;
        admitting.store(false, Ordering::Relaxed);
        let mut accept = match decision {
            Ok(accept) => accept,
            Err(refusal) => return Err(refuse(&mut stream, refusal, Refuser::Admission).await),
        };
        let deflate = config
            .deflate
            .as_ref()
            .and_then(|settings| request.negotiate_deflate(settings));
        let mut response = Vec::new();
        if let Err(error) = accept.encode(&request, deflate.as_ref(), &mut response) {
            // An invalid field or an unoffered subprotocol: our fault, not
            // the client's.
            let refusal = Refusal::from_error(HandshakeError::Rejected(500));
            refuse(&mut stream, refusal, Refuser::Server).await;
            return Err(Error::Handshake(error));
        }
        stream.write_all(&response).await?;
        stream.flush().await?;
        let parts = handshake::for_the_handler(parts, accept.take_extensions());
        let protocol = accept.selected_protocol().map(str::to_owned);
        Ok((buf, used, deflate, protocol, parts))
    };
    let (buf, used, deflate, protocol, request) = match tokio::time::timeout_at(deadline, work)
        .await
    {
        Ok(done) => done?,
        Err(_) => {
            if admitting.load(Ordering::Relaxed) {
                let refusal = Refusal::new(503)
                    .body("the server did not decide on the request within its handshake timeout");
                refuse(&mut stream, refusal, Refuser::Server).await;
            }
            return Err(Error::Timeout {
                what: crate::TimeoutKind::Handshake,
            });
        }
    };
    let mut ws = WebSocket::from_raw_with_deflate(stream, Role::Server, config, deflate);
    ws.set_protocol(protocol.clone());
    ws.connection_mut().receive(&buf[used..]);
    let accepted = Accepted {
        request,
        peer,
        protocol,
        deflate,
    };
    Ok((ws, accepted))
}

/// Runs an admission hook, turning a panic (in the call or in its future)
/// into a 500 refusal: a hook's bug costs one connection, not the server.
async fn admit_catching_panics<D, Fut>(decide: D) -> Decision
where
    D: FnOnce() -> Fut,
    Fut: Future<Output = Decision>,
{
    let panicked = || Err(Refusal::from_error(HandshakeError::AdmissionPanicked));
    let Ok(future) = catch_unwind(AssertUnwindSafe(decide)) else {
        return panicked();
    };
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => Poll::Ready(panicked()),
        },
    )
    .await
}

/// Who refused a request, which sets the level of its event: a broken or
/// hostile client's is DEBUG, a decision of the admission hook's INFO, the
/// server's own failure (a hook that panicked, gave an invalid answer or
/// did not decide in time) ERROR or WARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refuser {
    /// Not a valid opening handshake (RFC 6455 §4.2.1).
    Request,
    /// The admission hook's answer (§4.2.2 items 2–4), or its panic.
    Admission,
    /// The server: an invalid answer of the hook, or none in time.
    Server,
}

/// Sends `refusal`, closes our side, lingers, and returns the error it
/// stands for. Best effort: the peer may already be gone.
async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    refusal: Refusal,
    by: Refuser,
) -> Error {
    report_refusal(&refusal, by);
    let mut response = Vec::new();
    refusal.encode(&mut response);
    // Bounded: the peer may not read at all.
    let write = async {
        let _ = stream.write_all(&response).await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), write).await;
    linger(stream).await;
    Error::Handshake(refusal.to_error())
}

/// The event of a refusal: its status and reason (the hook's body, or
/// what was wrong with the request).
#[cfg(feature = "tracing")]
fn report_refusal(refusal: &Refusal, by: Refuser) {
    let error = refusal.to_error();
    let status = error.status();
    let reason: &dyn std::fmt::Display = match &error {
        HandshakeError::Refused { reason, .. } => reason,
        other => other,
    };
    match by {
        Refuser::Request => {
            trace::event!(DEBUG, status, %reason, "refused: not a valid opening handshake");
        }
        Refuser::Admission if error == HandshakeError::AdmissionPanicked => {
            trace::event!(ERROR, status, %reason, "refused: the admission hook panicked");
        }
        Refuser::Admission => trace::event!(INFO, status, %reason, "refused by the admission hook"),
        Refuser::Server if status == 503 => {
            trace::event!(WARN, status, %reason, "refused: no admission decision in time");
        }
        Refuser::Server => {
            trace::event!(ERROR, status, %reason, "refused: invalid admission answer")
        }
    }
}

#[cfg(not(feature = "tracing"))]
fn report_refusal(_: &Refusal, _: Refuser) {}

/// After refusing a request: reads (and drops) what the client still
/// sends, briefly and boundedly, so that closing with unread input does not
/// reset the connection and destroy the refusal in flight.
async fn linger<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut scratch = [0u8; 4096];
    let mut total = 0;
    let drain = async {
        while total < 64 << 10 {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), drain).await;
}

/// Connects to a `ws://` or `wss://host[:port][/path][?query]` URL with
/// the default [`Config`] and runs the client's opening handshake (RFC 6455
/// §4.1). Returns the `WebSocket` and the server's 101 answer: its header
/// fields (`Set-Cookie`, say), the subprotocol and the extension it
/// selected (§4.2.2 item 5), as [`ServerResponse`].
///
/// `request` is a URL (`&str`, `String`, `http::Uri`), an
/// `http::Request<()>` carrying extra fields (`Authorization`, `Cookie`,
/// subprotocols in `Sec-WebSocket-Protocol`...), or a [`ClientRequest`]:
/// anything [`IntoClientRequest`]. One that cannot be a WebSocket request
/// fails with [`Error::InvalidUrl`] or [`Error::Handshake`] before anything
/// is sent.
///
/// `wss://` (default port 443) needs a TLS feature (`rustls`, or see the
/// [`tls`](crate::tls) module for the choices); with `rustls`, the
/// server's certificate is checked against the `webpki-roots` trust
/// anchors ([`Connector::default`]). Without TLS, a `wss://` URL fails
/// with [`TlsError::NotEnabled`](crate::TlsError::NotEnabled).
///
/// ```no_run
/// # async fn run() -> Result<(), rfc6455::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// let (mut ws, _response) = rfc6455::connect("ws://127.0.0.1:9001/chat").await?;
/// ws.send(rfc6455::Message::text("hello")).await?;
/// let reply = ws.next().await;
///
/// let request = http::Request::get("ws://127.0.0.1:9001/chat")
///     .header("Sec-WebSocket-Protocol", "chat.v2, chat.v1")
///     .header("Cookie", "session=1")
///     .body(())
///     .expect("a valid request");
/// let (ws, response) = rfc6455::connect(request).await?;
/// // The server's 101, with the fields it added (a cookie, say).
/// let cookie = response.header("set-cookie");
/// assert_eq!(ws.protocol(), response.protocol.as_deref());
/// # Ok(()) }
/// ```
pub async fn connect(
    request: impl IntoClientRequest,
) -> Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error> {
    connect_with_config(request, Config::default()).await
}

/// [`connect`] with the given limits. If `config.deflate` is set and the
/// request offers no permessage-deflate of its own, it offers that.
pub async fn connect_with_config(
    request: impl IntoClientRequest,
    config: Config,
) -> Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error> {
    connect_with_connector(request, config, Connector::default()).await
}

/// [`connect`] with the given limits, securing a `wss://` URL with
/// `connector` (for example rustls trusting a private CA; see the
/// [`tls`](crate::tls) module). `Config::handshake_timeout` bounds the TCP
/// connect, the TLS handshake and the opening handshake together.
/// [`ClientConfig`] has the same and more (a proxy).
pub async fn connect_with_connector(
    request: impl IntoClientRequest,
    config: Config,
    connector: Connector,
) -> Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error> {
    let client = ClientConfig::default().config(config).connector(connector);
    client.connect(request).await
}

/// What [`ClientConfig::connect`] runs: connect (directly or through
/// `proxy`), secure, and run the opening handshake, all within
/// `config.handshake_timeout`.
pub(super) async fn connect_through(
    request: impl IntoClientRequest,
    client: &ClientConfig,
    proxy: ProxySetting<'_>,
) -> Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error> {
    let (config, connector) = (client.config.clone(), &client.connector);
    let mut request = request.into_client_request()?;
    if request.deflate().is_none() {
        if let Some(deflate) = &config.deflate {
            request = request.with_deflate(deflate.clone());
        }
    }
    let target = Target::of(&request)?;
    let connector = &connector.resolve(request.is_tls(), &target.host)?;
    let deadline = Instant::now() + config.handshake_timeout;
    let span = trace::client_span(request.host(), request.resource());
    let proxy = match proxy {
        ProxySetting::Direct => None,
        ProxySetting::Given(proxy) => Some(proxy.clone()),
        ProxySetting::FromEnv => Proxy::from_env(request.is_tls(), &target.host)?,
    };
    let work = async {
        let tcp = open(&target.host, target.port, proxy.as_ref(), client.dial()).await?;
        let stream = connector.wrap(request.is_tls(), &target.host, tcp).await?;
        client_handshake_by(stream, &request, config, deadline).await
    };
    let connected = async {
        let connected =
            tokio::time::timeout_at(deadline, work)
                .await
                .unwrap_or(Err(Error::Timeout {
                    what: crate::TimeoutKind::Handshake,
                }));
        if let Err(_error) = &connected {
            trace::event!(DEBUG, error = %_error, "connect failed");
        }
        connected
    };
    let (mut ws, response) = trace::instrument(connected, span.clone()).await?;
    ws.observer_mut().set_span(span);
    Ok((ws, response))
}

/// Runs the client's opening handshake for `request` over an already
/// connected `stream` (for example a TLS stream), without a timeout of its
/// own (wrap it in `tokio::time::timeout`). Returns the `WebSocket` and the
/// server's 101 answer, as [`connect`] does.
///
/// A refusal (any status but 101) is
/// [`HandshakeError::UnexpectedStatus`] holding the status, the fields and
/// the body: at most `config.max_error_body` bytes of it, read for at most
/// `config.handshake_timeout` from the head's arrival.
pub async fn client_handshake<S>(
    stream: S,
    request: &ClientRequest,
    config: Config,
) -> Result<(WebSocket<S>, ServerResponse), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + config.handshake_timeout;
    client_handshake_by(stream, request, config, deadline).await
}

/// [`client_handshake`], reading a refusal's body until `deadline` at the
/// latest (the caller bounds the rest).
async fn client_handshake_by<S>(
    mut stream: S,
    request: &ClientRequest,
    config: Config,
    deadline: Instant,
) -> Result<(WebSocket<S>, ServerResponse), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = Vec::new();
    request.encode(&mut out);
    stream.write_all(&out).await?;
    stream.flush().await?;
    let mut buf = Vec::new();
    loop {
        read_some(&mut stream, &mut buf, &config).await?;
        let parsed = match request.parse_response(&buf, &config) {
            Err(HandshakeError::UnexpectedStatus(mut refusal)) => {
                read_error_body(&mut stream, &buf, &mut refusal, &config, deadline).await;
                return Err(HandshakeError::UnexpectedStatus(refusal).into());
            }
            parsed => parsed?,
        };
        if let Some((response, used)) = parsed {
            let mut ws =
                WebSocket::from_raw_with_deflate(stream, Role::Client, config, response.deflate);
            ws.set_protocol(response.protocol.clone());
            // A server may send its first frames right behind the 101.
            ws.connection_mut().receive(&buf[used..]);
            return Ok((ws, response));
        }
    }
}

/// Reads the body of a refusal whose head (and maybe more) is in `buf`:
/// at most `config.max_error_body` bytes, until `deadline` at the latest.
/// Best effort: what arrived by then is kept, marked incomplete.
async fn read_error_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &[u8],
    refusal: &mut ErrorResponse,
    config: &Config,
    deadline: Instant,
) {
    let mut body = ResponseBody::new(refusal, config.max_error_body);
    body.receive(buf.get(refusal.head_len()..).unwrap_or_default());
    let mut scratch = [0u8; 4096];
    let read = async {
        while !body.is_done() {
            match stream.read(&mut scratch).await {
                Ok(0) => return true,
                Ok(n) => body.receive(&scratch[..n]),
                Err(_) => break,
            }
        }
        false
    };
    let eof = tokio::time::timeout_at(deadline, read)
        .await
        .unwrap_or(false);
    body.finish(refusal, eof);
}

/// Reads once more into `buf`, never past one byte beyond the handshake
/// limit (so the parser can tell that the limit was broken).
async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    config: &Config,
) -> Result<(), Error> {
    let room = (config.max_handshake_size + 1).saturating_sub(buf.len());
    if room == 0 {
        return Err(HandshakeError::TooLarge {
            what: crate::HandshakeLimit::Bytes,
            max: config.max_handshake_size,
        }
        .into());
    }
    let start = buf.len();
    buf.resize(start + room.min(4096), 0);
    let n = stream.read(&mut buf[start..]).await?;
    buf.truncate(start + n);
    if n == 0 {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed during the opening handshake",
        )));
    }
    Ok(())
}

/// Where to connect for a request: the host and port of its `Host`.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// Host to connect to (no brackets around IPv6).
    host: String,
    port: u16,
}

impl Target {
    fn of(request: &ClientRequest) -> Result<Target, Error> {
        let invalid = |why: String| Error::InvalidUrl(format!("{}: {why}", request.host()));
        let authority: http::uri::Authority = request
            .host()
            .parse()
            .map_err(|e| invalid(format!("{e}")))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user info is not supported".to_owned()));
        }
        if authority.port().is_none() && authority.as_str().len() > authority.host().len() + 1 {
            return Err(invalid(
                "the port is not a number from 0 to 65535".to_owned(),
            ));
        }
        // RFC 6455 §3: the default ports are 80 and 443.
        let default_port = if request.is_tls() { 443 } else { 80 };
        Ok(Target {
            host: authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: authority.port_u16().unwrap_or(default_port),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, Error> {
        Target::of(&url.into_client_request()?)
    }

    #[test]
    fn targets_of_urls() {
        let t = target("ws://example.com/chat?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 80));
        let t = target("ws://[::1]:9001").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9001));
        let t = target("wss://example.com/chat").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 443));
        let t = target("wss://example.com:80").unwrap();
        assert_eq!(t.port, 80);
        assert!(matches!(target("http://x/"), Err(Error::InvalidUrl(_))));
        assert!(matches!(target("not a url"), Err(Error::InvalidUrl(_))));
    }

    #[test]
    fn targets_of_client_requests() {
        let t = Target::of(&ClientRequest::new("example.com:8080", "/")).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 8080));
        let t = Target::of(&ClientRequest::new("example.com", "/")).unwrap();
        assert_eq!(t.port, 80);
        let bad = ClientRequest::new("user@example.com", "/");
        assert!(matches!(Target::of(&bad), Err(Error::InvalidUrl(_))));
        let bad = ClientRequest::new("example.com:99999", "/");
        assert!(matches!(Target::of(&bad), Err(Error::InvalidUrl(_))));
    }

    #[tokio::test]
    async fn requests_that_cannot_be_websocket_fail_before_connecting() {
        let post = http::Request::post("ws://127.0.0.1:9/").body(()).unwrap();
        let err = connect(post).await.expect_err("not GET");
        assert!(
            matches!(err, Error::Handshake(HandshakeError::MethodNotGet)),
            "{err:?}"
        );
        let err = connect("http://127.0.0.1:9/").await.expect_err("scheme");
        assert!(matches!(err, Error::InvalidUrl(_)), "{err:?}");
        let body = http::Request::get("ws://127.0.0.1:9/")
            .header("Content-Length", "3")
            .body(())
            .unwrap();
        let err = connect(body).await.expect_err("a body");
        assert!(matches!(err, Error::Handshake(_)), "{err:?}");
    }

    #[cfg(not(any(feature = "rustls-no-provider", feature = "native-tls")))]
    #[tokio::test]
    async fn wss_without_the_feature_is_a_typed_error() {
        let err = connect("wss://127.0.0.1:9/").await.expect_err("no TLS");
        assert!(
            matches!(err, Error::Tls(crate::TlsError::NotEnabled)),
            "{err:?}"
        );
        assert!(err.to_string().contains("`rustls` feature"), "{err}");
    }

    #[cfg(any(feature = "rustls-no-provider", feature = "native-tls"))]
    #[tokio::test]
    async fn wss_with_the_plain_connector_is_a_typed_error() {
        let err = connect_with_connector("wss://127.0.0.1:9/", Config::default(), Connector::Plain)
            .await
            .expect_err("no TLS");
        assert!(
            matches!(err, Error::Tls(crate::TlsError::PlainConnector)),
            "{err:?}"
        );
    }
}
