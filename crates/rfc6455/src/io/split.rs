//! [`WebSocket::split`]: a reading half and a writing half that can live
//! in different tasks.
//!
//! Both halves share the one [`WebSocket`] behind a mutex held only for the
//! length of a poll, never across an await. What this module adds over
//! `futures`' generic `StreamExt::split` is waking: the reading half also
//! writes (Pongs, the Close echo) and the writing half can be blocked on
//! the same socket, so a transport that keeps one waker per direction
//! would forget one half's waker when the other half polls. Here every
//! poll of the socket uses a waker that wakes both halves; a half woken
//! for nothing polls once and waits again.

use super::stream::WebSocket;
use super::streaming::{MessageReader, MessageWriter, Source, Target};
use crate::connection::{MessageKind, StreamEvent};
use crate::error::Error;
use crate::message::Message;
use crate::prepared::PreparedMessage;
use futures_core::Stream;
use futures_sink::Sink;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite};

/// What both halves hold.
struct Shared<S> {
    ws: Mutex<WebSocket<S>>,
    wakers: Arc<Wakers>,
}

/// The wakers of the two halves' tasks, woken together.
#[derive(Default)]
struct Wakers {
    read: Mutex<Option<Waker>>,
    write: Mutex<Option<Waker>>,
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Taken, not cloned: a half registers again each time it polls.
        // The lock is released before waking, so a waker that runs its
        // task inline cannot deadlock on it.
        let read = lock(&self.read).take();
        let write = lock(&self.write).take();
        for waker in [read, write].into_iter().flatten() {
            waker.wake();
        }
    }
}

/// A poisoned lock only means another half panicked mid-poll; the
/// connection's state is still consistent (each call leaves it so).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S> Shared<S> {
    /// Runs `f` on the socket with a waker that wakes both halves, after
    /// storing `cx`'s waker in `slot`.
    fn poll_with<T>(
        &self,
        slot: &Mutex<Option<Waker>>,
        cx: &Context<'_>,
        f: impl FnOnce(Pin<&mut WebSocket<S>>, &mut Context<'_>) -> T,
    ) -> T
    where
        S: Unpin,
    {
        {
            let mut slot = lock(slot);
            match &*slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        let both = Waker::from(Arc::clone(&self.wakers));
        let mut inner = Context::from_waker(&both);
        let mut ws = lock(&self.ws);
        f(Pin::new(&mut *ws), &mut inner)
    }
}

/// The reading half of a [`WebSocket`]: a `Stream` of received messages.
///
/// It answers Pings and runs the closing handshake as the whole
/// `WebSocket` does; keep polling it until it ends (`None`) so that the
/// peer's Close is answered and the transport closed (RFC 6455 §7.1.1).
pub struct ReadHalf<S> {
    shared: Arc<Shared<S>>,
}

/// The writing half of a [`WebSocket`]: a `Sink` of messages to send.
///
/// `close()` (from `SinkExt`) sends a Close frame (1000) and flushes it;
/// the rest of the closing handshake (the peer's Close, then the end of the
/// transport) is the [`ReadHalf`]'s to see, so keep reading after it.
pub struct WriteHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S> fmt::Debug for ReadHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for WriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}

/// [`ReadHalf::reunite`] was given halves of two different WebSockets;
/// both are handed back.
pub struct ReuniteError<S>(pub ReadHalf<S>, pub WriteHalf<S>);

impl<S> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves belong to different WebSockets")
    }
}

impl<S> std::error::Error for ReuniteError<S> {}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Splits the WebSocket into a writing half (a `Sink`) and a reading
    /// half (a `Stream`) that can be moved to different tasks: the order and
    /// use of `futures`' `StreamExt::split`, which tokio-tungstenite users
    /// call, so their `let (write, read) = ws.split();` works unchanged.
    ///
    /// ```no_run
    /// # async fn run(ws: rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// use futures_util::{SinkExt, StreamExt};
    /// use rfc6455::Message;
    ///
    /// let (mut writer, mut reader) = ws.split();
    /// // A task that sends a tick every second while this one reads.
    /// let ticker = tokio::spawn(async move {
    ///     for i in 0.. {
    ///         writer.send(Message::text(format!("tick {i}"))).await?;
    ///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///     }
    ///     Ok::<_, rfc6455::Error>(())
    /// });
    /// while let Some(msg) = reader.next().await {
    ///     println!("< {:?}", msg?);
    /// }
    /// ticker.abort();
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn split(self) -> (WriteHalf<S>, ReadHalf<S>) {
        let shared = Arc::new(Shared {
            ws: Mutex::new(self),
            wakers: Arc::default(),
        });
        let write = WriteHalf {
            shared: Arc::clone(&shared),
        };
        (write, ReadHalf { shared })
    }
}

