//! [`WebSocket`]: a [`Connection`] driven over an async byte stream.

use crate::close::{CloseCode, CloseFrame};
use crate::config::Config;
use crate::connection::{Connection, Role, StreamEvent};
use crate::deflate::DeflateParams;
use crate::error::{Error, TimeoutKind};
use crate::message::Message;
use crate::prepared::PreparedMessage;
use crate::trace;
use bytes::BufMut;
use futures_core::Stream;
use futures_sink::Sink;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::observer::Observer;
use super::pool;
use super::shutdown::Listener;

/// How many bytes one read asks the transport for when nothing is
/// buffered (the read lands on the stack).
const READ_CHUNK: usize = 16 << 10;

/// At most this many pieces of output go into one vectored write (a
/// 64 KiB echo is two: its header and its payload).
const WRITE_PIECES: usize = 64;

/// A read for the rest of a big frame asks for at most this much at once.
const MAX_READ: usize = 1 << 20;

/// A connection waiting with nothing buffered keeps a read buffer up to
/// this size that cannot go back to the pool (`pool::release_idle`).
const KEEP_WHILE_WAITING: usize = 2 * READ_CHUNK;

/// A WebSocket over an async stream: a `Stream` of received [`Message`]s
/// and a `Sink` of messages to send.
///
/// Received Pings are answered automatically (the Ping is still yielded).
/// When the peer sends Close, the reply is flushed, the transport is
/// closed the way RFC 6455 §7.1.1 says (the server first; the client waits
/// for it, up to `Config::close_timeout`), then the Close is yielded and
/// the stream ends. When the peer breaks the protocol, the Close frame
/// with the code the RFC names is flushed and the closing finished before
/// the error is yielded, so a loop that stops at the first error still
/// answers the peer correctly.
///
/// A peer that stops reading cannot hold the connection: a write that
/// makes no progress for `Config::write_timeout` ends it with
/// [`Error::Timeout`] (`TimeoutKind::Write`), whichever call was writing,
/// and a Close that cannot be written within `Config::close_timeout` ends
/// the closing handshake with `TimeoutKind::Close`.
///
/// # Batched writes
///
/// Output is coalesced: frames queue in one buffer, and `next()` writes
/// everything queued, in one write, before it waits for input. So an echo
/// loop that queues with `SinkExt::feed` instead of `send` (which flushes
/// every message) answers all that one read brought with one write, the
/// way uWebSockets does; the buffer is also flushed once it passes
/// `Config::write_buffer_size`. Use `send` (or `flush`) whenever nothing
/// will call `next()` soon.
///
/// ```no_run
/// # async fn run(mut ws: rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// while let Some(msg) = ws.next().await {
///     let msg = msg?;
///     if msg.is_data() {
///         ws.feed(msg).await?; // written by the next `next()`
///     }
/// }
/// # Ok(()) }
/// ```
///
/// # Reading
///
/// ```no_run
/// # async fn run(ws: &mut rfc6455::WebSocket<tokio::net::TcpStream>) -> Result<(), rfc6455::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// while let Some(msg) = ws.next().await {
///     match msg? {
///         rfc6455::Message::Text(text) => println!("got {text}"),
///         rfc6455::Message::Close(frame) => println!("closed: {frame:?}"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WebSocket<S> {
    io: S,
    conn: Connection,
    /// A boxed `str`, not a `String`: 8 bytes less in every connection.
    protocol: Option<Box<str>>,
    /// Runs from the moment a Close is sent: bounds the closing handshake.
    close_deadline: Option<Pin<Box<Sleep>>>,
    /// `Config::idle_timeout` and `keepalive_interval`, restarted by input.
    idle: Option<Pin<Box<Sleep>>>,
    keepalive: Option<Pin<Box<Sleep>>>,
    /// `Config::write_timeout`: runs from the first write that made no
    /// progress; made on a stall, kept while output is pending, dropped
    /// once all of it is written.
    write_stall: Option<Pin<Box<Sleep>>>,
    /// `write_stall` runs for the present stall (no progress since it was
    /// set); cleared by any progress, so a stall later starts it anew.
    stalled: bool,
    /// Whether `Config::write_timeout` ended the connection.
    write_timed_out: WriteTimedOut,
    /// A [`Server`](super::Server)'s or a [`GoingAway`](super::GoingAway)'s
    /// shutdown: send 1001 when it fires.
    going_away: Option<Listener>,
    /// The server's counters, a client's span: told when this ends.
    observer: Observer,
    /// Set once no more events will come: what is left to yield.
    /// Boxed: only a connection that is ending needs it.
    closing: Option<Box<Closing>>,
    /// The transport returned end-of-file.
    eof: bool,
    /// The last read filled a stack chunk or more: read the next one
    /// into a pooled buffer, whatever is buffered.
    bulk: bool,
    /// Everything is over; the stream yields `None`.
    done: bool,
}

