//! What a [`WebSocket`](super::WebSocket) reports to, beside its peer: the
//! counters of the [`Server`](super::Server) that accepted it, and (feature
//! `tracing`) the span of a client connection, entered while it is polled
//! so that the connection's events land in it. A server's connections need
//! no span here: their whole task runs in theirs.
//!
//! One pointer without `tracing`, two with it; nothing on the heap but
//! the client's span.

use super::stats::Counters;
use crate::close::CloseCode;
use crate::connection::Connection;
use crate::trace;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Observer {
    /// The server's counters: this connection counts as open until
    /// [`ended`](Observer::ended).
    counters: Option<Arc<Counters>>,
    /// A client connection's span. Boxed: a server's connections, the
    /// many, keep one pointer for it, not a whole span.
    #[cfg(feature = "tracing")]
    span: Option<Box<tracing::Span>>,
}

/// While a client connection's span is entered: the guard, or nothing.
#[cfg(feature = "tracing")]
pub(crate) type Entered = Option<tracing::span::EnteredSpan>;

/// While a client connection's span is entered: nothing at all.
#[cfg(not(feature = "tracing"))]
pub(crate) struct Entered;

impl Observer {
    /// Counts the connection as open in `counters`, until it ends.
    pub(crate) fn count_in(&mut self, counters: Arc<Counters>) {
        counters.opened();
        self.counters = Some(counters);
    }

    /// Reports the connection's events in `span` (a client's).
    pub(crate) fn set_span(&mut self, span: trace::Span) {
        #[cfg(feature = "tracing")]
        if !span.is_disabled() {
            self.span = Some(Box::new(span));
        }
        #[cfg(not(feature = "tracing"))]
        let _ = span;
    }

    /// Enters the connection's span, if it has one of its own, until the
    /// guard is dropped. The guard holds a clone of the span (a reference
    /// count in the subscriber), not a borrow: the connection goes on
    /// being polled, mutably, inside it.
    #[cfg(feature = "tracing")]
    pub(crate) fn enter(&self) -> Entered {
        self.span.as_deref().map(|span| span.clone().entered())
    }

    /// Nothing to enter without `tracing`.
    #[cfg(not(feature = "tracing"))]
    pub(crate) fn enter(&self) -> Entered {
        Entered
    }

    /// The connection is gone: reports how it ended, with the code of its
    /// first Close frame, sent or received, or 1006 when none went either
    /// way, and counts it closed with that code.
    pub(crate) fn ended(&mut self, conn: &Connection) {
        let (code, _initiator) = conn.first_close().unzip();
        let code = code.unwrap_or(CloseCode::ABNORMAL);
        {
            let _span = self.enter();
            trace::event!(
                DEBUG,
                code = code.as_u16(),
                initiator = _initiator.map_or("none", |i| i.as_str()),
                "connection closed"
            );
        }
        if let Some(counters) = self.counters.take() {
            counters.closed(code);
        }
    }
}
