//! Argon2id password hashing, off the async runtime (`spawn_blocking`): one hash costs tens of
//! milliseconds of CPU and 19 MiB by design. Requests hash through [`Passwords`], which lets
//! only as many hashes run at once as there are cores: a burst of sign-ups or sign-ins waits
//! its turn briefly, then gets 503 instead of piling up memory and threads.

use std::{sync::Arc, time::Duration};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};

use crate::error::AppError;

/// Hashes a new password into a PHC string (argon2id, OWASP parameters: 19 MiB, t=2, p=1).
/// Requests hash through [`Passwords`]; this is public for tools that seed databases.
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
async fn verify(password: SecretString, stored: String) -> Result<bool, AppError> {
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
async fn dummy_verify(password: SecretString) {
    let _ = tokio::task::spawn_blocking(move || {
        let salt = SaltString::from_b64("YmVydGgtZHVtbXktc2FsdA").ok()?;
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .ok()
            .map(drop)
    })
    .await;
}

/// How long a request waits for a free hashing slot before it is told to come back.
const SLOT_WAIT: Duration = Duration::from_secs(5);

/// The hashing gate every request goes through.
#[derive(Clone, Debug)]
pub struct Passwords {
    slots: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl Passwords {
    /// A gate letting `concurrency` hashes run at once.
    pub fn new(concurrency: usize) -> Self {
        Self::with_wait(concurrency, SLOT_WAIT)
    }

    /// A gate with its own wait (tests use a short one).
    pub fn with_wait(concurrency: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            wait,
        }
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(AppError::Internal),
            Err(_) => {
                tracing::warn!("password hashing is saturated; asking the client to retry");
                Err(AppError::Busy {
                    retry_after_secs: 2,
                })
            }
        }
    }

    /// [`hash`], in turn.
    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        let _slot = self.slot().await?;
        hash(password).await
    }

    /// [`verify`], in turn.
    pub async fn verify(&self, password: SecretString, stored: String) -> Result<bool, AppError> {
        let _slot = self.slot().await?;
        verify(password, stored).await
    }

    /// [`dummy_verify`], in turn (it must cost what a real check costs, waiting included).
    pub async fn dummy_verify(&self, password: SecretString) -> Result<(), AppError> {
        let _slot = self.slot().await?;
        dummy_verify(password).await;
        Ok(())
    }
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
    async fn a_request_that_finds_every_slot_taken_is_told_to_retry() {
        let passwords = Passwords::with_wait(1, Duration::from_millis(50));
        let held = passwords.slot().await.unwrap();

        let err = passwords
            .hash(SecretString::from("correct horse battery"))
            .await
            .unwrap_err();

        assert_eq!(
            err,
            AppError::Busy {
                retry_after_secs: 2
            }
        );
        drop(held);
        assert!(
            passwords
                .hash(SecretString::from("correct horse battery"))
                .await
                .is_ok()
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
