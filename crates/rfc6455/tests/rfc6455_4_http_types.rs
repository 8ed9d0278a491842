//! RFC 6455 §4, the opening handshake, in the `http` crate's types: both
//! roles through `http::Request` and `http::Response` (what hyper and axum
//! hand over), held to the same rules as the bytes, and `connect` taking
//! anything `IntoClientRequest`.

use futures_util::{SinkExt, StreamExt};
use rfc6455::deflate::DeflateConfig;
use rfc6455::handshake::{parse_request, reject_http, ClientRequest, IntoClientRequest, Request};
use rfc6455::{Config, Error, HandshakeError, Message, Role, WebSocket};

/// The key and accept value of the example in RFC 6455 §1.3.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn deflate_config() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

/// §1.3 and §4.1–§4.2.2 end to end in `http` types: the client's request,
/// the server's checks and 101, the client's checks of it.
#[test]
fn section_4_both_roles_in_http_types() {
    let client = ClientRequest::new("server.example.com", "/chat")
        .with_key(KEY)
        .unwrap()
        .with_protocols(["chat", "superchat"])
        .with_header("Origin", "http://example.com")
        .with_deflate(DeflateConfig::default());
    let request = client.to_http().unwrap();

    let checked = Request::from_http(&request).unwrap();
    assert_eq!(checked.protocols, ["chat", "superchat"]);
    assert_eq!(checked.origin.as_deref(), Some("http://example.com"));
    let (response, deflate) = checked
        .accept_http(Some("chat"), &deflate_config())
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["sec-websocket-accept"], ACCEPT);
    assert!(deflate.is_some());

    let answer = client.check_http_response(&response).unwrap();
    assert_eq!(answer.protocol.as_deref(), Some("chat"));
    assert_eq!(answer.deflate, deflate);
}

/// §4.2.1: a request hyper parsed fails exactly where its bytes fail.
#[test]
fn section_4_2_1_same_errors_as_the_bytes() {
    let wire = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 8\r\n\r\n";
    let from_bytes = parse_request(wire, &Config::default()).unwrap_err();
    let request = http::Request::get("/chat")
        .header("Host", "h")
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Key", KEY)
        .header("Sec-WebSocket-Version", "8")
        .body(())
        .unwrap();
    let from_http = Request::from_http(&request).unwrap_err();
    assert_eq!(from_http, from_bytes);
    assert_eq!(from_http, HandshakeError::UnsupportedVersion);
    // §4.4: the refusal names the version this server speaks.
    let refusal = reject_http(&from_http);
    assert_eq!(refusal.status(), 426);
    assert_eq!(refusal.headers()["sec-websocket-version"], "13");
}

/// §4.2.2 item 4: the selected subprotocol must be one the client offered.
#[test]
fn section_4_2_2_unoffered_subprotocol_is_refused() {
    let request = ClientRequest::new("h", "/").with_protocols(["chat"]);
    let checked = Request::from_http(&request.to_http().unwrap()).unwrap();
    assert_eq!(
        checked.accept_http(Some("mqtt"), &Config::default()).err(),
        Some(HandshakeError::UnofferedSubprotocol("mqtt".to_owned()))
    );
}

/// §4.1: what cannot be a WebSocket request fails before a byte is sent.
#[tokio::test]
async fn section_4_1_connect_refuses_what_cannot_be_websocket() {
    let post = http::Request::post("ws://127.0.0.1:9/").body(()).unwrap();
    assert!(matches!(
        rfc6455::connect(post).await,
        Err(Error::Handshake(HandshakeError::MethodNotGet))
    ));
    assert!(matches!(
        rfc6455::connect("https://127.0.0.1:9/").await,
        Err(Error::InvalidUrl(_))
    ));
    let with_body = http::Request::get("ws://127.0.0.1:9/")
        .header("Transfer-Encoding", "chunked")
        .body(())
        .unwrap();
    assert!(matches!(
        rfc6455::connect(with_body).await,
        Err(Error::Handshake(HandshakeError::Malformed(_)))
    ));
}

/// A server that takes connections on `listener`, serves one after
/// checking it with `check` through the `http` types, and echoes.
async fn one_connection_server(
    listener: tokio::net::TcpListener,
    check: fn(&Request) -> Option<String>,
) {
    let (stream, _) = listener.accept().await.unwrap();
    let mut ws =
        rfc6455::accept_with_policy(stream, Config::default(), |request| Ok(check(request)))
            .await
            .unwrap();
    while let Some(Ok(msg)) = ws.next().await {
        if msg.is_data() {
            ws.send(msg).await.unwrap();
        }
    }
}

