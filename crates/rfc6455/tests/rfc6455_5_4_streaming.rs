//! RFC 6455 §5.4 (fragmentation), §5.5 (control frames between fragments)
//! and §8.1 (UTF-8), with messages streamed as they arrive
//! (`Connection::next_streamed_event`): the streamed data of every message
//! is the whole-message API's message, for any chunking of the input, with
//! and without permessage-deflate (RFC 7692); invalid text fails at the
//! same byte; limits hold. Driven through the sans-IO `Connection`.

use rfc6455::deflate::{DeflateConfig, DeflateParams, Deflater, Inflater};
use rfc6455::{Config, Connection, Error, Message, MessageKind, ProtocolError, Role, StreamEvent};
use rfc6455_test_support::checks::streaming::{streamed_events, whole_events, Got};
use rfc6455_test_support::rng::{seeded, Rng, StdRng};
use rfc6455_test_support::*;

/// A server, with permessage-deflate (default parameters) if `deflate`.
fn server_with(config: Config, deflate: bool) -> Connection {
    let params = deflate.then(DeflateParams::default);
    let config = if deflate {
        config.deflate(DeflateConfig::default())
    } else {
        config
    };
    Connection::with_deflate(Role::Server, config, params)
}

/// A message's data in random frames (§5.4), as a client sends it,
/// compressed as one stream with RSV1 on the first frame only (RFC 7692
/// §6.1) when `deflater` is given.
fn fragmented(
    rng: &mut StdRng,
    opcode: u8,
    data: &[u8],
    deflater: Option<&mut Deflater>,
) -> Vec<u8> {
    let (payload, rsv) = match deflater {
        Some(deflater) => {
            let mut compressed = Vec::new();
            assert!(deflater.compress(data, &mut compressed));
            (compressed, 0b100)
        }
        None => (data.to_vec(), 0),
    };
    let mut wire = Vec::new();
    let mut rest = &payload[..];
    let mut first = true;
    loop {
        let take = if rng.random_bool(0.3) {
            rest.len()
        } else {
            rng.random_range(0..=rest.len())
        };
        let (piece, after) = rest.split_at(take);
        let fin = after.is_empty();
        let (op, bits) = if first {
            (opcode, rsv)
        } else {
            (CONTINUATION, 0)
        };
        wire.extend(raw_frame(fin, bits, op, Some(KEY), piece));
        first = false;
        rest = after;
        if fin {
            return wire;
        }
    }
}

/// Random text (some of it multi-byte) or bytes, compressible or not.
fn random_data(rng: &mut StdRng, text: bool) -> Vec<u8> {
    let len = match rng.random_range(0..4) {
        0 => rng.random_range(0..16),
        1 => rng.random_range(0..2000),
        _ => rng.random_range(0..200_000),
    };
    if text {
        let alphabet = ["a", "b", " ", "é", "κ", "€", "😀"];
        let mut s = String::new();
        while s.len() < len {
            s.push_str(alphabet[rng.random_range(0..alphabet.len())]);
        }
        s.into_bytes()
    } else if rng.random_bool(0.5) {
        (0..len).map(|_| rng.random()).collect()
    } else {
        (0..len).map(|i| (i / 100) as u8).collect()
    }
}

/// Feeds `wire` in random pieces to a connection and collects what
/// `next_streamed_event` gives, each message reassembled (with the checks
/// of `checks::streaming`: one start, chunks never empty nor over 64 KiB,
/// one end).
fn stream(conn: &mut Connection, wire: &[u8], rng: &mut StdRng) -> (Vec<Got>, Option<Error>) {
    streamed_events(conn, wire, |left| rng.random_range(1..=left.min(70_000)))
}

/// The same, through the whole-message API, all at once.
fn whole(conn: &mut Connection, wire: &[u8]) -> (Vec<Got>, Option<Error>) {
    conn.receive(wire);
    whole_events(conn)
}

