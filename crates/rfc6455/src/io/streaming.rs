//! Streaming over tokio: [`WebSocket::next_streamed`] (a message's pieces
//! as they arrive, [`StreamEvent`]s), [`MessageReader`] (one message's
//! data as an `AsyncRead`) and [`MessageWriter`] (one message written in
//! fragments, an `AsyncWrite`).
//!
//! Owns only the waiting: the pieces are cut, validated and inflated by
//! the sans-IO [`Connection`](crate::Connection)
//! ([`next_streamed_event`](crate::Connection::next_streamed_event)).
//! Backpressure comes from the call order: the transport is read only
//! while the application asks for the next piece and none is buffered, so
//! an application that stops consuming stops the reading, and the peer's
//! sending (TCP's window fills).

use super::split::{ReadHalf, WriteHalf};
use super::stream::WebSocket;
use crate::connection::{MessageKind, StreamEvent};
use crate::error::Error;
use crate::message::Message;
use bytes::Bytes;
use futures_sink::Sink;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An error of the WebSocket as an I/O error, for the `AsyncRead` and
/// `AsyncWrite` impls.
fn io_error(error: Error) -> io::Error {
    match error {
        Error::Io(error) => error,
        other => io::Error::other(other),
    }
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// The next [`StreamEvent`]: what `next()` (the `Stream`) yields, but
    /// with a data message handed out in pieces as its bytes arrive, never
    /// reassembled, so a message of any size (up to
    /// [`Config::max_streamed_message_size`](crate::Config#structfield.max_streamed_message_size))
    /// costs the memory of the pieces the application holds. `None` once
    /// the connection is over, as for `next()`.
    ///
    /// The socket is read only while this is called and nothing is
    /// buffered: an application that stops calling stops reading (the
    /// peer's writes then wait, TCP's backpressure). Pings are answered
    /// and the closing handshake runs as for `next()`. Once a message has
    /// begun here, receive the rest of it here (or with a
    /// [`MessageReader`]): `next()` yields [`Error::MessageStreaming`]
    /// until it ends. Between messages the two mix freely.
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// use rfc6455::StreamEvent;
    /// let mut total = 0;
    /// while let Some(event) = ws.next_streamed().await {
    ///     match event? {
    ///         StreamEvent::MessageStart { kind } => println!("a {kind:?} message begins"),
    ///         StreamEvent::Data(chunk) => total += chunk.len(),
    ///         StreamEvent::MessageEnd => println!("{total} bytes"),
    ///         _ => {} // Ping, Pong, Close
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_streamed(&mut self) -> Option<Result<StreamEvent, Error>> {
        std::future::poll_fn(|cx| self.poll_next_streamed(cx)).await
    }

    /// [`next_streamed`](Self::next_streamed) as a poll: `Pending` until
    /// an event (or the end) is ready, with `cx` woken then.
    pub fn poll_next_streamed(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamEvent, Error>>> {
        self.poll_next_item(cx)
    }

    /// One message's data as an `AsyncRead`: the message being streamed
    /// (after a [`StreamEvent::MessageStart`] from
    /// [`next_streamed`](Self::next_streamed)) or, if none is, the next
    /// one. It ends (a read of 0 bytes) at the message's end, with the
    /// next message left unread. Ping and Pong frames between the
    /// message's fragments are answered (Pings) and skipped; a Close, or
    /// the connection failing, before the end is an error (the Close is
    /// answered and the connection is over, as for `next()`).
    ///
    /// Reads move the data straight from the connection's buffer; the
    /// socket is read only when the reader needs more, so a slow consumer
    /// (a disk) slows the peer down instead of filling memory.
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> std::io::Result<()> {
    /// // Save the next message to a file, whatever its size.
    /// let mut file = tokio::fs::File::create("upload.bin").await?;
    /// let mut reader = ws.message_reader();
    /// let written = tokio::io::copy(&mut reader, &mut file).await?;
    /// println!("{written} bytes, a {:?} message", reader.kind());
    /// # Ok(()) }
    /// ```
    pub fn message_reader(&mut self) -> MessageReader<'_, S> {
        let kind = self.connection().streamed_kind();
        MessageReader::new(Source::Whole(self), kind)
    }
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Begins a message of `kind` and returns an `AsyncWrite` that sends
    /// it in fragments as it is written, each write one frame (or several,
    /// of at most `Config::max_outgoing_frame_size`), compressed as one
    /// stream under permessage-deflate (RFC 7692 §6.1). `shutdown()` ends
    /// the message (a last, empty fragment) and flushes it; until then,
    /// sending a whole message fails with [`Error::MessageStreaming`],
    /// while Pongs and a Close still go out between fragments.
    ///
    /// Writes wait while `Config::write_buffer_size` bytes are queued
    /// (backpressure, bounded by `Config::write_timeout`). See
    /// [`Connection::begin_message`](crate::Connection::begin_message)
    /// for the rules.
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// // Send a file as one Binary message, whatever its size.
    /// let mut file = tokio::fs::File::open("upload.bin").await?;
    /// let mut writer = ws.message_writer(rfc6455::MessageKind::Binary)?;
    /// tokio::io::copy(&mut file, &mut writer).await?;
    /// writer.shutdown().await?; // the last fragment
    /// # Ok(()) }
    /// ```
    pub fn message_writer(&mut self, kind: MessageKind) -> Result<MessageWriter<'_, S>, Error> {
        self.begin_message(kind)?;
        Ok(MessageWriter::new(Target::Whole(self)))
    }

    /// Begins a message of `kind` sent in fragments with
    /// [`feed_fragment`](Self::feed_fragment) or
    /// [`send_fragment`](Self::send_fragment): what
    /// [`message_writer`](Self::message_writer) does, for a sender that
    /// has its pieces in hand (a relay, an echo) rather than an
    /// `AsyncRead`. The rules are
    /// [`Connection::begin_message`](crate::Connection::begin_message)'s:
    /// [`Error::MessageStreaming`] while another message is being sent,
    /// [`Error::ConnectionClosed`] once a Close was.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use rfc6455::{Config, MessageKind, Role, WebSocket};
    /// let (ours, _theirs) = tokio::io::duplex(1 << 20);
    /// let mut ws = WebSocket::from_raw(ours, Role::Server, Config::default());
    /// ws.begin_message(MessageKind::Text)?;
    /// ws.feed_fragment(b"to be ", false).await?;
    /// ws.send_fragment(b"continued", true).await?; // the last piece, flushed
    /// assert_eq!(ws.buffered_amount(), 0);
    /// # Ok(()) }
    /// ```
    pub fn begin_message(&mut self, kind: MessageKind) -> Result<(), Error> {
        self.connection_mut().begin_message(kind)
    }

    /// Queues one piece of the message begun with
    /// [`begin_message`](Self::begin_message), `last` ending it, once there
    /// is room (output past `Config::write_buffer_size` is written first,
    /// within `Config::write_timeout`), without a flush: the piece is
    /// written by the next flush, the next read (`next()`,
    /// [`next_streamed`](Self::next_streamed)), or once the output passes
    /// the buffer size. The piece goes out as one frame, or as frames of
    /// at most `Config::max_outgoing_frame_size`, compressed as one stream
    /// with the message's other pieces under permessage-deflate.
    ///
    /// Fails with [`Error::NoMessageBegun`] when no message was begun.
    pub async fn feed_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        Target::Whole(self).feed_fragment(data, last).await
    }

    /// [`feed_fragment`](Self::feed_fragment), then a flush: the piece is
    /// written before this returns.
    pub async fn send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        Target::Whole(self).send_fragment(data, last).await
    }
}

