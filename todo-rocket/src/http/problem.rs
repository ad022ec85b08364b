//! RFC 9457 problem documents: the one shape of every error this server sends.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;
use serde::Serialize;
use utoipa::ToSchema;

use super::redacted::Redacted;

/// The problem `type` of a sign-in whose first factor was right and that needs its second step (403).
pub const SECOND_STEP_REQUIRED: &str = "tag:todo-core.dev,2026:problems/second-step-required";
/// The problem `type` of a login refused until the email is verified (403, `REQUIRE_VERIFIED_EMAIL`).
pub const EMAIL_NOT_VERIFIED: &str = "tag:todo-core.dev,2026:problems/email-not-verified";
/// The problem `type` of an action that needs a session won with two factors (403).
pub const TWO_FACTOR_SESSION_REQUIRED: &str = "tag:todo-core.dev,2026:problems/two-factor-session-required";

/// An RFC 9457 problem document, sent as `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Content", "status": 422,
    "detail": "request body failed validation",
    "errors": [{"field": "password", "message": "must be at least 8 characters"}]
}))]
pub struct Problem {
    /// `about:blank` (the status code says what kind of problem this is), or a URI of its own for the problems
    /// a client must tell apart from others of the same status: `tag:todo-core.dev,2026:problems/…` with
    /// `second-step-required`, `email-not-verified` or `two-factor-session-required` (all 403).
    #[serde(rename = "type")]
    pub problem_type: &'static str,
    /// The HTTP reason phrase of the status.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for humans. Never contains SQL, passwords, hashes, tokens or secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field messages; present only for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// Present only in a `second-step-required` problem: send it back with the second step
    /// (`POST /auth/mfa/verify`). Opaque, single use, valid for 5 minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub mfa_token: Option<MfaToken>,
    /// Present only in a `second-step-required` problem: how this account can finish (`totp`, `recovery_code`,
    /// `passkey`: those it has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<&'static str>>,
    /// Headers that belong with this status (`WWW-Authenticate`, `Retry-After`, `Allow`).
    #[serde(skip)]
    headers: Vec<(&'static str, String)>,
}

/// The `mfa_token` of a second step: serialised as the plain string, shown as `"<redacted>"` by `Debug`.
#[derive(Clone, Serialize)]
#[serde(transparent)]
pub struct MfaToken(pub String);

impl std::fmt::Debug for MfaToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&Redacted, f)
    }
}

/// One invalid field in a validation problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field name as sent (`email`, `password`, `title`, `limit`, ...).
    pub field: String,
    /// What rule it broke.
    pub message: String,
}

impl From<&todo_core::FieldError> for FieldProblem {
    fn from(error: &todo_core::FieldError) -> Self {
        FieldProblem { field: error.field.to_owned(), message: error.message.clone() }
    }
}

impl Problem {
    /// A problem for `status`, titled with its reason phrase.
    pub fn new(status: Status) -> Self {
        Self {
            problem_type: "about:blank",
            title: title(status).to_owned(),
            status: status.code,
            detail: None,
            errors: None,
            mfa_token: None,
            methods: None,
            headers: Vec::new(),
        }
    }

    /// Sets the problem `type` (one of this module's constants).
    pub fn of_type(mut self, problem_type: &'static str) -> Self {
        self.problem_type = problem_type;
        self
    }

    /// Adds the members of a second step.
    pub fn second_step(mut self, step: &todo_core::SecondStep) -> Self {
        self.mfa_token = Some(MfaToken(step.mfa_token().to_owned()));
        self.methods = Some(step.methods().iter().map(|method| method.as_str()).collect());
        self
    }

    /// Adds a human-readable explanation.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds per-field validation messages.
    pub fn errors(mut self, errors: impl IntoIterator<Item = FieldProblem>) -> Self {
        self.errors = Some(errors.into_iter().collect());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The status this problem is sent with.
    pub fn status(&self) -> Status {
        Status::new(self.status)
    }

    /// The value of a header this problem carries, if any.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The reason phrase, by RFC 9110's names where they differ from Rocket's older ones.
fn title(status: Status) -> &'static str {
    match status.code {
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        _ => status.reason_lossy(),
    }
}

impl<'r> Responder<'r, 'static> for Problem {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = serde_json::to_vec(&self).map_err(|_| Status::InternalServerError)?;
        let mut response = Response::build();
        response
            .status(self.status())
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        for (name, value) in self.headers {
            response.header(Header::new(name, value));
        }
        response.ok()
    }
}
