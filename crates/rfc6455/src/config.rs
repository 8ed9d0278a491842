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
/// Build one from the default with a setter per field (each takes and
/// returns the `Config`); the fields stay readable. The struct is
/// `#[non_exhaustive]`, so a limit added later is not a breaking change.
///
/// ```
/// use rfc6455::{deflate::DeflateConfig, Config};
/// use std::time::Duration;
///
/// let config = Config::default()
///     .max_message_size(1 << 20)
///     .idle_timeout(Duration::from_secs(60))
///     .keepalive_interval(Duration::from_secs(20))
///     .deflate(DeflateConfig::default());
/// assert_eq!(config.max_message_size, 1 << 20);
/// assert_eq!(config.idle_timeout, Some(Duration::from_secs(60)));
/// assert!(config.deflate.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Largest payload of a single frame, in bytes. A bigger frame fails the
    /// connection with 1009 (RFC 6455 §7.4.1). Default: 16 MiB.
    pub max_frame_size: usize,
    /// Largest reassembled message, in bytes. A bigger message fails the
    /// connection with 1009 as soon as its size is known. Default: 64 MiB.
    pub max_message_size: usize,
    /// Largest message handed out as it arrives
    /// ([`Connection::next_streamed_event`](crate::Connection::next_streamed_event)),
    /// in bytes (decompressed, under permessage-deflate). A bigger one
    /// fails the connection with 1009 as soon as its size is known (from a
    /// frame header, or while inflating). A streamed message is never
    /// buffered whole, so neither `max_message_size` nor `max_frame_size`
    /// bounds it: this limit does, for the application's sake (a file
    /// written to disk, a count of bytes processed). `usize::MAX` for
    /// none. Default: 1 GiB.
    pub max_streamed_message_size: usize,
    /// Largest payload of a frame this end sends: a bigger message (its
    /// compressed payload, under permessage-deflate) goes out in
    /// fragments of at most this size (RFC 6455 §5.4), for a peer with a
    /// small frame limit or to let control frames through sooner. `None`
    /// (the default): every message, and every
    /// [`send_fragment`](crate::Connection::send_fragment), is one frame.
    pub max_outgoing_frame_size: Option<usize>,
    /// Largest handshake (request or response head), in bytes. A server
    /// answers a bigger request with 431. Default: 16 KiB.
    pub max_handshake_size: usize,
    /// Most header fields in a handshake. A server answers more with 431.
    /// Default: 64.
    pub max_handshake_headers: usize,
    /// Most bytes of a refusal's body a client keeps (a server's non-101
    /// answer, [`ErrorResponse`](crate::handshake::ErrorResponse)); the
    /// rest is not read. Reading it is also bounded by
    /// `handshake_timeout`. Default: 64 KiB.
    pub max_error_body: usize,
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
    /// for a server to close TCP after it (tokio layer). Our own Close must
    /// be written within it too: a peer that stops reading cannot stall the
    /// closing handshake past it. Default: 5 s.
    pub close_timeout: Duration,
    /// Ends the connection ([`Error::Timeout`](crate::Error::Timeout) with
    /// [`TimeoutKind::Write`](crate::TimeoutKind::Write)) when output waits
    /// to be written and the transport has made no progress with it for
    /// this long (tokio layer), so a peer that stops reading cannot hold a
    /// connection, and its buffers, forever.
    ///
    /// Progress is the transport accepting at least one byte of a write,
    /// or completing a flush. Bytes count, not messages: a peer that reads
    /// slowly but steadily is never cut off, however big the message. The
    /// clock starts at the first write after the last progress that cannot
    /// proceed (the transport returns `Pending`); the connection ends when
    /// a write, tried again once the clock has run out, still cannot. A
    /// task waiting on such a write sleeps until the transport or the
    /// timer wakes it. Whatever writes counts: `send`, `feed` past
    /// `write_buffer_size`, `flush` and `close` of the `Sink` (or the
    /// writing half), `WebSocket::close`, and polling the `Stream` (or the
    /// reading half), which writes pending output (Pongs, fed messages)
    /// out before it reads.
    ///
    /// The connection is then over: nothing more is written (no Close
    /// frame, which could not be written anyway, RFC 6455 §7.1.7), the
    /// `Stream` yields the error once and ends, and the `Sink` returns it
    /// from every call. Drop the `WebSocket` to release the transport.
    ///
    /// Default: 30 s: long enough for a slow link or a peer busy for a
    /// few seconds, which still takes some bytes, short enough that a
    /// server full of peers that never read frees their slots and up to
    /// `max_write_buffer_size` each within half a minute.
    pub write_timeout: Duration,
    /// Closes the connection (1001, and [`Error::Timeout`](crate::Error::Timeout)
    /// with [`TimeoutKind::Idle`](crate::TimeoutKind::Idle)) when nothing arrives from the peer for this long while the
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
            max_streamed_message_size: 1 << 30,
            max_outgoing_frame_size: None,
            max_handshake_size: 16 << 10,
            max_handshake_headers: 64,
            max_error_body: 64 << 10,
            write_buffer_size: 64 << 10,
            max_write_buffer_size: 4 << 20,
            max_queued_pongs: 16,
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(30),
            idle_timeout: None,
            keepalive_interval: None,
            deflate: None,
        }
    }
}