/// One message written in fragments: an [`AsyncWrite`] made by
/// [`WebSocket::message_writer`]. `shutdown()` ends the message; a writer
/// dropped before leaves it unfinished (finish it with
/// [`Connection::send_fragment`](crate::Connection::send_fragment) on
/// [`WebSocket::connection_mut`], or close the connection).
#[derive(Debug)]
pub struct MessageWriter<'a, S> {
    ws: Target<'a, S>,
}

/// Where a [`MessageWriter`] writes: a whole WebSocket or its writing half.
#[derive(Debug)]
pub(super) enum Target<'a, S> {
    Whole(&'a mut WebSocket<S>),
    Half(&'a mut WriteHalf<S>),
}

impl<S> Target<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn is_sending_message(&self) -> bool {
        match self {
            Target::Whole(ws) => ws.connection().is_sending_message(),
            Target::Half(half) => half.is_sending_message(),
        }
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self {
            Target::Whole(ws) => Pin::new(&mut **ws).poll_ready(cx),
            Target::Half(half) => Pin::new(&mut **half).poll_ready(cx),
        }
    }

    fn start_send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        match self {
            Target::Whole(ws) => ws.start_send_fragment(data, last),
            Target::Half(half) => half.start_send_fragment(data, last),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self {
            Target::Whole(ws) => Pin::new(&mut **ws).poll_flush(cx),
            Target::Half(half) => Pin::new(&mut **half).poll_flush(cx),
        }
    }

    /// Queues a piece once there is room.
    pub(super) async fn feed_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await?;
        self.start_send_fragment(data, last)
    }

    /// Queues a piece once there is room, and flushes.
    pub(super) async fn send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        self.feed_fragment(data, last).await?;
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }
}

