//! Guards remember why they failed.
//!
//! When a request or data guard fails, Rocket drops its error and calls a catcher with only the status, and a
//! catcher cannot run guards again. So each guard stores its problem document in the request's local cache, and
//! the catcher sends it as is (with its `WWW-Authenticate` or other headers).

use rocket::http::Status;
use rocket::Request;

use super::error::ApiError;
use super::problem::Problem;

struct RememberedProblem(Option<Problem>);

/// Records `error` for the catcher and returns the status and error a guard's `Outcome::Error` takes.
pub(crate) fn remember(request: &Request<'_>, error: ApiError) -> (Status, ApiError) {
    let problem = error.to_problem();
    // The cache is write-once per request: the first guard to fail is the one that answers.
    request.local_cache(|| RememberedProblem(Some(problem)));
    (error.status(), error)
}

/// The problem a guard recorded for this request, if its status is the one being caught.
pub(crate) fn recall(request: &Request<'_>, status: Status) -> Option<Problem> {
    request.local_cache(|| RememberedProblem(None)).0.as_ref().filter(|problem| problem.status == status.code).cloned()
}
