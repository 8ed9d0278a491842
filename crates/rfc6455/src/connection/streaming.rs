//! Streaming receive: a data message handed out as its bytes arrive
//! ([`Connection::next_streamed_event`]) instead of reassembled.
//!
//! Owns the per-message state of a streamed message and the steps that
//! turn a frame's payload into chunks: unmasked as it arrives (§5.3),
//! validated as UTF-8 chunk by chunk for Text (§8.1, failing at the chunk
//! that holds the first invalid byte), inflated in chunks of at most
//! [`INFLATED_CHUNK`] bytes under permessage-deflate (RFC 7692 §6.2), and
//! counted against `Config::max_streamed_message_size`. Frames, control
//! frames between fragments (§5.4, §5.5) and the closing handshake stay the
//! [`Connection`]'s.

use super::{inflate_error, Body, Connection, InMessage, RSV1};
use crate::error::{Error, ProtocolError};
use crate::frame::OpCode;
use crate::mask::apply_mask_offset;
use crate::message::Message;
use bytes::{Buf, Bytes};

/// Most bytes of one chunk of a compressed message, once inflated: the
/// memory a streamed compressed message costs, whatever its size.
const INFLATED_CHUNK: usize = 64 << 10;

/// The kind of a data message (RFC 6455 §5.6), as its first frame says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A Text message: its data is UTF-8 (§8.1).
    Text,
    /// A Binary message.
    Binary,
}

/// What [`Connection::next_streamed_event`] returns: a data message in
/// pieces, as its bytes arrive, and everything else as
/// [`next_event`](Connection::next_event) returns it.
///
/// A data message is one [`MessageStart`](Self::MessageStart), any
/// number of [`Data`](Self::Data) chunks (none for an empty message), and
/// one [`MessageEnd`](Self::MessageEnd); control frames the peer sends
/// between its fragments (§5.4, §5.5) come in between as
/// [`Message`](Self::Message)s.
///
/// ```
/// use rfc6455::{MessageKind, StreamEvent};
/// let events = [
///     StreamEvent::MessageStart { kind: MessageKind::Text },
///     StreamEvent::Data(bytes::Bytes::from_static(b"hel")),
///     StreamEvent::Data(bytes::Bytes::from_static(b"lo")),
///     StreamEvent::MessageEnd,
/// ];
/// let text: Vec<u8> = events
///     .iter()
///     .filter_map(|e| match e {
///         StreamEvent::Data(chunk) => Some(chunk.to_vec()),
///         _ => None,
///     })
///     .flatten()
///     .collect();
/// assert_eq!(text, b"hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A data message begins (its first frame's header arrived).
    MessageStart {
        /// Text or Binary.
        kind: MessageKind,
    },
    /// The next piece of the message's data, decompressed under
    /// permessage-deflate. Never empty. The pieces of a Text message are
    /// valid UTF-8 so far, but one may end inside a character that the
    /// next completes: validate (or decode) their concatenation, not each.
    Data(Bytes),
    /// The message ended: all of its data was handed out, and a Text
    /// message is valid UTF-8 as a whole.
    MessageEnd,
    /// A Ping, Pong or Close, as [`next_event`](Connection::next_event)
    /// returns it (the Ping already answered), or a whole data message
    /// that `next_event` had begun to reassemble before streaming was
    /// asked for.
    Message(Message),
}

/// A streamed message's state beyond [`InMessage`]'s.
#[derive(Debug, Default)]
pub(super) struct Streamed {
    /// Data bytes handed out so far (decompressed).
    len: u64,
    /// A compressed message's end (the removed tail, RFC 7692 §7.2.2) has
    /// been inflated and all of its output handed out.
    tail_done: bool,
    /// Reused for inflated chunks that are copied out (small ones).
    scratch: Vec<u8>,
}

impl Streamed {
    /// Data bytes handed out so far.
    pub(super) fn len(&self) -> u64 {
        self.len
    }
}

/// What a step over the current data frame gave.
enum Step {
    Event(StreamEvent),
    NeedInput,
    /// The frame is over: read the next one.
    NextFrame,
}

