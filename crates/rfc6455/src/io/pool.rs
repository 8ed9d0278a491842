//! Read buffers for bulk input, shared by the connections of a thread.
//!
//! A connection that receives more than a small read at a time (big
//! messages, or many small ones back to back) reads into a buffer of
//! [`SIZE`] bytes (or more, for a bigger frame). Once it has nothing
//! buffered and the transport has nothing to read, it gives the buffer
//! back here, and the next connection of the thread that needs one takes
//! the same memory, still in the cache. An idle connection keeps none (the
//! issue's "borrow a per-thread buffer for the read, keep only a partial
//! frame"): one that received a 64 KiB message no longer keeps the 80 KiB
//! it was read into.
//!
//! Messages are handed out as `Bytes` that point into the buffer they
//! were read into. A buffer only comes back into use once no message
//! points into it: [`give`] keeps a buffer only if it is the last owner,
//! and frees it otherwise, when the last message goes.

use bytes::BytesMut;
use std::cell::RefCell;

/// The size of a pooled buffer: a 64 KiB frame and what follows it, with
/// room to spare.
const SIZE: usize = 128 << 10;

/// At most this many buffers wait in one thread's pool. One connection
/// of a thread reads at a time; more than a few would only hold memory.
const MAX_POOLED: usize = 2;

thread_local! {
    static POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for at least `min` bytes: the buffer given
/// back last (still in the cache) when `min` fits a pooled buffer, a new
/// one of `max(min, SIZE)` bytes otherwise.
pub(super) fn take(min: usize) -> BytesMut {
    if min <= SIZE {
        // `try_with`: a thread being torn down has no pool, only `new`.
        let pooled = POOL.try_with(|pool| pool.borrow_mut().pop()).ok().flatten();
        if let Some(buf) = pooled {
            return buf;
        }
    }
    BytesMut::with_capacity(min.max(SIZE))
}

/// Gives back a buffer whose contents are no longer needed. It is kept
/// for [`take`] if nothing else points into it (no message read into it
/// is still alive), its whole allocation is free again, and it is not
/// much bigger than [`SIZE`]; otherwise it is dropped, and freed when its
/// last message is.
pub(super) fn give(mut buf: BytesMut) {
    buf.clear();
    if reclaimed(&mut buf) {
        keep(buf);
    }
}

/// Whether `buf` (empty) can go back to the pool: true only for the last
/// owner of at least [`SIZE`] bytes and at most twice that, and then the
/// whole allocation is the buffer's again, from its start.
fn reclaimed(buf: &mut BytesMut) -> bool {
    buf.try_reclaim(SIZE) && buf.capacity() <= 2 * SIZE
}

/// Puts a reclaimed buffer in the pool, unless the pool is full.
fn keep(buf: BytesMut) {
    let _ = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < MAX_POOLED {
            pool.push(buf);
        }
    });
}

/// For a connection about to wait with `input` empty: a buffer that can
/// go back to the pool goes back; one bigger than `keep_small` that cannot
/// (a message still points into it, or it is smaller than a pooled one)
/// is let go, freed with its last message; a smaller one stays for the
/// next small read.
pub(super) fn release_idle(input: &mut BytesMut, keep_small: usize) {
    debug_assert!(input.is_empty());
    if reclaimed(input) {
        keep(std::mem::take(input));
    } else if input.capacity() > keep_small {
        *input = BytesMut::new();
    }
}

