//! Spans and events through `tracing` (feature `tracing`), behind a macro
//! ([`event!`]) and a [`Span`] that compile to nothing without it: a call site stays one
//! line either way, and with the feature off no argument is evaluated and
//! `tracing` is not in the dependency tree.
//!
//! What this module owns: the names and fields of the crate's spans. What
//! it does not: deciding what to report (the call sites do, each choosing
//! its level: see the `Server` docs for the list).
//!
//! Never a payload: events carry codes, statuses, lengths and limits, and
//! the reasons the crate or the peer gave (a close reason is at most 123
//! bytes, §5.5).

/// An event at a level (`DEBUG`, `INFO`...): `tracing::event!`, or
/// nothing at all (no argument evaluated).
///
/// ```ignore
/// trace::event!(DEBUG, code = code.as_u16(), %error, "connection failed");
/// ```
#[cfg(feature = "tracing")]
macro_rules! event {
    ($level:ident, $($arg:tt)*) => {
        ::tracing::event!(::tracing::Level::$level, $($arg)*)
    };
}
#[cfg(not(feature = "tracing"))]
macro_rules! event {
    ($($arg:tt)*) => {
        ()
    };
}

pub(crate) use event;

/// A connection's span: `tracing::Span`, or nothing at all.
#[cfg(all(feature = "tokio", feature = "tracing"))]
pub(crate) type Span = tracing::Span;

/// A connection's span: `tracing::Span`, or nothing at all.
#[cfg(all(feature = "tokio", not(feature = "tracing")))]
#[derive(Debug, Clone)]
pub(crate) struct Span;

/// The span of a connection a server accepted, from its accept to its end:
/// `websocket{peer, path}`, the path recorded once the request is read
/// ([`record_path`]). A handler's own events land in it.
#[cfg(feature = "tokio")]
pub(crate) fn server_span(peer: &dyn std::fmt::Debug) -> Span {
    #[cfg(feature = "tracing")]
    return tracing::info_span!("websocket", peer = ?peer, path = tracing::field::Empty);
    #[cfg(not(feature = "tracing"))]
    {
        let _ = peer;
        Span
    }
}

/// Records the request's path (not its query, which may carry a token)
/// in the current span: the server's connection span, where it has the
/// field; elsewhere nothing.
#[cfg(feature = "tokio")]
pub(crate) fn record_path(uri: &http::Uri) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("path", uri.path());
    #[cfg(not(feature = "tracing"))]
    let _ = uri;
}

/// The span of a client connection: `websocket_client{host, path}`, the
/// path of `resource` without its query (which may carry a token).
#[cfg(feature = "tokio")]
pub(crate) fn client_span(host: &str, resource: &str) -> Span {
    #[cfg(feature = "tracing")]
    {
        let path = resource.split('?').next().unwrap_or_default();
        tracing::info_span!("websocket_client", host, path)
    }
    #[cfg(not(feature = "tracing"))]
    {
        let _ = (host, resource);
        Span
    }
}

/// `future`, run inside `span` (or as it is, without the feature).
#[cfg(feature = "tokio")]
pub(crate) fn instrument<F: std::future::Future>(
    future: F,
    span: Span,
) -> impl std::future::Future<Output = F::Output> {
    #[cfg(feature = "tracing")]
    return tracing::Instrument::instrument(future, span);
    #[cfg(not(feature = "tracing"))]
    {
        let _ = span;
        future
    }
}