impl Connection {
    /// Like [`next_event`](Self::next_event), but hands a data message out
    /// as its bytes arrive, in chunks, instead of reassembled: for
    /// messages too big to hold, or to process before they end.
    ///
    /// A message is streamed when its first frame is read by this call;
    /// until its [`StreamEvent::MessageEnd`], keep calling this one
    /// ([`next_event`](Self::next_event) refuses with
    /// [`Error::MessageStreaming`]). Between messages the two can be
    /// mixed freely: the switch is per call.
    ///
    /// A chunk is what has arrived of a frame's payload, unmasked in
    /// place and handed out without a copy; under permessage-deflate, the
    /// inflated output of what has arrived, at most 64 KiB per chunk. So a
    /// streamed message costs memory as the chunks the caller holds, not
    /// its size. Text is validated as it comes (§8.1): the connection
    /// fails with 1007 at the first chunk holding an invalid byte, which
    /// is never handed out. A streamed message is bounded by
    /// [`Config::max_streamed_message_size`](crate::Config#structfield.max_streamed_message_size)
    /// (1009 past it), not by `max_message_size` nor, as its frames are
    /// not buffered, `max_frame_size`.
    ///
    /// Control frames between fragments are handled as by `next_event`:
    /// a Ping is answered, a Close starts the closing (the message then
    /// never ends), and each is returned as [`StreamEvent::Message`].
    /// Errors, and `Ok(None)`, mean what they mean for `next_event`.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Message, MessageKind, Role, StreamEvent};
    ///
    /// let mut client = Connection::new(Role::Client, Config::default());
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// client.send(Message::binary(vec![7u8; 1000]))?;
    /// let wire = client.pending_output().to_vec();
    ///
    /// // The first 500 bytes arrive: the start, and what came of the data.
    /// server.receive(&wire[..500]);
    /// let start = StreamEvent::MessageStart { kind: MessageKind::Binary };
    /// assert_eq!(server.next_streamed_event()?, Some(start));
    /// let Some(StreamEvent::Data(chunk)) = server.next_streamed_event()? else { panic!() };
    /// assert_eq!(chunk.len(), 500 - 8); // all but the header (2 + 2 + 4 bytes)
    /// assert_eq!(server.next_streamed_event()?, None); // needs more bytes
    ///
    /// server.receive(&wire[500..]);
    /// let Some(StreamEvent::Data(rest)) = server.next_streamed_event()? else { panic!() };
    /// assert_eq!(chunk.len() + rest.len(), 1000);
    /// assert_eq!(server.next_streamed_event()?, Some(StreamEvent::MessageEnd));
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn next_streamed_event(&mut self) -> Result<Option<StreamEvent>, Error> {
        if self.failed || self.close_received || self.is_output_full() {
            return Ok(None);
        }
        match self.process_streamed() {
            Err(error) => {
                self.fail(&error);
                Err(error)
            }
            ok => ok,
        }
    }

