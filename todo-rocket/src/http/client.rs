//! The client a request comes from, as the library's abuse limits count it ([`todo_core::Client`]): its address
//! and its user agent.
//!
//! The address is the TCP peer's, unless the server options name a header that a trusted reverse proxy sets
//! ([`crate::ServerOptions::client_ip_header`]); then that header's address, when it holds one. Nothing is trusted
//! by default, whoever builds the server (the binary, or an embedder through [`crate::mount`]): a header any
//! client can send would let it choose the address its failures are counted against. Rocket's own `ip_header`
//! setting is not used here, so an embedder's Rocket configuration cannot widen what the limits trust.

use std::convert::Infallible;
use std::net::IpAddr;

use rocket::request::{FromRequest, Outcome};
use rocket::Request;

/// The header a trusted proxy puts the client's address in, if the server options name one (managed state).
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedIpHeader(pub(crate) Option<String>);

/// The client of this request.
#[derive(Debug, Clone)]
pub(crate) struct RequestClient(pub(crate) todo_core::Client);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestClient {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let trusted = request.rocket().state::<TrustedIpHeader>().and_then(|header| header.0.as_deref());
        let reported = trusted
            .and_then(|header| request.headers().get_one(header))
            .and_then(|value| value.trim().parse::<IpAddr>().ok());
        let address = reported.or_else(|| request.remote().map(|peer| peer.ip()));
        let user_agent = request.headers().get_one("User-Agent");
        Outcome::Success(RequestClient(todo_core::Client::default().with_address(address).with_user_agent(user_agent)))
    }
}
