//! SSE2 masking (x86_64): 16 bytes per instruction, 64 per loop turn.
//! SSE2 is part of x86_64 itself, so no run-time check is needed; it is
//! the x86_64 path on a CPU without AVX2.
#![allow(unsafe_code)]

use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128, _mm_xor_si128};

use super::{rotate, word::apply_mask_word};

/// From this length on, the vectors are aligned to 16 bytes (the bytes
/// before the first boundary masked by the word path): below it, masking
/// that head costs more than stores that split cache lines.
/// Measured on an AMD EPYC (AVX2 and SSE2, slices starting off a
/// boundary): unaligned wins at 256 bytes, aligned from 512 to 1 KiB on;
/// at 64 KiB aligned AVX2 takes two thirds of the unaligned time.
pub(super) const ALIGN_MIN_LEN: usize = 512;

/// Masks `buf` as [`apply_mask_offset`](super::apply_mask_offset) does,
/// with SSE2.
pub(super) fn apply_mask_sse2(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let mut key = rotate(key, offset);
    let mut body = buf;
    if body.len() >= ALIGN_MIN_LEN {
        let head = body.as_ptr().align_offset(16).min(body.len());
        let (head_bytes, rest) = body.split_at_mut(head);
        apply_mask_word(head_bytes, key, 0);
        key = rotate(key, head);
        body = rest;
    }

    let pattern = [u32::from_ne_bytes(key); 4];
    // SAFETY: `pattern` is 16 readable bytes; `loadu` needs no alignment.
    // SSE2 is enabled on every x86_64 target this module compiles for.
    let k = unsafe { _mm_loadu_si128(pattern.as_ptr().cast()) };

    let mut blocks = body.chunks_exact_mut(64);
    for block in &mut blocks {
        let p: *mut __m128i = block.as_mut_ptr().cast();
        // SAFETY: `block` is 64 bytes we hold `&mut` to, so `p` to
        // `p.add(3) + 16` is in bounds; `loadu`/`storeu` need no alignment.
        unsafe {
            let a = _mm_loadu_si128(p);
            let b = _mm_loadu_si128(p.add(1));
            let c = _mm_loadu_si128(p.add(2));
            let d = _mm_loadu_si128(p.add(3));
            _mm_storeu_si128(p, _mm_xor_si128(a, k));
            _mm_storeu_si128(p.add(1), _mm_xor_si128(b, k));
            _mm_storeu_si128(p.add(2), _mm_xor_si128(c, k));
            _mm_storeu_si128(p.add(3), _mm_xor_si128(d, k));
        }
    }
    let mut vectors = blocks.into_remainder().chunks_exact_mut(16);
    for vector in &mut vectors {
        let p: *mut __m128i = vector.as_mut_ptr().cast();
        // SAFETY: `vector` is 16 bytes we hold `&mut` to; no alignment needed.
        unsafe { _mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), k)) }
    }
    // Whole vectors are a multiple of 4 bytes: the key is still in phase.
    apply_mask_word(vectors.into_remainder(), key, 0);
}
