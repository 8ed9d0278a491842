//! The sans-IO WebSocket connection (RFC 6455 §5–§7), for both roles.
//!
//! Owns the state of one connection after its opening handshake: frame
//! reassembly, incremental UTF-8 validation, automatic Pong replies, the
//! closing handshake, and the translation of every protocol violation into
//! a Close frame with the code the RFC names. It owns no socket and no
//! clock: bytes go in with [`Connection::receive`] (or straight into
//! [`Connection::input_mut`]), messages come out of
//! [`Connection::next_event`], messages go in with [`Connection::send`],
//! and bytes come out of [`Connection::pending_output`]. Timeouts and
//! closing the transport are the caller's (see [`Connection::should_close_transport`]).
//!
//! The call protocol and the memory bounds are on [`Connection`].

use crate::close::{CloseCode, CloseFrame};
use crate::config::Config;
use crate::deflate::{DeflateParams, Deflater, InflateError, Inflater};
use crate::error::{Error, ProtocolError};
use crate::frame::{FrameHeader, OpCode, MAX_CONTROL_PAYLOAD};
use crate::mask::{apply_mask, apply_mask_offset};
use crate::message::{Message, Utf8Bytes};
use crate::output::{OutputQueue, ZERO_COPY_MIN};
use crate::prepared::{Frame, PreparedMessage};
use crate::trace;
use crate::utf8::Utf8Validator;
use bytes::{Buf, Bytes, BytesMut};
use std::io::IoSlice;
use std::sync::Arc;

mod outgoing;
mod streaming;

pub use streaming::{MessageKind, StreamEvent};

/// Which end of the connection this is. It decides the masking direction
/// (§5.1: clients mask, servers do not) and who closes TCP first (§7.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake.
    Client,
    /// The end that accepted it.
    Server,
}

/// Which end sent the first Close frame of a connection: who started its
/// closing handshake (RFC 6455 §7.1.2), or failed it (§7.1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Initiator {
    /// This end.
    Local,
    /// The peer.
    Remote,
}

impl Initiator {
    /// How events name it.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Initiator::Local => "local",
            Initiator::Remote => "remote",
        }
    }
}

/// A frame whose header has been read and whose payload is still arriving.
#[derive(Debug)]
struct InFrame {
    header: FrameHeader,
    /// Payload bytes not yet consumed.
    remaining: u64,
    /// Payload bytes already unmasked (the masking key's phase): consumed
    /// from the input, or, for a frame [`held`](Self::held), unmasked and
    /// validated in place at the front of the input.
    consumed: usize,
    /// The frame is a whole message (final, not compressed, not a
    /// continuation): its payload stays in the input buffer as it
    /// arrives, to be handed out without a copy once complete.
    held: bool,
}

/// A data message being reassembled from its frames.
#[derive(Debug)]
struct InMessage {
    opcode: OpCode,
    /// RSV1 was set on the first frame: the payload is DEFLATE (RFC 7692 §6).
    compressed: bool,
    body: Body,
}

/// Where a data message's bytes go.
#[derive(Debug)]
enum Body {
    /// Reassembled: the message so far, decompressed.
    Whole(Vec<u8>),
    /// Handed out as it arrives ([`Connection::next_streamed_event`]).
    /// Boxed: rare, and no bigger than the `Vec` beside it.
    Streamed(Box<streaming::Streamed>),
}

impl InMessage {
    fn is_streamed(&self) -> bool {
        matches!(self.body, Body::Streamed(_))
    }
}

impl Body {
    /// The message's data so far: reassembled, or handed out.
    fn len(&self) -> u64 {
        match self {
            Body::Whole(data) => data.len() as u64,
            Body::Streamed(streamed) => streamed.len(),
        }
    }
}

/// The negotiated permessage-deflate state of both directions.
#[derive(Debug)]
struct Deflate {
    inflater: Inflater,
    deflater: Deflater,
    threshold: usize,
    /// Reused buffer for compressed payloads on their way out: here, not
    /// in `Connection`, so that a connection without compression does not
    /// carry it.
    scratch: Vec<u8>,
}

/// RSV1: "per-message compressed" under permessage-deflate (RFC 7692 §6).
const RSV1: u8 = 0b100;

