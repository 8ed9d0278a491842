//! XOR masking of payloads (RFC 6455 §5.3).
//!
//! Owns [`apply_mask`] and its byte-wise reference [`apply_mask_scalar`],
//! which every faster path is tested against. Masking is its own inverse.

/// XORs `buf` with `key`, as if `buf` started `offset` bytes into the
/// payload (so a payload can be unmasked in pieces as it arrives).
///
/// ```
/// use rfc6455::mask::apply_mask;
/// let mut data = *b"Hello";
/// apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// apply_mask(&mut data[..2], [0x37, 0xfa, 0x21, 0x3d], 0);
/// apply_mask(&mut data[2..], [0x37, 0xfa, 0x21, 0x3d], 2);
/// assert_eq!(&data, b"Hello");
/// ```
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    let key64 = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(word) ^ key64).to_ne_bytes());
    }
    // Whole words consumed a multiple of 4 bytes, so the key is in phase.
    apply_mask_scalar(chunks.into_remainder(), key, 0);
}

/// The byte-at-a-time reference implementation of [`apply_mask`].
pub fn apply_mask_scalar(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(i + offset) & 3];
    }
}

fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut out = key;
    out.rotate_left(offset & 3);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scalar_at_every_length_alignment_and_offset() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let source: Vec<u8> = (0..400u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in 0..=300 {
            for align in 0..8 {
                for offset in 0..4 {
                    // Mask in place inside a larger buffer so the slice
                    // really starts at each alignment.
                    let mut fast = source.clone();
                    let mut reference = source.clone();
                    apply_mask(&mut fast[align..align + len], key, offset);
                    apply_mask_scalar(&mut reference[align..align + len], key, offset);
                    assert_eq!(fast, reference, "len {len} align {align} offset {offset}");
                }
            }
        }
    }
}