    /// Whether a streamed message has begun and not ended.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn is_streaming(&self) -> bool {
        self.message.as_ref().is_some_and(InMessage::is_streamed)
    }

    /// The kind of the streamed message that has begun and not ended.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn streamed_kind(&self) -> Option<MessageKind> {
        match self.message.as_ref() {
            Some(m) if m.is_streamed() && m.opcode == OpCode::Text => Some(MessageKind::Text),
            Some(m) if m.is_streamed() => Some(MessageKind::Binary),
            _ => None,
        }
    }

    fn process_streamed(&mut self) -> Result<Option<StreamEvent>, Error> {
        loop {
            if self.frame.is_none() {
                if !self.start_frame(true)? {
                    return Ok(None);
                }
                if let Some(start) = self.start_streamed_message() {
                    return Ok(Some(start));
                }
            }
            let Some(frame) = &self.frame else {
                return Ok(None);
            };
            if frame.header.opcode.is_control() {
                return Ok(self.control_frame()?.map(StreamEvent::Message));
            }
            if !self.message.as_ref().is_some_and(InMessage::is_streamed) {
                // A message `next_event` began: it stays whole.
                if let Some(message) = self.on_data()? {
                    return Ok(Some(StreamEvent::Message(message)));
                }
                if self.frame.is_some() {
                    return Ok(None);
                }
                continue;
            }
            let compressed = self.message.as_ref().is_some_and(|m| m.compressed);
            let step = if compressed {
                self.on_streamed_compressed()?
            } else {
                self.on_streamed_data()?
            };
            match step {
                Step::Event(event) => return Ok(Some(event)),
                Step::NeedInput => return Ok(None),
                Step::NextFrame => {}
            }
        }
    }

    /// After a frame header: if it begins a data message (the header
    /// check refused one inside another, §5.4), makes it the streamed
    /// message and returns its start.
    fn start_streamed_message(&mut self) -> Option<StreamEvent> {
        let header = self.frame.as_ref()?.header;
        let kind = match header.opcode {
            OpCode::Text => MessageKind::Text,
            OpCode::Binary => MessageKind::Binary,
            _ => return None,
        };
        self.utf8.reset();
        self.message = Some(InMessage {
            opcode: header.opcode,
            compressed: header.rsv & RSV1 != 0,
            body: Body::Streamed(Box::default()),
        });
        Some(StreamEvent::MessageStart { kind })
    }

    /// An uncompressed frame of a streamed message: what has arrived of
    /// its payload, unmasked in place and split off the input.
    fn on_streamed_data(&mut self) -> Result<Step, Error> {
        let (Some(frame), Some(message)) = (&mut self.frame, &mut self.message) else {
            return Ok(Step::NeedInput);
        };
        let header = frame.header;
        if frame.remaining == 0 {
            if !header.fin {
                self.frame = None;
                return Ok(Step::NextFrame);
            }
            return self.end_streamed_message();
        }
        let available = self
            .input
            .len()
            .min(usize::try_from(frame.remaining).unwrap_or(usize::MAX));
        if available == 0 {
            return Ok(Step::NeedInput);
        }
        let mut chunk = self.input.split_to(available);
        if let Some(key) = header.mask {
            apply_mask_offset(&mut chunk, key, frame.consumed);
        }
        frame.consumed += available;
        frame.remaining -= available as u64;
        if message.opcode == OpCode::Text && self.utf8.feed(&chunk).is_err() {
            // Fail fast, mid-frame (§8.1).
            return Err(ProtocolError::InvalidUtf8.into());
        }
        if let Body::Streamed(streamed) = &mut message.body {
            // Within the limit: the header was checked.
            streamed.len += available as u64;
        }
        Ok(Step::Event(StreamEvent::Data(chunk.freeze())))
    }

    /// A compressed frame of a streamed message: inflates what has
    /// arrived into a chunk of at most [`INFLATED_CHUNK`] bytes. What the
    /// chunk had no room for stays at the front of the input, unmasked
    /// (`frame.consumed` counts the unmasked bytes, `frame.remaining` the
    /// ones not consumed).
    fn on_streamed_compressed(&mut self) -> Result<Step, Error> {
        let (Some(frame), Some(message), Some(deflate)) =
            (&mut self.frame, &mut self.message, &mut self.deflate)
        else {
            return Ok(Step::NeedInput);
        };
        let Body::Streamed(streamed) = &mut message.body else {
            return Ok(Step::NeedInput);
        };
        let header = frame.header;
        if streamed.tail_done {
            return self.end_streamed_message();
        }
        let mut out = std::mem::take(&mut streamed.scratch);
        out.clear();
        out.reserve_exact(INFLATED_CHUNK);
        // One byte past the limit at most: enough to know it was passed
        // (and to fail on it before on any invalid data after it, as a
        // whole message does).
        let max_len = self.config.max_streamed_message_size;
        let allowed = (max_len as u64)
            .saturating_add(1)
            .saturating_sub(streamed.len);
        let allowed = usize::try_from(allowed).unwrap_or(usize::MAX);
        // A frame whose bytes are all in the inflater may still hold
        // output there (a chunk filled up): it comes out before the next
        // frame is read, so nothing after it on the wire (a control
        // frame, a verdict) overtakes it.
        let ended = if frame.remaining > 0 || !header.fin {
            let taken = (header.payload_len - frame.remaining) as usize;
            let available = self
                .input
                .len()
                .min(usize::try_from(frame.remaining).unwrap_or(usize::MAX));
            let unmasked = frame.consumed - taken;
            if let Some(key) = header.mask {
                apply_mask_offset(&mut self.input[unmasked..available], key, frame.consumed);
            }
            frame.consumed = taken + available;
            // Called even with nothing new: output a full chunk left
            // inside the inflater comes out now.
            let used =
                deflate
                    .inflater
                    .inflate_bounded(&self.input[..available], &mut out, allowed);
            let used = used.map_err(|e| inflate_error(e, usize::MAX))?;
            self.input.advance(used);
            frame.remaining -= used as u64;
            if out.is_empty() && frame.remaining > 0 {
                streamed.scratch = out;
                return Ok(Step::NeedInput);
            }
            false
        } else {
            let done = deflate.inflater.finish_bounded(&mut out, allowed);
            streamed.tail_done = done.map_err(|e| inflate_error(e, usize::MAX))?;
            streamed.tail_done
        };
        if out.is_empty() {
            streamed.scratch = out;
            if ended {
                return self.end_streamed_message();
            }
            if frame.remaining == 0 && !header.fin {
                // All of this frame is out: the next one.
                self.frame = None;
            }
            // (A final frame's tail is inflated on the next step.)
            return Ok(Step::NextFrame);
        }
        streamed.len = streamed.len.saturating_add(out.len() as u64);
        if streamed.len > max_len as u64 {
            return Err(Error::MessageTooLong {
                len: streamed.len,
                max_len,
            });
        }
        if message.opcode == OpCode::Text && self.utf8.feed(&out).is_err() {
            return Err(ProtocolError::InvalidUtf8.into());
        }
        let chunk = if out.len() >= INFLATED_CHUNK / 2 {
            Bytes::from(out)
        } else {
            // A small chunk does not keep a big allocation alive.
            let chunk = Bytes::copy_from_slice(&out);
            streamed.scratch = out;
            chunk
        };
        Ok(Step::Event(StreamEvent::Data(chunk)))
    }

    /// All of a streamed message's data is out: checks a Text's end
    /// (§8.1) and ends the message.
    fn end_streamed_message(&mut self) -> Result<Step, Error> {
        let text = self
            .message
            .as_ref()
            .is_some_and(|m| m.opcode == OpCode::Text);
        if text && self.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8.into());
        }
        self.frame = None;
        self.message = None;
        Ok(Step::Event(StreamEvent::MessageEnd))
    }
}
