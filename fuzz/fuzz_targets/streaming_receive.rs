//! A peer's messages, fragmented, compressed, invalid or over the limit,
//! through `next_streamed_event` and `next_event` in the same pieces.
//! The checks live in `crates/test-support/src/checks/`, shared with the
//! regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("streaming_receive", data));
});