impl<S> ReadHalf<S> {
    /// Whether `writer` is the other half of this one.
    #[must_use]
    pub fn is_pair_of(&self, writer: &WriteHalf<S>) -> bool {
        Arc::ptr_eq(&self.shared, &writer.shared)
    }

    /// Puts the two halves back together.
    pub fn reunite(self, writer: WriteHalf<S>) -> Result<WebSocket<S>, ReuniteError<S>> {
        if !self.is_pair_of(&writer) {
            return Err(ReuniteError(self, writer));
        }
        drop(writer);
        match Arc::try_unwrap(self.shared) {
            Ok(shared) => Ok(shared
                .ws
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)),
            // Two halves exist only as this pair, and the writer is gone.
            Err(_) => unreachable!("a split WebSocket has exactly two halves"),
        }
    }
}

impl<S> WriteHalf<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Bytes queued for the peer and not yet written
    /// ([`WebSocket::buffered_amount`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use rfc6455::{Config, PreparedMessage, Role, WebSocket};
    /// let (ours, _theirs) = tokio::io::duplex(1 << 20);
    /// let (mut writer, _reader) = WebSocket::from_raw(ours, Role::Server, Config::default()).split();
    /// writer.feed_prepared(&PreparedMessage::text("hi")).await?;
    /// assert_eq!(writer.buffered_amount(), 4);
    /// writer.drain_to(0).await?;
    /// assert_eq!(writer.buffered_amount(), 0);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared.ws).buffered_amount()
    }

    /// Writes queued output until at most `mark` bytes are left, within
    /// `Config::write_timeout` ([`WebSocket::drain_to`]).
    ///
    /// ```no_run
    /// # async fn run(mut writer: rfc6455::WriteHalf<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// writer.drain_to(64 << 10).await?; // at most 64 KiB left behind
    /// # Ok(()) }
    /// ```
    pub async fn drain_to(&mut self, mark: usize) -> Result<(), Error> {
        let shared = &self.shared;
        std::future::poll_fn(|cx| {
            shared.poll_with(&shared.wakers.write, cx, |ws, cx| {
                ws.get_mut().poll_drain_to(cx, mark)
            })
        })
        .await
    }

    /// Sends a message framed once for many connections and flushes it
    /// ([`WebSocket::send_prepared`]).
    ///
    /// ```no_run
    /// # async fn run(mut writer: rfc6455::WriteHalf<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// let news = rfc6455::PreparedMessage::text("to everyone");
    /// writer.send_prepared(&news).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        self.feed_prepared(message).await?;
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Queues a message framed once for many connections, without a
    /// flush ([`WebSocket::feed_prepared`]).
    ///
    /// ```no_run
    /// # async fn run(mut writer: rfc6455::WriteHalf<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// use futures_util::SinkExt;
    /// writer.feed_prepared(&rfc6455::PreparedMessage::text("one")).await?;
    /// writer.feed_prepared(&rfc6455::PreparedMessage::text("two")).await?;
    /// writer.flush().await?; // both in one write
    /// # Ok(()) }
    /// ```
    pub async fn feed_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_ready(cx)).await?;
        lock(&self.shared.ws).start_send_prepared(message)
    }

    /// Begins a message of `kind` and returns an `AsyncWrite` that sends
    /// it in fragments ([`WebSocket::message_writer`]), while the reading
    /// half goes on receiving: a file uploaded as one message while the
    /// peer's answers are read.
    ///
    /// ```no_run
    /// # async fn run(mut writer: rfc6455::WriteHalf<tokio::net::TcpStream>) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// let mut file = tokio::fs::File::open("upload.bin").await?;
    /// let mut message = writer.message_writer(rfc6455::MessageKind::Binary)?;
    /// tokio::io::copy(&mut file, &mut message).await?;
    /// message.shutdown().await?; // the last fragment
    /// # Ok(()) }
    /// ```
    pub fn message_writer(&mut self, kind: MessageKind) -> Result<MessageWriter<'_, S>, Error> {
        self.begin_message(kind)?;
        Ok(MessageWriter::new(Target::Half(self)))
    }

    /// Begins a message sent in pieces ([`WebSocket::begin_message`]).
    ///
    /// ```no_run
    /// # async fn run(mut writer: rfc6455::WriteHalf<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// writer.begin_message(rfc6455::MessageKind::Text)?;
    /// for token in ["streamed ", "token ", "by token"] {
    ///     writer.send_fragment(token.as_bytes(), false).await?;
    /// }
    /// writer.send_fragment(&[], true).await?;
    /// # Ok(()) }
    /// ```
    pub fn begin_message(&mut self, kind: MessageKind) -> Result<(), Error> {
        lock(&self.shared.ws).begin_message(kind)
    }

    /// Queues a piece of the message begun, without a flush
    /// ([`WebSocket::feed_fragment`]).
    pub async fn feed_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        Target::Half(self).feed_fragment(data, last).await
    }

    /// Sends a piece of the message begun and flushes it
    /// ([`WebSocket::send_fragment`]).
    pub async fn send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        Target::Half(self).send_fragment(data, last).await
    }

    /// Whether a message begun is still being sent.
    pub(super) fn is_sending_message(&self) -> bool {
        lock(&self.shared.ws).connection().is_sending_message()
    }

    /// Queues a piece once `poll_ready` said there is room.
    pub(super) fn start_send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        lock(&self.shared.ws).start_send_fragment(data, last)
    }
}

