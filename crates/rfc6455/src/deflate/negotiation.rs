//! permessage-deflate negotiation (RFC 7692 §5, §7.1): what this end
//! asks for ([`DeflateConfig`]), what both ends agreed ([`DeflateParams`]),
//! and the `Sec-WebSocket-Extensions` values that carry them, parsed and
//! built.

use super::EXTENSION_NAME;
use crate::token::is_token;

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
    #[must_use]
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
        let name = parts.next().filter(|n| is_token(n.as_bytes()))?;
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
                    if !is_token(value.as_bytes()) {
                        return None;
                    }
                    (key.trim_matches([' ', '\t']), Some(value))
                }
                None => (part, None),
            };
            if !is_token(key.as_bytes()) {
                return None;
            }
            params.push((key, value));
        }
        out.push(Extension { name, params });
    }
    Some(out)
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
    #[must_use]
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
}
