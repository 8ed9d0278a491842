//! Messages as the application sees them: whole Text and Binary messages
//! and the control frames Ping, Pong and Close (RFC 6455 §5.4–§5.6).

use crate::close::CloseFrame;
use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// Bytes that are known to be valid UTF-8; cheap to clone, derefs to `str`.
///
/// ```
/// use rfc6455::Utf8Bytes;
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(text.as_str(), "héllo");
/// assert!(Utf8Bytes::try_from(bytes::Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The invariant of this type: the bytes are valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps into the underlying bytes.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Wraps bytes the caller has already validated.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }
}

impl Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Utf8Bytes(bytes))
    }
}

/// A WebSocket message.
///
/// A received message whose frame arrived whole points into the buffer it
/// was read into (no copy), so keeping it keeps that buffer (its frame and
/// what one read brought with it: 128 KiB for a 64 KiB message in the
/// tokio layer). To store messages for long, copy them
/// (`Bytes::copy_from_slice`).
///
/// ```
/// use rfc6455::Message;
/// let m = Message::text("hi");
/// assert!(m.is_data());
/// assert_eq!(m.payload().as_ref(), b"hi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (opcode 0x1), valid UTF-8.
    Text(Utf8Bytes),
    /// A binary message (opcode 0x2).
    Binary(Bytes),
    /// A Ping (opcode 0x9), at most 125 bytes. The connection answers
    /// received pings by itself.
    Ping(Bytes),
    /// A Pong (opcode 0xA), at most 125 bytes.
    Pong(Bytes),
    /// A Close (opcode 0x8), with its code and reason if it had one.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Message::Binary(data.into())
    }

    /// Whether this is a Text or Binary message.
    #[must_use]
    pub fn is_data(&self) -> bool {
        matches!(self, Message::Text(_) | Message::Binary(_))
    }

    /// A Ping with `data` (at most 125 bytes, RFC 6455 §5.5).
    pub fn ping(data: impl Into<Bytes>) -> Self {
        Message::Ping(data.into())
    }

    /// A Pong with `data` (at most 125 bytes, RFC 6455 §5.5).
    pub fn pong(data: impl Into<Bytes>) -> Self {
        Message::Pong(data.into())
    }

    /// Whether this is a Text message.
    #[must_use]
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// Whether this is a Binary message.
    #[must_use]
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// Whether this is a Ping.
    #[must_use]
    pub fn is_ping(&self) -> bool {
        matches!(self, Message::Ping(_))
    }

    /// Whether this is a Pong.
    #[must_use]
    pub fn is_pong(&self) -> bool {
        matches!(self, Message::Pong(_))
    }

    /// Whether this is a Close.
    #[must_use]
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close(_))
    }

    /// The payload's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
            Message::Close(Some(frame)) => 2 + frame.reason.len(),
            Message::Close(None) => 0,
        }
    }

    /// Whether the payload is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as bytes, without a copy for data, Ping and Pong
    /// (for Close, the encoded code and reason).
    #[must_use]
    pub fn into_data(self) -> Bytes {
        match self {
            Message::Text(t) => t.into_bytes(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b,
            close @ Message::Close(_) => close.payload(),
        }
    }

    /// The payload as text: a Text message as it is, any other payload if
    /// it is valid UTF-8 (a Close gives its reason), without a copy.
    ///
    /// ```
    /// use rfc6455::Message;
    /// assert_eq!(Message::binary(&b"caf\xc3\xa9"[..]).into_text().unwrap().as_str(), "café");
    /// assert!(Message::binary(vec![0xff]).into_text().is_err());
    /// ```
    pub fn into_text(self) -> Result<Utf8Bytes, std::str::Utf8Error> {
        match self {
            Message::Text(t) => Ok(t),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => Utf8Bytes::try_from(b),
            Message::Close(Some(frame)) => Ok(Utf8Bytes::from(frame.reason)),
            Message::Close(None) => Ok(Utf8Bytes::default()),
        }
    }

    /// The payload as `&str` if it is valid UTF-8 (a Close gives its
    /// reason).
    pub fn to_text(&self) -> Result<&str, std::str::Utf8Error> {
        match self {
            Message::Text(t) => Ok(t.as_str()),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => std::str::from_utf8(b),
            Message::Close(Some(frame)) => Ok(&frame.reason),
            Message::Close(None) => Ok(""),
        }
    }

    /// The payload bytes (for Close, the encoded code and reason).
    #[must_use]
    pub fn payload(&self) -> Bytes {
        match self {
            Message::Text(t) => t.as_bytes().clone(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.clone(),
            Message::Close(Some(frame)) => frame.to_payload(),
            Message::Close(None) => Bytes::new(),
        }
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(s.into())
    }
}

impl From<&'static str> for Message {
    fn from(s: &'static str) -> Self {
        Message::Text(s.into())
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Message::Binary(v.into())
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}
