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

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The extension's registered name (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The bytes a sync flush ends with, removed on send and put back on
/// receive (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// What this end asks for and accepts in permessage-deflate negotiation,
/// and how it compresses.
///
/// As a client, the offer carries `client_max_window_bits` (so a server
/// may pick our window), plus each parameter set here. As a server, the
/// first offer that is valid and compatible is accepted; the response
/// adds the `*_no_context_takeover` and `*_max_window_bits` limits set
/// here.
///
/// ```
/// use rfc6455::deflate::DeflateConfig;
/// let config = DeflateConfig::default().server_max_window_bits(10);
/// assert_eq!(config.offer(), "permessage-deflate; server_max_window_bits=10; client_max_window_bits");
/// ```
///
/// `#[non_exhaustive]`: build one from the default with its setters
/// (`DeflateConfig::default().level(6).threshold(128)`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// zlib compression level, 0 (none) to 9 (best). Default: 3, which
    /// measured within 5% of level 6's ratio on text at 2.5 times its
    /// speed (Autobahn's test data, zlib-rs).
    pub level: u32,
    /// Messages shorter than this many bytes are sent uncompressed (the
    /// extension allows that per message, §6). Default: 64.
    pub threshold: usize,
    /// Ask that the server reset its compression context after each
    /// message (saves the client memory, costs ratio). Default: false.
    pub server_no_context_takeover: bool,
    /// Ask that the client reset its compression context after each
    /// message. Default: false.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window, as a power of two (8–15), the server may
    /// compress with. Default: 15.
    pub server_max_window_bits: u8,
    /// The largest window the client may compress with (8–15). Default: 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            level: 3,
            threshold: 64,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// The parameters both ends agreed on (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window is at most 2^this bytes.
    pub server_max_window_bits: u8,
    /// The client's LZ77 window is at most 2^this bytes.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The `Sec-WebSocket-Extensions` value of a response that agrees to
    /// these parameters (defaults are left out).
    ///
    /// ```
    /// use rfc6455::deflate::DeflateParams;
    /// let params = DeflateParams { client_no_context_takeover: true, ..DeflateParams::default() };
    /// assert_eq!(params.to_response(), "permessage-deflate; client_no_context_takeover");
    /// ```
    pub fn to_response(&self) -> String {
        extension_value(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        )
    }
}

/// The extension name and the parameters an offer and a response write
/// alike, defaults left out; a window of 15 bits (the default) writes no
/// `client_max_window_bits`, which an offer then adds without a value.
fn extension_value(
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: u8,
    client_max_window_bits: u8,
) -> String {
    let mut out = String::from(EXTENSION_NAME);
    if server_no_context_takeover {
        out.push_str("; server_no_context_takeover");
    }
    if client_no_context_takeover {
        out.push_str("; client_no_context_takeover");
    }
    if server_max_window_bits < 15 {
        out.push_str(&format!(
            "; server_max_window_bits={server_max_window_bits}"
        ));
    }
    if client_max_window_bits < 15 {
        out.push_str(&format!(
            "; client_max_window_bits={client_max_window_bits}"
        ));
    }
    out
}

/// One parsed extension of a `Sec-WebSocket-Extensions` list.
#[derive(Debug, PartialEq, Eq)]
struct Extension<'a> {
    name: &'a str,
    params: Vec<(&'a str, Option<&'a str>)>,
}

/// Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1): a comma list
/// of `name *(";" param ["=" (token | quoted-string)])`. `None` if it is
/// not well formed.
fn parse_extensions(value: &str) -> Option<Vec<Extension<'_>>> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim_matches([' ', '\t']);
        if item.is_empty() {
            continue; // `#rule` allows empty elements
        }
        let mut parts = item.split(';').map(|p| p.trim_matches([' ', '\t']));
        let name = parts.next().filter(|n| is_token(n))?;
        let mut params = Vec::new();
        for part in parts {
            let (key, value) = match part.split_once('=') {
                Some((key, value)) => {
                    let value = value.trim_matches([' ', '\t']);
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    // §9.1: a quoted value must still be a token.
                    if !is_token(value) {
                        return None;
                    }
                    (key.trim_matches([' ', '\t']), Some(value))
                }
                None => (part, None),
            };
            if !is_token(key) {
                return None;
            }
            params.push((key, value));
        }
        out.push(Extension { name, params });
    }
    Some(out)
}

fn is_token(s: &str) -> bool {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={} \t";
    !s.is_empty()
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && !SEPARATORS.contains(&b))
}

