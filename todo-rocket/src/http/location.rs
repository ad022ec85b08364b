//! Where this API is mounted, for `Location` headers that stay right under any base path.

use std::convert::Infallible;

use rocket::request::{FromRequest, Outcome};
use rocket::Request;

/// The base path the matched route is mounted at (`/` or, say, `/api/v1`).
#[derive(Debug, Clone)]
pub struct MountBase(String);

impl MountBase {
    /// `path` (starting with `/`) under this base.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0.trim_end_matches('/'))
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MountBase {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let base = request.route().map(|route| route.uri.base().to_string()).unwrap_or_default();
        Outcome::Success(MountBase(base))
    }
}
