//! RFC 6455 §5: data framing, masking, fragmentation, control frames,
//! driven through the sans-IO `Connection`.

use rfc6455::{Config, Connection, Error, Message, ProtocolError, Role};
use rfc6455_test_support::*;

mod s5_1_masking {
    use super::*;

    #[test]
    fn server_rejects_unmasked_frame_with_1002() {
        let mut conn = server();
        let error = assert_fails_with(&mut conn, &server_frame(true, TEXT, b"hi"), 1002);
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::UnmaskedFrame)
        ));
    }

    #[test]
    fn client_rejects_masked_frame_with_1002() {
        let mut conn = client();
        let (_, error) = feed(&mut conn, &client_frame(true, TEXT, b"hi"));
        assert!(matches!(
            error,
            Some(Error::Protocol(ProtocolError::MaskedFrame))
        ));
        let out = take_output(&mut conn);
        assert_eq!(out.last().and_then(Frame::close_code), Some(1002));
        // The client's own Close is masked too.
        assert!(out.iter().all(|f| f.masked));
    }

    #[test]
    fn client_masks_every_frame_with_a_fresh_key() {
        let mut conn = client();
        conn.send(Message::text("same")).unwrap();
        conn.send(Message::text("same")).unwrap();
        let wire = conn.pending_output().to_vec();
        let (first, len) = rfc6455::frame::FrameHeader::decode(&wire).unwrap().unwrap();
        let (second, _) = rfc6455::frame::FrameHeader::decode(&wire[len + 4..])
            .unwrap()
            .unwrap();
        assert!(first.mask.is_some() && second.mask.is_some());
        assert_ne!(first.mask, second.mask);
        let out = take_output(&mut conn);
        assert_eq!(out[0].payload, b"same");
    }

    #[test]
    fn server_never_masks() {
        let mut conn = server();
        conn.send(Message::binary(vec![1, 2, 3])).unwrap();
        let out = take_output(&mut conn);
        assert_eq!(out.len(), 1);
        assert!(!out[0].masked);
    }
}

mod s5_2_base_framing {
    use super::*;

    #[test]
    fn payload_lengths_of_7_16_and_64_bits() {
        for len in [0, 1, 125, 126, 127, 65535, 65536, 100_000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut conn = server();
            let (events, error) = feed(&mut conn, &client_frame(true, BINARY, &payload));
            assert!(error.is_none(), "len {len}: {error:?}");
            assert_eq!(events, vec![Message::binary(payload)], "len {len}");
        }
    }

    #[test]
    fn frame_split_at_every_byte_is_reassembled() {
        let wire = client_frame(true, TEXT, "héllo wörld".as_bytes());
        for cut in 0..wire.len() {
            let mut conn = server();
            let (first, e1) = feed(&mut conn, &wire[..cut]);
            let (second, e2) = feed(&mut conn, &wire[cut..]);
            assert!(e1.is_none() && e2.is_none());
            assert!(first.is_empty(), "cut {cut}");
            assert_eq!(second, vec![Message::text("héllo wörld")], "cut {cut}");
        }
    }

