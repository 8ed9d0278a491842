//! Reading structure out of fuzzer bytes, by hand.
//!
//! Every read succeeds: past the end of the data it yields zeros and empty
//! slices, so any byte string decodes to some session, and a mutation of one
//! byte changes one decision.

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

    /// Exactly `n` bytes: the next ones, then a fixed pattern once the data
    /// runs out, so a short input can still ask for a long payload.
    pub fn payload(&mut self, n: usize) -> Vec<u8> {
        let mut out = self.take(n).to_vec();
        let have = out.len();
        out.extend((have..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)));
        out
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
