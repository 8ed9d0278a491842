//! Tunnels through a proxy, without IO: HTTP `CONNECT` (RFC 9110 §9.3.6,
//! with Basic authentication, RFC 7617) and SOCKS5 (RFC 1928, with
//! username/password authentication, RFC 1929, and the target's name
//! resolved at the proxy).
//!
//! Owns the proxy's address and credentials ([`Proxy`]), the choice of a
//! proxy from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
//! ([`Proxy::from_env`]), the bytes each protocol sends and the checks of
//! what the proxy answers, and the typed refusal ([`ProxyError`]). Does not
//! own sockets nor timeouts: the tokio layer writes what this module
//! encodes and feeds it what it reads, under the handshake timeout. Every
//! parser takes the bytes read so far and answers `Ok(None)` while they are
//! incomplete, like `httparse`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::fmt;

/// Which protocol a [`Proxy`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyKind {
    /// HTTP `CONNECT` (RFC 9110 §9.3.6): `http://` proxy URLs.
    Http,
    /// SOCKS5 (RFC 1928), the target's name sent to the proxy to resolve:
    /// `socks5://` and `socks5h://` proxy URLs.
    Socks5,
}

/// A proxy to tunnel a connection through: its kind, address and optional
/// credentials (Basic for HTTP, username/password for SOCKS5).
///
/// ```
/// use rfc6455::proxy::{Proxy, ProxyKind};
/// let proxy = Proxy::parse("http://alice:s%40cret@proxy.example:3128")?;
/// assert_eq!(proxy.kind(), ProxyKind::Http);
/// assert_eq!((proxy.host(), proxy.port()), ("proxy.example", 3128));
/// assert_eq!(proxy.credentials(), Some(("alice", "s@cret")));
/// let socks = Proxy::socks5("127.0.0.1", 1080).with_credentials("bob", "pw");
/// assert_eq!(socks.kind(), ProxyKind::Socks5);
/// # Ok::<(), rfc6455::proxy::ProxyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    kind: ProxyKind,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    // The password stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl Proxy {
    /// An HTTP `CONNECT` proxy at `host:port`.
    #[must_use]
    pub fn http(host: &str, port: u16) -> Proxy {
        Proxy::new(ProxyKind::Http, host, port)
    }

    /// A SOCKS5 proxy at `host:port`.
    #[must_use]
    pub fn socks5(host: &str, port: u16) -> Proxy {
        Proxy::new(ProxyKind::Socks5, host, port)
    }

    fn new(kind: ProxyKind, host: &str, port: u16) -> Proxy {
        Proxy {
            kind,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            credentials: None,
        }
    }

    /// Authenticates with `user` and `password`: Basic for HTTP
    /// (`Proxy-Authorization`), username/password for SOCKS5 (RFC 1929,
    /// each at most 255 bytes, checked when connecting).
    #[must_use]
    pub fn with_credentials(mut self, user: &str, password: &str) -> Proxy {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// A proxy from a URL: `http://[user:password@]host[:port]` (default
    /// port 80), `socks5://` or `socks5h://` (default 1080; both resolve
    /// the target at the proxy). A URL without a scheme is HTTP, as curl
    /// reads `HTTP_PROXY`. User and password are percent-decoded.
    pub fn parse(url: &str) -> Result<Proxy, ProxyError> {
        let invalid = |why: &str| ProxyError::InvalidUrl(format!("{url}: {why}"));
        let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
        let (kind, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "http" => (ProxyKind::Http, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            _ => return Err(invalid("the scheme is not http, socks5 or socks5h")),
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let parsed: http::uri::Authority = hostport.parse().map_err(|_| invalid("bad host"))?;
        if parsed.host().is_empty() {
            return Err(invalid("no host"));
        }
        if parsed.port().is_none() && hostport.len() > parsed.host().len() + 1 {
            return Err(invalid("the port is not a number from 0 to 65535"));
        }
        let mut proxy = Proxy::new(
            kind,
            parsed.host(),
            parsed.port_u16().unwrap_or(default_port),
        );
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| percent_decode(s).ok_or_else(|| invalid("bad percent-encoding"));
            proxy.credentials = Some((decode(user)?, decode(password)?));
        }
        Ok(proxy)
    }

    /// The proxy the environment names for a `ws://` (`tls` false) or
    /// `wss://` URL to `host`, as curl reads it: `HTTPS_PROXY` for `wss://`,
    /// `HTTP_PROXY` for `ws://`, else `ALL_PROXY` (each also in lower
    /// case, which wins); none if `NO_PROXY` matches `host` (`*`, a name,
    /// a domain suffix with or without a leading dot, an IP address).
    /// An unusable URL is an error rather than a silent direct connection.
    pub fn from_env(tls: bool, host: &str) -> Result<Option<Proxy>, ProxyError> {
        Proxy::from_vars(|name| std::env::var(name).ok(), tls, host)
    }

    /// [`from_env`](Self::from_env) with the variables given by `var`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        tls: bool,
        host: &str,
    ) -> Result<Option<Proxy>, ProxyError> {
        let get = |name: &str| {
            var(&name.to_ascii_lowercase())
                .or_else(|| var(name))
                .filter(|value| !value.trim().is_empty())
        };
        if let Some(no_proxy) = get("NO_PROXY") {
            if no_proxy_matches(&no_proxy, host) {
                return Ok(None);
            }
        }
        let scheme_var = if tls { "HTTPS_PROXY" } else { "HTTP_PROXY" };
        match get(scheme_var).or_else(|| get("ALL_PROXY")) {
            Some(url) => Proxy::parse(url.trim()).map(Some),
            None => Ok(None),
        }
    }

    /// The protocol it speaks.
    #[must_use]
    pub fn kind(&self) -> ProxyKind {
        self.kind
    }

    /// Its host (no brackets around IPv6).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Its port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user and password it is given, if any.
    #[must_use]
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()))
    }
}

