//! Frame headers: decode and encode the base framing of RFC 6455 §5.2.
//!
//! Owns the wire layout of a header (FIN, RSV1–3, opcode, MASK, the 7/16/64
//! bit payload length and the masking key) and the rules a header alone can
//! break (reserved opcodes, the 64-bit length's top bit, control frame
//! size and fragmentation, §5.5). Rules that depend on the connection's
//! role or state (masking direction, RSV bits without an extension,
//! continuation order) are checked by the [`Connection`](crate::Connection).

use crate::error::ProtocolError;

/// The frame opcode (RFC 6455 §5.2, §11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// The opcode for a 4-bit value, or the reserved value as an error.
    pub fn from_u8(value: u8) -> Result<OpCode, ProtocolError> {
        Ok(match value {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => return Err(ProtocolError::ReservedOpcode(other)),
        })
    }

    /// The 4-bit wire value.
    #[must_use]
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (Close, Ping, Pong; §5.5).
    #[must_use]
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// The longest possible header: 2 bytes, 8 of extended length, 4 of mask.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A decoded frame header (RFC 6455 §5.2).
///
/// ```
/// use rfc6455::frame::{FrameHeader, OpCode};
/// let header = FrameHeader::new(true, OpCode::Text, Some([1, 2, 3, 4]), 300);
/// let mut wire = Vec::new();
/// header.encode(&mut wire);
/// assert_eq!(wire.len(), header.encoded_len());
/// assert_eq!(FrameHeader::decode(&wire), Ok(Some((header, wire.len()))));
/// // An incomplete header is not an error, just not there yet.
/// assert_eq!(FrameHeader::decode(&wire[..3]), Ok(None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the low three bits (RSV1 is `0b100`).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// A header with no RSV bits set.
    #[must_use]
    pub fn new(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload_len: u64) -> Self {
        FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask,
            payload_len,
        }
    }

    /// Decodes a header from the start of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a header, and the
    /// header with its length in bytes when it is complete. Errors on a
    /// reserved opcode, a 64-bit length with the top bit set, a length
    /// not in its shortest form (§5.2: "the minimal number of bytes MUST be
    /// used"; so every header that decodes re-encodes to the same bytes),
    /// and a control frame that is fragmented or longer than 125 bytes.
    pub fn decode(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        let [b0, b1, rest @ ..] = buf else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0x7;
        let opcode = OpCode::from_u8(b0 & 0x0f)?;
        let masked = b1 & 0x80 != 0;
        let (payload_len, len_bytes) = match b1 & 0x7f {
            126 => match rest {
                [a, b, ..] => {
                    let len = u16::from_be_bytes([*a, *b]);
                    if len < 126 {
                        return Err(ProtocolError::NonMinimalLength);
                    }
                    (u64::from(len), 2)
                }
                _ => return Ok(None),
            },
            127 => match rest.get(..8) {
                Some(bytes) => {
                    let mut be = [0; 8];
                    be.copy_from_slice(bytes);
                    let len = u64::from_be_bytes(be);
                    if len >> 63 != 0 {
                        return Err(ProtocolError::InvalidPayloadLength);
                    }
                    if len <= 0xffff {
                        return Err(ProtocolError::NonMinimalLength);
                    }
                    (len, 8)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 0),
        };
        if opcode.is_control() {
            if !fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(ProtocolError::ControlFrameTooLong(payload_len));
            }
        }
        let mut header_len = 2 + len_bytes;
        let mask = if masked {
            let Some(key) = buf.get(header_len..header_len + 4) else {
                return Ok(None);
            };
            header_len += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        Ok(Some((
            FrameHeader {
                fin,
                rsv,
                opcode,
                mask,
                payload_len,
            },
            header_len,
        )))
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Appends the header to `out`, with the shortest length encoding
    /// (§5.2: "the minimal number of bytes MUST be used").
    pub fn encode(&self, out: &mut Vec<u8>) {
        let b0 = (u8::from(self.fin) << 7) | ((self.rsv & 0x7) << 4) | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.push(b0);
        match self.payload_len {
            len @ 0..=125 => out.push(mask_bit | len as u8),
            len @ 126..=0xffff => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(header: FrameHeader) -> Vec<u8> {
        let mut out = Vec::new();
        header.encode(&mut out);
        out
    }

    #[test]
    fn lengths_use_7_16_and_64_bits() {
        for (len, wire_len) in [(0, 2), (125, 2), (126, 4), (0xffff, 4), (0x10000, 10)] {
            let header = FrameHeader::new(true, OpCode::Binary, None, len);
            let wire = encoded(header);
            assert_eq!(wire.len(), wire_len, "len {len}");
            assert_eq!(FrameHeader::decode(&wire), Ok(Some((header, wire_len))));
            for cut in 0..wire.len() {
                assert_eq!(FrameHeader::decode(&wire[..cut]), Ok(None), "cut {cut}");
            }
        }
    }

    #[test]
    fn non_minimal_lengths_are_errors() {
        assert_eq!(
            FrameHeader::decode(&[0x82, 126, 0, 125]),
            Err(ProtocolError::NonMinimalLength)
        );
        let mut wire = vec![0x82, 127];
        wire.extend_from_slice(&0xffffu64.to_be_bytes());
        assert_eq!(
            FrameHeader::decode(&wire),
            Err(ProtocolError::NonMinimalLength)
        );
        assert!(FrameHeader::decode(&[0x82, 126, 0, 126]).unwrap().is_some());
    }

    #[test]
    fn top_bit_of_64_bit_length_is_an_error() {
        let mut wire = vec![0x82, 127];
        wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(
            FrameHeader::decode(&wire),
            Err(ProtocolError::InvalidPayloadLength)
        );
    }

    #[test]
    fn reserved_opcodes_are_errors() {
        for op in (0x3..=0x7).chain(0xb..=0xf) {
            assert_eq!(
                FrameHeader::decode(&[0x80 | op, 0]),
                Err(ProtocolError::ReservedOpcode(op))
            );
        }
    }

    #[test]
    fn control_frames_must_be_short_and_final() {
        assert_eq!(
            FrameHeader::decode(&[0x09, 0]),
            Err(ProtocolError::FragmentedControlFrame)
        );
        assert_eq!(
            FrameHeader::decode(&[0x89, 126, 0, 126]),
            Err(ProtocolError::ControlFrameTooLong(126))
        );
        assert!(FrameHeader::decode(&[0x89, 125]).unwrap().is_some());
    }

    #[test]
    fn rsv_bits_and_mask_are_read() {
        let (header, len) = FrameHeader::decode(&[0xf1, 0x81, 1, 2, 3, 4])
            .unwrap()
            .unwrap();
        assert_eq!(len, 6);
        assert_eq!(header.rsv, 0b111);
        assert_eq!(header.mask, Some([1, 2, 3, 4]));
        assert_eq!(encoded(header), [0xf1, 0x81, 1, 2, 3, 4]);
    }
}
