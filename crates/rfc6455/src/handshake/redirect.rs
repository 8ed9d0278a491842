//! Following a server's redirect of the opening handshake (RFC 9110
//! §15.4: 301, 302, 303, 307, 308 with `Location`), without IO: the next
//! request, its credentials dropped when the origin changes, never from
//! `wss://` to `ws://`. The count and the loop check are the caller's
//! ([`Redirects`]); the tokio layer connects to each request in turn.

use super::{ClientRequest, ErrorResponse};
use std::fmt;

/// Why a redirect was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedirectError {
    /// More redirects than allowed; the chain of URLs, the first one first.
    TooMany {
        /// The configured maximum.
        max: usize,
        /// The URLs visited, then the one not followed.
        chain: Vec<String>,
    },
    /// A URL came back: the chain, ending with the URL seen before.
    Loop(Vec<String>),
    /// From `wss://` to `ws://`: refused, it would drop TLS.
    Downgrade {
        /// The `wss://` URL that redirected.
        from: String,
        /// The `ws://` (or `http://`) URL it named.
        to: String,
    },
    /// `Location` is missing or not a `ws`, `wss`, `http` or `https` URL
    /// or an absolute path.
    InvalidLocation(String),
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedirectError::TooMany { max, chain } => {
                write!(f, "more than {max} redirects: {}", chain.join(" -> "))
            }
            RedirectError::Loop(chain) => write!(f, "redirect loop: {}", chain.join(" -> ")),
            RedirectError::Downgrade { from, to } => {
                write!(
                    f,
                    "refused to follow a redirect from {from} to {to} (no TLS)"
                )
            }
            RedirectError::InvalidLocation(why) => write!(f, "invalid redirect: {why}"),
        }
    }
}

impl std::error::Error for RedirectError {}

/// Whether `status` is a redirect that is followed.
#[must_use]
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

impl ClientRequest {
    /// The URL this request is for: `ws://` or `wss://`, `Host`, resource.
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.host, self.resource)
    }

    /// The request that follows `response`, a redirect ([`is_redirect`])
    /// of this request: to its `Location` (`ws://`, `wss://`, `http://`
    /// read as `ws://`, `https://` as `wss://`, or an absolute path on the
    /// same origin), with a fresh key, the same subprotocols, extension
    /// offer and fields, except `Authorization` and `Cookie` when the
    /// origin (scheme, host, port) changes. A `ws://` target from a
    /// `wss://` request is [`RedirectError::Downgrade`].
    pub fn follow(&self, response: &ErrorResponse) -> Result<ClientRequest, RedirectError> {
        let location = response
            .header("location")
            .and_then(|value| std::str::from_utf8(value).ok())
            .map(str::trim)
            .ok_or_else(|| {
                RedirectError::InvalidLocation(format!("{} without Location", response.status))
            })?;
        let invalid = || RedirectError::InvalidLocation(format!("Location {location:?}"));
        let mut next = if location.starts_with('/') && !location.starts_with("//") {
            let mut next = ClientRequest::new(&self.host, location);
            next.tls = self.tls;
            next
        } else {
            let (scheme, rest) = location.split_once("://").ok_or_else(invalid)?;
            let scheme = match scheme.to_ascii_lowercase().as_str() {
                "ws" | "http" => "ws",
                "wss" | "https" => "wss",
                _ => return Err(invalid()),
            };
            let uri: http::Uri = format!("{scheme}://{rest}")
                .parse()
                .map_err(|_| invalid())?;
            ClientRequest::from_uri(&uri).map_err(|_| invalid())?
        };
        if self.tls && !next.tls {
            return Err(RedirectError::Downgrade {
                from: self.url(),
                to: location.to_owned(),
            });
        }
        let same_origin = next.tls == self.tls && next.host.eq_ignore_ascii_case(&self.host);
        next.protocols.clone_from(&self.protocols);
        next.deflate.clone_from(&self.deflate);
        next.headers = self
            .headers
            .iter()
            .filter(|(name, _)| {
                same_origin
                    || !(name.eq_ignore_ascii_case("authorization")
                        || name.eq_ignore_ascii_case("cookie"))
            })
            .cloned()
            .collect();
        Ok(next)
    }
}

/// The redirects of one connect: at most `max`, none to a URL already
/// visited.
#[derive(Debug, Clone)]
pub struct Redirects {
    max: usize,
    chain: Vec<String>,
}

