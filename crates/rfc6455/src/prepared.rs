//! [`PreparedMessage`]: a data message framed once and written to many
//! connections (a broadcast), without framing, compressing or copying its
//! payload again for each.
//!
//! Owns the frames of one message as a server sends them (RFC 6455 §5.2,
//! unmasked: §5.1): the plain frame, built when the message is prepared,
//! and its compressed frames (RFC 7692 §6.1), built the first time a
//! connection needs each and kept for the next ones. It does not own the
//! choice of which frame a connection gets, nor the writing: that is
//! [`Connection::send_prepared`](crate::Connection::send_prepared)'s, which
//! knows the connection's role, its negotiated parameters and its state.

use crate::deflate::Deflater;
use crate::frame::{FrameHeader, OpCode};
use crate::message::Utf8Bytes;
use crate::output::ZERO_COPY_MIN;
use bytes::Bytes;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// RSV1: "per-message compressed" under permessage-deflate (RFC 7692 §6).
const RSV1: u8 = 0b100;

/// The longest frame header: 2 bytes, 8 of extended length, no mask
/// (RFC 6455 §5.2; a prepared frame is a server's, never masked).
const MAX_HEADER: usize = 10;

/// Frames with payloads from this size up to [`ZERO_COPY_MIN`] are also
/// kept whole (header and payload in one allocation) and queued as that
/// shared piece rather than copied into each connection's output: a
/// broadcast's copy would go to 10,000 buffers that are cold in the
/// cache, where the shared frame stays hot. Under it the copy is a few
/// cache lines, cheaper than queuing a piece (fastwebsockets switches to
/// `writev` at the same size).
const SHARED_FRAME_MIN: usize = 1 << 10;

/// A Text or Binary message framed once, to be sent on many connections
/// (a broadcast) with [`Connection::send_prepared`](crate::Connection::send_prepared)
/// or [`WebSocket::send_prepared`](crate::WebSocket::send_prepared).
///
/// On a server connection the frame is built once for all: its header
/// is copied (at most 10 bytes), its payload is shared. A payload of
/// 16 KiB or more is queued as the same [`Bytes`] on every connection (no
/// copy, as [`Connection::send`](crate::Connection::send) does for big
/// messages); one of 1 KiB to 16 KiB is framed whole once, and that one
/// piece is queued on every connection (no copy either: copies into
/// thousands of output buffers miss the cache, the shared frame does
/// not); a smaller one is copied into each connection's coalesced output,
/// which costs less than one more piece to write.
///
/// With permessage-deflate, a server connection that agreed on
/// `server_no_context_takeover` (RFC 7692 §7.1.1.1) compresses every
/// message from an empty window, so every such connection with the same
/// window bits (§7.1.2.1) and compression level turns this message into
/// the same bytes: it is compressed once, by the first of them, and the
/// others share the result. A connection that takes its context over
/// (its compressor remembers the messages before) compresses the message
/// itself, as `send` would; so does one whose threshold leaves the message
/// uncompressed (it gets the plain frame).
///
/// A client connection masks every frame with a fresh key (RFC 6455
/// §5.3), so it cannot share one: a prepared message sent on a client
/// connection is framed (and compressed) for that connection alone, as
/// `send` would, which is correct and no cheaper.
///
/// Cloning is cheap (a reference count): hand clones to the tasks that
/// write to each connection.
///
/// ```
/// use rfc6455::{Config, Connection, Message, PreparedMessage, Role};
///
/// let news = PreparedMessage::text("the news");
/// let mut servers: Vec<Connection> = (0..3)
///     .map(|_| Connection::new(Role::Server, Config::default()))
///     .collect();
/// for server in &mut servers {
///     server.send_prepared(&news)?;
/// }
/// // Each queued the same bytes `send` would have.
/// let mut reference = Connection::new(Role::Server, Config::default());
/// reference.send(Message::text("the news"))?;
/// assert!(servers.iter().all(|s| s.pending_output() == reference.pending_output()));
/// # Ok::<(), rfc6455::Error>(())
/// ```
#[derive(Clone)]
pub struct PreparedMessage {
    inner: Arc<Inner>,
}