/// One WebSocket connection, sans IO: bytes in, messages out; messages
/// in, bytes out. No sockets, no clock: the same input always gives the
/// same output.
///
/// # The call protocol
///
/// 1. Append received bytes with [`receive`](Self::receive) (or write
///    them into [`input_mut`](Self::input_mut)).
/// 2. Call [`next_event`](Self::next_event) until it returns `Ok(None)`:
///    it needs more bytes. An `Err` means the peer broke the protocol: a
///    Close frame with the right code is already queued, and no more
///    events will come.
/// 3. Write out [`pending_output`](Self::pending_output) and report what
///    was written with [`advance_output`](Self::advance_output), until it
///    is empty (or write every piece at once with
///    [`pending_output_vectored`](Self::pending_output_vectored)). Do this
///    after every `next_event` batch (a Ping's Pong and a Close reply are
///    queued there) and after every [`send`](Self::send).
/// 4. When [`should_close_transport`](Self::should_close_transport) is
///    true, flush the output and close the transport.
///
/// # Memory
///
/// Memory stays bounded whatever the peer does: input is consumed as it is
/// parsed (only a partial header or control frame waits, and the payload
/// of a message sent as one frame, which is handed out from where it
/// landed once complete: at most [`Config::max_frame_size`](crate::Config#structfield.max_frame_size)), messages
/// stop at [`Config::max_message_size`](crate::Config#structfield.max_message_size) (also while inflating), and once
/// [`Config::max_write_buffer_size`](crate::Config#structfield.max_write_buffer_size) bytes wait to be written,
/// `next_event` processes nothing more (it returns `Ok(None)`: write
/// first) and `send` refuses data, so a peer that never reads cannot make
/// us queue replies without bound. Automatic Pongs are further capped by
/// [`Config::max_queued_pongs`](crate::Config#structfield.max_queued_pongs).
///
/// # Example
///
/// ```
/// use rfc6455::{Config, Connection, Message, Role};
///
/// let mut client = Connection::new(Role::Client, Config::default());
/// let mut server = Connection::new(Role::Server, Config::default());
///
/// client.send(Message::text("hello"))?;
/// // Move the client's bytes to the server, as a socket would.
/// server.receive(client.pending_output());
/// let written = client.pending_output().len();
/// client.advance_output(written);
///
/// assert_eq!(server.next_event()?, Some(Message::text("hello")));
/// assert_eq!(server.next_event()?, None); // needs more bytes
/// # Ok::<(), rfc6455::Error>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    role: Role,
    /// Shared: one allocation for every connection a server makes.
    config: Arc<Config>,
    input: BytesMut,
    output: OutputQueue,
    frame: Option<InFrame>,
    message: Option<InMessage>,
    utf8: Utf8Validator,
    close_sent: bool,
    close_received: bool,
    failed: bool,
    /// The code of the first Close frame, sent or received (1005 for one
    /// without a code), and who sent it: what the connection closed with,
    /// for the server's statistics and the `tracing` events. Three bytes,
    /// beside the flags above.
    first_close: Option<(CloseCode, Initiator)>,
    /// Boxed: most connections negotiate no compression, and the state
    /// of both directions is hundreds of bytes.
    deflate: Option<Box<Deflate>>,
    /// Automatic Pongs queued since the output was last drained.
    /// (A `u32`, packed beside the flags: every idle connection holds it.)
    queued_pongs: u32,
    /// The message being sent in fragments ([`Connection::begin_message`]).
    /// Three bytes, in the padding beside the flags.
    out_message: Option<outgoing::OutMessage>,
    /// The Pong for the latest Ping, once `max_queued_pongs` are queued.
    /// Boxed: rare, and a pointer is a quarter of a `Bytes` in every
    /// connection.
    deferred_pong: Option<Box<Bytes>>,
}

impl Connection {
    /// A connection in the open state, right after an opening handshake
    /// that negotiated no extension.
    #[must_use]
    pub fn new(role: Role, config: impl Into<Arc<Config>>) -> Self {
        Self::with_deflate(role, config, None)
    }