/// Whether the write timeout ended the connection, and whether the
/// reading side (`poll_next`) has yielded that error yet. The writing side
/// (`Sink`) returns it from every call after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteTimedOut {
    No,
    Untold,
    Told,
}

#[derive(Debug)]
struct Closing {
    /// The last item: the peer's Close, or the error that failed us.
    last: Option<Result<Message, Error>>,
    flushed: bool,
    shut_down: bool,
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wraps a stream whose opening handshake is already done (for
    /// example one upgraded by an HTTP server).
    /// The config is shared when given as an `Arc<Config>` (see
    /// [`Connection::with_deflate`]).
    pub fn from_raw(io: S, role: Role, config: impl Into<Arc<Config>>) -> Self {
        Self::from_raw_with_deflate(io, role, config, None)
    }

    /// Like [`from_raw`](Self::from_raw), for a handshake that agreed on
    /// permessage-deflate with `deflate`.
    pub fn from_raw_with_deflate(
        io: S,
        role: Role,
        config: impl Into<Arc<Config>>,
        deflate: Option<DeflateParams>,
    ) -> Self {
        WebSocket {
            io,
            idle: None,
            keepalive: None,
            write_stall: None,
            stalled: false,
            write_timed_out: WriteTimedOut::No,
            going_away: None,
            observer: Observer::default(),
            conn: Connection::with_deflate(role, config, deflate),
            protocol: None,
            close_deadline: None,
            closing: None,
            eof: false,
            bulk: false,
            done: false,
        }
    }

    /// The subprotocol the handshake selected, if any.
    #[must_use]
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Records the subprotocol the handshake selected, for a WebSocket
    /// made with [`from_raw`](Self::from_raw) after a handshake done
    /// elsewhere (hyper, axum: see `handshake::Request::accept_http`), so
    /// that [`protocol`](Self::protocol) reports it.
    pub fn set_protocol(&mut self, protocol: Option<String>) {
        self.protocol = protocol.map(String::into_boxed_str);
    }

    pub(crate) fn set_going_away(&mut self, listener: Listener) {
        self.going_away = Some(listener);
    }

    pub(crate) fn observer_mut(&mut self) -> &mut Observer {
        &mut self.observer
    }

    /// The sans-IO connection inside.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The sans-IO connection inside, mutably.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Bytes queued for the peer and not yet written to the transport
    /// ([`Connection::buffered_amount`]). Messages queued with
    /// `SinkExt::feed` wait here until a flush or the next `next()`; a
    /// peer that does not read keeps them here once the transport's own
    /// buffers are full. A broadcaster compares it with a mark of its own
    /// to skip or drop a subscriber that falls behind (see
    /// [`drain_to`](Self::drain_to) and [`PreparedMessage`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use futures_util::SinkExt;
    /// use rfc6455::{Config, Message, Role, WebSocket};
    /// let (ours, _theirs) = tokio::io::duplex(1 << 20);
    /// let mut ws = WebSocket::from_raw(ours, Role::Server, Config::default());
    /// ws.feed(Message::text("queued")).await?; // not written yet
    /// assert_eq!(ws.buffered_amount(), 8);
    /// ws.flush().await?;
    /// assert_eq!(ws.buffered_amount(), 0);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn buffered_amount(&self) -> usize {
        self.conn.buffered_amount()
    }

