//! Opening the TCP connection as browsers do: every address of the name
//! tried, IPv6 and IPv4 interleaved and raced with staggered starts (Happy
//! Eyeballs, RFC 8305), the whole within a connect timeout.
//!
//! Names are resolved by the system's resolver (`getaddrinfo`, through
//! tokio), which asks for both families at once and sorts the answers
//! (RFC 6724); RFC 8305 §3's asynchronous queries and its resolution delay
//! therefore do not apply. What follows the answers is §4 and §5: the list
//! interleaved by family, starting with the family of the first address,
//! then one attempt started every *connection attempt delay* (250 ms by
//! default, §5's recommendation) or as soon as the previous one fails,
//! whichever comes first. The first connection made wins; the others are
//! dropped, which closes them.

use crate::error::{ConnectError, Error, TimeoutKind};
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{sleep, Instant};

/// How [`dial`] connects: set from [`ClientConfig`](super::ClientConfig).
#[derive(Debug, Clone, Copy)]
pub(super) struct Dial<'a> {
    /// Bounds resolution and every attempt together.
    pub(super) timeout: Duration,
    /// Between the starts of two attempts (RFC 8305 §5).
    pub(super) attempt_delay: Duration,
    /// Names mapped to addresses instead of resolved.
    pub(super) overrides: &'a [(String, Vec<SocketAddr>)],
}

impl Dial<'_> {
    /// The addresses `connect_to` gives `host`, if any (names compared
    /// without regard to case).
    pub(super) fn overridden(&self, host: &str) -> Option<&[SocketAddr]> {
        self.overrides
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, addrs)| addrs.as_slice())
    }
}

/// A TCP connection to `host:port` (a name, or an address literal), with
/// `TCP_NODELAY` set: the handshake and small frames leave at once rather
/// than wait for the peer's acknowledgement (Nagle's algorithm).
///
/// A name `connect_to` overrides goes to the given addresses, their ports
/// as given. No answer within `dial.timeout` is
/// [`Error::Timeout`] `{ what: Connect }`; no address that connects is
/// [`Error::Connect`], with every attempt's error.
pub(super) async fn dial(host: &str, port: u16, dial: Dial<'_>) -> Result<TcpStream, Error> {
    let work = async {
        let addrs = resolve(host, port, &dial).await?;
        let tcp = race(&addrs, dial.attempt_delay)
            .await
            .map_err(|attempts| ConnectError {
                host: host.to_owned(),
                port,
                attempts,
                resolve: None,
            })?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    };
    tokio::time::timeout(dial.timeout, work)
        .await
        .unwrap_or(Err(Error::Timeout {
            what: TimeoutKind::Connect,
        }))
}

/// The addresses to try, in the order to try them.
async fn resolve(host: &str, port: u16, dial: &Dial<'_>) -> Result<Vec<SocketAddr>, Error> {
    if let Some(addrs) = dial.overridden(host) {
        return Ok(interleave(addrs.to_vec()));
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let failed = |error: io::Error| ConnectError {
        host: host.to_owned(),
        port,
        attempts: Vec::new(),
        resolve: Some(error),
    };
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(failed)?
        .collect();
    if addrs.is_empty() {
        return Err(failed(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no address",
        ))
        .into());
    }
    Ok(interleave(addrs))
}

/// RFC 8305 §4: the addresses in their order, but alternating between
/// the families, starting with the family of the first.
fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_v6 = first.is_ipv6();
    let mut ordered = Vec::with_capacity(addrs.len());
    let (mut same, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs
        .into_iter()
        .partition(|addr| addr.is_ipv6() == first_v6);
    same.reverse();
    other.reverse();
    loop {
        match (same.pop(), other.pop()) {
            (None, None) => return ordered,
            (a, b) => ordered.extend(a.into_iter().chain(b)),
        }
    }
}

/// One attempt in flight.
type Attempt = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

