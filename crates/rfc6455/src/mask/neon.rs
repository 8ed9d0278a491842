//! NEON masking (aarch64): 16 bytes per instruction, 64 per loop turn.
//! NEON is part of every aarch64 target this module compiles for, so no
//! run-time check is needed.
#![allow(unsafe_code)]

use core::arch::aarch64::{veorq_u8, vld1q_u8, vst1q_u8};

use super::{rotate, word::apply_mask_word};

/// From this length on, the vectors are aligned to 16 bytes (the bytes
/// before the first boundary masked by the word path): below it, masking
/// that head costs more than stores that split cache lines.
/// The x86_64 value (see `sse2.rs`): not measured on aarch64.
pub(super) const ALIGN_MIN_LEN: usize = 512;

/// Masks `buf` as [`apply_mask_offset`](super::apply_mask_offset) does,
/// with NEON.
pub(super) fn apply_mask_neon(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let mut key = rotate(key, offset);
    let mut body = buf;
    if body.len() >= ALIGN_MIN_LEN {
        let head = body.as_ptr().align_offset(16).min(body.len());
        let (head_bytes, rest) = body.split_at_mut(head);
        apply_mask_word(head_bytes, key, 0);
        key = rotate(key, head);
        body = rest;
    }

    let [a, b, c, d] = key;
    let pattern = [a, b, c, d, a, b, c, d, a, b, c, d, a, b, c, d];
    // SAFETY: `pattern` is 16 readable bytes; `vld1q_u8` needs no
    // alignment. NEON is enabled (this module's cfg requires it).
    let k = unsafe { vld1q_u8(pattern.as_ptr()) };

    let mut blocks = body.chunks_exact_mut(64);
    for block in &mut blocks {
        let p = block.as_mut_ptr();
        // SAFETY: `block` is 64 bytes we hold `&mut` to, so `p` to
        // `p.add(48) + 16` is in bounds; `vld1q`/`vst1q` need no alignment.
        unsafe {
            let a = vld1q_u8(p);
            let b = vld1q_u8(p.add(16));
            let c = vld1q_u8(p.add(32));
            let d = vld1q_u8(p.add(48));
            vst1q_u8(p, veorq_u8(a, k));
            vst1q_u8(p.add(16), veorq_u8(b, k));
            vst1q_u8(p.add(32), veorq_u8(c, k));
            vst1q_u8(p.add(48), veorq_u8(d, k));
        }
    }
    let mut vectors = blocks.into_remainder().chunks_exact_mut(16);
    for vector in &mut vectors {
        let p = vector.as_mut_ptr();
        // SAFETY: `vector` is 16 bytes we hold `&mut` to; no alignment needed.
        unsafe { vst1q_u8(p, veorq_u8(vld1q_u8(p), k)) }
    }
    // Whole vectors are a multiple of 4 bytes: the key is still in phase.
    apply_mask_word(vectors.into_remainder(), key, 0);
}
