//! A `tracing` subscriber that keeps what it saw: each event with its
//! level, its fields and the fields of the spans it happened in, for
//! tests that check what a library reports (and in which span).
//!
//! ```ignore
//! let (traces, _guard) = traces::capture();
//! // ... run the code under test on this thread ...
//! let refusal = traces.find("refused by the admission hook").unwrap();
//! assert_eq!(refusal.field("status"), Some("401"));
//! ```
//!
//! One subscriber for the whole test process, made the global default on
//! the first [`capture`]: it keeps the events of each thread that is
//! capturing, for that thread. So run the code under test on the test's
//! thread (a current-thread tokio runtime, as `#[tokio::test]` makes).
//! Why not a thread's own default subscriber (`set_default`) per test:
//! `tracing` caches whether a call site is wanted across all threads, and
//! with tests coming and going in parallel a call site could be cached as
//! unwanted while no test's subscriber existed, and its events lost.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Field names to their values: strings as they are, the rest as `Debug`
/// prints them (numbers as digits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// One event as the subscriber saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Its level.
    pub level: Level,
    /// Its fields, `message` included.
    pub fields: Fields,
    /// The spans it happened in, outermost first: name and fields.
    pub spans: Vec<(String, Fields)>,
}

impl Seen {
    /// The event's message.
    pub fn message(&self) -> &str {
        self.field("message").unwrap_or_default()
    }

    /// The value of one of its fields.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.0.get(name).map(String::as_str)
    }

    /// The value of a field of the innermost span called `span` it
    /// happened in.
    pub fn span_field(&self, span: &str, name: &str) -> Option<&str> {
        self.spans
            .iter()
            .rev()
            .find(|(n, _)| n == span)
            .and_then(|(_, fields)| fields.0.get(name))
            .map(String::as_str)
    }
}

/// What a [`capture`] subscriber saw so far.
#[derive(Debug, Clone, Default)]
pub struct Traces {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Traces {
    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The events whose message is `message`.
    pub fn with_message(&self, message: &str) -> Vec<Seen> {
        self.events()
            .into_iter()
            .filter(|e| e.message() == message)
            .collect()
    }

    /// The first event whose message is `message`.
    pub fn find(&self, message: &str) -> Option<Seen> {
        self.with_message(message).into_iter().next()
    }

    /// Waits (up to `limit`, polling) until an event with `message`
    /// arrives, for events that tasks report after the test's own await
    /// returned.
    pub async fn wait_for(&self, message: &str, limit: std::time::Duration) -> Option<Seen> {
        let start = std::time::Instant::now();
        loop {
            if let Some(seen) = self.find(message) {
                return Some(seen);
            }
            if start.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

thread_local! {
    /// Where the events of this thread go, while it captures.
    static CAPTURING: RefCell<Option<Traces>> = const { RefCell::new(None) };
}

/// Keeps span fields in the registry, and events in the [`Traces`] of the
/// thread they happen on, if it is capturing.
struct Keep;

impl<S> Layer<S> for Keep
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(traces) = CAPTURING.with(|c| c.borrow().clone()) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        let fields = span.extensions().get::<Fields>().cloned();
                        (span.name().to_owned(), fields.unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let seen = Seen {
            level: *event.metadata().level(),
            fields,
            spans,
        };
        traces
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(seen);
    }
}

/// Captures this thread's events, at every level, until the guard is
/// dropped.
pub fn capture() -> (Traces, Capturing) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Keep);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test process");
    });
    let traces = Traces::default();
    CAPTURING.with(|c| *c.borrow_mut() = Some(traces.clone()));
    (traces, Capturing(()))
}

/// While it lives, this thread's events go to its [`capture`]'s
/// [`Traces`].
#[derive(Debug)]
pub struct Capturing(());

impl Drop for Capturing {
    fn drop(&mut self) {
        let _ = CAPTURING.try_with(|c| c.borrow_mut().take());
    }
}