    #[test]
    fn top_bit_of_64_bit_length_is_1002() {
        let mut wire = vec![0x82, 0xff];
        wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
        wire.extend_from_slice(&KEY);
        let mut conn = server();
        let error = assert_fails_with(&mut conn, &wire, 1002);
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::InvalidPayloadLength)
        ));
    }

    #[test]
    fn length_not_in_its_shortest_form_is_1002() {
        // 5 bytes announced with the 16-bit form, then with the 64-bit form.
        let mut sixteen = vec![0x82, 0xfe, 0, 5];
        sixteen.extend_from_slice(&KEY);
        let mut sixty_four = vec![0x82, 0xff];
        sixty_four.extend_from_slice(&5u64.to_be_bytes());
        sixty_four.extend_from_slice(&KEY);
        for wire in [sixteen, sixty_four] {
            let mut conn = server();
            let error = assert_fails_with(&mut conn, &wire, 1002);
            assert!(matches!(
                error,
                Error::Protocol(ProtocolError::NonMinimalLength)
            ));
        }
    }

    #[test]
    fn rsv_bits_without_extension_are_1002() {
        for rsv in 1..8 {
            let mut conn = server();
            let error = assert_fails_with(
                &mut conn,
                &raw_frame(true, rsv, TEXT, Some(KEY), b"x"),
                1002,
            );
            assert!(matches!(error, Error::Protocol(ProtocolError::ReservedBits(r)) if r == rsv));
        }
    }

    #[test]
    fn reserved_opcodes_are_1002() {
        for op in (0x3..=0x7).chain(0xb..=0xf) {
            let mut conn = server();
            let error = assert_fails_with(&mut conn, &raw_frame(true, 0, op, Some(KEY), b""), 1002);
            assert!(matches!(error, Error::Protocol(ProtocolError::ReservedOpcode(o)) if o == op));
        }
    }

    #[test]
    fn bytes_after_a_violation_are_ignored() {
        let mut conn = server();
        let mut wire = raw_frame(true, 0, 0x3, Some(KEY), b"");
        wire.extend(client_frame(true, TEXT, b"after"));
        assert_fails_with(&mut conn, &wire, 1002);
        let (events, error) = feed(&mut conn, &client_frame(true, TEXT, b"more"));
        assert!(events.is_empty() && error.is_none());
        assert!(
            take_output(&mut conn).is_empty(),
            "nothing is sent after Close"
        );
    }
}

mod s5_4_fragmentation {
    use super::*;

    #[test]
    fn fragments_with_interleaved_control_frames() {
        let mut conn = server();
        let mut wire = client_frame(false, TEXT, b"frag");
        wire.extend(client_frame(true, PING, b"p1"));
        wire.extend(client_frame(false, CONTINUATION, b"men"));
        wire.extend(client_frame(true, PONG, b"unsolicited"));
        wire.extend(client_frame(true, CONTINUATION, b"ted"));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            events,
            vec![
                Message::Ping(b"p1".to_vec().into()),
                Message::Pong(b"unsolicited".to_vec().into()),
                Message::text("fragmented"),
            ]
        );
        let out = take_output(&mut conn);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].opcode, out[0].payload.as_slice()),
            (PONG, &b"p1"[..])
        );
    }

    #[test]
    fn empty_fragments_are_fine() {
        let mut conn = server();
        let mut wire = client_frame(false, BINARY, b"");
        wire.extend(client_frame(false, CONTINUATION, b""));
        wire.extend(client_frame(true, CONTINUATION, b""));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none());
        assert_eq!(events, vec![Message::binary(Vec::new())]);
    }

    #[test]
    fn continuation_with_nothing_to_continue_is_1002() {
        let mut conn = server();
        let error = assert_fails_with(&mut conn, &client_frame(true, CONTINUATION, b"x"), 1002);
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::UnexpectedContinuation)
        ));
    }

    #[test]
    fn new_data_frame_inside_a_fragmented_message_is_1002() {
        for opcode in [TEXT, BINARY] {
            let mut conn = server();
            let mut wire = client_frame(false, BINARY, b"a");
            wire.extend(client_frame(true, opcode, b"b"));
            let error = assert_fails_with(&mut conn, &wire, 1002);
            assert!(matches!(
                error,
                Error::Protocol(ProtocolError::ExpectedContinuation)
            ));
        }
    }
}

mod s5_5_control_frames {
    use super::*;

    #[test]
    fn ping_gets_pong_with_same_payload() {
        for len in [0, 1, 125] {
            let payload = vec![0xab; len];
            let mut conn = server();
            let (events, error) = feed(&mut conn, &client_frame(true, PING, &payload));
            assert!(error.is_none());
            assert_eq!(events, vec![Message::Ping(payload.clone().into())]);
            let out = take_output(&mut conn);
            assert_eq!(
                out,
                vec![Frame {
                    fin: true,
                    rsv: 0,
                    opcode: PONG,
                    masked: false,
                    payload
                }]
            );
        }
    }

