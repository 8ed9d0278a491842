//! permessage-deflate's compressor and decompressor alone: bounded inflate
//! of hostile input, compress then inflate for every window and takeover.
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("deflate", data));
});
