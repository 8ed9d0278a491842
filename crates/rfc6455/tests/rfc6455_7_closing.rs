//! RFC 6455 §5.5.1 and §7: the Close frame, close codes, and the closing
//! handshake, driven through the sans-IO `Connection`.

use rfc6455::{CloseCode, CloseFrame, Error, Message, ProtocolError};
use rfc6455_test_support::*;

mod s7_4_status_codes {
    use super::*;

    #[test]
    fn valid_codes_are_echoed() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            let mut conn = server();
            let (events, error) = feed(
                &mut conn,
                &client_frame(true, CLOSE, &close_payload(code, b"ok")),
            );
            assert!(error.is_none(), "{code}: {error:?}");
            assert_eq!(
                events,
                vec![Message::Close(Some(CloseFrame::new(code, "ok")))]
            );
            let out = take_output(&mut conn);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].close_code(), Some(code));
        }
    }

    #[test]
    fn invalid_codes_are_1002() {
        for code in [
            0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let mut conn = server();
            let error = assert_fails_with(
                &mut conn,
                &client_frame(true, CLOSE, &close_payload(code, b"")),
                1002,
            );
            assert!(
                matches!(error, Error::Protocol(ProtocolError::InvalidCloseCode(c)) if c == code)
            );
        }
    }

    #[test]
    fn one_byte_close_payload_is_1002() {
        let mut conn = server();
        let error = assert_fails_with(&mut conn, &client_frame(true, CLOSE, &[0x03]), 1002);
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::InvalidCloseLength)
        ));
    }

    #[test]
    fn close_reason_that_is_not_utf8_is_1007() {
        let mut conn = server();
        let payload = close_payload(
            1000,
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80",
        );
        let error = assert_fails_with(&mut conn, &client_frame(true, CLOSE, &payload), 1007);
        assert!(matches!(error, Error::Protocol(ProtocolError::InvalidUtf8)));
    }

    #[test]
    fn empty_close_gets_empty_close() {
        let mut conn = server();
        let (events, _) = feed(&mut conn, &client_frame(true, CLOSE, b""));
        assert_eq!(events, vec![Message::Close(None)]);
        let out = take_output(&mut conn);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].opcode, out[0].payload.len()), (CLOSE, 0));
    }

    #[test]
    fn sending_a_reserved_code_is_refused() {
        let mut conn = client();
        let result = conn.close(Some(CloseFrame::new(1005, "")));
        assert!(matches!(result, Err(Error::InvalidCloseCode(c)) if c == CloseCode::NO_STATUS));
        assert!(conn.is_open());
    }
}

mod s7_1_closing_handshake {
    use super::*;

    #[test]
    fn peer_initiated_close_server_closes_transport_first() {
        let mut conn = server();
        feed(
            &mut conn,
            &client_frame(true, CLOSE, &close_payload(1000, b"")),
        );
        assert!(conn.close_sent() && conn.close_received());
        assert!(
            conn.should_close_transport(),
            "§7.1.1: the server closes TCP first"
        );
    }

    #[test]
    fn peer_initiated_close_client_waits_for_server() {
        let mut conn = client();
        feed(
            &mut conn,
            &server_frame(true, CLOSE, &close_payload(1000, b"")),
        );
        assert!(conn.close_sent() && conn.close_received());
        assert!(
            !conn.should_close_transport(),
            "the client waits for the server's TCP close"
        );
        assert_eq!(take_output(&mut conn)[0].close_code(), Some(1000));
    }

    #[test]
    fn locally_initiated_close_keeps_receiving_until_peer_close() {
        let mut conn = server();
        conn.close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "bye")))
            .unwrap();
        assert_eq!(take_output(&mut conn)[0].close_code(), Some(1001));
        assert!(!conn.should_close_transport());
        let mut wire = client_frame(true, TEXT, b"late data");
        wire.extend(client_frame(true, PING, b"no pong after close"));
        wire.extend(client_frame(true, CLOSE, &close_payload(1001, b"")));
        let (events, error) = feed(&mut conn, &wire);
        assert!(error.is_none());
        assert_eq!(events.len(), 3);
        assert!(
            take_output(&mut conn).is_empty(),
            "nothing is sent after our Close"
        );
        assert!(conn.should_close_transport());
    }

    #[test]
    fn nothing_is_sent_after_close() {
        let mut conn = server();
        feed(&mut conn, &client_frame(true, CLOSE, b""));
        take_output(&mut conn);
        assert!(matches!(
            conn.send(Message::text("late")),
            Err(Error::ConnectionClosed)
        ));
        assert!(matches!(
            conn.send(Message::Ping(Default::default())),
            Err(Error::ConnectionClosed)
        ));
        assert!(matches!(conn.close(None), Err(Error::ConnectionClosed)));
        // Frames after the peer's Close are not processed.
        let (events, error) = feed(&mut conn, &client_frame(true, PING, b"x"));
        assert!(events.is_empty() && error.is_none());
        assert!(take_output(&mut conn).is_empty());
    }

    #[test]
    fn data_queued_before_close_goes_first() {
        let mut conn = client();
        conn.send(Message::text("last words")).unwrap();
        conn.close(None).unwrap();
        let out = take_output(&mut conn);
        assert_eq!(
            out.iter().map(|f| f.opcode).collect::<Vec<_>>(),
            vec![TEXT, CLOSE]
        );
    }
}

/// The closing handshake between our own two roles, in memory.
mod s7_1_between_our_roles {
    use super::*;
    use rfc6455::Config;

    #[test]
    fn client_initiated_close_completes_and_the_server_drops_tcp_first() {
        let mut pair = Pair::new(Config::default());
        pair.client.send(Message::text("last words")).unwrap();
        pair.client
            .close(Some(CloseFrame::new(CloseCode::GOING_AWAY, "bye")))
            .unwrap();
        pair.drive();
        let events = pair.server_events();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0], Message::text("last words"));
        assert!(
            matches!(&events[1], Message::Close(Some(f)) if f.code == CloseCode::GOING_AWAY),
            "{events:?}"
        );
        // The echo carries the code back (§5.5.1).
        assert!(
            matches!(&pair.client_events()[..], [Message::Close(Some(f))] if f.code == CloseCode::GOING_AWAY)
        );
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert!(pair.server.should_close_transport(), "§7.1.1: server first");
        assert!(!pair.client.should_close_transport());
    }

    #[test]
    fn a_failure_reaches_the_peer_as_its_close_code() {
        // The server's limit is lower than the client's message: 1009.
        let mut pair = Pair::from_connections(
            client(),
            rfc6455::Connection::new(rfc6455::Role::Server, Config::default().max_message_size(8)),
        );
        pair.client.send(Message::binary(vec![0; 9])).unwrap();
        pair.drive_in_chunks(3);
        let error = pair.server_error().expect("the server failed");
        assert_eq!(error.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
        assert!(
            matches!(&pair.client_events()[..], [Message::Close(Some(f))] if f.code == CloseCode::MESSAGE_TOO_BIG)
        );
        assert!(pair.client_error().is_none());
    }
}
