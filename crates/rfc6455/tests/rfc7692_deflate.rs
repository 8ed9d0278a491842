//! RFC 7692, permessage-deflate: negotiation (§5, §7.1), compressed frames
//! (§6), the RFC's own vectors (§7.2.3), and bounded inflate, through the
//! handshake parsers, the sans-IO `Connection` and the tokio layer.

use rfc6455::deflate::{DeflateConfig, DeflateParams, Deflater};
use rfc6455::handshake::{parse_request, ClientRequest};
use rfc6455::{Config, Connection, Error, HandshakeError, Message, ProtocolError, Role};
use rfc6455_test_support::*;

fn deflate_config() -> Config {
    Config::default().deflate(DeflateConfig::default())
}

fn pair(params: DeflateParams) -> (Connection, Connection) {
    (
        Connection::with_deflate(Role::Client, deflate_config(), Some(params)),
        Connection::with_deflate(Role::Server, deflate_config(), Some(params)),
    )
}

/// A masked client frame with RSV1 (compressed) set as given.
fn compressed_frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(
        fin,
        if rsv1 { 0b100 } else { 0 },
        opcode,
        Some(KEY),
        payload,
    )
}

mod s5_negotiation {
    use super::*;

    fn request_with(extensions: &[&str]) -> Vec<u8> {
        let mut wire = String::from(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
        );
        for value in extensions {
            wire.push_str(&format!("Sec-WebSocket-Extensions: {value}\r\n"));
        }
        wire.push_str("\r\n");
        wire.into_bytes()
    }

    fn negotiate(extensions: &[&str]) -> Option<DeflateParams> {
        let wire = request_with(extensions);
        let (request, _) = parse_request(&wire, &Config::default()).unwrap().unwrap();
        request.negotiate_deflate(&DeflateConfig::default())
    }

    #[test]
    fn server_accepts_the_plain_offer() {
        assert_eq!(
            negotiate(&["permessage-deflate"]),
            Some(DeflateParams::default())
        );
    }

    #[test]
    fn server_picks_the_first_acceptable_offer_across_headers() {
        let params = negotiate(&[
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=9, permessage-deflate",
        ])
        .unwrap();
        assert!(params.client_no_context_takeover);
        assert_eq!(params.client_max_window_bits, 9);
    }

    #[test]
    fn server_declines_invalid_or_duplicate_parameters() {
        for offer in [
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; mystery",
        ] {
            assert_eq!(negotiate(&[offer]), None, "{offer}");
        }
        assert_eq!(negotiate(&["x-webkit-deflate-frame"]), None);
    }

    #[test]
    fn server_echoes_the_agreed_parameters() {
        let wire = request_with(&[
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
        ]);
        let (request, _) = parse_request(&wire, &Config::default()).unwrap().unwrap();
        let params = request.negotiate_deflate(&DeflateConfig::default());
        let mut out = Vec::new();
        request
            .accept_with_deflate(None, params.as_ref(), &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10\r\n"
        ));
    }

    fn response_with(request: &ClientRequest, extensions: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n",
            rfc6455::handshake::accept_key(request.key().as_bytes())
        )
        .into_bytes()
    }

    #[test]
    fn client_takes_the_servers_answer() {
        let request = ClientRequest::new("h", "/").with_deflate(DeflateConfig::default());
        let wire = response_with(
            &request,
            "permessage-deflate; client_max_window_bits=9; server_no_context_takeover",
        );
        let (response, _) = request
            .parse_response(&wire, &Config::default())
            .unwrap()
            .unwrap();
        let params = response.deflate.unwrap();
        assert_eq!(params.client_max_window_bits, 9);
        assert!(params.server_no_context_takeover);
    }

    #[test]
    fn client_fails_on_what_it_did_not_offer() {
        let request = ClientRequest::new("h", "/")
            .with_deflate(DeflateConfig::default().server_max_window_bits(10));
        for answer in [
            "permessage-deflate; server_max_window_bits=11",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; unknown",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate, permessage-deflate",
            "x-other",
        ] {
            let wire = response_with(&request, answer);
            let result = request.parse_response(&wire, &Config::default());
            assert!(
                matches!(result, Err(HandshakeError::UnofferedExtension(_))),
                "{answer}: {result:?}"
            );
        }
        // Without an offer, any extension fails the handshake.
        let plain = ClientRequest::new("h", "/");
        let wire = response_with(&plain, "permessage-deflate");
        assert!(plain.parse_response(&wire, &Config::default()).is_err());
    }
}

mod s6_compressed_frames {
    use super::*;

