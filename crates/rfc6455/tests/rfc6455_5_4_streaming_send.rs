//! RFC 6455 §5.4 (fragmentation) and §5.5 (control frames between
//! fragments) on the sending side: a message written in fragments
//! (`Connection::begin_message`, `send_fragment`, the tokio layer's
//! `MessageWriter`), compressed as one stream under permessage-deflate
//! with RSV1 on the first frame only (RFC 7692 §6.1), and big messages cut
//! into frames by `Config::max_outgoing_frame_size`. Checked with the
//! RFC-literal frame reader and a receiving `Connection`, and as a file
//! sent from a client to a server over loopback.

use rfc6455::deflate::{DeflateConfig, DeflateParams};
use rfc6455::{Config, Connection, Error, Message, MessageKind, Role};
use rfc6455_test_support::rng::{seeded, Rng};
use rfc6455_test_support::*;

fn pair(config: Config, deflate: bool) -> (Connection, Connection) {
    let (config, params) = if deflate {
        (
            config.deflate(DeflateConfig::default()),
            Some(DeflateParams::default()),
        )
    } else {
        (config, None)
    };
    (
        Connection::with_deflate(Role::Client, config.clone(), params),
        Connection::with_deflate(Role::Server, config, params),
    )
}

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 10) as u8)
        .collect()
}

/// Random fragments of a message arrive as that message, with and without
/// deflate; the frames are one Binary then continuations, FIN on the
/// last, RSV1 on the first only when compressed.
#[test]
fn fragments_arrive_as_one_message() {
    for deflate in [false, true] {
        for seed in 0..8 {
            let mut rng = seeded(seed);
            let (mut client, mut server) = pair(Config::default(), deflate);
            let message = data(rng.random_range(0..100_000));
            client.begin_message(MessageKind::Binary).unwrap();
            let mut rest = &message[..];
            while !rest.is_empty() {
                let take = rng.random_range(0..=rest.len().min(20_000));
                client.send_fragment(&rest[..take], false).unwrap();
                rest = &rest[take..];
            }
            client.send_fragment(&[], true).unwrap();
            assert!(!client.is_sending_message());
            let wire = take_wire(&mut client);
            let frames = read_frames(&wire);
            for (i, frame) in frames.iter().enumerate() {
                let opcode = if i == 0 { BINARY } else { CONTINUATION };
                assert_eq!(frame.opcode, opcode);
                assert_eq!(frame.fin, i + 1 == frames.len());
                assert_eq!(frame.rsv == 0b100, deflate && i == 0);
            }
            let (events, error) = feed(&mut server, &wire);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(events, vec![Message::binary(message)], "seed {seed}");
        }
    }
}

/// §5.5: Pings, automatic Pongs and a Close go out between fragments;
/// whole messages wait (refused) until the last fragment.
#[test]
fn control_frames_between_fragments() {
    for deflate in [false, true] {
        let (mut client, mut server) = pair(Config::default(), deflate);
        client.begin_message(MessageKind::Text).unwrap();
        client.send_fragment("héllo ".as_bytes(), false).unwrap();
        assert!(matches!(
            client.send(Message::text("no")),
            Err(Error::MessageStreaming)
        ));
        assert!(matches!(
            client.begin_message(MessageKind::Text),
            Err(Error::MessageStreaming)
        ));
        client.send(Message::Ping("ping".into())).unwrap();
        // A Ping from the server: answered between the fragments.
        feed(&mut client, &server_frame(true, PING, b"theirs"));
        client.send_fragment("wörld".as_bytes(), true).unwrap();
        let wire = take_wire(&mut client);
        let opcodes: Vec<u8> = read_frames(&wire).iter().map(|f| f.opcode).collect();
        assert_eq!(opcodes, vec![TEXT, PING, PONG, CONTINUATION]);
        let (events, error) = feed(&mut server, &wire);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            events,
            vec![
                Message::Ping("ping".into()),
                Message::Pong("theirs".into()),
                Message::text("héllo wörld"),
            ]
        );
        // Whole messages go again.
        client.send(Message::text("after")).unwrap();
        assert!(matches!(
            client.send_fragment(b"x", true),
            Err(Error::NoMessageBegun)
        ));

        // A Close mid-message: the message stays unfinished.
        client.begin_message(MessageKind::Binary).unwrap();
        client.send_fragment(b"half", false).unwrap();
        client.close(None).unwrap();
        assert!(matches!(
            client.send_fragment(b"rest", true),
            Err(Error::ConnectionClosed)
        ));
    }
}