    /// Writes queued output until at most `mark` bytes are left
    /// ([`buffered_amount`](Self::buffered_amount)), waiting for the
    /// transport to take it; returns at once if no more than `mark`
    /// wait. `drain_to(0)` writes everything (and flushes the transport),
    /// like `SinkExt::flush`.
    ///
    /// Bounded like every write: when the transport takes nothing for
    /// `Config::write_timeout` (a peer that stopped reading), it fails
    /// with [`Error::Timeout`] (`TimeoutKind::Write`) and the connection
    /// is over. A broadcaster that would rather not wait so long wraps it
    /// in a timeout of its own, or reads `buffered_amount` and drops the
    /// subscriber.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use futures_util::SinkExt;
    /// use rfc6455::{Config, Message, Role, WebSocket};
    /// // A peer that reads nothing: its pipe holds 1 KiB.
    /// let (ours, _theirs) = tokio::io::duplex(1024);
    /// let mut ws = WebSocket::from_raw(ours, Role::Server, Config::default());
    /// ws.feed(Message::binary(vec![0u8; 4000])).await?;
    /// ws.drain_to(3000).await?; // the pipe took enough
    /// assert!(ws.buffered_amount() <= 3000);
    /// # Ok(()) }
    /// ```
    pub async fn drain_to(&mut self, mark: usize) -> Result<(), Error> {
        std::future::poll_fn(|cx| self.poll_drain_to(cx, mark)).await
    }

    /// The poll behind [`drain_to`](Self::drain_to).
    pub(super) fn poll_drain_to(
        &mut self,
        cx: &mut Context<'_>,
        mark: usize,
    ) -> Poll<Result<(), Error>> {
        self.poll_write_out_to(cx, mark)
    }

