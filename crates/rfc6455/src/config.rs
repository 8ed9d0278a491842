//! Every limit a peer could push against, in one place, with safe defaults.
//!
//! `Config` is read by the sans-IO [`Connection`](crate::Connection) (frame,
//! message and output limits), by the [`handshake`](crate::handshake) parsers
//! (request and response size, header count) and by the tokio layer (time
//! limits). It holds no state of its own.

use crate::deflate::DeflateConfig;
use std::time::Duration;

/// Limits and settings of one connection. `Config::default()` is safe to
/// expose to the internet.
///
/// ```
/// use rfc6455::Config;
/// let config = Config {
///     max_message_size: 1 << 20,
///     ..Config::default()
/// };
/// assert_eq!(config.max_message_size, 1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Largest payload of a single frame, in bytes. A bigger frame fails the
    /// connection with 1009 (RFC 6455 §7.4.1). Default: 16 MiB.
    pub max_frame_size: usize,
    /// Largest reassembled message, in bytes. A bigger message fails the
    /// connection with 1009 as soon as its size is known. Default: 64 MiB.
    pub max_message_size: usize,
    /// Largest handshake (request or response head), in bytes. A server
    /// answers a bigger request with 431. Default: 16 KiB.
    pub max_handshake_size: usize,
    /// Most header fields in a handshake. A server answers more with 431.
    /// Default: 64.
    pub max_handshake_headers: usize,
    /// Outgoing frames are written once at least this many bytes are queued,
    /// even if more could be coalesced. Default: 64 KiB.
    pub write_buffer_size: usize,
    /// Once this many bytes wait to be written, the connection stops
    /// processing input (`next_event` returns `Ok(None)`, so a peer that
    /// does not read cannot make us queue more replies) and `send` refuses
    /// data with [`Error::WriteBufferFull`](crate::Error::WriteBufferFull);
    /// the tokio layer's `send` waits instead (backpressure). Default: 4 MiB.
    pub max_write_buffer_size: usize,
    /// Most automatic Pongs waiting in the output. Past it, only the Pong
    /// for the most recent Ping is kept (RFC 6455 §5.5.3 allows that) and
    /// written once the output drains, so a Ping flood costs a bounded,
    /// small amount of memory. At least 1 is used. Default: 16.
    pub max_queued_pongs: usize,
    /// How long the opening handshake may take (tokio layer). Default: 10 s.
    pub handshake_timeout: Duration,
    /// How long to wait for the peer's part of the closing handshake, and
    /// for a server to close TCP after it (tokio layer). Default: 5 s.
    pub close_timeout: Duration,
    /// Closes the connection (1001, and [`Error::Timeout`](crate::Error::Timeout)
    /// `"idle"`) when nothing arrives from the peer for this long while the
    /// tokio layer waits for a message. Combine with `keepalive_interval`
    /// (shorter) so that a live but quiet peer answers Pings in time.
    /// Default: `None` (no idle timeout).
    pub idle_timeout: Option<Duration>,
    /// Sends a Ping when nothing has arrived from the peer for this long
    /// while the tokio layer waits for a message. Default: `None`.
    pub keepalive_interval: Option<Duration>,
    /// permessage-deflate (RFC 7692): offered by a client and accepted by a
    /// server when `Some`. Decompressed messages count against
    /// `max_message_size` as they are produced. Default: `None` (off).
    pub deflate: Option<DeflateConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_handshake_size: 16 << 10,
            max_handshake_headers: 64,
            write_buffer_size: 64 << 10,
            max_write_buffer_size: 4 << 20,
            max_queued_pongs: 16,
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
            idle_timeout: None,
            keepalive_interval: None,
            deflate: None,
        }
    }
}