struct Inner {
    opcode: OpCode,
    /// The message as given; the plain frame's payload.
    payload: Bytes,
    /// The plain frame.
    plain: Frame,
    /// The compressed frames made so far, one per compressor setting
    /// (window bits, level): at most a few in practice, 80 at most.
    compressed: Mutex<Vec<Compressed>>,
}

/// One compressor setting's frame; `frame` is `None` when that setting
/// cannot compress (an 8-bit window), and the plain frame is sent.
struct Compressed {
    key: (u8, u32),
    frame: Option<Frame>,
}

/// An encoded frame header, unmasked.
#[derive(Clone, Copy)]
pub(crate) struct Header {
    bytes: [u8; MAX_HEADER],
    len: u8,
}

impl Header {
    fn new(opcode: OpCode, rsv: u8, payload_len: usize) -> Self {
        let mut header = FrameHeader::new(true, opcode, None, payload_len as u64);
        header.rsv = rsv;
        let mut encoded = Vec::with_capacity(MAX_HEADER);
        header.encode(&mut encoded);
        let mut bytes = [0; MAX_HEADER];
        bytes[..encoded.len()].copy_from_slice(&encoded);
        Header {
            bytes,
            len: encoded.len() as u8,
        }
    }

    /// The header as it goes on the wire.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// A whole frame as a server sends it: its header and its payload, and
/// for a payload of [`SHARED_FRAME_MIN`] to [`ZERO_COPY_MIN`] bytes, the
/// two in one piece.
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) header: Header,
    pub(crate) payload: Bytes,
    /// Header then payload, contiguous, to be queued as it is.
    pub(crate) whole: Option<Bytes>,
}

impl Frame {
    fn new(opcode: OpCode, rsv: u8, payload: Bytes) -> Self {
        let header = Header::new(opcode, rsv, payload.len());
        let whole = (SHARED_FRAME_MIN..ZERO_COPY_MIN)
            .contains(&payload.len())
            .then(|| {
                let mut whole = Vec::with_capacity(header.as_slice().len() + payload.len());
                whole.extend_from_slice(header.as_slice());
                whole.extend_from_slice(&payload);
                Bytes::from(whole)
            });
        Frame {
            header,
            payload,
            whole,
        }
    }
}

