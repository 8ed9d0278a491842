//! An axum 0.8 extractor for WebSocket upgrades (feature `axum`), in the
//! shape of axum's own `WebSocketUpgrade`, with what axum's lacks:
//! permessage-deflate (RFC 7692) from [`Config::deflate`], every limit of
//! [`Config`], and a graceful shutdown its WebSockets join
//! ([`GoingAway`]).
//!
//! Glue only: the request is checked by
//! [`handshake::Request::from_parts`], the answer made by
//! [`handshake::Request::accept_http`] and the connection built as by
//! [`hyper::Upgrade`](crate::hyper::Upgrade); a bad handshake is answered
//! with the [`Refusal`] of its error.
//!
//! With feature `http2`, an extended CONNECT over HTTP/2 (RFC 8441) is
//! taken too, checked by
//! [`handshake::Request::from_extended_connect_parts`] and answered with a
//! 200: route the handler with `any` (or `on(MethodFilter::GET.or(MethodFilter::CONNECT), ..)`),
//! not `get` alone, and serve with `axum::serve` and axum's own `http2`
//! feature, which enables the extended CONNECT protocol.
//!
//! ```no_run
//! use axum::response::Response;
//! use axum::routing::get;
//! use futures_util::{SinkExt, StreamExt};
//! use rfc6455::axum::WebSocketUpgrade;
//! use rfc6455::deflate::DeflateConfig;
//! use rfc6455::Config;
//!
//! async fn chat(upgrade: WebSocketUpgrade) -> Response {
//!     upgrade
//!         .protocols(["chat.v2", "chat.v1"])
//!         .config(Config::default().deflate(DeflateConfig::default()))
//!         .on_upgrade(|mut ws| async move {
//!             // ws.protocol(): the subprotocol selected.
//!             while let Some(Ok(msg)) = ws.next().await {
//!                 if msg.is_data() && ws.send(msg).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         })
//! }
//!
//! let app: axum::Router = axum::Router::new().route("/chat", get(chat));
//! ```
//!
//! [`Config::deflate`]: crate::Config#structfield.deflate
//! [`handshake::Request::from_parts`]: crate::handshake::Request::from_parts
//! [`handshake::Request::from_extended_connect_parts`]: crate::handshake::Request::from_extended_connect_parts
//! [`handshake::Request::accept_http`]: crate::handshake::Request::accept_http

use super::upgrade::{Upgrade, UpgradedIo};
use super::{GoingAway, WebSocket};
use crate::config::Config;
use crate::error::Error;
use crate::handshake::{self, Refusal};
use ::axum::body::Body;
use ::axum::extract::FromRequestParts;
use ::axum::response::{IntoResponse, Response};
use ::hyper::upgrade::OnUpgrade;
use http::request::Parts;
use std::fmt;
use std::future::Future;

/// Extracts a WebSocket opening handshake (RFC 6455 §4.2.1) from an axum
/// request; [`on_upgrade`](Self::on_upgrade) answers it and runs a
/// callback with the [`WebSocket`] once the connection switched protocols.
///
/// A request that is not a valid handshake is rejected with
/// [`WebSocketUpgradeRejection`]: 400 saying what is wrong, or 426 with
/// `Sec-WebSocket-Version: 13` for a version other than 13 (§4.4).
///
/// The defaults: `Config::default()` (no permessage-deflate), no
/// subprotocol, no shutdown signal, upgrade failures ignored.
///
/// ```
/// use axum::response::Response;
/// use rfc6455::axum::WebSocketUpgrade;
///
/// async fn handler(upgrade: WebSocketUpgrade) -> Response {
///     upgrade
///         .protocols(["graphql-transport-ws"])
///         .on_failed_upgrade(|error| eprintln!("upgrade failed: {error}"))
///         .on_upgrade(|ws| async move {
///             assert!(ws.protocol().is_none() || ws.protocol() == Some("graphql-transport-ws"));
///         })
/// }
/// let app: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
/// ```
pub struct WebSocketUpgrade<F = DefaultOnFailedUpgrade> {
    /// Boxed: the extractor moves through the handler's future.
    request: Box<handshake::Request>,
    on_upgrade: Option<OnUpgrade>,
    upgrade: Upgrade,
    on_failed_upgrade: F,
}

impl<F> fmt::Debug for WebSocketUpgrade<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("request", &self.request)
            .field("upgrade", &self.upgrade)
            .finish_non_exhaustive()
    }
}