/// `max_outgoing_frame_size` cuts whole messages (compressed or not, in
/// either role) and fragments into frames of at most that size.
#[test]
fn big_messages_are_fragmented() {
    for deflate in [false, true] {
        let config = Config::default().max_outgoing_frame_size(1000);
        let message = data(30_000);
        for client_sends in [true, false] {
            let (mut client, mut server) = pair(config.clone(), deflate);
            let (from, to) = if client_sends {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            from.send(Message::binary(message.clone())).unwrap();
            from.begin_message(MessageKind::Binary).unwrap();
            from.send_fragment(&message, true).unwrap();
            let wire = take_wire(from);
            let frames = read_frames(&wire);
            assert!(frames.len() > 2, "{}", frames.len());
            assert!(frames.iter().all(|f| f.payload.len() <= 1000));
            assert_eq!(frames.iter().filter(|f| f.fin).count(), 2);
            assert_eq!(
                frames.iter().filter(|f| f.rsv == 0b100).count(),
                if deflate { 2 } else { 0 }
            );
            let (events, error) = feed(to, &wire);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(events, vec![Message::binary(message.clone()); 2]);
        }
    }
    // Without the limit: one frame.
    let (mut client, _) = pair(Config::default(), false);
    client.send(Message::binary(data(30_000))).unwrap();
    assert_eq!(read_frames(&take_wire(&mut client)).len(), 1);
}

/// A file sent by a client through a `MessageWriter`, received by a
/// server through a `MessageReader` into another file, over loopback:
/// the same bytes, with and without deflate, with small outgoing frames.
#[tokio::test]
async fn file_round_trip_client_to_server() {
    use tokio::io::AsyncWriteExt;
    for deflate in [false, true] {
        let dir =
            std::env::temp_dir().join(format!("rfc6455-stream-{}-{deflate}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (source, target) = (dir.join("source"), dir.join("target"));
        let content = data(3 << 20);
        std::fs::write(&source, &content).unwrap();

        let mut config = Config::default().max_outgoing_frame_size(100_000);
        if deflate {
            config = config.deflate(DeflateConfig::default());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server_config = config.clone();
        let to = target.clone();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut ws = rfc6455::accept_with_config(stream, server_config)
                .await
                .unwrap();
            let mut file = tokio::fs::File::create(&to).await.unwrap();
            let mut reader = ws.message_reader();
            let n = tokio::io::copy(&mut reader, &mut file).await.unwrap();
            file.flush().await.unwrap();
            assert_eq!(reader.kind(), Some(MessageKind::Binary));
            (n, ws.connection().is_open())
        });
        let (mut ws, _) = rfc6455::connect_with_config(format!("ws://{addr}/"), config)
            .await
            .unwrap();
        let mut file = tokio::fs::File::open(&source).await.unwrap();
        let mut writer = ws.message_writer(MessageKind::Binary).unwrap();
        tokio::io::copy(&mut file, &mut writer).await.unwrap();
        writer.shutdown().await.unwrap();
        assert!(!writer.is_open());
        let (n, open) = server.await.unwrap();
        assert_eq!(n, content.len() as u64);
        assert!(open);
        assert!(
            std::fs::read(&target).unwrap() == content,
            "deflate {deflate}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
