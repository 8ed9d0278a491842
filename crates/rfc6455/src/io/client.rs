//! How a client connects: [`ClientConfig`] (limits, TLS, proxy, how TCP
//! is opened) and the tunnel through a proxy. The proxies' protocols are
//! in [`crate::proxy`]; this module only moves their bytes (under the
//! handshake timeout of the caller).

use super::dial::{dial, Dial};
use super::handshake::connect_through;
use super::tls::{Connector, MaybeTlsStream};
use super::WebSocket;
use crate::config::Config;
use crate::error::Error;
use crate::error::HandshakeError;
use crate::handshake::{is_redirect, IntoClientRequest, Redirects, ServerResponse};
use crate::proxy::{self, Proxy, ProxyError, ProxyKind};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a client connects: the limits ([`Config`]), how `wss://` is secured
/// ([`Connector`]), the proxy, if any, and how TCP is opened. Built from
/// its default with a setter per choice, then used for any number of
/// connections.
///
/// TCP is opened as browsers open it: every address the name resolves to
/// is tried, IPv6 and IPv4 interleaved and raced with staggered starts
/// (Happy Eyeballs, RFC 8305; see
/// [`attempt_delay`](Self::attempt_delay)), all within
/// [`connect_timeout`](Self::connect_timeout). The connection has
/// `TCP_NODELAY` set: the handshake and each frame leave at once instead
/// of waiting for the peer's acknowledgement of the last (Nagle's
/// algorithm), which WebSocket's small, latency-bound messages want.
///
/// ```no_run
/// # async fn run() -> Result<(), rfc6455::Error> {
/// use rfc6455::proxy::Proxy;
/// use rfc6455::{ClientConfig, Config};
///
/// let client = ClientConfig::default()
///     .config(Config::default().max_message_size(1 << 20))
///     .proxy(Proxy::http("proxy.internal", 3128).with_credentials("alice", "secret"));
/// let (ws, response) = client.connect("wss://example.com/chat").await?;
///
/// // Or the proxy the environment names (HTTPS_PROXY, HTTP_PROXY,
/// // ALL_PROXY, NO_PROXY), as curl reads it.
/// let (ws, response) = ClientConfig::default()
///     .proxy_from_env()
///     .connect("wss://example.com/chat")
///     .await?;
///
/// // A name sent to an address of your choice (a test server, a service
/// // mesh's sidecar): the URL, the Host field and TLS's name stay.
/// let sidecar = "127.0.0.1:15001".parse().unwrap();
/// let (ws, response) = ClientConfig::default()
///     .connect_to("chat.internal", [sidecar])
///     .connect_timeout(std::time::Duration::from_secs(2))
///     .connect("ws://chat.internal/room/1")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The limits and timeouts; `handshake_timeout` bounds the whole
    /// connect: the proxy's tunnel, TLS and the opening handshake.
    pub config: Config,
    /// How `wss://` is secured ([`Connector::default`]: the TLS the build
    /// enables, as the [`tls`](crate::tls) module says). Through a proxy,
    /// TLS runs inside the tunnel, with the target's name (SNI) and
    /// certificate.
    pub connector: Connector,
    /// Set by [`proxy`](Self::proxy).
    pub proxy: Option<Proxy>,
    /// Set by [`proxy_from_env`](Self::proxy_from_env).
    pub proxy_from_env: bool,
    /// How many redirects to follow (301, 302, 303, 307, 308); 0, the
    /// default, follows none (the refusal is the error).
    pub max_redirects: usize,
    /// Bounds the opening of TCP, name resolution included, to the host or
    /// to the proxy ([`TimeoutKind::Connect`](crate::TimeoutKind::Connect));
    /// the whole connect stays bounded by `config.handshake_timeout`.
    /// Default: 5 s.
    pub connect_timeout: Duration,
    /// Between the starts of two connection attempts to the addresses of
    /// one name, unless the earlier attempt fails sooner (RFC 8305 §5's
    /// "Connection Attempt Delay"). Default: 250 ms, the RFC's
    /// recommendation.
    pub attempt_delay: Duration,
    /// Set by [`connect_to`](Self::connect_to).
    pub connect_to: Vec<(String, Vec<SocketAddr>)>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            config: Config::default(),
            connector: Connector::default(),
            proxy: None,
            proxy_from_env: false,
            max_redirects: 0,
            connect_timeout: Duration::from_secs(5),
            attempt_delay: Duration::from_millis(250),
            connect_to: Vec::new(),
        }
    }
}

/// Where a connection goes first.
#[derive(Debug, Clone, Copy)]
pub(super) enum ProxySetting<'a> {
    /// Straight to the target.
    Direct,
    /// Through this proxy.
    Given(&'a Proxy),
    /// Through the proxy the environment names for the target, if any.
    FromEnv,
}

impl ClientConfig {
    /// Sets the limits and timeouts.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets how `wss://` is secured.
    #[must_use]
    pub fn connector(mut self, connector: Connector) -> Self {
        self.connector = connector;
        self
    }

    /// Tunnels every connection through `proxy` (HTTP `CONNECT` or
    /// SOCKS5), whatever the environment says.
    #[must_use]
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Tunnels through the proxy the environment names for each target
    /// ([`Proxy::from_env`]), when no [`proxy`](Self::proxy) is set. Off by
    /// default: a library does not follow the environment unasked.
    #[must_use]
    pub fn proxy_from_env(mut self) -> Self {
        self.proxy_from_env = true;
        self
    }

