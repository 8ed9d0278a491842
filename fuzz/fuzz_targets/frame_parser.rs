//! Arbitrary bytes into the frame header decoder and encoder (RFC 6455 §5.2).
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("frame_parser", data));
});