/// (a) For random messages in random frames, fed in random chunks, the
/// streamed data of each message is the whole-message API's message, with
/// and without permessage-deflate (context taken over between messages).
#[test]
fn streamed_data_is_the_whole_message_for_any_chunking() {
    for deflate in [false, true] {
        for seed in 0..12 {
            let mut rng = seeded(seed);
            let mut deflater = Deflater::new(15, false, 6);
            let mut wire = Vec::new();
            for _ in 0..6 {
                let text = rng.random_bool(0.5);
                let data = random_data(&mut rng, text);
                let opcode = if text { TEXT } else { BINARY };
                wire.extend(fragmented(
                    &mut rng,
                    opcode,
                    &data,
                    deflate.then_some(&mut deflater),
                ));
                if rng.random_bool(0.3) {
                    wire.extend(client_frame(true, PING, b"between"));
                }
            }
            let (expected, error) = whole(&mut server_with(Config::default(), deflate), &wire);
            assert!(error.is_none(), "{error:?}");
            assert!(expected.len() >= 6);
            let mut streamed = server_with(Config::default(), deflate);
            let (got, error) = stream(&mut streamed, &wire, &mut rng);
            assert!(error.is_none(), "deflate {deflate} seed {seed}: {error:?}");
            assert!(got == expected, "deflate {deflate} seed {seed}");
        }
    }
}

/// Feeds `wire` a byte at a time; returns how many bytes were fed when
/// the connection failed, and the error.
fn fails_at(conn: &mut Connection, wire: &[u8], streamed: bool) -> (usize, Error) {
    for (i, byte) in wire.iter().enumerate() {
        conn.receive(std::slice::from_ref(byte));
        loop {
            let event = if streamed {
                conn.next_streamed_event().map(|e| e.map(drop))
            } else {
                conn.next_event().map(|e| e.map(drop))
            };
            match event {
                Ok(Some(())) => {}
                Ok(None) => break,
                Err(error) => return (i + 1, error),
            }
        }
    }
    panic!("no failure");
}

/// (b) Invalid UTF-8 in a streamed Text message fails (1007) at the same
/// input byte as through the whole-message API, mid-frame, with and
/// without deflate, and the invalid bytes are never handed out.
#[test]
fn invalid_utf8_fails_at_the_same_byte() {
    for deflate in [false, true] {
        for seed in 0..16 {
            let mut rng = seeded(100 + seed);
            let mut data = random_data(&mut rng, true);
            data.truncate(rng.random_range(0..=data.len().min(5000)));
            while std::str::from_utf8(&data).is_err() {
                data.pop();
            }
            let at = rng.random_range(0..=data.len());
            data.insert(at, 0xff);
            data.extend_from_slice(b"and more text after it");
            let mut deflater = Deflater::new(15, false, 6);
            let wire = fragmented(&mut rng, TEXT, &data, deflate.then_some(&mut deflater));
            let mut whole = server_with(Config::default(), deflate);
            let (expected, error) = fails_at(&mut whole, &wire, false);
            assert!(matches!(error, Error::Protocol(ProtocolError::InvalidUtf8)));
            let mut streamed = server_with(Config::default(), deflate);
            let (got, error) = fails_at(&mut streamed, &wire, true);
            assert!(matches!(error, Error::Protocol(ProtocolError::InvalidUtf8)));
            assert_eq!(got, expected, "deflate {deflate} seed {seed}");
            let close = take_output(&mut streamed);
            assert_eq!(close.last().and_then(|f| f.close_code()), Some(1007));
        }
    }
    // A chunk with the bad byte is never handed out.
    let mut conn = server();
    conn.receive(&client_frame(true, TEXT, b"good\xffbad"));
    let start = StreamEvent::MessageStart {
        kind: MessageKind::Text,
    };
    assert_eq!(conn.next_streamed_event().unwrap(), Some(start));
    assert!(conn.next_streamed_event().is_err());
}