impl Redirects {
    /// A chain starting at `first`, allowing `max` redirects.
    #[must_use]
    pub fn new(first: &ClientRequest, max: usize) -> Redirects {
        Redirects {
            max,
            chain: vec![first.url()],
        }
    }

    /// Records a redirect to `next`: an error if it is one too many or
    /// goes back to a URL of the chain.
    pub fn visit(&mut self, next: &ClientRequest) -> Result<(), RedirectError> {
        let url = next.url();
        let seen = self.chain.contains(&url);
        self.chain.push(url);
        if seen {
            return Err(RedirectError::Loop(self.chain.clone()));
        }
        if self.chain.len() - 1 > self.max {
            return Err(RedirectError::TooMany {
                max: self.max,
                chain: self.chain.clone(),
            });
        }
        Ok(())
    }

    /// The URLs visited so far, the first one first.
    #[must_use]
    pub fn chain(&self) -> &[String] {
        &self.chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IntoClientRequest;

    fn redirect(status: u16, location: &str) -> ErrorResponse {
        let headers = vec![("Location".to_owned(), location.as_bytes().to_vec())];
        ErrorResponse::new(status, None, headers, 0)
    }

    fn request(url: &str) -> ClientRequest {
        url.into_client_request()
            .unwrap()
            .with_protocols(["chat"])
            .with_header("Authorization", "Bearer x")
            .with_header("Cookie", "a=1")
            .with_header("Origin", "https://app")
    }

    fn names(request: &ClientRequest) -> Vec<&str> {
        request.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn same_origin_keeps_credentials() {
        let first = request("ws://a.example:8080/old");
        for location in [
            "/new?x=1",
            "ws://a.example:8080/new?x=1",
            "http://A.example:8080/new?x=1",
        ] {
            let next = first.follow(&redirect(301, location)).unwrap();
            assert_eq!(
                next.url().to_lowercase(),
                "ws://a.example:8080/new?x=1",
                "{location}"
            );
            assert_eq!(names(&next), ["Authorization", "Cookie", "Origin"]);
            assert_eq!(next.protocols(), ["chat"]);
            assert_ne!(next.key(), first.key());
        }
    }

    #[test]
    fn another_origin_drops_credentials() {
        let first = request("ws://a.example/old");
        for location in [
            "ws://b.example/",
            "ws://a.example:81/",
            "wss://a.example/",
            "https://a.example/",
        ] {
            let next = first.follow(&redirect(307, location)).unwrap();
            assert_eq!(names(&next), ["Origin"], "{location}");
        }
        assert!(first
            .follow(&redirect(302, "https://a.example/x"))
            .unwrap()
            .is_tls());
    }

    #[test]
    fn never_from_wss_to_ws() {
        let first = request("wss://a.example/");
        for location in ["ws://a.example/", "http://a.example/"] {
            assert!(matches!(
                first.follow(&redirect(308, location)),
                Err(RedirectError::Downgrade { .. })
            ));
        }
        assert!(first.follow(&redirect(308, "/path")).unwrap().is_tls());
    }

    #[test]
    fn bad_locations() {
        let first = request("ws://a.example/");
        for location in [
            "ftp://x/",
            "//b.example/x",
            "relative",
            "ws://",
            "ws://u@h/",
        ] {
            assert!(
                matches!(
                    first.follow(&redirect(301, location)),
                    Err(RedirectError::InvalidLocation(_))
                ),
                "{location}"
            );
        }
        let none = ErrorResponse::new(302, None, Vec::new(), 0);
        assert!(first.follow(&none).is_err());
        assert!([301, 302, 303, 307, 308].into_iter().all(is_redirect));
        assert!(!is_redirect(300) && !is_redirect(304) && !is_redirect(200));
    }

    #[test]
    fn chains_end_at_a_loop_or_the_limit() {
        let a = request("ws://a/");
        let b = request("ws://b/");
        let mut chain = Redirects::new(&a, 5);
        chain.visit(&b).unwrap();
        assert_eq!(
            chain.visit(&a),
            Err(RedirectError::Loop(vec![
                "ws://a/".into(),
                "ws://b/".into(),
                "ws://a/".into()
            ]))
        );
        let mut chain = Redirects::new(&a, 1);
        chain.visit(&b).unwrap();
        let err = chain.visit(&request("ws://c/")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "more than 1 redirects: ws://a/ -> ws://b/ -> ws://c/"
        );
    }
}