    /// Follows up to `max` redirects of the opening handshake (301, 302,
    /// 303, 307, 308 with `Location`; see
    /// [`ClientRequest::follow`](crate::handshake::ClientRequest::follow)):
    /// `Authorization` and `Cookie` are dropped when the origin changes,
    /// and `wss://` never leads to `ws://`. A loop, one redirect too many,
    /// or a downgrade is [`Error::Redirect`] naming the chain. Each hop
    /// has its own `handshake_timeout`.
    #[must_use]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// Sets [`connect_timeout`](Self#structfield.connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`attempt_delay`](Self#structfield.attempt_delay).
    #[must_use]
    pub fn attempt_delay(mut self, delay: Duration) -> Self {
        self.attempt_delay = delay;
        self
    }

    /// Opens TCP to `addrs` (tried in turn as a resolved name's addresses
    /// are, their ports as given) instead of resolving `host` (compared
    /// without regard to case, whatever the URL's port): for tests, and
    /// for service meshes that route through a local address. Only the
    /// TCP connection moves: the URL, the `Host` field, and the name TLS
    /// sends and checks stay the host's. Through a proxy, the proxy is
    /// asked for the first address instead of the name. A later call for
    /// the same host replaces the earlier.
    #[must_use]
    pub fn connect_to(
        mut self,
        host: impl Into<String>,
        addrs: impl IntoIterator<Item = SocketAddr>,
    ) -> Self {
        let host = host.into();
        self.connect_to
            .retain(|(name, _)| !name.eq_ignore_ascii_case(&host));
        self.connect_to.push((host, addrs.into_iter().collect()));
        self
    }

    /// How [`dial`] opens TCP for these choices.
    pub(super) fn dial(&self) -> Dial<'_> {
        Dial {
            timeout: self.connect_timeout,
            attempt_delay: self.attempt_delay,
            overrides: &self.connect_to,
        }
    }

    /// Connects to a `ws://` or `wss://` URL (or any
    /// [`IntoClientRequest`]) as [`connect`](crate::connect) does, with
    /// these choices. A proxy's refusal is [`Error::Proxy`].
    pub async fn connect(
        &self,
        request: impl IntoClientRequest,
    ) -> Result<(WebSocket<MaybeTlsStream>, ServerResponse), Error> {
        let proxy = match (&self.proxy, self.proxy_from_env) {
            (Some(proxy), _) => ProxySetting::Given(proxy),
            (None, true) => ProxySetting::FromEnv,
            (None, false) => ProxySetting::Direct,
        };
        let mut request = request.into_client_request()?;
        let mut redirects = Redirects::new(&request, self.max_redirects);
        loop {
            let connected = connect_through(request.clone(), self, proxy).await;
            match connected {
                Err(Error::Handshake(HandshakeError::UnexpectedStatus(refusal)))
                    if self.max_redirects > 0 && is_redirect(refusal.status) =>
                {
                    let next = request.follow(&refusal)?;
                    redirects.visit(&next)?;
                    request = next;
                }
                other => return other,
            }
        }
    }
}

/// A TCP stream to `host:port`: connected directly, or a tunnel opened
/// through `proxy`; see [`dial`] for how TCP is opened.
pub(super) async fn open(
    host: &str,
    port: u16,
    proxy: Option<&Proxy>,
    how: Dial<'_>,
) -> Result<TcpStream, Error> {
    let Some(proxy) = proxy else {
        return dial(host, port, how).await;
    };
    let mut tcp = dial(proxy.host(), proxy.port(), how).await?;
    // `connect_to` moves the tunnel's end too: the proxy is asked for the
    // address, not the name.
    let overridden = how.overridden(host).and_then(|addrs| addrs.first());
    let (host, port) = match overridden {
        Some(addr) => (addr.ip().to_string(), addr.port()),
        None => (host.to_owned(), port),
    };
    let host = host.as_str();
    match proxy.kind() {
        ProxyKind::Http => {
            let request = proxy::http_connect_request(proxy, host, port);
            tcp.write_all(&request).await?;
            answer(&mut tcp, proxy::parse_http_connect_response).await?;
        }
        ProxyKind::Socks5 => {
            tcp.write_all(&proxy::socks5_greeting(proxy)).await?;
            let authenticate =
                answer(&mut tcp, |buf| proxy::parse_socks5_method(buf, proxy)).await?;
            if authenticate {
                tcp.write_all(&proxy::socks5_auth_request(proxy)?).await?;
                answer(&mut tcp, proxy::parse_socks5_auth_reply).await?;
            }
            tcp.write_all(&proxy::socks5_connect_request(host, port)?)
                .await?;
            answer(&mut tcp, proxy::parse_socks5_reply).await?;
        }
    }
    Ok(tcp)
}

/// Reads the proxy's answer one byte at a time until `parse` has it, so
/// that not one byte of the tunnel behind it is taken (the answers are a
/// few dozen bytes; `parse` bounds them).
async fn answer<T>(
    tcp: &mut TcpStream,
    parse: impl Fn(&[u8]) -> Result<Option<T>, ProxyError>,
) -> Result<T, Error> {
    let mut buf = Vec::new();
    loop {
        let byte = match tcp.read_u8().await {
            Ok(byte) => byte,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(
                    ProxyError::Malformed("the proxy closed the connection".to_owned()).into(),
                )
            }
            Err(e) => return Err(e.into()),
        };
        buf.push(byte);
        if let Some(done) = parse(&buf)? {
            return Ok(done);
        }
    }
}
