//! WebSockets over hyper's upgrades (feature `hyper`): a request hyper
//! (or axum, or any stack on the `http` types with hyper's upgrades) read
//! becomes the response to send and a future of the [`WebSocket`] once the
//! connection switched protocols.
//!
//! Owns the glue: taking hyper's upgrade out of the request, and building
//! the connection on the upgraded IO. Does not own the negotiation: the
//! checks of RFC 6455 §4.2.1, the subprotocol and permessage-deflate run
//! in [`handshake`](crate::handshake) ([`Request::from_http`],
//! [`Request::select_protocol`], [`Request::accept_http`]), and a refusal
//! is a [`Refusal`] made from the error.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use rfc6455::deflate::DeflateConfig;
//! use rfc6455::hyper::Upgrade;
//! use rfc6455::Config;
//!
//! /// A hyper `service_fn`: 101 and an echo, or the refusal.
//! async fn handle(
//!     mut request: hyper::Request<hyper::body::Incoming>,
//! ) -> Result<hyper::Response<String>, std::convert::Infallible> {
//!     let upgrade = Upgrade::new(Config::default().deflate(DeflateConfig::default()))
//!         .protocols(["chat"]);
//!     let (response, upgrading) = match upgrade.upgrade(&mut request) {
//!         Ok(upgrade) => upgrade,
//!         Err(refusal) => return Ok(refusal.to_http()), // 400, 426...
//!     };
//!     tokio::spawn(async move {
//!         let Ok(mut ws) = upgrading.await else { return };
//!         while let Some(Ok(msg)) = ws.next().await {
//!             if msg.is_data() && ws.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     });
//!     Ok(response)
//! }
//! ```
//!
//! [`Request::from_http`]: crate::handshake::Request::from_http
//! [`Request::select_protocol`]: crate::handshake::Request::select_protocol
//! [`Request::accept_http`]: crate::handshake::Request::accept_http

use super::{GoingAway, WebSocket};
use crate::config::Config;
use crate::connection::Role;
use crate::deflate::DeflateParams;
use crate::error::{Error, HandshakeError};
use crate::handshake::{Refusal, Request};
use ::hyper::upgrade::OnUpgrade;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The transport of a WebSocket upgraded by hyper: hyper's upgraded
/// connection, with tokio's IO traits.
pub type UpgradedIo = hyper_util::rt::TokioIo<::hyper::upgrade::Upgraded>;

/// How a server upgrades requests: its [`Config`] (limits, and
/// permessage-deflate when `Config::deflate` is set), the subprotocols it
/// speaks, and the [`GoingAway`] its WebSockets join. Cheap to clone; the
/// default is the default `Config`, no subprotocol, no shutdown signal.
///
/// Used by [`upgrade`](Self::upgrade) for hyper, and inside the axum
/// extractor.
#[derive(Debug, Clone, Default)]
pub struct Upgrade {
    config: Config,
    protocols: Vec<String>,
    going_away: Option<GoingAway>,
}

impl Upgrade {
    /// Upgrades with `config`, no subprotocol, no shutdown signal.
    #[must_use]
    pub fn new(config: Config) -> Upgrade {
        Upgrade {
            config,
            ..Upgrade::default()
        }
    }

    /// The subprotocols this server speaks: the first one the client
    /// offers, in the client's order of preference, is selected
    /// ([`Request::select_protocol`]). None offered and supported: no
    /// subprotocol, the client decides whether to go on (RFC 6455 §4.1).
    #[must_use]
    pub fn protocols<I>(mut self, protocols: I) -> Upgrade
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the `Config` of the WebSockets.
    #[must_use]
    pub fn config(mut self, config: Config) -> Upgrade {
        self.config = config;
        self
    }

    /// Makes every WebSocket upgraded this way join `going_away`
    /// ([`GoingAway::watch`]): it sends 1001 Going Away when the shutdown
    /// starts.
    #[must_use]
    pub fn going_away(mut self, going_away: &GoingAway) -> Upgrade {
        self.going_away = Some(going_away.clone());
        self
    }

    /// The configuration the WebSockets get.
    #[cfg(feature = "http2")]
    pub(crate) fn config_ref(&self) -> &Config {
        &self.config
    }

    /// The shutdown signal the WebSockets join, if any.
    #[cfg(any(feature = "axum", feature = "http2"))]
    pub(crate) fn joined(&self) -> Option<&GoingAway> {
        self.going_away.as_ref()
    }

