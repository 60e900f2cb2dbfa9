//! The axum-login backend: how a session's user ID becomes a [`User`] on every request.
//! Passwords are not checked here: `api::auth::sign_in` checks them itself, after the
//! throttle and through the hashing gate, then logs the user in; this backend takes no
//! credentials at all, so nothing can sign in around those.

use std::convert::Infallible;

use axum_login::{AuthUser, AuthnBackend, UserId};
use uuid::Uuid;

use crate::server::db::{Db, users, users::User};

impl AuthUser for User {
    type Id = Uuid;

    fn id(&self) -> Uuid {
        self.id
    }

    /// Sessions carry the user's random session version, not anything derived from the password
    /// hash; a password change replaces it and so ends every other session.
    fn session_auth_hash(&self) -> &[u8] {
        &self.session_version
    }
}

/// Users and passwords from the database.
#[derive(Clone, Debug)]
pub struct Backend {
    db: Db,
}

impl Backend {
    /// A backend on `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Errors of the backend: database failures.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Infallible;
    type Error = BackendError;

    async fn authenticate(&self, creds: Infallible) -> Result<Option<User>, BackendError> {
        match creds {}
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        Ok(users::find(&self.db, *id).await?)
    }
}

/// The extractor server functions use to read and change who is signed in.
pub type AuthSession = axum_login::AuthSession<Backend>;
