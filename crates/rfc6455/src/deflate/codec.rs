//! permessage-deflate compression (RFC 7692 §6, §7.2): the compressor and
//! decompressor of one connection, with decompressed output counted as it
//! is produced so a small message cannot expand past the limit.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The bytes a sync flush ends with, removed on send and put back on
/// receive (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Why inflating a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The decompressed message would pass the limit; `len` is how much
    /// was produced when it was stopped.
    TooLong {
        /// Bytes produced so far (more than the limit).
        len: usize,
    },
    /// The compressed data is not valid DEFLATE.
    Invalid,
}

/// The decompressor of one direction of a connection.
///
/// ```
/// use rfc6455::deflate::Inflater;
/// // RFC 7692 §7.2.3.1: "Hello" compressed, tail removed.
/// let mut inflater = Inflater::new(15, false);
/// let mut out = Vec::new();
/// inflater.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 1024).unwrap();
/// inflater.finish(&mut out, 1024).unwrap();
/// assert_eq!(out, b"Hello");
/// ```
#[derive(Debug)]
pub struct Inflater {
    state: Option<Decompress>,
    window_bits: u8,
    no_context_takeover: bool,
    /// The stream had a final block: the rest of the message is ignored.
    ended: bool,
    /// How much of the removed tail a streamed message's end has inflated
    /// so far ([`finish_bounded`](Self::finish_bounded)).
    tail_fed: u8,
}