impl PreparedMessage {
    /// A Text message (opcode 0x1), framed once.
    ///
    /// ```
    /// let hello = rfc6455::PreparedMessage::text(String::from("hello"));
    /// assert!(hello.is_text());
    /// assert_eq!(hello.payload().as_ref(), b"hello");
    /// ```
    #[must_use]
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::new(OpCode::Text, text.into().into_bytes())
    }

    /// A Binary message (opcode 0x2), framed once. The payload is not
    /// copied.
    ///
    /// ```
    /// let data = bytes::Bytes::from(vec![0u8; 1 << 20]);
    /// let blob = rfc6455::PreparedMessage::binary(data.clone());
    /// assert!(!blob.is_text());
    /// assert_eq!(blob.payload().as_ptr(), data.as_ptr()); // shared, not copied
    /// ```
    #[must_use]
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::new(OpCode::Binary, data.into())
    }

    fn new(opcode: OpCode, payload: Bytes) -> Self {
        PreparedMessage {
            inner: Arc::new(Inner {
                opcode,
                plain: Frame::new(opcode, 0, payload.clone()),
                payload,
                compressed: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Whether this is a Text message (else Binary).
    ///
    /// ```
    /// assert!(rfc6455::PreparedMessage::text("hi").is_text());
    /// ```
    #[must_use]
    pub fn is_text(&self) -> bool {
        self.inner.opcode == OpCode::Text
    }

    /// The message's payload, uncompressed.
    ///
    /// ```
    /// let m = rfc6455::PreparedMessage::binary(vec![1, 2, 3]);
    /// assert_eq!(m.payload().len(), 3);
    /// ```
    #[must_use]
    pub fn payload(&self) -> &Bytes {
        &self.inner.payload
    }

    pub(crate) fn opcode(&self) -> OpCode {
        self.inner.opcode
    }

    /// The frame uncompressed.
    pub(crate) fn plain(&self) -> Frame {
        self.inner.plain.clone()
    }

    /// The frame compressed with a fresh window of `window_bits` at
    /// `level` (what every compressor that resets its context after each
    /// message produces), made on the first call for this setting; the
    /// plain frame where that setting cannot compress.
    pub(crate) fn compressed(&self, (window_bits, level): (u8, u32)) -> Frame {
        let key = (window_bits, level);
        let mut made = self
            .inner
            .compressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let frame = match made.iter().find(|c| c.key == key) {
            Some(compressed) => compressed.frame.clone(),
            None => {
                let mut deflater = Deflater::new(window_bits, true, level);
                let mut out = Vec::new();
                let frame = deflater
                    .compress(&self.inner.payload, &mut out)
                    .then(|| Frame::new(self.inner.opcode, RSV1, Bytes::from(out)));
                made.push(Compressed {
                    key,
                    frame: frame.clone(),
                });
                frame
            }
        };
        drop(made);
        frame.unwrap_or_else(|| self.plain())
    }
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("opcode", &self.inner.opcode)
            .field("len", &self.inner.payload.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::{DeflateConfig, DeflateParams};
    use crate::{Config, Connection, Error, Message, Role};

    /// The payload-length classes of RFC 6455 §5.2: 7-bit, 16-bit and
    /// 64-bit lengths, at their edges, and one past the zero-copy size.
    const LENGTHS: [usize; 6] = [0, 125, 126, 65535, 65536, 70_000];

    /// Bytes that do not compress (a fixed LCG: the same every run), or
    /// that compress well.
    fn payload(len: usize, compressible: bool) -> Vec<u8> {
        let mut x = 0x2545_f491_u32;
        (0..len)
            .map(|i| {
                if compressible {
                    b"abcabcabd"[i % 9]
                } else {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    b' ' + (x >> 25) as u8 % 95 // printable ASCII: valid UTF-8
                }
            })
            .collect()
    }

    fn wire(conn: &Connection) -> Vec<u8> {
        conn.pending_output_chunks().flatten().copied().collect()
    }

    fn deflate_config() -> Config {
        // Threshold 0: every message, even empty, compressed.
        Config::default().deflate(DeflateConfig::default().threshold(0))
    }

    fn no_takeover(bits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: true,
            server_max_window_bits: bits,
            ..DeflateParams::default()
        }
    }

    fn message(text: bool, data: &[u8]) -> (Message, PreparedMessage) {
        if text {
            let s = String::from_utf8(data.to_vec()).unwrap();
            (Message::text(s.clone()), PreparedMessage::text(s))
        } else {
            (
                Message::binary(data.to_vec()),
                PreparedMessage::binary(data.to_vec()),
            )
        }
    }

    /// Sends `messages` with `send` on one connection and with
    /// `send_prepared` on a twin, and checks that they queue the same
    /// bytes, message after message.
    fn assert_same_as_send(make: impl Fn() -> Connection, messages: &[(Message, PreparedMessage)]) {
        let (mut sent, mut prepared) = (make(), make());
        for (i, (m, p)) in messages.iter().enumerate() {
            sent.send(m.clone()).unwrap();
            prepared.send_prepared(p).unwrap();
            assert_eq!(wire(&prepared), wire(&sent), "message {i}: {p:?}");
            let n = sent.pending_output_len();
            sent.advance_output(n);
            prepared.advance_output(n);
        }
    }

    #[test]
    fn plain_frames_equal_what_send_queues_for_every_length_class() {
        for len in LENGTHS {
            for text in [true, false] {
                let messages = [message(text, &payload(len, false))];
                assert_same_as_send(
                    || Connection::new(Role::Server, Config::default()),
                    &messages,
                );
            }
        }
    }

    #[test]
    fn compressed_frames_equal_what_send_queues_for_every_length_class() {
        for len in LENGTHS {
            for compressible in [true, false] {
                for text in [true, false] {
                    // Twice: the second must not depend on the first (no
                    // context takeover), nor on another message between.
                    let m = message(text, &payload(len, compressible));
                    let other = message(true, b"something else entirely");
                    let messages = [m.clone(), other, m];
                    for bits in [9, 15] {
                        let make = || {
                            Connection::with_deflate(
                                Role::Server,
                                deflate_config(),
                                Some(no_takeover(bits)),
                            )
                        };
                        assert_same_as_send(make, &messages);
                    }
                }
            }
        }
    }

    #[test]
    fn one_compression_is_shared_by_connections_with_the_same_parameters() {
        let prepared = PreparedMessage::binary(payload(100_000, false));
        let make =
            || Connection::with_deflate(Role::Server, deflate_config(), Some(no_takeover(15)));
        let (mut a, mut b) = (make(), make());
        a.send_prepared(&prepared).unwrap();
        b.send_prepared(&prepared).unwrap();
        // The compressed payload (over 16 KiB: it does not compress) is
        // one allocation, queued on both.
        let big = |c: &Connection| {
            c.pending_output_chunks()
                .map(|p| p.as_ptr())
                .nth(1)
                .unwrap()
        };
        assert_eq!(big(&a), big(&b));
        assert_eq!(prepared.inner.compressed.lock().unwrap().len(), 1);
        // Another window: its own compression, for its own group.
        let mut c = Connection::with_deflate(Role::Server, deflate_config(), Some(no_takeover(10)));
        c.send_prepared(&prepared).unwrap();
        assert_eq!(prepared.inner.compressed.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_big_plain_payload_is_queued_without_a_copy() {
        let data = Bytes::from(payload(65536, false));
        let prepared = PreparedMessage::binary(data.clone());
        let mut servers: Vec<_> = (0..3)
            .map(|_| Connection::new(Role::Server, Config::default()))
            .collect();
        for server in &mut servers {
            server.send_prepared(&prepared).unwrap();
            let pieces: Vec<&[u8]> = server.pending_output_chunks().collect();
            assert_eq!(pieces.len(), 2, "the header, then the payload");
            assert_eq!(pieces[1].as_ptr(), data.as_ptr());
        }
    }

    #[test]
    fn a_mid_sized_frame_is_queued_whole_and_shared() {
        // 1 KiB to 16 KiB: header and payload in one piece, the same on
        // every connection; under 1 KiB, copied.
        for (len, shared) in [(1023, false), (1024, true), (4096, true), (16383, true)] {
            let prepared = PreparedMessage::text(String::from_utf8(payload(len, false)).unwrap());
            let mut servers: Vec<_> = (0..2)
                .map(|_| Connection::new(Role::Server, Config::default()))
                .collect();
            for server in &mut servers {
                server.send(Message::text("before")).unwrap();
                server.send_prepared(&prepared).unwrap();
                server.send(Message::text("after")).unwrap();
            }
            let pieces = |c: &Connection| {
                c.pending_output_chunks()
                    .map(<[u8]>::as_ptr)
                    .collect::<Vec<_>>()
            };
            let (a, b) = (pieces(&servers[0]), pieces(&servers[1]));
            if shared {
                assert_eq!((a.len(), b.len()), (3, 3), "len {len}");
                assert_eq!(a[1], b[1], "len {len}: one frame for both");
            } else {
                assert_eq!(a.len(), 1, "len {len}: all in the coalesced buffer");
            }
            let mut reference = Connection::new(Role::Server, Config::default());
            reference.send(Message::text("before")).unwrap();
            reference
                .send(Message::Text(
                    String::from_utf8(payload(len, false)).unwrap().into(),
                ))
                .unwrap();
            reference.send(Message::text("after")).unwrap();
            assert_eq!(wire(&servers[0]), wire(&reference), "len {len}");
        }
    }

    #[test]
    fn a_context_takeover_connection_compresses_the_message_itself() {
        // The server's compressor remembers the messages before (RFC 7692
        // §7.1.1): the second copy of a message costs a back-reference.
        let text = "a message that repeats itself ".repeat(10);
        let prepared = PreparedMessage::text(text.clone());
        let config = deflate_config();
        let make =
            |role| Connection::with_deflate(role, config.clone(), Some(DeflateParams::default()));
        let (mut server, mut client) = (make(Role::Server), make(Role::Client));
        let mut sizes = Vec::new();
        for _ in 0..3 {
            server.send_prepared(&prepared).unwrap();
            sizes.push(server.pending_output_len());
            client.receive(server.pending_output());
            server.advance_output(server.pending_output_len());
            assert_eq!(
                client.next_event().unwrap(),
                Some(Message::text(text.clone()))
            );
        }
        assert!(sizes[1] < sizes[0], "the context was taken over: {sizes:?}");
        assert!(
            prepared.inner.compressed.lock().unwrap().is_empty(),
            "nothing shared"
        );
        // And byte for byte what `send` makes, message after message.
        let messages = vec![message(true, text.as_bytes()); 3];
        assert_same_as_send(|| make(Role::Server), &messages);
    }

    #[test]
    fn mixed_with_send_on_a_takeover_connection_it_is_what_send_makes() {
        // The connection's own compressor carries its context from `send`
        // to `send_prepared` and back (RFC 7692 §7.1.1).
        let config = deflate_config();
        let make = || {
            Connection::with_deflate(Role::Server, config.clone(), Some(DeflateParams::default()))
        };
        let texts: Vec<String> = (0..4).map(|i| format!("update {i} ").repeat(20)).collect();
        let (mut mixed, mut sent) = (make(), make());
        for (i, text) in texts.iter().enumerate() {
            if i % 2 == 0 {
                mixed.send(Message::text(text.clone())).unwrap();
            } else {
                mixed
                    .send_prepared(&PreparedMessage::text(text.clone()))
                    .unwrap();
            }
            sent.send(Message::text(text.clone())).unwrap();
        }
        assert_eq!(wire(&mixed), wire(&sent));
    }

    #[test]
    fn a_fragmented_message_being_received_is_not_disturbed() {
        // Reassembly (§5.4) is the receiving side's state: a prepared
        // message sent between two fragments of the peer's message goes
        // out whole, and the peer's message still completes.
        let mut server = Connection::new(Role::Server, Config::default());
        let frame = |fin: bool, opcode: OpCode, payload: &[u8]| {
            // A zero masking key: the payload as it is.
            let mut out = Vec::new();
            FrameHeader::new(fin, opcode, Some([0; 4]), payload.len() as u64).encode(&mut out);
            out.extend_from_slice(payload);
            out
        };
        server.receive(&frame(false, OpCode::Text, b"hel"));
        assert_eq!(server.next_event().unwrap(), None);
        server
            .send_prepared(&PreparedMessage::text("news"))
            .unwrap();
        assert_eq!(wire(&server), b"\x81\x04news");
        server.receive(&frame(true, OpCode::Continuation, b"lo"));
        assert_eq!(server.next_event().unwrap(), Some(Message::text("hello")));
    }

    #[test]
    fn a_client_connection_masks_its_own_frame() {
        for deflate in [None, Some(DeflateParams::default()), Some(no_takeover(15))] {
            let config = deflate_config();
            let mut client = Connection::with_deflate(Role::Client, config.clone(), deflate);
            let mut server = Connection::with_deflate(Role::Server, config, deflate);
            let prepared = PreparedMessage::binary(payload(70_000, true));
            client.send_prepared(&prepared).unwrap();
            let wire = wire(&client);
            assert_eq!(wire[1] & 0x80, 0x80, "§5.3: the MASK bit is set");
            server.receive(&wire);
            assert_eq!(
                server.next_event().unwrap(),
                Some(Message::Binary(prepared.payload().clone()))
            );
            assert!(prepared.inner.compressed.lock().unwrap().is_empty());
        }
    }

    #[test]
    fn under_the_threshold_the_plain_frame_is_sent() {
        let config = Config::default().deflate(DeflateConfig::default().threshold(100));
        let make = || Connection::with_deflate(Role::Server, config.clone(), Some(no_takeover(15)));
        let messages = [
            message(true, &payload(99, true)),
            message(true, &payload(100, true)),
        ];
        assert_same_as_send(make, &messages);
        let mut server = make();
        server.send_prepared(&messages[0].1).unwrap();
        assert_eq!(wire(&server)[0], 0x81, "FIN, no RSV1, Text");
    }

    #[test]
    fn an_eight_bit_window_sends_it_uncompressed() {
        // zlib cannot keep to a 256-byte window (see `Deflater::can_compress`).
        let make =
            || Connection::with_deflate(Role::Server, deflate_config(), Some(no_takeover(8)));
        assert_same_as_send(make, &[message(false, &payload(300, true))]);
    }

    #[test]
    fn over_the_outgoing_frame_size_it_is_fragmented_like_send() {
        for len in [999, 1000, 1001, 70_000] {
            for compressible in [true, false] {
                let messages = [message(false, &payload(len, compressible))];
                assert_same_as_send(
                    || {
                        Connection::new(
                            Role::Server,
                            Config::default().max_outgoing_frame_size(1000),
                        )
                    },
                    &messages,
                );
                assert_same_as_send(
                    || {
                        let config = deflate_config().max_outgoing_frame_size(1000);
                        Connection::with_deflate(Role::Server, config, Some(no_takeover(15)))
                    },
                    &messages,
                );
            }
        }
    }

    #[test]
    fn while_a_message_is_sent_in_fragments_it_waits() {
        let mut server = Connection::new(Role::Server, Config::default());
        server.begin_message(crate::MessageKind::Text).unwrap();
        server.send_fragment(b"half", false).unwrap();
        let before = wire(&server);
        let error = server
            .send_prepared(&PreparedMessage::text("inside"))
            .unwrap_err();
        assert!(matches!(error, Error::MessageStreaming), "{error:?}");
        assert_eq!(wire(&server), before, "nothing queued");
        server.send_fragment(b" done", true).unwrap();
        server
            .send_prepared(&PreparedMessage::text("after"))
            .unwrap();
    }

    #[test]
    fn after_a_close_it_is_refused() {
        let mut server = Connection::new(Role::Server, Config::default());
        server.close(None).unwrap();
        let error = server
            .send_prepared(&PreparedMessage::text("late"))
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionClosed), "{error:?}");
    }

    #[test]
    fn a_full_output_refuses_it_like_send() {
        let config = Config::default().max_write_buffer_size(1000);
        let mut server = Connection::new(Role::Server, config);
        let big = PreparedMessage::binary(vec![0u8; 1000]);
        server.send_prepared(&big).unwrap(); // under the limit when queued
        let error = server.send_prepared(&big).unwrap_err();
        assert!(
            matches!(
                error,
                Error::WriteBufferFull {
                    len: 1004,
                    max_len: 1000
                }
            ),
            "{error:?}"
        );
        assert_eq!(server.buffered_amount(), 1004);
        // A Close still goes out (§7.1.2), and nothing after it.
        server.close(None).unwrap();
        server.advance_output(server.buffered_amount());
        assert!(matches!(
            server.send_prepared(&big),
            Err(Error::ConnectionClosed)
        ));
    }

    #[test]
    fn prepared_and_plain_messages_interleave_in_order() {
        let mut server = Connection::new(Role::Server, Config::default());
        let mut client = Connection::new(Role::Client, Config::default());
        let big = PreparedMessage::binary(payload(20_000, false));
        server.send(Message::text("one")).unwrap();
        server.send_prepared(&big).unwrap();
        server
            .send(Message::Ping(Bytes::from_static(b"p")))
            .unwrap();
        server
            .send_prepared(&PreparedMessage::text("four"))
            .unwrap();
        client.receive(&wire(&server));
        let mut got = Vec::new();
        while let Some(m) = client.next_event().unwrap() {
            got.push(m);
        }
        assert_eq!(
            got,
            vec![
                Message::text("one"),
                Message::Binary(big.payload().clone()),
                Message::Ping(Bytes::from_static(b"p")),
                Message::text("four"),
            ]
        );
    }
}
