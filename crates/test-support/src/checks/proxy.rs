//! The checks of the `proxy_answers` target: what a hostile proxy may
//! answer, into the sans-IO parsers of `rfc6455::proxy` (an HTTP `CONNECT`
//! answer, RFC 9110 §9.3.6; the SOCKS5 method choice, username/password
//! status and reply, RFC 1928 §3 and §6, RFC 1929 §2). Every parser gets
//! every input.
//!
//! What must hold: never a panic; each verdict is the one a reader of the
//! RFC's layout gives (an HTTP head as httparse reads it; the fixed SOCKS5
//! fields); a complete answer is never longer than the bytes given nor
//! than its bound, and what follows it (the tunnel's first bytes) changes
//! nothing; and the bytes arriving one at a time give `Ok(None)` until
//! the verdict, which then stays.

use rfc6455::proxy::{self, Proxy, ProxyError};

/// Longest `CONNECT` answer whose every prefix is parsed again
/// (quadratic).
const HTTP_PREFIXES: usize = 512;

/// Longer than any SOCKS5 answer (a reply with a 255-byte name: 262).
const SOCKS_PREFIXES: usize = 270;

/// The checks of the `proxy_answers` target.
pub fn check(data: &[u8]) {
    check_http_connect(data);
    let anonymous = Proxy::socks5("p", 1);
    let with_login = Proxy::socks5("p", 1).with_credentials("u", "p");
    for proxy in [&anonymous, &with_login] {
        check_prefixes(data, SOCKS_PREFIXES, |b| {
            proxy::parse_socks5_method(b, proxy)
        });
        assert_eq!(
            proxy::parse_socks5_method(data, proxy),
            socks5_method(data, proxy.credentials().is_some()),
            "SOCKS5 method choice {data:02x?}"
        );
    }
    check_prefixes(data, SOCKS_PREFIXES, proxy::parse_socks5_auth_reply);
    // RFC 1929 §2: VER, STATUS; X'00' is success. The version is not
    // checked (a proxy that answers 5, not 1, is common and harmless).
    let auth = proxy::parse_socks5_auth_reply(data);
    match data {
        [_, 0, ..] => assert!(matches!(auth, Ok(Some(())))),
        [_, _, ..] => assert!(matches!(auth, Err(ProxyError::SocksAuthFailed))),
        _ => assert!(matches!(auth, Ok(None))),
    }
    check_socks5_reply(data);
}

/// The parser's answer on every prefix of `data` (up to `up_to` bytes):
/// `Ok(None)` until a verdict, then the same verdict on every longer
/// prefix.
fn check_prefixes<T: std::fmt::Debug + PartialEq>(
    data: &[u8],
    up_to: usize,
    parse: impl Fn(&[u8]) -> Result<Option<T>, ProxyError>,
) {
    let mut verdict = None;
    for end in 0..=data.len().min(up_to) {
        let now = parse(&data[..end]);
        match &verdict {
            None if matches!(now, Ok(None)) => {}
            None => verdict = Some(now),
            Some(before) => assert_eq!(
                before, &now,
                "the verdict changed at byte {end} of {data:02x?}"
            ),
        }
    }
}