    /// The subprotocol this server would select for `request`.
    #[must_use]
    pub fn select_protocol<'r>(&self, request: &'r Request) -> Option<&'r str> {
        request.select_protocol(&self.protocols)
    }

    /// Checks `request` as a WebSocket opening handshake (RFC 6455
    /// §4.2.1, [`Request::from_http`]) and takes hyper's upgrade out of
    /// it. Returns the 101 answer to send (the selected subprotocol, and
    /// permessage-deflate if `Config::deflate` is set and the client
    /// offered it acceptably), with the future of the WebSocket once hyper
    /// switched the connection: spawn it, and serve the connection with
    /// upgrades (`hyper::server::conn::http1::Builder::serve_connection(..)
    /// .with_upgrades()`; axum does).
    ///
    /// With feature `http2`, a request over HTTP/2 that is an extended
    /// CONNECT (RFC 8441 §4: `:protocol` websocket, which hyper gives as
    /// `hyper::ext::Protocol`) is checked by
    /// [`Request::from_extended_connect`] and answered with a 200 (§5); the
    /// WebSocket then runs on the stream's DATA frames. Serve such
    /// connections with hyper's `http2::Builder` and
    /// `enable_connect_protocol()`, which advertises
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL` (§3).
    ///
    /// On a bad handshake, the [`Refusal`] to send
    /// ([`Refusal::to_http`]): 400 saying what is wrong, 426 with
    /// `Sec-WebSocket-Version: 13` for another version (§4.4); 500 when
    /// the request carries no upgrade (a stack that does not upgrade).
    pub fn upgrade<B>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<(http::Response<String>, Upgrading), Refusal> {
        let checked = if request.method() == http::Method::CONNECT {
            Request::from_extended_connect(request, connect_protocol(request.extensions()))
        } else {
            Request::from_http(request)
        };
        let checked = checked.map_err(Refusal::from_error)?;
        let on_upgrade = request.extensions_mut().remove::<OnUpgrade>();
        let (response, upgrading) = self.accept(&checked, on_upgrade)?;
        Ok((response.map(|()| String::new()), upgrading))
    }

    /// The 101 answer to a checked request and the future of its
    /// WebSocket over `on_upgrade`.
    pub(crate) fn accept(
        &self,
        request: &Request,
        on_upgrade: Option<OnUpgrade>,
    ) -> Result<(http::Response<()>, Upgrading), Refusal> {
        let Some(on_upgrade) = on_upgrade else {
            return Err(Refusal::new(500).body(NOT_UPGRADABLE));
        };
        let protocol = self.select_protocol(request);
        let (response, deflate) = request
            .accept_http(protocol, &self.config)
            // Our own fields (tokens, base64): only a bug gets here.
            .map_err(|_| Refusal::from_error(HandshakeError::Rejected(500)))?;
        let upgrading = Upgrading {
            on_upgrade,
            state: Some(Box::new(Pending {
                config: self.config.clone(),
                protocol: protocol.map(str::to_owned),
                deflate,
                going_away: self.going_away.clone(),
            })),
        };
        Ok((response, upgrading))
    }
}

/// The `:protocol` of an extended CONNECT over HTTP/2, as hyper gives it
/// in a request's extensions.
#[cfg(feature = "http2")]
pub(crate) fn connect_protocol(extensions: &http::Extensions) -> Option<&str> {
    extensions
        .get::<::hyper::ext::Protocol>()
        .map(::hyper::ext::Protocol::as_str)
}

/// Without hyper's HTTP/2, no request carries a `:protocol`.
#[cfg(not(feature = "http2"))]
pub(crate) fn connect_protocol(_: &http::Extensions) -> Option<&str> {
    None
}

/// The body of the 500 for a request that carries no upgrade.
const NOT_UPGRADABLE: &str = "this connection cannot be upgraded: \
the HTTP server must be serving it with upgrades (HTTP/1.1)";

/// Turns `request` into the 101 answer and the future of its WebSocket,
/// with `config` and no subprotocol: [`Upgrade::upgrade`] with
/// [`Upgrade::new`]`(config)`.
///
/// ```no_run
/// # async fn handle(mut request: hyper::Request<hyper::body::Incoming>) -> hyper::Response<String> {
/// let (response, upgrading) = match rfc6455::hyper::upgrade(&mut request, rfc6455::Config::default()) {
///     Ok(upgrade) => upgrade,
///     Err(refusal) => return refusal.to_http(),
/// };
/// tokio::spawn(async move {
///     if let Ok(ws) = upgrading.await {
///         // serve `ws`
///     }
/// });
/// response
/// # }
/// ```
pub fn upgrade<B>(
    request: &mut http::Request<B>,
    config: Config,
) -> Result<(http::Response<String>, Upgrading), Refusal> {
    Upgrade::new(config).upgrade(request)
}

/// The WebSocket of an accepted request, once hyper switched the
/// connection's protocol: a future made by [`Upgrade::upgrade`]. It
/// completes after the 101 answer is sent; it fails with [`Error::Io`]
/// if the connection ended first (or was not served with upgrades).
#[derive(Debug)]
#[must_use = "the WebSocket exists once this future is awaited"]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    /// Taken when the future completes. Boxed: the future moves into the
    /// task that serves the connection, and stays small there.
    state: Option<Box<Pending>>,
}

#[derive(Debug)]
struct Pending {
    config: Config,
    protocol: Option<String>,
    deflate: Option<DeflateParams>,
    going_away: Option<GoingAway>,
}

impl Upgrading {
    /// The subprotocol selected, if any.
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.state.as_ref()?.protocol.as_deref()
    }

    /// The permessage-deflate parameters agreed on (RFC 7692), if any.
    #[must_use]
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.state.as_ref()?.deflate.as_ref()
    }
}

impl Future for Upgrading {
    type Output = Result<WebSocket<UpgradedIo>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.state.is_none() {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        let upgraded = ready!(Pin::new(&mut this.on_upgrade).poll(cx));
        let Some(pending) = this.state.take() else {
            return Poll::Ready(Err(Error::ConnectionClosed));
        };
        let upgraded = upgraded.map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let Pending {
            config,
            protocol,
            deflate,
            going_away,
        } = *pending;
        let io = hyper_util::rt::TokioIo::new(upgraded);
        let mut ws = WebSocket::from_raw_with_deflate(io, Role::Server, config, deflate);
        ws.set_protocol(protocol);
        if let Some(going_away) = going_away {
            going_away.watch(&mut ws);
        }
        Poll::Ready(Ok(ws))
    }
}