    /// A connection in the open state whose opening handshake agreed on
    /// permessage-deflate with these parameters (or on nothing, `None`).
    /// Compression level and threshold come from `config.deflate`.
    ///
    /// The config is held behind an [`Arc`]: connections made from one
    /// `Arc<Config>` share it (a server's thousands of connections hold a
    /// pointer each, not a copy); a `Config` given by value is moved into
    /// one.
    ///
    /// ```
    /// use rfc6455::deflate::{DeflateConfig, DeflateParams};
    /// use rfc6455::{Config, Connection, Message, Role};
    /// let config = Config::default().deflate(DeflateConfig::default());
    /// let params = Some(DeflateParams::default());
    /// let mut client = Connection::with_deflate(Role::Client, config.clone(), params);
    /// let mut server = Connection::with_deflate(Role::Server, config, params);
    /// let text = "compressible ".repeat(100);
    /// client.send(Message::text(text.clone()))?;
    /// assert!(client.pending_output().len() < 100);
    /// server.receive(client.pending_output());
    /// assert_eq!(server.next_event()?, Some(Message::text(text)));
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    #[must_use]
    pub fn with_deflate(
        role: Role,
        config: impl Into<Arc<Config>>,
        params: Option<DeflateParams>,
    ) -> Self {
        let config = config.into();
        let deflate = params.map(|p| {
            let settings = config.deflate.clone().unwrap_or_default();
            let (ours, theirs) = match role {
                Role::Server => (
                    (p.server_max_window_bits, p.server_no_context_takeover),
                    (p.client_max_window_bits, p.client_no_context_takeover),
                ),
                Role::Client => (
                    (p.client_max_window_bits, p.client_no_context_takeover),
                    (p.server_max_window_bits, p.server_no_context_takeover),
                ),
            };
            Box::new(Deflate {
                inflater: Inflater::new(theirs.0, theirs.1),
                deflater: Deflater::new(ours.0, ours.1, settings.level),
                threshold: settings.threshold,
                scratch: Vec::new(),
            })
        });
        Connection {
            role,
            config,
            input: BytesMut::new(),
            output: OutputQueue::default(),
            frame: None,
            message: None,
            utf8: Utf8Validator::new(),
            close_sent: false,
            close_received: false,
            failed: false,
            first_close: None,
            deflate,
            queued_pongs: 0,
            out_message: None,
            deferred_pong: None,
        }
    }