/// Whether a `NO_PROXY` list names `host`.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.split(',').map(str::trim).any(|entry| {
        let entry = entry.trim_start_matches("*.").trim_start_matches('.');
        let entry = entry.trim_start_matches('[');
        let entry = entry.split_once("]").map_or(entry, |(ip, _)| ip);
        entry == "*"
            || (!entry.is_empty() && host.eq_ignore_ascii_case(entry))
            || (!entry.is_empty()
                && host.len() > entry.len()
                && host[host.len() - entry.len()..].eq_ignore_ascii_case(entry)
                && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why a tunnel through a proxy failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy URL (given, or from the environment) is not usable.
    InvalidUrl(String),
    /// The HTTP proxy refused `CONNECT` with this status (407: proxy
    /// authentication required or wrong; 403: not allowed) and reason.
    HttpRefused {
        /// The status code (not 2xx).
        status: u16,
        /// The reason phrase, as sent.
        reason: String,
    },
    /// The SOCKS5 proxy accepts none of the offered methods (RFC 1928 §3):
    /// it wants credentials and none were given, or the reverse.
    SocksNoAcceptableMethod,
    /// The SOCKS5 proxy refused the user and password (RFC 1929 §2).
    SocksAuthFailed,
    /// The SOCKS5 proxy refused the connection with this reply code
    /// (RFC 1928 §6).
    SocksRefused {
        /// The reply code (1 to 8, or other).
        code: u8,
        /// What the code means.
        reason: &'static str,
    },
    /// A user or password longer than 255 bytes, or a target name longer
    /// than 255 bytes, which SOCKS5 cannot carry.
    TooLong(&'static str),
    /// The proxy's answer is not what the protocol allows.
    Malformed(String),
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::InvalidUrl(why) => write!(f, "invalid proxy URL {why}"),
            ProxyError::HttpRefused { status, reason } => {
                write!(f, "the HTTP proxy refused CONNECT: {status} {reason}")
            }
            ProxyError::SocksNoAcceptableMethod => {
                f.write_str("the SOCKS5 proxy accepts none of the offered authentication methods")
            }
            ProxyError::SocksAuthFailed => {
                f.write_str("the SOCKS5 proxy refused the user and password")
            }
            ProxyError::SocksRefused { code, reason } => {
                write!(
                    f,
                    "the SOCKS5 proxy refused the connection: {reason} ({code})"
                )
            }
            ProxyError::TooLong(what) => write!(f, "{what} is longer than SOCKS5 allows (255)"),
            ProxyError::Malformed(why) => write!(f, "malformed proxy answer: {why}"),
        }
    }
}

impl std::error::Error for ProxyError {}

