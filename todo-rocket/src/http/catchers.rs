//! Catchers: Rocket's own errors (no route, wrong method, failed guards) as problem documents too.

use rocket::http::{Method, Status};
use rocket::{catch, catchers, Catcher, Request};

use super::error::BEARER_CHALLENGE;
use super::failure::recall;
use super::problem::Problem;

/// Every catcher this server registers.
pub fn all() -> Vec<Catcher> {
    catchers![any_status]
}

#[catch(default)]
fn any_status(status: Status, request: &Request<'_>) -> Problem {
    if let Some(problem) = recall(request, status) {
        return problem;
    }
    if status == Status::NotFound {
        let allowed = allowed_methods(request);
        if !allowed.is_empty() {
            let allow = allowed.iter().map(|method| method.as_str()).collect::<Vec<_>>().join(", ");
            return Problem::new(Status::MethodNotAllowed)
                .detail(format!("{} is not allowed here; use {allow}", request.method()))
                .header("Allow", allow);
        }
    }
    let problem = Problem::new(status);
    match status.code {
        400 => problem.detail("the request could not be understood"),
        401 => problem.detail("a bearer token is required").header("WWW-Authenticate", BEARER_CHALLENGE),
        404 => problem.detail(format!("no resource at {}", request.uri().path())),
        413 => problem.detail("the request body is larger than the configured limit"),
        415 => problem.detail("unsupported content type"),
        422 => problem.detail("the request does not match the expected schema"),
        _ => problem,
    }
}

/// The methods of the routes whose path matches this request's: non-empty means "wrong method" (405), not 404.
fn allowed_methods(request: &Request<'_>) -> Vec<Method> {
    let path: Vec<&str> = request.uri().path().segments().collect();
    let mut methods: Vec<Method> = request
        .rocket()
        .routes()
        .filter(|route| route.method != request.method() && path_matches(route.uri.path(), &path))
        .map(|route| route.method)
        .collect();
    methods.sort_by_key(|method| method.as_str());
    methods.dedup();
    methods
}

/// Whether a route path such as `/tasks/<id>` or `/swagger-ui/<_..>` matches the request's segments.
fn path_matches(route_path: &str, request: &[&str]) -> bool {
    let route: Vec<&str> = route_path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, segment) in route.iter().enumerate() {
        if segment.starts_with('<') && segment.ends_with("..>") {
            return true;
        }
        match request.get(i) {
            Some(actual) if segment.starts_with('<') || segment == actual => {}
            _ => return false,
        }
    }
    route.len() == request.len()
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn static_and_dynamic_segments_match() {
        assert!(path_matches("/tasks", &["tasks"]));
        assert!(path_matches("/tasks/<id>", &["tasks", "abc"]));
        assert!(path_matches("/tasks/<id>/complete", &["tasks", "abc", "complete"]));
        assert!(path_matches("/swagger-ui/<_..>", &["swagger-ui", "a", "b"]));
        assert!(!path_matches("/tasks/<id>", &["tasks"]));
        assert!(!path_matches("/tasks", &["tasks", "abc"]));
        assert!(!path_matches("/auth/me", &["auth", "login"]));
    }
}
