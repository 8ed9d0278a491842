//! Close codes and the Close frame body (RFC 6455 §5.5.1, §7.4).
//!
//! Owns which codes may appear on the wire and how a Close payload is parsed
//! and built. It does not own the closing handshake itself, which lives in
//! the [`Connection`](crate::Connection).

use crate::error::ProtocolError;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// A status code carried by a Close frame (RFC 6455 §7.4).
///
/// ```
/// use rfc6455::CloseCode;
/// assert_eq!(CloseCode::PROTOCOL_ERROR.as_u16(), 1002);
/// assert!(CloseCode::from(3000).is_valid_on_wire());
/// assert!(!CloseCode::from(1005).is_valid_on_wire());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page left).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present (never sent on the wire).
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a Close frame (never sent).
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: a message's data was inconsistent with its type (bad UTF-8).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1015: TLS handshake failure (never sent on the wire).
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// The numeric code.
    #[must_use]
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this code may be sent in a Close frame: 1000–1003,
    /// 1007–1011 and the registered/private range 3000–4999 (RFC 6455
    /// §7.4.1, §7.4.2). 1004–1006 and 1015 are reserved, 0–999 unused,
    /// 1012–2999 reserved for future RFCs, 5000 and up undefined.
    #[must_use]
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1011 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The body of a Close frame: a code and a UTF-8 reason (RFC 6455 §5.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// Why, for humans. At most 123 bytes so the frame fits in 125.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with this code and reason.
    pub fn new(code: impl Into<CloseCode>, reason: impl Into<String>) -> Self {
        CloseFrame {
            code: code.into(),
            reason: reason.into(),
        }
    }

    /// Parses a received Close payload. Empty means no code (`Ok(None)`);
    /// one byte, or a code not valid on the wire, is a protocol error (1002);
    /// a reason that is not UTF-8 is 1007 (RFC 6455 §5.5.1, §7.4.1).
    pub fn parse(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
        match payload {
            [] => Ok(None),
            [_] => Err(ProtocolError::InvalidCloseLength),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_valid_on_wire() {
                    return Err(ProtocolError::InvalidCloseCode(code.0));
                }
                let reason = std::str::from_utf8(reason)
                    .map_err(|_| ProtocolError::InvalidUtf8)?
                    .to_owned();
                Ok(Some(CloseFrame { code, reason }))
            }
        }
    }

    /// The payload bytes of this close frame; a reason longer than 123
    /// bytes is cut at a character boundary so the payload fits in 125.
    #[must_use]
    pub fn to_payload(&self) -> Bytes {
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        let mut out = BytesMut::with_capacity(2 + end);
        out.put_u16(self.code.0);
        out.put_slice(&self.reason.as_bytes()[..end]);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_match_rfc_ranges() {
        let valid: Vec<u16> = (0..=u16::MAX)
            .filter(|c| CloseCode(*c).is_valid_on_wire())
            .collect();
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1011)
            .chain(3000..=4999)
            .collect();
        assert_eq!(valid, expected);
    }

    #[test]
    fn parse_rejects_one_byte_and_bad_utf8() {
        assert_eq!(
            CloseFrame::parse(&[3]),
            Err(ProtocolError::InvalidCloseLength)
        );
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xe8, 0xff]),
            Err(ProtocolError::InvalidUtf8)
        );
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xed]),
            Err(ProtocolError::InvalidCloseCode(1005))
        );
        assert_eq!(CloseFrame::parse(&[]), Ok(None));
    }

    #[test]
    fn payload_round_trips_and_truncates_on_char_boundary() {
        let frame = CloseFrame::new(1000, "bye");
        assert_eq!(CloseFrame::parse(&frame.to_payload()), Ok(Some(frame)));
        let long = CloseFrame::new(4000, "é".repeat(100));
        let payload = long.to_payload();
        assert!(payload.len() <= 125);
        assert!(CloseFrame::parse(&payload).is_ok());
    }
}