/// RFC 8305 §5: starts an attempt on the first address, then on the next
/// one every `delay` or as soon as an attempt fails; returns the first
/// connection made, or every address with its error.
async fn race(
    addrs: &[SocketAddr],
    delay: Duration,
) -> Result<TcpStream, Vec<(SocketAddr, io::Error)>> {
    let mut queue = addrs.iter().copied();
    let mut running: Vec<(SocketAddr, Attempt)> = Vec::with_capacity(addrs.len().min(4));
    let mut failed = Vec::new();
    let timer = sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut start_next = true;
    poll_fn(|cx| loop {
        if start_next {
            start_next = false;
            if let Some(addr) = queue.next() {
                running.push((addr, Box::pin(TcpStream::connect(addr))));
                timer.as_mut().reset(Instant::now() + delay);
            }
        }
        let mut i = 0;
        while i < running.len() {
            match running[i].1.as_mut().poll(cx) {
                Poll::Ready(Ok(tcp)) => return Poll::Ready(Ok(tcp)),
                Poll::Ready(Err(error)) => {
                    let (addr, _) = running.remove(i);
                    failed.push((addr, error));
                    start_next = true;
                }
                Poll::Pending => i += 1,
            }
        }
        if queue.len() > 0 && timer.as_mut().poll(cx).is_ready() {
            start_next = true;
        }
        if start_next && queue.len() > 0 {
            continue;
        }
        if running.is_empty() {
            return Poll::Ready(Err(std::mem::take(&mut failed)));
        }
        return Poll::Pending;
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn families_alternate_from_the_first() {
        let list = |s: &[&str]| s.iter().map(|a| addr(a)).collect::<Vec<_>>();
        let given = list(&["[::1]:1", "[::2]:1", "[::3]:1", "10.0.0.1:1", "10.0.0.2:1"]);
        assert_eq!(
            interleave(given),
            list(&["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"])
        );
        let given = list(&["10.0.0.1:1", "10.0.0.2:1", "[::1]:1"]);
        assert_eq!(
            interleave(given),
            list(&["10.0.0.1:1", "[::1]:1", "10.0.0.2:1"])
        );
        assert_eq!(interleave(Vec::new()), Vec::<SocketAddr>::new());
    }

    /// A port nothing listens on (bound, then closed).
    fn dead() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    #[tokio::test]
    async fn a_refused_address_starts_the_next_at_once() {
        let live = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let live_addr = live.local_addr().unwrap();
        // A delay far longer than the test: only the failure of the first
        // can start the second in time.
        let started = Instant::now();
        let tcp = race(&[dead(), live_addr], Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(tcp.peer_addr().unwrap(), live_addr);
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[tokio::test]
    async fn every_failure_is_reported_in_order() {
        let (a, b) = (dead(), dead());
        let failed = race(&[a, b], Duration::from_millis(10)).await.unwrap_err();
        let tried: Vec<_> = failed.iter().map(|(addr, _)| *addr).collect();
        assert_eq!(tried, [a, b]);
        assert!(failed
            .iter()
            .all(|(_, e)| e.kind() == io::ErrorKind::ConnectionRefused));
    }

    #[tokio::test]
    async fn overrides_and_literals_need_no_resolver() {
        let overrides = [("Example.TEST".to_owned(), vec![addr("127.0.0.1:7")])];
        let dial = Dial {
            timeout: Duration::from_secs(5),
            attempt_delay: Duration::from_millis(250),
            overrides: &overrides,
        };
        assert_eq!(
            resolve("example.test", 80, &dial).await.unwrap(),
            [addr("127.0.0.1:7")]
        );
        assert_eq!(
            resolve("[::1]", 80, &dial).await.unwrap(),
            [addr("[::1]:80")]
        );
        assert_eq!(
            resolve("127.0.0.2", 81, &dial).await.unwrap(),
            [addr("127.0.0.2:81")]
        );
        let error = resolve("no-such-host.invalid", 80, &dial)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Connect(e) if e.resolve.is_some() && e.attempts.is_empty()),
            "{error:?}"
        );
    }
}
