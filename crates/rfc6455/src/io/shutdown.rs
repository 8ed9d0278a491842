//! A shutdown signal many connections can wait on without a task each.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};

/// Fired once; wakes every [`Listener`] that polled it.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    fired: AtomicBool,
    wakers: Mutex<Wakers>,
    /// Listeners not yet dropped: what a [`GoingAway`](super::GoingAway)
    /// waits on (a WebSocket holds its listener until it is dropped).
    live: AtomicUsize,
    /// Woken when `live` drops to zero.
    all_dropped: tokio::sync::Notify,
}

/// The waker of each listener, in the slot it got when it was made; a
/// dropped listener's slot goes to the next one. A slot is a waker's 16
/// bytes, and the table grows by an eighth, not by doubling: every open
/// connection of a server holds one.
#[derive(Debug, Default)]
struct Wakers {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Signal {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Signal::default())
    }

    fn wakers(&self) -> MutexGuard<'_, Wakers> {
        self.wakers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = self
            .wakers()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    pub(crate) fn listener(self: &Arc<Self>) -> Listener {
        self.live.fetch_add(1, Ordering::SeqCst);
        let mut wakers = self.wakers();
        let slot = match wakers.free.pop() {
            Some(slot) => slot,
            None => {
                let slots = &mut wakers.slots;
                if slots.len() == slots.capacity() {
                    slots.reserve_exact(slots.len() / 8 + 16);
                }
                slots.push(None);
                slots.len() - 1
            }
        };
        Listener {
            signal: Arc::clone(self),
            slot,
        }
    }

    /// How many listeners are not dropped yet.
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Returns once every listener is dropped.
    pub(crate) async fn all_dropped(&self) {
        loop {
            let dropped = self.all_dropped.notified();
            let mut dropped = std::pin::pin!(dropped);
            // Registered before the check: a drop between the two wakes it.
            dropped.as_mut().enable();
            if self.live() == 0 {
                return;
            }
            dropped.await;
        }
    }
}

/// One waiter on a [`Signal`]; frees its slot when dropped.
#[derive(Debug)]
pub(crate) struct Listener {
    signal: Arc<Signal>,
    slot: usize,
}

impl Listener {
    /// Whether the signal fired; if not, `cx` is woken when it does.
    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        if self.signal.is_fired() {
            return true;
        }
        {
            let mut wakers = self.signal.wakers();
            match &mut wakers.slots[self.slot] {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                Some(waker) => waker.clone_from(cx.waker()),
                empty @ None => *empty = Some(cx.waker().clone()),
            }
        }
        // Fired between the first check and the registration: seen here.
        self.signal.is_fired()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        {
            let mut wakers = self.signal.wakers();
            wakers.slots[self.slot] = None;
            wakers.free.push(self.slot);
        }
        if self.signal.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.signal.all_dropped.notify_waiters();
        }
    }
}