/// Most bytes of a `CONNECT` answer's head.
pub const MAX_CONNECT_RESPONSE: usize = 16 << 10;

/// `host:port`, with brackets around an IPv6 address.
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The `CONNECT` request for `host:port` (RFC 9110 §9.3.6), with Basic
/// `Proxy-Authorization` (RFC 7617) when `proxy` has credentials.
#[must_use]
pub fn http_connect_request(proxy: &Proxy, host: &str, port: u16) -> Vec<u8> {
    let target = authority(host, port);
    let mut out = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, password)) = proxy.credentials() {
        let token = STANDARD.encode(format!("{user}:{password}"));
        out.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Checks the proxy's answer to `CONNECT` at the start of `buf`:
/// `Ok(Some(n))` once a 2xx head of `n` bytes is complete (the tunnel is
/// open), `Ok(None)` while incomplete, [`ProxyError::HttpRefused`] for any
/// other status, [`ProxyError::Malformed`] for bytes that are not HTTP or a
/// head longer than [`MAX_CONNECT_RESPONSE`].
pub fn parse_http_connect_response(buf: &[u8]) -> Result<Option<usize>, ProxyError> {
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut storage);
    let bounded = &buf[..buf.len().min(MAX_CONNECT_RESPONSE)];
    match response.parse(bounded) {
        Ok(httparse::Status::Complete(n)) => match response.code.unwrap_or(0) {
            200..=299 => Ok(Some(n)),
            status => Err(ProxyError::HttpRefused {
                status,
                reason: response.reason.unwrap_or_default().to_owned(),
            }),
        },
        Ok(httparse::Status::Partial) if buf.len() >= MAX_CONNECT_RESPONSE => {
            Err(ProxyError::Malformed(format!(
                "CONNECT answer longer than {MAX_CONNECT_RESPONSE} bytes"
            )))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(ProxyError::Malformed(format!("CONNECT answer: {e}"))),
    }
}

/// The SOCKS5 method "no authentication" (RFC 1928 §3).
const NO_AUTH: u8 = 0x00;
/// The SOCKS5 method "username/password" (RFC 1929).
const USER_PASS: u8 = 0x02;

/// The SOCKS5 greeting (RFC 1928 §3): version 5 and the methods offered,
/// username/password only when `proxy` has credentials (so that a proxy
/// that takes anyone cannot make the client skip them, and one that wants
/// them answers "no acceptable method" to a client without).
#[must_use]
pub fn socks5_greeting(proxy: &Proxy) -> Vec<u8> {
    match proxy.credentials {
        Some(_) => vec![5, 1, USER_PASS],
        None => vec![5, 1, NO_AUTH],
    }
}

/// Checks the method the proxy chose (2 bytes): `Ok(Some(true))` if it
/// wants username/password next, `Ok(Some(false))` for none.
pub fn parse_socks5_method(buf: &[u8], proxy: &Proxy) -> Result<Option<bool>, ProxyError> {
    let [version, method, ..] = *buf else {
        return Ok(None);
    };
    if version != 5 {
        return Err(ProxyError::Malformed(format!(
            "SOCKS version {version}, not 5"
        )));
    }
    match method {
        NO_AUTH if proxy.credentials.is_none() => Ok(Some(false)),
        USER_PASS if proxy.credentials.is_some() => Ok(Some(true)),
        _ => Err(ProxyError::SocksNoAcceptableMethod),
    }
}

/// The username/password request (RFC 1929 §2).
pub fn socks5_auth_request(proxy: &Proxy) -> Result<Vec<u8>, ProxyError> {
    let (user, password) = proxy.credentials().unwrap_or_default();
    let user_len = u8::try_from(user.len()).map_err(|_| ProxyError::TooLong("the user"))?;
    let pass_len = u8::try_from(password.len()).map_err(|_| ProxyError::TooLong("the password"))?;
    let mut out = vec![1, user_len];
    out.extend_from_slice(user.as_bytes());
    out.push(pass_len);
    out.extend_from_slice(password.as_bytes());
    Ok(out)
}

/// Checks the answer to the username/password request (2 bytes).
pub fn parse_socks5_auth_reply(buf: &[u8]) -> Result<Option<()>, ProxyError> {
    match *buf {
        [_, 0, ..] => Ok(Some(())),
        [_, _, ..] => Err(ProxyError::SocksAuthFailed),
        _ => Ok(None),
    }
}

/// The CONNECT request (RFC 1928 §4) for `host:port`: an IP address as
/// one, a name as a name for the proxy to resolve.
pub fn socks5_connect_request(host: &str, port: u16) -> Result<Vec<u8>, ProxyError> {
    let mut out = vec![5, 1, 0];
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            out.push(1);
            out.extend_from_slice(&ip.octets());
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        Err(_) => {
            let len = u8::try_from(host.len()).map_err(|_| ProxyError::TooLong("the host"))?;
            out.push(3);
            out.push(len);
            out.extend_from_slice(host.as_bytes());
        }
    }
    out.extend_from_slice(&port.to_be_bytes());
    Ok(out)
}

