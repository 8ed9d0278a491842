//! The byte-at-a-time definition of masking, word for word from §5.3:
//! `transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)`.
//! Every faster path is tested against it.

/// XORs `buf` with `key` one byte at a time, as if `buf` started `offset`
/// bytes into the payload: the reference every other path must equal.
///
/// Slow on purpose (it is the RFC's formula); use [`apply_mask`] to mask
/// data.
///
/// ```
/// use rfc6455::mask::apply_mask_scalar;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut data = *b"Hello";
/// apply_mask_scalar(&mut data, key, 0);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// ```
///
/// [`apply_mask`]: super::apply_mask
pub fn apply_mask_scalar(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        // Wrapping is exact: 2^64 is a multiple of 4.
        *byte ^= key[offset.wrapping_add(i) % 4];
    }
}