impl Inflater {
    /// A decompressor for a peer whose window is at most 2^`window_bits`
    /// and that resets its context after each message if
    /// `no_context_takeover`.
    #[must_use]
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Inflater {
            state: None,
            // zlib inflates 8-bit windows fine, but flate2 wants 9–15; a
            // bigger window accepts every stream a smaller one does.
            window_bits: window_bits.clamp(9, 15),
            no_context_takeover,
            ended: false,
            tail_fed: 0,
        }
    }

    /// Inflates the next piece of a message's compressed payload,
    /// appending to `out`, which must not grow past `max_len`.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        self.run(input, out, max_len, FlushDecompress::None)
    }

    /// Ends a message: inflates the removed tail (§7.2.2) and resets the
    /// context if the peer does not take it over.
    pub fn finish(&mut self, out: &mut Vec<u8>, max_len: usize) -> Result<(), InflateError> {
        let result = self.run(&TAIL, out, max_len, FlushDecompress::Sync);
        if self.no_context_takeover || self.ended || result.is_err() {
            self.reset();
        }
        result
    }

    /// Forgets the context (after a message of a peer that does not take
    /// it over, or after an error).
    pub fn reset(&mut self) {
        if let Some(state) = &mut self.state {
            state.reset(false);
        }
        self.ended = false;
        self.tail_fed = 0;
    }

    /// Inflates the next piece of a message's compressed payload into the
    /// spare capacity of `out`, never growing it nor past `max_len`
    /// bytes: a streamed message's chunk. Returns how much of `input` was
    /// consumed; less than all of it only when `out` is full (the rest
    /// waits for the next chunk).
    /// After a final block (§7.2.3.4) the rest of the message is consumed
    /// and ignored.
    pub(crate) fn inflate_bounded(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<usize, InflateError> {
        self.run_bounded(input, out, max_len, FlushDecompress::None)
            .map(|(consumed, _)| consumed)
    }

    /// Ends a streamed message, as [`finish`](Self::finish) does, into the
    /// spare capacity of `out`: inflates the removed tail (§7.2.2).
    /// Returns false while output may remain (`out` filled up): call
    /// again with room.
    pub(crate) fn finish_bounded(
        &mut self,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<bool, InflateError> {
        let fed = usize::from(self.tail_fed);
        let result = self.run_bounded(&TAIL[fed..], out, max_len, FlushDecompress::Sync);
        match result {
            Ok((consumed, true)) => {
                self.tail_fed += consumed as u8;
                Ok(false)
            }
            Ok((_, false)) => {
                // Room was left: all the output is out.
                self.tail_fed = 0;
                if self.no_context_takeover || self.ended {
                    self.reset();
                }
                Ok(true)
            }
            Err(error) => {
                self.reset();
                Err(error)
            }
        }
    }

    /// Inflates into the spare capacity of `out`, up to `max_len` bytes;
    /// returns the input consumed and whether `out` filled up.
    fn run_bounded(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
        flush: FlushDecompress,
    ) -> Result<(usize, bool), InflateError> {
        let cap = out.capacity().min(max_len);
        let window_bits = self.window_bits;
        let state = self
            .state
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, window_bits));
        let mut consumed = 0;
        while !self.ended {
            if out.len() >= cap {
                return Ok((consumed, true));
            }
            let (before_in, before_out) = (state.total_in(), state.total_out());
            // Room for `cap - len` bytes only: a slice of the spare room.
            let room = cap - out.len();
            let status = decompress_into(state, input, out, room, flush)?;
            let taken = (state.total_in() - before_in) as usize;
            let produced = (state.total_out() - before_out) as usize;
            input = &input[taken..];
            consumed += taken;
            match status {
                Status::StreamEnd => self.ended = true,
                _ if out.len() >= cap => return Ok((consumed, true)),
                _ if input.is_empty() => break,
                _ if taken == 0 && produced == 0 => break,
                _ => {}
            }
        }
        if self.ended {
            // The rest of the message is ignored (§7.2.3.4).
            consumed += input.len();
        }
        Ok((consumed, false))
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
        flush: FlushDecompress,
    ) -> Result<(), InflateError> {
        let window_bits = self.window_bits;
        let state = self
            .state
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, window_bits));
        // Produce at most one byte past the limit: enough to know it was
        // passed, never more memory than the limit allows. (`usize::MAX`,
        // no limit, must not wrap to 0.)
        let bound = max_len.saturating_add(1);
        while !self.ended {
            let room = bound.saturating_sub(out.len());
            if room == 0 {
                return Err(InflateError::TooLong { len: out.len() });
            }
            if out.capacity() - out.len() < 1024.min(room) {
                // Grow geometrically (a message arriving in many small
                // frames must not copy itself over and over), but never
                // past the limit.
                let target = (out.len() * 2).max(out.len() + 4096).min(bound);
                out.reserve_exact(target - out.len());
            }
            let spare = out.capacity() - out.len();
            let (before_in, before_out) = (state.total_in(), state.total_out());
            let status = state
                .decompress_vec(input, out, flush)
                .map_err(|_| InflateError::Invalid)?;
            let consumed = (state.total_in() - before_in) as usize;
            let produced = (state.total_out() - before_out) as usize;
            input = &input[consumed..];
            if out.len() > max_len {
                return Err(InflateError::TooLong { len: out.len() });
            }
            match status {
                Status::StreamEnd => self.ended = true,
                _ if produced < spare && input.is_empty() => break,
                _ if consumed == 0 && produced == 0 => break,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Inflates into at most `room` bytes of `out`'s spare capacity.
fn decompress_into(
    state: &mut Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
    flush: FlushDecompress,
) -> Result<Status, InflateError> {
    if out.capacity() - out.len() <= room {
        // All of the spare capacity is allowed: zlib writes into it as
        // it is, with no zero-fill first (a streamed message fed a few
        // bytes at a time would otherwise clear 64 KiB per step).
        return state
            .decompress_vec(input, out, flush)
            .map_err(|_| InflateError::Invalid);
    }
    // Less room than capacity (a limit close by): a slice of it.
    let len = out.len();
    out.resize(len + room, 0);
    let before = state.total_out();
    let status = state.decompress(input, &mut out[len..], flush);
    let produced = (state.total_out() - before) as usize;
    out.truncate(len + produced);
    status.map_err(|_| InflateError::Invalid)
}

/// The compressor of one direction of a connection.
///
/// ```
/// use rfc6455::deflate::{Deflater, Inflater};
/// let mut deflater = Deflater::new(15, false, 6);
/// let mut wire = Vec::new();
/// deflater.compress(b"Hello", &mut wire);
/// assert!(!wire.ends_with(&[0, 0, 0xff, 0xff]));
/// let mut inflater = Inflater::new(15, false);
/// let mut out = Vec::new();
/// inflater.inflate(&wire, &mut out, 100).unwrap();
/// inflater.finish(&mut out, 100).unwrap();
/// assert_eq!(out, b"Hello");
/// ```
#[derive(Debug)]
pub struct Deflater {
    state: Option<Compress>,
    window_bits: u8,
    no_context_takeover: bool,
    level: u32,
}

impl Deflater {
    /// A compressor with a window of at most 2^`window_bits` that resets its
    /// context after each message if `no_context_takeover`.
    #[must_use]
    pub fn new(window_bits: u8, no_context_takeover: bool, level: u32) -> Self {
        Deflater {
            state: None,
            window_bits: window_bits.clamp(8, 15),
            no_context_takeover,
            level: level.min(9),
        }
    }

    /// Whether this compressor can compress at all. zlib cannot make raw
    /// DEFLATE with a 256-byte window (it would silently use 512 bytes and
    /// break a peer holding us to 8 bits), so with 8 bits every message is
    /// sent uncompressed, which the extension allows (RFC 7692 §6).
    #[must_use]
    pub fn can_compress(&self) -> bool {
        self.window_bits >= 9
    }

    /// The window bits and level of a compressor that resets its context
    /// after every message (RFC 7692 §7.1.1.1), `None` for one that takes
    /// it over. Two compressors with the same key turn a message into the
    /// same bytes, whatever they compressed before: what lets a
    /// [`PreparedMessage`](crate::PreparedMessage) be compressed once for
    /// many connections.
    pub(crate) fn stateless_key(&self) -> Option<(u8, u32)> {
        self.no_context_takeover
            .then_some((self.window_bits, self.level))
    }

    /// Appends `input` compressed as one message (a sync flush with its
    /// tail removed, §7.2.1) to `out`. Returns false, with `out` as it was,
    /// if it cannot compress (see [`can_compress`](Self::can_compress)).
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        self.compress_part(input, out, true)
    }

    /// Appends `input` compressed as the next part of a message sent in
    /// fragments (RFC 7692 §6.1: one DEFLATE stream for the whole
    /// message), ending with a sync flush so the peer can inflate all of
    /// it now; `last` ends the message as [`compress`](Self::compress)
    /// does (tail removed, context reset if not taken over). Returns
    /// false, with `out` as it was, if it cannot compress.
    pub(crate) fn compress_part(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        last: bool,
    ) -> bool {
        if !self.can_compress() {
            return false;
        }
        let (level, window_bits) = (self.level, self.window_bits);
        let state = self.state.get_or_insert_with(|| {
            Compress::new_with_window_bits(Compression::new(level), false, window_bits)
        });
        let start = out.len();
        loop {
            out.reserve(input.len() / 2 + 64);
            let spare = out.capacity() - out.len();
            let before_in = state.total_in();
            let before_out = state.total_out();
            if state.compress_vec(input, out, FlushCompress::Sync).is_err() {
                // Only misuse of zlib gets here; send this one uncompressed.
                out.truncate(start);
                state.reset();
                return false;
            }
            input = &input[(state.total_in() - before_in) as usize..];
            let produced = (state.total_out() - before_out) as usize;
            if input.is_empty() && produced < spare {
                break;
            }
        }
        if !last {
            return true;
        }
        if out[start..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.len() == start {
            // zlib flushes nothing when nothing is new (an empty message
            // after another): the message must still hold a block, so
            // send the empty stored block of RFC 7692 §7.2.3.6, which the
            // peer completes with the tail it appends.
            out.push(0x00);
        }
        if self.no_context_takeover {
            state.reset();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7692_7_2_3_vectors() {
        let inflate = |pieces: &[&[u8]]| {
            let mut inflater = Inflater::new(15, false);
            pieces
                .iter()
                .map(|piece| {
                    let mut out = Vec::new();
                    inflater.inflate(piece, &mut out, 100).unwrap();
                    inflater.finish(&mut out, 100).unwrap();
                    out
                })
                .collect::<Vec<_>>()
        };
        // §7.2.3.1 a message compressed; §7.2.3.2 the second with the
        // first as context (takeover).
        let hello: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let again: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(
            inflate(&[hello, again]),
            vec![b"Hello".to_vec(), b"Hello".to_vec()]
        );
        // §7.2.3.3 a stored (uncompressed) block.
        let stored: &[u8] = &[
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        assert_eq!(inflate(&[stored]), vec![b"Hello".to_vec()]);
        // §7.2.3.4 a block with BFINAL set, then the next message.
        let bfinal: &[u8] = &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(
            inflate(&[bfinal, hello]),
            vec![b"Hello".to_vec(), b"Hello".to_vec()]
        );
        // §7.2.3.5 two DEFLATE blocks in one message.
        let two: &[u8] = &[
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        assert_eq!(inflate(&[two]), vec![b"Hello".to_vec()]);
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let mut deflater = Deflater::new(15, false, 9);
        let mut bomb = Vec::new();
        deflater.compress(&vec![0u8; 1 << 20], &mut bomb);
        assert!(bomb.len() < 2048, "{}", bomb.len());
        let mut inflater = Inflater::new(15, false);
        let mut out = Vec::new();
        let error = inflater.inflate(&bomb, &mut out, 1000).unwrap_err();
        assert_eq!(error, InflateError::TooLong { len: 1001 });
        assert!(
            out.capacity() <= 1001,
            "memory stays bounded: {}",
            out.capacity()
        );
    }

    #[test]
    fn round_trip_for_every_window_and_takeover() {
        let text: Vec<u8> = (0..5000u32)
            .map(|i| b"abcdefghij"[(i * i % 10) as usize])
            .collect();
        for bits in 9..=15 {
            for takeover in [false, true] {
                let mut deflater = Deflater::new(bits, !takeover, 6);
                let mut inflater = Inflater::new(bits, !takeover);
                for round in 0..3 {
                    let message = &text[round * 100..];
                    let mut wire = Vec::new();
                    assert!(deflater.compress(message, &mut wire));
                    let mut out = Vec::new();
                    // In pieces, as frames arrive.
                    for piece in wire.chunks(7) {
                        inflater.inflate(piece, &mut out, 1 << 20).unwrap();
                    }
                    inflater.finish(&mut out, 1 << 20).unwrap();
                    assert_eq!(
                        out, message,
                        "bits {bits} takeover {takeover} round {round}"
                    );
                }
            }
        }
        assert!(!Deflater::new(8, false, 6).compress(b"x", &mut Vec::new()));
    }

    /// Inflating into bounded chunks gives the same bytes as inflating
    /// whole, for every chunk size, and never grows a chunk.
    #[test]
    fn bounded_inflate_matches_whole() {
        let text: Vec<u8> = (0..20_000u32)
            .map(|i| b"abcdefghij"[(i * i % 10) as usize])
            .collect();
        for takeover in [false, true] {
            let mut deflater = Deflater::new(15, !takeover, 6);
            let mut inflater = Inflater::new(15, !takeover);
            for (round, cap) in [1usize, 7, 300, 4096, 1 << 16].into_iter().enumerate() {
                let message = &text[round * 10..];
                let mut wire = Vec::new();
                assert!(deflater.compress(message, &mut wire));
                let mut out = Vec::new();
                let mut chunk = Vec::with_capacity(cap);
                let mut drain = |chunk: &mut Vec<u8>| {
                    assert!(chunk.len() <= cap);
                    out.extend_from_slice(chunk);
                    chunk.clear();
                };
                for mut piece in wire.chunks(5) {
                    while !piece.is_empty() {
                        let taken = inflater.inflate_bounded(piece, &mut chunk, cap).unwrap();
                        piece = &piece[taken..];
                        drain(&mut chunk);
                    }
                }
                while !inflater.finish_bounded(&mut chunk, cap).unwrap() {
                    drain(&mut chunk);
                }
                drain(&mut chunk);
                assert_eq!(out, message, "takeover {takeover} cap {cap}");
            }
        }
    }

    #[test]
    fn invalid_data_is_an_error() {
        let mut inflater = Inflater::new(15, false);
        let mut out = Vec::new();
        assert_eq!(
            inflater.inflate(&[0xff; 16], &mut out, 100),
            Err(InflateError::Invalid)
        );
    }
}