/// Makes room in `input` for `wanted` more bytes, keeping what it holds.
///
/// Cheapest first: room already there; the buffer reclaimed, when no
/// message points into it any more (what it holds moves to its start);
/// else a buffer from the pool, into which only what `input` holds is
/// copied (a partial frame), while the old buffer lives on in the
/// messages handed out from it. A new buffer is at least twice what
/// `input` holds, so that a frame bigger than a pooled buffer, arriving a
/// read at a time, is copied a bounded number of times (as a `Vec` grows).
pub(super) fn make_room(input: &mut BytesMut, wanted: usize) {
    if input.capacity() - input.len() >= wanted || input.try_reclaim(wanted) {
        return;
    }
    let len = input.len();
    let mut fresh = take(len.saturating_add(wanted).max(len.saturating_mul(2)));
    fresh.extend_from_slice(input);
    give(std::mem::replace(input, fresh));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled() -> usize {
        POOL.with(|pool| pool.borrow().len())
    }

    fn drain() {
        POOL.with(|pool| pool.borrow_mut().clear());
    }

    #[test]
    fn a_buffer_given_back_is_taken_again_from_its_start() {
        drain();
        let mut buf = take(100);
        assert_eq!(buf.capacity(), SIZE);
        let start = buf.as_ptr();
        buf.extend_from_slice(&[7; 1000]);
        let message = buf.split_to(600).freeze();
        drop(message);
        give(buf);
        assert_eq!(pooled(), 1);
        let again = take(100);
        assert_eq!(again.as_ptr(), start);
        assert!(again.is_empty());
        assert_eq!(again.capacity(), SIZE);
        assert_eq!(pooled(), 0);
    }

    #[test]
    fn a_buffer_a_message_points_into_is_not_kept() {
        drain();
        let mut buf = take(100);
        buf.extend_from_slice(b"hello world");
        let message = buf.split_to(5).freeze();
        give(buf);
        assert_eq!(pooled(), 0);
        // The message still reads what it did.
        assert_eq!(&message[..], b"hello");
    }

    #[test]
    fn small_and_huge_buffers_are_not_kept_and_the_pool_is_bounded() {
        drain();
        give(BytesMut::with_capacity(4096));
        give(BytesMut::with_capacity(8 * SIZE));
        assert_eq!(pooled(), 0);
        for _ in 0..MAX_POOLED + 3 {
            give(BytesMut::with_capacity(SIZE));
        }
        assert_eq!(pooled(), MAX_POOLED);
        drain();
    }

    #[test]
    fn a_waiting_connection_keeps_only_a_small_buffer() {
        drain();
        // Pool-sized and ours alone: back to the pool.
        let mut input = take(100);
        release_idle(&mut input, 100);
        assert_eq!((input.capacity(), pooled()), (0, 1));
        // Pool-sized but a message points into it: let go, not pooled.
        let mut input = take(100);
        input.extend_from_slice(b"message");
        let message = input.split_to(7).freeze();
        release_idle(&mut input, 100);
        assert_eq!((input.capacity(), pooled()), (0, 0));
        assert_eq!(&message[..], b"message");
        // Small: kept for the next small read.
        let mut input = BytesMut::with_capacity(64);
        release_idle(&mut input, 100);
        assert_eq!(input.capacity(), 64);
        drain();
    }

    #[test]
    fn a_request_bigger_than_a_pooled_buffer_gets_its_own() {
        drain();
        give(BytesMut::with_capacity(SIZE));
        let big = take(3 * SIZE);
        assert!(big.capacity() >= 3 * SIZE);
        assert_eq!(pooled(), 1, "the pooled buffer stays for a smaller request");
        drain();
    }

    #[test]
    fn make_room_keeps_a_partial_frame_and_copies_only_it() {
        drain();
        let mut input = BytesMut::with_capacity(64);
        input.extend_from_slice(b"0123456789");
        let held = input.split_to(4).freeze(); // a message still alive
        make_room(&mut input, 1000);
        assert_eq!(&input[..], b"456789");
        assert!(input.capacity() - input.len() >= 1000);
        assert_eq!(&held[..], b"0123");

        // Ours alone with room at its start: reclaimed in place, no new buffer.
        let mut input = BytesMut::with_capacity(SIZE);
        input.extend_from_slice(&[1; 3000]);
        let start = input.as_ptr();
        drop(input.split_to(2990));
        make_room(&mut input, SIZE - 100);
        assert_eq!(input.as_ptr(), start);
        assert_eq!(&input[..], &[1; 10]);
    }

    #[test]
    fn a_frame_bigger_than_a_pooled_buffer_is_copied_a_bounded_number_of_times() {
        drain();
        let mut input = BytesMut::new();
        let (mut moves, mut copied) = (0, 0);
        while input.len() < 16 * SIZE {
            let before = input.as_ptr();
            let len = input.len();
            make_room(&mut input, 64 << 10);
            if input.as_ptr() != before {
                moves += 1;
                copied += len;
            }
            input.extend_from_slice(&[3; 64 << 10]);
        }
        assert!(moves <= 6, "{moves} moves");
        assert!(copied <= 16 * SIZE, "{copied} bytes copied");
        drain();
    }
}
