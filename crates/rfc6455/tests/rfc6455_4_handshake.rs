//! RFC 6455 §4, the opening handshake: every rule of `rfc6455::handshake`,
//! both roles, grouped by the subsection that states it, then the limits
//! every parser keeps, then the data-file vectors of
//! `tests/vectors/handshake/` (listed with their expected outcome in
//! `index.txt`).

use rfc6455::handshake::{
    accept_key, generate_key, parse_request, reject_response, ClientRequest, Request,
    ServerResponse, GUID,
};
use rfc6455::{Config, HandshakeError};
use std::path::PathBuf;

/// The key and accept value of the example in RFC 6455 §1.3.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The client request of RFC 6455 §1.3.
const RFC_REQUEST: &[&str] = &[
    "GET /chat HTTP/1.1",
    "Host: server.example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Origin: http://example.com",
    "Sec-WebSocket-Protocol: chat, superchat",
    "Sec-WebSocket-Version: 13",
];

/// The server response of RFC 6455 §1.3.
const RFC_RESPONSE: &[&str] = &[
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    "Sec-WebSocket-Protocol: chat",
];

/// Joins head lines with CRLF and ends the head.
fn head(lines: &[&str]) -> Vec<u8> {
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// `lines` without the fields called `name` (the start line is kept), with
/// `extra` lines added at the end.
fn edit(lines: &[&str], name: &str, extra: &[&str]) -> Vec<u8> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, l)| *i == 0 || !l.to_ascii_lowercase().starts_with(&prefix))
        .map(|(_, l)| *l)
        .collect();
    kept.extend_from_slice(extra);
    head(&kept)
}

/// The RFC §1.3 request, edited.
fn request_edit(name: &str, extra: &[&str]) -> Vec<u8> {
    edit(RFC_REQUEST, name, extra)
}

/// The RFC §1.3 response, edited.
fn response_edit(name: &str, extra: &[&str]) -> Vec<u8> {
    edit(RFC_RESPONSE, name, extra)
}

/// The client of RFC §1.3: its key, offering "chat, superchat".
fn rfc_client() -> ClientRequest {
    ClientRequest::new("server.example.com", "/chat")
        .with_key(KEY)
        .unwrap()
        .with_protocols(["chat", "superchat"])
}

fn config(max_size: usize, max_headers: usize) -> Config {
    Config::default()
        .max_handshake_size(max_size)
        .max_handshake_headers(max_headers)
}

fn server(buf: &[u8]) -> Result<Option<(Request, usize)>, HandshakeError> {
    parse_request(buf, &Config::default())
}

fn server_ok(buf: &[u8]) -> Request {
    match server(buf) {
        Ok(Some((request, n))) => {
            assert_eq!(n, buf.len());
            request
        }
        other => panic!("expected a request, got {other:?}"),
    }
}

