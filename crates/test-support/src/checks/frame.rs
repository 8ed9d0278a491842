//! `frame_parser`: arbitrary bytes into [`FrameHeader::decode`], and a header
//! built from the bytes through [`FrameHeader::encode`].
//!
//! Must hold:
//! - the decoder agrees with the RFC-literal reference ([`wire::decode_header`]):
//!   the same fields, the same rule broken; it may reject earlier (from a
//!   prefix) than the reference, never later;
//! - a header that decodes re-encodes to the same bytes, and its length is
//!   [`FrameHeader::encoded_len`];
//! - every prefix of a complete header is `Ok(None)`, and bytes after it
//!   change nothing;
//! - any header encodes to bytes that decode back to it.

use super::input::Input;
use crate::wire::{self, Decoded, HeaderError};
use rfc6455::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};
use rfc6455::ProtocolError;

/// The checks of the `frame_parser` target.
pub fn check(data: &[u8]) {
    check_decode(data);
    check_encode(data);
}

/// The reference's view of a decoder error.
fn as_reference(error: ProtocolError) -> HeaderError {
    match error {
        ProtocolError::ReservedOpcode(op) => HeaderError::ReservedOpcode(op),
        ProtocolError::InvalidPayloadLength => HeaderError::TopBitSet,
        ProtocolError::FragmentedControlFrame => HeaderError::FragmentedControl,
        ProtocolError::ControlFrameTooLong(len) => HeaderError::ControlTooLong(len),
        // A variant added for the minimal-length rule, whatever its name.
        other if format!("{other:?}").contains("Minimal") => HeaderError::NonMinimalLength,
        other => panic!("FrameHeader::decode returned {other:?}, not a header-level rule"),
    }
}

fn check_decode(data: &[u8]) {
    let data = &data[..data.len().min(64)];
    let ours = FrameHeader::decode(data);
    let reference = wire::decode_header(data);
    match (ours, reference) {
        (Ok(Some((header, len))), Decoded::Header(expected)) => {
            assert_eq!(len, expected.header_len, "header length of {data:02x?}");
            assert_eq!(header.fin, expected.fin);
            assert_eq!(header.rsv, expected.rsv);
            assert_eq!(header.opcode.as_u8(), expected.opcode);
            assert_eq!(header.mask, expected.mask);
            assert_eq!(header.payload_len, expected.len);
            check_decoded_header(data, header, len);
        }
        (Ok(None), Decoded::Incomplete) => {
            // Whatever completes it, it decodes to something.
            assert!(data.len() < MAX_HEADER_LEN);
            let mut padded = data.to_vec();
            padded.resize(MAX_HEADER_LEN, 0);
            assert!(
                !matches!(FrameHeader::decode(&padded), Ok(None)),
                "{padded:02x?} is a whole header but decodes to Ok(None)"
            );
        }
        (Err(error), Decoded::Error(expected)) => {
            assert_eq!(as_reference(error), expected, "rule broken by {data:02x?}");
            assert_eq!(error.close_code().as_u16(), 1002);
            check_error_is_final(data, error);
        }
        (Err(error), Decoded::Incomplete) => {
            // Rejected from a prefix: any completion breaks the same rule.
            let mut padded = data.to_vec();
            padded.resize(MAX_HEADER_LEN, 0);
            assert_eq!(
                wire::decode_header(&padded),
                Decoded::Error(as_reference(error)),
                "{data:02x?} rejected early with {error:?}, but its completion is not"
            );
            check_error_is_final(data, error);
        }
        (ours, reference) => {
            panic!("FrameHeader::decode({data:02x?}) = {ours:?}, RFC 6455 §5.2 says {reference:?}")
        }
    }
}

/// A header that decoded from `data[..len]`.
fn check_decoded_header(data: &[u8], header: FrameHeader, len: usize) {
    let mut encoded = Vec::new();
    header.encode(&mut encoded);
    assert_eq!(
        encoded,
        &data[..len],
        "{header:?} decoded from {:02x?} re-encodes differently",
        &data[..len]
    );
    assert_eq!(header.encoded_len(), len);
    for cut in 0..len {
        assert_eq!(
            FrameHeader::decode(&data[..cut]),
            Ok(None),
            "prefix of {cut} bytes of {:02x?}",
            &data[..len]
        );
    }
    let mut longer = data[..len].to_vec();
    longer.extend_from_slice(&[0xff; 16]);
    assert_eq!(FrameHeader::decode(&longer), Ok(Some((header, len))));
}

/// An error does not go away with more bytes.
fn check_error_is_final(data: &[u8], error: ProtocolError) {
    for fill in [0x00, 0xff] {
        let mut longer = data.to_vec();
        longer.extend_from_slice(&[fill; 16]);
        assert_eq!(
            FrameHeader::decode(&longer),
            Err(error),
            "{data:02x?} + {fill:#x}s"
        );
    }
}

/// A header built from the bytes encodes to bytes that decode back to it.
fn check_encode(data: &[u8]) {
    let mut input = Input::new(data);
    let b0 = input.byte();
    let opcode = match b0 & 0x7 {
        0 => OpCode::Continuation,
        1 => OpCode::Text,
        2 => OpCode::Binary,
        3 => OpCode::Close,
        4 => OpCode::Ping,
        _ => OpCode::Pong,
    };
    let fin = b0 & 0x80 != 0 || opcode.is_control();
    let rsv = (b0 >> 4) & 0x7;
    let mask = (b0 & 0x08 != 0).then(|| input.key());
    let raw_len = u64::from_be_bytes([
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
        input.byte(),
    ]);
    // Spread the lengths over the three encodings and their edges.
    let payload_len = match raw_len >> 62 {
        0 if opcode.is_control() => raw_len % 126,
        0 => raw_len % 128,
        1 => 120 + raw_len % 16,
        2 => 0xfff0 + raw_len % 32,
        _ => raw_len & (u64::MAX >> 1),
    };
    let payload_len = if opcode.is_control() {
        payload_len % 126
    } else {
        payload_len
    };
    let header = FrameHeader {
        rsv,
        ..FrameHeader::new(fin, opcode, mask, payload_len)
    };
    let mut encoded = Vec::new();
    header.encode(&mut encoded);
    assert_eq!(encoded.len(), header.encoded_len(), "{header:?}");
    assert_eq!(
        FrameHeader::decode(&encoded),
        Ok(Some((header, encoded.len()))),
        "{header:?} encoded as {encoded:02x?}"
    );
    assert_eq!(
        wire::decode_header(&encoded),
        Decoded::Header(wire::Header {
            fin,
            rsv,
            opcode: opcode.as_u8(),
            mask,
            len: payload_len,
            header_len: encoded.len(),
        }),
        "{header:?} encoded as {encoded:02x?}, not as §5.2 lays it out"
    );
}
