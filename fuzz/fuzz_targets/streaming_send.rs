//! A message sent in pieces (`begin_message`, `send_fragment`) and whole
//! (`send`, fragmented over `max_outgoing_frame_size`), read back by the
//! other role. The checks live in `crates/test-support/src/checks/`,
//! shared with the regression test.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(rfc6455_fuzz::checks::run("streaming_send", data));
});
