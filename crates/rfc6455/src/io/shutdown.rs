//! A shutdown signal many connections can wait on without a task each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};

/// Fired once; wakes every [`Listener`] that polled it.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    fired: AtomicBool,
    next_id: AtomicU64,
    wakers: Mutex<HashMap<u64, Waker>>,
    /// Listeners not yet dropped: what a [`GoingAway`](super::GoingAway)
    /// waits on (a WebSocket holds its listener until it is dropped).
    live: AtomicUsize,
    /// Woken when `live` drops to zero.
    all_dropped: tokio::sync::Notify,
}

impl Signal {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Signal::default())
    }

    pub(crate) fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        let wakers =
            std::mem::take(&mut *self.wakers.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers.into_values() {
            waker.wake();
        }
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    pub(crate) fn listener(self: &Arc<Self>) -> Listener {
        self.live.fetch_add(1, Ordering::SeqCst);
        Listener {
            signal: Arc::clone(self),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
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

/// One waiter on a [`Signal`]; forgets its waker when dropped.
#[derive(Debug)]
pub(crate) struct Listener {
    signal: Arc<Signal>,
    id: u64,
}

impl Listener {
    /// Whether the signal fired; if not, `cx` is woken when it does.
    pub(crate) fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        if self.signal.is_fired() {
            return true;
        }
        {
            let mut wakers = self
                .signal
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match wakers.get_mut(&self.id) {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                Some(waker) => waker.clone_from(cx.waker()),
                None => {
                    wakers.insert(self.id, cx.waker().clone());
                }
            }
        }
        // Fired between the first check and the registration: seen here.
        self.signal.is_fired()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.signal
            .wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        if self.signal.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.signal.all_dropped.notify_waiters();
        }
    }
}