/// (e) §5.4, §5.5: control frames between the fragments of a streamed
/// message come out between its chunks, a Ping is answered at once, and
/// a Close ends the connection's input with the message unfinished.
#[test]
fn control_frames_between_fragments() {
    for deflate in [false, true] {
        let mut conn = server_with(Config::default(), deflate);
        let mut deflater = Deflater::new(15, false, 6);
        let (first, second) = if deflate {
            let mut compressed = Vec::new();
            deflater.compress(b"hello world", &mut compressed);
            let (a, b) = compressed.split_at(compressed.len() / 2);
            (
                raw_frame(false, 0b100, TEXT, Some(KEY), a),
                client_frame(true, CONTINUATION, b),
            )
        } else {
            (
                client_frame(false, TEXT, b"hello "),
                client_frame(true, CONTINUATION, b"world"),
            )
        };
        let mut wire = first;
        wire.extend(client_frame(true, PING, b"p1"));
        wire.extend(client_frame(true, PONG, b"p2"));
        wire.extend(second);
        wire.extend(client_frame(true, TEXT, b"next"));
        let mut rng = seeded(7);
        let (got, error) = stream(&mut conn, &wire, &mut rng);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            got,
            vec![
                Got::Control(Message::Ping("p1".into())),
                Got::Control(Message::Pong("p2".into())),
                Got::Data(MessageKind::Text, b"hello world".to_vec()),
                Got::Data(MessageKind::Text, b"next".to_vec()),
            ]
        );
        let out = take_output(&mut conn);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].opcode, PONG);
        assert_eq!(out[0].payload, b"p1");
    }

    // The order of events, exactly: the Ping between two chunks.
    let mut conn = server();
    conn.receive(&client_frame(false, BINARY, b"ab"));
    conn.receive(&client_frame(true, PING, b""));
    conn.receive(&client_frame(true, CONTINUATION, b"cd"));
    let mut events = Vec::new();
    while let Some(event) = conn.next_streamed_event().unwrap() {
        events.push(event);
    }
    assert_eq!(
        events,
        vec![
            StreamEvent::MessageStart {
                kind: MessageKind::Binary
            },
            StreamEvent::Data("ab".into()),
            StreamEvent::Message(Message::Ping("".into())),
            StreamEvent::Data("cd".into()),
            StreamEvent::MessageEnd,
        ]
    );

    // A Close mid-message: answered, and nothing more comes.
    let mut conn = server();
    conn.receive(&client_frame(false, TEXT, b"half"));
    conn.receive(&client_frame(true, CLOSE, &close_payload(1000, b"")));
    conn.receive(&client_frame(true, CONTINUATION, b" never"));
    let mut events = Vec::new();
    while let Some(event) = conn.next_streamed_event().unwrap() {
        events.push(event);
    }
    assert!(
        matches!(events.last(), Some(StreamEvent::Message(Message::Close(_)))),
        "{events:?}"
    );
    assert!(!events.contains(&StreamEvent::MessageEnd));
    assert_eq!(take_output(&mut conn)[0].close_code(), Some(1000));
}

/// A compressed fragment inflates to more than a chunk holds: all of it
/// is handed out before the control frame that follows it on the wire,
/// and before the next frame's verdict. Its compressed bytes are a few
/// hundred, all taken by the inflater with the first chunk; the rest of
/// the output waited inside it, and came out only after the Ping (found
/// by the `streaming_receive` fuzz target, which saw the Ping delivered
/// before the 1009 of a message past its limit within the first fragment:
/// `fuzz/artifacts/streaming_receive/crash-output-held-in-inflater-past-frame-end`).
#[test]
fn an_inflated_fragment_is_all_out_before_the_next_frame() {
    // The fuzzer's case: 65,790 bytes of one letter, window 13, level 4,
    // compressed to 81 bytes; here cut at every point.
    let data = vec![b'p'; 65_790];
    let mut compressed = Vec::new();
    assert!(Deflater::new(13, false, 4).compress(&data, &mut compressed));
    let params = DeflateParams {
        client_max_window_bits: 13,
        ..DeflateParams::default()
    };
    let config = Config::default().deflate(DeflateConfig::default());
    for cut in 0..=compressed.len() {
        let (first, second) = compressed.split_at(cut);
        let mut wire = raw_frame(false, 0b100, BINARY, Some(KEY), first);
        wire.extend(client_frame(true, PING, b"after"));
        wire.extend(client_frame(true, CONTINUATION, second));
        // What the first fragment inflates to, as a whole message reads it.
        let mut inflater = Inflater::new(13, false);
        let mut expected = Vec::new();
        inflater.inflate(first, &mut expected, 1 << 20).unwrap();

        let mut conn = Connection::with_deflate(Role::Server, config.clone(), Some(params));
        conn.receive(&wire);
        let mut before_ping = 0;
        let mut after = Vec::new();
        while let Some(event) = conn.next_streamed_event().unwrap() {
            match event {
                StreamEvent::Data(chunk) if after.is_empty() => before_ping += chunk.len(),
                StreamEvent::MessageStart { .. } => {}
                event => after.push(event),
            }
        }
        assert_eq!(before_ping, expected.len(), "cut at {cut}: {after:?}");
        assert_eq!(
            after.first(),
            Some(&StreamEvent::Message(Message::Ping("after".into())))
        );
        assert_eq!(after.last(), Some(&StreamEvent::MessageEnd));

        // Past the limit within the first fragment: 1009 before the Ping.
        if expected.len() > 65_536 {
            let config = config.clone().max_streamed_message_size(65_536);
            let mut conn = Connection::with_deflate(Role::Server, config, Some(params));
            conn.receive(&wire);
            let error = loop {
                match conn.next_streamed_event() {
                    Ok(Some(StreamEvent::Message(m))) => panic!("cut at {cut}: {m:?} first"),
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("cut at {cut}: no failure"),
                    Err(error) => break error,
                }
            };
            assert!(matches!(error, Error::MessageTooLong { .. }), "{error}");
        }
    }
}