/// Writes a builder-style setter per field: `fn field(self, value) -> Self`.
macro_rules! setters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty; )*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $field(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        }
    )*};
}

/// Setters for the `Option` fields, taking `T` or `Option<T>`.
macro_rules! option_setters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty; )*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $field(mut self, $field: impl Into<Option<$ty>>) -> Self {
            self.$field = $field.into();
            self
        }
    )*};
}

impl Config {
    setters! {
        /// Sets [`max_frame_size`](Config#structfield.max_frame_size).
        max_frame_size: usize;
        /// Sets [`max_message_size`](Config#structfield.max_message_size).
        max_message_size: usize;
        /// Sets [`max_streamed_message_size`](Config#structfield.max_streamed_message_size).
        max_streamed_message_size: usize;
        /// Sets [`max_handshake_size`](Config#structfield.max_handshake_size).
        max_handshake_size: usize;
        /// Sets [`max_handshake_headers`](Config#structfield.max_handshake_headers).
        max_handshake_headers: usize;
        /// Sets [`max_error_body`](Config#structfield.max_error_body).
        max_error_body: usize;
        /// Sets [`write_buffer_size`](Config#structfield.write_buffer_size).
        write_buffer_size: usize;
        /// Sets [`max_write_buffer_size`](Config#structfield.max_write_buffer_size).
        max_write_buffer_size: usize;
        /// Sets [`max_queued_pongs`](Config#structfield.max_queued_pongs).
        max_queued_pongs: usize;
        /// Sets [`handshake_timeout`](Config#structfield.handshake_timeout).
        handshake_timeout: Duration;
        /// Sets [`close_timeout`](Config#structfield.close_timeout).
        close_timeout: Duration;
        /// Sets [`write_timeout`](Config#structfield.write_timeout).
        write_timeout: Duration;
    }
    option_setters! {
        /// Sets [`idle_timeout`](Config#structfield.idle_timeout): a
        /// `Duration`, or `None` for none.
        idle_timeout: Duration;
        /// Sets [`keepalive_interval`](Config#structfield.keepalive_interval):
        /// a `Duration`, or `None` for none.
        keepalive_interval: Duration;
        /// Sets [`max_outgoing_frame_size`](Config#structfield.max_outgoing_frame_size):
        /// a size, or `None` for none.
        max_outgoing_frame_size: usize;
        /// Sets [`deflate`](Config#structfield.deflate): a
        /// [`DeflateConfig`] turns permessage-deflate on, `None` off.
        deflate: DeflateConfig;
    }
}

impl DeflateConfig {
    setters! {
        /// Sets [`level`](DeflateConfig#structfield.level) (0 to 9).
        level: u32;
        /// Sets [`threshold`](DeflateConfig#structfield.threshold).
        threshold: usize;
        /// Sets [`server_no_context_takeover`](DeflateConfig#structfield.server_no_context_takeover).
        server_no_context_takeover: bool;
        /// Sets [`client_no_context_takeover`](DeflateConfig#structfield.client_no_context_takeover).
        client_no_context_takeover: bool;
        /// Sets [`server_max_window_bits`](DeflateConfig#structfield.server_max_window_bits) (8 to 15).
        server_max_window_bits: u8;
        /// Sets [`client_max_window_bits`](DeflateConfig#structfield.client_max_window_bits) (8 to 15).
        client_max_window_bits: u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_set_their_field_alone() {
        let config = Config::default()
            .max_frame_size(1)
            .max_message_size(2)
            .max_streamed_message_size(14)
            .max_outgoing_frame_size(15)
            .max_handshake_size(3)
            .max_handshake_headers(4)
            .max_error_body(13)
            .write_buffer_size(5)
            .max_write_buffer_size(6)
            .max_queued_pongs(7)
            .handshake_timeout(Duration::from_secs(8))
            .close_timeout(Duration::from_secs(9))
            .write_timeout(Duration::from_secs(12))
            .idle_timeout(Duration::from_secs(10))
            .keepalive_interval(Some(Duration::from_secs(11)))
            .deflate(DeflateConfig::default().level(1).threshold(2));
        let literal = Config {
            max_frame_size: 1,
            max_message_size: 2,
            max_streamed_message_size: 14,
            max_outgoing_frame_size: Some(15),
            max_handshake_size: 3,
            max_handshake_headers: 4,
            max_error_body: 13,
            write_buffer_size: 5,
            max_write_buffer_size: 6,
            max_queued_pongs: 7,
            handshake_timeout: Duration::from_secs(8),
            close_timeout: Duration::from_secs(9),
            write_timeout: Duration::from_secs(12),
            idle_timeout: Some(Duration::from_secs(10)),
            keepalive_interval: Some(Duration::from_secs(11)),
            deflate: Some(DeflateConfig {
                level: 1,
                threshold: 2,
                ..DeflateConfig::default()
            }),
        };
        assert_eq!(config, literal);
        assert_eq!(config.clone().deflate(None).deflate, None);
        assert_eq!(config.idle_timeout(None).idle_timeout, None);
        let deflate = DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(9)
            .client_max_window_bits(10);
        assert_eq!(
            deflate,
            DeflateConfig {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: 9,
                client_max_window_bits: 10,
                ..DeflateConfig::default()
            }
        );
    }
}
