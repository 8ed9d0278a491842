//! A second, RFC-literal implementation of the frame format (RFC 6455 §5.2),
//! written without the library, to check the library against.
//!
//! [`decode_header`] waits for every byte of a header and then applies the
//! rules a header alone can break, in the order the fields appear on the
//! wire. [`raw_frame`] writes a frame (any opcode, RSV bits and mask, so
//! it can break any rule) and [`read_frames`] reads back what a connection
//! wrote.

/// Opcodes as raw numbers (§5.2), so reserved ones can be written too.
pub const CONTINUATION: u8 = 0x0;
/// Text frame.
pub const TEXT: u8 = 0x1;
/// Binary frame.
pub const BINARY: u8 = 0x2;
/// Close frame.
pub const CLOSE: u8 = 0x8;
/// Ping frame.
pub const PING: u8 = 0x9;
/// Pong frame.
pub const PONG: u8 = 0xA;

/// A rule of §5.2 or §5.5 that a header breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Opcode 0x3–0x7 or 0xB–0xF (§5.2).
    ReservedOpcode(u8),
    /// A 64-bit length with its most significant bit set (§5.2).
    TopBitSet,
    /// A length not in the shortest form (§5.2: "the minimal number of
    /// bytes MUST be used to encode the length").
    NonMinimalLength,
    /// A control frame without FIN (§5.5).
    FragmentedControl,
    /// A control frame with more than 125 bytes of payload (§5.5).
    ControlTooLong(u64),
}

/// A header as the RFC lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// FIN.
    pub fin: bool,
    /// RSV1–3, RSV1 the high bit.
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The masking key, if MASK is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub len: u64,
    /// The header's size in bytes.
    pub header_len: usize,
}

/// What [`decode_header`] makes of some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// Not every byte of the header is there yet.
    Incomplete,
    /// A header that breaks no rule.
    Header(Header),
    /// A complete header that breaks this rule (the first one, in wire order).
    Error(HeaderError),
}

/// Decodes the header at the start of `buf` by the letter of §5.2.
pub fn decode_header(buf: &[u8]) -> Decoded {
    if buf.len() < 2 {
        return Decoded::Incomplete;
    }
    let fin = buf[0] & 0x80 != 0;
    let rsv = (buf[0] >> 4) & 0x7;
    let opcode = buf[0] & 0x0f;
    let masked = buf[1] & 0x80 != 0;
    let len7 = buf[1] & 0x7f;
    let len_bytes = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
    if buf.len() < header_len {
        return Decoded::Incomplete;
    }
    let len = match len_bytes {
        0 => u64::from(len7),
        n => buf[2..2 + n]
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    };
    let mask = masked.then(|| {
        let at = 2 + len_bytes;
        [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
    });
    let is_control = opcode & 0x8 != 0;
    let error = if !matches!(opcode, 0x0..=0x2 | 0x8..=0xa) {
        Some(HeaderError::ReservedOpcode(opcode))
    } else if len >> 63 != 0 {
        Some(HeaderError::TopBitSet)
    } else if (len_bytes == 2 && len < 126) || (len_bytes == 8 && len <= 0xffff) {
        Some(HeaderError::NonMinimalLength)
    } else if is_control && !fin {
        Some(HeaderError::FragmentedControl)
    } else if is_control && len > 125 {
        Some(HeaderError::ControlTooLong(len))
    } else {
        None
    };
    match error {
        Some(error) => Decoded::Error(error),
        None => Decoded::Header(Header {
            fin,
            rsv,
            opcode,
            mask,
            len,
            header_len,
        }),
    }
}

/// XORs `payload` with `key` from its first byte, one byte at a time (§5.3).
pub fn mask_bytes(payload: &mut [u8], key: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// A whole frame, shortest length form, payload masked with `mask` if given.
pub fn raw_frame(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + payload.len());
    out.push((u8::from(fin) << 7) | ((rsv & 0x7) << 4) | (opcode & 0xf));
    // §5.2: a length up to 125 fits the 7-bit field; 126 announces 16 more
    // bits, 127 announces 64; the shortest form that fits.
    let len = payload.len() as u64;
    let (len7, extended) = match len {
        0..=125 => (len as u8, 0),
        126..=0xffff => (126, 2),
        _ => (127, 8),
    };
    out.push(if mask.is_some() { 0x80 | len7 } else { len7 });
    out.extend_from_slice(&len.to_be_bytes()[8 - extended..]);
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        mask_bytes(&mut out[start..], key);
    }
    out
}

/// The masking key of [`client_frame`]: the one of RFC 6455 §5.7's examples.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as a client sends it (masked with [`KEY`], no RSV bits).
pub fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(fin, 0, opcode, Some(KEY), payload)
}

/// A frame as a server sends it (unmasked, no RSV bits).
pub fn server_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(fin, 0, opcode, None, payload)
}

/// A Close payload (§5.5.1): the code, big-endian, then the reason bytes.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

/// A frame read back from a connection's output, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN.
    pub fin: bool,
    /// RSV bits.
    pub rsv: u8,
    /// Opcode.
    pub opcode: u8,
    /// Whether it was masked.
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl Frame {
    /// The close code of a Close frame that carries one.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// Reads every frame of `buf`, which must hold whole, valid frames only.
pub fn read_frames(mut buf: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    while !buf.is_empty() {
        let header = match decode_header(buf) {
            Decoded::Header(header) => header,
            other => {
                panic!("the connection wrote an invalid or cut frame: {other:?} in {buf:02x?}")
            }
        };
        let end = header.header_len as u64 + header.len;
        assert!(
            end <= buf.len() as u64,
            "the connection wrote a cut frame: {header:?}, {} bytes left",
            buf.len()
        );
        let end = end as usize;
        let mut payload = buf[header.header_len..end].to_vec();
        if let Some(key) = header.mask {
            mask_bytes(&mut payload, key);
        }
        frames.push(Frame {
            fin: header.fin,
            rsv: header.rsv,
            opcode: header.opcode,
            masked: header.mask.is_some(),
            payload,
        });
        buf = &buf[end..];
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_5_7_examples() {
        // A single-frame unmasked text message "Hello".
        let hello = raw_frame(true, 0, TEXT, None, b"Hello");
        assert_eq!(hello, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        // A single-frame masked text message "Hello".
        let masked = raw_frame(true, 0, TEXT, Some(KEY), b"Hello");
        assert_eq!(
            masked,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        assert_eq!(read_frames(&masked)[0].payload, b"Hello");
        assert_eq!(
            decode_header(&[0x82, 126, 0, 5]),
            Decoded::Error(HeaderError::NonMinimalLength)
        );
    }
}
