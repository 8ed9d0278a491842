//! Every implementation against the byte-wise reference, at every length,
//! start alignment and key phase the vector loops can meet.

use super::*;

/// Keys with four different bytes, so a key out of phase shows.
const KEYS: [[u8; 4]; 3] = [
    [0x37, 0xfa, 0x21, 0x3d], // RFC 6455 §5.7
    [0x01, 0x02, 0x04, 0x08],
    [0xff, 0x00, 0xa5, 0x5a],
];

/// Up to 300 bytes: below the SIMD threshold, around one and two turns
/// of each vector loop, with every tail; then around [`LONG`], where the
/// SIMD paths start aligning their vectors, with every head. Miri
/// interprets every byte (and runs the portable paths only), so it gets
/// the short lengths and the loop boundaries.
fn lengths() -> Vec<usize> {
    if cfg!(miri) {
        (0..=40).chain([63, 64, 65, 127, 128, 129, 300]).collect()
    } else {
        (0..=300).chain(LONG).collect()
    }
}

/// Lengths around the SIMD paths' `ALIGN_MIN_LEN` (512), up to beyond one
/// head, one unrolled turn and one tail past it.
const LONG: std::ops::RangeInclusive<usize> = 500..=720;

/// Slice starts relative to a 64-byte boundary: every head length the
/// 16- and 32-byte alignment steps can meet.
fn alignments() -> std::ops::Range<usize> {
    if cfg!(miri) {
        0..8
    } else {
        0..64
    }
}

/// Masks a slice at every length, alignment and key offset inside a
/// larger buffer with `apply`, and checks the whole buffer against
/// [`apply_mask_scalar`]: the slice masked, every byte around it intact.
fn check_against_scalar(name: &str, apply: MaskFn) {
    const MARGIN: usize = 64;
    let lengths = lengths();
    let longest = lengths.iter().copied().max().unwrap_or(0);
    // Room to find a 64-byte boundary, then every start, then a margin.
    let size = 64 + 64 + longest + MARGIN;
    let source: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    let mut work = source.clone();
    let base = work.as_ptr().align_offset(64);
    assert!(base < 64, "no 64-byte boundary in the buffer");
    // Under Miri one key (with four different bytes, so a key out of
    // phase still shows) keeps the sweep near half a minute.
    let keys = if cfg!(miri) { &KEYS[..1] } else { &KEYS[..] };
    for &key in keys {
        // The whole buffer masked by the reference, once per key phase: a
        // slice from `start` masked at `offset` must equal the slice of
        // `masked[(offset - start) % 4]` (debug builds interpret the
        // reference slowly; this keeps it out of the loop).
        let masked: Vec<Vec<u8>> = (0..4)
            .map(|phase| {
                let mut all = source.clone();
                apply_mask_scalar(&mut all, key, phase);
                all
            })
            .collect();
        for &len in &lengths {
            for align in alignments() {
                let (start, end) = (base + align, base + align + len);
                for offset in 0..4 {
                    work.copy_from_slice(&source);
                    apply(&mut work[start..end], key, offset);
                    let phase = (offset + 4 - start % 4) % 4;
                    let ok = work[..start] == source[..start]
                        && work[start..end] == masked[phase][start..end]
                        && work[end..] == source[end..];
                    assert!(
                        ok,
                        "{name}: len {len} align {align} offset {offset} key {key:02x?}"
                    );
                }
            }
        }
    }
}

#[test]
fn scalar_follows_the_rfc_example() {
    // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
    let mut data = *b"Hello";
    apply_mask_scalar(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
    assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
}

#[test]
fn word_matches_scalar() {
    check_against_scalar("word", apply_mask_word);
}

#[test]
fn dispatch_matches_scalar() {
    check_against_scalar("apply_mask_offset", apply_mask_offset);
}

/// The x86_64 SIMD paths, where this build can run them (one cfg for all).
#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "x86_64",
    target_feature = "sse2"
))]
mod x86 {
    use super::*;

    #[test]
    fn sse2_matches_scalar() {
        check_against_scalar("sse2", sse2::apply_mask_sse2);
    }