/// An HTTP `CONNECT` answer: a 2xx head opens the tunnel, any other
/// status refuses it, bytes that are not an HTTP/1.x head (or one longer
/// than `MAX_CONNECT_RESPONSE`) are malformed.
fn check_http_connect(data: &[u8]) {
    let parsed = proxy::parse_http_connect_response(data);
    let bounded = &data[..data.len().min(proxy::MAX_CONNECT_RESPONSE)];
    let mut storage = [httparse::EMPTY_HEADER; 64];
    let mut reference = httparse::Response::new(&mut storage);
    match (reference.parse(bounded), &parsed) {
        (Ok(httparse::Status::Complete(n)), Ok(Some(m))) => {
            assert_eq!(n, *m);
            assert!((200..=299).contains(&reference.code.unwrap_or(0)));
            assert!(n <= data.len().min(proxy::MAX_CONNECT_RESPONSE));
            // The tunnel's first bytes, right behind the head, are not
            // part of it.
            let mut more = data[..n].to_vec();
            more.extend_from_slice(b"\x16\x03\x01\x00\x05hello\r\n\r\n");
            assert!(matches!(proxy::parse_http_connect_response(&more), Ok(Some(k)) if k == n));
        }
        (Ok(httparse::Status::Complete(_)), Err(ProxyError::HttpRefused { status, reason })) => {
            assert_eq!(Some(*status), reference.code);
            assert!(!(200..=299).contains(status));
            assert_eq!(Some(reason.as_str()), reference.reason.or(Some("")));
        }
        (Ok(httparse::Status::Partial), Ok(None)) => {
            assert!(data.len() < proxy::MAX_CONNECT_RESPONSE);
        }
        (Ok(httparse::Status::Partial), Err(ProxyError::Malformed(_))) => {
            assert!(data.len() >= proxy::MAX_CONNECT_RESPONSE);
        }
        (Err(_), Err(ProxyError::Malformed(_))) => {}
        (reference, ours) => {
            panic!("CONNECT answer {data:02x?}: httparse says {reference:?}, we say {ours:?}")
        }
    }
    check_prefixes(data, HTTP_PREFIXES, proxy::parse_http_connect_response);
}

/// RFC 1928 §3: VER (5), METHOD; X'00' no authentication, X'02'
/// username/password, X'FF' none acceptable. We offered one method only:
/// anything but it is refused.
fn socks5_method(data: &[u8], with_login: bool) -> Result<Option<bool>, ProxyError> {
    match data {
        [5, 0x00, ..] if !with_login => Ok(Some(false)),
        [5, 0x02, ..] if with_login => Ok(Some(true)),
        [5, _, ..] => Err(ProxyError::SocksNoAcceptableMethod),
        [version, _, ..] => Err(ProxyError::Malformed(format!(
            "SOCKS version {version}, not 5"
        ))),
        _ => Ok(None),
    }
}

/// RFC 1928 §6: VER (5), REP (X'00' succeeded), RSV, ATYP, BND.ADDR
/// (4 bytes for X'01', a length byte and that many for X'03', 16 for
/// X'04'), BND.PORT (2 bytes).
fn check_socks5_reply(data: &[u8]) {
    let parsed = proxy::parse_socks5_reply(data);
    check_prefixes(data, SOCKS_PREFIXES, proxy::parse_socks5_reply);
    let Some(&[version, reply, _, atyp]) = data.first_chunk::<4>() else {
        assert!(matches!(parsed, Ok(None)), "{parsed:?}");
        return;
    };
    let address = match (version, reply, atyp) {
        (5, 0, 1) => Some(4),
        (5, 0, 4) => Some(16),
        (5, 0, 3) => data.get(4).map(|&len| 1 + usize::from(len)),
        _ => None,
    };
    match (version, reply, &parsed) {
        (5, 0, Ok(Some(n))) => {
            let want = 4 + address.expect("a known address type") + 2;
            assert_eq!(*n, want, "{data:02x?}");
            assert!(*n <= data.len() && *n <= 4 + 256 + 2);
        }
        (5, 0, Ok(None)) => {
            if let Some(address) = address {
                assert!(data.len() < 4 + address + 2, "{data:02x?}");
            } else {
                assert_eq!((atyp, data.len()), (3, 4), "{data:02x?}");
            }
        }
        (5, 0, Err(ProxyError::Malformed(_))) => assert!(!matches!(atyp, 1 | 3 | 4)),
        (5, code, Err(ProxyError::SocksRefused { code: c, .. })) => assert_eq!(code, *c),
        (_, _, Err(ProxyError::Malformed(_))) => assert_ne!(version, 5),
        (_, _, other) => panic!("SOCKS5 reply {data:02x?}: {other:?}"),
    }
}
