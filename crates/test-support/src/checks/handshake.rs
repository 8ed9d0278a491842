//! `handshake_request` and `handshake_response`: arbitrary bytes into the
//! server's [`parse_request`] and the client's
//! [`ClientRequest::parse_response`] (RFC 6455 §4.1, §4.2).
//!
//! Accepted input must really be valid: it is parsed again with httparse
//! and every rule of §4.2.1 (request) or §4.1 (response) is checked on that
//! second parse, the key's length by decoding it, the accept value by
//! computing SHA-1 and base64 here. An accepted request's 101 answer must
//! satisfy a client holding the same key; a refused one's error answer must
//! be a well-formed HTTP response with the error's status. Incomplete input
//! is `Ok(None)` only while it may still fit the size limit.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::{parse_request, reject_response, ClientRequest, Request, ServerResponse};
use rfc6455::{Config, HandshakeError};
use sha1::{Digest, Sha1};

/// RFC 6455 §1.3: the GUID of the accept value, spelled out again here.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The key of the response vectors (`tests/vectors/handshake/response-*`).
const VECTOR_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Header fields a parse may hold at most, far above any configuration used.
const MAX_FIELDS: usize = 256;

/// The configurations every input is parsed with: the default one, and one
/// whose limits fuzzer-sized inputs do reach.
fn configs() -> [Config; 2] {
    [
        Config::default(),
        Config::default()
            .max_handshake_size(256)
            .max_handshake_headers(8),
    ]
}

/// base64(SHA-1(key + GUID)), computed here.
fn expected_accept(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID);
    STANDARD.encode(sha1.finalize())
}

/// The header fields of a head as httparse reads them.
type Fields = Vec<(String, Vec<u8>)>;

fn trim(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(start, |i| i + 1);
    &value[start..end]
}

fn all<'a>(fields: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    fields
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

fn only<'a>(fields: &'a Fields, name: &'a str) -> &'a [u8] {
    let values: Vec<&[u8]> = all(fields, name).collect();
    assert_eq!(
        values.len(),
        1,
        "accepted with {} {name} fields",
        values.len()
    );
    trim(values[0])
}

fn list_has(fields: &Fields, name: &str, token: &str) -> bool {
    all(fields, name)
        .flat_map(|v| v.split(|b| *b == b','))
        .any(|item| trim(item).eq_ignore_ascii_case(token.as_bytes()))
}

fn is_token(item: &[u8]) -> bool {
    !item.is_empty()
        && item
            .iter()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(b))
}

/// A `Sec-WebSocket-Key` must decode to 16 bytes (§4.2.1 item 5). The RFC's
/// own example key sets the unused bits of its last character, so they are
/// allowed here too.
fn key_is_16_bytes(key: &[u8]) -> bool {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    LENIENT.decode(key).is_ok_and(|bytes| bytes.len() == 16)
}

/// The checks of the `handshake_request` target.
pub fn check_request(data: &[u8]) {
    let [default, small] = configs();
    let by_default = parse_request(data, &default);
    let by_small = parse_request(data, &small);
    for (config, result) in [(&default, &by_default), (&small, &by_small)] {
        match result {
            Ok(Some((request, n))) => check_accepted_request(data, config, request, *n),
            Ok(None) => assert!(data.len() <= config.max_handshake_size),
            Err(error) => check_refused(data, config, error),
        }
    }
    // Tighter limits only refuse more: what they accept, the defaults accept
    // the same way.
    if let Ok(Some(accepted)) = by_small {
        assert_eq!(
            by_default,
            Ok(Some(accepted)),
            "defaults disagree on {data:02x?}"
        );
    }
}

