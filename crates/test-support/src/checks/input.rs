//! Reading structure out of fuzzer bytes, by hand.
//!
//! Every read succeeds: past the end of the data it yields zeros and empty
//! slices, so any byte string decodes to some session, and a mutation of one
//! byte changes one decision.

use bytes::Bytes;
use rfc6455::deflate::DeflateParams;
use rfc6455::{CloseFrame, Message};

/// Codes a peer may close with (RFC 6455 §7.4.1).
const CLOSE_CODES: [u16; 6] = [1000, 1001, 1003, 1008, 1011, 4000];

/// A cursor over the fuzzer's bytes.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads from the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    /// The next byte, or 0 at the end.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((first, rest)) => {
                self.data = rest;
                *first
            }
            None => 0,
        }
    }

    /// The low bit of the next byte.
    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// The next four bytes.
    pub fn key(&mut self) -> [u8; 4] {
        [self.byte(), self.byte(), self.byte(), self.byte()]
    }

    /// Up to `n` next bytes (fewer at the end).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// permessage-deflate parameters (RFC 7692 §7.1) from one byte: no
    /// context takeover for the server (bit 0) and the client (bit 1),
    /// windows of 9 to 15 bits (bits 2-4, 5-7; zlib refuses 8 for raw
    /// DEFLATE).
    pub fn deflate_params(&mut self) -> DeflateParams {
        let b = self.byte();
        DeflateParams {
            server_no_context_takeover: b & 1 != 0,
            client_no_context_takeover: b & 2 != 0,
            server_max_window_bits: 9 + (b >> 2) % 7,
            client_max_window_bits: 9 + (b >> 5) % 7,
        }
    }

    /// A Ping, or a Pong if `pong`, with 0 to 125 bytes of payload.
    pub fn control(&mut self, pong: bool) -> Message {
        let len = usize::from(self.byte()) % 126;
        let payload = Bytes::from(self.payload(len));
        if pong {
            Message::Pong(payload)
        } else {
            Message::Ping(payload)
        }
    }

    /// A Close's code and reason, the reason cut to fit (§5.5.1).
    pub fn close_frame(&mut self) -> CloseFrame {
        let code = CLOSE_CODES[usize::from(self.byte()) % CLOSE_CODES.len()];
        let reason_len = usize::from(self.byte()) % 124;
        let reason = String::from_utf8_lossy(self.take(reason_len)).into_owned();
        let mut fits = reason.len().min(123);
        while !reason.is_char_boundary(fits) {
            fits -= 1;
        }
        CloseFrame::new(code, &reason[..fits])
    }

    /// Exactly `n` bytes: the next ones, then a fixed pattern once the data
    /// runs out, so a short input can still ask for a long payload.
    pub fn payload(&mut self, n: usize) -> Vec<u8> {
        let mut out = self.take(n).to_vec();
        let have = out.len();
        out.extend((have..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)));
        out
    }
}

/// Runs `check` on `count` random inputs of up to 200 bytes: a quick
/// stand-in for the fuzzer in unit tests.
#[cfg(test)]
pub(crate) fn random_inputs(check: fn(&[u8]), count: usize) {
    use crate::rng::{seeded, Rng};
    let mut rng = seeded(19);
    for _ in 0..count {
        let len = rng.random_range(0..200);
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        check(&data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_as_zeros() {
        let mut input = Input::new(&[1, 2, 3]);
        assert_eq!(input.u16(), 0x0102);
        assert_eq!(input.take(5), &[3]);
        assert!(input.is_empty());
        assert_eq!(input.byte(), 0);
        assert_eq!(input.payload(3).len(), 3);
    }
}
