//! WebSockets over HTTP/2 (RFC 8441, feature `http2`), on the `h2` crate:
//! [`H2Stream`], an HTTP/2 stream as the byte stream a [`WebSocket`] runs
//! on; [`Http2Client`], which opens WebSockets on one HTTP/2 connection,
//! as many as the server allows; and [`serve_connection`], which serves
//! them on one connection a server accepted.
//!
//! Owns the glue: the connection preface and SETTINGS, the extended
//! CONNECT sent on a new stream with `:protocol` websocket, and the
//! stream's DATA frames as bytes with HTTP/2's flow control. Does not own
//! the handshake's rules, which are
//! [`ClientRequest::to_extended_connect`](crate::handshake::ClientRequest::to_extended_connect)
//! and
//! [`check_extended_connect_response`](crate::handshake::ClientRequest::check_extended_connect_response),
//! nor the WebSocket, which is the same [`WebSocket`] as over TCP: nothing
//! above this module knows which HTTP version carried the handshake.
//!
//! RFC 8441 §5's mapping: the end of the stream (`END_STREAM`) is the
//! transport's end, as TCP's FIN is: [`H2Stream`]'s `shutdown` sends it
//! and its reads end at the peer's; a stream reset (`RST_STREAM`) is an
//! abnormal end, as TCP's RST is: an I/O error of kind `ConnectionReset`
//! naming the reason.
//!
//! ```no_run
//! # async fn run() -> Result<(), rfc6455::Error> {
//! use futures_util::{SinkExt, StreamExt};
//! use rfc6455::http2::Http2Client;
//! use rfc6455::{Config, Message};
//!
//! // HTTP/2 with prior knowledge over TCP (over TLS, ALPN `h2`).
//! let tcp = tokio::net::TcpStream::connect("127.0.0.1:8080").await?;
//! let client = Http2Client::handshake(tcp, &Config::default()).await?;
//! // Two WebSockets on the one connection.
//! let (mut chat, _) = client.websocket("ws://127.0.0.1:8080/chat", Config::default()).await?;
//! let (mut feed, _) = client.websocket("ws://127.0.0.1:8080/feed", Config::default()).await?;
//! chat.send(Message::text("hello")).await?;
//! while let Some(msg) = feed.next().await {
//!     println!("{:?}", msg?);
//! }
//! # Ok(()) }
//! ```

use super::upgrade::Upgrade;
use super::{Accepted, WebSocket};
use crate::config::Config;
use crate::connection::Role;
use crate::error::{Error, HandshakeError, TimeoutKind};
use crate::handshake::{IntoClientRequest, Refusal, Request, ServerResponse};
use bytes::Bytes;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An HTTP/2 stream as the transport of a WebSocket (RFC 8441 §5): reads
/// give the peer's DATA frames' bytes, releasing their flow-control
/// window as they are read (so the peer sends as fast as this side
/// reads, never faster); writes send DATA within the window the peer
/// gives; `shutdown` ends the stream (`END_STREAM`).
///
/// Dropped before `shutdown`, the stream is reset (h2 sends `RST_STREAM`
/// with `CANCEL`): the abnormal end RFC 8441 §5 maps TCP's RST to.
#[derive(Debug)]
pub struct H2Stream {
    send: h2::SendStream<Bytes>,
    recv: h2::RecvStream,
    /// What is left of the last DATA frame read.
    chunk: Bytes,
    /// `END_STREAM` sent.
    ended: bool,
}

impl H2Stream {
    /// The stream of `send` and `recv`, the two halves h2 gives for one
    /// request (a client's `SendStream` and its response's body, or a
    /// server's request body and its response's `SendStream`).
    #[must_use]
    pub fn new(send: h2::SendStream<Bytes>, recv: h2::RecvStream) -> H2Stream {
        H2Stream {
            send,
            recv,
            chunk: Bytes::new(),
            ended: false,
        }
    }
}

/// An h2 error as an I/O error: a stream reset is `ConnectionReset` (TCP's
/// RST, RFC 8441 §5), a GOAWAY `ConnectionAborted`, the connection's I/O
/// error itself.
fn io_error(error: h2::Error) -> io::Error {
    if error.is_io() {
        return error
            .into_io()
            .unwrap_or_else(|| io::Error::other("HTTP/2 I/O error"));
    }
    let kind = if error.is_reset() {
        io::ErrorKind::ConnectionReset
    } else if error.is_go_away() {
        io::ErrorKind::ConnectionAborted
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, error)
}

