//! The axum-login backend: how a session's user ID becomes a [`User`] on every request, and how
//! a sign-in name and password are checked.

use axum_login::{AuthUser, AuthnBackend, UserId};
use secrecy::SecretString;
use uuid::Uuid;

use crate::server::auth::password;
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

/// What a person types to sign in.
pub struct PasswordLogin {
    /// Username or email address.
    pub login: String,
    /// The password.
    pub password: SecretString,
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

/// Errors of the backend: database failures, or a hashing fault.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Hashing failed (already logged).
    #[error("password check failed")]
    Hash,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = PasswordLogin;
    type Error = BackendError;

    async fn authenticate(&self, creds: PasswordLogin) -> Result<Option<User>, BackendError> {
        match users::find_login(&self.db, &creds.login).await? {
            Some((user, stored)) => {
                let ok = password::verify(creds.password, stored)
                    .await
                    .map_err(|_| BackendError::Hash)?;
                Ok(ok.then_some(user))
            }
            None => {
                password::dummy_verify(creds.password).await;
                Ok(None)
            }
        }
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        Ok(users::find(&self.db, *id).await?)
    }
}

/// The extractor server functions use to read and change who is signed in.
pub type AuthSession = axum_login::AuthSession<Backend>;
