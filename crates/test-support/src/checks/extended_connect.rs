//! The extended CONNECT of RFC 8441 (WebSockets over HTTP/2, and RFC 9220
//! over HTTP/3): `handshake::Request::from_extended_connect`, its 200
//! (`accept_http`), and the client's side (`ClientRequest::to_extended_connect`,
//! `check_extended_connect_response`).
//!
//! Input: a flags byte (bits 0-1: the method, of `CONNECT`, `GET`,
//! `connect`, `POST`; bits 2-3: the version, of HTTP/2, HTTP/3, HTTP/1.1,
//! HTTP/1.0; bit 4: a `:protocol`; bit 5: a scheme; bit 6: an authority in
//! the URI), then lines: the `:protocol` value, the authority, the path,
//! then header fields `name: value`. Must hold:
//! - no panic;
//! - an accepted request really is a WebSocket's extended CONNECT, read
//!   here from the RFCs: method `CONNECT`, HTTP/2 or HTTP/3, `:protocol`
//!   `websocket` (any case), `:scheme` and `:path`, an authority (the
//!   URI's, or a single `Host`), no connection-specific field (RFC 9113
//!   §8.2.2), `TE` only `trailers`, one `Sec-WebSocket-Version: 13`, at
//!   most one `Origin`; its resource is the path and query, its host the
//!   authority, its key empty;
//! - a refusal's status: 501 only for a `:protocol` other than websocket,
//!   426 only when the version field is not a single `13`, else 400;
//! - the 200 of an accepted request (every subprotocol offered, in turn,
//!   and none) has no `Upgrade`, `Connection` or `Sec-WebSocket-Accept`,
//!   names the subprotocol chosen, and satisfies a client that offered the
//!   same subprotocols; HTTP/1.1's byte writer refuses it;
//! - a client's `to_extended_connect` for the same authority, path and
//!   subprotocols is accepted, with the same resource, host and protocols.

use super::input::Input;
use http::{Method, Version};
use rfc6455::handshake::{ClientRequest, Request};
use rfc6455::{Config, HandshakeError};

const METHODS: [&str; 4] = ["CONNECT", "GET", "connect", "POST"];
const VERSIONS: [Version; 4] = [
    Version::HTTP_2,
    Version::HTTP_3,
    Version::HTTP_11,
    Version::HTTP_10,
];
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
];

/// The checks, for one input.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let method = METHODS[usize::from(flags & 3)];
    let version = VERSIONS[usize::from((flags >> 2) & 3)];
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    let mut lines = text.split('\n');
    let protocol = lines.next().unwrap_or_default();
    let authority = lines.next().unwrap_or_default();
    let path = lines.next().unwrap_or_default();
    let protocol = (flags & 0x10 != 0).then_some(protocol);
    let scheme = flags & 0x20 != 0;
    let with_authority = flags & 0x40 != 0;

    let uri = match (scheme, with_authority) {
        (true, true) => format!("https://{authority}{path}"),
        (true, false) => format!("https://{path}"),
        _ => path.to_owned(),
    };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri.as_str())
        .version(version);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        builder = builder.header(name.trim(), value.trim());
    }
    // What the `http` types cannot hold is no request to check.
    let Ok(request) = builder.body(()) else {
        return;
    };
    let verdict = Request::from_extended_connect(&request, protocol);
    match verdict {
        Ok(checked) => accepted(&request, protocol, &checked),
        Err(error) => refused(&request, protocol, &error),
    }
    client_side(authority, path, &request);
}

/// Every value of `name`.
fn values<'r>(request: &'r http::Request<()>, name: &str) -> Vec<&'r [u8]> {
    request
        .headers()
        .get_all(name)
        .iter()
        .map(http::HeaderValue::as_bytes)
        .collect()
}

fn version_is_13(request: &http::Request<()>) -> bool {
    values(request, "sec-websocket-version") == [b"13"]
}

