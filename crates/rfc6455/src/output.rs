//! The queue of bytes a [`Connection`](crate::Connection) has to write.
//!
//! Owns the order of everything queued for the transport: frame headers
//! and small payloads copied into one coalesced buffer, and big payloads
//! of the server's unmasked frames held as the [`Bytes`] they came in, so
//! that an echoed 64 KiB message goes from the read buffer to the socket
//! with no copy (a vectored write sends the header from the buffer and
//! the payload from where it lies). It knows nothing of frames.

use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::IoSlice;

/// Payloads at least this long are queued without a copy (where nothing
/// has to be done to them: server frames are not masked). Under it a copy
/// costs less than one more piece to write, and small frames of one read
/// stay in one buffer.
pub(crate) const ZERO_COPY_MIN: usize = 16 << 10;

/// An emptied coalesced buffer bigger than this is freed, not kept.
const KEEP_EMPTY: usize = 64 << 10;

/// A payload queued without a copy, to be written right after
/// `buf[..at]`.
#[derive(Debug)]
struct Shared {
    at: usize,
    /// What is left of it to write; never empty.
    bytes: Bytes,
}

/// Pending output, oldest first: `buf[pos..shared[0].at]`, `shared[0]`,
/// `buf[shared[0].at..shared[1].at]`, `shared[1]`, ..., `buf[last.at..]`.
#[derive(Debug, Default)]
pub(crate) struct OutputQueue {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written; at most `shared[0].at`.
    pos: usize,
    /// Boxed, and there only while big payloads wait: a pointer in every
    /// idle connection rather than an empty queue and its length.
    shared: Option<Box<SharedQueue>>,
}

/// The payloads queued without a copy, and their total length.
#[derive(Debug, Default)]
struct SharedQueue {
    queue: VecDeque<Shared>,
    /// The sum of `queue[i].bytes.len()`.
    len: usize,
}

impl OutputQueue {
    /// Bytes queued and not yet written.
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.pos + self.shared.as_ref().map_or(0, |shared| shared.len)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The coalesced buffer, to append to (frame headers, copied payloads).
    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Queues `bytes` after everything queued so far, without a copy.
    pub(crate) fn push_shared(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        let at = self.buf.len();
        let shared = self.shared.get_or_insert_default();
        shared.len += bytes.len();
        shared.queue.push_back(Shared { at, bytes });
    }