    /// This end's role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits this connection enforces.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Buffers bytes received from the peer.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// The input buffer itself, for callers that read from the transport
    /// straight into it (saving a copy). Only append to it.
    pub fn input_mut(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Processes buffered input and returns the next message, `Ok(None)`
    /// when more input is needed (or nothing more will come, after a Close
    /// or an error).
    ///
    /// A Ping is answered with a Pong before it is returned; a Close is
    /// answered with a Close (echoing its code) before it is returned. A
    /// protocol violation, or a frame or message over its limit, queues a
    /// Close frame with the code the RFC names and returns the error; the
    /// connection is then failed and returns no more events.
    ///
    /// While [`is_output_full`](Self::is_output_full), it processes nothing
    /// and returns `Ok(None)`: write the pending output first.
    ///
    /// Fails with [`Error::MessageStreaming`] (and changes nothing) while
    /// a message that [`next_streamed_event`](Self::next_streamed_event)
    /// began to stream has not ended: finish it with that call.
    pub fn next_event(&mut self) -> Result<Option<Message>, Error> {
        if self.failed || self.close_received || self.is_output_full() {
            return Ok(None);
        }
        if self.message.as_ref().is_some_and(InMessage::is_streamed) {
            return Err(Error::MessageStreaming);
        }
        match self.process() {
            Err(error) => {
                self.fail(&error);
                Err(error)
            }
            ok => ok,
        }
    }

    fn process(&mut self) -> Result<Option<Message>, Error> {
        loop {
            if self.frame.is_none() && !self.start_frame(false)? {
                return Ok(None);
            }
            let Some(frame) = &self.frame else {
                return Ok(None);
            };
            if frame.header.opcode.is_control() {
                return self.control_frame();
            }
            if let Some(message) = self.on_data()? {
                return Ok(Some(message));
            }
            if self.frame.is_some() {
                // The frame's payload has not all arrived.
                return Ok(None);
            }
        }
    }

    /// Reads the next frame's header, if it has arrived, and makes it the
    /// frame being received; `streaming`: a message it begins is
    /// streamed. Returns false when more input is needed.
    fn start_frame(&mut self, streaming: bool) -> Result<bool, Error> {
        let Some((header, header_len)) = FrameHeader::decode(&self.input)? else {
            return Ok(false);
        };
        self.check_header(&header, streaming)?;
        self.input.advance(header_len);
        let held = !streaming
            && header.fin
            && header.rsv & RSV1 == 0
            && matches!(header.opcode, OpCode::Text | OpCode::Binary);
        self.frame = Some(InFrame {
            header,
            remaining: header.payload_len,
            consumed: 0,
            held,
        });
        Ok(true)
    }

    /// The control frame being received, once all of it has arrived.
    fn control_frame(&mut self) -> Result<Option<Message>, Error> {
        let Some(frame) = &self.frame else {
            return Ok(None);
        };
        // At most 125 bytes (checked by the decoder): wait for all.
        let len = frame.remaining as usize;
        if self.input.len() < len {
            return Ok(None);
        }
        let header = frame.header;
        self.frame = None;
        let mut payload = self.input.split_to(len);
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key);
        }
        self.on_control(header.opcode, payload.freeze()).map(Some)
    }

    /// Rules a header breaks given this connection's role and state;
    /// `streaming`: a message it begins is streamed.
    fn check_header(&self, header: &FrameHeader, streaming: bool) -> Result<(), Error> {
        // RSV1 may only start a compressed message (RFC 7692 §6.1);
        // RSV2, RSV3 are never defined here.
        let allowed = match header.opcode {
            OpCode::Text | OpCode::Binary if self.deflate.is_some() => RSV1,
            _ => 0,
        };
        if header.rsv & !allowed != 0 {
            return Err(ProtocolError::ReservedBits(header.rsv).into());
        }
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame.into()),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame.into()),
            _ => {}
        }
        match (header.opcode, &self.message) {
            (OpCode::Continuation, None) => {
                return Err(ProtocolError::UnexpectedContinuation.into())
            }
            (OpCode::Text | OpCode::Binary, Some(_)) => {
                return Err(ProtocolError::ExpectedContinuation.into())
            }
            _ => {}
        }
        if header.opcode.is_control() {
            return Ok(());
        }
        let streamed = match &self.message {
            Some(message) => message.is_streamed(),
            None => streaming,
        };
        // A streamed frame is not buffered: only its message is bounded.
        if !streamed && header.payload_len > self.config.max_frame_size as u64 {
            return Err(Error::FrameTooLong {
                len: header.payload_len,
                max_len: self.config.max_frame_size,
            });
        }
        let compressed = match &self.message {
            Some(message) => message.compressed,
            None => header.rsv & RSV1 != 0,
        };
        if compressed {
            // Counted as it is inflated: the wire length says nothing.
            return Ok(());
        }
        let so_far = self.message.as_ref().map_or(0, |m| m.body.len());
        let total = so_far.saturating_add(header.payload_len);
        let max_len = if streamed {
            self.config.max_streamed_message_size
        } else {
            self.config.max_message_size
        };
        if total > max_len as u64 {
            return Err(Error::MessageTooLong {
                len: total,
                max_len,
            });
        }
        Ok(())
    }

    /// Consumes what has arrived of the current data frame's payload;
    /// returns the message if this completed one.
    fn on_data(&mut self) -> Result<Option<Message>, Error> {
        let Some(frame) = &mut self.frame else {
            return Ok(None);
        };
        if frame.held {
            return self.on_held_data();
        }
        let header = frame.header;
        let available = self
            .input
            .len()
            .min(usize::try_from(frame.remaining).unwrap_or(usize::MAX));
        let compressed = header.rsv & RSV1 != 0;
        let message = self.message.get_or_insert_with(|| {
            self.utf8.reset();
            InMessage {
                opcode: header.opcode,
                compressed,
                body: Body::Whole(Vec::new()),
            }
        });
        let Body::Whole(data) = &mut message.body else {
            // Streamed messages never come here (`next_event` refuses).
            return Ok(None);
        };
        let max_len = self.config.max_message_size;
        let start = data.len();
        let chunk = &mut self.input[..available];
        if let Some(key) = header.mask {
            apply_mask_offset(chunk, key, frame.consumed);
        }
        match &mut self.deflate {
            Some(deflate) if message.compressed => {
                let inflated = deflate.inflater.inflate(chunk, data, max_len);
                inflated.map_err(|e| inflate_error(e, max_len))?;
            }
            _ => data.extend_from_slice(chunk),
        }
        self.input.advance(available);
        frame.consumed += available;
        frame.remaining -= available as u64;
        let done = frame.remaining == 0;
        if done {
            self.frame = None;
        }
        if done && header.fin && message.compressed {
            if let Some(deflate) = &mut self.deflate {
                let inflated = deflate.inflater.finish(data, max_len);
                inflated.map_err(|e| inflate_error(e, max_len))?;
            }
        }
        if message.opcode == OpCode::Text && self.utf8.feed(&data[start..]).is_err() {
            // Fail fast: the frame may not even have fully arrived (§8.1).
            return Err(ProtocolError::InvalidUtf8.into());
        }
        if !done || !header.fin {
            return Ok(None);
        }
        let Some(message) = self.message.take() else {
            return Ok(None);
        };
        let Body::Whole(data) = message.body else {
            return Ok(None);
        };
        let data = Bytes::from(data);
        Ok(Some(match message.opcode {
            OpCode::Text => {
                if self.utf8.finish().is_err() {
                    return Err(ProtocolError::InvalidUtf8.into());
                }
                Message::Text(Utf8Bytes::from_validated(data))
            }
            _ => Message::Binary(data),
        }))
    }

    /// A frame that is a whole message: unmask (and, for text, validate)
    /// what has arrived where it lies, and once all of it is there, hand
    /// the payload out as a slice of the input buffer, with no copy.
    fn on_held_data(&mut self) -> Result<Option<Message>, Error> {
        let Some(frame) = &mut self.frame else {
            return Ok(None);
        };
        let header = frame.header;
        // Within max_frame_size, a usize (checked with the header).
        let len = frame.remaining as usize;
        let have = self.input.len().min(len);
        if frame.consumed == 0 && have == len {
            // All of it at once, the common case: one pass of each.
            self.frame = None;
            let mut payload = self.input.split_to(len);
            if let Some(key) = header.mask {
                apply_mask(&mut payload, key);
            }
            let payload = payload.freeze();
            return match header.opcode {
                OpCode::Text if crate::utf8::is_valid(&payload) => {
                    Ok(Some(Message::Text(Utf8Bytes::from_validated(payload))))
                }
                OpCode::Text => Err(ProtocolError::InvalidUtf8.into()),
                _ => Ok(Some(Message::Binary(payload))),
            };
        }
        if frame.consumed == 0 {
            self.utf8.reset();
        }
        let fresh = &mut self.input[frame.consumed..have];
        if let Some(key) = header.mask {
            apply_mask_offset(fresh, key, frame.consumed);
        }
        if header.opcode == OpCode::Text && self.utf8.feed(fresh).is_err() {
            // Fail fast: the rest of the frame has not arrived (§8.1).
            return Err(ProtocolError::InvalidUtf8.into());
        }
        frame.consumed = have;
        if have < len {
            return Ok(None);
        }
        self.frame = None;
        let payload = self.input.split_to(len).freeze();
        if header.opcode == OpCode::Binary {
            return Ok(Some(Message::Binary(payload)));
        }
        if self.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8.into());
        }
        Ok(Some(Message::Text(Utf8Bytes::from_validated(payload))))
    }

    /// How many more bytes the frame being received needs, as far as its
    /// header says (0 between frames): a hint for sizing the next read.
    ///
    /// Only a hint: every buffered byte counts as this frame's, so bytes
    /// of later frames already in the input make it smaller (down to 0),
    /// never larger.
    #[must_use]
    pub fn frame_bytes_missing(&self) -> usize {
        // Unconsumed payload, buffered or not: held frames keep theirs in
        // the input, others consume theirs as it arrives.
        self.frame.as_ref().map_or(0, |frame| {
            usize::try_from(frame.remaining)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.input.len())
        })
    }

    fn on_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<Message, Error> {
        match opcode {
            OpCode::Ping => {
                if !self.close_sent {
                    if self.pending_output().is_empty() {
                        self.queued_pongs = 0;
                    }
                    if (self.queued_pongs as usize) < self.config.max_queued_pongs.max(1) {
                        self.queued_pongs = self.queued_pongs.saturating_add(1);
                        self.write_frame(OpCode::Pong, &payload);
                    } else {
                        // §5.5.3: answering only the most recent Ping is
                        // enough; it goes out once the output drains.
                        self.deferred_pong = Some(Box::new(payload.clone()));
                    }
                }
                Ok(Message::Ping(payload))
            }
            OpCode::Pong => Ok(Message::Pong(payload)),
            _ => {
                let frame = CloseFrame::parse(&payload)?;
                self.close_received = true;
                if self.close_sent {
                    trace::event!(
                        TRACE,
                        code = frame.as_ref().map_or(1005, |f| f.code.as_u16()),
                        "the peer answered our Close"
                    );
                } else {
                    self.closing_started(frame.as_ref(), Initiator::Remote);
                    // §5.5.1: reply with a Close, typically echoing the code.
                    self.write_deferred_pong();
                    self.close_sent = true;
                    let reply = frame
                        .as_ref()
                        .map(|f| CloseFrame::new(f.code, "").to_payload())
                        .unwrap_or_default();
                    self.write_frame(OpCode::Close, &reply);
                }
                Ok(Message::Close(frame))
            }
        }
    }

    /// §7.1.7 Fail the WebSocket Connection: queue a Close with the code
    /// the error names (unless one was sent), and stop processing input.
    fn fail(&mut self, error: &Error) {
        self.failed = true;
        self.frame = None;
        self.message = None;
        self.input = BytesMut::new();
        self.deferred_pong = None;
        if !self.close_sent {
            if let Some(code) = error.close_code() {
                self.close_sent = true;
                self.first_close = Some((code, Initiator::Local));
                // A protocol error or a limit: the error says which.
                trace::event!(DEBUG, code = code.as_u16(), %error, "connection failed");
                let reason = error.to_string();
                self.write_frame(OpCode::Close, &CloseFrame::new(code, reason).to_payload());
            }
        }
    }

    /// Queues a message. Text and Binary are sent as one frame; Ping and
    /// Pong payloads must be at most 125 bytes; Close starts the closing
    /// handshake (see [`close`](Self::close)).
    ///
    /// Fails with [`Error::ConnectionClosed`] once a Close has been sent,
    /// and, for anything but a Close, with [`Error::WriteBufferFull`] while
    /// [`is_output_full`](Self::is_output_full).
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        if !matches!(message, Message::Close(_)) {
            self.check_output_room()?;
        }
        if message.is_data() && self.out_message.is_some() {
            return Err(Error::MessageStreaming);
        }
        match message {
            Message::Text(text) => self.write_data(OpCode::Text, text.into_bytes()),
            Message::Binary(data) => self.write_data(OpCode::Binary, data),
            Message::Ping(data) => self.write_control(OpCode::Ping, &data)?,
            Message::Pong(data) => self.write_control(OpCode::Pong, &data)?,
            Message::Close(frame) => self.close(frame)?,
        }
        Ok(())
    }

    /// [`Error::WriteBufferFull`] while [`is_output_full`](Self::is_output_full).
    fn check_output_room(&self) -> Result<(), Error> {
        if self.is_output_full() {
            return Err(Error::WriteBufferFull {
                len: self.pending_output_len(),
                max_len: self.config.max_write_buffer_size,
            });
        }
        Ok(())
    }

    /// Queues a message framed once for many connections (a broadcast):
    /// the same bytes [`send`](Self::send) would queue for it, without
    /// framing, compressing or (for 16 KiB and more) copying it again.
    ///
    /// A server connection takes the prepared frame: the plain one, or,
    /// under permessage-deflate with `server_no_context_takeover`
    /// (RFC 7692 §7.1.1.1), the one compressed once for its window bits
    /// and level. A server connection that takes its compression context
    /// over compresses the message itself, and a client connection, which
    /// masks every frame with a fresh key (RFC 6455 §5.3), frames it
    /// itself: both as `send` would. See [`PreparedMessage`].
    ///
    /// Fails as `send` does: with [`Error::ConnectionClosed`] once a
    /// Close has been sent, with [`Error::WriteBufferFull`] while
    /// [`is_output_full`](Self::is_output_full), with
    /// [`Error::MessageStreaming`] while a message is being sent in
    /// fragments. A frame longer than `Config::max_outgoing_frame_size` is
    /// fragmented as `send` fragments it (framed by this connection).
    ///
    /// ```
    /// use rfc6455::deflate::{DeflateConfig, DeflateParams};
    /// use rfc6455::{Config, Connection, Message, PreparedMessage, Role};
    ///
    /// let config = Config::default().deflate(DeflateConfig::default());
    /// let params = DeflateParams {
    ///     server_no_context_takeover: true,
    ///     ..DeflateParams::default()
    /// };
    /// let text = "compressible ".repeat(100);
    /// let prepared = PreparedMessage::text(text.clone()); // compressed once, below
    /// let mut server = Connection::with_deflate(Role::Server, config.clone(), Some(params));
    /// let mut client = Connection::with_deflate(Role::Client, config, Some(params));
    /// server.send_prepared(&prepared)?;
    /// assert!(server.pending_output().len() < 100);
    /// client.receive(server.pending_output());
    /// assert_eq!(client.next_event()?, Some(Message::text(text)));
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        self.check_output_room()?;
        if self.out_message.is_some() {
            return Err(Error::MessageStreaming);
        }
        let frame = match (self.role, self.deflate.as_deref()) {
            (Role::Client, _) => None,
            (Role::Server, None) => Some(message.plain()),
            (Role::Server, Some(deflate)) if message.payload().len() < deflate.threshold => {
                Some(message.plain())
            }
            (Role::Server, Some(deflate)) => deflate
                .deflater
                .stateless_key()
                .map(|key| message.compressed(key)),
        };
        // A frame over `max_outgoing_frame_size` is cut into fragments by
        // `write_data`, as `send` would cut it.
        let max = self.max_outgoing_frame_size();
        match frame.filter(|frame| frame.payload.len() <= max) {
            Some(frame) => self.write_prepared(frame),
            None => self.write_data(message.opcode(), message.payload().clone()),
        }
        Ok(())
    }

    /// Queues a frame prepared once: shared whole where it was kept whole
    /// (1 to 16 KiB); else its header copied, its payload shared from 16
    /// KiB on, as [`write_data`](Self::write_data) does.
    fn write_prepared(&mut self, frame: Frame) {
        if let Some(whole) = frame.whole {
            self.output.push_shared(whole);
            return;
        }
        let output = self.output.buf_mut();
        output.extend_from_slice(frame.header.as_slice());
        if frame.payload.len() >= ZERO_COPY_MIN {
            self.output.push_shared(frame.payload);
        } else {
            output.extend_from_slice(&frame.payload);
        }
    }

    /// Starts the closing handshake (§7.1.2) with this code and reason
    /// (`None` sends a Close with no body). Nothing is sent after it; the
    /// connection keeps delivering what the peer sends until its Close.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        let payload = match &frame {
            Some(frame) if !frame.code.is_valid_on_wire() => {
                return Err(Error::InvalidCloseCode(frame.code));
            }
            Some(frame) => frame.to_payload(),
            None => Bytes::new(),
        };
        if !self.close_received {
            self.closing_started(frame.as_ref(), Initiator::Local);
        }
        self.write_deferred_pong();
        self.close_sent = true;
        self.write_frame(OpCode::Close, &payload);
        Ok(())
    }

    /// Records the first Close frame of the connection, sent or received
    /// (§7.1.2), and reports it (its reason: at most 123 bytes, §5.5).
    fn closing_started(&mut self, frame: Option<&CloseFrame>, by: Initiator) {
        let code = frame.map_or(CloseCode::NO_STATUS, |f| f.code);
        self.first_close = Some((code, by));
        trace::event!(
            DEBUG,
            code = code.as_u16(),
            reason = frame.map_or("", |f| f.reason.as_str()),
            initiator = by.as_str(),
            "closing handshake started"
        );
    }

    fn write_deferred_pong(&mut self) {
        if let Some(payload) = self.deferred_pong.take() {
            self.queued_pongs = self.queued_pongs.saturating_add(1);
            self.write_frame(OpCode::Pong, &payload);
        }
    }

    /// Writes a Text or Binary message, compressed when permessage-deflate
    /// is on and the message is not under the threshold. A big payload
    /// the server sends as it is (no mask, no compression) is queued
    /// without a copy.
    fn write_data(&mut self, opcode: OpCode, payload: Bytes) {
        if let Some(deflate) = self.deflate.as_deref_mut() {
            if payload.len() >= deflate.threshold {
                let mut compressed = std::mem::take(&mut deflate.scratch);
                compressed.clear();
                let done = deflate.deflater.compress(&payload, &mut compressed);
                if done {
                    self.write_frames(opcode, RSV1, &compressed, true);
                }
                // Back for the next message: no allocation per message.
                if let Some(deflate) = self.deflate.as_deref_mut() {
                    deflate.scratch = compressed;
                }
                if done {
                    return;
                }
            }
        }
        if payload.len() > self.max_outgoing_frame_size() {
            self.write_frames(opcode, 0, &payload, true);
            return;
        }
        if self.role == Role::Server && payload.len() >= ZERO_COPY_MIN {
            let header = FrameHeader::new(true, opcode, None, payload.len() as u64);
            header.encode(self.output.buf_mut());
            self.output.push_shared(payload);
            return;
        }
        self.write_frame(opcode, &payload);
    }

    fn write_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(Error::FrameTooLong {
                len: payload.len() as u64,
                max_len: MAX_CONTROL_PAYLOAD,
            });
        }
        self.write_frame(opcode, payload);
        Ok(())
    }

    fn write_frame(&mut self, opcode: OpCode, payload: &[u8]) {
        self.write_frame_rsv(opcode, 0, payload);
    }

    fn write_frame_rsv(&mut self, opcode: OpCode, rsv: u8, payload: &[u8]) {
        self.write_frame_fin(true, opcode, rsv, payload);
    }

    fn write_frame_fin(&mut self, fin: bool, opcode: OpCode, rsv: u8, payload: &[u8]) {
        let mask = match self.role {
            // §5.3: a fresh, unpredictable key for every frame.
            Role::Client => Some(crate::random::mask_key()),
            Role::Server => None,
        };
        let mut header = FrameHeader::new(fin, opcode, mask, payload.len() as u64);
        header.rsv = rsv;
        let output = self.output.buf_mut();
        output.reserve(header.encoded_len() + payload.len());
        header.encode(output);
        let start = output.len();
        output.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut output[start..], key);
        }
    }

    /// The oldest bytes waiting to be written to the transport, as one
    /// contiguous piece; empty when nothing waits. Write them, report it
    /// with [`advance_output`](Self::advance_output), and call again until
    /// it is empty.
    ///
    /// Frames queued since the last write are coalesced into one piece,
    /// except the payloads of big messages a server sends (16 KiB and
    /// more, not compressed), which are queued as they were given, without
    /// a copy, each its own piece: write them all at once with
    /// [`pending_output_vectored`](Self::pending_output_vectored).
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        self.output.chunk()
    }

    /// How many bytes wait to be written, in all pieces.
    #[must_use]
    pub fn pending_output_len(&self) -> usize {
        self.output.len()
    }

    /// Bytes queued for the peer and not yet written: the same as
    /// [`pending_output_len`](Self::pending_output_len), under the name
    /// browsers give it (`WebSocket.bufferedAmount`). A broadcaster reads
    /// it to skip or drop a subscriber that falls behind; at
    /// `Config::max_write_buffer_size`, `send` refuses data.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Message, Role};
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// server.send(Message::text("hi"))?;
    /// assert_eq!(server.buffered_amount(), 4); // a 2-byte header, 2 of payload
    /// server.advance_output(4);
    /// assert_eq!(server.buffered_amount(), 0);
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    #[must_use]
    pub fn buffered_amount(&self) -> usize {
        self.output.len()
    }

    /// Every piece of the pending output, oldest first, none empty.
    ///
    /// ```
    /// use rfc6455::{Config, Connection, Message, Role};
    /// let mut server = Connection::new(Role::Server, Config::default());
    /// server.send(Message::binary(vec![7u8; 64 << 10]))?; // queued, not copied
    /// server.send(Message::text("after it"))?;
    /// let wire: Vec<u8> = server.pending_output_chunks().flatten().copied().collect();
    /// assert_eq!(wire.len(), server.pending_output_len());
    /// assert_eq!(wire.len(), 10 + (64 << 10) + 2 + 8); // two headers, two payloads
    /// # Ok::<(), rfc6455::Error>(())
    /// ```
    pub fn pending_output_chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.output.chunks()
    }

    /// Fills `dst` with the oldest pieces of the pending output, for a
    /// vectored write (`writev`); returns how many slots it filled.
    #[must_use]
    pub fn pending_output_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.output.chunks_vectored(dst)
    }

    /// Whether at least `Config::max_write_buffer_size` bytes wait to be
    /// written: `next_event` then processes no input and `send` refuses
    /// data until some of [`pending_output`](Self::pending_output) is
    /// written.
    #[must_use]
    pub fn is_output_full(&self) -> bool {
        self.output.len() >= self.config.max_write_buffer_size
    }

    /// Marks `n` bytes of the pending output as written, oldest first
    /// (across pieces, as a vectored write reports them).
    ///
    /// Once everything is written, a Pong held back by
    /// `Config::max_queued_pongs` is queued, so `pending_output` may not be
    /// empty right after.
    pub fn advance_output(&mut self, n: usize) {
        if self.output.advance(n) {
            self.queued_pongs = 0;
            self.write_deferred_pong();
        }
    }

    /// Whether a Close frame has been queued (by us, as a reply, or
    /// because the connection failed).
    #[must_use]
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether the peer's Close frame has been received.
    #[must_use]
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// Whether the connection failed on a protocol violation or a limit.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Whether no more messages will be received: the peer's Close arrived
    /// or the connection failed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.close_received || self.failed
    }

    /// Whether this end should now close the transport, once the pending
    /// output is written: after a completed closing handshake on the server
    /// (§7.1.1: the server closes TCP first), and after a failure on either
    /// side (§7.1.7). A client whose closing handshake completed should
    /// instead wait, with a timeout, for the server to close TCP.
    #[must_use]
    pub fn should_close_transport(&self) -> bool {
        self.failed || (self.role == Role::Server && self.close_sent && self.close_received)
    }

    /// The code of the first Close frame, sent or received, and who sent
    /// it; `None` while no Close went either way.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn first_close(&self) -> Option<(CloseCode, Initiator)> {
        self.first_close
    }

    /// Whether neither side has started closing: messages flow both ways.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.close_sent && !self.close_received && !self.failed
    }
}

/// The error a failed inflate is answered with.
fn inflate_error(error: InflateError, max_len: usize) -> Error {
    match error {
        InflateError::TooLong { len } => Error::MessageTooLong {
            len: len as u64,
            max_len,
        },
        InflateError::Invalid => ProtocolError::InvalidCompressedData.into(),
    }
}