/// The same request as the `http` crate's type, built from httparse's
/// parse: `Request::from_http` accepts it with the same key, host,
/// resource, origin and subprotocols, and `accept_http` answers 101 with
/// the right `Sec-WebSocket-Accept` (§4.2.2). A head the `http` crate
/// cannot represent (a URI or field it refuses) is skipped.
fn check_http_types(parsed: &httparse::Request<'_, '_>, config: &Config, request: &Request) {
    let mut builder = http::Request::builder()
        .method("GET")
        .version(http::Version::HTTP_11)
        .uri(parsed.path.unwrap_or("/"));
    for h in parsed.headers.iter() {
        builder = builder.header(h.name, h.value);
    }
    let Ok(as_http) = builder.body(()) else {
        return;
    };
    let checked = Request::from_http(&as_http)
        .unwrap_or_else(|e| panic!("from_http refused what parse_request accepted: {e:?}"));
    let (parts, ()) = as_http.clone().into_parts();
    assert_eq!(Request::from_parts(&parts).as_ref(), Ok(&checked));
    assert_eq!(checked.key, request.key);
    assert_eq!(checked.host, request.host);
    // The resource is the URI as the `http` crate holds it, which drops a
    // fragment (`#...`, which a request-target cannot hold, RFC 7230 §5.3,
    // and a WebSocket URI must not, §3) and may rewrite an absolute form;
    // an origin-form target without a fragment comes through unchanged.
    assert_eq!(checked.resource, as_http.uri().to_string());
    if request.resource.starts_with('/') && !request.resource.contains('#') {
        assert_eq!(checked.resource, request.resource);
    }
    assert_eq!(checked.origin, request.origin);
    assert_eq!(checked.protocols, request.protocols);
    let (response, _) = checked.accept_http(None, config).expect("101");
    assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(
        response.headers()["sec-websocket-accept"].as_bytes(),
        expected_accept(request.key.as_bytes()).as_bytes()
    );
}

