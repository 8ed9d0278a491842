//! No allocation per message in the steady state: once a connection's
//! buffers have grown to fit the traffic, echoing small messages through
//! the sans-IO core allocates nothing (a counting global allocator checks).
//!
//! The design promise of `Connection` (see DESIGN.md): no allocation per
//! frame in the steady state. A regression here is a performance bug, so
//! the test counts exactly.

use rfc6455::{Config, Connection, Message, Role};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts the allocations of the thread that asked for counting.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the thread-locals may be gone while a thread exits.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counting only touches thread-locals that do not allocate (const-
// initialized `Cell`s).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `dealloc`, and the caller's contract holds.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// One round: the client sends `batch` messages, the server takes them
/// from one read and echoes them, the client takes the echoes.
fn round(
    client: &mut Connection,
    server: &mut Connection,
    batch: usize,
    make: &dyn Fn() -> Message,
) {
    for _ in 0..batch {
        client.send(make()).unwrap();
    }
    server.receive(client.pending_output());
    let n = client.pending_output().len();
    client.advance_output(n);
    while let Some(msg) = server.next_event().unwrap() {
        server.send(msg).unwrap();
    }
    client.receive(server.pending_output());
    let n = server.pending_output().len();
    server.advance_output(n);
    let mut echoed = 0;
    while let Some(msg) = client.next_event().unwrap() {
        assert!(msg.is_data());
        echoed += 1;
    }
    assert_eq!(echoed, batch);
}

fn steady_state_allocations(make: &dyn Fn() -> Message, batch: usize) -> usize {
    let mut client = Connection::new(Role::Client, Config::default());
    let mut server = Connection::new(Role::Server, Config::default());
    // Warm up: buffers grow to fit a round.
    for _ in 0..100 {
        round(&mut client, &mut server, batch, make);
    }
    allocations_in(|| {
        for _ in 0..1_000 {
            round(&mut client, &mut server, batch, make);
        }
    })
}

#[test]
fn echoing_small_binary_messages_allocates_nothing() {
    const PAYLOAD: &[u8] = &[0x5a; 16];
    for batch in [1, 16] {
        let n = steady_state_allocations(&|| Message::binary(PAYLOAD), batch);
        assert_eq!(
            n,
            0,
            "{n} allocations for {} messages of 16 B (batches of {batch})",
            1_000 * batch
        );
    }
}

#[test]
fn echoing_small_text_messages_allocates_nothing() {
    for batch in [1, 16] {
        let n = steady_state_allocations(&|| Message::text("sixteen bytes ok"), batch);
        assert_eq!(
            n,
            0,
            "{n} allocations for {} messages of 16 B (batches of {batch})",
            1_000 * batch
        );
    }
}

/// The counter itself works: a test that could not fail would prove
/// nothing.
#[test]
fn the_counter_sees_an_allocation() {
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(n, 1);
}