    /// The zero-copy payloads, oldest first.
    fn shared(&self) -> impl Iterator<Item = &Shared> + Clone + '_ {
        self.shared.iter().flat_map(|shared| shared.queue.iter())
    }

    /// The oldest contiguous piece; empty only if nothing is queued.
    pub(crate) fn chunk(&self) -> &[u8] {
        match self.shared().next() {
            Some(first) if self.pos < first.at => &self.buf[self.pos..first.at],
            Some(first) => &first.bytes,
            None => &self.buf[self.pos..],
        }
    }

    /// Every piece, oldest first, none empty.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let ats = self.shared().map(|s| s.at);
        let starts = std::iter::once(self.pos).chain(ats.clone());
        let ends = ats.chain(std::iter::once(self.buf.len()));
        let owned = starts.zip(ends).map(|(from, to)| &self.buf[from..to]);
        let shared = self.shared().map(|s| Some(&s.bytes[..]));
        owned
            .zip(shared.chain(std::iter::once(None)))
            .flat_map(|(run, shared)| [Some(run), shared])
            .flatten()
            .filter(|piece| !piece.is_empty())
    }

    /// Fills `dst` with the oldest pieces; returns how many it filled.
    pub(crate) fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, piece) in dst.iter_mut().zip(self.chunks()) {
            *slot = IoSlice::new(piece);
            n += 1;
        }
        n
    }

    /// Marks `n` bytes written (at most [`len`](Self::len)). Returns true
    /// if nothing is left.
    pub(crate) fn advance(&mut self, mut n: usize) -> bool {
        while n > 0 {
            let front = self.shared.as_deref_mut().and_then(|shared| {
                let SharedQueue { queue, len } = shared;
                queue.front_mut().map(|first| (first, len))
            });
            match front {
                Some((first, _)) if self.pos < first.at => {
                    let k = n.min(first.at - self.pos);
                    self.pos += k;
                    n -= k;
                }
                Some((first, len)) => {
                    let k = n.min(first.bytes.len());
                    first.bytes.advance(k);
                    *len -= k;
                    n -= k;
                    if first.bytes.is_empty() {
                        if let Some(shared) = self.shared.as_deref_mut() {
                            shared.queue.pop_front();
                        }
                    }
                }
                None => {
                    self.pos = (self.pos + n).min(self.buf.len());
                    n = 0;
                }
            }
        }
        if self.is_empty() {
            self.buf.clear();
            self.pos = 0;
            // What a burst needed is not kept by a connection that may now
            // go idle: the queue of zero-copy payloads (big messages only;
            // one small allocation per write of them), and a coalesced
            // buffer far bigger than small messages need.
            self.shared = None;
            if self.buf.capacity() > KEEP_EMPTY {
                self.buf = Vec::new();
            }
            return true;
        }
        if self.pos > self.buf.len() / 2 {
            // Keep the buffer from growing while the peer reads slowly.
            self.buf.drain(..self.pos);
            for s in self
                .shared
                .iter_mut()
                .flat_map(|shared| shared.queue.iter_mut())
            {
                s.at -= self.pos;
            }
            self.pos = 0;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(q: &OutputQueue) -> Vec<u8> {
        q.chunks().flatten().copied().collect()
    }

    /// A queue of owned runs and shared payloads, with what it must write.
    fn sample() -> (OutputQueue, Vec<u8>) {
        let mut q = OutputQueue::default();
        let mut expected = Vec::new();
        for (i, owned) in [3usize, 0, 5, 1, 0].into_iter().enumerate() {
            let run: Vec<u8> = (0..owned).map(|b| (i * 16 + b) as u8).collect();
            q.buf_mut().extend_from_slice(&run);
            expected.extend_from_slice(&run);
            let shared: Vec<u8> = (0..i + 1).map(|b| 200 + b as u8).collect();
            q.push_shared(Bytes::from(shared.clone()));
            expected.extend_from_slice(&shared);
        }
        q.buf_mut().extend_from_slice(b"tail");
        expected.extend_from_slice(b"tail");
        (q, expected)
    }

    #[test]
    fn an_emptied_queue_keeps_small_buffers_and_frees_big_ones() {
        let mut q = OutputQueue::default();
        q.buf_mut().extend_from_slice(&[1; 100]);
        let kept = q.buf.capacity();
        assert!(q.advance(100));
        assert_eq!(q.buf.capacity(), kept, "small: reused by the next messages");
        q.buf_mut().extend_from_slice(&vec![2; KEEP_EMPTY + 1]);
        q.push_shared(Bytes::from(vec![3; 20]));
        assert!(q.advance(KEEP_EMPTY + 21));
        assert_eq!((q.buf.capacity(), q.shared.is_none()), (0, true));
    }

    #[test]
    fn pieces_keep_the_order_they_were_queued_in() {
        let (q, expected) = sample();
        assert_eq!(q.len(), expected.len());
        assert_eq!(all(&q), expected);
        assert!(q.chunks().all(|c| !c.is_empty()));
        assert_eq!(q.chunk(), &expected[..3]);
    }

    #[test]
    fn advancing_by_any_steps_writes_every_byte_once() {
        let (_, expected) = sample();
        for step in 1..=expected.len() {
            let (mut q, _) = sample();
            let mut written = Vec::new();
            while !q.is_empty() {
                // Write at most `step` bytes, crossing pieces, as writev would.
                let mut take = step;
                let mut wrote = 0;
                for piece in q.chunks() {
                    let k = take.min(piece.len());
                    written.extend_from_slice(&piece[..k]);
                    wrote += k;
                    take -= k;
                    if take == 0 {
                        break;
                    }
                }
                let done = q.advance(wrote);
                assert_eq!(done, q.is_empty());
                assert_eq!(all(&q), expected[written.len()..], "step {step}");
            }
            assert_eq!(written, expected, "step {step}");
            assert!(q.shared.is_none(), "nothing kept once written");
            assert!(q.buf.capacity() > 0, "the buffer is kept for reuse");
        }
    }

    #[test]
    fn vectored_fills_at_most_the_slots_given() {
        let (q, expected) = sample();
        let mut slots = [IoSlice::new(&[]); 3];
        assert_eq!(q.chunks_vectored(&mut slots), 3);
        let got: Vec<u8> = slots.iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(got, expected[..got.len()]);
        let mut many = [IoSlice::new(&[]); 64];
        let n = q.chunks_vectored(&mut many);
        assert_eq!(n, q.chunks().count());
        let got: Vec<u8> = many[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn empty_shared_payloads_are_not_queued() {
        let mut q = OutputQueue::default();
        q.push_shared(Bytes::new());
        assert!(q.is_empty());
        assert_eq!(q.chunks().count(), 0);
        assert!(q.chunk().is_empty());
    }
}