    #[test]
    fn avx2_matches_scalar() {
        match avx2::detect() {
            Some(apply) => check_against_scalar("avx2", apply),
            None => eprintln!("avx2_matches_scalar: this CPU has no AVX2, skipped"),
        }
    }

    #[test]
    fn lengths_cover_where_the_simd_paths_start_aligning() {
        for align_min_len in [sse2::ALIGN_MIN_LEN, avx2::ALIGN_MIN_LEN] {
            assert!(LONG.contains(&(align_min_len - 1)));
            assert!(LONG.contains(&(align_min_len + 128 + 64)));
        }
    }
}

#[cfg(all(
    feature = "simd",
    not(miri),
    target_arch = "aarch64",
    target_feature = "neon"
))]
#[test]
fn neon_matches_scalar() {
    check_against_scalar("neon", neon::apply_mask_neon);
}

#[test]
fn implementations_lists_what_this_cpu_runs() {
    let names: Vec<_> = implementations().iter().map(|i| i.name).collect();
    assert_eq!(names[..2], ["scalar", "word"]);
    let simd = cfg!(all(feature = "simd", not(miri)));
    if simd && cfg!(target_arch = "x86_64") {
        assert_eq!(names[2], "sse2");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            names.contains(&"avx2"),
            std::is_x86_feature_detected!("avx2")
        );
    } else if simd && cfg!(target_arch = "aarch64") {
        assert_eq!(names[2..], ["neon"]);
    } else {
        assert_eq!(names.len(), 2);
    }
}

#[test]
fn every_implementation_matches_scalar_on_a_large_buffer() {
    // Many turns of the unrolled loops, an odd start and an odd length.
    let len = if cfg!(miri) { 1000 } else { (1 << 20) + 13 };
    let source: Vec<u8> = (0..len + 1).map(|i| (i * 131 + 17) as u8).collect();
    let key = KEYS[0];
    let mut reference = source.clone();
    apply_mask_scalar(&mut reference[1..], key, 2);
    for imp in implementations() {
        let mut work = source.clone();
        (imp.apply)(&mut work[1..], key, 2);
        assert!(work == reference, "{}", imp.name);
    }
}

#[test]
fn offset_counts_modulo_four_without_overflow() {
    let source: Vec<u8> = (0..100u8).collect();
    for offset in [4, 5, 6, 7, usize::MAX - 3, usize::MAX - 1, usize::MAX] {
        let mut reference = source.clone();
        apply_mask_scalar(&mut reference, KEYS[1], offset % 4);
        for imp in implementations() {
            let mut work = source.clone();
            (imp.apply)(&mut work, KEYS[1], offset);
            assert_eq!(work, reference, "{} at offset {offset}", imp.name);
        }
    }
}

#[test]
fn masking_in_pieces_equals_masking_whole() {
    let payload: Vec<u8> = (0..300u16).map(|i| (i * 7) as u8).collect();
    let mut whole = payload.clone();
    apply_mask(&mut whole, KEYS[0]);
    let cuts: Vec<usize> = if cfg!(miri) {
        (0..=40).chain([100, 299, 300]).collect()
    } else {
        (0..=300).collect()
    };
    for &first in &cuts {
        // Three pieces: [..first], [first..second], [second..].
        let second = first + (300 - first) / 3;
        let mut pieces = payload.clone();
        let (head, rest) = pieces.split_at_mut(first);
        let (middle, tail) = rest.split_at_mut(second - first);
        apply_mask_offset(head, KEYS[0], 0);
        apply_mask_offset(middle, KEYS[0], first);
        apply_mask_offset(tail, KEYS[0], second);
        assert_eq!(pieces, whole, "cut at {first} and {second}");
    }
}

#[test]
fn masking_twice_restores_the_payload() {
    let payload: Vec<u8> = (0..=255).collect();
    let mut data = payload.clone();
    apply_mask(&mut data, KEYS[2]);
    assert_ne!(data, payload);
    apply_mask(&mut data, KEYS[2]);
    assert_eq!(data, payload);
}