/// A window-bits value: exactly the digits of 8–15, no sign, no leading zero.
fn window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [b'8'] => Some(8),
        [b'9'] => Some(9),
        [b'1', d @ b'0'..=b'5'] => Some(10 + (d - b'0')),
        _ => None,
    }
}

/// The parameters of one permessage-deflate offer or response.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only valid in an offer).
    client_max_window_bits: Option<Option<u8>>,
}

/// Reads the parameters of a permessage-deflate element; `None` on an
/// unknown parameter, a repeated one, or an invalid value (§7.1).
fn parse_params(params: &[(&str, Option<&str>)]) -> Option<Parsed> {
    let mut parsed = Parsed::default();
    let mut seen = [false; 4];
    for (key, value) in params {
        let index = match *key {
            "server_no_context_takeover" => 0,
            "client_no_context_takeover" => 1,
            "server_max_window_bits" => 2,
            "client_max_window_bits" => 3,
            _ => return None,
        };
        if std::mem::replace(&mut seen[index], true) {
            return None;
        }
        match (index, value) {
            (0, None) => parsed.server_no_context_takeover = true,
            (1, None) => parsed.client_no_context_takeover = true,
            (2, Some(v)) => parsed.server_max_window_bits = Some(window_bits(v)?),
            (3, None) => parsed.client_max_window_bits = Some(None),
            (3, Some(v)) => parsed.client_max_window_bits = Some(Some(window_bits(v)?)),
            _ => return None,
        }
    }
    Some(parsed)
}

impl DeflateConfig {
    /// The client's offer (RFC 7692 §5.1, §7.1): the extension name, the
    /// parameters this config asks for, and `client_max_window_bits`
    /// (value-less when any window is fine) so the server may limit ours.
    pub fn offer(&self) -> String {
        let mut out = extension_value(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
        );
        if self.client_max_window_bits >= 15 {
            // Value-less: the offer's way to say any window is fine.
            out.push_str("; client_max_window_bits");
        }
        out
    }

    /// Server side (RFC 7692 §5, §7.1): picks the first permessage-deflate
    /// offer among the request's `Sec-WebSocket-Extensions` values that is
    /// valid and that this config can accept, and returns the agreed
    /// parameters. Offers with unknown, repeated or invalid parameters are
    /// declined (§5: "MUST decline"); so is every offer when a header is
    /// not well formed. `None` means no deflate.
    ///
    /// ```
    /// use rfc6455::deflate::DeflateConfig;
    /// let config = DeflateConfig::default();
    /// let offers = ["permessage-deflate; server_max_window_bits=20, permessage-deflate; client_no_context_takeover"];
    /// let params = config.negotiate(offers).unwrap();
    /// assert!(params.client_no_context_takeover);
    /// ```
    pub fn negotiate<'a>(
        &self,
        header_values: impl IntoIterator<Item = &'a str>,
    ) -> Option<DeflateParams> {
        let mut offers = Vec::new();
        for value in header_values {
            offers.extend(parse_extensions(value)?);
        }
        offers
            .iter()
            .filter(|offer| offer.name.eq_ignore_ascii_case(EXTENSION_NAME))
            .find_map(|offer| self.accept_offer(&parse_params(&offer.params)?))
    }

    fn accept_offer(&self, offer: &Parsed) -> Option<DeflateParams> {
        let client_max_window_bits = match offer.client_max_window_bits {
            // The client may be limited to our maximum, or to its own.
            Some(limit) => limit.unwrap_or(15).min(self.client_max_window_bits),
            // The client did not say it can limit its window: we cannot
            // ask it to (§7.1.2.2), so we must take 15.
            None if self.client_max_window_bits < 15 => return None,
            None => 15,
        };
        Some(DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: offer
                .server_max_window_bits
                .unwrap_or(15)
                .min(self.server_max_window_bits),
            client_max_window_bits,
        })
    }

    /// Client side (RFC 7692 §5, §7.1): checks the server's
    /// `Sec-WebSocket-Extensions` values against the offer made from this
    /// config. `Ok(None)`: the server declined deflate. An extension that
    /// was not offered, a repeated or unknown parameter, an invalid value,
    /// or a value above what was offered is an error naming what was wrong.
    pub fn validate_response<'a>(
        &self,
        header_values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<DeflateParams>, String> {
        let mut accepted = None;
        for value in header_values {
            let extensions = parse_extensions(value)
                .ok_or_else(|| format!("malformed extension list {value:?}"))?;
            for extension in extensions {
                if !extension.name.eq_ignore_ascii_case(EXTENSION_NAME) {
                    return Err(extension.name.to_owned());
                }
                if accepted.is_some() {
                    return Err(format!("{EXTENSION_NAME} selected twice"));
                }
                let parsed = parse_params(&extension.params)
                    .ok_or_else(|| format!("invalid parameters in {value:?}"))?;
                accepted = Some(self.check_response(&parsed)?);
            }
        }
        Ok(accepted)
    }

    fn check_response(&self, response: &Parsed) -> Result<DeflateParams, String> {
        if self.server_no_context_takeover && !response.server_no_context_takeover {
            return Err("server_no_context_takeover was requested but not agreed".into());
        }
        let server_max_window_bits = response.server_max_window_bits.unwrap_or(15);
        if server_max_window_bits > self.server_max_window_bits {
            return Err(format!(
                "server_max_window_bits={server_max_window_bits} exceeds the offered {}",
                self.server_max_window_bits
            ));
        }
        let client_max_window_bits = match response.client_max_window_bits {
            None => self.client_max_window_bits,
            Some(None) => return Err("client_max_window_bits without a value".into()),
            Some(Some(bits)) => bits.min(self.client_max_window_bits),
        };
        Ok(DeflateParams {
            server_no_context_takeover: response.server_no_context_takeover,
            client_no_context_takeover: response.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }
}

/// Why inflating a message failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The decompressed message would pass the limit; `len` is how much
    /// was produced when it was stopped.
    TooLong {
        /// Bytes produced so far (more than the limit).
        len: usize,
    },
    /// The compressed data is not valid DEFLATE.
    Invalid,
}