impl<F> WebSocketUpgrade<F> {
    /// The subprotocols this endpoint speaks: the first one the client
    /// offers, in the client's order of preference, is selected (RFC 6455
    /// §4.2.2 item 4; see [`selected_protocol`](Self::selected_protocol)).
    #[must_use]
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.upgrade = self.upgrade.protocols(protocols);
        self
    }

    /// The WebSocket's [`Config`]: its limits, and permessage-deflate
    /// (negotiated when `config.deflate` is set and the client offers it).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.upgrade = self.upgrade.config(config);
        self
    }

    /// Makes the WebSocket join `going_away`: it sends 1001 Going Away
    /// when the shutdown starts, and its callback's task is aborted if it
    /// is still running at the shutdown's timeout.
    #[must_use]
    pub fn going_away(mut self, going_away: &GoingAway) -> Self {
        self.upgrade = self.upgrade.going_away(going_away);
        self
    }

    /// The subprotocol that [`on_upgrade`](Self::on_upgrade) will select,
    /// given [`protocols`](Self::protocols), if any.
    #[must_use]
    pub fn selected_protocol(&self) -> Option<&str> {
        self.upgrade.select_protocol(&self.request)
    }

    /// The checked request: resource, host, offered subprotocols, origin,
    /// every header field.
    #[must_use]
    pub fn request(&self) -> &handshake::Request {
        &self.request
    }

    /// Called with the error if the connection fails to switch protocols
    /// after the 101 answer (the client left). Default: ignored.
    #[must_use]
    pub fn on_failed_upgrade<C: OnFailedUpgrade>(self, callback: C) -> WebSocketUpgrade<C> {
        WebSocketUpgrade {
            request: self.request,
            on_upgrade: self.on_upgrade,
            upgrade: self.upgrade,
            on_failed_upgrade: callback,
        }
    }

    /// Answers the handshake: returns the 101 response for the handler to
    /// return, and once hyper switched the connection, runs `callback`
    /// with the WebSocket in a task of its own (one of
    /// [`GoingAway::spawn`] if the upgrade joined one).
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket<UpgradedIo>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        F: OnFailedUpgrade,
    {
        let WebSocketUpgrade {
            request,
            on_upgrade,
            upgrade,
            on_failed_upgrade,
        } = self;
        let (response, upgrading) = match upgrade.accept(&request, on_upgrade) {
            Ok(accepted) => accepted,
            Err(refusal) => return WebSocketUpgradeRejection(refusal).into_response(),
        };
        drop(request);
        let task = async move {
            match upgrading.await {
                Ok(ws) => callback(ws).await,
                Err(error) => on_failed_upgrade.call(error),
            }
        };
        match upgrade.joined() {
            Some(going_away) => drop(going_away.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
        response.map(|()| Body::empty())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade<DefaultOnFailedUpgrade> {
    type Rejection = WebSocketUpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = if parts.method == http::Method::CONNECT {
            let protocol = super::upgrade::connect_protocol(&parts.extensions);
            handshake::Request::from_extended_connect_parts(parts, protocol)
        } else {
            handshake::Request::from_parts(parts)
        };
        let request =
            request.map_err(|error| WebSocketUpgradeRejection(Refusal::from_error(error)))?;
        Ok(WebSocketUpgrade {
            request: Box::new(request),
            // Missing without hyper's upgrades: refused by `on_upgrade`,
            // which answers the same for the hyper helper.
            on_upgrade: parts.extensions.remove::<OnUpgrade>(),
            upgrade: Upgrade::default(),
            on_failed_upgrade: DefaultOnFailedUpgrade,
        })
    }
}

/// What a [`WebSocketUpgrade`] answers to a request that is not a valid
/// opening handshake: the [`Refusal`] of its error (RFC 6455 §4.2.1: 400
/// with the reason as body; §4.4: 426 with `Sec-WebSocket-Version: 13`).
#[derive(Debug)]
pub struct WebSocketUpgradeRejection(Refusal);

impl WebSocketUpgradeRejection {
    /// The response it stands for.
    #[must_use]
    pub fn refusal(&self) -> &Refusal {
        &self.0
    }
}

impl fmt::Display for WebSocketUpgradeRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status(), self.0.text())
    }
}

impl std::error::Error for WebSocketUpgradeRejection {}

impl IntoResponse for WebSocketUpgradeRejection {
    fn into_response(self) -> Response {
        self.0.to_http().map(Body::from)
    }
}

/// What [`WebSocketUpgrade::on_failed_upgrade`] takes: a callback for a
/// connection that failed to switch protocols after the 101 answer.
pub trait OnFailedUpgrade: Send + 'static {
    /// Called with the error.
    fn call(self, error: Error);
}

impl<F> OnFailedUpgrade for F
where
    F: FnOnce(Error) + Send + 'static,
{
    fn call(self, error: Error) {
        self(error);
    }
}

/// The default [`OnFailedUpgrade`]: ignores the error (the client is gone).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DefaultOnFailedUpgrade;

impl OnFailedUpgrade for DefaultOnFailedUpgrade {
    fn call(self, _error: Error) {}
}