    #[test]
    fn unsolicited_pong_is_fine() {
        let mut conn = client();
        let (events, error) = feed(&mut conn, &server_frame(true, PONG, b"hi"));
        assert!(error.is_none());
        assert_eq!(events, vec![Message::Pong(b"hi".to_vec().into())]);
        assert!(take_output(&mut conn).is_empty());
    }

    #[test]
    fn control_frame_over_125_bytes_is_1002() {
        for opcode in [PING, PONG, CLOSE] {
            let mut conn = server();
            let error = assert_fails_with(&mut conn, &client_frame(true, opcode, &[0; 126]), 1002);
            assert!(matches!(
                error,
                Error::Protocol(ProtocolError::ControlFrameTooLong(126))
            ));
        }
    }

    #[test]
    fn fragmented_control_frame_is_1002() {
        for opcode in [PING, PONG, CLOSE] {
            let mut conn = server();
            let error = assert_fails_with(&mut conn, &client_frame(false, opcode, b""), 1002);
            assert!(matches!(
                error,
                Error::Protocol(ProtocolError::FragmentedControlFrame)
            ));
        }
    }

    /// §5.5.3: with pongs already waiting, only the latest Ping is
    /// answered, once the output drains: a Ping flood costs bounded memory.
    #[test]
    fn ping_flood_keeps_only_the_latest_pong_past_the_queue_limit() {
        let config = Config::default().max_queued_pongs(2);
        let mut conn = Connection::new(Role::Server, config);
        let mut wire = Vec::new();
        for i in 0..1000u32 {
            wire.extend(client_frame(true, PING, &i.to_be_bytes()));
        }
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none());
        assert_eq!(events.len(), 1000, "every Ping is still delivered");
        assert_eq!(conn.pending_output().len(), 2 * 6, "two Pongs queued");
        let first = take_output(&mut conn);
        let payloads: Vec<_> = first.iter().map(|f| f.payload.clone()).collect();
        assert_eq!(payloads, vec![0u32.to_be_bytes(), 1u32.to_be_bytes()]);
        // Drained: the Pong for the latest Ping follows, and only it.
        let second = take_output(&mut conn);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].opcode, PONG);
        assert_eq!(second[0].payload, 999u32.to_be_bytes());
        assert!(take_output(&mut conn).is_empty());
    }

    #[test]
    fn held_back_pong_goes_out_before_our_close() {
        let config = Config::default().max_queued_pongs(1);
        let mut conn = Connection::new(Role::Server, config);
        let mut wire = client_frame(true, PING, b"a");
        wire.extend(client_frame(true, PING, b"b"));
        wire.extend(client_frame(true, CLOSE, &close_payload(1000, b"")));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none());
        assert_eq!(events.len(), 3);
        let out = take_output(&mut conn);
        let kinds: Vec<_> = out.iter().map(|f| (f.opcode, f.payload.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (PONG, b"a".to_vec()),
                (PONG, b"b".to_vec()),
                (CLOSE, 1000u16.to_be_bytes().to_vec())
            ]
        );
    }

    #[test]
    fn sending_oversized_ping_is_refused() {
        let mut conn = client();
        assert!(conn.send(Message::Ping(vec![0; 126].into())).is_err());
        assert!(conn.send(Message::Ping(vec![0; 125].into())).is_ok());
    }
}

mod limits {
    use super::*;

    fn small() -> Connection {
        let config = Config::default().max_frame_size(100).max_message_size(150);
        Connection::new(Role::Server, config)
    }

    #[test]
    fn frame_over_limit_is_1009_before_its_payload_arrives() {
        let mut conn = small();
        let wire = client_frame(true, BINARY, &[0; 101]);
        // Only the header: the declared length is enough to refuse.
        let error = assert_fails_with(&mut conn, &wire[..8], 1009);
        assert!(matches!(
            error,
            Error::FrameTooLong {
                len: 101,
                max_len: 100
            }
        ));
    }