impl<'a, S> MessageWriter<'a, S> {
    /// A writer of the message begun on `ws`.
    pub(super) fn new(ws: Target<'a, S>) -> Self {
        MessageWriter { ws }
    }
}

impl<S> MessageWriter<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Whether the message is still open (`shutdown` not done).
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// let mut writer = ws.message_writer(rfc6455::MessageKind::Text)?;
    /// writer.write_all("hello".as_bytes()).await?;
    /// assert!(writer.is_open());
    /// writer.shutdown().await?;
    /// assert!(!writer.is_open());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.ws.is_sending_message()
    }
}

impl<S> AsyncWrite for MessageWriter<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.is_open() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the message was ended",
            )));
        }
        ready!(this.ws.poll_ready(cx)).map_err(io_error)?;
        let sent = this.ws.start_send_fragment(buf, false);
        Poll::Ready(sent.map(|()| buf.len()).map_err(io_error))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().ws.poll_flush(cx).map_err(io_error)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_open() {
            ready!(this.ws.poll_ready(cx)).map_err(io_error)?;
            this.ws.start_send_fragment(&[], true).map_err(io_error)?;
        }
        this.ws.poll_flush(cx).map_err(io_error)
    }
}

/// One message's data, read as it arrives: an [`AsyncRead`] made by
/// [`WebSocket::message_reader`] (which says what it reads and when it
/// ends).
#[derive(Debug)]
pub struct MessageReader<'a, S> {
    ws: Source<'a, S>,
    kind: Option<MessageKind>,
    /// What is left of the last chunk.
    chunk: Bytes,
    ended: bool,
}

/// What a [`MessageReader`] reads: a whole WebSocket or its reading half.
#[derive(Debug)]
pub(super) enum Source<'a, S> {
    Whole(&'a mut WebSocket<S>),
    Half(&'a mut ReadHalf<S>),
}

impl<'a, S> MessageReader<'a, S> {
    /// A reader of the message being streamed on `ws` (of `kind`), or of
    /// the next one (`kind` `None`).
    pub(super) fn new(ws: Source<'a, S>, kind: Option<MessageKind>) -> Self {
        MessageReader {
            ws,
            kind,
            chunk: Bytes::new(),
            ended: false,
        }
    }
}

impl<S> MessageReader<'_, S> {
    /// Text or Binary, once the message has begun (`None` before).
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> std::io::Result<()> {
    /// use tokio::io::AsyncReadExt;
    /// let mut reader = ws.message_reader();
    /// let mut first = [0u8; 1];
    /// reader.read_exact(&mut first).await?;
    /// assert!(reader.kind().is_some());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn kind(&self) -> Option<MessageKind> {
        self.kind
    }

    /// Whether the message's end was read.
    ///
    /// ```no_run
    /// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> std::io::Result<()> {
    /// let mut reader = ws.message_reader();
    /// tokio::io::copy(&mut reader, &mut tokio::io::sink()).await?;
    /// assert!(reader.is_ended());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn is_ended(&self) -> bool {
        self.ended && self.chunk.is_empty()
    }
}

impl<S> AsyncRead for MessageReader<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.chunk.is_empty() {
                super::take_into(&mut this.chunk, buf);
                return Poll::Ready(Ok(()));
            }
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            let event = ready!(match &mut this.ws {
                Source::Whole(ws) => ws.poll_next_streamed(cx),
                Source::Half(half) => half.poll_next_streamed(cx),
            });
            match event {
                Some(Ok(StreamEvent::MessageStart { kind })) => this.kind = Some(kind),
                Some(Ok(StreamEvent::Data(chunk))) => this.chunk = chunk,
                Some(Ok(StreamEvent::MessageEnd)) => this.ended = true,
                // A message `next()` had begun: it came whole.
                Some(Ok(StreamEvent::Message(Message::Text(text)))) => {
                    this.kind = Some(MessageKind::Text);
                    this.chunk = text.into_bytes();
                    this.ended = true;
                }
                Some(Ok(StreamEvent::Message(Message::Binary(data)))) => {
                    this.kind = Some(MessageKind::Binary);
                    this.chunk = data;
                    this.ended = true;
                }
                Some(Ok(StreamEvent::Message(Message::Close(frame)))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the peer closed the connection mid-message: {frame:?}"),
                    )));
                }
                // Ping (answered) and Pong.
                Some(Ok(_)) => {}
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
                None => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection ended mid-message",
                    )))
                }
            }
        }
    }
}