/// Checks the proxy's reply to CONNECT (RFC 1928 §6): `Ok(Some(n))` once
/// a success reply of `n` bytes is complete, `Ok(None)` while incomplete,
/// [`ProxyError::SocksRefused`] with the code and its meaning otherwise.
pub fn parse_socks5_reply(buf: &[u8]) -> Result<Option<usize>, ProxyError> {
    let [version, code, _, atyp, rest @ ..] = buf else {
        return Ok(None);
    };
    if *version != 5 {
        return Err(ProxyError::Malformed(format!(
            "SOCKS version {version}, not 5"
        )));
    }
    if *code != 0 {
        return Err(ProxyError::SocksRefused {
            code: *code,
            reason: socks5_reply_reason(*code),
        });
    }
    let address = match atyp {
        1 => 4,
        4 => 16,
        3 => match rest.first() {
            Some(&len) => 1 + usize::from(len),
            None => return Ok(None),
        },
        other => return Err(ProxyError::Malformed(format!("SOCKS address type {other}"))),
    };
    let n = 4 + address + 2;
    Ok((buf.len() >= n).then_some(n))
}

/// What a SOCKS5 reply code means (RFC 1928 §6).
fn socks5_reply_reason(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("socks5h://u:p%3A@[::1]:1081/").unwrap();
        assert_eq!(
            (p.kind(), p.host(), p.port()),
            (ProxyKind::Socks5, "::1", 1081)
        );
        assert_eq!(p.credentials(), Some(("u", "p:")));
        let p = Proxy::parse("proxy:3128").unwrap();
        assert_eq!(
            (p.kind(), p.host(), p.port()),
            (ProxyKind::Http, "proxy", 3128)
        );
        assert_eq!(Proxy::parse("http://proxy").unwrap().port(), 80);
        assert_eq!(Proxy::parse("socks5://proxy").unwrap().port(), 1080);
        for bad in ["ftp://x", "http://", "http://x:99999", "http://a:%zz@x"] {
            assert!(
                matches!(Proxy::parse(bad), Err(ProxyError::InvalidUrl(_))),
                "{bad}"
            );
        }
        let debug = format!("{:?}", Proxy::http("h", 1).with_credentials("u", "secret"));
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn proxies_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let env = vars(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("http_proxy", "http://plain:2"),
            ("HTTP_PROXY", "http://ignored:3"),
            ("ALL_PROXY", "socks5://all:4"),
            ("NO_PROXY", "localhost, .internal,example.org,[::1]"),
        ]);
        let host = |tls, host| Proxy::from_vars(env, tls, host).unwrap().map(|p| p.host);
        assert_eq!(host(true, "a.com").as_deref(), Some("secure"));
        assert_eq!(host(false, "a.com").as_deref(), Some("plain"));
        for direct in [
            "localhost",
            "x.internal",
            "example.org",
            "www.example.org",
            "::1",
        ] {
            assert_eq!(host(true, direct), None, "{direct}");
        }
        assert_eq!(host(true, "notexample.org").as_deref(), Some("secure"));
        let all = vars(&[("ALL_PROXY", "socks5h://all:4")]);
        let proxy = Proxy::from_vars(all, false, "a.com").unwrap().unwrap();
        assert_eq!(proxy.kind(), ProxyKind::Socks5);
        let star = vars(&[("ALL_PROXY", "x:1"), ("no_proxy", "*")]);
        assert_eq!(Proxy::from_vars(star, false, "a.com"), Ok(None));
        let bad = vars(&[("HTTP_PROXY", "gopher://x")]);
        assert!(Proxy::from_vars(bad, false, "a.com").is_err());
        assert_eq!(Proxy::from_vars(vars(&[]), true, "a.com"), Ok(None));
    }

    #[test]
    fn http_connect() {
        let proxy = Proxy::http("p", 3128).with_credentials("Aladdin", "open sesame");
        let request = http_connect_request(&proxy, "::1", 443);
        assert_eq!(
            request,
            b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\
              Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"
        );
        let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
        assert_eq!(parse_http_connect_response(&ok[..10]), Ok(None));
        assert_eq!(parse_http_connect_response(ok), Ok(Some(ok.len())));
        let refused = b"HTTP/1.0 407 Proxy Authentication Required\r\n\
            Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
        assert_eq!(
            parse_http_connect_response(refused),
            Err(ProxyError::HttpRefused {
                status: 407,
                reason: "Proxy Authentication Required".to_owned()
            })
        );
        assert!(matches!(
            parse_http_connect_response(b"SSH-2.0\r\n\r\n"),
            Err(ProxyError::Malformed(_))
        ));
        let endless = vec![b'a'; MAX_CONNECT_RESPONSE + 10];
        let endless = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &endless].concat();
        assert!(matches!(
            parse_http_connect_response(&endless),
            Err(ProxyError::Malformed(_))
        ));
    }

    #[test]
    fn socks5() {
        let anonymous = Proxy::socks5("p", 1080);
        let user = Proxy::socks5("p", 1080).with_credentials("u", "pw");
        assert_eq!(socks5_greeting(&anonymous), [5, 1, 0]);
        assert_eq!(socks5_greeting(&user), [5, 1, 2]);
        assert_eq!(parse_socks5_method(&[5], &user), Ok(None));
        assert_eq!(parse_socks5_method(&[5, 2], &user), Ok(Some(true)));
        assert_eq!(parse_socks5_method(&[5, 0], &anonymous), Ok(Some(false)));
        assert_eq!(
            parse_socks5_method(&[5, 0xff], &anonymous),
            Err(ProxyError::SocksNoAcceptableMethod)
        );
        assert_eq!(
            parse_socks5_method(&[5, 0], &user),
            Err(ProxyError::SocksNoAcceptableMethod)
        );
        assert!(parse_socks5_method(&[4, 0], &user).is_err());
        assert_eq!(socks5_auth_request(&user).unwrap(), b"\x01\x01u\x02pw");
        let long = Proxy::socks5("p", 1).with_credentials(&"u".repeat(256), "");
        assert_eq!(
            socks5_auth_request(&long),
            Err(ProxyError::TooLong("the user"))
        );
        assert_eq!(parse_socks5_auth_reply(&[1]), Ok(None));
        assert_eq!(parse_socks5_auth_reply(&[1, 0]), Ok(Some(())));
        assert_eq!(
            parse_socks5_auth_reply(&[1, 1]),
            Err(ProxyError::SocksAuthFailed)
        );

        assert_eq!(
            socks5_connect_request("example.com", 80).unwrap(),
            b"\x05\x01\x00\x03\x0bexample.com\x00\x50"
        );
        assert_eq!(
            socks5_connect_request("127.0.0.1", 443).unwrap(),
            b"\x05\x01\x00\x01\x7f\x00\x00\x01\x01\xbb"
        );
        assert_eq!(socks5_connect_request("::1", 1).unwrap().len(), 4 + 16 + 2);
        assert!(socks5_connect_request(&"a".repeat(256), 1).is_err());

        let v4 = [5, 0, 0, 1, 127, 0, 0, 1, 0, 80];
        assert_eq!(parse_socks5_reply(&v4[..9]), Ok(None));
        assert_eq!(parse_socks5_reply(&v4), Ok(Some(10)));
        assert_eq!(parse_socks5_reply(&[5, 0, 0, 3]), Ok(None));
        assert_eq!(
            parse_socks5_reply(&[5, 0, 0, 3, 1, b'a', 0, 1]),
            Ok(Some(8))
        );
        assert_eq!(
            parse_socks5_reply(&[5, 5, 0, 1]),
            Err(ProxyError::SocksRefused {
                code: 5,
                reason: "connection refused"
            })
        );
        assert!(parse_socks5_reply(&[5, 0, 0, 9, 0]).is_err());
        assert!(parse_socks5_reply(&[4, 0, 0, 1]).is_err());
    }
}