/// A streamed message is bounded by `max_streamed_message_size`, not
/// `max_message_size` nor `max_frame_size`: a frame's header past the
/// limit fails with 1009 at once; an inflated message when it passes it.
#[test]
fn streamed_message_has_its_own_limit() {
    let config = Config::default()
        .max_frame_size(1000)
        .max_message_size(1000)
        .max_streamed_message_size(10_000);
    // Over the whole-message limits, under the streamed one.
    let data = vec![5u8; 9000];
    let wire = client_frame(true, BINARY, &data);
    let mut conn = server_with(config.clone(), false);
    let (got, error) = stream(&mut conn, &wire, &mut seeded(1));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got, vec![Got::Data(MessageKind::Binary, data)]);
    // The same through the whole-message API: too long.
    let mut conn = server_with(config.clone(), false);
    assert_fails_with(&mut conn, &wire, 1009);

    // Over the streamed limit in the second frame's header.
    let mut conn = server_with(config.clone(), false);
    let mut wire = client_frame(false, BINARY, &[1; 6000]);
    wire.extend(client_frame(true, CONTINUATION, &[1; 6000]));
    conn.receive(&wire);
    let mut chunks = 0;
    let error = loop {
        match conn.next_streamed_event() {
            Ok(Some(StreamEvent::Data(_))) => chunks += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("no failure"),
            Err(error) => break error,
        }
    };
    assert_eq!(chunks, 1);
    assert!(
        matches!(
            error,
            Error::MessageTooLong {
                len: 12_000,
                max_len: 10_000
            }
        ),
        "{error}"
    );
    assert_eq!(take_output(&mut conn)[0].close_code(), Some(1009));

    // A deflate bomb: 1 MiB of zeros in a few hundred bytes, counted as it
    // is inflated, in chunks of at most 64 KiB.
    let mut deflater = Deflater::new(15, false, 9);
    let mut bomb = Vec::new();
    deflater.compress(&vec![0u8; 1 << 20], &mut bomb);
    let wire = raw_frame(true, 0b100, BINARY, Some(KEY), &bomb);
    let mut conn = server_with(config.max_streamed_message_size(300_000), true);
    conn.receive(&wire);
    let mut seen = 0;
    let error = loop {
        match conn.next_streamed_event() {
            Ok(Some(StreamEvent::Data(chunk))) => {
                assert!(chunk.len() <= 64 << 10);
                seen += chunk.len();
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("no failure"),
            Err(error) => break error,
        }
    };
    assert!(seen <= 300_000, "{seen}");
    assert!(
        matches!(
            error,
            Error::MessageTooLong {
                max_len: 300_000,
                ..
            }
        ),
        "{error}"
    );
}