    /// Sends a message framed once for many connections (a broadcast; see
    /// [`PreparedMessage`]): waits for room as `SinkExt::send` does (the
    /// output passing `Config::write_buffer_size` is written first), queues
    /// it with [`Connection::send_prepared`], and flushes, within
    /// `Config::write_timeout`. Fails with [`Error::ConnectionClosed`]
    /// once a Close was sent.
    ///
    /// ```no_run
    /// # async fn run(subscribers: &mut [rfc6455::WebSocket<tokio::net::TcpStream>]) {
    /// let news = rfc6455::PreparedMessage::text("framed once");
    /// for ws in subscribers {
    ///     // One frame, shared; a subscriber that fails is dropped by the caller.
    ///     let _ = ws.send_prepared(&news).await;
    /// }
    /// # }
    /// ```
    pub async fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        self.feed_prepared(message).await?;
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Like [`send_prepared`](Self::send_prepared) without the flush, as
    /// `SinkExt::feed`: the message is written by the next flush, the next
    /// `next()`, or once the output passes `Config::write_buffer_size`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use rfc6455::{Config, PreparedMessage, Role, WebSocket};
    /// let (ours, _theirs) = tokio::io::duplex(1 << 20);
    /// let mut ws = WebSocket::from_raw(ours, Role::Server, Config::default());
    /// ws.feed_prepared(&PreparedMessage::text("hi")).await?;
    /// assert_eq!(ws.buffered_amount(), 4);
    /// # Ok(()) }
    /// ```
    pub async fn feed_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_ready(cx)).await?;
        self.start_send_prepared(message)
    }

    /// Queues a prepared message once `poll_ready` said there is room.
    pub(super) fn start_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        let _span = self.observer.enter();
        self.conn.send_prepared(message)
    }

    /// Queues a piece of the message being sent once `poll_ready` said
    /// there is room.
    pub(super) fn start_send_fragment(&mut self, data: &[u8], last: bool) -> Result<(), Error> {
        let _span = self.observer.enter();
        self.conn.send_fragment(data, last)
    }

    /// The transport.
    #[must_use]
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// Starts the closing handshake with `code` and `reason`, then waits
    /// (up to `Config::close_timeout`, which bounds writing our Close as
    /// well) for the peer's Close and the end of the transport, discarding
    /// messages that arrive meanwhile.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.write_timeout_error()?;
        if !self.conn.close_sent() {
            let _span = self.observer.enter();
            self.conn.close(Some(CloseFrame::new(code, reason)))?;
        }
        std::future::poll_fn(|cx| self.poll_close_handshake(cx)).await
    }

    fn poll_close_handshake(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            // A message being streamed is received (and dropped) as one.
            let next = if self.conn.is_streaming() {
                ready!(self.poll_next_item::<StreamEvent>(cx)).map(|item| item.map(drop))
            } else {
                ready!(self.poll_next_item::<Message>(cx)).map(|item| item.map(drop))
            };
            match next {
                None => return Poll::Ready(Ok(())),
                Some(Err(Error::AbnormalClosure)) if self.conn.close_sent() => {
                    return Poll::Ready(Ok(()))
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Queues a Close (1000) unless one was sent, and flushes the output
    /// within `Config::close_timeout`: the writing half's `poll_close`,
    /// which leaves reading the peer's answer to the reading half.
    pub(super) fn poll_send_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.write_timeout_error()?;
        if self.done {
            return Poll::Ready(Ok(()));
        }
        self.queue_normal_close()?;
        self.arm_close_deadline();
        match self.poll_write_out(cx) {
            Poll::Pending if self.close_timed_out(cx) => Poll::Ready(Err(Error::Timeout {
                what: TimeoutKind::Close,
            })),
            other => other,
        }
    }

    /// Queues a Close (1000) unless one was sent: how both `Sink` closes
    /// begin.
    fn queue_normal_close(&mut self) -> Result<(), Error> {
        let _span = self.observer.enter();
        if !self.conn.close_sent() {
            self.conn
                .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))?;
        }
        Ok(())
    }

    /// The error every write returns once `Config::write_timeout` ended
    /// the connection.
    fn write_timeout_error(&self) -> Result<(), Error> {
        match self.write_timed_out {
            WriteTimedOut::No => Ok(()),
            WriteTimedOut::Untold | WriteTimedOut::Told => Err(write_timeout()),
        }
    }

    /// The reading side has yielded the write timeout (or another error
    /// that ended the connection): it yields no other.
    fn write_timeout_told(&mut self) {
        if self.write_timed_out == WriteTimedOut::Untold {
            self.write_timed_out = WriteTimedOut::Told;
        }
    }

    /// Writes pending output until none is left (see
    /// [`poll_write_pending_to`](Self::poll_write_pending_to)), and ends the
    /// connection when the transport takes nothing for
    /// `Config::write_timeout`.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_write_out_to(cx, 0)
    }

    /// Writes pending output until at most `mark` bytes are left (all of
    /// it, then a flush of the transport, for 0), with the write timeout
    /// of [`poll_write_out`](Self::poll_write_out).
    fn poll_write_out_to(&mut self, cx: &mut Context<'_>, mark: usize) -> Poll<Result<(), Error>> {
        self.write_timeout_error()?;
        if self.done && self.conn.pending_output_len() > mark {
            // The connection is over (its closing handshake timed out, or
            // the transport failed): what is left will never be written,
            // and a flush must not wait for it.
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        match self.poll_write_pending_to(cx, mark) {
            Poll::Ready(result) => Poll::Ready(result.map_err(Error::from)),
            Poll::Pending if self.write_stalled_too_long(cx) => {
                trace::event!(DEBUG, timeout = ?self.conn.config().write_timeout, "write timeout");
                self.write_timed_out = WriteTimedOut::Untold;
                self.done = true;
                Poll::Ready(Err(write_timeout()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// A write could not proceed (the transport returned `Pending`): starts
    /// the write timeout if this is the first stall since the last
    /// progress, and tells whether it has elapsed. The timer is a `Sleep`
    /// polled with `cx`, so the task sleeps until the transport takes bytes
    /// or the timer fires: no polling in a loop while it waits. Progress
    /// within a write only clears `stalled` (the `Sleep` is reset at the
    /// next stall); a write that completes drops it.
    fn write_stalled_too_long(&mut self, cx: &mut Context<'_>) -> bool {
        let timeout = self.conn.config().write_timeout;
        let fresh = self.write_stall.is_none();
        let stall = self
            .write_stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if !fresh && !self.stalled {
            stall.as_mut().reset(deadline_after(timeout));
        }
        self.stalled = true;
        stall.as_mut().poll(cx).is_ready()
    }

    /// Writes pending output until at most `mark` bytes are left (none,
    /// then a flush of the transport, for 0): one write for all of it
    /// when it is one piece, one vectored write for all the pieces when
    /// big payloads were queued without a copy (and the transport takes
    /// vectored writes). Every byte taken, and a completed flush, is
    /// progress for the write timeout. Stopping early (`mark` > 0) keeps the
    /// write timer, which the next stall restarts, and asks the transport
    /// to flush what it took without waiting for it (a TLS stream may
    /// hold the last record until then).
    fn poll_write_pending_to(&mut self, cx: &mut Context<'_>, mark: usize) -> Poll<io::Result<()>> {
        while self.conn.pending_output_len() > mark {
            let io = Pin::new(&mut self.io);
            let first = self.conn.pending_output();
            let n = if first.len() < self.conn.pending_output_len() && io.is_write_vectored() {
                let mut pieces = [io::IoSlice::new(&[]); WRITE_PIECES];
                let filled = self.conn.pending_output_vectored(&mut pieces);
                ready!(io.poll_write_vectored(cx, &pieces[..filled]))?
            } else {
                ready!(io.poll_write(cx, first))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.conn.advance_output(n);
            self.stalled = false;
        }
        if mark > 0 {
            if let Poll::Ready(Err(e)) = Pin::new(&mut self.io).poll_flush(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(()));
        }
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        // Everything is written: the timer goes with the stall, so a
        // connection that waits idle after one holds no `Sleep`.
        self.stalled = false;
        self.write_stall = None;
        Poll::Ready(Ok(()))
    }

    /// Reads once from the transport into the connection. `Ok(0)` is EOF.
    ///
    /// With nothing buffered, no read buffer and no bulk input lately, the
    /// read lands in a buffer on the stack and only what arrived is copied
    /// into the connection, so a connection waiting for input holds no
    /// read buffer: 10,000 idle connections cost little memory. Otherwise
    /// (part of a frame buffered, or the last read filled a stack chunk)
    /// it reads straight into the connection's buffer, one taken from a
    /// per-thread pool (see `pool`), the rest of the frame and a little
    /// more (up to `MAX_READ` at a time); there the payloads are unmasked
    /// in place and handed out without a copy. Waiting with nothing
    /// buffered, the connection gives that buffer back to the pool.
    fn poll_read_in(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let input = self.conn.input_mut();
        let result = if input.is_empty() && input.capacity() < READ_CHUNK && !self.bulk {
            let mut storage = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut storage);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    if buf.filled().len() == READ_CHUNK {
                        // More is coming: into a pooled buffer, where the
                        // next read goes too.
                        pool::make_room(input, 2 * READ_CHUNK);
                    }
                    input.extend_from_slice(buf.filled());
                    Poll::Ready(Ok(buf.filled().len()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        } else {
            // The rest of the frame coming in (as its header told) and a
            // little more for what follows it, so that it takes one read.
            // No more: each read then ends near a frame's end, and what
            // follows it (a partial frame) moves to the buffer's start
            // while that is still in the cache; bigger reads measured
            // slower here, for this end and the peer's.
            let wanted = self
                .conn
                .frame_bytes_missing()
                .saturating_add(READ_CHUNK)
                .min(MAX_READ);
            let input = self.conn.input_mut();
            pool::make_room(input, wanted);
            let mut room = input.limit(wanted);
            let read = tokio::io::AsyncReadExt::read_buf(&mut self.io, &mut room);
            std::pin::pin!(read).poll(cx)
        };
        match &result {
            Poll::Ready(Ok(n)) => self.bulk = *n >= READ_CHUNK,
            Poll::Pending => {
                let input = self.conn.input_mut();
                if input.is_empty() {
                    // Waiting, with nothing buffered: keep no big buffer.
                    pool::release_idle(input, KEEP_WHILE_WAITING);
                }
            }
            Poll::Ready(Err(_)) => {}
        }
        match ready!(result) {
            // TLS reports a TCP end without `close_notify` this way. The
            // closing handshake already tells a complete WebSocket
            // conversation from a truncated one, so it is an EOF like TCP's.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(0)),
            other => Poll::Ready(other),
        }
    }

    fn arm_close_deadline(&mut self) {
        if self.close_deadline.is_none() {
            let timeout = self.conn.config().close_timeout;
            self.close_deadline = Some(Box::pin(tokio::time::sleep(timeout)));
        }
    }

    fn close_timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        self.close_deadline
            .as_mut()
            .is_some_and(|deadline| deadline.as_mut().poll(cx).is_ready())
    }

    /// The next whole message (or error); `None` once it is over.
    fn poll_next_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        self.poll_next_item(cx)
    }

    /// The reading loop, for whole messages or streamed events (`T`).
    pub(super) fn poll_next_item<T: Received>(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<T, Error>>> {
        let _span = self.observer.enter();
        loop {
            if self.write_timed_out == WriteTimedOut::Untold {
                // A write of the `Sink` timed out: the stream ends with it.
                self.write_timed_out = WriteTimedOut::Told;
                return Poll::Ready(Some(Err(write_timeout())));
            }
            if self.done {
                return Poll::Ready(None);
            }
            if self.closing.is_some() {
                ready!(self.poll_finish(cx));
                self.done = true;
                let last = self.closing.as_mut().and_then(|c| c.last.take());
                return Poll::Ready(last.map(|last| last.map(T::from_close)));
            }
            if self.conn.close_sent() {
                self.arm_close_deadline();
            }
            match T::next(&mut self.conn) {
                Ok(Some(item)) => match item.into_close() {
                    Ok(close) => {
                        self.start_closing(Some(Ok(close)));
                        continue;
                    }
                    Err(item) => return Poll::Ready(Some(Ok(item))),
                },
                Ok(None) => {}
                // A misuse, not a failure: the connection goes on.
                Err(Error::MessageStreaming) => {
                    return Poll::Ready(Some(Err(Error::MessageStreaming)))
                }
                Err(error) => {
                    self.start_closing(Some(Err(error)));
                    continue;
                }
            }
            if self.close_timed_out(cx) {
                // We sent Close and the peer never answered.
                trace::event!(DEBUG, timeout = ?self.conn.config().close_timeout, "close timeout");
                self.start_closing(Some(Err(Error::Timeout {
                    what: TimeoutKind::Close,
                })));
                continue;
            }
            if self.poll_idle(cx) {
                continue;
            }
            if let Some(listener) = &self.going_away {
                // Kept once fired: a `GoingAway` counts the WebSockets
                // that hold their listener until they are dropped.
                if self.conn.is_open() && listener.poll_fired(cx) {
                    // Open and never closed: this cannot fail.
                    let _ = self.conn.close(Some(CloseFrame::new(
                        CloseCode::GOING_AWAY,
                        "server shutting down",
                    )));
                    continue;
                }
            }
            // Coalesced output (Pongs) goes out before we wait for input;
            // past the buffer bound, stop reading until the peer reads.
            // The write timeout bounds both waits.
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx) {
                self.done = true;
                self.write_timeout_told();
                return Poll::Ready(Some(Err(e)));
            }
            if self.conn.is_output_full() {
                return Poll::Pending;
            }
            if self.eof {
                self.done = true;
                if self.conn.close_sent() {
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(Err(Error::AbnormalClosure)));
            }
            match ready!(self.poll_read_in(cx)) {
                Ok(0) => self.eof = true,
                Ok(_) => self.restart_idle_timers(),
                Err(e) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }

    /// Keep-alive and idle timeout: a Ping when the keep-alive interval
    /// passed without input; a Close (1001) and `Timeout { what: Idle }`
    /// when the idle timeout did. Returns true if it started closing.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.conn.is_open() {
            return false;
        }
        // Made on first use: a Sleep needs the runtime, `from_raw` does not.
        let config = self.conn.config();
        if let (None, Some(d)) = (&self.idle, config.idle_timeout) {
            self.idle = Some(Box::pin(tokio::time::sleep(d)));
        }
        if let (None, Some(d)) = (&self.keepalive, config.keepalive_interval) {
            self.keepalive = Some(Box::pin(tokio::time::sleep(d)));
        }
        if let Some(idle) = self.idle.as_mut() {
            if idle.as_mut().poll(cx).is_ready() {
                trace::event!(DEBUG, timeout = ?config.idle_timeout, "idle timeout");
                // Open and never closed: this cannot fail.
                let _ = self
                    .conn
                    .close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "idle timeout")));
                self.start_closing(Some(Err(Error::Timeout {
                    what: TimeoutKind::Idle,
                })));
                return true;
            }
        }
        let interval = self.conn.config().keepalive_interval;
        if let (Some(keepalive), Some(interval)) = (self.keepalive.as_mut(), interval) {
            if keepalive.as_mut().poll(cx).is_ready() {
                // A full output buffer already waits on the peer: no Ping.
                let _ = self.conn.send(Message::Ping(bytes::Bytes::new()));
                keepalive
                    .as_mut()
                    .reset(tokio::time::Instant::now() + interval);
                // Register the waker for the next round.
                let _ = keepalive.as_mut().poll(cx);
            }
        }
        false
    }

    fn restart_idle_timers(&mut self) {
        let config = self.conn.config();
        let now = tokio::time::Instant::now();
        if let (Some(timer), Some(d)) = (self.idle.as_mut(), config.idle_timeout) {
            timer.as_mut().reset(now + d);
        }
        if let (Some(timer), Some(d)) = (self.keepalive.as_mut(), config.keepalive_interval) {
            timer.as_mut().reset(now + d);
        }
    }

    fn start_closing(&mut self, last: Option<Result<Message, Error>>) {
        self.arm_close_deadline();
        self.closing = Some(Box::new(Closing {
            last,
            flushed: false,
            shut_down: false,
        }));
    }

    /// Finishes the connection: flush our Close, close the transport in
    /// the order §7.1.1 gives, and wait for the peer to close its side,
    /// all bounded by the close deadline.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(closing) = self.closing.as_ref() else {
            return Poll::Ready(());
        };
        if !closing.flushed {
            // Written first, the deadline checked after: a peer that read
            // while nothing polled us is not cut off for it.
            let flushed = match self.poll_write_out(cx) {
                Poll::Pending if self.close_timed_out(cx) => Err(Error::Timeout {
                    what: TimeoutKind::Close,
                }),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(flushed) => flushed,
            };
            let Some(closing) = self.closing.as_mut() else {
                return Poll::Ready(());
            };
            closing.flushed = true;
            match flushed {
                Ok(()) => {}
                Err(error @ Error::Timeout { .. }) => {
                    // Our Close never left: the peer's Close, if that is
                    // what ended the connection, did not end it cleanly.
                    // An error that started the closing stays the one told.
                    if matches!(closing.last, Some(Ok(_))) {
                        closing.last = Some(Err(error));
                    }
                    self.write_timeout_told();
                    return Poll::Ready(());
                }
                // The transport is gone (often a peer that sent its Close
                // and closed at once): the closing handshake is over.
                Err(_) => return Poll::Ready(()),
            }
        }
        if self.close_timed_out(cx) {
            // The peer kept its side open past the close timeout. Close
            // ours now (§7.1.1: a client "MAY close the connection at any
            // time after sending and receiving a Close message, e.g., if
            // it has not received a TCP Close from the server in a
            // reasonable time period"), rather than hold the transport
            // until this WebSocket is dropped. Best effort, once.
            if let Some(closing) = self.closing.as_mut() {
                if !closing.shut_down {
                    closing.shut_down = true;
                    let _ = Pin::new(&mut self.io).poll_shutdown(cx);
                }
            }
            return Poll::Ready(());
        }
        // The server closes first (and either side on failure); a client
        // waits for the server to do it.
        let close_first = self.conn.should_close_transport() || self.conn.role() == Role::Server;
        if close_first && !self.closing.as_ref().is_some_and(|c| c.shut_down) {
            // Errors here mean the transport is gone already: done either way.
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            if let Some(closing) = self.closing.as_mut() {
                closing.shut_down = true;
            }
        }
        // Drain until the peer closes, so that unread input does not turn
        // our close into a reset that could destroy the Close frame in
        // flight.
        let mut scratch = [0u8; 4096];
        while !self.eof {
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => self.eof = true,
                Ok(()) => {}
                Err(_) => self.eof = true,
            }
        }
        if !close_first {
            let _ = Pin::new(&mut self.io).poll_shutdown(cx);
        }
        Poll::Ready(())
    }
}