/// The decompressor of one direction of a connection.
///
/// ```
/// use rfc6455::deflate::Inflater;
/// // RFC 7692 §7.2.3.1: "Hello" compressed, tail removed.
/// let mut inflater = Inflater::new(15, false);
/// let mut out = Vec::new();
/// inflater.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 1024).unwrap();
/// inflater.finish(&mut out, 1024).unwrap();
/// assert_eq!(out, b"Hello");
/// ```
#[derive(Debug)]
pub struct Inflater {
    state: Option<Decompress>,
    window_bits: u8,
    no_context_takeover: bool,
    /// The stream had a final block: the rest of the message is ignored.
    ended: bool,
}

impl Inflater {
    /// A decompressor for a peer whose window is at most 2^`window_bits`
    /// and that resets its context after each message if
    /// `no_context_takeover`.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Inflater {
            state: None,
            // zlib inflates 8-bit windows fine, but flate2 wants 9–15; a
            // bigger window accepts every stream a smaller one does.
            window_bits: window_bits.clamp(9, 15),
            no_context_takeover,
            ended: false,
        }
    }

    /// Inflates the next piece of a message's compressed payload,
    /// appending to `out`, which must not grow past `max_len`.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        self.run(input, out, max_len, FlushDecompress::None)
    }

    /// Ends a message: inflates the removed tail (§7.2.2) and resets the
    /// context if the peer does not take it over.
    pub fn finish(&mut self, out: &mut Vec<u8>, max_len: usize) -> Result<(), InflateError> {
        let result = self.run(&TAIL, out, max_len, FlushDecompress::Sync);
        if self.no_context_takeover || self.ended || result.is_err() {
            self.reset();
        }
        result
    }

    /// Forgets the context (after a message of a peer that does not take
    /// it over, or after an error).
    pub fn reset(&mut self) {
        if let Some(state) = &mut self.state {
            state.reset(false);
        }
        self.ended = false;
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
        flush: FlushDecompress,
    ) -> Result<(), InflateError> {
        let window_bits = self.window_bits;
        let state = self
            .state
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, window_bits));
        while !self.ended {
            // Produce at most one byte past the limit: enough to know it
            // was passed, never more memory than the limit allows.
            let room = (max_len + 1).saturating_sub(out.len());
            if room == 0 {
                return Err(InflateError::TooLong { len: out.len() });
            }
            if out.capacity() - out.len() < 1024.min(room) {
                // Grow geometrically (a message arriving in many small
                // frames must not copy itself over and over), but never
                // past the limit.
                let target = (out.len() * 2).max(out.len() + 4096).min(max_len + 1);
                out.reserve_exact(target - out.len());
            }
            let spare = out.capacity() - out.len();
            let (before_in, before_out) = (state.total_in(), state.total_out());
            let status = state
                .decompress_vec(input, out, flush)
                .map_err(|_| InflateError::Invalid)?;
            let consumed = (state.total_in() - before_in) as usize;
            let produced = (state.total_out() - before_out) as usize;
            input = &input[consumed..];
            if out.len() > max_len {
                return Err(InflateError::TooLong { len: out.len() });
            }
            match status {
                Status::StreamEnd => self.ended = true,
                _ if produced < spare && input.is_empty() => break,
                _ if consumed == 0 && produced == 0 => break,
                _ => {}
            }
        }
        Ok(())
    }
}

