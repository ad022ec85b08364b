//! The HTTP layer under the routes: RFC 9457 problem documents, the one mapping from errors to statuses
//! ([`ApiError`]), catchers for Rocket's own errors, body and query parsing, the bearer guards, the client a request
//! comes from, headers, `Location` under any base path, and the stand-ins that keep secrets out of `Debug`.
//!
//! May use [`crate::settings`] and [`crate::ops`] (the error mapping counts database errors in the metrics); never
//! [`crate::api`].

pub(crate) mod body;
mod catchers;
pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod etag;
pub(crate) mod failure;
pub(crate) mod guard;
pub(crate) mod headers;
pub(crate) mod location;
pub(crate) mod problem;
pub(crate) mod query;
pub(crate) mod redacted;

use rocket::fairing::AdHoc;

/// The stage of this layer: `nosniff` on every response, problem documents for Rocket's own errors under
/// `mount_point`, and the header (if any) that client addresses are read from.
pub(crate) fn stage(mount_point: &str, client_ip_header: Option<String>) -> AdHoc {
    let mount_point = mount_point.to_owned();
    AdHoc::on_ignite("problem documents and headers", |rocket| async move {
        rocket
            .attach(headers::NoSniff)
            .register(mount_point, catchers::all())
            .manage(client::TrustedIpHeader(client_ip_header))
    })
}