    #[test]
    fn rsv1_without_negotiation_is_1002() {
        let mut conn = server();
        assert_fails_with(
            &mut conn,
            &compressed_frame(true, true, TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00"),
            1002,
        );
    }

    #[test]
    fn rsv1_on_a_control_frame_is_1002() {
        let (_, mut conn) = pair(DeflateParams::default());
        let error = assert_fails_with(&mut conn, &compressed_frame(true, true, PING, b""), 1002);
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::ReservedBits(0b100))
        ));
    }

    #[test]
    fn rsv1_on_a_continuation_frame_is_1002() {
        let (_, mut conn) = pair(DeflateParams::default());
        let mut wire = compressed_frame(false, true, TEXT, b"\xf2\x48\xcd");
        wire.extend(compressed_frame(
            true,
            true,
            CONTINUATION,
            b"\xc9\xc9\x07\x00",
        ));
        assert_fails_with(&mut conn, &wire, 1002);
    }

    #[test]
    fn rsv2_and_rsv3_stay_forbidden() {
        for rsv in [0b010, 0b001, 0b110] {
            let (_, mut conn) = pair(DeflateParams::default());
            assert_fails_with(
                &mut conn,
                &raw_frame(true, rsv, TEXT, Some(KEY), b"x"),
                1002,
            );
        }
    }

    #[test]
    fn uncompressed_messages_still_pass() {
        let (_, mut conn) = pair(DeflateParams::default());
        let (events, error) = feed(&mut conn, &client_frame(true, TEXT, b"plain"));
        assert!(error.is_none());
        assert_eq!(events, vec![Message::text("plain")]);
    }

    #[test]
    fn invalid_deflate_data_is_1007() {
        let (_, mut conn) = pair(DeflateParams::default());
        let error = assert_fails_with(
            &mut conn,
            &compressed_frame(true, true, BINARY, &[0xff; 12]),
            1007,
        );
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::InvalidCompressedData)
        ));
    }

    #[test]
    fn invalid_utf8_inside_compressed_text_fails_fast() {
        let mut deflater = Deflater::new(15, false, 6);
        let mut compressed = Vec::new();
        let mut text = b"valid start ".repeat(50);
        text.extend_from_slice(b"\xf4\x90\x80\x80");
        deflater.compress(&text, &mut compressed);
        let (_, mut conn) = pair(DeflateParams::default());
        // Only the first fragment (all of the data, not FIN): the bad byte
        // is found before the message ends.
        let (_, error) = feed(&mut conn, &compressed_frame(false, true, TEXT, &compressed));
        assert!(
            matches!(error, Some(Error::Protocol(ProtocolError::InvalidUtf8))),
            "{error:?}"
        );
    }
}

mod s7_2_3_examples {
    use super::*;

    const HELLO: &[u8] = &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    #[test]
    fn compressed_hello_and_the_second_with_shared_context() {
        let (_, mut conn) = pair(DeflateParams::default());
        let mut wire = compressed_frame(true, true, TEXT, HELLO);
        wire.extend(compressed_frame(
            true,
            true,
            TEXT,
            &[0xf2, 0x00, 0x11, 0x00, 0x00],
        ));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(events, vec![Message::text("Hello"), Message::text("Hello")]);
    }

    #[test]
    fn fragmented_compressed_message_at_every_split() {
        for split in 0..=HELLO.len() {
            let (_, mut conn) = pair(DeflateParams::default());
            let mut wire = compressed_frame(false, true, TEXT, &HELLO[..split]);
            wire.extend(compressed_frame(true, false, CONTINUATION, &HELLO[split..]));
            let (events, error) = feed(&mut conn, &wire);
            assert!(error.is_none(), "split {split}: {error:?}");
            assert_eq!(events, vec![Message::text("Hello")], "split {split}");
        }
    }

    #[test]
    fn stored_block_and_bfinal_block() {
        let (_, mut conn) = pair(DeflateParams::default());
        let mut wire = compressed_frame(
            true,
            true,
            TEXT,
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
        );
        wire.extend(compressed_frame(
            true,
            true,
            TEXT,
            &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        ));
        wire.extend(compressed_frame(true, true, TEXT, HELLO));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(events, vec![Message::text("Hello"); 3]);
    }
}

mod bounded_inflate {
    use super::*;

    #[test]
    fn one_kib_that_inflates_past_the_limit_is_1009() {
        let mut deflater = Deflater::new(15, false, 9);
        let mut bomb = Vec::new();
        deflater.compress(&vec![b'a'; 900 << 10], &mut bomb);
        assert!(bomb.len() <= 1024, "{} bytes", bomb.len());
        let config = deflate_config().max_message_size(64 << 10);
        let mut conn =
            Connection::with_deflate(Role::Server, config, Some(DeflateParams::default()));
        let error = assert_fails_with(
            &mut conn,
            &compressed_frame(true, true, BINARY, &bomb),
            1009,
        );
        match error {
            // Stopped one byte past the limit: memory stays bounded.
            Error::MessageTooLong { len, max_len } => {
                assert_eq!((len, max_len), ((64 << 10) + 1, 64 << 10))
            }
            other => panic!("{other}"),
        }
    }
}

mod round_trip {
    use super::*;

