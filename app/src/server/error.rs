//! How server-side failures become [`AppError`]s: database faults are logged here, once, and
//! reach the wire as a bare `Internal` (or `Unavailable` when the database is unreachable).

use crate::error::AppError;
use crate::server::auth::backend::{Backend, BackendError};

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => AppError::NotFound("Not found.".into()),
            err if is_unreachable(&err) => {
                tracing::error!(error = %err, "database unavailable");
                AppError::Unavailable
            }
            err => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
        }
    }
}

/// SQLSTATEs of a database going away or not taking connections: class 08 (connection
/// exception) and class 57 (operator intervention: shutdown, restart, cannot connect now).
/// The PostgreSQL restart fault script (bench/run faults) saw 57P01 answered as a 500.
fn is_outage_code(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57")
}

/// Whether `err` means the database cannot be reached or used right now (not a fault of ours).
fn is_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db.code().as_deref().is_some_and(is_outage_code),
        _ => false,
    }
}

impl From<BackendError> for AppError {
    fn from(err: BackendError) -> Self {
        match err {
            BackendError::Db(e) => e.into(),
        }
    }
}

impl From<axum_login::Error<Backend>> for AppError {
    fn from(err: axum_login::Error<Backend>) -> Self {
        match err {
            axum_login::Error::Backend(e) => e.into(),
            axum_login::Error::Session(e) => {
                tracing::error!(error = %e, "session store error");
                AppError::Internal
            }
        }
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %err, "session error");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::is_outage_code;

    #[test]
    fn shutdown_and_connection_codes_are_outages_and_others_are_not() {
        for code in ["57P01", "57P02", "57P03", "08006", "08003"] {
            assert!(is_outage_code(code), "{code}");
        }
        for code in ["23505", "40001", "42P01", "P0001"] {
            assert!(!is_outage_code(code), "{code}");
        }
    }
}
