//! XOR masking of payloads (RFC 6455 §5.3).
//!
//! Owns [`apply_mask`] and [`apply_mask_offset`], which pick the fastest
//! implementation this CPU runs, and the implementations themselves, one
//! file each: the byte-wise reference [`apply_mask_scalar`] (the RFC's
//! formula, which every other path is tested against), the portable
//! [`apply_mask_word`], and SIMD paths for x86_64 (`sse2`, `avx2`, picked
//! at run time) and aarch64 (`neon`). Masking is its own inverse, so the
//! same calls mask and unmask. It does not know about frames: finding the
//! key and the payload is [`frame`](crate::frame)'s job.
//!
//! The SIMD files are the only home of `unsafe` in the crate. Without the
//! `simd` feature (on by default), or under Miri, only the portable paths
//! are compiled.

mod scalar;
mod word;

#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "x86_64",
    target_feature = "sse2"
))]
mod avx2;
#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "aarch64",
    target_feature = "neon"
))]
mod neon;
#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "x86_64",
    target_feature = "sse2"
))]
mod sse2;

#[cfg(test)]
mod tests;

pub use scalar::apply_mask_scalar;
#[cfg(any(test, feature = "internals"))]
#[cfg_attr(docsrs, doc(cfg(feature = "internals")))]
pub use word::apply_mask_word;
#[cfg(not(any(test, feature = "internals")))]
use word::apply_mask_word;

/// The signature every implementation shares.
type MaskFn = fn(&mut [u8], [u8; 4], usize);

/// Shorter buffers go to the word path, inlined: the SIMD paths' head,
/// tail and indirect call cost more than their vectors save.
const SIMD_MIN_LEN: usize = 32;

/// XORs `buf` with `key`, starting at the key's first byte: masks a whole
/// payload, or unmasks it (masking is its own inverse).
///
/// ```
/// use rfc6455::mask::apply_mask;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut data = *b"Hello";
/// apply_mask(&mut data, key);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// apply_mask(&mut data, key);
/// assert_eq!(&data, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    apply_mask_offset(buf, key, 0);
}

/// XORs `buf` with `key` as if `buf` started `offset` bytes into the
/// payload, so a payload can be (un)masked in pieces as it arrives:
/// `offset` is the number of payload bytes already masked. Any `offset`
/// is valid; only `offset % 4` matters.
///
/// ```
/// use rfc6455::mask::{apply_mask, apply_mask_offset};
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut whole = *b"Hello, world";
/// let mut pieces = whole;
/// apply_mask(&mut whole, key);
/// let (head, tail) = pieces.split_at_mut(5);
/// apply_mask_offset(head, key, 0);
/// apply_mask_offset(tail, key, 5);
/// assert_eq!(pieces, whole);
/// ```
#[inline]
pub fn apply_mask_offset(buf: &mut [u8], key: [u8; 4], offset: usize) {
    if buf.len() >= SIMD_MIN_LEN {
        best()(buf, key, offset)
    } else {
        apply_mask_word(buf, key, offset)
    }
}

/// The fastest implementation this CPU runs: AVX2 if it has it, else
/// SSE2. Detected once; later calls cost one atomic load.
#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "x86_64",
    target_feature = "sse2"
))]
#[inline]
fn best() -> MaskFn {
    static BEST: std::sync::OnceLock<MaskFn> = std::sync::OnceLock::new();
    *BEST.get_or_init(|| avx2::detect().unwrap_or(sse2::apply_mask_sse2))
}

/// NEON: every aarch64 target with NEON enabled runs it.
#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "aarch64",
    target_feature = "neon"
))]
#[inline]
fn best() -> MaskFn {
    neon::apply_mask_neon
}

/// No SIMD in this build: the portable word path.
#[cfg(not(all(
    feature = "simd",
    not(miri),
    any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    )
)))]
#[inline]
fn best() -> MaskFn {
    apply_mask_word
}

/// One implementation of masking, as [`implementations`] lists them.
/// Feature `internals`: not part of the stable API.
#[cfg(any(test, feature = "internals"))]
#[cfg_attr(docsrs, doc(cfg(feature = "internals")))]
#[derive(Clone, Copy, Debug)]
pub struct Implementation {
    /// `"scalar"`, `"word"`, `"sse2"`, `"avx2"` or `"neon"`.
    pub name: &'static str,
    /// Masks like [`apply_mask_offset`], always with this implementation.
    pub apply: fn(&mut [u8], [u8; 4], usize),
}

/// Every implementation this build has and this CPU runs, slowest first:
/// for tests and benchmarks that compare them. [`apply_mask`] picks the
/// last one. Feature `internals`: not part of the stable API.
///
/// ```
/// use rfc6455::mask::{apply_mask_scalar, implementations};
/// let key = [1, 2, 3, 4];
/// for imp in implementations() {
///     let mut fast = vec![0x5a; 1000];
///     let mut reference = fast.clone();
///     (imp.apply)(&mut fast, key, 7);
///     apply_mask_scalar(&mut reference, key, 7);
///     assert_eq!(fast, reference, "{}", imp.name);
/// }
/// ```
#[cfg(any(test, feature = "internals"))]
#[cfg_attr(docsrs, doc(cfg(feature = "internals")))]
#[must_use]
pub fn implementations() -> Vec<Implementation> {
    #[allow(unused_mut)] // Only the portable paths without SIMD.
    let mut all = vec![
        Implementation {
            name: "scalar",
            apply: apply_mask_scalar,
        },
        Implementation {
            name: "word",
            apply: apply_mask_word,
        },
    ];
    #[cfg(all(
        feature = "simd",
        not(miri),
        target_arch = "x86_64",
        target_feature = "sse2"
    ))]
    {
        all.push(Implementation {
            name: "sse2",
            apply: sse2::apply_mask_sse2,
        });
        if let Some(apply) = avx2::detect() {
            all.push(Implementation {
                name: "avx2",
                apply,
            });
        }
    }
    #[cfg(all(
        feature = "simd",
        not(miri),
        target_arch = "aarch64",
        target_feature = "neon"
    ))]
    all.push(Implementation {
        name: "neon",
        apply: neon::apply_mask_neon,
    });
    all
}

/// The key as seen from `offset` bytes into the payload.
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    // Byte `i` of the result is byte `(i + offset) % 4` of the key. (Not
    // `<[u8]>::rotate_left`: with a run-time `offset` it calls memmove.)
    let shift = 8 * (offset % 4) as u32;
    u32::from_le_bytes(key).rotate_right(shift).to_le_bytes()
}
