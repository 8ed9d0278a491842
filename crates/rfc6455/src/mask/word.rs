//! Portable masking a machine word at a time: the path when SIMD is off
//! (feature `simd` disabled, Miri, other architectures), for buffers too
//! short for SIMD, and for the heads and tails around the SIMD loops.

use super::{rotate, scalar::apply_mask_scalar};

/// XORs `buf` with `key` eight bytes at a time, as if `buf` started
/// `offset` bytes into the payload. Safe code only, on any target.
///
/// [`apply_mask`](super::apply_mask) uses it where SIMD is unavailable.
/// Public with feature `internals` alone, for the benchmarks that compare
/// implementations; `mask::tests` checks it against the scalar reference.
#[cfg_attr(not(any(test, feature = "internals")), allow(unreachable_pub))]
pub fn apply_mask_word(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    let [a, b, c, d] = key;
    let key64 = u64::from_ne_bytes([a, b, c, d, a, b, c, d]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().expect("8-byte chunk"));
        chunk.copy_from_slice(&(word ^ key64).to_ne_bytes());
    }
    // Whole words consumed a multiple of 4 bytes: the key is in phase.
    apply_mask_scalar(chunks.into_remainder(), key, 0);
}
