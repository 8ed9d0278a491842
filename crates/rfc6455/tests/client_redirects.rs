//! Redirects of the opening handshake, followed when asked
//! (`ClientConfig::max_redirects`): on the same origin with the
//! credentials, across origins without `Authorization` and `Cookie`, never
//! from `wss://` to `ws://`, and a loop or one too many ending in an error
//! that names the chain. Over real sockets, against our `Server` whose
//! admission hook redirects.

use rfc6455::handshake::{Accept, Admission, RedirectError, Refusal};
use rfc6455::{ClientConfig, Config, Error, HandshakeError, Server, ShutdownHandle};
use rfc6455_test_support::tls::Pki;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Long enough for a loaded machine, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(20);

/// What the server saw of each request it accepted: path, Authorization,
/// Cookie.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// The admission of a server that redirects by path: `/to/<status>/<rest>`
/// answers `<status>` with `Location: <rest>` (`~` for `/`), `/loop/a` and
/// `/loop/b` redirect to each other, `/hop/<n>` to `/hop/<n - 1>` down
/// to `/hop/0`, and every other path is accepted,
/// what it carried recorded.
fn redirecting(seen: Seen) -> Admission {
    Admission::sync(move |parts| {
        let path = parts.uri.path().to_owned();
        if let Some(which) = path.strip_prefix("/loop/") {
            let next = if which == "a" { "/loop/b" } else { "/loop/a" };
            return Err(Refusal::new(302).header("Location", next));
        }
        if let Some(n) = path
            .strip_prefix("/hop/")
            .and_then(|n| n.parse::<u32>().ok())
        {
            if n > 0 {
                let next = format!("/hop/{}", n - 1);
                return Err(Refusal::new(302).header("Location", next.as_str()));
            }
        }
        if let Some(rest) = path.strip_prefix("/to/") {
            let (status, location) = rest.split_once('/').unwrap();
            let location = location.replace('~', "/");
            return Err(Refusal::new(status.parse().unwrap()).header("Location", location.as_str()));
        }
        let field = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        seen.lock()
            .unwrap()
            .push((path, field("authorization"), field("cookie")));
        Ok(Accept::new())
    })
}

async fn server(tls: Option<&Pki>) -> (u16, Seen, ShutdownHandle) {
    let seen = Seen::default();
    let server = Server::bind("127.0.0.1:0", Config::default())
        .await
        .unwrap()
        .admission(redirecting(Arc::clone(&seen)));
    let port = server.local_addr().unwrap().port();
    let handle = server.shutdown_handle();
    match tls {
        Some(pki) => tokio::spawn(server.tls(pki.acceptor()).serve(|_ws, _| async {})),
        None => tokio::spawn(server.serve(|_ws, _| async {})),
    };
    (port, seen, handle)
}

fn with_credentials(url: &str) -> http::Request<()> {
    http::Request::get(url)
        .header("Authorization", "Bearer t")
        .header("Cookie", "session=1")
        .body(())
        .unwrap()
}

async fn connect(client: &ClientConfig, request: http::Request<()>) -> Result<(), Error> {
    let connected = tokio::time::timeout(LIMIT, client.connect(request)).await;
    connected.expect("no hang").map(drop)
}

#[tokio::test]
async fn redirects_are_followed_only_when_asked() {
    let (port, seen, handle) = server(None).await;
    let url = format!("ws://127.0.0.1:{port}/to/301/~new");
    let err = connect(&ClientConfig::default(), with_credentials(&url))
        .await
        .unwrap_err();
    match err {
        Error::Handshake(HandshakeError::UnexpectedStatus(r)) => {
            assert_eq!((r.status, r.header("location")), (301, Some(&b"/new"[..])));
        }
        other => panic!("{other:?}"),
    }

    // Same origin, each status: the credentials go along.
    let client = ClientConfig::default().max_redirects(3);
    for status in [301, 302, 303, 307, 308] {
        let url = format!("ws://127.0.0.1:{port}/to/{status}/~new{status}");
        connect(&client, with_credentials(&url)).await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for (path, authorization, cookie) in seen {
        assert!(path.starts_with("/new"), "{path}");
        assert_eq!(authorization.as_deref(), Some("Bearer t"));
        assert_eq!(cookie.as_deref(), Some("session=1"));
    }
    handle.shutdown();
}

#[tokio::test]
async fn another_origin_gets_no_credentials() {
    let (port, seen, handle) = server(None).await;
    // 127.0.0.1 to localhost: another host, so another origin.
    let url = format!("ws://127.0.0.1:{port}/to/307/ws:~~localhost:{port}~other");
    let client = ClientConfig::default().max_redirects(1);
    connect(&client, with_credentials(&url)).await.unwrap();
    assert_eq!(
        seen.lock().unwrap().clone(),
        [("/other".to_owned(), None, None)]
    );
    handle.shutdown();
}

#[tokio::test]
async fn a_loop_and_one_too_many_name_the_chain() {
    let (port, _, handle) = server(None).await;
    let client = ClientConfig::default().max_redirects(5);
    let url = format!("ws://127.0.0.1:{port}/loop/a");
    let err = connect(&client, with_credentials(&url)).await.unwrap_err();
    let Error::Redirect(RedirectError::Loop(chain)) = &err else {
        panic!("{err:?}");
    };
    let a = format!("ws://127.0.0.1:{port}/loop/a");
    let b = format!("ws://127.0.0.1:{port}/loop/b");
    assert_eq!(chain, &[a.clone(), b.clone(), a.clone()]);
    assert_eq!(err.to_string(), format!("redirect loop: {a} -> {b} -> {a}"));

    // Two hops with one allowed.
    let url = format!("ws://127.0.0.1:{port}/hop/2");
    let err = connect(
        &ClientConfig::default().max_redirects(1),
        with_credentials(&url),
    )
    .await
    .unwrap_err();
    let Error::Redirect(RedirectError::TooMany { max: 1, chain }) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(chain.len(), 3, "{chain:?}");
    assert!(
        err.to_string().starts_with("more than 1 redirects: ws://"),
        "{err}"
    );
    // Enough allowed: it lands.
    connect(
        &ClientConfig::default().max_redirects(2),
        with_credentials(&url),
    )
    .await
    .unwrap();

    // A Location that is not a URL or a path.
    let url = format!("ws://127.0.0.1:{port}/to/301/nowhere");
    let err = connect(&client, with_credentials(&url)).await.unwrap_err();
    assert!(
        matches!(err, Error::Redirect(RedirectError::InvalidLocation(_))),
        "{err:?}"
    );
    handle.shutdown();
}

#[tokio::test]
async fn never_from_wss_to_ws() {
    let pki = Pki::new();
    let (port, seen, handle) = server(Some(&pki)).await;
    let client = ClientConfig::default()
        .connector(pki.connector())
        .max_redirects(3);
    let url = format!("wss://localhost:{port}/to/301/ws:~~localhost:{port}~plain");
    let err = connect(&client, with_credentials(&url)).await.unwrap_err();
    let Error::Redirect(RedirectError::Downgrade { from, to }) = &err else {
        panic!("{err:?}");
    };
    assert!(from.starts_with("wss://localhost:"), "{from}");
    assert!(to.starts_with("ws://localhost:"), "{to}");
    // wss -> wss is fine.
    let url = format!("wss://localhost:{port}/to/308/~secure");
    connect(&client, with_credentials(&url)).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    handle.shutdown();
}
