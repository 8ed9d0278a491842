//! What a [`WebSocket`](super::WebSocket) reports to, beside its peer: the
//! counters of the [`Server`](super::Server) that accepted it.
//!
//! One pointer; nothing on the heap.

use super::stats::Counters;
use crate::close::CloseCode;
use crate::connection::Connection;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct Observer {
    /// The server's counters: this connection counts as open until
    /// [`ended`](Observer::ended).
    counters: Option<Arc<Counters>>,
}

impl Observer {
    /// Counts the connection as open in `counters`, until it ends.
    pub(crate) fn count_in(&mut self, counters: Arc<Counters>) {
        counters.opened();
        self.counters = Some(counters);
    }

    /// The connection is gone: counts it closed with the code of its
    /// first Close frame, sent or received, or 1006 when none went either
    /// way.
    pub(crate) fn ended(&mut self, conn: &Connection) {
        if let Some(counters) = self.counters.take() {
            let code = conn
                .first_close()
                .map_or(CloseCode::ABNORMAL, |(code, _)| code);
            counters.closed(code);
        }
    }
}
