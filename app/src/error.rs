//! `AppError`: the one error type of every server function, shared by the browser and the server.
//!
//! It crosses the wire as JSON, so it carries only what a caller may see: a kind, a message written
//! for people, and per-field messages for forms. Database and I/O details stay in the server log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use server_fn::{ServerFnError, codec::JsonEncoding, error::FromServerFnError};

/// Messages keyed by form field name (`"email"`, `"password"`, ...), and the collector that
/// reads a form: each field's check is recorded, and `finish` fails with all of them at once.
///
/// ```
/// # use app::error::FieldErrors;
/// let mut errs = FieldErrors::new();
/// let name = errs.check("name", Ok::<_, String>("web"));
/// let region = errs.check("region", Err::<&str, _>("Choose a region.".to_owned()));
/// assert_eq!(name, Some("web"));
/// assert!(region.is_none());
/// assert!(errs.finish().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of a field's check, or `None` with its message recorded.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.insert(field, message)).ok()
    }

    /// Records a problem with `field` (a field keeps its first message).
    pub fn insert(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// `Ok` when no field had a problem, else these problems (a 422 naming each, through `?`).
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Whether no field had a problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, if it had a problem.
    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    /// How many fields had a problem.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The messages, by field name.
    pub fn values(&self) -> impl Iterator<Item = &String> {
        self.0.values()
    }

    /// Field names and their messages.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    /// One field's message.
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errs = Self::new();
        errs.insert(field, message);
        errs
    }
}

/// Everything a server function can fail with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the request itself was malformed (missing or undecodable arguments).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no valid session, or wrong credentials at sign-in.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing, or the caller may not know that it exists.
    #[error("{0}")]
    NotFound(String),
    /// 409: the change conflicts with what is stored (a name already taken, ...).
    #[error("{message}")]
    Conflict {
        /// What conflicts, for people.
        message: String,
        /// The field the conflict is about, so a form can show it inline.
        fields: FieldErrors,
    },
    /// 422: the input broke a rule; one message per offending field.
    #[error("{}", summary(.0))]
    Invalid(FieldErrors),
    /// 413: the request body is larger than Berth accepts.
    #[error("The request is larger than the {limit_kib} KiB Berth accepts.")]
    TooLarge {
        /// The limit, in KiB.
        limit_kib: u64,
    },
    /// 429: too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests {
        /// Seconds until the next attempt is allowed (also sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// 503: Berth is at capacity for this kind of work (password hashing); try again soon.
    #[error("Berth is busy right now; try again in {retry_after_secs} seconds")]
    Busy {
        /// Seconds to wait (also sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// 502: a registry Berth had to call (KCR) failed or did not answer; the message says which.
    #[error("{0}")]
    Upstream(String),
    /// 503: a dependency (the database) is unreachable right now.
    #[error("Berth cannot reach its database right now; try again shortly")]
    Unavailable,
    /// 500: a fault on our side; the detail is in the server log, never on the wire.
    #[error("something went wrong on our side; it has been logged")]
    Internal,
}

fn summary(fields: &FieldErrors) -> String {
    match fields.len() {
        0 => "the input is invalid".to_owned(),
        1 => fields.values().next().cloned().unwrap_or_default(),
        n => format!("{n} fields need attention"),
    }
}

impl AppError {
    /// A 422 with one field message.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::one(field, message))
    }

    /// A 409 about one field.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict {
            fields: FieldErrors::one(field, message.clone()),
            message,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict { .. } => 409,
            Self::TooLarge { .. } => 413,
            Self::Invalid(_) => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Upstream(_) => 502,
            Self::Busy { .. } | Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The message for one form field, if this error has one.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid(fields) | Self::Conflict { fields, .. } => fields.get(name).cloned(),
            _ => None,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(fields: FieldErrors) -> Self {
        Self::Invalid(fields)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(msg) | E::MissingArg(msg) => Self::BadRequest(msg),
            E::Request(_) => Self::Unavailable,
            // Anything else is a fault in plumbing; its text may hold internals.
            _ => Self::Internal,
        }
    }
}

impl From<ServerFnError> for AppError {
    fn from(_: ServerFnError) -> Self {
        Self::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_json() {
        let all = [
            AppError::BadRequest("x".into()),
            AppError::Unauthenticated("x".into()),
            AppError::Forbidden("x".into()),
            AppError::NotFound("x".into()),
            AppError::conflict("username", "taken"),
            AppError::invalid("email", "bad"),
            AppError::TooLarge { limit_kib: 256 },
            AppError::TooManyRequests {
                retry_after_secs: 7,
            },
            AppError::Busy {
                retry_after_secs: 2,
            },
            AppError::Unavailable,
            AppError::Internal,
        ];
        for err in all {
            let json = serde_json::to_string(&err).unwrap();
            assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
        }
    }

    #[test]
    fn statuses_follow_the_house_table() {
        assert_eq!(AppError::invalid("a", "b").status(), 422);
        assert_eq!(AppError::conflict("a", "b").status(), 409);
        assert_eq!(AppError::Unauthenticated(String::new()).status(), 401);
        assert_eq!(
            AppError::TooManyRequests {
                retry_after_secs: 1
            }
            .status(),
            429
        );
    }

    #[test]
    fn argument_errors_become_bad_request_and_other_plumbing_errors_say_nothing() {
        let bad =
            AppError::from_server_fn_error(server_fn::error::ServerFnErrorErr::Args("x".into()));
        assert_eq!(bad.status(), 400);
        let internal = AppError::from_server_fn_error(
            server_fn::error::ServerFnErrorErr::ServerError("db".into()),
        );
        assert_eq!(internal, AppError::Internal);
    }

    #[test]
    fn a_single_field_error_reads_as_its_message() {
        assert_eq!(
            AppError::invalid("email", "Enter an email").to_string(),
            "Enter an email"
        );
    }
}
