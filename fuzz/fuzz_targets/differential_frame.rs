//! Our frame parser and connection against tungstenite's, on the same bytes.
//! The checks live in `fuzz/src/`, shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rfc6455_fuzz::differential::check(data);
});