/// The compressor of one direction of a connection.
///
/// ```
/// use rfc6455::deflate::{Deflater, Inflater};
/// let mut deflater = Deflater::new(15, false, 6);
/// let mut wire = Vec::new();
/// deflater.compress(b"Hello", &mut wire);
/// assert!(!wire.ends_with(&[0, 0, 0xff, 0xff]));
/// let mut inflater = Inflater::new(15, false);
/// let mut out = Vec::new();
/// inflater.inflate(&wire, &mut out, 100).unwrap();
/// inflater.finish(&mut out, 100).unwrap();
/// assert_eq!(out, b"Hello");
/// ```
#[derive(Debug)]
pub struct Deflater {
    state: Option<Compress>,
    window_bits: u8,
    no_context_takeover: bool,
    level: u32,
}

impl Deflater {
    /// A compressor with a window of at most 2^`window_bits` that resets its
    /// context after each message if `no_context_takeover`.
    pub fn new(window_bits: u8, no_context_takeover: bool, level: u32) -> Self {
        Deflater {
            state: None,
            window_bits: window_bits.clamp(8, 15),
            no_context_takeover,
            level: level.min(9),
        }
    }

    /// Whether this compressor can compress at all. zlib cannot make raw
    /// DEFLATE with a 256-byte window (it would silently use 512 bytes and
    /// break a peer holding us to 8 bits), so with 8 bits every message is
    /// sent uncompressed, which the extension allows (RFC 7692 §6).
    pub fn can_compress(&self) -> bool {
        self.window_bits >= 9
    }