fn h2_error(error: h2::Error) -> Error {
    Error::Io(io_error(error))
}

impl AsyncRead for H2Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.chunk.is_empty() {
                let n = super::take_into(&mut this.chunk, buf);
                // Read: the peer may send that much more (RFC 9113 §5.2).
                this.recv
                    .flow_control()
                    .release_capacity(n)
                    .map_err(io_error)?;
                return Poll::Ready(Ok(()));
            }
            match ready!(this.recv.poll_data(cx)) {
                // An empty DATA frame: nothing to hand out, read on.
                Some(Ok(data)) => this.chunk = data,
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
                // END_STREAM: the transport's end (RFC 8441 §5).
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.ended {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the HTTP/2 stream was ended",
            )));
        }
        // Asks for room for at most a stream window's worth: h2 takes the
        // room a stream reserves from the connection's window, so a
        // stream asking for more than it can send soon would hold room
        // its neighbours need.
        this.send
            .reserve_capacity(buf.len().min(STREAM_WINDOW as usize));
        loop {
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(0)) => {}
                Some(Ok(room)) => {
                    let n = room.min(buf.len());
                    this.send
                        .send_data(Bytes::copy_from_slice(&buf[..n]), false)
                        .map_err(io_error)?;
                    return Poll::Ready(Ok(n));
                }
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
                None => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the HTTP/2 stream is closed",
                    )))
                }
            }
        }
    }

    /// h2's connection task writes what was sent; nothing waits here.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ends the stream (`END_STREAM`), TCP's FIN for the WebSocket (RFC
    /// 8441 §5).
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ended {
            this.ended = true;
            this.send.send_data(Bytes::new(), true).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}

/// One HTTP/2 connection to a server, on which [`websocket`](Self::websocket)
/// opens WebSockets (RFC 8441 §4), each on a stream of its own. Cheap to
/// clone: clones share the connection, which lives (in a task of its own)
/// while a clone or a WebSocket on it does.
#[derive(Debug, Clone)]
pub struct Http2Client {
    send: h2::client::SendRequest<Bytes>,
}

impl Http2Client {
    /// Runs the HTTP/2 connection preface over `io` (TCP with prior
    /// knowledge, or TLS that negotiated ALPN `h2`), spawns the
    /// connection's task on the tokio runtime, and waits for the server's
    /// SETTINGS (a PING's answer comes after them): a client may send
    /// `:protocol` only once the server has said
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL` = 1 (RFC 8441 §3). Fails with
    /// [`HandshakeError::NoExtendedConnect`] when it did not, so the caller
    /// can fall back to HTTP/1.1; bounded by `config.handshake_timeout`.
    pub async fn handshake<S>(io: S, config: &Config) -> Result<Http2Client, Error>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let timeout = config.handshake_timeout;
        let opened = tokio::time::timeout(timeout, async {
            let (send, connection) = h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .max_header_list_size(u32::try_from(config.max_handshake_size).unwrap_or(u32::MAX))
                .handshake(io)
                .await
                .map_err(h2_error)?;
            let mut connection = Box::pin(connection);
            let mut ping_pong = connection
                .ping_pong()
                .ok_or_else(|| Error::Io(io::Error::other("h2 gave no PING handle")))?;
            // The connection must be driven for the PING's answer to come.
            let pinged = tokio::select! {
                pong = ping_pong.ping(h2::Ping::opaque()) => pong.map_err(h2_error),
                ended = connection.as_mut() => Err(match ended {
                    Err(error) => h2_error(error),
                    Ok(()) => Error::ConnectionClosed,
                }),
            };
            pinged?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok::<_, Error>(send)
        })
        .await
        .map_err(|_| Error::Timeout {
            what: TimeoutKind::Handshake,
        })??;
        if !opened.is_extended_connect_protocol_enabled() {
            return Err(Error::Handshake(HandshakeError::NoExtendedConnect));
        }
        Ok(Http2Client { send: opened })
    }

    /// Opens a WebSocket on a new stream of this connection: an extended
    /// CONNECT for `request`'s resource (a `ws://` or `wss://` URL, or any
    /// [`IntoClientRequest`]: its subprotocols and extra fields are sent),
    /// offering permessage-deflate when `config.deflate` is set, then the
    /// server's 2xx checked (RFC 8441 §5) and the [`WebSocket`] built on
    /// the stream with `config`. Waits while the server's limit on
    /// concurrent streams is reached; bounded by `config.handshake_timeout`.
    /// A refusal is [`HandshakeError::UnexpectedStatus`] with the status
    /// and header fields (its body is not read).
    pub async fn websocket(
        &self,
        request: impl IntoClientRequest,
        config: Config,
    ) -> Result<(WebSocket<H2Stream>, ServerResponse), Error> {
        let mut request = request.into_client_request()?;
        if request.deflate().is_none() {
            if let Some(deflate) = &config.deflate {
                request = request.with_deflate(deflate.clone());
            }
        }
        let connect = request.to_extended_connect()?;
        let (response, io) = self.open(connect, config.handshake_timeout).await?;
        let checked = request.check_extended_connect_response(&response)?;
        let mut ws = WebSocket::from_raw_with_deflate(io, Role::Client, config, checked.deflate);
        ws.set_protocol(checked.protocol.clone());
        Ok((ws, checked))
    }