impl<S> Stream for ReadHalf<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let shared = &self.shared;
        shared.poll_with(&shared.wakers.read, cx, |ws, cx| ws.poll_next(cx))
    }
}

impl<S> ReadHalf<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// [`WebSocket::next_streamed`] on the reading half: a message's
    /// pieces as they arrive.
    ///
    /// ```no_run
    /// # async fn run(ws: rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
    /// let (_writer, mut reader) = ws.split();
    /// while let Some(event) = reader.next_streamed().await {
    ///     if let rfc6455::StreamEvent::Data(chunk) = event? {
    ///         println!("{} bytes", chunk.len());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_streamed(&mut self) -> Option<Result<StreamEvent, Error>> {
        std::future::poll_fn(|cx| self.poll_next_streamed(cx)).await
    }

    /// One message's data as an `AsyncRead` ([`WebSocket::message_reader`]),
    /// while the writing half goes on sending.
    ///
    /// ```no_run
    /// # async fn run(mut reader: rfc6455::ReadHalf<tokio::net::TcpStream>) -> std::io::Result<()> {
    /// let mut file = tokio::fs::File::create("download.bin").await?;
    /// let written = tokio::io::copy(&mut reader.message_reader(), &mut file).await?;
    /// println!("{written} bytes");
    /// # Ok(()) }
    /// ```
    pub fn message_reader(&mut self) -> MessageReader<'_, S> {
        let kind = lock(&self.shared.ws).connection().streamed_kind();
        MessageReader::new(Source::Half(self), kind)
    }

    /// [`next_streamed`](Self::next_streamed) as a poll.
    pub fn poll_next_streamed(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamEvent, Error>>> {
        let shared = &self.shared;
        shared.poll_with(&shared.wakers.read, cx, |ws, cx| {
            ws.get_mut().poll_next_streamed(cx)
        })
    }
}

impl<S> Sink<Message> for WriteHalf<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let shared = &self.shared;
        shared.poll_with(&shared.wakers.write, cx, |ws, cx| ws.poll_ready(cx))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut *lock(&self.shared.ws)).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let shared = &self.shared;
        shared.poll_with(&shared.wakers.write, cx, |ws, cx| ws.poll_flush(cx))
    }

    /// Sends a Close (1000) unless one was sent, and flushes it. The
    /// peer's answer arrives on the [`ReadHalf`].
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let shared = &self.shared;
        shared.poll_with(&shared.wakers.write, cx, |ws, cx| {
            ws.get_mut().poll_send_close(cx)
        })
    }
}
