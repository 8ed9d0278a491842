//! Streaming send: one message written in fragments as its data comes
//! ([`Connection::begin_message`], [`Connection::send_fragment`]), and
//! the fragmenting of big messages (`Config::max_outgoing_frame_size`).
//!
//! Owns the state of the message being sent and the cutting of payloads
//! into frames (RFC 6455 §5.4: the first frame carries the opcode, the
//! rest are continuations, the last has FIN). Under permessage-deflate the
//! message is compressed as one DEFLATE stream across its fragments, RSV1
//! on the first frame only (RFC 7692 §6.1). Control frames (automatic
//! Pongs, `send` of a Ping or Pong, a Close) may go out between fragments
//! (§5.5); masking and the output queue stay the [`Connection`]'s.

use super::{Connection, MessageKind, RSV1};
use crate::error::Error;
use crate::frame::OpCode;

/// The message being sent in fragments. Three bytes: it lives beside the
/// connection's flags.
#[derive(Debug, Clone, Copy)]
pub(super) struct OutMessage {
    opcode: OpCode,
    /// Compressed (RFC 7692): RSV1 on the first frame.
    compressed: bool,
    /// Its first frame is written: the next ones are continuations.
    started: bool,
}

impl Connection {
    /// Begins a message of `kind` to be sent in fragments with
    /// [`send_fragment`](Self::send_fragment), as its data comes (a file,
    /// a stream), without holding all of it. Under permessage-deflate it
    /// is compressed as one stream across its fragments.
    ///
    /// Until its last fragment, `send` refuses Text and Binary messages
    /// ([`Error::MessageStreaming`]); Pings, Pongs (also the automatic
    /// ones) and a Close may go out between fragments (RFC 6455 §5.5). A
    /// Close ends the connection's sending with the message unfinished.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Message, MessageKind, Role};
    ///
    /// let mut client = Connection::new(Role::Client, Config::default());
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// client.begin_message(MessageKind::Text)?;
    /// client.send_fragment(b"hello ", false)?;
    /// client.send(Message::Ping("between".into()))?;
    /// client.send_fragment(b"world", true)?;
    ///
    /// server.receive(client.pending_output());
    /// assert_eq!(server.next_event()?, Some(Message::Ping("between".into())));
    /// assert_eq!(server.next_event()?, Some(Message::text("hello world")));
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn begin_message(&mut self, kind: MessageKind) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        if self.out_message.is_some() {
            return Err(Error::MessageStreaming);
        }
        let compressed = self
            .deflate
            .as_ref()
            .is_some_and(|d| d.deflater.can_compress());
        self.out_message = Some(OutMessage {
            opcode: match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            },
            compressed,
            started: false,
        });
        Ok(())
    }

    /// Queues the next fragment of the message
    /// [`begin_message`](Self::begin_message) began; `last` ends it (an
    /// empty last fragment is fine). Each call is one frame (or several,
    /// of at most `Config::max_outgoing_frame_size`); compressed, each
    /// ends with a sync flush, so the peer can inflate everything sent so
    /// far.
    ///
    /// The data of a Text message must be UTF-8 as a whole; fragments
    /// may split a character (the peer validates their concatenation).
    ///
    /// Fails, changing nothing, with [`Error::NoMessageBegun`] when no
    /// message was begun, [`Error::ConnectionClosed`] once a Close was
    /// sent, and [`Error::WriteBufferFull`] while
    /// [`is_output_full`](Self::is_output_full) (write the output first).
    ///
    /// ```
    /// use rfc6455::deflate::{DeflateConfig, DeflateParams};
    /// use rfc6455::{Config, Connection, Message, MessageKind, Role};
    ///
    /// let config = Config::default().deflate(DeflateConfig::default());
    /// let params = Some(DeflateParams::default());
    /// let mut client = Connection::with_deflate(Role::Client, config.clone(), params);
    /// let mut server = Connection::with_deflate(Role::Server, config, params);
    /// client.begin_message(MessageKind::Binary)?;
    /// for _ in 0..100 {
    ///     client.send_fragment(&[42; 1000], false)?;
    /// }
    /// client.send_fragment(&[], true)?;
    /// assert!(client.pending_output().len() < 100 * 1000 / 10); // compressed
    /// server.receive(client.pending_output());
    /// assert_eq!(server.next_event()?, Some(Message::binary(vec![42; 100 * 1000])));
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        let Some(mut message) = self.out_message else {
            return Err(Error::NoMessageBegun);
        };
        self.check_output_room()?;
        let opcode = if message.started {
            OpCode::Continuation
        } else {
            message.opcode
        };
        match self.deflate.as_deref_mut() {
            Some(deflate) if message.compressed => {
                let mut compressed = std::mem::take(&mut deflate.scratch);
                compressed.clear();
                if !deflate.deflater.compress_part(data, &mut compressed, last) {
                    // Only a misuse of zlib gets here: the stream, and
                    // so the message, cannot go on.
                    deflate.scratch = compressed;
                    return Err(Error::Io(std::io::Error::other(
                        "compressing a fragment failed",
                    )));
                }
                let rsv = if message.started { 0 } else { RSV1 };
                self.write_frames(opcode, rsv, &compressed, last);
                if let Some(deflate) = self.deflate.as_deref_mut() {
                    deflate.scratch = compressed;
                }
            }
            _ => self.write_frames(opcode, 0, data, last),
        }
        message.started = true;
        self.out_message = (!last).then_some(message);
        Ok(())
    }

    /// Whether a message begun with [`begin_message`](Self::begin_message)
    /// has not had its last fragment yet.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, MessageKind, Role};
    /// let mut conn = Connection::new(Role::Server, Config::default());
    /// conn.begin_message(MessageKind::Binary)?;
    /// assert!(conn.is_sending_message());
    /// conn.send_fragment(b"all of it", true)?;
    /// assert!(!conn.is_sending_message());
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    #[must_use]
    pub fn is_sending_message(&self) -> bool {
        self.out_message.is_some()
    }

    /// `Config::max_outgoing_frame_size`, at least 1.
    pub(super) fn max_outgoing_frame_size(&self) -> usize {
        self.config
            .max_outgoing_frame_size
            .map_or(usize::MAX, |max| max.max(1))
    }

    /// Writes `payload` as one frame, or as frames of at most
    /// `max_outgoing_frame_size`: the first with `opcode` and `rsv`, the
    /// rest continuations (§5.4), FIN on the last if `fin`.
    pub(super) fn write_frames(&mut self, opcode: OpCode, rsv: u8, payload: &[u8], fin: bool) {
        let max = self.max_outgoing_frame_size();
        let mut rest = payload;
        let (mut opcode, mut rsv) = (opcode, rsv);
        loop {
            let (piece, after) = rest.split_at(rest.len().min(max));
            self.write_frame_fin(fin && after.is_empty(), opcode, rsv, piece);
            if after.is_empty() {
                return;
            }
            rest = after;
            (opcode, rsv) = (OpCode::Continuation, 0);
        }
    }
}
