//! The HTTP/1.1 grammar that the opening handshake (RFC 6455 §4) and the
//! extension negotiation (§9.1, RFC 7692 §7.1) share: tokens, optional
//! whitespace, comma-separated lists (RFC 7230 §3.2.3, §3.2.6, §7).

/// `value` without the optional whitespace (SP, HTAB) around it
/// (RFC 7230 §3.2.3).
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &value[start..end]
}

/// The elements of a comma-separated header list (`1#element`, RFC 7230
/// §7), trimmed, empty elements skipped as the rule allows.
pub(crate) fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|item| !item.is_empty())
}

/// Whether `s` is an HTTP `token` (RFC 2616 §2.2): visible ASCII without
/// separators. Subprotocol names are tokens (RFC 6455 §4.1 item 10).
pub(crate) fn is_token(s: &[u8]) -> bool {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={} \t";
    !s.is_empty()
        && s.iter()
            .all(|b| (0x21..=0x7e).contains(b) && !SEPARATORS.contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_lists_and_whitespace() {
        assert!(is_token(b"permessage-deflate") && is_token(b"chat.v2"));
        for bad in [&b""[..], b"a b", b"a,b", b"\"x\"", b"caf\xc3\xa9", b"a=b"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert_eq!(trim_ows(b" \t x y\t "), b"x y");
        assert_eq!(trim_ows(b" \t"), b"");
        let items: Vec<&[u8]> = list_items(b" a, ,b ,, c ").collect();
        assert_eq!(items, [&b"a"[..], b"b", b"c"]);
    }
}
