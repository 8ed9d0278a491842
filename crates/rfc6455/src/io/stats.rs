//! A [`Server`](super::Server)'s counters: connections accepted, open,
//! refused (by cause) and closed (by close code), as atomics the accept
//! loop and every connection's task share through one `Arc`, read as a
//! [`ServerStats`] snapshot.
//!
//! What it owns: the counters and their snapshot. What it does not: when
//! to count (the server and the `WebSocket` it accepted do).

use crate::close::CloseCode;
use crate::error::{Error, HandshakeError};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The close codes [`ClosesByCode`] counts one by one (RFC 6455 §7.4.1);
/// every other code is counted together.
const CODES: [CloseCode; 10] = [
    CloseCode::NORMAL,
    CloseCode::GOING_AWAY,
    CloseCode::PROTOCOL_ERROR,
    CloseCode::UNSUPPORTED_DATA,
    CloseCode::NO_STATUS,
    CloseCode::ABNORMAL,
    CloseCode::INVALID_PAYLOAD,
    CloseCode::POLICY_VIOLATION,
    CloseCode::MESSAGE_TOO_BIG,
    CloseCode::INTERNAL_ERROR,
];

/// Why a connection did not become a WebSocket: one counter each in
/// [`Refusals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    OverLimit,
    Admission,
    BadHandshake,
    HandshakeTimeout,
    Tls,
}

impl Cause {
    /// The cause of a failed opening handshake (after TLS, if any).
    pub(crate) fn of_handshake(error: &Error) -> Cause {
        match error {
            Error::Timeout { .. } => Cause::HandshakeTimeout,
            Error::Handshake(
                HandshakeError::Rejected(_)
                | HandshakeError::Refused { .. }
                | HandshakeError::AdmissionPanicked,
            ) => Cause::Admission,
            _ => Cause::BadHandshake,
        }
    }

    /// How events name it.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Cause::OverLimit => "over_limit",
            Cause::Admission => "admission",
            Cause::BadHandshake => "bad_handshake",
            Cause::HandshakeTimeout => "handshake_timeout",
            Cause::Tls => "tls",
        }
    }
}

/// The counters themselves, shared by a server's accept loop and its
/// connections. Relaxed atomics: each counter is exact, a snapshot of
/// several is not taken at one instant.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    accepted: AtomicU64,
    open: AtomicU64,
    /// By `Cause`, in its order.
    refused: [AtomicU64; 5],
    /// By `CODES`, then every other code.
    closed: [AtomicU64; CODES.len() + 1],
}

impl Counters {
    pub(crate) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self, cause: Cause) {
        self.refused[cause as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A handshake succeeded: one more WebSocket open, until
    /// [`closed`](Self::closed).
    pub(crate) fn opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket [`opened`](Self::opened) is gone, with this close code.
    pub(crate) fn closed(&self, code: CloseCode) {
        let slot = CODES.iter().position(|c| *c == code).unwrap_or(CODES.len());
        self.closed[slot].fetch_add(1, Ordering::Relaxed);
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ServerStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let refused = self.refused.each_ref().map(load);
        let mut by_code = [0; CODES.len()];
        for (count, counter) in by_code.iter_mut().zip(&self.closed) {
            *count = load(counter);
        }
        ServerStats {
            accepted: load(&self.accepted),
            open: load(&self.open),
            refused: Refusals {
                over_limit: refused[Cause::OverLimit as usize],
                admission: refused[Cause::Admission as usize],
                bad_handshake: refused[Cause::BadHandshake as usize],
                handshake_timeout: refused[Cause::HandshakeTimeout as usize],
                tls: refused[Cause::Tls as usize],
            },
            closed: ClosesByCode {
                by_code,
                other: load(&self.closed[CODES.len()]),
            },
        }
    }
}

/// A handle on a [`Server`](super::Server)'s counters, taken before
/// [`serve`](super::Server::serve) and read while it runs (from a metrics
/// endpoint, a periodic log). Cheap to clone and send to another task.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let server = rfc6455::Server::bind("127.0.0.1:9001", rfc6455::Config::default()).await?;
/// let stats = server.stats_handle();
/// tokio::spawn(async move {
///     loop {
///         tokio::time::sleep(std::time::Duration::from_secs(60)).await;
///         println!("{}", stats.snapshot());
///     }
/// });
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StatsHandle {
    counters: Arc<Counters>,
}

impl StatsHandle {
    pub(crate) fn new(counters: Arc<Counters>) -> Self {
        StatsHandle { counters }
    }

    /// The counters now: a few atomic loads.
    #[must_use]
    pub fn snapshot(&self) -> ServerStats {
        self.counters.snapshot()
    }
}

/// What a [`Server`](super::Server) counted: a snapshot, from
/// [`Server::stats`](super::Server::stats),
/// [`StatsHandle::snapshot`] or [`ShutdownReport::stats`](super::ShutdownReport::stats).
///
/// Each counter is exact; a snapshot reads them one after the other, so
/// while connections come and go they may disagree by the few that moved
/// meanwhile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections the listener accepted (TCP or Unix; over TLS, before
    /// its handshake), refused ones included.
    pub accepted: u64,
    /// WebSockets open now: handshake done, not yet dropped by their
    /// handler.
    pub open: u64,
    /// Connections that did not become WebSockets, by cause.
    pub refused: Refusals,
    /// WebSockets that ended, by close code.
    pub closed: ClosesByCode,
}

impl ServerStats {
    /// Connections that became WebSockets: open now or closed since.
    #[must_use]
    pub fn upgraded(&self) -> u64 {
        self.open + self.closed.total()
    }
}

