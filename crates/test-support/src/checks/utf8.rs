//! `utf8`: the incremental validator ([`Utf8Validator`]) fed arbitrary splits.
//!
//! Input layout: the first byte's low 3 bits say how many split points
//! follow (one byte each, taken modulo the text's length); the rest is the
//! text. Must hold:
//! - the verdict (every piece fed, then `finish`) equals
//!   `std::str::from_utf8` on the whole text;
//! - the validator fails on the first piece that reaches the byte at which
//!   the text can no longer be UTF-8, not on an earlier piece (no false
//!   alarm) and not on a later one (fail fast, RFC 6455 §8.1);
//! - after `reset`, the same validator judges a fresh text correctly.

use super::input::Input;
use rfc6455::utf8::Utf8Validator;

/// The checks of the `utf8` target.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let splits = usize::from(input.byte() & 0x7);
    let raw_points: Vec<u8> = input.take(splits).to_vec();
    let text = input.rest();

    let mut points: Vec<usize> = raw_points
        .iter()
        .map(|p| usize::from(*p) % (text.len() + 1))
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([text.len()]) {
        pieces.push((start, &text[start..point]));
        start = point;
    }

    let expected = std::str::from_utf8(text);
    let detect_at = first_invalid_prefix(text);

    let mut validator = Utf8Validator::new();
    let mut failed_at = None;
    for (start, piece) in &pieces {
        if validator.feed(piece).is_err() {
            failed_at = Some(start + piece.len());
            break;
        }
    }
    let verdict_ok = failed_at.is_none() && validator.finish().is_ok();
    assert_eq!(
        verdict_ok,
        expected.is_ok(),
        "validator and std disagree on {text:02x?} split as {pieces:02x?}"
    );
    match detect_at {
        Some(detect) => {
            // The end of the first piece that holds byte `detect - 1`.
            let piece_end = pieces
                .iter()
                .map(|(start, piece)| start + piece.len())
                .find(|end| *end >= detect);
            assert_eq!(
                failed_at, piece_end,
                "{text:02x?} is invalid from byte {detect}; pieces {pieces:02x?}"
            );
        }
        None => assert_eq!(
            failed_at, None,
            "false alarm on {text:02x?}, pieces {pieces:02x?}"
        ),
    }

    // The same validator, reset, on the text in one piece.
    validator.reset();
    let one_piece = validator.feed(text).is_ok() && validator.finish().is_ok();
    assert_eq!(one_piece, expected.is_ok(), "after reset, {text:02x?}");
    // And on a valid text after an invalid one.
    validator.reset();
    assert!(validator.feed("ok κόσμε".as_bytes()).is_ok());
    assert!(validator.finish().is_ok());
}

/// The length of the shortest prefix of `text` that no continuation could
/// make valid UTF-8, if any: where a validator that fails fast (RFC 6455
/// §8.1) must fail. Shared with `streaming_receive`.
pub fn first_invalid_prefix(text: &[u8]) -> Option<usize> {
    let error = std::str::from_utf8(text).err()?;
    error.error_len()?;
    let start = error.valid_up_to();
    // The prefix up to `start` is valid and ends on a character boundary, so
    // only the (at most four byte) sequence after it decides.
    (start + 1..=text.len().min(start + 4))
        .find(|end| std::str::from_utf8(&text[start..*end]).is_err_and(|e| e.error_len().is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_invalid_prefix_is_where_std_gives_up() {
        assert_eq!(first_invalid_prefix(b"ok"), None);
        assert_eq!(first_invalid_prefix(b"ab\xf0\x9f\x98"), None);
        assert_eq!(first_invalid_prefix(b"ab\x80"), Some(3));
        assert_eq!(first_invalid_prefix(b"\xf4\x90\x80\x80"), Some(2));
        assert_eq!(first_invalid_prefix(b"\xe0\x80\xaf"), Some(2));
        assert_eq!(first_invalid_prefix(b"\xf0\x9f\x98x"), Some(4));
    }
}
