//! Counting how often a future is polled: the evidence that a task waits
//! on real wake-ups (a timer, a socket) rather than spinning. A task that
//! sleeps until a timeout is polled a handful of times; one that wakes
//! itself to check a clock is polled thousands of times a second.

use std::future::Future;
use std::pin::pin;

/// Runs `future` to completion; returns its output and how many times it
/// was polled.
pub async fn count_polls<F: Future>(future: F) -> (F::Output, usize) {
    let mut future = pin!(future);
    let mut polls = 0;
    let output = std::future::poll_fn(|cx| {
        polls += 1;
        future.as_mut().poll(cx)
    })
    .await;
    (output, polls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn counts_every_poll() {
        let mut left = 3;
        let spinning = std::future::poll_fn(|cx| {
            if left == 0 {
                return Poll::Ready("done");
            }
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        });
        let mut counted = pin!(count_polls(spinning));
        let mut cx = Context::from_waker(Waker::noop());
        let result = loop {
            if let Poll::Ready(result) = counted.as_mut().poll(&mut cx) {
                break result;
            }
        };
        assert_eq!(result, ("done", 4));
    }
}