fn server_err(buf: &[u8]) -> HandshakeError {
    match server(buf) {
        Err(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn client(buf: &[u8]) -> Result<Option<(ServerResponse, usize)>, HandshakeError> {
    rfc_client().parse_response(buf, &Config::default())
}

fn client_ok(buf: &[u8]) -> ServerResponse {
    match client(buf) {
        Ok(Some((response, n))) => {
            assert_eq!(n, buf.len());
            response
        }
        other => panic!("expected a response, got {other:?}"),
    }
}

fn client_err(buf: &[u8]) -> HandshakeError {
    match client(buf) {
        Err(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn rejection(error: &HandshakeError) -> String {
    let mut out = Vec::new();
    reject_response(error, &mut out);
    String::from_utf8(out).expect("rejections are UTF-8")
}

fn encoded(request: &ClientRequest) -> String {
    let mut out = Vec::new();
    request.encode(&mut out);
    String::from_utf8(out).unwrap()
}

/// §1.3, §4.2.2 item 5.4: the worked example.
mod s1_3_example {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_1_3_example() {
        assert_eq!(GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        assert_eq!(accept_key(KEY.as_bytes()), ACCEPT);
    }

    #[test]
    fn rfc_1_3_request_is_answered_with_rfc_1_3_response() {
        let request = server_ok(&head(RFC_REQUEST));
        assert_eq!(request.resource, "/chat");
        assert_eq!(request.host, "server.example.com");
        assert_eq!(request.key, KEY);
        assert_eq!(request.protocols, ["chat", "superchat"]);
        assert_eq!(request.origin.as_deref(), Some("http://example.com"));
        let mut out = Vec::new();
        request.accept(Some("chat"), &mut out).unwrap();
        assert_eq!(out, head(RFC_RESPONSE));
    }

    #[test]
    fn rfc_1_3_response_is_accepted_by_rfc_1_3_client() {
        let response = client_ok(&head(RFC_RESPONSE));
        assert_eq!(response.status, 101);
        assert_eq!(response.protocol.as_deref(), Some("chat"));
    }
}

/// §4.1, the client's request (items 1–12).
mod s4_1_client_request {
    use super::*;

    #[test]
    fn client_request_has_required_fields_in_order() {
        let request = ClientRequest::new("server.example.com", "/chat")
            .with_key(KEY)
            .unwrap();
        assert_eq!(
            encoded(&request),
            "GET /chat HTTP/1.1\r\n\
             Host: server.example.com\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
    }

    #[test]
    fn client_request_appends_to_output() {
        let mut out = b"earlier".to_vec();
        rfc_client().encode(&mut out);
        assert!(out.starts_with(b"earlierGET /chat HTTP/1.1\r\n"));
    }

    #[test]
    fn client_request_uses_slash_for_empty_resource() {
        let request = ClientRequest::new("example.com", "");
        assert_eq!(request.resource(), "/");
        assert!(encoded(&request).starts_with("GET / HTTP/1.1\r\n"));
        assert_eq!(ClientRequest::new("h", "?q=1").resource(), "/?q=1");
    }

    #[test]
    fn client_request_keeps_host_port_and_query() {
        let request = ClientRequest::new("[::1]:9001", "/a/b?x=1&y=%20");
        let text = encoded(&request);
        assert!(text.starts_with("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: [::1]:9001\r\n"));
        assert_eq!(request.host(), "[::1]:9001");
    }

    #[test]
    fn client_request_percent_encodes_bytes_that_would_break_the_head() {
        let request = ClientRequest::new("h\r\nX: 1", "/a b\r\nEvil: 1/\u{e9}");
        assert_eq!(request.resource(), "/a%20b%0D%0AEvil:%201/%C3%A9");
        assert_eq!(request.host(), "h%0D%0AX:%201");
        // The head is still one request with the expected fields.
        let wire = encoded(&request);
        assert_eq!(wire.matches("\r\n").count(), 7);
    }

    #[test]
    fn client_key_is_a_fresh_16_byte_nonce() {
        let a = ClientRequest::new("h", "/");
        let b = ClientRequest::new("h", "/");
        assert_ne!(a.key(), b.key());
        for key in [a.key().to_owned(), generate_key()] {
            assert_eq!(key.len(), 24, "{key}");
            assert!(key.ends_with("=="), "{key}");
            // A server accepts it: it decodes to exactly 16 bytes.
            let wire = edit(
                RFC_REQUEST,
                "Sec-WebSocket-Key",
                &[&format!("Sec-WebSocket-Key: {key}")],
            );
            assert_eq!(server_ok(&wire).key, key);
        }
    }

    #[test]
    fn client_with_key_rejects_keys_that_are_not_16_bytes() {
        for bad in [
            "",
            "short",
            "dGhlIHNhbXBsZSBub25j",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZSE=",
        ] {
            assert_eq!(
                ClientRequest::new("h", "/").with_key(bad).unwrap_err(),
                HandshakeError::InvalidKey,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn client_request_offers_protocols_in_order() {
        let request = ClientRequest::new("h", "/").with_protocols(["b", "a", "c"]);
        assert_eq!(request.protocols(), ["b", "a", "c"]);
        assert!(encoded(&request).contains("\r\nSec-WebSocket-Protocol: b, a, c\r\n"));
        let none = ClientRequest::new("h", "/").with_protocols(Vec::<String>::new());
        assert!(!encoded(&none).contains("Sec-WebSocket-Protocol"));
    }

    #[test]
    fn client_with_protocols_rejects_non_tokens_and_duplicates() {
        let request = ClientRequest::new("h", "/");
        for bad in [
            &["a b"][..],
            &["a,b"],
            &[""],
            &["x\r\ny"],
            &["chat", "chat"],
        ] {
            assert!(matches!(
                request.clone().try_with_protocols(bad.iter().copied()),
                Err(HandshakeError::Malformed(_))
            ));
        }
    }

    #[test]
    #[should_panic(expected = "not a token")]
    fn client_with_protocols_panics_on_non_token() {
        let _ = ClientRequest::new("h", "/").with_protocols(["a b"]);
    }

    #[test]
    fn client_request_appends_extra_headers_after_its_own() {
        let request = ClientRequest::new("h", "/")
            .with_header("Origin", "http://example.com")
            .with_header("Authorization", "Bearer abc");
        assert!(encoded(&request).ends_with(
            "Sec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\nAuthorization: Bearer abc\r\n\r\n"
        ));
    }

    #[test]
    fn client_with_header_rejects_crlf_injection() {
        for (name, value) in [
            ("X", "a\r\nEvil: 1"),
            ("X", "a\nb"),
            ("X", "a\rb"),
            ("X", "\0"),
            ("Bad Name", "v"),
            ("X:Y", "v"),
        ] {
            assert!(matches!(
                ClientRequest::new("h", "/").try_with_header(name, value),
                Err(HandshakeError::Malformed(_))
            ));
        }
    }

    #[test]
    fn client_with_header_rejects_fields_the_handshake_writes() {
        for name in [
            "Host",
            "upgrade",
            "CONNECTION",
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Protocol",
            "Sec-WebSocket-Extensions",
            "Content-Length",
            "Transfer-Encoding",
        ] {
            assert!(
                ClientRequest::new("h", "/")
                    .try_with_header(name, "x")
                    .is_err(),
                "{name}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "control character")]
    fn client_with_header_panics_on_crlf() {
        let _ = ClientRequest::new("h", "/").with_header("X", "a\r\nb");
    }
}

/// §4.1, "the client MUST validate the server's response" (items 1–6).
mod s4_1_client_validates_response {
    use super::*;

    #[test]
    fn client_accepts_valid_response() {
        let response = client_ok(&response_edit("Sec-WebSocket-Protocol", &[]));
        assert_eq!(response.status, 101);
        assert_eq!(response.protocol, None);
        assert_eq!(
            response.header("sec-websocket-accept"),
            Some(ACCEPT.as_bytes())
        );
        assert_eq!(response.headers.len(), 3);
    }

    #[test]
    fn client_rejects_non_101_status() {
        for (line, code) in [
            ("HTTP/1.1 200 OK", 200),
            ("HTTP/1.1 302 Found", 302),
            ("HTTP/1.1 401 Unauthorized", 401),
            ("HTTP/1.1 100 Continue", 100),
        ] {
            let mut lines = RFC_RESPONSE.to_vec();
            lines[0] = line;
            match client_err(&head(&lines)) {
                HandshakeError::UnexpectedStatus(refusal) => {
                    assert_eq!(refusal.status, code);
                    assert_eq!(Some(refusal.reason.as_str()), line.get(13..));
                    assert_eq!(refusal.header("upgrade"), Some(&b"websocket"[..]));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn client_rejects_http_1_0_response() {
        let mut lines = RFC_RESPONSE.to_vec();
        lines[0] = "HTTP/1.0 101 Switching Protocols";
        assert!(matches!(
            client_err(&head(&lines)),
            HandshakeError::Malformed(_)
        ));
    }

    #[test]
    fn client_rejects_missing_upgrade() {
        assert_eq!(
            client_err(&response_edit("Upgrade", &[])),
            HandshakeError::MissingUpgrade
        );
    }

    #[test]
    fn client_rejects_upgrade_other_than_websocket() {
        for value in ["h2c", "websocket2", "web socket", ""] {
            let wire = response_edit("Upgrade", &[&format!("Upgrade: {value}")]);
            assert_eq!(client_err(&wire), HandshakeError::MissingUpgrade, "{value}");
        }
    }

    #[test]
    fn client_accepts_upgrade_case_insensitively() {
        for value in ["WebSocket", "WEBSOCKET", "websocket"] {
            client_ok(&response_edit("Upgrade", &[&format!("Upgrade: {value}")]));
        }
    }

    #[test]
    fn client_rejects_missing_connection_upgrade() {
        assert_eq!(
            client_err(&response_edit("Connection", &[])),
            HandshakeError::MissingConnectionUpgrade
        );
        assert_eq!(
            client_err(&response_edit("Connection", &["Connection: close"])),
            HandshakeError::MissingConnectionUpgrade
        );
    }

    #[test]
    fn client_accepts_connection_upgrade_in_a_token_list() {
        client_ok(&response_edit(
            "Connection",
            &["Connection: keep-alive, UPGRADE"],
        ));
        client_ok(&response_edit(
            "Connection",
            &["Connection: keep-alive", "connection: upgrade"],
        ));
    }

    #[test]
    fn client_rejects_wrong_accept() {
        let wrong = accept_key(b"AQIDBAUGBwgJCgsMDQ4PEA==");
        let wire = response_edit(
            "Sec-WebSocket-Accept",
            &[&format!("Sec-WebSocket-Accept: {wrong}")],
        );
        assert_eq!(client_err(&wire), HandshakeError::InvalidAccept);
        // Not the key itself, nor the accept value in another case.
        for value in [KEY.to_owned(), ACCEPT.to_lowercase()] {
            let wire = response_edit(
                "Sec-WebSocket-Accept",
                &[&format!("Sec-WebSocket-Accept: {value}")],
            );
            assert_eq!(client_err(&wire), HandshakeError::InvalidAccept);
        }
    }

    #[test]
    fn client_rejects_missing_accept() {
        assert_eq!(
            client_err(&response_edit("Sec-WebSocket-Accept", &[])),
            HandshakeError::InvalidAccept
        );
    }

    #[test]
    fn client_rejects_repeated_accept() {
        let accept = format!("Sec-WebSocket-Accept: {ACCEPT}");
        let wire = response_edit("Sec-WebSocket-Accept", &[&accept, &accept]);
        assert_eq!(client_err(&wire), HandshakeError::InvalidAccept);
    }

    #[test]
    fn client_ignores_whitespace_around_accept() {
        let wire = response_edit(
            "Sec-WebSocket-Accept",
            &[&format!("Sec-WebSocket-Accept: \t {ACCEPT} \t")],
        );
        client_ok(&wire);
    }

    #[test]
    fn client_rejects_non_utf8_accept_without_panicking() {
        let mut wire = response_edit(
            "Sec-WebSocket-Accept",
            &["Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xO?="],
        );
        let at = wire.iter().position(|&b| b == b'?').unwrap();
        wire[at] = 0xff;
        assert_eq!(client_err(&wire), HandshakeError::InvalidAccept);
    }

    #[test]
    fn client_rejects_any_extension() {
        let wire = response_edit(
            "",
            &["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10"],
        );
        assert_eq!(
            client_err(&wire),
            HandshakeError::UnofferedExtension("permessage-deflate".into())
        );
        let empty = response_edit("", &["Sec-WebSocket-Extensions: "]);
        assert!(matches!(
            client_err(&empty),
            HandshakeError::UnofferedExtension(_)
        ));
    }

    #[test]
    fn client_rejects_unoffered_subprotocol() {
        let wire = response_edit("Sec-WebSocket-Protocol", &["Sec-WebSocket-Protocol: mqtt"]);
        assert_eq!(
            client_err(&wire),
            HandshakeError::UnofferedSubprotocol("mqtt".into())
        );
    }

    #[test]
    fn client_rejects_subprotocol_when_none_offered() {
        let plain = ClientRequest::new("server.example.com", "/chat")
            .with_key(KEY)
            .unwrap();
        let err = plain
            .parse_response(&head(RFC_RESPONSE), &Config::default())
            .unwrap_err();
        assert_eq!(err, HandshakeError::UnofferedSubprotocol("chat".into()));
    }

    #[test]
    fn client_rejects_more_than_one_subprotocol() {
        let list = response_edit(
            "Sec-WebSocket-Protocol",
            &["Sec-WebSocket-Protocol: chat, superchat"],
        );
        assert!(matches!(
            client_err(&list),
            HandshakeError::UnofferedSubprotocol(_)
        ));
        let two = response_edit(
            "Sec-WebSocket-Protocol",
            &[
                "Sec-WebSocket-Protocol: chat",
                "Sec-WebSocket-Protocol: chat",
            ],
        );
        assert!(matches!(
            client_err(&two),
            HandshakeError::UnofferedSubprotocol(_)
        ));
    }

    #[test]
    fn client_matches_subprotocol_exactly() {
        let wire = response_edit("Sec-WebSocket-Protocol", &["Sec-WebSocket-Protocol: CHAT"]);
        assert!(matches!(
            client_err(&wire),
            HandshakeError::UnofferedSubprotocol(_)
        ));
        let wire = response_edit(
            "Sec-WebSocket-Protocol",
            &["Sec-WebSocket-Protocol:  superchat "],
        );
        assert_eq!(client_ok(&wire).protocol.as_deref(), Some("superchat"));
    }

    #[test]
    fn client_accepts_no_subprotocol_when_some_were_offered() {
        assert_eq!(
            client_ok(&response_edit("Sec-WebSocket-Protocol", &[])).protocol,
            None
        );
    }

    #[test]
    fn client_header_names_are_case_insensitive() {
        let wire = head(&[
            "HTTP/1.1 101 Switching Protocols",
            "UPGRADE: websocket",
            "connection: Upgrade",
            "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "SEC-WEBSOCKET-PROTOCOL: superchat",
        ]);
        assert_eq!(client_ok(&wire).protocol.as_deref(), Some("superchat"));
    }

    #[test]
    fn client_keeps_other_response_headers() {
        let wire = response_edit("", &["Set-Cookie: id=7"]);
        assert_eq!(client_ok(&wire).header("set-cookie"), Some(&b"id=7"[..]));
    }

    #[test]
    fn malformed_response_is_malformed() {
        for wire in [
            &b"HTTP/1.1 abc OK\r\n\r\n"[..],
            b"SSH-2.0-x\r\n\r\n",
            b"HTTP/1.1 101 OK\r\nBad Name: x\r\n\r\n",
        ] {
            assert!(
                matches!(client_err(wire), HandshakeError::Malformed(_)),
                "{wire:?}"
            );
        }
    }
}

/// §4.2.1, reading the client's opening handshake (items 1–10).
mod s4_2_1_server_reads_request {
    use super::*;

    #[test]
    fn server_accepts_minimal_request() {
        let request = server_ok(&head(&[
            "GET / HTTP/1.1",
            "Host: h",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]));
        assert_eq!(request.resource, "/");
        assert_eq!(request.host, "h");
        assert!(request.protocols.is_empty());
        assert_eq!(request.origin, None);
        assert_eq!(request.headers.len(), 5);
    }

    #[test]
    fn server_rejects_non_get_with_400() {
        for method in ["POST", "PUT", "HEAD", "CONNECT", "get"] {
            let mut lines = RFC_REQUEST.to_vec();
            let line = format!("{method} /chat HTTP/1.1");
            lines[0] = &line;
            let err = server_err(&head(&lines));
            assert_eq!(err, HandshakeError::MethodNotGet, "{method}");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn server_rejects_http_1_0_with_400() {
        let mut lines = RFC_REQUEST.to_vec();
        lines[0] = "GET /chat HTTP/1.0";
        let err = server_err(&head(&lines));
        assert_eq!(err, HandshakeError::HttpVersion);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn server_rejects_unknown_http_version_as_malformed() {
        for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/3"] {
            let mut lines = RFC_REQUEST.to_vec();
            let line = format!("GET /chat {version}");
            lines[0] = &line;
            assert!(matches!(
                server_err(&head(&lines)),
                HandshakeError::Malformed(_)
            ));
        }
    }

    #[test]
    fn server_keeps_resource_as_sent() {
        let mut lines = RFC_REQUEST.to_vec();
        lines[0] = "GET /chat/room%201?x=1&y=2 HTTP/1.1";
        assert_eq!(server_ok(&head(&lines)).resource, "/chat/room%201?x=1&y=2");
        lines[0] = "GET http://server.example.com/chat HTTP/1.1";
        assert_eq!(
            server_ok(&head(&lines)).resource,
            "http://server.example.com/chat"
        );
    }

    #[test]
    fn server_rejects_missing_host_with_400() {
        let err = server_err(&request_edit("Host", &[]));
        assert_eq!(err, HandshakeError::MissingHost);
        assert_eq!(err.status(), 400);
        assert!(rejection(&err).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn server_rejects_empty_host() {
        assert_eq!(
            server_err(&request_edit("Host", &["Host:  "])),
            HandshakeError::MissingHost
        );
    }

    #[test]
    fn server_rejects_non_utf8_host_without_panicking() {
        let mut wire = request_edit("Host", &["Host: caf?.example"]);
        let at = wire.iter().position(|&b| b == b'?').unwrap();
        wire[at] = 0xe9;
        assert_eq!(server_err(&wire), HandshakeError::MissingHost);
    }

    #[test]
    fn server_rejects_two_hosts() {
        let wire = request_edit("", &["Host: evil.example"]);
        assert!(matches!(server_err(&wire), HandshakeError::Malformed(_)));
    }

    #[test]
    fn server_rejects_missing_upgrade_with_400() {
        let err = server_err(&request_edit("Upgrade", &[]));
        assert_eq!(err, HandshakeError::MissingUpgrade);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn server_rejects_upgrade_other_than_websocket() {
        for value in ["h2c", "websocketx", "web-socket", "websocket/13"] {
            let wire = request_edit("Upgrade", &[&format!("Upgrade: {value}")]);
            assert_eq!(server_err(&wire), HandshakeError::MissingUpgrade, "{value}");
        }
    }

    #[test]
    fn server_accepts_upgrade_token_case_insensitively() {
        for value in ["WebSocket", "WEBSOCKET", "h2c, websocket", " websocket "] {
            server_ok(&request_edit("Upgrade", &[&format!("Upgrade: {value}")]));
        }
        server_ok(&request_edit(
            "Upgrade",
            &["Upgrade: h2c", "Upgrade: websocket"],
        ));
    }

    #[test]
    fn server_rejects_missing_connection_upgrade_with_400() {
        let err = server_err(&request_edit("Connection", &[]));
        assert_eq!(err, HandshakeError::MissingConnectionUpgrade);
        assert_eq!(err.status(), 400);
        for value in [
            "keep-alive",
            "close",
            "upgraded",
            "keep-alive upgrade",
            "Upgrade-Insecure",
        ] {
            let wire = request_edit("Connection", &[&format!("Connection: {value}")]);
            assert_eq!(
                server_err(&wire),
                HandshakeError::MissingConnectionUpgrade,
                "{value}"
            );
        }
    }

    #[test]
    fn server_accepts_connection_token_list() {
        for value in [
            "keep-alive, Upgrade",
            "upgrade",
            "UPGRADE,keep-alive",
            " ,Upgrade, ",
        ] {
            server_ok(&request_edit(
                "Connection",
                &[&format!("Connection: {value}")],
            ));
        }
    }

    #[test]
    fn server_accepts_connection_upgrade_across_several_headers() {
        server_ok(&request_edit(
            "Connection",
            &["Connection: keep-alive", "Connection: Upgrade"],
        ));
    }

    #[test]
    fn server_rejects_missing_key_with_400() {
        let err = server_err(&request_edit("Sec-WebSocket-Key", &[]));
        assert_eq!(err, HandshakeError::InvalidKey);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn server_rejects_repeated_key() {
        let key = format!("Sec-WebSocket-Key: {KEY}");
        assert_eq!(
            server_err(&request_edit("Sec-WebSocket-Key", &[&key, &key])),
            HandshakeError::InvalidKey
        );
    }

    #[test]
    fn server_rejects_key_not_16_bytes() {
        for key in [
            "",
            "dGhlIHNhbXBsZSBub25j",
            "dGhlIHNhbXBsZSBub25jZSE=",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZQ===",
            "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
        ] {
            let wire = request_edit("Sec-WebSocket-Key", &[&format!("Sec-WebSocket-Key: {key}")]);
            assert_eq!(server_err(&wire), HandshakeError::InvalidKey, "{key:?}");
        }
    }

    #[test]
    fn server_rejects_key_not_base64() {
        for key in [
            "dGhlIHNhbXBsZSBub25j*Q==",
            "dGhlIHNhbXBsZSBub25jZQ-_",
            "dGhlIHNhbXBsZSB ub25jZQ=",
        ] {
            let wire = request_edit("Sec-WebSocket-Key", &[&format!("Sec-WebSocket-Key: {key}")]);
            assert_eq!(server_err(&wire), HandshakeError::InvalidKey, "{key:?}");
        }
    }

    #[test]
    fn server_accepts_rfc_4_1_example_key_with_trailing_bits() {
        // §4.1 item 7 gives "AQIDBAUGBwgJCgsMDQ4PEC==" for bytes 0x01..0x10; its
        // last character carries non-zero unused bits.
        let wire = request_edit(
            "Sec-WebSocket-Key",
            &["Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC=="],
        );
        assert_eq!(server_ok(&wire).key, "AQIDBAUGBwgJCgsMDQ4PEC==");
    }

    #[test]
    fn server_answers_426_with_version_header() {
        let wire = request_edit("Sec-WebSocket-Version", &["Sec-WebSocket-Version: 8"]);
        let err = server_err(&wire);
        assert_eq!(err, HandshakeError::UnsupportedVersion);
        assert_eq!(err.status(), 426);
        let text = rejection(&err);
        assert!(
            text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
        assert!(text.contains("\r\nUpgrade: websocket\r\n"), "{text}");
    }

    #[test]
    fn server_rejects_missing_version_with_426() {
        let err = server_err(&request_edit("Sec-WebSocket-Version", &[]));
        assert_eq!(err, HandshakeError::UnsupportedVersion);
        assert_eq!(err.status(), 426);
    }

    #[test]
    fn server_rejects_any_version_but_13() {
        for version in ["12", "14", "013", "13, 8", "", "thirteen"] {
            let wire = request_edit(
                "Sec-WebSocket-Version",
                &[&format!("Sec-WebSocket-Version: {version}")],
            );
            assert_eq!(
                server_err(&wire),
                HandshakeError::UnsupportedVersion,
                "{version:?}"
            );
        }
        let twice = request_edit("", &["Sec-WebSocket-Version: 13"]);
        assert_eq!(server_err(&twice), HandshakeError::UnsupportedVersion);
    }

    #[test]
    fn server_reads_origin() {
        assert_eq!(
            server_ok(&head(RFC_REQUEST)).origin.as_deref(),
            Some("http://example.com")
        );
        assert_eq!(server_ok(&request_edit("Origin", &[])).origin, None);
    }

    #[test]
    fn server_rejects_ambiguous_origin() {
        let two = request_edit("", &["Origin: http://evil.example"]);
        assert!(matches!(server_err(&two), HandshakeError::Malformed(_)));
        let mut non_utf8 = request_edit("Origin", &["Origin: http://caf?.example"]);
        let at = non_utf8.iter().position(|&b| b == b'?').unwrap();
        non_utf8[at] = 0xe9;
        assert!(matches!(
            server_err(&non_utf8),
            HandshakeError::Malformed(_)
        ));
    }

    #[test]
    fn server_collects_protocols_across_headers_in_order() {
        let wire = request_edit(
            "Sec-WebSocket-Protocol",
            &[
                "Sec-WebSocket-Protocol: b ,a,, ",
                "Sec-WebSocket-Protocol: c",
            ],
        );
        assert_eq!(server_ok(&wire).protocols, ["b", "a", "c"]);
    }

    #[test]
    fn server_rejects_protocols_that_are_not_tokens() {
        for value in ["chat/1", "a b", "\"chat\"", "caf\u{e9}"] {
            let wire = request_edit(
                "Sec-WebSocket-Protocol",
                &[&format!("Sec-WebSocket-Protocol: {value}")],
            );
            assert!(
                matches!(server_err(&wire), HandshakeError::Malformed(_)),
                "{value}"
            );
        }
    }

    #[test]
    fn server_rejects_request_with_body() {
        for field in [
            "Content-Length: 5",
            "Transfer-Encoding: chunked",
            "Content-Length: 0, 0",
        ] {
            assert!(
                matches!(
                    server_err(&request_edit("", &[field])),
                    HandshakeError::Malformed(_)
                ),
                "{field}"
            );
        }
        server_ok(&request_edit("", &["Content-Length: 0"]));
    }

    #[test]
    fn server_header_names_are_case_insensitive() {
        let request = server_ok(&head(&[
            "GET /chat HTTP/1.1",
            "HOST: server.example.com",
            "upgrade: websocket",
            "CoNnEcTiOn: Upgrade",
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
            "ORIGIN: http://example.com",
            "sec-WebSocket-protocol: chat",
            "SEC-WEBSOCKET-VERSION: 13",
        ]));
        assert_eq!(request.host, "server.example.com");
        assert_eq!(request.protocols, ["chat"]);
        assert_eq!(request.origin.as_deref(), Some("http://example.com"));
    }

    #[test]
    fn server_keeps_unknown_headers_as_bytes() {
        let mut wire = request_edit("", &["Cookie: id=7", "X-Raw: ?"]);
        let at = wire.iter().rposition(|&b| b == b'?').unwrap();
        wire[at] = 0xff;
        let request = server_ok(&wire);
        assert_eq!(request.header("cookie"), Some(&b"id=7"[..]));
        assert_eq!(request.header("x-raw"), Some(&b"\xff"[..]));
        assert_eq!(request.header("x-none"), None);
    }

    #[test]
    fn malformed_request_is_400() {
        for wire in [
            &b"\x16\x03\x01\x00\x05hello\r\n\r\n"[..],
            b"GET\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        ] {
            let err = server_err(wire);
            assert!(
                matches!(err, HandshakeError::Malformed(_)),
                "{wire:?}: {err:?}"
            );
            assert_eq!(err.status(), 400);
        }
    }
}

/// §4.2.2, sending the server's opening handshake, or refusing it.
mod s4_2_2_server_answers {
    use super::*;

    #[test]
    fn server_accept_writes_101_with_accept_key() {
        let request = server_ok(&request_edit("Sec-WebSocket-Protocol", &[]));
        let mut out = Vec::new();
        request.accept(None, &mut out).unwrap();
        assert_eq!(
            out,
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
            )
            .as_bytes()
        );
    }

    #[test]
    fn server_accept_echoes_chosen_protocol() {
        let request = server_ok(&head(RFC_REQUEST));
        let mut out = Vec::new();
        request.accept(Some("superchat"), &mut out).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"));
    }

    #[test]
    fn server_accept_refuses_unoffered_protocol_and_writes_nothing() {
        let request = server_ok(&head(RFC_REQUEST));
        let mut out = b"kept".to_vec();
        for protocol in ["mqtt", "", "Chat", "chat, superchat"] {
            assert_eq!(
                request.accept(Some(protocol), &mut out),
                Err(HandshakeError::UnofferedSubprotocol(protocol.into()))
            );
        }
        assert_eq!(out, b"kept");
    }

    #[test]
    fn server_accept_with_headers_adds_fields_after_its_own() {
        let request = server_ok(&head(RFC_REQUEST));
        let mut out = Vec::new();
        request
            .accept_with_headers(Some("chat"), None, &[("Set-Cookie", "id=7")], &mut out)
            .unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("Sec-WebSocket-Protocol: chat\r\nSet-Cookie: id=7\r\n\r\n"));
    }

    #[test]
    fn server_accept_with_headers_rejects_injection_and_writes_nothing() {
        let request = server_ok(&head(RFC_REQUEST));
        let mut out = Vec::new();
        for header in [
            ("Set-Cookie", "a\r\n\r\nframe"),
            ("Sec-WebSocket-Accept", "x"),
            ("Bad Name", "x"),
        ] {
            assert!(matches!(
                request.accept_with_headers(None, None, &[header], &mut out),
                Err(HandshakeError::Malformed(_))
            ));
        }
        assert!(out.is_empty());
    }

    #[test]
    fn reject_response_has_status_close_and_body() {
        let text = rejection(&HandshakeError::InvalidKey);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains("\r\nConnection: close"), "{head}");
        assert!(head.contains("\r\nContent-Type: text/plain"), "{head}");
        assert!(
            head.contains(&format!("\r\nContent-Length: {}", body.len())),
            "{head}"
        );
        assert_eq!(body, HandshakeError::InvalidKey.to_string());
    }

    #[test]
    fn reject_response_uses_the_rejection_status() {
        for (status, line) in [
            (403, "HTTP/1.1 403 Forbidden\r\n"),
            (404, "HTTP/1.1 404 Not Found\r\n"),
            (401, "HTTP/1.1 401 Unauthorized\r\n"),
            (503, "HTTP/1.1 503 Service Unavailable\r\n"),
            (499, "HTTP/1.1 499 Client Error\r\n"),
        ] {
            assert!(
                rejection(&HandshakeError::Rejected(status)).starts_with(line),
                "{status}"
            );
        }
    }

    #[test]
    fn reject_response_turns_statuses_that_cannot_refuse_into_500() {
        for status in [0, 99, 101, 200, 600, u16::MAX] {
            let text = rejection(&HandshakeError::Rejected(status));
            assert!(
                text.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
                "{status}: {text}"
            );
        }
    }

    #[test]
    fn reject_response_appends_and_is_a_complete_http_response() {
        for error in [
            HandshakeError::MissingHost,
            HandshakeError::UnsupportedVersion,
            HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max: 1,
            },
            HandshakeError::Malformed("x".into()),
        ] {
            let mut out = b"x".to_vec();
            reject_response(&error, &mut out);
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut response = httparse::Response::new(&mut headers);
            let n = match response.parse(&out[1..]) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("{error:?}: {other:?}"),
            };
            assert_eq!(response.code, Some(error.status()));
            let length = response
                .headers
                .iter()
                .find(|h| h.name == "Content-Length")
                .unwrap()
                .value;
            assert_eq!(
                std::str::from_utf8(length)
                    .unwrap()
                    .parse::<usize>()
                    .unwrap(),
                out.len() - 1 - n
            );
        }
    }
}

/// What every parser keeps to, whatever the input: incomplete is
/// `Ok(None)`, the head ends where it ends, limits hold, nothing panics.
mod limits_and_framing {
    use super::*;
    use rfc6455_test_support::rng::{seeded, Rng};

    #[test]
    fn bytes_after_request_head_are_left_for_frames() {
        let mut wire = head(RFC_REQUEST);
        let len = wire.len();
        wire.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
        let (_, n) = server(&wire).unwrap().unwrap();
        assert_eq!(n, len);
        assert_eq!(&wire[n..], b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    }

    #[test]
    fn bytes_after_response_head_are_left_for_frames() {
        let mut wire = head(RFC_RESPONSE);
        let len = wire.len();
        wire.extend_from_slice(b"\x81\x05Hello");
        let (_, n) = client(&wire).unwrap().unwrap();
        assert_eq!(n, len);
        assert_eq!(&wire[n..], b"\x81\x05Hello");
    }

    #[test]
    fn incomplete_head_is_partial_at_every_split() {
        let request = head(RFC_REQUEST);
        for i in 0..request.len() {
            assert_eq!(server(&request[..i]), Ok(None), "request split at {i}");
        }
        let response = head(RFC_RESPONSE);
        for i in 0..response.len() {
            assert_eq!(client(&response[..i]), Ok(None), "response split at {i}");
        }
    }

    #[test]
    fn oversized_head_is_431() {
        // Headers that never end, past the limit: 431 without waiting.
        let mut wire = b"GET / HTTP/1.1\r\n".to_vec();
        while wire.len() <= Config::default().max_handshake_size {
            wire.extend_from_slice(
                b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        let config = config(Config::default().max_handshake_size, usize::MAX);
        let err = parse_request(&wire, &config).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max: config.max_handshake_size
            }
        );
        assert_eq!(err.status(), 431);
        assert!(rejection(&err).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    }

    #[test]
    fn incomplete_head_within_limit_waits() {
        let wire = head(RFC_REQUEST);
        let partial = &wire[..wire.len() - 1];
        assert_eq!(parse_request(partial, &config(partial.len(), 64)), Ok(None));
        assert_eq!(
            parse_request(partial, &config(partial.len() - 1, 64)),
            Err(HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max: partial.len() - 1
            })
        );
    }

    #[test]
    fn complete_head_longer_than_limit_is_431() {
        let wire = head(RFC_REQUEST);
        let err = parse_request(&wire, &config(wire.len() - 1, 64)).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max: wire.len() - 1
            }
        );
    }

    #[test]
    fn head_of_exactly_the_limit_is_accepted_with_frames_after_it() {
        let mut wire = head(RFC_REQUEST);
        let len = wire.len();
        wire.extend_from_slice(&[0x81; 100]);
        let (_, n) = parse_request(&wire, &config(len, 64)).unwrap().unwrap();
        assert_eq!(n, len);

        let mut wire = head(RFC_RESPONSE);
        let len = wire.len();
        wire.extend_from_slice(&[0x81; 100]);
        let (_, n) = rfc_client()
            .parse_response(&wire, &config(len, 64))
            .unwrap()
            .unwrap();
        assert_eq!(n, len);
    }

    #[test]
    fn too_many_headers_is_431() {
        let wire = head(RFC_REQUEST); // 7 fields
        assert!(parse_request(&wire, &config(1 << 14, 7)).unwrap().is_some());
        let err = parse_request(&wire, &config(1 << 14, 6)).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Headers,
                max: 6
            }
        );
        assert_eq!(err.status(), 431);
        // Already while the head is incomplete.
        let partial = &wire[..wire.len() - 2];
        assert_eq!(
            parse_request(partial, &config(1 << 14, 6)).unwrap_err(),
            err
        );
    }

    #[test]
    fn oversized_response_is_too_large() {
        let wire = head(RFC_RESPONSE); // 4 fields
        let client = rfc_client();
        assert_eq!(
            client.parse_response(&wire, &config(1 << 14, 3)),
            Err(HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Headers,
                max: 3
            })
        );
        assert_eq!(
            client.parse_response(&wire[..wire.len() - 1], &config(10, 64)),
            Err(HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max: 10
            })
        );
    }

    #[test]
    fn extreme_limits_do_not_panic() {
        let wire = head(RFC_REQUEST);
        for (size, headers) in [
            (0, 0),
            (0, usize::MAX),
            (usize::MAX, 0),
            (usize::MAX, 1 << 20),
            (1, 1),
        ] {
            let config = config(size, headers);
            let _ = parse_request(&wire, &config);
            let _ = rfc_client().parse_response(&head(RFC_RESPONSE), &config);
        }
        assert_eq!(parse_request(&[], &config(0, 0)), Ok(None));
    }

    #[test]
    fn hostile_inputs_never_panic_and_respect_limits() {
        let seeds = [head(RFC_REQUEST), head(RFC_RESPONSE), Vec::new()];
        let interesting: &[u8] = b"\r\n:, \t\0\xff\x80=;\"/GETHTTP1.01";
        let small = config(300, 8);
        let client = rfc_client();
        // Seeded, so a failure reproduces.
        let mut rng = seeded(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let mut input = seeds[round % seeds.len()].clone();
            for _ in 0..rng.random_range(1..=8) {
                let at = rng.random_range(0..=input.len());
                let byte = if rng.random() {
                    interesting[rng.random_range(0..interesting.len())]
                } else {
                    rng.random()
                };
                match rng.random_range(0..4) {
                    0 if at < input.len() => input[at] = byte,
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    2 => input.truncate(at),
                    _ => input.insert(at, byte),
                }
            }
            for config in [&Config::default(), &small] {
                if let Ok(Some((_, n))) = parse_request(&input, config) {
                    assert!(n <= input.len() && n <= config.max_handshake_size);
                }
                if let Ok(Some((_, n))) = client.parse_response(&input, config) {
                    assert!(n <= input.len() && n <= config.max_handshake_size);
                }
            }
        }
    }
}

/// ClientRequest::encode → parse_request → Request::accept →
/// ClientRequest::parse_response, both roles of this crate together.
mod round_trip {
    use super::*;

    #[test]
    fn round_trip_succeeds() {
        let config = Config::default();
        let client = ClientRequest::new("localhost:9001", "/echo?x=1")
            .with_protocols(["v2.chat", "v1.chat"])
            .with_header("Origin", "http://localhost")
            .with_header("Cookie", "session=abc");
        let mut wire = Vec::new();
        client.encode(&mut wire);

        let (request, n) = parse_request(&wire, &config).unwrap().unwrap();
        assert_eq!(n, wire.len());
        assert_eq!(request.resource, "/echo?x=1");
        assert_eq!(request.host, "localhost:9001");
        assert_eq!(request.key, client.key());
        assert_eq!(request.protocols, client.protocols());
        assert_eq!(request.origin.as_deref(), Some("http://localhost"));
        assert_eq!(request.header("cookie"), Some(&b"session=abc"[..]));

        let mut answer = Vec::new();
        request.accept(Some("v1.chat"), &mut answer).unwrap();
        answer.extend_from_slice(b"\x81\x00");
        let (response, n) = client.parse_response(&answer, &config).unwrap().unwrap();
        assert_eq!(&answer[n..], b"\x81\x00");
        assert_eq!(response.status, 101);
        assert_eq!(response.protocol.as_deref(), Some("v1.chat"));
    }

    #[test]
    fn round_trip_without_protocols() {
        let config = Config::default();
        let client = ClientRequest::new("h", "/");
        let mut wire = Vec::new();
        client.encode(&mut wire);
        let (request, _) = parse_request(&wire, &config).unwrap().unwrap();
        let mut answer = Vec::new();
        request.accept(None, &mut answer).unwrap();
        let (response, _) = client.parse_response(&answer, &config).unwrap().unwrap();
        assert_eq!(response.protocol, None);
    }

    #[test]
    fn response_for_another_key_fails_the_client() {
        let config = Config::default();
        let first = ClientRequest::new("h", "/");
        let second = ClientRequest::new("h", "/");
        let mut wire = Vec::new();
        first.encode(&mut wire);
        let (request, _) = parse_request(&wire, &config).unwrap().unwrap();
        let mut answer = Vec::new();
        request.accept(None, &mut answer).unwrap();
        assert_eq!(
            second.parse_response(&answer, &config),
            Err(HandshakeError::InvalidAccept)
        );
    }
}

/// The data files of `tests/vectors/handshake/`, checked against `index.txt`.
mod vectors {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/handshake")
    }

    /// One `index.txt` line: file, expected outcome ("ok" or the start of
    /// the error's Debug form), and for bad requests the HTTP status.
    struct Entry {
        file: String,
        expect: String,
        status: Option<u16>,
    }

    fn index() -> Vec<Entry> {
        let text = std::fs::read_to_string(dir().join("index.txt")).expect("index.txt");
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|line| {
                let (file, rest) = line
                    .split_once(char::is_whitespace)
                    .expect("file and expectation");
                let mut expect = rest.trim().to_owned();
                let mut status = None;
                if file.starts_with("request-bad-") {
                    let (e, s) = expect.rsplit_once(' ').expect("bad requests list a status");
                    status = Some(s.parse().expect("status"));
                    expect = e.trim().to_owned();
                }
                Entry {
                    file: file.to_owned(),
                    expect,
                    status,
                }
            })
            .collect()
    }

    fn read(file: &str) -> Vec<u8> {
        std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn check<T: std::fmt::Debug>(
        entry: &Entry,
        wire: &[u8],
        result: Result<Option<(T, usize)>, HandshakeError>,
    ) {
        match (entry.expect.as_str(), result) {
            ("ok", Ok(Some((_, n)))) => assert_eq!(n, wire.len(), "{}", entry.file),
            (expect, Err(e)) if expect != "ok" => {
                let debug = format!("{e:?}");
                assert!(
                    debug.starts_with(expect),
                    "{}: expected {expect}, got {debug}",
                    entry.file
                );
                if let Some(status) = entry.status {
                    assert_eq!(e.status(), status, "{}", entry.file);
                    let mut out = Vec::new();
                    reject_response(&e, &mut out);
                    assert!(
                        out.starts_with(format!("HTTP/1.1 {status} ").as_bytes()),
                        "{}",
                        entry.file
                    );
                }
            }
            (expect, other) => panic!("{}: expected {expect}, got {other:?}", entry.file),
        }
    }

    #[test]
    fn request_vectors_match_index() {
        let entries: Vec<_> = index()
            .into_iter()
            .filter(|e| e.file.starts_with("request-"))
            .collect();
        assert!(entries.len() >= 30);
        for entry in &entries {
            let wire = read(&entry.file);
            check(entry, &wire, server(&wire));
        }
    }

    #[test]
    fn response_vectors_match_index() {
        let entries: Vec<_> = index()
            .into_iter()
            .filter(|e| e.file.starts_with("response-"))
            .collect();
        assert!(entries.len() >= 20);
        for entry in &entries {
            let wire = read(&entry.file);
            check(entry, &wire, client(&wire));
        }
    }

    #[test]
    fn good_vectors_are_partial_at_every_split() {
        for entry in index().iter().filter(|e| e.expect == "ok") {
            let wire = read(&entry.file);
            for i in 0..wire.len() {
                if entry.file.starts_with("request-") {
                    assert_eq!(server(&wire[..i]), Ok(None), "{} split at {i}", entry.file);
                } else {
                    assert_eq!(client(&wire[..i]), Ok(None), "{} split at {i}", entry.file);
                }
            }
        }
    }

    #[test]
    fn good_request_vectors_are_accepted_by_this_client() {
        for entry in index()
            .iter()
            .filter(|e| e.expect == "ok" && e.file.starts_with("request-"))
        {
            let request = server_ok(&read(&entry.file));
            let client = ClientRequest::new("h", "/").with_key(&request.key).unwrap();
            let mut answer = Vec::new();
            request.accept(None, &mut answer).unwrap();
            let (response, _) = client
                .parse_response(&answer, &Config::default())
                .unwrap()
                .unwrap();
            assert_eq!(response.status, 101, "{}", entry.file);
        }
    }

    #[test]
    fn every_vector_file_is_in_the_index() {
        let listed: Vec<String> = index().into_iter().map(|e| e.file).collect();
        for dir_entry in std::fs::read_dir(dir()).unwrap() {
            let name = dir_entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".http") {
                assert!(listed.contains(&name), "{name} is not in index.txt");
            }
        }
        for file in &listed {
            assert!(dir().join(file).is_file(), "{file} is listed but missing");
        }
    }
}