    /// Sends `request` as an extended CONNECT with `:protocol` websocket
    /// on a new stream, as it is (no check: the caller makes the request
    /// and judges the answer, as a relay does), and returns the server's
    /// answer head and the stream. Waits while the server's limit on
    /// concurrent streams is reached; bounded by `timeout`.
    /// [`websocket`](Self::websocket) is this with the checks of RFC 8441
    /// §4 and §5.
    pub async fn open(
        &self,
        mut request: http::Request<()>,
        timeout: std::time::Duration,
    ) -> Result<(http::Response<()>, H2Stream), Error> {
        request
            .extensions_mut()
            .insert(h2::ext::Protocol::from_static("websocket"));
        let send = self.send.clone();
        let opened = tokio::time::timeout(timeout, async move {
            let mut send = send.ready().await.map_err(h2_error)?;
            let (response, stream) = send.send_request(request, false).map_err(h2_error)?;
            let response = response.await.map_err(h2_error)?;
            Ok::<_, Error>((response, stream))
        })
        .await
        .map_err(|_| Error::Timeout {
            what: TimeoutKind::Handshake,
        })??;
        let (response, send_stream) = opened;
        let (head, body) = response.into_parts();
        Ok((
            http::Response::from_parts(head, ()),
            H2Stream::new(send_stream, body),
        ))
    }
}

/// The most WebSocket streams one HTTP/2 connection may have open at once
/// ([`serve_connection`]'s `SETTINGS_MAX_CONCURRENT_STREAMS`).
pub const MAX_CONCURRENT_STREAMS: u32 = 100;

/// The flow-control window of each stream, both ways (RFC 9113 §6.9.2):
/// the most a peer sends on one WebSocket that is not read.
pub const STREAM_WINDOW: u32 = 64 << 10;

/// The connection's window, room for every stream's at once: data a
/// WebSocket does not read holds its stream's window, never the
/// connection's, so one slow WebSocket cannot stall its neighbours (with
/// a connection window no bigger than a stream's, one unread stream
/// would stop them all).
pub const CONNECTION_WINDOW: u32 = MAX_CONCURRENT_STREAMS * STREAM_WINDOW;