    #[test]
    fn message_over_limit_is_1009() {
        let mut conn = small();
        let mut wire = client_frame(false, TEXT, &[b'a'; 100]);
        wire.extend(client_frame(true, CONTINUATION, &[b'a'; 51]));
        let error = assert_fails_with(&mut conn, &wire, 1009);
        assert!(matches!(
            error,
            Error::MessageTooLong {
                len: 151,
                max_len: 150
            }
        ));
    }

    /// A peer that never reads: once `max_write_buffer_size` bytes wait,
    /// no more input is processed (so nothing more is queued in reply) and
    /// `send` refuses data, until the output is written.
    #[test]
    fn full_output_stops_processing_and_refuses_sends() {
        let config = Config::default().max_write_buffer_size(100);
        let mut conn = Connection::new(Role::Server, config);
        conn.send(Message::Binary(vec![0; 120].into())).unwrap();
        assert!(conn.is_output_full());
        let error = conn.send(Message::text("more")).unwrap_err();
        assert!(
            matches!(
                error,
                Error::WriteBufferFull {
                    len: 122,
                    max_len: 100
                }
            ),
            "{error}"
        );
        assert!(error.close_code().is_none(), "a local condition: no Close");
        let (events, error) = feed(&mut conn, &client_frame(true, PING, b"x"));
        assert!(events.is_empty() && error.is_none(), "input waits");
        // Frame: the Ping is processed now, and sends work again.
        conn.advance_output(conn.pending_output().len());
        assert!(!conn.is_output_full());
        assert_eq!(
            conn.next_event().unwrap(),
            Some(Message::Ping(b"x".to_vec().into()))
        );
        conn.send(Message::text("more")).unwrap();
        // A Close is always accepted, full or not.
        conn.send(Message::Binary(vec![0; 120].into())).unwrap();
        assert!(conn.is_output_full());
        conn.close(None).unwrap();
    }

    #[test]
    fn message_at_limit_is_fine() {
        let mut conn = small();
        let mut wire = client_frame(false, TEXT, &[b'a'; 100]);
        wire.extend(client_frame(true, CONTINUATION, &[b'a'; 50]));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none());
        assert_eq!(events.len(), 1);
    }
}

mod hostile_input {
    use super::*;

    use rfc6455_test_support::rng::{seeded, Rng};

    /// Random bytes, and random mutations of valid traffic, in random
    /// chunks: no panic, every error carries a close code, nothing is
    /// written after a Close.
    #[test]
    fn random_input_never_panics() {
        let mut rng = seeded(0x9e37_79b9_7f4a_7c15);
        let mut valid = Vec::new();
        for i in 0..20u8 {
            valid.extend(client_frame(
                i % 3 != 0,
                [TEXT, CONTINUATION, PING, BINARY][usize::from(i % 4)],
                &[b'a' + i; 7],
            ));
        }
        for round in 0..3000 {
            let mut input = if round % 2 == 0 {
                let len = rng.random_range(0..300);
                (0..len).map(|_| rng.random::<u8>()).collect::<Vec<_>>()
            } else {
                valid.clone()
            };
            for _ in 0..rng.random_range(0..4) {
                if !input.is_empty() {
                    let at = rng.random_range(0..input.len());
                    input[at] = rng.random();
                }
            }
            for role in [Role::Server, Role::Client] {
                let config = Config::default().max_frame_size(64).max_message_size(128);
                let mut conn = Connection::new(role, config);
                let mut rest = &input[..];
                let mut closes = 0;
                while !rest.is_empty() {
                    let take = rng.random_range(1..=rest.len());
                    let (_, error) = feed(&mut conn, &rest[..take]);
                    rest = &rest[take..];
                    if let Some(error) = error {
                        assert!(error.close_code().is_some(), "{error}");
                    }
                    for frame in take_output(&mut conn) {
                        assert_eq!(closes, 0, "a frame was written after Close");
                        closes += usize::from(frame.opcode == CLOSE);
                    }
                }
            }
        }
    }
}
