//! Incremental UTF-8 validation that fails fast (RFC 6455 §8.1).
//!
//! Text arrives in pieces: fragments, and parts of a frame that has not
//! fully arrived. [`Utf8Validator`] checks each piece as it comes and
//! reports an invalid byte as soon as it is seen, not when the message
//! ends, so a connection can close with 1007 right away (Autobahn 6.4.*).
//! It owns no buffer of the text itself, only up to three bytes of a
//! character split across pieces.

/// An invalid byte sequence was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

/// Streaming UTF-8 validator.
///
/// ```
/// use rfc6455::utf8::Utf8Validator;
/// let mut v = Utf8Validator::new();
/// assert!(v.feed(b"caf\xc3").is_ok()); // a character split in two
/// assert!(v.feed(b"\xa9").is_ok());
/// assert!(v.finish().is_ok());
///
/// let mut v = Utf8Validator::new();
/// // 0xF4 0x90 can never start a valid character: rejected at once.
/// assert!(v.feed(b"ok\xf4\x90").is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece. Fails as soon as the bytes seen so far
    /// cannot be the start of valid UTF-8.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let need = char_width(self.partial[0]) - have;
            let take = need.min(input.len());
            self.partial[have..have + take].copy_from_slice(&input[..take]);
            match check(&self.partial[..have + take]) {
                Ok(()) => self.partial_len = 0,
                Err(e) if e.error_len.is_some() => return Err(InvalidUtf8),
                Err(_) => {
                    self.partial_len += take as u8;
                    return Ok(());
                }
            }
            input = &input[take..];
        }
        match check(input) {
            Ok(()) => Ok(()),
            Err(e) if e.error_len.is_some() => Err(InvalidUtf8),
            Err(e) => {
                let tail = &input[e.valid_up_to..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// Ends the text: fails if it stopped inside a character.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete {
            Ok(())
        } else {
            Err(InvalidUtf8)
        }
    }

    /// Forgets any partial character, ready for a new text.
    pub fn reset(&mut self) {
        self.partial_len = 0;
    }
}

/// The length of the character a valid lead byte starts.
/// Where whole-input validation stopped: as `std::str::Utf8Error` says it.
struct Stop {
    valid_up_to: usize,
    /// `None`: the input ends inside a character that may still be valid.
    error_len: Option<usize>,
}

/// Validates `input` whole, saying where and how it stopped: with SIMD
/// (simdutf8, picked at run time) under the `simd` feature, else std.
fn check(input: &[u8]) -> Result<(), Stop> {
    #[cfg(feature = "simd")]
    let result = simdutf8::compat::from_utf8(input).map(drop);
    #[cfg(not(feature = "simd"))]
    let result = std::str::from_utf8(input).map(drop);
    result.map_err(|e| Stop {
        valid_up_to: e.valid_up_to(),
        error_len: e.error_len(),
    })
}

/// Whether `input` is valid UTF-8 as a whole (a complete text message):
/// the fastest check there is, with no detail on failure.
pub(crate) fn is_valid(input: &[u8]) -> bool {
    #[cfg(feature = "simd")]
    return simdutf8::basic::from_utf8(input).is_ok();
    #[cfg(not(feature = "simd"))]
    return std::str::from_utf8(input).is_ok();
}

fn char_width(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples: valid text of every width, and the classic invalid
    /// sequences (overlong, surrogate, past U+10FFFF, stray continuation).
    const SAMPLES: &[&[u8]] = &[
        b"",
        b"hello",
        "κόσμε".as_bytes(),
        "\u{10ffff}\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}".as_bytes(),
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xf4\x90\x80\x80",
        b"\xed\xa0\x80",
        b"\x80",
        b"ab\xf0\x9f\x98",
        b"\xf0\x9f\x98\x80",
        b"\xfe",
    ];

    /// Feeds `input` split at every pair of points; the verdict must agree
    /// with `std::str::from_utf8` and must come no later than the piece
    /// holding the first invalid byte.
    #[test]
    fn agrees_with_std_for_every_split() {
        for input in SAMPLES {
            let expected = std::str::from_utf8(input);
            // The shortest prefix already known to be invalid.
            let detect_at = (0..=input.len()).find(|p| {
                std::str::from_utf8(&input[..*p]).is_err_and(|e| e.error_len().is_some())
            });
            for a in 0..=input.len() {
                for b in a..=input.len() {
                    let mut v = Utf8Validator::new();
                    let mut failed_at = None;
                    for (start, piece) in [(0, &input[..a]), (a, &input[a..b]), (b, &input[b..])] {
                        if v.feed(piece).is_err() {
                            failed_at = Some(start + piece.len());
                            break;
                        }
                    }
                    let ok = failed_at.is_none() && v.finish().is_ok();
                    assert_eq!(ok, expected.is_ok(), "{input:?} split {a} {b}");
                    if let Some(detect) = detect_at {
                        // Fail fast: the first piece that reaches the bad
                        // byte fails, not a later one.
                        let piece_end = [a, b, input.len()].into_iter().find(|end| *end >= detect);
                        assert_eq!(failed_at, piece_end, "{input:?} split {a} {b}");
                    }
                }
            }
        }
    }
}