/// What the reading loop yields: whole messages ([`Message`]) or a
/// message's pieces as they arrive ([`StreamEvent`]).
pub(super) trait Received: Sized {
    /// The connection's next item.
    fn next(conn: &mut Connection) -> Result<Option<Self>, Error>;
    /// The peer's Close, if this is one: the last item, yielded once the
    /// closing is done.
    fn into_close(self) -> Result<Message, Self>;
    /// The peer's Close as an item.
    fn from_close(close: Message) -> Self;
}

impl Received for Message {
    fn next(conn: &mut Connection) -> Result<Option<Self>, Error> {
        conn.next_event()
    }

    fn into_close(self) -> Result<Message, Self> {
        match self {
            close @ Message::Close(_) => Ok(close),
            other => Err(other),
        }
    }

    fn from_close(close: Message) -> Self {
        close
    }
}

impl Received for StreamEvent {
    fn next(conn: &mut Connection) -> Result<Option<Self>, Error> {
        conn.next_streamed_event()
    }

    fn into_close(self) -> Result<Message, Self> {
        match self {
            StreamEvent::Message(close @ Message::Close(_)) => Ok(close),
            other => Err(other),
        }
    }

    fn from_close(close: Message) -> Self {
        StreamEvent::Message(close)
    }
}

/// The error of `Config::write_timeout`.
fn write_timeout() -> Error {
    Error::Timeout {
        what: TimeoutKind::Write,
    }
}