/// `next_event` refuses to run mid-stream, changing nothing; a message
/// that `next_event` began stays whole when streaming is then asked for.
#[test]
fn switching_between_the_two_calls() {
    let mut conn = server();
    conn.receive(&client_frame(false, TEXT, b"streamed "));
    assert!(matches!(
        conn.next_streamed_event(),
        Ok(Some(StreamEvent::MessageStart { .. }))
    ));
    assert!(matches!(conn.next_event(), Err(Error::MessageStreaming)));
    assert!(conn.is_open() && !conn.is_failed());
    assert_eq!(
        conn.next_streamed_event().unwrap(),
        Some(StreamEvent::Data("streamed ".into()))
    );
    conn.receive(&client_frame(true, CONTINUATION, b"end"));
    assert_eq!(
        conn.next_streamed_event().unwrap(),
        Some(StreamEvent::Data("end".into()))
    );
    assert_eq!(
        conn.next_streamed_event().unwrap(),
        Some(StreamEvent::MessageEnd)
    );

    // Between messages, either call: here a whole one, begun by
    // `next_event`, finished by `next_streamed_event`.
    conn.receive(&client_frame(false, TEXT, b"whole "));
    assert_eq!(conn.next_event().unwrap(), None);
    conn.receive(&client_frame(true, CONTINUATION, b"one"));
    assert_eq!(
        conn.next_streamed_event().unwrap(),
        Some(StreamEvent::Message(Message::text("whole one")))
    );
    conn.receive(&client_frame(true, BINARY, b"x"));
    assert_eq!(conn.next_event().unwrap(), Some(Message::binary("x")));
}

/// The tokio layer: `next_streamed` on a reading half, Pings between the
/// fragments answered, and `next()` (whole messages) refusing mid-stream
/// without ending the connection.
#[tokio::test]
async fn tokio_layer_streams_and_refuses_to_mix() {
    use futures_util::{SinkExt, StreamExt};
    use rfc6455::WebSocket;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let mut ws = WebSocket::from_raw(ours, Role::Server, Config::default());
    theirs
        .write_all(&client_frame(false, BINARY, b"one "))
        .await
        .unwrap();
    theirs
        .write_all(&client_frame(true, PING, b"hi"))
        .await
        .unwrap();
    let start = ws.next_streamed().await.unwrap().unwrap();
    assert_eq!(
        start,
        StreamEvent::MessageStart {
            kind: MessageKind::Binary
        }
    );
    assert!(matches!(
        ws.next().await,
        Some(Err(Error::MessageStreaming))
    ));
    let (mut writer, mut reader) = ws.split();
    assert_eq!(
        reader.next_streamed().await.unwrap().unwrap(),
        StreamEvent::Data("one ".into())
    );
    assert_eq!(
        reader.next_streamed().await.unwrap().unwrap(),
        StreamEvent::Message(Message::Ping("hi".into()))
    );
    theirs
        .write_all(&client_frame(true, CONTINUATION, b"two"))
        .await
        .unwrap();
    assert_eq!(
        reader.next_streamed().await.unwrap().unwrap(),
        StreamEvent::Data("two".into())
    );
    assert_eq!(
        reader.next_streamed().await.unwrap().unwrap(),
        StreamEvent::MessageEnd
    );
    // The Pong went out; the writing half still writes.
    writer.send(Message::text("reply")).await.unwrap();
    let mut wire = vec![0u8; 4 + 7];
    theirs.read_exact(&mut wire).await.unwrap();
    assert_eq!(&wire[..4], &[0x8a, 0x02, b'h', b'i']);
    assert_eq!(&wire[4..], &[0x81, 0x05, b'r', b'e', b'p', b'l', b'y']);
}

/// The fuzz check of streaming against whole messages
/// (`checks::streaming`, run on the `differential_frame` inputs), on
/// random fragmented messages with Pings between, cut short at random.
#[test]
fn fuzz_check_streaming_against_whole_messages() {
    for seed in 0..24 {
        let mut rng = seeded(1000 + seed);
        let mut wire = Vec::new();
        for _ in 0..3 {
            let text = rng.random_bool(0.5);
            let mut data = random_data(&mut rng, text);
            data.truncate(3000);
            if text {
                while std::str::from_utf8(&data).is_err() {
                    data.pop();
                }
            }
            let opcode = if text { TEXT } else { BINARY };
            wire.extend(fragmented(&mut rng, opcode, &data, None));
            wire.extend(client_frame(true, PING, b"x"));
        }
        let cut = rng.random_range(0..=wire.len());
        rfc6455_test_support::checks::streaming::check_raw(Role::Server, &wire[..cut]);
    }
}