    /// Appends `input` compressed as one message (a sync flush with its
    /// tail removed, §7.2.1) to `out`. Returns false, with `out` as it was,
    /// if it cannot compress (see [`can_compress`](Self::can_compress)).
    pub fn compress(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> bool {
        if !self.can_compress() {
            return false;
        }
        let (level, window_bits) = (self.level, self.window_bits);
        let state = self.state.get_or_insert_with(|| {
            Compress::new_with_window_bits(Compression::new(level), false, window_bits)
        });
        let start = out.len();
        loop {
            out.reserve(input.len() / 2 + 64);
            let spare = out.capacity() - out.len();
            let before_in = state.total_in();
            let before_out = state.total_out();
            if state.compress_vec(input, out, FlushCompress::Sync).is_err() {
                // Only misuse of zlib gets here; send this one uncompressed.
                out.truncate(start);
                state.reset();
                return false;
            }
            input = &input[(state.total_in() - before_in) as usize..];
            let produced = (state.total_out() - before_out) as usize;
            if input.is_empty() && produced < spare {
                break;
            }
        }
        if out[start..].ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.len() == start {
            // zlib flushes nothing when nothing is new (an empty message
            // after another): the message must still hold a block, so
            // send the empty stored block of RFC 7692 §7.2.3.6, which the
            // peer completes with the tail it appends.
            out.push(0x00);
        }
        if self.no_context_takeover {
            state.reset();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bits_values() {
        for (text, bits) in [
            ("8", Some(8)),
            ("9", Some(9)),
            ("10", Some(10)),
            ("15", Some(15)),
        ] {
            assert_eq!(window_bits(text), bits);
        }
        for bad in ["7", "16", "08", "+9", "", "9 ", "1"] {
            assert_eq!(window_bits(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn parses_extension_lists() {
        let parsed =
            parse_extensions("permessage-deflate; client_max_window_bits, foo; a=\"1\"").unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].params, vec![("client_max_window_bits", None)]);
        assert_eq!(parsed[1].params, vec![("a", Some("1"))]);
        assert!(parse_extensions("permessage-deflate; a=\"x y\"").is_none());
        assert!(parse_extensions("; a").is_none());
    }

    #[test]
    fn offers_with_bad_parameters_are_declined() {
        let config = DeflateConfig::default();
        for offer in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_no_context_takeover=1",
            "x-webkit-deflate-frame",
        ] {
            assert_eq!(config.negotiate([offer]), None, "{offer}");
        }
    }

    #[test]
    fn server_takes_the_first_acceptable_offer_across_headers() {
        let config = DeflateConfig::default();
        let params = config
            .negotiate([
                "permessage-deflate; foo, permessage-deflate; server_max_window_bits=9; server_no_context_takeover",
                "permessage-deflate",
            ])
            .unwrap();
        assert_eq!(
            params,
            DeflateParams {
                server_no_context_takeover: true,
                server_max_window_bits: 9,
                ..DeflateParams::default()
            }
        );
        assert_eq!(
            params.to_response(),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
        );
    }

    #[test]
    fn server_limits_client_window_only_when_offered() {
        let config = DeflateConfig {
            client_max_window_bits: 10,
            ..DeflateConfig::default()
        };
        assert_eq!(config.negotiate(["permessage-deflate"]), None);
        let params = config
            .negotiate(["permessage-deflate; client_max_window_bits"])
            .unwrap();
        assert_eq!(params.client_max_window_bits, 10);
        let params = config
            .negotiate(["permessage-deflate; client_max_window_bits=9"])
            .unwrap();
        assert_eq!(params.client_max_window_bits, 9);
    }

    #[test]
    fn client_validates_the_response() {
        let config = DeflateConfig {
            server_max_window_bits: 12,
            ..DeflateConfig::default()
        };
        assert_eq!(config.validate_response(Vec::<&str>::new()), Ok(None));
        let ok = config
            .validate_response([
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
            ])
            .unwrap()
            .unwrap();
        assert_eq!(
            (ok.server_max_window_bits, ok.client_max_window_bits),
            (10, 9)
        );
        for bad in [
            "permessage-deflate; server_max_window_bits=13",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; foo",
            "permessage-deflate, permessage-deflate",
            "x-other",
        ] {
            assert!(config.validate_response([bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc7692_7_2_3_vectors() {
        let inflate = |pieces: &[&[u8]]| {
            let mut inflater = Inflater::new(15, false);
            pieces
                .iter()
                .map(|piece| {
                    let mut out = Vec::new();
                    inflater.inflate(piece, &mut out, 100).unwrap();
                    inflater.finish(&mut out, 100).unwrap();
                    out
                })
                .collect::<Vec<_>>()
        };
        // §7.2.3.1 a message compressed; §7.2.3.2 the second with the
        // first as context (takeover).
        let hello: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let again: &[u8] = &[0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(
            inflate(&[hello, again]),
            vec![b"Hello".to_vec(), b"Hello".to_vec()]
        );
        // §7.2.3.3 a stored (uncompressed) block.
        let stored: &[u8] = &[
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        assert_eq!(inflate(&[stored]), vec![b"Hello".to_vec()]);
        // §7.2.3.4 a block with BFINAL set, then the next message.
        let bfinal: &[u8] = &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(
            inflate(&[bfinal, hello]),
            vec![b"Hello".to_vec(), b"Hello".to_vec()]
        );
        // §7.2.3.5 two DEFLATE blocks in one message.
        let two: &[u8] = &[
            0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
        ];
        assert_eq!(inflate(&[two]), vec![b"Hello".to_vec()]);
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let mut deflater = Deflater::new(15, false, 9);
        let mut bomb = Vec::new();
        deflater.compress(&vec![0u8; 1 << 20], &mut bomb);
        assert!(bomb.len() < 2048, "{}", bomb.len());
        let mut inflater = Inflater::new(15, false);
        let mut out = Vec::new();
        let error = inflater.inflate(&bomb, &mut out, 1000).unwrap_err();
        assert_eq!(error, InflateError::TooLong { len: 1001 });
        assert!(
            out.capacity() <= 1001,
            "memory stays bounded: {}",
            out.capacity()
        );
    }

    #[test]
    fn round_trip_for_every_window_and_takeover() {
        let text: Vec<u8> = (0..5000u32)
            .map(|i| b"abcdefghij"[(i * i % 10) as usize])
            .collect();
        for bits in 9..=15 {
            for takeover in [false, true] {
                let mut deflater = Deflater::new(bits, !takeover, 6);
                let mut inflater = Inflater::new(bits, !takeover);
                for round in 0..3 {
                    let message = &text[round * 100..];
                    let mut wire = Vec::new();
                    assert!(deflater.compress(message, &mut wire));
                    let mut out = Vec::new();
                    // In pieces, as frames arrive.
                    for piece in wire.chunks(7) {
                        inflater.inflate(piece, &mut out, 1 << 20).unwrap();
                    }
                    inflater.finish(&mut out, 1 << 20).unwrap();
                    assert_eq!(
                        out, message,
                        "bits {bits} takeover {takeover} round {round}"
                    );
                }
            }
        }
        assert!(!Deflater::new(8, false, 6).compress(b"x", &mut Vec::new()));
    }

    #[test]
    fn invalid_data_is_an_error() {
        let mut inflater = Inflater::new(15, false);
        let mut out = Vec::new();
        assert_eq!(
            inflater.inflate(&[0xff; 16], &mut out, 100),
            Err(InflateError::Invalid)
        );
    }
}
