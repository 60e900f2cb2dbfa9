//! Argon2id password hashing, off the async runtime (`spawn_blocking`): one hash costs tens of
//! milliseconds of CPU by design.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::AppError;

/// Hashes a new password into a PHC string (argon2id, OWASP parameters: 19 MiB, t=2, p=1).
pub async fn hash(password: SecretString) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| internal("hash task", &e))?
    .map_err(|e| internal("hash", &e))
}

/// Checks `password` against a stored PHC string.
pub async fn verify(password: SecretString, stored: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| internal("stored hash", &e))?;
        Ok(Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| internal("verify task", &e))?
}

/// Spends the same work as [`verify`] for a sign-in name that has no account, so response times
/// do not tell which accounts exist.
pub async fn dummy_verify(password: SecretString) {
    let _ = tokio::task::spawn_blocking(move || {
        let salt = SaltString::from_b64("YmVydGgtZHVtbXktc2FsdA").ok()?;
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .ok()
            .map(drop)
    })
    .await;
}

fn internal(what: &str, err: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "password {what} failed");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let stored = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify(SecretString::from("correct horse battery"), stored.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify(SecretString::from("correct horse batterY"), stored)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let a = hash(SecretString::from("same password here"))
            .await
            .unwrap();
        let b = hash(SecretString::from("same password here"))
            .await
            .unwrap();
        assert_ne!(a, b);
    }
}
