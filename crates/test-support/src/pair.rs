//! Two connections, a client and a server, talking in memory (the shape of
//! quinn-proto's `src/tests/util.rs` `Pair`): no sockets, no clock, so a
//! test is fast, deterministic, and can cut the byte stream anywhere.
//!
//! Bytes move only when the test says so, whole or in chunks of any size,
//! and after each delivery the receiving side's events are collected, so a
//! test reads as a conversation:
//!
//! ```
//! use rfc6455::{Config, Message};
//! use rfc6455_test_support::pair::Pair;
//!
//! let mut pair = Pair::new(Config::default());
//! pair.client.send(Message::text("hi")).unwrap();
//! pair.drive();
//! assert_eq!(pair.server_events(), vec![Message::text("hi")]);
//! ```

use crate::conn::{feed, take_wire};
use rfc6455::deflate::DeflateParams;
use rfc6455::{Config, Connection, Error, Message, Role};

/// Which way bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client's output to the server's input.
    ToServer,
    /// From the server's output to the client's input.
    ToClient,
}

/// A client and a server [`Connection`] wired to each other in memory.
#[derive(Debug)]
pub struct Pair {
    /// The client end (`Role::Client`).
    pub client: Connection,
    /// The server end (`Role::Server`).
    pub server: Connection,
    client_side: SideState,
    server_side: SideState,
}

/// What a [`Pair`] keeps for each end besides the connection.
#[derive(Debug, Default)]
struct SideState {
    events: Vec<Message>,
    error: Option<Error>,
}

impl Pair {
    /// A client and a server, both with `config`, no extension negotiated.
    pub fn new(config: Config) -> Pair {
        Pair::from_connections(
            Connection::new(Role::Client, config.clone()),
            Connection::new(Role::Server, config),
        )
    }

    /// A client and a server, both with `config`, as if the handshake had
    /// agreed on `params` for permessage-deflate.
    pub fn with_deflate(config: Config, params: DeflateParams) -> Pair {
        Pair::from_connections(
            Connection::with_deflate(Role::Client, config.clone(), Some(params)),
            Connection::with_deflate(Role::Server, config, Some(params)),
        )
    }

    /// Wires two connections made by the test (say, with different
    /// configurations).
    pub fn from_connections(client: Connection, server: Connection) -> Pair {
        assert_eq!(client.role(), Role::Client, "the first one is the client");
        assert_eq!(server.role(), Role::Server, "the second one is the server");
        Pair {
            client,
            server,
            client_side: SideState::default(),
            server_side: SideState::default(),
        }
    }

    /// Moves everything the sender of `direction` has written to the other
    /// side, in pieces of at most `chunk` bytes (each delivered and its
    /// events collected before the next), and returns the bytes moved.
    ///
    /// A side whose `next_event` failed receives nothing more; its error
    /// is in [`Pair::client_error`] or [`Pair::server_error`].
    pub fn transfer_in_chunks(&mut self, direction: Direction, chunk: usize) -> Vec<u8> {
        assert!(chunk > 0, "a chunk of no bytes moves nothing");
        let (from, to, state) = match direction {
            Direction::ToServer => (&mut self.client, &mut self.server, &mut self.server_side),
            Direction::ToClient => (&mut self.server, &mut self.client, &mut self.client_side),
        };
        let bytes = take_wire(from);
        for piece in bytes.chunks(chunk) {
            if state.error.is_some() {
                break;
            }
            let (events, error) = feed(to, piece);
            state.events.extend(events);
            state.error = error;
        }
        bytes
    }

    /// Moves everything the sender of `direction` has written, in one piece.
    pub fn transfer(&mut self, direction: Direction) -> Vec<u8> {
        self.transfer_in_chunks(direction, usize::MAX)
    }

    /// Moves the client's output to the server; returns the bytes moved.
    pub fn to_server(&mut self) -> Vec<u8> {
        self.transfer(Direction::ToServer)
    }

    /// Moves the server's output to the client; returns the bytes moved.
    pub fn to_client(&mut self) -> Vec<u8> {
        self.transfer(Direction::ToClient)
    }

    /// Moves bytes both ways, in chunks of at most `chunk`, until neither
    /// side has anything left to send (answers, such as a Pong or the
    /// Close echo, included). Returns how many rounds it took.
    pub fn drive_in_chunks(&mut self, chunk: usize) -> usize {
        let mut rounds = 0;
        while self.client.pending_output_len() + self.server.pending_output_len() > 0 {
            rounds += 1;
            assert!(rounds < 1000, "the pair never goes quiet");
            self.transfer_in_chunks(Direction::ToServer, chunk);
            self.transfer_in_chunks(Direction::ToClient, chunk);
        }
        rounds
    }

    /// Moves bytes both ways, whole, until neither side has anything left
    /// to send.
    pub fn drive(&mut self) -> usize {
        self.drive_in_chunks(usize::MAX)
    }

    /// Takes the events the client received so far.
    pub fn client_events(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.client_side.events)
    }

    /// Takes the events the server received so far.
    pub fn server_events(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.server_side.events)
    }

    /// The error the client's `next_event` failed with, if any.
    pub fn client_error(&self) -> Option<&Error> {
        self.client_side.error.as_ref()
    }

    /// The error the server's `next_event` failed with, if any.
    pub fn server_error(&self) -> Option<&Error> {
        self.server_side.error.as_ref()
    }
}
