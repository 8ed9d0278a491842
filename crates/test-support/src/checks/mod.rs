//! The checks of every fuzz target, in one place.
//!
//! Each `check` function takes the raw bytes libFuzzer produced, drives one
//! attack surface of `rfc6455` with them, and panics (with a message that
//! says which rule broke) if a property that must hold does not. The fuzz
//! targets in `fuzz/fuzz_targets/` are one-line wrappers around these, and
//! `crates/rfc6455/tests/fuzz_regressions.rs` calls the very same [`run`] to
//! replay every minimized crash in `fuzz/artifacts/` under plain
//! `cargo test`.
//!
//! So this module may use only what builds on stable and in the fuzz crate
//! alike: `rfc6455` itself and its dependencies (`bytes`, `httparse`,
//! `base64`, `sha1`, `flate2`, `http`). Structured inputs (sessions, message
//! lists) are decoded from the bytes by hand ([`input::Input`]) rather than
//! with `arbitrary`, for that reason. The differential check against
//! tungstenite lives in the fuzz crate only (`fuzz/src/differential.rs`).

pub mod connection;
pub mod deflate;
pub mod error_response;
pub mod extended_connect;
pub mod frame;
pub mod handshake;
pub mod input;
pub mod proxy;
pub mod roundtrip;
pub mod streaming;
pub mod streaming_receive;
pub mod streaming_send;
pub mod utf8;

/// Every fuzz target, as named in `fuzz/Cargo.toml`. [`run`] knows them all;
/// of `differential_frame` it runs our side only (see [`run`]).
pub const TARGETS: &[&str] = &[
    "frame_parser",
    "handshake_request",
    "handshake_response",
    "connection_server",
    "connection_client",
    "roundtrip",
    "deflate",
    "utf8",
    "differential_frame",
    "proxy_answers",
    "error_response",
    "streaming_receive",
    "streaming_send",
    "extended_connect",
];

/// Runs the checks of `target` on `data`. Returns `false` for a target this
/// module does not know; panics if a check fails.
///
/// `differential_frame` needs tungstenite, which only the fuzz crate has;
/// here its inputs get every check of our own side (the frame parser against
/// the reference decoder, both connection roles, and streaming receive
/// against whole messages).
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "frame_parser" => frame::check(data),
        "handshake_request" => handshake::check_request(data),
        "handshake_response" => handshake::check_response(data),
        "connection_server" => connection::check(rfc6455::Role::Server, data),
        "connection_client" => connection::check(rfc6455::Role::Client, data),
        "roundtrip" => roundtrip::check(data),
        "deflate" => deflate::check(data),
        "utf8" => utf8::check(data),
        "proxy_answers" => proxy::check(data),
        "error_response" => error_response::check(data),
        "streaming_receive" => streaming_receive::check(data),
        "streaming_send" => streaming_send::check(data),
        "extended_connect" => extended_connect::check(data),
        "differential_frame" => {
            frame::check(data);
            connection::check_raw(rfc6455::Role::Server, data);
            connection::check_raw(rfc6455::Role::Client, data);
            streaming::check_raw(rfc6455::Role::Server, data);
            streaming::check_raw(rfc6455::Role::Client, data);
        }
        _ => return false,
    }
    true
}