/// §4.1 items 10 and 12: `connect` with an `http::Request` sends its
/// subprotocols and extra fields (authorization, cookies) as given.
#[tokio::test]
async fn section_4_1_connect_with_an_http_request_keeps_its_fields() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(one_connection_server(listener, |request| {
        assert_eq!(request.header("authorization"), Some(&b"Bearer 123"[..]));
        assert_eq!(request.header("cookie"), Some(&b"session=abc"[..]));
        assert_eq!(request.resource, "/chat?room=7");
        request.protocols.last().cloned()
    }));
    let request = http::Request::get(format!("ws://{addr}/chat?room=7"))
        .header("Authorization", "Bearer 123")
        .header("Cookie", "session=abc")
        .header("Sec-WebSocket-Protocol", "chat.v2, chat.v1")
        .body(())
        .unwrap();
    let (mut ws, _) = rfc6455::connect(request).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat.v1"));
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hi"));
    ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

/// Every kind of `IntoClientRequest` reaches the server.
#[tokio::test]
async fn connect_takes_every_kind_of_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("ws://{addr}/");
    let uri: http::Uri = url.parse().unwrap();
    let requests: Vec<ClientRequest> = vec![
        url.as_str().into_client_request().unwrap(),
        url.clone().into_client_request().unwrap(),
        (&url).into_client_request().unwrap(),
        uri.clone().into_client_request().unwrap(),
        http::Request::get(uri)
            .body(())
            .unwrap()
            .into_client_request()
            .unwrap(),
        ClientRequest::new(&addr.to_string(), "/"),
    ];
    let count = requests.len() + 2;
    let server = tokio::spawn(async move {
        for _ in 0..count {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = rfc6455::accept(stream).await.unwrap();
            while ws.next().await.is_some() {}
        }
    });
    for request in requests {
        let (mut ws, _) = rfc6455::connect(request).await.unwrap();
        ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
    }
    // And straight from a `&String` and a `String`, as before the trait.
    let (mut ws, _) = rfc6455::connect(&url).await.unwrap();
    ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
    let (mut ws, _) = rfc6455::connect(url).await.unwrap();
    ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

/// The server's half over any stream, as a hyper or axum handler runs it
/// after the upgrade: `from_raw_with_deflate` with what `accept_http`
/// negotiated.
#[tokio::test]
async fn accept_http_then_from_raw_with_deflate() {
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let client = ClientRequest::new("h", "/").with_deflate(DeflateConfig::default());
    let checked = Request::from_http(&client.to_http().unwrap()).unwrap();
    let (response, deflate) = checked.accept_http(None, &deflate_config()).unwrap();
    let answer = client.check_http_response(&response).unwrap();
    assert!(deflate.is_some());

    let mut server =
        WebSocket::from_raw_with_deflate(server_io, Role::Server, deflate_config(), deflate);
    let mut client =
        WebSocket::from_raw_with_deflate(client_io, Role::Client, deflate_config(), answer.deflate);
    let text = "compressible ".repeat(100);
    client.send(Message::text(text.clone())).await.unwrap();
    assert_eq!(server.next().await.unwrap().unwrap(), Message::text(text));
}

/// §4.2.2 on the `http` types path: the same `Admission` hook a `Server`
/// runs decides on a request another stack parsed; its `Accept` adds
/// `Set-Cookie` beside permessage-deflate (RFC 7692), its `Refusal` is a
/// full response (401 with `WWW-Authenticate` and a body).
#[tokio::test]
async fn admission_on_the_http_types_path() {
    use rfc6455::handshake::{Accept, Admission, Refusal};
    let admission = Admission::new(|request| {
        let authorized = request.headers.contains_key("authorization");
        async move {
            tokio::task::yield_now().await;
            if authorized {
                Ok(Accept::new().header("Set-Cookie", "session=1"))
            } else {
                Err(Refusal::unauthorized("Bearer"))
            }
        }
    });
    let client = ClientRequest::new("h", "/")
        .with_deflate(DeflateConfig::default())
        .with_header("Authorization", "Bearer t");
    let (parts, ()) = client.to_http().unwrap().into_parts();
    let checked = Request::from_parts(&parts).unwrap();
    let accept = admission.admit(&parts).await.unwrap();
    let (response, deflate) = accept.to_http(&checked, &deflate_config()).unwrap();
    assert_eq!(response.headers()["set-cookie"], "session=1");
    let answer = client.check_http_response(&response).unwrap();
    assert!(deflate.is_some() && answer.deflate.is_some());

    let anonymous = ClientRequest::new("h", "/").to_http().unwrap();
    let (parts, ()) = anonymous.into_parts();
    let refusal = admission.admit(&parts).await.unwrap_err();
    let response = refusal.to_http();
    assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["connection"], "close");
    assert_eq!(response.body(), "authentication required");
}