fn accepted(request: &http::Request<()>, protocol: Option<&str>, checked: &Request) {
    assert_eq!(request.method(), Method::CONNECT, "accepted another method");
    assert!(
        matches!(request.version(), Version::HTTP_2 | Version::HTTP_3),
        "accepted {:?}",
        request.version()
    );
    assert!(
        protocol.is_some_and(|p| p.eq_ignore_ascii_case("websocket")),
        "accepted :protocol {protocol:?}"
    );
    let uri = request.uri();
    assert!(uri.scheme().is_some(), "accepted without :scheme");
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    assert!(!path.is_empty(), "accepted without :path");
    assert_eq!(checked.resource, path, "the resource is :path");
    let hosts = values(request, "host");
    let authority = match uri.authority() {
        Some(authority) => authority.as_str().to_owned(),
        None => {
            assert_eq!(hosts.len(), 1, "accepted without an authority");
            String::from_utf8(hosts[0].to_vec()).expect("an accepted Host is text")
        }
    };
    assert!(!authority.is_empty(), "accepted an empty authority");
    assert_eq!(checked.host, authority, "the host is the authority");
    assert!(checked.key.is_empty(), "an extended CONNECT has no key");
    for name in CONNECTION_SPECIFIC {
        assert!(values(request, name).is_empty(), "accepted with {name}");
    }
    for te in values(request, "te") {
        assert!(te.eq_ignore_ascii_case(b"trailers"), "accepted TE {te:?}");
    }
    assert!(version_is_13(request), "accepted without one version 13");
    assert!(values(request, "origin").len() <= 1, "accepted two Origins");

    // The 200 for each choice, and a client that offered the same.
    let config = Config::default();
    let offered: Vec<&str> = checked.protocols.iter().map(String::as_str).collect();
    let choices = std::iter::once(None).chain(offered.iter().copied().map(Some));
    for choice in choices {
        let (response, deflate) = checked
            .accept_http(choice, &config)
            .expect("an accepted request can be answered");
        assert!(deflate.is_none(), "no deflate was configured");
        assert_eq!(response.status(), 200, "the answer is a 200 (RFC 8441 §5)");
        for name in ["upgrade", "connection", "sec-websocket-accept"] {
            assert!(response.headers().get(name).is_none(), "the 200 has {name}");
        }
        let named = response.headers().get("sec-websocket-protocol");
        assert_eq!(named.map(|v| v.as_bytes()), choice.map(str::as_bytes));
        // A client never offers one twice (a server may take such a list).
        let Ok(client) = ClientRequest::new(&checked.host, &checked.resource)
            .try_with_protocols(offered.iter().copied())
        else {
            continue;
        };
        let seen = client
            .check_extended_connect_response(&response)
            .expect("our client takes our server's 200");
        assert_eq!(seen.protocol.as_deref(), choice);
    }
    assert!(
        checked.accept(None, &mut Vec::new()).is_err(),
        "an extended CONNECT answered with HTTP/1.1 bytes"
    );
}

fn refused(request: &http::Request<()>, protocol: Option<&str>, error: &HandshakeError) {
    match error.status() {
        501 => assert!(
            protocol.is_some_and(|p| !p.eq_ignore_ascii_case("websocket")),
            "501 for :protocol {protocol:?}"
        ),
        426 => assert!(!version_is_13(request), "426 with version 13"),
        400 => {}
        other => panic!("refused with {other}: {error}"),
    }
}

/// A client's extended CONNECT for `authority` and `path`, with the
/// subprotocols `request` offers, is accepted by the server's check.
fn client_side(authority: &str, path: &str, request: &http::Request<()>) {
    let protocols: Vec<String> = values(request, "sec-websocket-protocol")
        .iter()
        .flat_map(|v| v.split(|&b| b == b','))
        .filter_map(|item| std::str::from_utf8(item).ok())
        .map(|item| item.trim().to_owned())
        .filter(|item| {
            !item.is_empty()
                && item
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        })
        .collect();
    let Ok(client) = ClientRequest::new(authority, path).try_with_protocols(protocols.iter())
    else {
        return;
    };
    let Ok(connect) = client.to_extended_connect() else {
        return;
    };
    let checked = Request::from_extended_connect(&connect, Some("websocket"))
        .expect("the server takes our client's extended CONNECT");
    assert_eq!(checked.resource, client.resource());
    assert_eq!(checked.host, client.host());
    assert_eq!(checked.protocols, protocols);
}