    /// Every combination of window and takeover, both directions, several
    /// messages (so a context shared wrongly would show).
    #[test]
    fn every_window_and_takeover_both_ways() {
        let text: String = (0..3000)
            .map(|i| ["alpha ", "beta ", "gamma "][i * 7 % 3])
            .collect();
        for bits in 8..=15 {
            for no_takeover in [false, true] {
                let params = DeflateParams {
                    server_no_context_takeover: no_takeover,
                    client_no_context_takeover: !no_takeover,
                    server_max_window_bits: bits,
                    client_max_window_bits: 23 - bits,
                };
                let mut pair = Pair::with_deflate(deflate_config(), params);
                for round in 0..3 {
                    let message = Message::text(text[round * 10..].to_owned());
                    pair.client.send(message.clone()).unwrap();
                    let wire = pair.to_server();
                    if params.client_max_window_bits >= 9 {
                        assert!(wire.len() < text.len() / 4, "compressed");
                    } else {
                        // zlib cannot honour an 8-bit window: sent as is.
                        assert_eq!(wire[0] & 0x40, 0, "RSV1 clear");
                    }
                    assert!(pair.server_error().is_none(), "{:?}", pair.server_error());
                    assert_eq!(pair.server_events(), vec![message.clone()]);

                    pair.server.send(message.clone()).unwrap();
                    pair.to_client();
                    assert!(pair.client_error().is_none(), "{:?}", pair.client_error());
                    assert_eq!(pair.client_events(), vec![message]);
                }
            }
        }
    }

    #[test]
    fn empty_messages_compressed_one_after_another() {
        // zlib flushes nothing for an empty message after another; each
        // must still carry the empty block of §7.2.3.6 (found by fuzzing).
        let config = Config::default().deflate(DeflateConfig::default().threshold(0));
        let mut pair = Pair::with_deflate(config, DeflateParams::default());
        for _ in 0..4 {
            pair.client.send(Message::text("")).unwrap();
            let wire = pair.to_server();
            assert_eq!(wire[0], 0xc1, "compressed");
            assert!(pair.server_error().is_none(), "{:?}", pair.server_error());
            assert_eq!(pair.server_events(), vec![Message::text("")]);
        }
    }

    /// A compressed message cut into every chunk size on the way still
    /// inflates to itself (the inflater keeps its state across reads).
    #[test]
    fn compressed_messages_survive_any_cut() {
        let text = "compressible ".repeat(400);
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let mut pair = Pair::with_deflate(deflate_config(), DeflateParams::default());
            pair.client.send(Message::text(text.clone())).unwrap();
            pair.server.send(Message::text(text.clone())).unwrap();
            pair.drive_in_chunks(chunk);
            assert_eq!(pair.server_events(), vec![Message::text(text.clone())]);
            assert_eq!(pair.client_events(), vec![Message::text(text.clone())]);
        }
    }

    #[test]
    fn small_messages_go_uncompressed() {
        let (mut client, _) = pair(DeflateParams::default());
        client.send(Message::text("tiny")).unwrap();
        let out = client.pending_output();
        assert_eq!(out[0] & 0x70, 0, "RSV1 clear under the threshold");
    }

    #[tokio::test]
    async fn over_loopback_with_the_tokio_layer() {
        use futures_util::{SinkExt, StreamExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = rfc6455::accept_with_config(stream, deflate_config())
                .await
                .unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_data() {
                    ws.send(msg).await.unwrap();
                }
            }
        });
        let (mut ws, _) = rfc6455::connect_with_config(&format!("ws://{addr}/"), deflate_config())
            .await
            .unwrap();
        let big = "x".repeat(200_000);
        ws.send(Message::text(big.clone())).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(big));
        ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
        server.await.unwrap();
    }
}

/// `usize::MAX` as a message limit means none, compressed or not (the
/// inflater computed `limit + 1`: an overflow, a panic in debug builds
/// and, wrapped to 0, a 1009 for every compressed message in release).
/// Found while adding that limit to the `streaming_receive` fuzz target.
#[test]
fn no_message_limit_with_compression() {
    let config = deflate_config()
        .max_message_size(usize::MAX)
        .max_streamed_message_size(usize::MAX);
    let params = Some(DeflateParams::default());
    let mut client = Connection::with_deflate(Role::Client, config.clone(), params);
    let mut server = Connection::with_deflate(Role::Server, config, params);
    let text = "no limit ".repeat(100);
    for _ in 0..2 {
        client.send(Message::text(text.clone())).unwrap();
    }
    server.receive(&take_wire(&mut client));
    assert_eq!(
        server.next_event().unwrap(),
        Some(Message::text(text.clone()))
    );
    let mut streamed = Vec::new();
    while let Some(event) = server.next_streamed_event().unwrap() {
        if let rfc6455::StreamEvent::Data(chunk) = event {
            streamed.extend_from_slice(&chunk);
        }
    }
    assert_eq!(streamed, text.as_bytes());
}