/// `timeout` from now, or a time too far to matter if that overflows (as
/// `tokio::time::sleep` does for a huge duration).
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400))
}

impl<S> Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_message(cx)
    }
}

impl<S> Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.write_timeout_error()?;
        if this.done || this.conn.close_sent() {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if this.conn.is_output_full()
            || this.conn.pending_output_len() >= this.conn.config().write_buffer_size
        {
            ready!(this.poll_write_out(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let this = self.get_mut();
        let _span = this.observer.enter();
        this.conn.send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        Poll::Ready(Ok(()))
    }

    /// Sends a Close (1000) unless one was sent, then completes the closing
    /// handshake, discarding messages that arrive meanwhile.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.write_timeout_error()?;
        if !this.done {
            this.queue_normal_close()?;
        }
        this.poll_close_handshake(cx)
    }
}

/// Reports how the connection ended (and counts it, in a server's stats),
/// however it ends: closed, failed, or dropped by its handler mid-way.
impl<S> Drop for WebSocket<S> {
    fn drop(&mut self) {
        self.observer.ended(&self.conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers our Close (here: sends one) but never closes
    /// TCP: at the close timeout our client closes its side, while the
    /// `WebSocket` is still held, instead of when it is dropped.
    #[tokio::test]
    async fn client_closes_its_side_at_the_close_timeout() {
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let config = Config::default().close_timeout(Duration::from_millis(100));
        let mut ws = WebSocket::from_raw(ours, Role::Client, config);
        // An unmasked Close with code 1000.
        theirs.write_all(&[0x88, 0x02, 0x03, 0xe8]).await.unwrap();
        let last = std::future::poll_fn(|cx| Pin::new(&mut ws).poll_next(cx)).await;
        assert!(matches!(last, Some(Ok(Message::Close(_)))), "{last:?}");
        let mut wrote = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), theirs.read_to_end(&mut wrote))
            .await
            .expect("our side closed while the WebSocket is held")
            .unwrap();
        // Our reply: a masked Close (code 1000, 4 bytes of key).
        assert_eq!(&wrote[..2], &[0x88, 0x82], "{wrote:02x?}");
        drop(ws);
    }
}
