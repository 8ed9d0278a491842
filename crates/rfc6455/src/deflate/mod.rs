//! permessage-deflate (RFC 7692): negotiation and per-message compression.
//!
//! Owns the extension's parameters ([`DeflateConfig`] for what this end
//! wants, [`DeflateParams`] for what both ends agreed), the parsing and
//! building of their `Sec-WebSocket-Extensions` values (§5, §7.1), and the
//! compressor and decompressor of one connection (§6, §7.2), with
//! decompressed output counted as it is produced so a small message cannot
//! expand past the message-size limit. It does not own framing (RSV1 is
//! read and written by the [`Connection`](crate::Connection)) or the HTTP
//! head (the [`handshake`](crate::handshake) module calls in here).
//!
//! Two files: `negotiation` (the parameters and their header values) and
//! `codec` (the compressor and decompressor).

mod codec;
mod negotiation;

pub use codec::{Deflater, InflateError, Inflater};
pub use negotiation::{DeflateConfig, DeflateParams};

/// The extension's registered name (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";
