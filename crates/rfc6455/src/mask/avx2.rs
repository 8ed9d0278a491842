//! AVX2 masking (x86_64): 32 bytes per instruction, 128 per loop turn.
//! Picked at run time, only on a CPU that has AVX2.
#![allow(unsafe_code)]

use core::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm256_xor_si256};

use super::{rotate, word::apply_mask_word, MaskFn};

/// From this length on, the vectors are aligned to 32 bytes (the bytes
/// before the first boundary masked by the word path): below it, masking
/// that head costs more than stores that split cache lines.
/// Measured on an AMD EPYC (AVX2 and SSE2, slices starting off a
/// boundary): unaligned wins at 256 bytes, aligned from 512 to 1 KiB on;
/// at 64 KiB aligned AVX2 takes two thirds of the unaligned time.
pub(super) const ALIGN_MIN_LEN: usize = 512;

/// The AVX2 path, if this CPU has AVX2.
pub(super) fn detect() -> Option<MaskFn> {
    if is_x86_feature_detected!("avx2") {
        Some(apply_mask_avx2)
    } else {
        None
    }
}

/// Private: the only way to it is [`detect`], which checked the CPU.
fn apply_mask_avx2(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // SAFETY: `detect` hands this function out only after
    // `is_x86_feature_detected!("avx2")` said the CPU runs AVX2.
    unsafe { mask(buf, key, offset) }
}

/// # Safety
///
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let mut key = rotate(key, offset);
    let mut body = buf;
    if body.len() >= ALIGN_MIN_LEN {
        let head = body.as_ptr().align_offset(32).min(body.len());
        let (head_bytes, rest) = body.split_at_mut(head);
        apply_mask_word(head_bytes, key, 0);
        key = rotate(key, head);
        body = rest;
    }

    let pattern = [u32::from_ne_bytes(key); 8];
    // SAFETY: `pattern` is 32 readable bytes; `loadu` needs no alignment.
    let k = unsafe { _mm256_loadu_si256(pattern.as_ptr().cast()) };

    // Four independent vectors per turn keep both load ports busy.
    let mut blocks = body.chunks_exact_mut(128);
    for block in &mut blocks {
        let p: *mut __m256i = block.as_mut_ptr().cast();
        // SAFETY: `block` is 128 bytes we hold `&mut` to, so `p` to
        // `p.add(3) + 32` is in bounds; `loadu`/`storeu` need no alignment.
        unsafe {
            let a = _mm256_loadu_si256(p);
            let b = _mm256_loadu_si256(p.add(1));
            let c = _mm256_loadu_si256(p.add(2));
            let d = _mm256_loadu_si256(p.add(3));
            _mm256_storeu_si256(p, _mm256_xor_si256(a, k));
            _mm256_storeu_si256(p.add(1), _mm256_xor_si256(b, k));
            _mm256_storeu_si256(p.add(2), _mm256_xor_si256(c, k));
            _mm256_storeu_si256(p.add(3), _mm256_xor_si256(d, k));
        }
    }
    let mut vectors = blocks.into_remainder().chunks_exact_mut(32);
    for vector in &mut vectors {
        let p: *mut __m256i = vector.as_mut_ptr().cast();
        // SAFETY: `vector` is 32 bytes we hold `&mut` to; no alignment needed.
        unsafe { _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), k)) }
    }
    // Whole vectors are a multiple of 4 bytes: the key is still in phase.
    apply_mask_word(vectors.into_remainder(), key, 0);
}