/// The header fields httparse read, which must be the ones the library
/// kept (`kept`), in order, and within the configured count.
fn same_fields(parsed: &[httparse::Header<'_>], kept: &Fields, config: &Config) -> Fields {
    let fields: Fields = parsed
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    assert!(fields.len() <= config.max_handshake_headers);
    assert_eq!(*kept, fields);
    fields
}

fn check_accepted_request(data: &[u8], config: &Config, request: &Request, n: usize) {
    assert!(n <= data.len() && n <= config.max_handshake_size);
    let head = &data[..n];

    // The second parse.
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut parsed = httparse::Request::new(&mut storage);
    assert_eq!(parsed.parse(head), Ok(httparse::Status::Complete(n)));
    assert_eq!(parsed.method, Some("GET"), "§4.2.1 item 1");
    assert_eq!(parsed.version, Some(1), "§4.2.1 item 1");
    assert_eq!(parsed.path, Some(request.resource.as_str()));
    let fields = same_fields(parsed.headers, &request.headers, config);

    let host = only(&fields, "host");
    assert!(!host.is_empty(), "§4.2.1 item 2");
    assert_eq!(request.host.as_bytes(), host);
    assert!(list_has(&fields, "upgrade", "websocket"), "§4.2.1 item 3");
    assert!(list_has(&fields, "connection", "upgrade"), "§4.2.1 item 4");
    let key = only(&fields, "sec-websocket-key");
    assert!(key_is_16_bytes(key), "§4.2.1 item 5: key {key:02x?}");
    assert_eq!(request.key.as_bytes(), key);
    assert_eq!(
        only(&fields, "sec-websocket-version"),
        b"13",
        "§4.2.1 item 6"
    );
    let origins: Vec<&[u8]> = all(&fields, "origin").map(trim).collect();
    assert!(origins.len() <= 1);
    assert_eq!(
        request.origin.as_deref().map(str::as_bytes),
        origins.first().copied()
    );
    let protocols: Vec<&[u8]> = all(&fields, "sec-websocket-protocol")
        .flat_map(|v| v.split(|b| *b == b','))
        .map(trim)
        .filter(|item| !item.is_empty())
        .collect();
    assert!(protocols.iter().all(|p| is_token(p)), "§4.1 item 10");
    let offered: Vec<&[u8]> = request.protocols.iter().map(String::as_bytes).collect();
    assert_eq!(offered, protocols);
    assert_eq!(all(&fields, "transfer-encoding").count(), 0);
    assert!(all(&fields, "content-length").all(|v| trim(v) == b"0"));

    check_http_types(&parsed, config, request);

    // The head alone gives the same answer; a prefix of it is incomplete;
    // what follows it (the first frames) changes nothing.
    let alone = parse_request(head, config);
    assert_eq!(alone, Ok(Some((request.clone(), n))));
    assert_eq!(
        parse_request(&head[..n - 1], config),
        Ok(None),
        "prefix of {head:02x?}"
    );
    let mut with_frames = head.to_vec();
    with_frames.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    assert_eq!(
        parse_request(&with_frames, config),
        Ok(Some((request.clone(), n)))
    );

    // The 101 answer satisfies a client that sent the same key (§4.2.2).
    let client = ClientRequest::new("server.example.com", "/")
        .with_key(&request.key)
        .unwrap_or_else(|e| {
            panic!(
                "server accepted key {:?} the client refuses: {e}",
                request.key
            )
        });
    let mut answer = Vec::new();
    request
        .accept(None, &mut answer)
        .expect("accept without subprotocol");
    let (response, used) = client
        .parse_response(&answer, &Config::default())
        .expect("our own 101 answer is valid")
        .expect("our own 101 answer is complete");
    assert_eq!(used, answer.len());
    assert_eq!(response.protocol, None);
    let accept = response.header("sec-websocket-accept").map(trim);
    assert_eq!(
        accept,
        Some(expected_accept(key).as_bytes()),
        "§4.2.2 item 5.4"
    );

    // Selecting an offered subprotocol works; one not offered is refused.
    if let Some(first) = request.protocols.first() {
        let mut unique: Vec<&String> = Vec::new();
        for p in &request.protocols {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        let client = client
            .try_with_protocols(unique.into_iter().cloned())
            .expect("the server accepted these as tokens");
        let mut answer = Vec::new();
        request.accept(Some(first), &mut answer).expect("offered");
        let (response, _) = client
            .parse_response(&answer, &Config::default())
            .expect("our own 101 answer with a subprotocol is valid")
            .expect("complete");
        assert_eq!(response.protocol.as_ref(), Some(first));
    }
    check_rebuilt_request(request);
    check_deflate_negotiation(request);
    if !request.protocols.iter().any(|p| p == "x-not-offered") {
        let mut out = Vec::new();
        assert!(request.accept(Some("x-not-offered"), &mut out).is_err());
        assert!(out.is_empty());
    }
}

/// A client built from the accepted request (host, resource, subprotocols,
/// the extra fields it may send) writes a request the server accepts, with
/// the same key and subprotocols; the server's answer carrying the same
/// extra fields satisfies that client.
fn check_rebuilt_request(request: &Request) {
    let mut unique: Vec<String> = Vec::new();
    for p in &request.protocols {
        if !unique.contains(p) {
            unique.push(p.clone());
        }
    }
    let mut client = ClientRequest::new(&request.host, &request.resource)
        .with_key(&request.key)
        .expect("a key the server accepted")
        .try_with_protocols(unique.iter().cloned())
        .expect("tokens, once each");
    let mut extra: Vec<(&str, &str)> = Vec::new();
    for (name, value) in &request.headers {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        // Fields the handshake writes itself, and control characters, are
        // refused; the rest are sent as given.
        if let Ok(with) = client.clone().try_with_header(name, value) {
            client = with;
            extra.push((name.as_str(), value));
        }
    }
    let mut wire = Vec::new();
    client.encode(&mut wire);
    let roomy = Config::default()
        .max_handshake_size(1 << 20)
        .max_handshake_headers(1024);
    let (again, n) = parse_request(&wire, &roomy)
        .unwrap_or_else(|e| panic!("our own request is refused ({e}): {wire:02x?}"))
        .expect("our own request is complete");
    assert_eq!(n, wire.len());
    assert_eq!(again.key, request.key);
    assert_eq!(again.protocols, unique);
    assert!(again.resource.starts_with('/'));
    assert_eq!(again.resource, client.resource());
    assert_eq!(again.host, client.host());
    if request.host.bytes().all(|b| b.is_ascii_graphic()) {
        assert_eq!(again.host, request.host);
    }
    let mut answer = Vec::new();
    again
        .accept_with_headers(
            unique.first().map(String::as_str),
            None,
            &extra,
            &mut answer,
        )
        .expect("fields the client could send, the server can");
    let (response, _) = client
        .parse_response(&answer, &roomy)
        .unwrap_or_else(|e| panic!("our own answer is refused ({e}): {answer:02x?}"))
        .expect("complete");
    assert_eq!(response.protocol.as_ref(), unique.first());
}

/// permessage-deflate (RFC 7692 §7): whatever the server agrees to from the
/// request's offers, a client offering the defaults accepts.
fn check_deflate_negotiation(request: &Request) {
    let config = DeflateConfig::default();
    let Some(params) = request.negotiate_deflate(&config) else {
        return;
    };
    let mut answer = Vec::new();
    request
        .accept_with_deflate(None, Some(&params), &mut answer)
        .expect("no subprotocol to refuse");
    let client = ClientRequest::new("server.example.com", "/")
        .with_key(&request.key)
        .expect("a key the server accepted")
        .with_deflate(config);
    let (response, _) = client
        .parse_response(&answer, &Config::default())
        .unwrap_or_else(|e| panic!("client refuses the agreed {params:?} ({e})"))
        .expect("complete");
    assert!(
        response.deflate.is_some(),
        "agreed {params:?}, client has none"
    );
}

/// A refused handshake: the error is consistent with the input and its
/// answer (§4.2.1: "the server MUST stop processing ... and return an HTTP
/// response with an appropriate error code") is well-formed HTTP.
fn check_refused(data: &[u8], config: &Config, error: &HandshakeError) {
    if let HandshakeError::TooLarge {
        what: rfc6455::HandshakeLimit::Bytes,
        max,
    } = error
    {
        assert_eq!(*max, config.max_handshake_size);
        assert!(data.len() > *max, "TooLarge for {} bytes", data.len());
    }
    let mut answer = Vec::new();
    reject_response(error, &mut answer);
    let mut storage = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Response::new(&mut storage);
    let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&answer) else {
        panic!("reject_response({error:?}) is not an HTTP head: {answer:02x?}");
    };
    let status = match error.status() {
        status @ 300..=599 => status,
        _ => 500,
    };
    assert_eq!(parsed.code, Some(status));
    assert_eq!(parsed.version, Some(1));
    let fields: Fields = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    let body = &answer[head_len..];
    assert_eq!(
        only(&fields, "content-length"),
        body.len().to_string().as_bytes()
    );
    assert_eq!(body, error.to_string().as_bytes());
    assert!(list_has(&fields, "connection", "close"));
    if status == 426 {
        assert_eq!(only(&fields, "sec-websocket-version"), b"13", "§4.4");
    }
    // The same refusal as the http crate's type: the same status, and the
    // same fields but for the body's length (the caller sets the body).
    let typed = rfc6455::handshake::reject_http(error);
    assert_eq!(typed.status().as_u16(), status);
    for (name, value) in &fields {
        if !name.eq_ignore_ascii_case("content-length") {
            assert_eq!(
                typed.headers()[name.as_str()].as_bytes(),
                &value[..],
                "{name}"
            );
        }
    }
}

/// The input as a URL for `connect`: the `&str`, `String` and `http::Uri`
/// forms of `IntoClientRequest` agree, and a request made from it goes
/// through the http crate's type and back with the same host and
/// resource.
fn check_url(data: &[u8]) {
    use rfc6455::IntoClientRequest;
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let by_str = url.into_client_request();
    let owned = url.to_owned();
    assert_eq!(
        (&owned).into_client_request().is_ok(),
        by_str.is_ok(),
        "{url:?}"
    );
    assert_eq!(
        owned.into_client_request().is_ok(),
        by_str.is_ok(),
        "{url:?}"
    );
    if let Ok(uri) = url.parse::<http::Uri>() {
        assert_eq!(
            (&uri).into_client_request().is_ok(),
            by_str.is_ok(),
            "{url:?}"
        );
        // As a whole request: a GET of that URI (what `connect` is given
        // when the caller wants extra fields) is refused whenever the URI
        // alone is.
        if let Ok(request) = http::Request::get(uri.clone()).body(()) {
            if by_str.is_err() {
                assert!(request.into_client_request().is_err(), "{url:?}");
            }
        }
        assert_eq!(uri.into_client_request().is_ok(), by_str.is_ok(), "{url:?}");
    }
    let Ok(request) = by_str else {
        return;
    };
    assert!(!request.host().is_empty(), "{url:?}");
    assert!(request.resource().starts_with('/'), "{url:?}");
    if let Ok(as_http) = request.to_http() {
        let back = ClientRequest::try_from(as_http).expect("our own request, back");
        assert_eq!(
            (back.host(), back.resource()),
            (request.host(), request.resource())
        );
    }
    let same = request
        .clone()
        .into_client_request()
        .expect("a ClientRequest is one");
    assert_eq!(same, request);
}

/// A client's own request, as `encode` writes it, passes the server's
/// checks, with its key and subprotocols, and deflate when offered.
/// The same response as the `http` crate's type: `check_http_response`
/// gives the same verdict as the byte parser (the same response when both
/// accept). Skipped for an incomplete or oversized head, and for a head
/// the `http` crate cannot represent.
fn check_http_response_agrees(
    data: &[u8],
    client: &ClientRequest,
    parsed: &Result<Option<(ServerResponse, usize)>, HandshakeError>,
) {
    if matches!(parsed, Ok(None) | Err(HandshakeError::TooLarge { .. })) {
        return;
    }
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut head = httparse::Response::new(&mut storage);
    if !matches!(head.parse(data), Ok(httparse::Status::Complete(_))) {
        return;
    }
    let (Some(code), Some(version)) = (head.code, head.version) else {
        return;
    };
    let mut builder = http::Response::builder()
        .status(code)
        .version(match version {
            1 => http::Version::HTTP_11,
            _ => http::Version::HTTP_10,
        });
    for h in head.headers.iter() {
        builder = builder.header(h.name, h.value);
    }
    let Ok(as_http) = builder.body(()) else {
        return;
    };
    let checked = client.check_http_response(&as_http);
    match (parsed, &checked) {
        // Field names come lowercased from the http crate: compare what
        // was decided, not how the fields were spelled.
        (Ok(Some((bytes, _))), Ok(typed)) => assert_eq!(
            (bytes.status, &bytes.protocol, &bytes.deflate),
            (typed.status, &typed.protocol, &typed.deflate)
        ),
        (Ok(Some(_)), Err(e)) => {
            panic!("check_http_response refused what parse_response accepted: {e:?}")
        }
        (Err(e), Ok(_)) => {
            panic!("check_http_response accepted what parse_response refused: {e:?}")
        }
        _ => {}
    }
}

fn check_client_request(client: &ClientRequest, offers_deflate: bool) {
    // Through the http crate's type and back: the same request.
    let as_http = client.to_http().expect("our request as http::Request");
    let back = ClientRequest::try_from(as_http);
    if offers_deflate {
        // A deflate offer comes from `Config::deflate`, never from a field
        // given by hand: the http form of ours is refused.
        assert!(matches!(
            back,
            Err(rfc6455::Error::Handshake(HandshakeError::Malformed(_)))
        ));
    } else {
        let back = back.expect("and back");
        assert_eq!(
            (back.host(), back.resource(), back.key()),
            (client.host(), client.resource(), client.key())
        );
        assert_eq!(back.protocols(), client.protocols());
    }
    let mut wire = Vec::new();
    client.encode(&mut wire);
    let (request, _) = parse_request(&wire, &Config::default())
        .expect("our own request is valid")
        .expect("complete");
    assert_eq!(request.key, client.key());
    assert_eq!(request.protocols, client.protocols());
    assert_eq!(
        request
            .negotiate_deflate(&DeflateConfig::default())
            .is_some(),
        offers_deflate
    );
}

/// The checks of the `handshake_response` target.
pub fn check_response(data: &[u8]) {
    check_url(data);
    let offering = ClientRequest::new("server.example.com", "/chat")
        .with_key(VECTOR_KEY)
        .expect("the RFC's key")
        .with_protocols(["chat", "superchat"]);
    let plain = ClientRequest::new("server.example.com", "/chat")
        .with_key(VECTOR_KEY)
        .expect("the RFC's key");
    let deflating = offering.clone().with_deflate(DeflateConfig::default());
    check_client_request(&offering, false);
    check_client_request(&deflating, true);
    let [default, small] = configs();
    for (client, config) in [
        (&offering, &default),
        (&plain, &default),
        (&offering, &small),
        (&deflating, &default),
    ] {
        let parsed = client.parse_response(data, config);
        check_http_response_agrees(data, client, &parsed);
        match parsed {
            Ok(Some((response, n))) => check_accepted_response(data, config, client, &response, n),
            Ok(None) => assert!(data.len() <= config.max_handshake_size),
            Err(HandshakeError::TooLarge {
                what: rfc6455::HandshakeLimit::Bytes,
                max,
            }) => {
                assert_eq!(max, config.max_handshake_size);
                assert!(data.len() > max);
            }
            Err(HandshakeError::UnexpectedStatus(refusal)) => {
                let code = refusal.status;
                let mut storage = vec![httparse::EMPTY_HEADER; MAX_FIELDS];
                let mut parsed = httparse::Response::new(&mut storage);
                let bounded = &data[..data.len().min(config.max_handshake_size)];
                assert_eq!(
                    parsed.parse(bounded),
                    Ok(httparse::Status::Complete(refusal.head_len()))
                );
                assert_eq!(parsed.code, Some(code));
                assert_eq!(refusal.headers.len(), parsed.headers.len());
                // Whatever follows the head, its body is bounded.
                let mut body = rfc6455::handshake::ResponseBody::new(&refusal, 64);
                body.receive(&data[refusal.head_len()..]);
                let mut refusal = *refusal;
                body.finish(&mut refusal, true);
                assert!(refusal.body.len() <= 64);
                assert_ne!(code, 101);
            }
            Err(_) => {}
        }
    }
}

fn check_accepted_response(
    data: &[u8],
    config: &Config,
    client: &ClientRequest,
    response: &ServerResponse,
    n: usize,
) {
    assert!(n <= data.len() && n <= config.max_handshake_size);
    let head = &data[..n];
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut parsed = httparse::Response::new(&mut storage);
    assert_eq!(parsed.parse(head), Ok(httparse::Status::Complete(n)));
    assert_eq!(parsed.code, Some(101), "§4.1: status must be 101");
    assert_eq!(parsed.version, Some(1));
    assert_eq!(response.status, 101);
    let fields = same_fields(parsed.headers, &response.headers, config);

    assert!(list_has(&fields, "upgrade", "websocket"), "§4.1 item 2");
    assert!(list_has(&fields, "connection", "upgrade"), "§4.1 item 3");
    assert_eq!(
        only(&fields, "sec-websocket-accept"),
        expected_accept(client.key().as_bytes()).as_bytes(),
        "§4.1 item 4"
    );
    // An empty field lists no extension (RFC 7230 §7: empty elements).
    let extensions = all(&fields, "sec-websocket-extensions")
        .flat_map(|v| v.split(|b| *b == b','))
        .filter(|item| !trim(item).is_empty())
        .count();
    if response.deflate.is_none() {
        assert_eq!(
            extensions, 0,
            "§4.1 item 5: an extension that was not offered"
        );
    } else {
        assert!(
            extensions > 0,
            "permessage-deflate agreed without the field"
        );
    }
    let selected: Vec<&[u8]> = all(&fields, "sec-websocket-protocol").map(trim).collect();
    match selected.as_slice() {
        [] => assert_eq!(response.protocol, None),
        [one] => {
            assert!(
                client.protocols().iter().any(|p| p.as_bytes() == *one),
                "§4.1 item 6: {one:02x?} was not offered"
            );
            assert_eq!(response.protocol.as_deref().map(str::as_bytes), Some(*one));
        }
        more => panic!("accepted {} Sec-WebSocket-Protocol fields", more.len()),
    }

    assert_eq!(
        client.parse_response(&head[..n - 1], config),
        Ok(None),
        "prefix of {head:02x?}"
    );
    let mut with_frames = head.to_vec();
    with_frames.extend_from_slice(b"\x81\x05Hello");
    assert_eq!(
        client.parse_response(&with_frames, config),
        Ok(Some((response.clone(), n)))
    );
}
