//! Request ids and request logs: one line per request (method, route template, status, latency, request id),
//! and the request id on every log line written while the request is handled.
//!
//! The id is the client's `X-Request-Id` when it is sane (1 to 128 characters of `A-Z a-z 0-9 - _ . :`, as a
//! proxy or another service would send), otherwise a new UUIDv7. It is returned in `X-Request-Id`. Lines name
//! the route template (`/tasks/<id>`), never the raw path, so ids and query strings stay out of the logs.
//!
//! A handler runs with its request's id in two places: a `tracing` span named `request` (target
//! [`REQUEST_SPAN_TARGET`]), which any subscriber can show or export, and a task-local that
//! [`current_request_id`] reads. The span costs far more than the task-local (a registry slot, and an enter and
//! exit on every poll; benches/README.md, "The request span off in the JSON format", has the count), so a log
//! format that reads the task-local can turn the span off (`todo_rocket::request_span=off`), as the JSON format
//! of [`crate::logging`] does.

use std::future::Future;
use std::time::Instant;

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::http::Header;
use rocket::route::{Handler, Outcome};
use rocket::{Data, Request, Response, Route};
use tracing::Instrument;

/// The `tracing` target of the `request` span each handler runs in.
pub const REQUEST_SPAN_TARGET: &str = "todo_rocket::request_span";

rocket::tokio::task_local! {
    /// The id of the request whose handler (or mail, sent after the answer) this task is running.
    static CURRENT_REQUEST_ID: String;
}

/// Calls `read` with the id of the request the current task is handling, if it handles one: inside a route
/// handler, or a task started with [`in_current_request`].
pub fn current_request_id<R>(read: impl FnOnce(&str) -> R) -> Option<R> {
    CURRENT_REQUEST_ID.try_with(|id| read(id)).ok()
}

/// `future`, run in the current request's span and with its id (for a task spawned by a handler, whose lines must
/// still name the request).
pub fn in_current_request<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let id = current_request_id(str::to_owned);
    let future = future.in_current_span();
    async move {
        match id {
            Some(id) => CURRENT_REQUEST_ID.scope(id, future).await,
            None => future.await,
        }
    }
}

/// The header that carries the request id, in and out.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// The longest incoming request id that is kept.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// This request's id (in the request's local cache).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id of `request`: its sane `X-Request-Id`, or a new one; the same for the whole request.
    pub fn of<'r>(request: &'r Request<'_>) -> &'r RequestId {
        request.local_cache(|| {
            let incoming = request.headers().get_one(REQUEST_ID_HEADER).filter(|id| is_sane(id));
            RequestId(incoming.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
        })
    }
}

fn is_sane(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// When the request arrived (in the request's local cache).
struct Arrived(Instant);

/// Gives every request its id, returns it, and logs one line per request.
pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info { name: "request ids and request logs", kind: Kind::Request | Kind::Response }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| Arrived(Instant::now()));
        RequestId::of(request);
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let id = RequestId::of(request).0.clone();
        let latency = request.local_cache(|| Arrived(Instant::now())).0.elapsed();
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let route = request.route().map_or_else(|| "(no route)".to_owned(), |route| route.uri.to_string());
        tracing::info!(
            target: "todo_rocket::request",
            method = request.method().as_str(),
            route,
            status = response.status().code,
            latency_ms = (latency_ms * 1000.0).round() / 1000.0,
            request_id = id.as_str(),
            "request"
        );
        super::metrics::request(request.method().as_str(), route, response.status().code, latency);
        response.set_header(Header::new(REQUEST_ID_HEADER, id));
    }
}

/// The stage of request ids and request logs (see [`RequestLog`]).
pub(crate) fn stage() -> AdHoc {
    AdHoc::on_ignite("request ids and request logs", |rocket| async { rocket.attach(RequestLog) })
}

/// A route handler run with its request's id (in a `request` span, and in the task-local), so every line the
/// handler (and the library under it) logs names its request.
#[derive(Clone)]
struct InRequestSpan(Box<dyn Handler>);

#[rocket::async_trait]
impl Handler for InRequestSpan {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let id = &RequestId::of(request).0;
        let span = tracing::info_span!(target: REQUEST_SPAN_TARGET, "request", request_id = %id);
        CURRENT_REQUEST_ID.scope(id.clone(), self.0.handle(request, data).instrument(span)).await
    }
}

/// `routes`, each handled with its request's id (span and task-local).
pub fn in_request_spans(routes: Vec<Route>) -> Vec<Route> {
    routes
        .into_iter()
        .map(|mut route| {
            route.handler = Box::new(InRequestSpan(route.handler));
            route
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_short_and_plain() {
        for id in ["a", "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "req_1.2:3", &"x".repeat(128)] {
            assert!(is_sane(id), "{id}");
        }
        for id in ["", &"x".repeat(129), "a b", "a\nb", "é", "<script>", "a\"b"] {
            assert!(!is_sane(id), "{id:?}");
        }
    }
}
