//! How server-side failures become [`AppError`]s: database faults are logged here, once, and
//! reach the wire as a bare `Internal` (or `Unavailable` when the database is unreachable).

use crate::error::AppError;
use crate::server::auth::backend::{Backend, BackendError};

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => AppError::NotFound("Not found.".into()),
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
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

impl From<BackendError> for AppError {
    fn from(err: BackendError) -> Self {
        match err {
            BackendError::Db(e) => e.into(),
            BackendError::Hash => AppError::Internal,
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
