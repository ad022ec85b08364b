//! Response headers that wrap another responder.

use rocket::http::Header;
use rocket::response::{self, Responder};
use rocket::Request;

/// Adds `Cache-Control: no-store` (RFC 6749 §5.1: responses that carry tokens must not be cached).
#[derive(Debug)]
pub struct NoStore<R>(pub R);

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for NoStore<R> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'o> {
        let mut response = self.0.respond_to(request)?;
        response.set_header(Header::new("Cache-Control", "no-store"));
        response.set_header(Header::new("Pragma", "no-cache"));
        Ok(response)
    }
}
