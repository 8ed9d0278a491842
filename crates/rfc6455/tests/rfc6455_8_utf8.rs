//! RFC 6455 §8.1: text must be UTF-8, checked as it arrives (fail fast),
//! driven through the sans-IO `Connection`.

use rfc6455::{Error, Message, ProtocolError};
use rfc6455_test_support::*;

fn assert_invalid_utf8(error: Option<Error>) {
    assert!(
        matches!(error, Some(Error::Protocol(ProtocolError::InvalidUtf8))),
        "{error:?}"
    );
}

#[test]
fn invalid_text_is_1007() {
    let mut conn = server();
    let error = assert_fails_with(&mut conn, &client_frame(true, TEXT, b"\xff"), 1007);
    assert!(matches!(error, Error::Protocol(ProtocolError::InvalidUtf8)));
}

#[test]
fn invalid_byte_fails_before_the_frame_has_arrived() {
    // Autobahn 6.4.3: the bad sequence arrives, the rest of the frame
    // never does; the connection must close right away.
    let mut payload = "κόσμε".as_bytes().to_vec();
    payload.extend_from_slice(b"\xf4\x90\x80\x80");
    payload.extend_from_slice(b"edited and much more that has not arrived");
    let wire = client_frame(true, TEXT, &payload);
    let header = 6;
    let bad = header + "κόσμε".len() + 2; // up to and including 0xF4 0x90
    let mut conn = server();
    let (events, error) = feed(&mut conn, &wire[..bad - 1]);
    assert!(
        events.is_empty() && error.is_none(),
        "0xF4 alone may still be valid"
    );
    let (_, error) = feed(&mut conn, &wire[bad - 1..bad]);
    assert_invalid_utf8(error);
    assert_eq!(take_output(&mut conn)[0].close_code(), Some(1007));
}

#[test]
fn invalid_fragment_fails_before_the_message_ends() {
    // Autobahn 6.4.1: fail on the bad fragment, not on the final one.
    let mut conn = server();
    let (_, error) = feed(&mut conn, &client_frame(false, TEXT, "κόσμε".as_bytes()));
    assert!(error.is_none());
    let (_, error) = feed(
        &mut conn,
        &client_frame(false, CONTINUATION, b"\xf4\x90\x80\x80"),
    );
    assert_invalid_utf8(error);
}

#[test]
fn characters_split_across_fragments_and_reads_are_valid() {
    let text = "a€𝄞z";
    let bytes = text.as_bytes();
    for split in 0..=bytes.len() {
        let mut wire = client_frame(false, TEXT, &bytes[..split]);
        wire.extend(client_frame(true, CONTINUATION, &bytes[split..]));
        for cut in [1, wire.len() / 2, wire.len() - 1] {
            let mut conn = server();
            let (mut events, e1) = feed(&mut conn, &wire[..cut]);
            let (more, e2) = feed(&mut conn, &wire[cut..]);
            events.extend(more);
            assert!(e1.is_none() && e2.is_none(), "split {split} cut {cut}");
            assert_eq!(events, vec![Message::text(text)]);
        }
    }
}

#[test]
fn message_ending_inside_a_character_is_1007() {
    let mut conn = server();
    let mut wire = client_frame(false, TEXT, b"ok\xe2\x82");
    wire.extend(client_frame(true, CONTINUATION, b""));
    assert_fails_with(&mut conn, &wire, 1007);
}

#[test]
fn binary_is_not_checked() {
    let mut conn = server();
    let (events, error) = feed(&mut conn, &client_frame(true, BINARY, b"\xff\xfe"));
    assert!(error.is_none());
    assert_eq!(events, vec![Message::binary(vec![0xff, 0xfe])]);
}