/// Serves WebSockets on one HTTP/2 connection a server accepted (TCP with
/// prior knowledge, or TLS that agreed on ALPN `h2`), the server side of
/// RFC 8441: advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL` (§3), checks
/// each stream's request with
/// [`Request::from_extended_connect`] (a 400, 426 or 501 otherwise, with
/// the reason as its body), selects the subprotocol and negotiates
/// permessage-deflate as `upgrade` says (its [`Config`], subprotocols and
/// [`GoingAway`](super::GoingAway)), answers with a 200 and spawns
/// `handler` with the [`WebSocket`] on that stream and what was
/// [`Accepted`] (`peer` is given back in it).
///
/// Returns when the connection ends. Bounded: the preface and SETTINGS
/// within `Config::handshake_timeout`, at most
/// [`MAX_CONCURRENT_STREAMS`] streams at once, request heads within
/// `Config::max_handshake_size`; each WebSocket has the limits of
/// `Config`, and HTTP/2's flow control keeps a stream that is not read
/// from taking more than its window.
///
/// ```no_run
/// use futures_util::{SinkExt, StreamExt};
/// use rfc6455::hyper::Upgrade;
/// use rfc6455::Config;
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (tcp, peer) = listener.accept().await?;
///     let upgrade = Upgrade::new(Config::default()).protocols(["chat"]);
///     tokio::spawn(rfc6455::http2::serve_connection(tcp, peer, upgrade, |mut ws, _accepted| async move {
///         while let Some(Ok(msg)) = ws.next().await {
///             if msg.is_data() && ws.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     }));
/// }
/// # }
/// ```
pub async fn serve_connection<S, A, H, Fut>(
    io: S,
    peer: A,
    upgrade: Upgrade,
    handler: H,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    A: Clone + Send + 'static,
    H: Fn(WebSocket<H2Stream>, Accepted<A>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let config = Arc::new(upgrade.config_ref().clone());
    let mut builder = h2::server::Builder::new();
    builder
        .enable_connect_protocol()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_header_list_size(u32::try_from(config.max_handshake_size).unwrap_or(u32::MAX));
    let mut connection = tokio::time::timeout(config.handshake_timeout, builder.handshake(io))
        .await
        .map_err(|_| Error::Timeout {
            what: TimeoutKind::Handshake,
        })?
        .map_err(h2_error)?;
    while let Some(stream) = connection.accept().await {
        let (request, respond) = stream.map_err(h2_error)?;
        let protocol = request
            .extensions()
            .get::<h2::ext::Protocol>()
            .map(h2::ext::Protocol::as_str);
        let linger = config.handshake_timeout;
        let checked = Request::from_extended_connect(&request, protocol);
        match checked {
            Err(error) => refuse(
                respond,
                request.into_body(),
                &Refusal::from_error(error),
                linger,
            ),
            Ok(checked) => {
                let selected = upgrade.select_protocol(&checked).map(str::to_owned);
                match checked.accept_http(selected.as_deref(), &config) {
                    // Our own fields: only a bug gets here.
                    Err(error) => refuse(
                        respond,
                        request.into_body(),
                        &Refusal::from_error(error),
                        linger,
                    ),
                    Ok((response, deflate)) => {
                        let mut respond = respond;
                        let Ok(send) = respond.send_response(response, false) else {
                            // The client reset the stream meanwhile.
                            continue;
                        };
                        let (parts, body) = request.into_parts();
                        let io = H2Stream::new(send, body);
                        let mut ws = WebSocket::from_raw_with_deflate(
                            io,
                            Role::Server,
                            Arc::clone(&config),
                            deflate,
                        );
                        ws.set_protocol(selected.clone());
                        if let Some(going_away) = upgrade.joined() {
                            going_away.watch(&mut ws);
                        }
                        let accepted = Accepted {
                            request: crate::handshake::for_the_handler(
                                parts,
                                http::Extensions::new(),
                            ),
                            peer: peer.clone(),
                            protocol: selected,
                            deflate,
                        };
                        tokio::spawn(handler(ws, accepted));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Answers a stream with `refusal`: its status, fields and body, then the
/// stream's end on this side.
fn refuse(
    mut respond: h2::server::SendResponse<Bytes>,
    mut request: h2::RecvStream,
    refusal: &Refusal,
    linger: std::time::Duration,
) {
    let (mut head, body) = refusal.to_http().into_parts();
    // HTTP/1.1's `Upgrade` and `Connection` (a 426 names them): h2 would
    // refuse to send a response holding fields about a connection.
    for name in [http::header::UPGRADE, http::header::CONNECTION] {
        head.headers.remove(name);
    }
    let response = http::Response::from_parts(head, ());
    let Ok(mut send) = respond.send_response(response, body.is_empty()) else {
        return;
    };
    if !body.is_empty() {
        let _ = send.send_data(Bytes::from(body), true);
    }
    // The client's side stays open (a CONNECT's does): dropping the stream
    // now would reset it (CANCEL), and a client that reads the reset
    // before the answer loses the answer. The stream lingers until the
    // client ends it, or for `linger` at most.
    tokio::spawn(async move {
        let _send = send;
        let drained = async {
            while let Some(Ok(data)) = request.data().await {
                let _ = request.flow_control().release_capacity(data.len());
            }
        };
        let _ = tokio::time::timeout(linger, drained).await;
    });
}