impl fmt::Display for ServerStats {
    /// One line: `accepted 12, open 2; refused 3 (over the limit 1, ...);
    /// closed 7 (1000: 5, 1006: 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "accepted {}, open {}; refused {}; closed {}",
            self.accepted, self.open, self.refused, self.closed
        )
    }
}

/// Connections that did not become WebSockets, by cause. Each got the
/// answer its cause names, if any (503, the admission hook's response,
/// 400...), and was reported to
/// [`on_handshake_error`](super::Server::on_handshake_error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusals {
    /// Answered 503 because [`max_connections`](super::Server::max_connections)
    /// were open or handshaking.
    pub over_limit: u64,
    /// Refused by the admission hook (or the policy), with its response;
    /// a hook that panicked (500) counts here too.
    pub admission: u64,
    /// Not a valid opening handshake (RFC 6455 §4.2.1: malformed, too
    /// large, not a WebSocket upgrade, wrong version), or the peer closed
    /// or reset the connection before finishing it.
    pub bad_handshake: u64,
    /// The TLS and opening handshakes, admission included, did not finish
    /// within `Config::handshake_timeout`.
    pub handshake_timeout: u64,
    /// The TLS handshake failed (a listener from
    /// [`Server::tls`](super::Server::tls)).
    pub tls: u64,
}

impl Refusals {
    /// All of them.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.over_limit + self.admission + self.bad_handshake + self.handshake_timeout + self.tls
    }
}

impl fmt::Display for Refusals {
    /// `3 (over the limit 1, admission 1, bad handshake 1, handshake
    /// timeout 0, TLS 0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (over the limit {}, admission {}, bad handshake {}, handshake timeout {}, TLS {})",
            self.total(),
            self.over_limit,
            self.admission,
            self.bad_handshake,
            self.handshake_timeout,
            self.tls
        )
    }
}

/// WebSockets that ended, by the code of their first Close frame, sent or
/// received (RFC 6455 §7.4): 1005 for a Close without a code, 1006 for a
/// connection that ended with no Close either way (the peer vanished, the
/// handler dropped it open). The common codes one by one
/// ([`CODES`](Self::CODES)), every other code together
/// ([`other`](Self::other)).
///
/// ```
/// use rfc6455::{ClosesByCode, CloseCode};
/// let closes = ClosesByCode::default();
/// assert_eq!(closes.count(CloseCode::NORMAL), Some(0));
/// assert_eq!(closes.count(CloseCode::from(4000)), None); // in `other()`
/// assert_eq!(closes.to_string(), "0");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosesByCode {
    by_code: [u64; CODES.len()],
    other: u64,
}

impl ClosesByCode {
    /// The codes counted one by one: 1000, 1001, 1002, 1003, 1005, 1006,
    /// 1007, 1008, 1009 and 1011.
    pub const CODES: [CloseCode; CODES.len()] = CODES;

    /// How many closed with `code`, if it is one of [`CODES`](Self::CODES);
    /// `None` for any other code (counted in [`other`](Self::other)).
    #[must_use]
    pub fn count(&self, code: CloseCode) -> Option<u64> {
        let slot = CODES.iter().position(|c| *c == code)?;
        Some(self.by_code[slot])
    }

    /// How many closed with a code not in [`CODES`](Self::CODES)
    /// (1010, 3000–4999...).
    #[must_use]
    pub fn other(&self) -> u64 {
        self.other
    }

    /// All of them.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.by_code.iter().sum::<u64>() + self.other
    }

    /// Each of [`CODES`](Self::CODES) with its count, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (CloseCode, u64)> + '_ {
        CODES.iter().copied().zip(self.by_code.iter().copied())
    }
}

impl fmt::Display for ClosesByCode {
    /// The total, then the codes that were seen: `7 (1000: 5, 1006: 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.total())?;
        let mut seen = self.iter().filter(|(_, n)| *n > 0).peekable();
        if seen.peek().is_none() && self.other == 0 {
            return Ok(());
        }
        f.write_str(" (")?;
        let mut first = true;
        for (code, n) in seen {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{code}: {n}")?;
        }
        if self.other > 0 {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "other: {}", self.other)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_are_counted_by_code_and_leave_open() {
        let counters = Counters::default();
        for _ in 0..3 {
            counters.opened();
        }
        counters.closed(CloseCode::NORMAL);
        counters.closed(CloseCode::from(4000));
        let stats = counters.snapshot();
        assert_eq!(stats.open, 1);
        assert_eq!(stats.closed.count(CloseCode::NORMAL), Some(1));
        assert_eq!(stats.closed.count(CloseCode::GOING_AWAY), Some(0));
        assert_eq!(stats.closed.count(CloseCode::from(4000)), None);
        assert_eq!(stats.closed.other(), 1);
        assert_eq!(stats.closed.total(), 2);
        assert_eq!(stats.upgraded(), 3);
        assert_eq!(stats.closed.to_string(), "2 (1000: 1, other: 1)");
    }

    #[test]
    fn refusals_are_counted_by_cause() {
        let counters = Counters::default();
        let causes = [
            Cause::OverLimit,
            Cause::Admission,
            Cause::Admission,
            Cause::BadHandshake,
            Cause::HandshakeTimeout,
            Cause::Tls,
        ];
        for cause in causes {
            counters.accepted();
            counters.refused(cause);
        }
        let stats = counters.snapshot();
        let expected = Refusals {
            over_limit: 1,
            admission: 2,
            bad_handshake: 1,
            handshake_timeout: 1,
            tls: 1,
        };
        assert_eq!(stats.refused, expected);
        assert_eq!(stats.accepted, 6);
        assert_eq!(
            stats.to_string(),
            "accepted 6, open 0; refused 6 (over the limit 1, admission 2, bad handshake 1, \
             handshake timeout 1, TLS 1); closed 0"
        );
    }
}
